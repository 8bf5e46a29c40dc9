/* tests/fuzz/fuzz_crl.c — CRL checking (lts_vdata_crl_check).
 * Input: 1 mode byte, a length-prefixed certificate (DER), a length-prefixed issuer (DER),
 * then the CRL (DER or PEM). mode & 1: freshness checked at 2026-11-26T00:00Z + (mode >> 1) days,
 * else skipped (LTS_VDATA_NO_FRESHNESS). */
#include <openssl/err.h>
#include <ltsig/vdata.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    size_t n = size;
    lts_span cert, issuer, crl;
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
    crl.p = p;
    crl.n = n;
    memset(&info, 0, sizeof info);
    rc = lts_vdata_crl_check(crl, cert, issuer, now, &info);
    fz_note("check", rc);
    if (rc == LTS_OK && info.status != LTS_CERT_GOOD && info.status != LTS_CERT_REVOKED)
        abort();
    (void)lts_crl_reason_name(info.reason);
    ERR_clear_error();
    return 0;
}
