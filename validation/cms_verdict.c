/* The part of the CMS signer checks that CAdES and PAdES judge alike (EN 319 102-1
 * §5.2.3 identification of the signing certificate, §5.2.7 cryptographic verification). */
#define LTS_MODULE "validate"
#include "validation_int.h"

#include "core/err.h"

static const char *verdict(lts_cades_verdict v)
{
    return v == LTS_CADES_OK ? "OK" : v == LTS_CADES_BAD ? "FAILED" : "not checked";
}

/* see validation_int.h */
lts_status lts_validation__cms_signer(lts_sig_result *s, const lts_cades_signer_check *k,
                                      const char *where)
{
    lts_status rc = LTS_OK;
    if (k->signer_cert < 0) {
        lts_report__lower(&s->indication, &s->subindication, LTS_IND_INDETERMINATE,
                          LTS_SUB_NO_SIGNING_CERTIFICATE_FOUND);
        LTS_TRY(lts_report__msg(s, "signer certificate: not found in %s", where));
        goto out;
    }
    LTS_TRY(lts_report__msg(s, "signature value over the signed attributes: %s",
                            verdict(k->signature)));
    if (k->signature == LTS_CADES_BAD)
        lts_report__lower(&s->indication, &s->subindication, LTS_IND_TOTAL_FAILED,
                          LTS_SUB_SIG_CRYPTO_FAILURE);
    else if (k->signature == LTS_CADES_UNCHECKED)
        lts_report__lower(&s->indication, &s->subindication, LTS_IND_INDETERMINATE,
                          LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
    LTS_TRY(lts_report__msg(s, "signing-certificate%s attribute vs. the signer certificate: %s",
                            k->signing_cert_attr == 1 ? "" : "-v2", verdict(k->signing_cert)));
    if (k->signing_cert != LTS_CADES_OK)
        lts_report__lower(&s->indication, &s->subindication, LTS_IND_INDETERMINATE,
                          LTS_SUB_NO_SIGNING_CERTIFICATE_FOUND);
out:
    return rc;
}
