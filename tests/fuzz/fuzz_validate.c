/* tests/fuzz/fuzz_validate.c — the top-level entry for a whole file: the input is written to
 * a scratch file and given to lts_validate_file (format detection, then the CAdES, XAdES or
 * PAdES process: signature, time-stamps, embedded validation data, chain), offline, now,
 * with tests/fuzz/trust-root.pem as the only anchor; the report is rendered as JSON, text
 * and XML. The seeds are mostly CAdES (fuzz_xades and fuzz_pades cover the other two). */
#include <openssl/err.h>
#include <ltsig/report.h>
#include <ltsig/validate.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_tmp(".sig", data, size);
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    lts_report *r = NULL;
    lts_status rc;

    if (!path)
        return 0;
    o.offline = 1;
    o.timeout_s = 1;
    o.trust = LTS_FUZZ_TRUST;
    rc = lts_validate_file(path, &o, &r);
    fz_note("lts_validate_file", rc);
    if ((rc == LTS_OK) != (r != NULL))
        abort(); /* a report exactly when the call succeeded */
    if (r) {
        fz_report(r);
        lts_report_free(r);
    }
    ERR_clear_error();
    return 0;
}
