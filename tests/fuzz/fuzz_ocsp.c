/* tests/fuzz/fuzz_ocsp.c — OCSP response checking (lts_vdata_ocsp_check).
 * Input: 1 mode byte, a length-prefixed certificate (DER), a length-prefixed issuer (DER),
 * then the DER OCSPResponse. mode & 1: freshness checked at 2026-11-26T00:00Z + (mode >> 1) days,
 * else skipped (LTS_VDATA_NO_FRESHNESS) so the deepest checks are reached. */
#include <openssl/err.h>
#include <ltsig/vdata.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    size_t n = size;
    lts_span cert, issuer, resp;
    lts_revocation_info info;
    lts_time now;
    lts_status rc;

    if (size < 1)
        return 0;
    now = (data[0] & 1) ? (lts_time)1795651200 + (lts_time)(data[0] >> 1) * 86400
                         : LTS_VDATA_NO_FRESHNESS;
    p++;
    n--;
    fz_take(&p, &n, &cert);
    fz_take(&p, &n, &issuer);
    resp.p = p;
    resp.n = n;
    memset(&info, 0x5a, sizeof info);
    rc = lts_vdata_ocsp_check(resp, cert, issuer, now, &info);
    fz_note("check", rc);
    /* the header: a failed check leaves LTS_CERT_UNKNOWN */
    if (rc != LTS_OK && info.status != LTS_CERT_UNKNOWN)
        abort();
    if (rc == LTS_OK && info.status != LTS_CERT_GOOD && info.status != LTS_CERT_REVOKED &&
        info.status != LTS_CERT_UNKNOWN)
        abort();
    (void)lts_crl_reason_name(info.reason);
    ERR_clear_error();
    return 0;
}
