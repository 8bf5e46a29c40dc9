/* tests/fuzz/fuzz_xades.c — XAdES verification of an XML document: the input is written
 * to a scratch .xml file and checked with lts_xades_check_file (structure, references,
 * signature value, time-stamps), then validated with lts_validate_file, offline, now,
 * with the seed PKI's root (tests/fuzz/trust-root.pem) as the only trust anchor. */
#include <openssl/err.h>
#include <ltsig/validate.h>
#include <ltsig/xades.h>
#include <ltsig/report.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_tmp(".xml", data, size);
    lts_xades_check *k = NULL;
    size_t nk = 0;
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    lts_report *r = NULL;

    if (!path)
        return 0;
    if (lts_xades_check_file(path, NULL, &k, &nk) == LTS_OK)
        lts_xades_checks_free(k, nk);
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
