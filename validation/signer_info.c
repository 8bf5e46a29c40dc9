/* Signer identity for the reports: names in RFC 2253 text, issuer and serial.
 * Shared by the three format processes (see validation_int.h). */
#define LTS_MODULE "validate"
#include "validation_int.h"

#include <string.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include "core/err.h"
#include "core/mem.h"

/* RFC 2253 text of a name, into a new string (lts_free). */
lts_status lts_report__name_text(char **out, const X509_NAME *name)
{
    lts_status rc = LTS_OK;
    BIO *bio = NULL;
    char *p = NULL;
    long n;
    LTS_ALLOC(bio = BIO_new(BIO_s_mem()));
    LTS_OSSL(X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0, "X509_NAME_print_ex");
    n = BIO_get_mem_data(bio, &p);
    LTS_ALLOC(*out = lts_calloc(1, (size_t)n + 1));
    if (n > 0)
        memcpy(*out, p, (size_t)n);
out:
    BIO_free(bio);
    return rc;
}

lts_status lts_report__fill_signer(lts_sig_result *s, X509 *cert)
{
    lts_status rc = LTS_OK;
    BIGNUM *bn = NULL;
    char *hex = NULL;
    LTS_TRY(lts_report__name_text(&s->signer, X509_get_subject_name(cert)));
    LTS_TRY(lts_report__name_text(&s->signer_issuer, X509_get_issuer_name(cert)));
    LTS_OSSL((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL)) != NULL,
             "ASN1_INTEGER_to_BN");
    LTS_OSSL((hex = BN_bn2hex(bn)) != NULL, "BN_bn2hex");
    LTS_TRY(lts_report__set_str(&s->signer_serial, hex));
out:
    OPENSSL_free(hex);
    BN_free(bn);
    return rc;
}
