/* formats/xades/alg.c — algorithm URIs (XML DSig 1.1, RFC 6931), ECDSA value encoding and
 * the certificate identifiers of SigningCertificateV2. */
#define LTS_MODULE "xades"
#include "xades_int.h"

#include <limits.h>
#include <string.h>
#include <openssl/ecdsa.h>
#include "core/der.h"
#include "core/digest.h"
#include "core/err.h"

static const struct {
    lts_hash h;
    const char *uri;
} digests[] = {
    { LTS_HASH_SHA256, "http://www.w3.org/2001/04/xmlenc#sha256" },
    { LTS_HASH_SHA384, "http://www.w3.org/2001/04/xmldsig-more#sha384" },
    { LTS_HASH_SHA512, "http://www.w3.org/2001/04/xmlenc#sha512" },
    /* read only (never given by lts_xades__digest_uri): a reference or certificate digest
     * made with SHA-1 is judged by the policy's SHA-1 sunset (EN 319 102-1 §5.2.8,
     * TS 119 312), not called malformed */
    { LTS_HASH_SHA1, "http://www.w3.org/2000/09/xmldsig#sha1" },
};

static const struct {
    lts_scheme s;
    lts_hash h;
    const char *uri;
} sigs[] = {
    { LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA256, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" },
    { LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA384, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" },
    { LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA512, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" },
    { LTS_SCHEME_ECDSA, LTS_HASH_SHA256, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" },
    { LTS_SCHEME_ECDSA, LTS_HASH_SHA384, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" },
    { LTS_SCHEME_ECDSA, LTS_HASH_SHA512, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512" },
    /* read only (never chosen by lts_xades__sig_uri): old signatures are recognised so that
     * validation can judge them against the algorithm sunsets (EN 319 102-1 §5.2.8) rather
     * than call them malformed */
    { LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA1, "http://www.w3.org/2000/09/xmldsig#rsa-sha1" },
    { LTS_SCHEME_ECDSA, LTS_HASH_SHA1, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1" },
};

static const char *const c14ns[] = {
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
};

const char *lts_xades__digest_uri(lts_hash h)
{
    for (size_t i = 0; i < sizeof digests / sizeof digests[0]; i++)
        if (digests[i].h == h && h != LTS_HASH_SHA1)
            return digests[i].uri;
    return NULL;
}

lts_hash lts_xades__digest_from_uri(const char *uri)
{
    for (size_t i = 0; uri && i < sizeof digests / sizeof digests[0]; i++)
        if (strcmp(digests[i].uri, uri) == 0)
            return digests[i].h;
    return LTS_HASH_NONE;
}

const char *lts_xades__sig_uri(lts_sig_alg alg)
{
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigs[i].s == alg.scheme && sigs[i].h == alg.hash && alg.hash != LTS_HASH_SHA1)
            return sigs[i].uri;
    return NULL;
}

int lts_xades__sig_from_uri(const char *uri, lts_sig_alg *out)
{
    for (size_t i = 0; uri && i < sizeof sigs / sizeof sigs[0]; i++)
        if (strcmp(sigs[i].uri, uri) == 0) {
            out->scheme = sigs[i].s;
            out->hash = sigs[i].h;
            return 1;
        }
    return 0;
}

int lts_xades__is_c14n_uri(const char *uri)
{
    for (size_t i = 0; uri && i < sizeof c14ns / sizeof c14ns[0]; i++)
        if (strcmp(c14ns[i], uri) == 0)
            return 1;
    return 0;
}

int lts_xades__is_transform_uri(const char *uri)
{
    return lts_xades__is_c14n_uri(uri) ||
           (uri && (strcmp(uri, LTS_URI_ENVELOPED) == 0 || strcmp(uri, LTS_URI_BASE64) == 0));
}

lts_status lts_xades__ecdsa_der_to_raw(lts_span der, size_t flen, lts_buf *out)
{
    lts_status rc = LTS_OK;
    ECDSA_SIG *sig = NULL;
    const unsigned char *p = der.p;
    const BIGNUM *r = NULL, *s = NULL;

    LTS_ENSURE(flen > 0 && flen <= 132 && der.n <= LONG_MAX, LTS_E_INTERNAL, "bad ECDSA size");
    sig = d2i_ECDSA_SIG(NULL, &p, (long)der.n);
    LTS_ENSURE(sig != NULL && p == der.p + der.n, LTS_E_CRYPTO,
               "the signer returned a malformed ECDSA value");
    ECDSA_SIG_get0(sig, &r, &s);
    LTS_TRY(lts_buf_reserve(out, 2 * flen));
    LTS_OSSL(BN_bn2binpad(r, out->p + out->n, (int)flen) == (int)flen, "ECDSA r too large");
    LTS_OSSL(BN_bn2binpad(s, out->p + out->n + flen, (int)flen) == (int)flen,
             "ECDSA s too large");
    out->n += 2 * flen;
out:
    ECDSA_SIG_free(sig);
    return rc;
}

lts_status lts_xades__issuer_serial_v2(X509 *cert, lts_buf *out)
{
    lts_status rc = LTS_OK;
    unsigned char *name = NULL, *serial = NULL;
    int nlen, slen;
    lts_buf dn = LTS_BUF_INIT, gns = LTS_BUF_INIT;
    lts_span parts[2];

    nlen = i2d_X509_NAME(X509_get_issuer_name(cert), &name);
    LTS_OSSL(nlen > 0, "i2d_X509_NAME");
    slen = i2d_ASN1_INTEGER((ASN1_INTEGER *)X509_get0_serialNumber(cert), &serial);
    LTS_OSSL(slen > 0, "i2d_ASN1_INTEGER");
    /* GeneralName directoryName is [4] EXPLICIT Name; GeneralNames is a SEQUENCE OF. */
    parts[0] = lts_span_of(name, (size_t)nlen);
    LTS_TRY(lts_der__append_cons(&dn, LTS_DER_CTX_CONS(4), parts, 1));
    parts[0] = lts_buf_span(&dn);
    LTS_TRY(lts_der__append_cons(&gns, LTS_DER_SEQUENCE, parts, 1));
    parts[0] = lts_buf_span(&gns);
    parts[1] = lts_span_of(serial, (size_t)slen);
    LTS_TRY(lts_der__append_cons(out, LTS_DER_SEQUENCE, parts, 2));
out:
    OPENSSL_free(name);
    OPENSSL_free(serial);
    lts_buf_dispose(&dn);
    lts_buf_dispose(&gns);
    return rc;
}

lts_status lts_xades__cert_digest(X509 *cert, lts_hash h, uint8_t *out, size_t *outlen)
{
    lts_status rc = LTS_OK;
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    LTS_OSSL(n > 0, "i2d_X509");
    LTS_TRY(lts_digest__span(h, lts_span_of(der, (size_t)n), out, outlen));
out:
    OPENSSL_free(der);
    return rc;
}
