/* see ltsig/report.h: the report a person reads. */
#define LTS_MODULE "report"
#include "validation_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/err.h"
#include "timeline.h"

static lts_status put(lts_buf *out, const char *fmt, ...) LTS_PRINTF(2, 3);
static lts_status put(lts_buf *out, const char *fmt, ...)
{
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return lts_err__set(LTS_E_INTERNAL, LTS_MODULE, 0, "cannot format the report");
    return lts_buf_append(out, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static const char *fmt_time(char *buf, size_t cap, lts_time t)
{
    if (lts_time_format_rfc3339(buf, cap, t) != LTS_OK)
        snprintf(buf, cap, "?");
    return buf;
}

static const char *verdict(lts_indication ind, lts_subindication sub, char *buf, size_t cap)
{
    if (sub == LTS_SUB_NONE)
        snprintf(buf, cap, "%s", lts_indication_name(ind));
    else
        snprintf(buf, cap, "%s / %s", lts_indication_name(ind), lts_subindication_name(sub));
    return buf;
}

static lts_status put_sig(lts_buf *out, const lts_sig_result *s, lts_time now)
{
    lts_status rc = LTS_OK;
    char t[32], v[96];
    LTS_TRY(put(out, "\nSignature %s (%s %s): %s\n", s->id ? s->id : "?",
                s->format ? s->format : "?", s->level ? s->level : "?",
                verdict(s->indication, s->subindication, v, sizeof v)));
    if (s->signer)
        LTS_TRY(put(out, "  signer:               %s\n", s->signer));
    if (s->signer_issuer)
        LTS_TRY(put(out, "  issuer:               %s\n", s->signer_issuer));
    if (s->digest_algorithm || s->signature_algorithm)
        LTS_TRY(put(out, "  algorithm:            %s with %s\n",
                    s->signature_algorithm ? s->signature_algorithm : "?",
                    s->digest_algorithm ? s->digest_algorithm : "?"));
    if (s->has_signing_time)
        LTS_TRY(put(out, "  claimed signing time: %s\n", fmt_time(t, sizeof t, s->signing_time)));
    if (s->best_signature_time)
        LTS_TRY(put(out, "  best signature time:  %s\n",
                    fmt_time(t, sizeof t, s->best_signature_time)));
    for (size_t i = 0; i < s->n_timestamps; i++) {
        const lts_ts_result *ts = &s->timestamps[i];
        LTS_TRY(put(out, "  timestamp %-20s %s  %s%s%s\n", ts->kind ? ts->kind : "?",
                    fmt_time(t, sizeof t, ts->gen_time),
                    verdict(ts->indication, ts->subindication, v, sizeof v),
                    ts->tsa ? "  TSA: " : "", ts->tsa ? ts->tsa : ""));
        if (ts->message)
            LTS_TRY(put(out, "      %s\n", ts->message));
    }
    for (size_t i = 0; i < s->n_messages; i++)
        LTS_TRY(put(out, "  - %s\n", s->messages[i]));
    LTS_TRY(lts_timeline__text(s, NULL, now, "  ", out));
out:
    return rc;
}

lts_status lts_report_text(const lts_report *r, lts_buf *out)
{
    lts_status rc = LTS_OK;
    char t[32], v[96];
    LTS_TRY(put(out, "File: %s\nValidation time: %s\nSignatures: %zu\n",
                r->file ? r->file : "?", fmt_time(t, sizeof t, r->validation_time), r->n_sigs));
    for (size_t i = 0; i < r->n_sigs; i++)
        LTS_TRY(put_sig(out, &r->sigs[i], r->validation_time));
    LTS_TRY(put(out, "\nResult: %s\n", verdict(r->indication, r->subindication, v, sizeof v)));
    LTS_TRY(lts_buf_nul(out));
out:
    return rc;
}
