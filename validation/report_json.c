/* see ltsig/report.h: the JSON report (jansson). Field names are fixed by DESIGN.md. */
#define LTS_MODULE "report"
#include "validation_int.h"

#include <string.h>
#include <jansson.h>
#include "core/err.h"
#include "core/mem.h"
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

static json_t *sub_or_null(lts_subindication s)
{
    return s == LTS_SUB_NONE ? json_null() : json_string(lts_subindication_name(s));
}

static json_t *ts_json(const lts_ts_result *t)
{
    return json_pack("{s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o}", "type", str_or_null(t->kind),
                     "gen_time", time_or_null(1, t->gen_time), "tsa", str_or_null(t->tsa),
                     "indication", lts_indication_name(t->indication), "subindication",
                     sub_or_null(t->subindication), "message", str_or_null(t->message),
                     "tsa_cert_not_after", time_or_null(t->tsa_not_after != 0, t->tsa_not_after),
                     "digest_algorithm", str_or_null(t->digest_algorithm));
}

/* Members appended to the signature object: properties, key_bits, profile, certificates
 * (the validity period of each certificate the signature carries, timeline.h). */
static json_t *sig_extra(json_t *o, const lts_sig_result *s)
{
    json_t *props = json_array(), *certs = NULL, *events = NULL;
    if (o == NULL || props == NULL) {
        json_decref(props);
        return o;
    }
    for (size_t i = 0; i < s->n_properties; i++)
        json_array_append_new(props, json_string(s->properties[i]));
    json_object_set_new(o, "properties", props);
    json_object_set_new(o, "key_bits", s->key_bits ? json_integer(s->key_bits) : json_null());
    json_object_set_new(o, "profile", s->profile ? json_pack("{s:s, s:b}", "name", s->profile,
                                                             "conformant", s->profile_conformant)
                                                 : json_null());
    if (lts_timeline__json(s, NULL, &certs, &events) == LTS_OK)
        json_object_set_new(o, "certificates", certs);
    else
        lts_error_clear();
    json_decref(events);
    return o;
}

static json_t *sig_json(const lts_sig_result *s)
{
    json_t *tss = json_array(), *msgs = json_array();
    for (size_t i = 0; tss && i < s->n_timestamps; i++)
        json_array_append_new(tss, ts_json(&s->timestamps[i]));
    for (size_t i = 0; msgs && i < s->n_messages; i++)
        json_array_append_new(msgs, json_string(s->messages[i]));
    return json_pack(
        "{s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
        str_or_null(s->id), "format", str_or_null(s->format), "level", str_or_null(s->level),
        "indication", lts_indication_name(s->indication), "subindication",
        sub_or_null(s->subindication), "signing_time",
        time_or_null(s->has_signing_time, s->signing_time), "best_signature_time",
        time_or_null(s->best_signature_time != 0, s->best_signature_time), "signer",
        str_or_null(s->signer), "signer_issuer", str_or_null(s->signer_issuer),
        "signer_serial", str_or_null(s->signer_serial), "digest_algorithm",
        str_or_null(s->digest_algorithm), "signature_algorithm",
        str_or_null(s->signature_algorithm), "timestamps", tss ? tss : json_null(),
        "messages", msgs ? msgs : json_null());
}

lts_status lts_report_json(const lts_report *r, lts_buf *out)
{
    lts_status rc = LTS_OK;
    json_t *root = NULL, *sigs = NULL;
    char *text = NULL;

    LTS_ALLOC(sigs = json_array());
    for (size_t i = 0; i < r->n_sigs; i++) {
        json_t *s = sig_extra(sig_json(&r->sigs[i]), &r->sigs[i]);
        LTS_ALLOC(s);
        LTS_ENSURE(json_array_append_new(sigs, s) == 0, LTS_E_NOMEM, "out of memory");
    }
    root = json_pack("{s:o, s:o, s:s, s:o, s:o}", "file", str_or_null(r->file),
                     "validation_time", time_or_null(1, r->validation_time), "indication",
                     lts_indication_name(r->indication), "subindication",
                     sub_or_null(r->subindication), "signatures", sigs);
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
