/* tests/fuzz/fuzz_cades.c — CMS / CAdES parsing and checking of any bytes as a .p7s.
 * Input: 1 mode byte, a length-prefixed content part, then the CMS (see fuzz_common.h).
 *   mode % 3 == 0: attached content only (lts_cades_check_signer with no options);
 *   mode % 3 == 1: detached, the content's SHA-256 given as the digest;
 *   mode % 3 == 2: detached, the content in a file (hashed in blocks).
 * Then every SignerInfo (at most 4) and every time-stamp of it (at most 4) is checked. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <ltsig/cades.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    size_t n = size;
    lts_span content, cms;
    lts_cades *c = NULL;
    lts_cades_check_opts o = LTS_CADES_CHECK_OPTS_INIT;
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int mode;

    if (size < 1)
        return 0;
    mode = data[0] % 3;
    p++;
    n--;
    fz_take(&p, &n, &content);
    cms.p = p;
    cms.n = n;
    if (mode == 1 && EVP_Digest(content.p, content.n, md, &mdlen, EVP_sha256(), NULL) == 1) {
        o.digest.p = md;
        o.digest.n = mdlen;
    } else if (mode == 2) {
        o.detached_path = fz_write_tmp(".bin", content.p, content.n);
    }
    if (lts_cades_parse(&c, cms) == LTS_OK) {
        size_t ns = lts_cades_signer_count(c);
        (void)lts_cades_has_content(c);
        (void)lts_cades_revocation_count(c);
        for (size_t i = 0; i < lts_cades_cert_count(c) && i < 16; i++)
            (void)lts_cades_cert(c, i);
        for (size_t i = 0; i < ns && i < 4; i++) {
            lts_cades_signer_check k;
            size_t nt = lts_cades_timestamp_count(c, i);
            fz_note("lts_cades_check_signer", lts_cades_check_signer(c, i, mode ? &o : NULL, &k));
            if (getenv("LTS_FUZZ_DEBUG"))
                fprintf(stderr, "  md=%d sig=%d cert=%d %s\n", k.message_digest, k.signature,
                        k.signing_cert, k.detail);
            (void)lts_cades_unsigned_attr_count(c, i, "1.2.840.113549.1.9.16.2.14");
            for (size_t t = 0; t < nt && t < 4; t++) {
                lts_cades_ts_check tc;
                memset(&tc, 0, sizeof tc);
                if (lts_cades_check_timestamp(c, i, t, &tc) == LTS_OK)
                    lts_cades_ts_check_dispose(&tc);
            }
        }
        /* out-of-range indexes are refused, not read */
        {
            lts_cades_signer_check k;
            if (lts_cades_check_signer(c, ns, NULL, &k) == LTS_OK)
                abort();
        }
    }
    lts_cades_free(c);
    ERR_clear_error();
    return 0;
}
