/* tests/fuzz/fuzz_pades.c — PDF signature extraction and verification: the input is
 * written to a scratch .pdf file; lts_pades_open finds the signatures (every /ByteRange
 * checked), each acceptable one is digested and its /Contents parsed as CMS, then the
 * whole file goes through lts_validate_file, offline, now, with
 * tests/fuzz/trust-root.pem (the seed PKI's root) as the only trust anchor. */
#include <openssl/err.h>
#include <ltsig/cades.h>
#include <ltsig/pades.h>
#include <ltsig/validate.h>
#include <ltsig/report.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_tmp(".pdf", data, size);
    lts_pades_doc *doc = NULL;
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    lts_report *r = NULL;

    if (!path)
        return 0;
    if (lts_pades_open(&doc, path) == LTS_OK) {
        size_t n = lts_pades_sig_count(doc);
        uint64_t off = 0;
        (void)lts_pades_has_dss(doc, &off);
        for (size_t i = 0; i < n && i < 8; i++) {
            const lts_pades_sig *s = lts_pades_sig_get(doc, i);
            uint8_t md[LTS_HASH_MAX];
            size_t mdlen = 0;
            lts_cades *c = NULL;
            if (!s)
                abort();
            if (s->byte_range_ok) {
                if (s->contents.n > size)
                    abort(); /* /Contents lies inside the file */
                lts_status rc = lts_pades_digest(path, s, LTS_HASH_SHA256, md, &mdlen);
                if (rc == LTS_OK && mdlen != 32)
                    abort();
            } else if (lts_pades_digest(path, s, LTS_HASH_SHA256, md, &mdlen) == LTS_OK) {
                abort(); /* a refused /ByteRange is never digested */
            }
            if (lts_cades_parse(&c, s->contents) == LTS_OK)
                lts_cades_free(c);
        }
        lts_pades_free(doc);
    }
    o.offline = 1;
    o.trust = LTS_FUZZ_TRUST;
    o.timeout_s = 1;
    fz_note("lts_validate_file", lts_validate_file(path, &o, &r));
    if (r) {
        fz_report(r);
        lts_report_free(r);
    }
    ERR_clear_error();
    return 0;
}
