/* see ltsig/report.h and validation/validation_int.h */
#define LTS_MODULE "report"
#include "validation_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/err.h"
#include "core/mem.h"

const char *lts_indication_name(lts_indication i)
{
    switch (i) {
    case LTS_IND_TOTAL_PASSED: return "TOTAL_PASSED";
    case LTS_IND_TOTAL_FAILED: return "TOTAL_FAILED";
    case LTS_IND_INDETERMINATE: return "INDETERMINATE";
    default: return "INDETERMINATE";
    }
}

const char *lts_subindication_name(lts_subindication s)
{
    static const char *const names[] = {
        [LTS_SUB_NONE] = "",
        [LTS_SUB_FORMAT_FAILURE] = "FORMAT_FAILURE",
        [LTS_SUB_HASH_FAILURE] = "HASH_FAILURE",
        [LTS_SUB_SIG_CRYPTO_FAILURE] = "SIG_CRYPTO_FAILURE",
        [LTS_SUB_REVOKED] = "REVOKED",
        [LTS_SUB_SIG_CONSTRAINTS_FAILURE] = "SIG_CONSTRAINTS_FAILURE",
        [LTS_SUB_CHAIN_CONSTRAINTS_FAILURE] = "CHAIN_CONSTRAINTS_FAILURE",
        [LTS_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE] = "CERTIFICATE_CHAIN_GENERAL_FAILURE",
        [LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE] = "CRYPTO_CONSTRAINTS_FAILURE",
        [LTS_SUB_EXPIRED] = "EXPIRED",
        [LTS_SUB_NOT_YET_VALID] = "NOT_YET_VALID",
        [LTS_SUB_POLICY_PROCESSING_ERROR] = "POLICY_PROCESSING_ERROR",
        [LTS_SUB_SIGNATURE_POLICY_NOT_AVAILABLE] = "SIGNATURE_POLICY_NOT_AVAILABLE",
        [LTS_SUB_TIMESTAMP_ORDER_FAILURE] = "TIMESTAMP_ORDER_FAILURE",
        [LTS_SUB_NO_SIGNING_CERTIFICATE_FOUND] = "NO_SIGNING_CERTIFICATE_FOUND",
        [LTS_SUB_NO_CERTIFICATE_CHAIN_FOUND] = "NO_CERTIFICATE_CHAIN_FOUND",
        [LTS_SUB_REVOKED_NO_POE] = "REVOKED_NO_POE",
        [LTS_SUB_REVOKED_CA_NO_POE] = "REVOKED_CA_NO_POE",
        [LTS_SUB_OUT_OF_BOUNDS_NO_POE] = "OUT_OF_BOUNDS_NO_POE",
        [LTS_SUB_OUT_OF_BOUNDS_NOT_REVOKED] = "OUT_OF_BOUNDS_NOT_REVOKED",
        [LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE] = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
        [LTS_SUB_NO_POE] = "NO_POE",
        [LTS_SUB_TRY_LATER] = "TRY_LATER",
        [LTS_SUB_SIGNED_DATA_NOT_FOUND] = "SIGNED_DATA_NOT_FOUND",
        [LTS_SUB_GENERIC] = "GENERIC",
    };
    if ((unsigned)s < sizeof names / sizeof names[0] && names[s])
        return names[s];
    return "GENERIC";
}

static int rank(lts_indication i)
{
    return i == LTS_IND_TOTAL_FAILED ? 2 : i == LTS_IND_INDETERMINATE ? 1 : 0;
}

void lts_report__lower(lts_indication *ind, lts_subindication *sub, lts_indication nind,
                       lts_subindication nsub)
{
    if (rank(nind) > rank(*ind)) {
        *ind = nind;
        *sub = nsub;
    }
}

void lts_report__finish(lts_report *r)
{
    r->indication = r->n_sigs ? LTS_IND_TOTAL_PASSED : LTS_IND_TOTAL_FAILED;
    r->subindication = r->n_sigs ? LTS_SUB_NONE : LTS_SUB_SIGNED_DATA_NOT_FOUND;
    for (size_t i = 0; i < r->n_sigs; i++)
        lts_report__lower(&r->indication, &r->subindication, r->sigs[i].indication,
                          r->sigs[i].subindication);
}

lts_status lts_report__set_str(char **field, const char *value)
{
    char *copy = NULL;
    if (value != NULL && (copy = lts_strdup(value)) == NULL)
        return lts_err__set(LTS_E_NOMEM, LTS_MODULE, 0, "out of memory");
    lts_free(*field);
    *field = copy;
    return LTS_OK;
}

lts_status lts_report__add_sig(lts_report *r, const char *format, lts_sig_result **out)
{
    lts_status rc = LTS_OK;
    char id[32];
    lts_sig_result *n = lts_realloc(r->sigs, (r->n_sigs + 1) * sizeof *n);
    LTS_ALLOC(n);
    r->sigs = n;
    lts_sig_result *s = &r->sigs[r->n_sigs];
    memset(s, 0, sizeof *s);
    r->n_sigs++;
    snprintf(id, sizeof id, "S%zu", r->n_sigs);
    LTS_TRY(lts_report__set_str(&s->id, id));
    LTS_TRY(lts_report__set_str(&s->format, format));
    *out = s;
out:
    return rc;
}

lts_status lts_report__add_ts(lts_sig_result *s, const char *kind, lts_ts_result **out)
{
    lts_status rc = LTS_OK;
    lts_ts_result *n = lts_realloc(s->timestamps, (s->n_timestamps + 1) * sizeof *n);
    LTS_ALLOC(n);
    s->timestamps = n;
    lts_ts_result *t = &s->timestamps[s->n_timestamps];
    memset(t, 0, sizeof *t);
    s->n_timestamps++;
    LTS_TRY(lts_report__set_str(&t->kind, kind));
    *out = t;
out:
    return rc;
}

lts_status lts_report__msg(lts_sig_result *s, const char *fmt, ...)
{
    lts_status rc = LTS_OK;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char **n = lts_realloc(s->messages, (s->n_messages + 1) * sizeof *n);
    LTS_ALLOC(n);
    s->messages = n;
    LTS_ALLOC(s->messages[s->n_messages] = lts_strdup(line));
    s->n_messages++;
out:
    return rc;
}

static void free_sig(lts_sig_result *s)
{
    char **strs[] = { &s->id, &s->format, &s->level, &s->signer, &s->signer_issuer,
                      &s->signer_serial, &s->digest_algorithm, &s->signature_algorithm };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        lts_free(*strs[i]);
    for (size_t i = 0; i < s->n_timestamps; i++) {
        lts_free(s->timestamps[i].kind);
        lts_free(s->timestamps[i].tsa);
        lts_free(s->timestamps[i].message);
        lts_free(s->timestamps[i].digest_algorithm);
        lts_buf_dispose(&s->timestamps[i].token);
    }
    lts_free(s->timestamps);
    for (size_t i = 0; i < s->n_messages; i++)
        lts_free(s->messages[i]);
    lts_free(s->messages);
    for (size_t i = 0; i < s->n_properties; i++)
        lts_free(s->properties[i]);
    lts_free(s->properties);
    lts_buf_dispose(&s->signer_cert);
    lts_free(s->profile);
    for (size_t i = 0; i < s->n_certs; i++)
        lts_buf_dispose(&s->certs[i]);
    lts_free(s->certs);
}

void lts_report_free(lts_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_sigs; i++)
        free_sig(&r->sigs[i]);
    lts_free(r->sigs);
    lts_free(r->file);
    lts_free(r);
}
