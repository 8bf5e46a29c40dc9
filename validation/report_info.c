/* see ltsig/policy.h: `ltsig info` — what is inside a signed file, for people and for the
 * archive renewal job (when does the newest time-stamp stop protecting each signature). */
#define LTS_MODULE "report"
#include "validation_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <ltsig/policy.h>
#include "core/err.h"
#include "timeline.h"

static json_t *time_or_null(int has, lts_time t)
{
    char buf[LTS_TIME_RFC3339_LEN];
    if (!has || lts_time_format_rfc3339(buf, sizeof buf, t) != LTS_OK)
        return json_null();
    return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static const char *format_of(const lts_report *r)
{
    return r->n_sigs && r->sigs[0].format ? r->sigs[0].format : NULL;
}

static json_t *sig_info(const lts_sig_result *s, const lts_policy *p)
{
    json_t *tss = json_array(), *o, *certs = NULL, *events = NULL, *ret = NULL;
    int ok;
    lts_time until = 0;
    int has_until = lts_policy_protection_until(p, s, &until);
    for (size_t i = 0; tss && i < s->n_timestamps; i++) {
        const lts_ts_result *t = &s->timestamps[i];
        json_array_append_new(tss, json_pack("{s:o, s:o, s:o, s:o, s:o}", "type",
                                             str_or_null(t->kind), "gen_time",
                                             time_or_null(1, t->gen_time), "tsa",
                                             str_or_null(t->tsa), "tsa_cert_not_after",
                                             time_or_null(t->tsa_not_after != 0, t->tsa_not_after),
                                             "digest_algorithm",
                                             str_or_null(t->digest_algorithm)));
    }
    o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "id", str_or_null(s->id), "level",
                  str_or_null(s->level), "signer", str_or_null(s->signer), "signing_time",
                  time_or_null(s->has_signing_time, s->signing_time), "timestamps",
                  tss ? tss : json_null(), "protection_until", time_or_null(has_until, until));
    if (o == NULL || lts_timeline__json(s, p, &certs, &events) != LTS_OK)
        goto out;
    /* json_object_set_new takes the value, or frees it when it fails */
    ok = json_object_set_new(o, "certificates", certs) == 0;
    certs = NULL;
    if (ok) {
        ok = json_object_set_new(o, "timeline", events) == 0;
        events = NULL;
    }
    if (ok) {
        ret = o;
        o = NULL;
    }
out:
    json_decref(certs);
    json_decref(events);
    json_decref(o);
    return ret;
}

lts_status lts_info_json(const lts_report *r, const lts_policy *p, lts_buf *out)
{
    lts_status rc = LTS_OK;
    json_t *root = NULL, *sigs = NULL;
    char *text = NULL;

    LTS_ALLOC(sigs = json_array());
    for (size_t i = 0; i < r->n_sigs; i++) {
        json_t *s = sig_info(&r->sigs[i], p);
        LTS_ALLOC(s);
        LTS_ENSURE(json_array_append_new(sigs, s) == 0, LTS_E_NOMEM, "out of memory");
    }
    root = json_pack("{s:o, s:o, s:o}", "file", str_or_null(r->file), "format",
                     str_or_null(format_of(r)), "signatures", sigs);
    sigs = NULL; /* owned by root now, or freed by json_pack on failure */
    LTS_ALLOC(root);
    LTS_ALLOC(text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER));
    LTS_TRY(lts_buf_append(out, text, strlen(text)));
    LTS_TRY(lts_buf_append(out, "\n", 1));
    LTS_TRY(lts_buf_nul(out));
out:
    free(text);
    json_decref(sigs);
    json_decref(root);
    return rc;
}

static lts_status put(lts_buf *out, const char *fmt, ...) LTS_PRINTF(2, 3);
static lts_status put(lts_buf *out, const char *fmt, ...)
{
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return lts_err__set(LTS_E_INTERNAL, LTS_MODULE, 0, "cannot format the summary");
    return lts_buf_append(out, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static const char *when(char *buf, size_t cap, int has, lts_time t)
{
    if (!has || lts_time_format_rfc3339(buf, cap, t) != LTS_OK)
        snprintf(buf, cap, "-");
    return buf;
}

lts_status lts_info_text(const lts_report *r, const lts_policy *p, lts_buf *out)
{
    lts_status rc = LTS_OK;
    char a[32], b[32];
    LTS_TRY(put(out, "File: %s\nFormat: %s\nSignatures: %zu\n", r->file ? r->file : "?",
                format_of(r) ? format_of(r) : "?", r->n_sigs));
    for (size_t i = 0; i < r->n_sigs; i++) {
        const lts_sig_result *s = &r->sigs[i];
        lts_time until = 0;
        int has_until = lts_policy_protection_until(p, s, &until);
        LTS_TRY(put(out, "\nSignature %s\n  level:            %s\n  signer:           %s\n"
                         "  signing time:     %s\n", s->id ? s->id : "?",
                    s->level ? s->level : "?", s->signer ? s->signer : "?",
                    when(a, sizeof a, s->has_signing_time, s->signing_time)));
        for (size_t k = 0; k < s->n_timestamps; k++) {
            const lts_ts_result *t = &s->timestamps[k];
            LTS_TRY(put(out, "  timestamp:        %s at %s by %s (TSA certificate until %s, %s)\n",
                        t->kind ? t->kind : "?", when(a, sizeof a, 1, t->gen_time),
                        t->tsa ? t->tsa : "?",
                        when(b, sizeof b, t->tsa_not_after != 0, t->tsa_not_after),
                        t->digest_algorithm ? t->digest_algorithm : "?"));
        }
        LTS_TRY(put(out, "  protected until:  %s\n",
                    has_until ? when(a, sizeof a, 1, until)
                              : "- (no time-stamp: the signature is protected only while its "
                                "certificate is valid)"));
        LTS_TRY(lts_timeline__text(s, p, r->validation_time, "  ", out));
    }
    LTS_TRY(lts_buf_nul(out));
out:
    return rc;
}
