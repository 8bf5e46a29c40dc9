/* tests/fuzz/fuzz_tsa.c — RFC 3161 response checking (lts_tsa__check_resp) against a
 * fixed request. Input: a length-prefixed DER TimeStampReq (the seeds carry the request
 * their response answers; an unparsable one falls back to a fixed SHA-256 request with a
 * nonce), then the DER TimeStampResp. No trust store: the chain check is the only part
 * skipped. A token handed out must be the bytes of a CMS SignedData (checked again here). */
#include <openssl/err.h>
#include <openssl/ts.h>
#include <ltsig/cades.h>
#include "tsa_int.h"
#include "fuzz_common.h"

static TS_REQ *fixed_req(void)
{
    static const uint8_t digest[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
                                        31, 32 };
    TS_REQ *r = NULL;
    lts_span d = { digest, sizeof digest };
    if (lts_tsa__req_new(&r, LTS_HASH_SHA256, d, NULL) != LTS_OK)
        return NULL;
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    size_t n = size;
    lts_span reqder, resp;
    const unsigned char *q;
    TS_REQ *req = NULL;
    lts_buf token = LTS_BUF_INIT;

    fz_take(&p, &n, &reqder);
    resp.p = p;
    resp.n = n;
    q = reqder.p;
    if (reqder.n)
        req = d2i_TS_REQ(NULL, &q, (long)reqder.n);
    if (!req)
        req = fixed_req();
    if (req) {
        lts_status rc = lts_tsa__check_resp(req, resp, NULL, &token);
        fz_note("lts_tsa__check_resp", rc);
        if (rc == LTS_OK) {
            lts_cades *c = NULL;
            /* what the client accepted must parse as CMS */
            if (token.n == 0 || lts_cades_parse(&c, lts_buf_span(&token)) != LTS_OK)
                abort();
            lts_cades_free(c);
        } else if (token.n != 0) {
            abort(); /* a refused response leaves the token empty */
        }
    }
    lts_buf_dispose(&token);
    TS_REQ_free(req);
    ERR_clear_error();
    return 0;
}
