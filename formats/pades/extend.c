/* formats/pades: levels above B-B as incremental updates (EN 319 142-1 §6.3-6.5): document
 * time-stamps (ISO 32000-2 §12.8.5) and the DSS. see ltsig/pades.h */
#define LTS_MODULE "pades"
#include "pades_int.h"

#include <string.h>
#include <ltsig/cades.h>
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

static lts_status ts_fill(void *ctx, lts_hash h, lts_span digest, lts_buf *out)
{
    return lts_tsa_stamp((lts_tsa *)ctx, h, digest, out);
}

/* A document time-stamp revision over in_path. */
static lts_status doc_ts_stage(const char *in_path, const char *out_path, lts_hash hash,
                               lts_tsa *tsa, lts_afile *res)
{
    lts_status rc = LTS_OK;
    lts_pdf pdf;
    lts_pades_stage st;

    memset(&pdf, 0, sizeof pdf);
    pdf.fd = -1;
    memset(&st, 0, sizeof st);
    LTS_ENSURE(tsa != NULL, LTS_E_CONFIG, "a document time-stamp needs a timestamp authority");
    LTS_TRY(lts_pades__pdf_open(&pdf, in_path));
    st.doc_ts = 1;
    st.hash = hash;
    st.reserve = LTS_PADES_TS_RESERVE;
    st.fill = ts_fill;
    st.fill_ctx = tsa;
    LTS_TRY(lts_pades__sig_stage(&pdf, out_path, &st, res));
out:
    lts_pades__pdf_close(&pdf);
    return rc;
}

/* 1 when every signature of the PDF has a time-stamp: in its CMS, or a document
 * time-stamp after it. */
static lts_status has_ts(const char *path, int *yes)
{
    lts_status rc = LTS_OK;
    lts_pades_doc *d = NULL;
    lts_cades *c = NULL;
    uint64_t last_doc_ts = 0;
    size_t n;

    *yes = 1;
    LTS_TRY(lts_pades_open(&d, path));
    n = lts_pades_sig_count(d);
    LTS_ENSURE(n > 0, LTS_E_NOTFOUND, "%s: the PDF has no signature", path);
    for (size_t i = 0; i < n; i++) {
        const lts_pades_sig *s = lts_pades_sig_get(d, i);
        if (s->kind == LTS_PADES_DOC_TIMESTAMP && s->byte_range_ok &&
            s->revision_end > last_doc_ts)
            last_doc_ts = s->revision_end;
    }
    for (size_t i = 0; i < n && *yes; i++) {
        const lts_pades_sig *s = lts_pades_sig_get(d, i);
        int stamped = 0;
        if (s->kind != LTS_PADES_SIG || !s->byte_range_ok)
            continue;
        if (last_doc_ts > s->revision_end) {
            stamped = 1;
        } else {
            lts_status st = lts_cades_parse(&c, s->contents);
            if (st == LTS_E_NOMEM)
                LTS_TRY(st);
            /* an unreadable CMS counts as not stamped; the DSS stage names it */
            stamped = st == LTS_OK && lts_cades_timestamp_count(c, 0) > 0;
        }
        lts_error_clear();
        lts_cades_free(c);
        c = NULL;
        *yes = stamped;
    }
out:
    lts_cades_free(c);
    lts_pades_free(d);
    return rc;
}

/* Move a finished stage into *cur (aborting what *cur held). */
static void take(lts_afile *cur, lts_afile *next)
{
    lts_io__afile_abort(cur);
    *cur = *next;
    next->fd = -1;
    next->tmp = NULL;
    next->path = NULL;
}

lts_status lts_pades__extend_stages(const char *in_path, const char *out_path, lts_level level,
                                   lts_hash hash, lts_tsa *tsa, struct lts_vdata_source *vdata,
                                   const char *trust_file, const lts_clock *clock,
                                   lts_afile *res)
{
    lts_status rc = LTS_OK;
    lts_afile cur = LTS_AFILE_INIT, next = LTS_AFILE_INIT;
    int lt = level == LTS_LEVEL_B_LT || level == LTS_LEVEL_B_LTA || level == LTS_LEVEL_ES_A;
    int lta = level == LTS_LEVEL_B_LTA || level == LTS_LEVEL_ES_A;
    int have_ts = 0;

    if (hash == LTS_HASH_NONE)
        hash = LTS_HASH_SHA256;
    LTS_ENSURE(level == LTS_LEVEL_B_T || level == LTS_LEVEL_ES_T || lt, LTS_E_UNSUPPORTED,
               "PAdES cannot be extended to %s", lts_level_name(level));
    LTS_ENSURE(tsa != NULL || (lt && !lta), LTS_E_CONFIG,
               "PAdES level %s needs a timestamp authority", lts_level_name(level));
    LTS_ENSURE(!lt || vdata != NULL, LTS_E_CONFIG,
               "PAdES level %s needs validation data (online, or --vdata DIR)",
               lts_level_name(level));
    LTS_TRY(has_ts(in_path, &have_ts));
    if (!lt || !have_ts) {
        LTS_ENSURE(tsa != NULL, LTS_E_CONFIG, "%s: no time-stamp yet: a timestamp authority is "
                                              "needed", in_path);
        LTS_TRY(doc_ts_stage(in_path, out_path, hash, tsa, &next));
        take(&cur, &next);
    }
    if (lt) {
        LTS_TRY(lts_pades__dss_stage(cur.tmp ? cur.tmp : in_path, out_path, vdata, trust_file,
                                     clock, &next));
        take(&cur, &next);
    }
    if (lta) {
        LTS_TRY(doc_ts_stage(cur.tmp, out_path, hash, tsa, &next));
        take(&cur, &next);
    }
    *res = cur;
    cur.fd = -1;
    cur.tmp = NULL;
    cur.path = NULL;
out:
    lts_io__afile_abort(&next);
    lts_io__afile_abort(&cur);
    return rc;
}

lts_status lts_pades_extend(const char *in_path, const char *out_path,
                            const lts_pades_extend_opts *opts)
{
    lts_status rc = LTS_OK;
    lts_afile fin = LTS_AFILE_INIT;
    LTS_ENSURE(in_path && out_path && opts, LTS_E_CONFIG, "missing argument");
    LTS_ENSURE(opts->version >= 1, LTS_E_CONFIG, "PAdES options not initialised");
    LTS_ENSURE(strcmp(in_path, out_path) != 0, LTS_E_CONFIG,
               "%s: the output must not be the input", in_path);
    LTS_ENSURE(opts->hash != LTS_HASH_SHA1, LTS_E_UNSUPPORTED, "SHA-1 is not used to time-stamp");
    LTS_TRY(lts_pades__extend_stages(in_path, out_path, opts->level, opts->hash, opts->tsa,
                                     opts->vdata, opts->trust_file, opts->clock, &fin));
    LTS_TRY(lts_io__afile_commit(&fin));
out:
    lts_io__afile_abort(&fin);
    return rc;
}
