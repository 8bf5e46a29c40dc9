/* see ltsig/xades.h — checking ds:Signature elements (EN 319 102-1 §5.2.3 identification
 * of the signing certificate, §5.2.7 cryptographic verification; XAdES structure per
 * EN 319 132-1). Trust is judged by validation/. */
#define LTS_MODULE "xades"
#include "xades_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/keys.h>
#include <xmlsec/nodeset.h>
#include <xmlsec/transforms.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <openssl/x509v3.h>
#include "core/codec.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

typedef struct {
    xmlDocPtr doc;
    const lts_xml_ids *dups;
    const char *detached;
    xmlNodePtr sig, si, sv, ki, qp, sp;
    STACK_OF(X509) *certs;
    X509 *signer; /* borrowed from certs */
    lts_xades_check *res;
    const lts_xades_stream *st; /* the light tree's stream (URI="" digest), or NULL */
} checker;

static lts_status note(lts_xades_check *r, const char *fmt, ...) LTS_PRINTF(2, 3);
static lts_status note(lts_xades_check *r, const char *fmt, ...)
{
    lts_status rc = LTS_OK;
    char line[512];
    char **nv = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    LTS_ALLOC(nv = lts_realloc(r->notes, (r->n_notes + 1) * sizeof *nv));
    r->notes = nv;
    LTS_ALLOC(r->notes[r->n_notes] = lts_strdup(line));
    r->n_notes++;
out:
    return rc;
}

/* Record a problem (the first one is kept in r->problem) and a note. */
static lts_status problem(lts_xades_check *r, const char *fmt, ...) LTS_PRINTF(2, 3);
static lts_status problem(lts_xades_check *r, const char *fmt, ...)
{
    lts_status rc = LTS_OK;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (r->problem == NULL)
        LTS_ALLOC(r->problem = lts_strdup(line));
    LTS_TRY(note(r, "%s", line));
out:
    return rc;
}

#define FORMAT_FAIL(...)                                                                  \
    do {                                                                                  \
        c->res->format_ok = 0;                                                            \
        LTS_TRY(problem(c->res, __VA_ARGS__));                                            \
        goto out;                                                                         \
    } while (0)

/* Base64 text of n into out; *ok = 0 when n is NULL or not base64 (a verdict), a failure
 * status only when memory ran out. */
static lts_status b64_text(xmlNodePtr n, lts_buf *out, int *ok)
{
    lts_status rc = LTS_OK, st;
    lts_buf t = LTS_BUF_INIT;
    *ok = 0;
    if (n == NULL)
        goto out;
    LTS_TRY(lts_xades__text(n, &t));
    st = lts_b64__decode(out, (const char *)t.p, t.n);
    if (st == LTS_E_NOMEM)
        LTS_TRY(st);
    if (st != LTS_OK)
        lts_error_clear();
    *ok = st == LTS_OK;
out:
    lts_buf_dispose(&t);
    return rc;
}

/* ds:Signature's children: SignedInfo, SignatureValue, KeyInfo?, Object* (XML DSig §4). */
static lts_status read_structure(checker *c)
{
    lts_status rc = LTS_OK;
    xmlNodePtr n = lts_xades__first_el(c->sig);
    const char *alg;
    lts_sig_alg sa;

    if (!lts_xades__is(n, "SignedInfo", LTS_NS_DS))
        FORMAT_FAIL("ds:Signature does not start with ds:SignedInfo");
    c->si = n;
    n = lts_xades__next_el(n);
    if (!lts_xades__is(n, "SignatureValue", LTS_NS_DS))
        FORMAT_FAIL("ds:SignedInfo is not followed by ds:SignatureValue");
    c->sv = n;
    n = lts_xades__next_el(n);
    if (lts_xades__is(n, "KeyInfo", LTS_NS_DS)) {
        c->ki = n;
        n = lts_xades__next_el(n);
    }
    for (; n; n = lts_xades__next_el(n)) {
        if (!lts_xades__is(n, "Object", LTS_NS_DS))
            FORMAT_FAIL("unexpected element %s in ds:Signature", (const char *)n->name);
    }
    n = lts_xades__first_el(c->si);
    if (!lts_xades__is(n, "CanonicalizationMethod", LTS_NS_DS) ||
        !lts_xades__is_c14n_uri(lts_xades__attr(n, "Algorithm")))
        FORMAT_FAIL("missing or unsupported ds:CanonicalizationMethod");
    n = lts_xades__next_el(n);
    if (!lts_xades__is(n, "SignatureMethod", LTS_NS_DS) ||
        (alg = lts_xades__attr(n, "Algorithm")) == NULL)
        FORMAT_FAIL("missing ds:SignatureMethod");
    if (!lts_xades__sig_from_uri(alg, &sa))
        FORMAT_FAIL("unsupported SignatureMethod %s", alg);
    c->res->hash = sa.hash;
    c->res->scheme = sa.scheme;
    for (n = lts_xades__next_el(n); n; n = lts_xades__next_el(n))
        if (!lts_xades__is(n, "Reference", LTS_NS_DS))
            FORMAT_FAIL("unexpected element %s in ds:SignedInfo", (const char *)n->name);
out:
    return rc;
}

/* Every ds:X509Certificate of ds:KeyInfo. */
static lts_status read_certs(checker *c)
{
    lts_status rc = LTS_OK;
    lts_buf der = LTS_BUF_INIT;
    X509 *x = NULL;
    lts_buf *nv;
    int ok;

    if (c->ki == NULL)
        goto out;
    for (xmlNodePtr d = lts_xades__first_el(c->ki); d; d = lts_xades__next_el(d)) {
        if (!lts_xades__is(d, "X509Data", LTS_NS_DS))
            continue;
        for (xmlNodePtr e = lts_xades__first_el(d); e; e = lts_xades__next_el(e)) {
            const unsigned char *p;
            if (!lts_xades__is(e, "X509Certificate", LTS_NS_DS))
                continue;
            der.n = 0;
            LTS_TRY(b64_text(e, &der, &ok));
            if (!ok)
                FORMAT_FAIL("a ds:X509Certificate is not base64");
            p = der.p;
            x = d2i_X509(NULL, &p, (long)der.n);
            if (x == NULL || p != der.p + der.n) {
                ERR_clear_error();
                FORMAT_FAIL("a ds:X509Certificate is not a DER certificate");
            }
            LTS_ALLOC(sk_X509_push(c->certs, x) > 0 ? c->certs : NULL);
            x = NULL;
            LTS_ALLOC(nv = lts_realloc(c->res->certs, (c->res->n_certs + 1) * sizeof *nv));
            c->res->certs = nv;
            nv[c->res->n_certs] = der;
            c->res->n_certs++;
            memset(&der, 0, sizeof der);
        }
    }
out:
    X509_free(x);
    lts_buf_dispose(&der);
    return rc;
}

/* Append the base64 DER values of the children named `name` of parent to *arr. */
static lts_status read_values(xmlNodePtr parent, const char *name, lts_buf **arr, size_t *n)
{
    lts_status rc = LTS_OK;
    lts_buf der = LTS_BUF_INIT, *nv;
    int ok;
    for (xmlNodePtr e = lts_xades__first_el(parent); e; e = lts_xades__next_el(e)) {
        if (!lts_xades__is(e, name, LTS_NS_XADES))
            continue;
        der.n = 0;
        LTS_TRY(b64_text(e, &der, &ok));
        if (!ok)
            continue; /* unusable validation data: as if absent */
        LTS_ALLOC(nv = lts_realloc(*arr, (*n + 1) * sizeof *nv));
        *arr = nv;
        nv[*n] = der;
        (*n)++;
        memset(&der, 0, sizeof der);
    }
out:
    lts_buf_dispose(&der);
    return rc;
}

/* B-LT values: CertificateValues join the certificate pool; revocation values are kept for
 * the validation. */
static lts_status read_ltv(checker *c, xmlNodePtr usp)
{
    lts_status rc = LTS_OK;
    xmlNodePtr cv = lts_xades__child(usp, "CertificateValues", LTS_NS_XADES);
    xmlNodePtr rv = lts_xades__child(usp, "RevocationValues", LTS_NS_XADES);
    if (cv)
        LTS_TRY(read_values(cv, "EncapsulatedX509Certificate", &c->res->certs, &c->res->n_certs));
    if (rv && lts_xades__child(rv, "OCSPValues", LTS_NS_XADES))
        LTS_TRY(read_values(lts_xades__child(rv, "OCSPValues", LTS_NS_XADES),
                            "EncapsulatedOCSPValue", &c->res->ocsps, &c->res->n_ocsps));
    if (rv && lts_xades__child(rv, "CRLValues", LTS_NS_XADES))
        LTS_TRY(read_values(lts_xades__child(rv, "CRLValues", LTS_NS_XADES),
                            "EncapsulatedCRLValue", &c->res->crls, &c->res->n_crls));
out:
    return rc;
}

/* xades:QualifyingProperties (1.3.2) targeting this signature, its SignedProperties, the
 * level, and SigningTime. */
static lts_status read_qualifying(checker *c)
{
    lts_status rc = LTS_OK;
    lts_buf v = LTS_BUF_INIT;
    const char *level = "XMLDSig", *target, *sid;
    xmlNodePtr n, ssp, usp = NULL;

    for (xmlNodePtr o = lts_xades__first_el(c->sig); o; o = lts_xades__next_el(o)) {
        if (!lts_xades__is(o, "Object", LTS_NS_DS))
            continue;
        for (n = lts_xades__first_el(o); n; n = lts_xades__next_el(n)) {
            if (!lts_xades__is(n, "QualifyingProperties", LTS_NS_XADES))
                continue;
            if (c->qp)
                FORMAT_FAIL("more than one xades:QualifyingProperties");
            c->qp = n;
        }
    }
    if (c->qp == NULL)
        goto done;
    level = "B-B";
    target = lts_xades__attr(c->qp, "Target");
    sid = lts_xades__attr(c->sig, "Id");
    if (target == NULL || sid == NULL || target[0] != '#' || strcmp(target + 1, sid) != 0)
        FORMAT_FAIL("xades:QualifyingProperties/@Target does not name this ds:Signature");
    c->sp = lts_xades__child(c->qp, "SignedProperties", LTS_NS_XADES);
    if (c->sp == NULL)
        FORMAT_FAIL("xades:SignedProperties is missing");
    ssp = lts_xades__child(c->sp, "SignedSignatureProperties", LTS_NS_XADES);
    n = ssp ? lts_xades__child(ssp, "SigningTime", LTS_NS_XADES) : NULL;
    if (n) {
        LTS_TRY(lts_xades__text(n, &v));
        if (lts_time_parse_rfc3339(&c->res->signing_time, (const char *)v.p) != LTS_OK) {
            lts_error_clear();
            FORMAT_FAIL("xades:SigningTime '%s' is not an xsd:dateTime", (const char *)v.p);
        }
        c->res->has_signing_time = 1;
    }
    n = lts_xades__child(c->qp, "UnsignedProperties", LTS_NS_XADES);
    usp = n ? lts_xades__child(n, "UnsignedSignatureProperties", LTS_NS_XADES) : NULL;
    if (usp && lts_xades__child(usp, "SignatureTimeStamp", LTS_NS_XADES)) {
        level = "B-T";
        int refs = lts_xades__child(usp, "CompleteCertificateRefs", LTS_NS_XADES) &&
                   lts_xades__child(usp, "CompleteRevocationRefs", LTS_NS_XADES);
        if (lts_xades__child(usp, "CertificateValues", LTS_NS_XADES) &&
            lts_xades__child(usp, "RevocationValues", LTS_NS_XADES))
            level = refs ? "ES-XL" : "B-LT";
        if (lts_xades__child(usp, "ArchiveTimeStamp", LTS_NS_XADES141) ||
            lts_xades__child(usp, "ArchiveTimeStamp", LTS_NS_XADES))
            level = refs ? "ES-A" : "B-LTA";
    }
    if (usp) {
        LTS_TRY(read_ltv(c, usp));
        LTS_TRY(lts_xades__check_sig_timestamps(usp, c->sv, c->res));
        LTS_TRY(lts_xades__check_archive_timestamps(c->sig, usp, c->detached, c->res));
    }
done:
    LTS_ALLOC(c->res->level = lts_strdup(level));
out:
    lts_buf_dispose(&v);
    return rc;
}

/* The Id a same-document URI names: "#x" or "#xpointer(id('x'))"; NULL for "" and
 * "#xpointer(/)" (the whole document). */
static lts_status uri_id(const char *uri, lts_buf *out, int *has)
{
    lts_status rc = LTS_OK;
    const char *p;
    size_t n;
    out->n = 0;
    *has = 0;
    if (uri[0] != '#' || strcmp(uri, "#xpointer(/)") == 0)
        goto out;
    p = uri + 1;
    n = strlen(p);
    if (strncmp(p, "xpointer(id(", 12) == 0 && n > 16 && strcmp(p + n - 3, "'))") == 0 &&
        (p[12] == '\'' )) {
        p += 13;
        n -= 16;
    }
    LTS_TRY(lts_buf_append(out, p, n));
    LTS_TRY(lts_buf_nul(out));
    *has = 1;
out:
    return rc;
}

/* Keep the weakest reference digest algorithm for the policy (SHA-1 is the weakest). */
static int hash_rank(lts_hash h)
{
    switch (h) {
    case LTS_HASH_SHA1: return 1;
    case LTS_HASH_SHA256: return 2;
    case LTS_HASH_SHA384: return 3;
    case LTS_HASH_SHA512: return 4;
    default: return 5;
    }
}

static void note_ref_hash(lts_xades_check *r, lts_hash h)
{
    if (r->ref_hash == LTS_HASH_NONE || hash_rank(h) < hash_rank(r->ref_hash))
        r->ref_hash = h;
}

/* An external reference, checked against the detached content (no transforms). */
static lts_status check_external(checker *c, xmlNodePtr ref, const char *uri, int *ok)
{
    lts_status rc = LTS_OK;
    lts_buf want = LTS_BUF_INIT;
    xmlNodePtr dm = lts_xades__child(ref, "DigestMethod", LTS_NS_DS);
    uint8_t md[LTS_HASH_MAX];
    size_t mdlen = 0;
    lts_hash h;
    int b64ok;

    *ok = 0;
    if (lts_xades__child(ref, "Transforms", LTS_NS_DS))
        FORMAT_FAIL("transforms on the external reference '%s' are not supported", uri);
    if ((h = lts_xades__digest_from_uri(lts_xades__attr(dm, "Algorithm"))) == LTS_HASH_NONE)
        FORMAT_FAIL("reference '%s': missing or unsupported DigestMethod", uri);
    LTS_TRY(b64_text(lts_xades__child(ref, "DigestValue", LTS_NS_DS), &want, &b64ok));
    if (!b64ok)
        FORMAT_FAIL("reference '%s': DigestValue is not base64", uri);
    note_ref_hash(c->res, h);
    LTS_TRY(lts_digest__file(h, c->detached, NULL, 0, md, &mdlen));
    *ok = want.n == mdlen && CRYPTO_memcmp(want.p, md, mdlen) == 0;
    LTS_TRY(note(c->res, "external reference '%s' checked against %s: %s", uri, c->detached,
                 *ok ? "digest matches" : "DIGEST DIFFERS"));
out:
    lts_buf_dispose(&want);
    return rc;
}

/* Every ds:Reference of SignedInfo; the one to SignedProperties must exist and point at
 * this signature's SignedProperties element (not another element with the same Id). */
static lts_status check_references(checker *c)
{
    lts_status rc = LTS_OK;
    lts_buf id = LTS_BUF_INIT;
    const char *uri, *alg;
    int sp_covered = 0, n_ext = 0, ok;

    for (xmlNodePtr ref = lts_xades__next_el(lts_xades__child(c->si, "SignatureMethod", LTS_NS_DS));
         ref; ref = lts_xades__next_el(ref)) {
        xmlNodePtr ts = lts_xades__child(ref, "Transforms", LTS_NS_DS);
        int external = 0;
        if ((uri = lts_xades__attr(ref, "URI")) == NULL) {
            uri = "(no URI)";
            external = 1;
        } else if (uri[0] != '\0' && uri[0] != '#') {
            external = 1;
        }
        for (xmlNodePtr t = lts_xades__first_el(ts); t; t = lts_xades__next_el(t))
            if (!lts_xades__is_transform_uri(alg = lts_xades__attr(t, "Algorithm")))
                FORMAT_FAIL("reference '%s': transform %s is not accepted", uri,
                            alg ? alg : "?");
        if (external) {
            n_ext++;
            if (c->detached == NULL || n_ext > 1) {
                c->res->data_found = 0;
                LTS_TRY(problem(c->res, "the signed data of reference '%s' is not available "
                                        "(give it with --detached-content)", uri));
                continue;
            }
            LTS_TRY(check_external(c, ref, uri, &ok));
            if (!c->res->format_ok)
                goto out;
        } else {
            int has_id;
            lts_hash h = lts_xades__digest_from_uri(
                lts_xades__attr(lts_xades__child(ref, "DigestMethod", LTS_NS_DS), "Algorithm"));
            if (h == LTS_HASH_NONE)
                FORMAT_FAIL("reference '%s': missing or unsupported DigestMethod", uri);
            note_ref_hash(c->res, h);
            LTS_TRY(uri_id(uri, &id, &has_id));
            if (has_id) {
                xmlAttrPtr a;
                if (lts_xades__ids_has(c->dups, (const char *)id.p))
                    FORMAT_FAIL("the Id '%s' occurs more than once in the document (signature "
                                "wrapping?)", (const char *)id.p);
                a = xmlGetID(c->doc, id.p);
                if (a == NULL)
                    FORMAT_FAIL("reference '%s': no element has this Id", uri);
                if (c->sp && a->parent == c->sp)
                    sp_covered = 1;
            }
            if (c->st && uri[0] == '\0') {
                /* the enveloped reference, digested while streaming (see light_enough) */
                int b64ok = 0;
                LTS_TRY(b64_text(lts_xades__child(ref, "DigestValue", LTS_NS_DS), &id, &b64ok));
                ok = b64ok && id.n == c->st->mdlen &&
                     CRYPTO_memcmp(id.p, c->st->md, id.n) == 0;
                id.n = 0;
            } else if ((rc = lts_xades__reference(ref, 0, &ok)) != LTS_OK) {
                const char *m = lts_error_last()->message;
                if (rc == LTS_E_NOMEM)
                    goto out;
                rc = LTS_OK;
                c->res->format_ok = 0;
                LTS_TRY(problem(c->res, "%s", m));
                lts_error_clear();
                goto out;
            }
            LTS_TRY(note(c->res, "reference '%s': %s", uri,
                         ok ? "digest matches" : "DIGEST DIFFERS"));
        }
        if (!ok && c->res->refs_ok) {
            c->res->refs_ok = 0;
            LTS_ALLOC(c->res->bad_ref = lts_strdup(uri));
            LTS_TRY(problem(c->res, "the digest of reference '%s' does not match",
                            uri));
        }
    }
    if (c->sp && !sp_covered)
        FORMAT_FAIL("xades:SignedProperties is not covered by a ds:Reference");
out:
    lts_buf_dispose(&id);
    return rc;
}

/* SigningCertificateV2 (or SigningCertificate) Cert[1]: CertDigest against the KeyInfo
 * certificates, then IssuerSerialV2. Without XAdES properties: the one end-entity
 * certificate of ds:KeyInfo. */
static lts_status find_signer(checker *c)
{
    lts_status rc = LTS_OK;
    lts_buf want = LTS_BUF_INIT, isv2 = LTS_BUF_INIT, mine = LTS_BUF_INIT;
    xmlNodePtr ssp, scv, cert = NULL, cd, dm;
    uint8_t md[LTS_HASH_MAX];
    size_t mdlen;
    lts_hash h;
    int v2 = 1, ok;

    if (c->sp == NULL) {
        int leaves = 0;
        for (int i = 0; i < sk_X509_num(c->certs); i++) {
            X509 *x = sk_X509_value(c->certs, i);
            int issues_other = 0;
            for (int j = 0; j < sk_X509_num(c->certs); j++)
                if (i != j && X509_check_issued(x, sk_X509_value(c->certs, j)) == X509_V_OK)
                    issues_other = 1;
            if (!issues_other) {
                leaves++;
                c->signer = x;
            }
        }
        if (leaves != 1) {
            c->signer = NULL;
            LTS_TRY(problem(c->res, "no SigningCertificate and ds:KeyInfo does not name one "
                                    "end-entity certificate"));
        } else {
            LTS_TRY(note(c->res, "no XAdES properties: the signer is the end-entity certificate "
                                 "of ds:KeyInfo"));
        }
        goto out;
    }
    ssp = lts_xades__child(c->sp, "SignedSignatureProperties", LTS_NS_XADES);
    scv = ssp ? lts_xades__child(ssp, "SigningCertificateV2", LTS_NS_XADES) : NULL;
    if (scv == NULL && ssp && (scv = lts_xades__child(ssp, "SigningCertificate", LTS_NS_XADES)))
        v2 = 0;
    cert = scv ? lts_xades__child(scv, "Cert", LTS_NS_XADES) : NULL;
    cd = cert ? lts_xades__child(cert, "CertDigest", LTS_NS_XADES) : NULL;
    dm = cd ? lts_xades__child(cd, "DigestMethod", LTS_NS_DS) : NULL;
    if (dm == NULL) {
        LTS_TRY(problem(c->res, "no xades:SigningCertificateV2/Cert/CertDigest"));
        goto out;
    }
    if ((h = lts_xades__digest_from_uri(lts_xades__attr(dm, "Algorithm"))) == LTS_HASH_NONE)
        FORMAT_FAIL("unsupported CertDigest DigestMethod");
    LTS_TRY(b64_text(lts_xades__child(cd, "DigestValue", LTS_NS_DS), &want, &ok));
    if (!ok)
        FORMAT_FAIL("CertDigest/DigestValue is not base64");
    for (int i = 0; i < sk_X509_num(c->certs) && c->signer == NULL; i++) {
        LTS_TRY(lts_xades__cert_digest(sk_X509_value(c->certs, i), h, md, &mdlen));
        if (want.n == mdlen && memcmp(want.p, md, mdlen) == 0)
            c->signer = sk_X509_value(c->certs, i);
    }
    if (c->signer == NULL) {
        LTS_TRY(problem(c->res, "no certificate in ds:KeyInfo matches the CertDigest of "
                                "SigningCertificate%s", v2 ? "V2" : ""));
        goto out;
    }
    if (v2 && lts_xades__child(cert, "IssuerSerialV2", LTS_NS_XADES)) {
        LTS_TRY(b64_text(lts_xades__child(cert, "IssuerSerialV2", LTS_NS_XADES), &isv2, &ok));
        if (!ok)
            FORMAT_FAIL("IssuerSerialV2 is not base64");
        LTS_TRY(lts_xades__issuer_serial_v2(c->signer, &mine));
        if (!lts_span_eq(lts_buf_span(&isv2), lts_buf_span(&mine))) {
            c->signer = NULL;
            LTS_TRY(problem(c->res, "IssuerSerialV2 does not match the certificate of CertDigest"));
            goto out;
        }
    }
    LTS_TRY(note(c->res, "signing certificate identified by SigningCertificate%s",
                 v2 ? "V2" : " (v1)"));
out:
    lts_buf_dispose(&want);
    lts_buf_dispose(&isv2);
    lts_buf_dispose(&mine);
    return rc;
}

/* SignatureValue through xmlsec: C14N(SignedInfo) into the SignatureMethod transform,
 * keyed with the signing certificate's public key. */
static lts_status check_signature_value(checker *c, int *ok)
{
    lts_status rc = LTS_OK;
    xmlSecTransformCtx ctx;
    int have_ctx = 0;
    xmlSecTransformPtr sm;
    xmlSecKeyPtr key = NULL;
    xmlSecKeyDataPtr kd = NULL;
    xmlSecKeyReq req;
    xmlSecNodeSetPtr ns = NULL;
    EVP_PKEY *pk = NULL;
    lts_xml_quiet q;

    *ok = 0;
    lts_xades__quiet_begin(&q);
    LTS_ENSURE(xmlSecKeyReqInitialize(&req) >= 0, LTS_E_NOMEM, "xmlSecKeyReqInitialize");
    LTS_ENSURE(xmlSecTransformCtxInitialize(&ctx) >= 0, LTS_E_NOMEM, "xmlSecTransformCtx");
    have_ctx = 1;
    LTS_OSSL((pk = X509_get_pubkey(c->signer)) != NULL, "X509_get_pubkey");
    LTS_ALLOC(kd = xmlSecOpenSSLEvpKeyAdopt(pk));
    pk = NULL;
    LTS_ALLOC(key = xmlSecKeyCreate());
    LTS_ENSURE(xmlSecKeySetValue(key, kd) >= 0, LTS_E_NOMEM, "xmlSecKeySetValue");
    kd = NULL;
    if (xmlSecTransformCtxNodeRead(&ctx, lts_xades__child(c->si, "CanonicalizationMethod",
                                                          LTS_NS_DS),
                                   xmlSecTransformUsageC14NMethod) == NULL)
        LTS_FAIL(LTS_E_INPUT, "bad CanonicalizationMethod: %s", lts_xades__xmlsec_error());
    sm = xmlSecTransformCtxNodeRead(&ctx, lts_xades__child(c->si, "SignatureMethod", LTS_NS_DS),
                                    xmlSecTransformUsageSignatureMethod);
    if (sm == NULL)
        LTS_FAIL(LTS_E_INPUT, "bad SignatureMethod: %s", lts_xades__xmlsec_error());
    sm->operation = xmlSecTransformOperationVerify;
    LTS_ENSURE(xmlSecTransformSetKeyReq(sm, &req) >= 0, LTS_E_INTERNAL, "xmlSecTransformSetKeyReq");
    if (!xmlSecKeyMatch(key, NULL, &req)) {
        LTS_TRY(problem(c->res, "the signing certificate's key does not fit the SignatureMethod"));
        goto out;
    }
    if (xmlSecTransformSetKey(sm, key) < 0)
        LTS_FAIL(LTS_E_CRYPTO, "xmlSecTransformSetKey: %s", lts_xades__xmlsec_error());
    LTS_ALLOC(ns = xmlSecNodeSetGetChildren(c->doc, c->si, 1, 0));
    if (xmlSecTransformCtxXmlExecute(&ctx, ns) < 0)
        LTS_FAIL(LTS_E_INPUT, "SignedInfo cannot be processed: %s", lts_xades__xmlsec_error());
    if (xmlSecTransformVerifyNodeContent(sm, c->sv, &ctx) < 0) {
        /* an undecodable or wrongly sized value is a value that does not verify */
        LTS_TRY(note(c->res, "SignatureValue unreadable: %s", lts_xades__xmlsec_error()));
        goto out;
    }
    *ok = sm->status == xmlSecTransformStatusOk;
out:
    xmlSecNodeSetDestroy(ns);
    if (have_ctx)
        xmlSecTransformCtxFinalize(&ctx);
    xmlSecKeyReqFinalize(&req);
    if (key)
        xmlSecKeyDestroy(key);
    if (kd)
        xmlSecKeyDataDestroy(kd);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    lts_xades__quiet_end(&q);
    return rc;
}

static lts_status check_one(checker *c)
{
    lts_status rc = LTS_OK;
    unsigned char *der = NULL;
    int ok = 0, len;

    c->res->format_ok = 1;
    c->res->refs_ok = 1;
    c->res->data_found = 1;
    LTS_ALLOC(c->certs = sk_X509_new_null());
    if (lts_xades__attr(c->sig, "Id"))
        LTS_ALLOC(c->res->signature_id = lts_strdup(lts_xades__attr(c->sig, "Id")));
    LTS_TRY(read_structure(c));
    if (c->res->format_ok)
        LTS_TRY(read_certs(c));
    if (c->res->format_ok)
        LTS_TRY(read_qualifying(c));
    if (c->res->format_ok)
        LTS_TRY(find_signer(c));
    if (c->res->format_ok)
        LTS_TRY(check_references(c));
    if (c->signer) {
        c->res->signer_found = 1;
        len = i2d_X509(c->signer, &der);
        LTS_OSSL(len > 0, "i2d_X509");
        LTS_TRY(lts_buf_set(&c->res->signer_cert, lts_span_of(der, (size_t)len)));
    }
    if (c->res->format_ok && c->res->refs_ok && c->res->data_found && c->signer) {
        LTS_TRY(check_signature_value(c, &ok));
        c->res->sig_checked = 1;
        c->res->sig_ok = ok;
        if (ok)
            LTS_TRY(note(c->res, "SignatureValue verifies with the signing certificate's key"));
        else
            LTS_TRY(problem(c->res, "the SignatureValue does not verify"));
    }
out:
    OPENSSL_free(der);
    sk_X509_pop_free(c->certs, X509_free);
    c->certs = NULL;
    return rc;
}

void lts_xades_checks_free(lts_xades_check *c, size_t n)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        lts_free(c[i].signature_id);
        lts_free(c[i].level);
        lts_free(c[i].bad_ref);
        lts_free(c[i].problem);
        lts_buf_dispose(&c[i].signer_cert);
        for (size_t j = 0; j < c[i].n_certs; j++)
            lts_buf_dispose(&c[i].certs[j]);
        lts_free(c[i].certs);
        for (size_t j = 0; j < c[i].n_notes; j++)
            lts_free(c[i].notes[j]);
        lts_free(c[i].notes);
        lts_xades__ts_checks_free(c[i].timestamps, c[i].n_timestamps);
        for (size_t j = 0; j < c[i].n_ocsps; j++)
            lts_buf_dispose(&c[i].ocsps[j]);
        lts_free(c[i].ocsps);
        for (size_t j = 0; j < c[i].n_crls; j++)
            lts_buf_dispose(&c[i].crls[j]);
        lts_free(c[i].crls);
    }
    lts_free(c);
}

/* Can the light tree of `st` (the root's start tag and its one ds:Signature child) be
 * checked as the whole document would be? Every same-document reference must be either
 * URI="" of that signature with exactly enveloped + exclusive C14N and SHA-256 (digested
 * while streaming), or name an Id inside the tree that occurs once in the document; no
 * ArchiveTimeStamp (it covers the references' octets). Otherwise the tree path. */
static int light_enough(const lts_xades_stream *st)
{
    xmlDocPtr doc = st->light_doc;
    xmlNodePtr root = xmlDocGetRootElement(doc), s;
    lts_buf id = LTS_BUF_INIT;
    int ok = 1;

    for (s = root; s && ok; s = lts_xades__next(s, root)) {
        xmlNodePtr si;
        if (lts_xades__is(s, "ArchiveTimeStamp", NULL)) {
            ok = 0;
            break;
        }
        if (!lts_xades__is(s, "Signature", LTS_NS_DS))
            continue;
        si = lts_xades__child(s, "SignedInfo", LTS_NS_DS);
        for (xmlNodePtr ref = lts_xades__first_el(si); ref && ok; ref = lts_xades__next_el(ref)) {
            const char *uri = lts_xades__attr(ref, "URI");
            int has_id = 0;
            if (!lts_xades__is(ref, "Reference", LTS_NS_DS) || uri == NULL ||
                (uri[0] != '\0' && uri[0] != '#'))
                continue; /* not a reference, or external */
            if (uri[0] == '\0') {
                xmlNodePtr ts = lts_xades__child(ref, "Transforms", LTS_NS_DS);
                xmlNodePtr t1 = lts_xades__first_el(ts), t2 = t1 ? lts_xades__next_el(t1) : NULL;
                xmlNodePtr dm = lts_xades__child(ref, "DigestMethod", LTS_NS_DS);
                const char *a1 = lts_xades__attr(t1, "Algorithm");
                const char *a2 = lts_xades__attr(t2, "Algorithm");
                /* the root's ds:Signature child is the one the pass left out; a root that
                 * is itself a ds:Signature was digested whole */
                ok = s->parent == (xmlNodePtr)root && root != s &&
                     !lts_xades__is(root, "Signature", LTS_NS_DS) && t2 != NULL &&
                     lts_xades__next_el(t2) == NULL && lts_xades__first_el(t2) == NULL &&
                     a1 && strcmp(a1, LTS_URI_ENVELOPED) == 0 && a2 &&
                     strcmp(a2, LTS_URI_EXC_C14N) == 0 &&
                     lts_xades__digest_from_uri(lts_xades__attr(dm, "Algorithm")) == st->hash &&
                     st->mdlen > 0;
                continue;
            }
            if (uri_id(uri, &id, &has_id) != LTS_OK) {
                lts_error_clear();
                ok = 0;
                break;
            }
            ok = has_id && !lts_xades__stream_id_dup(st, (const char *)id.p) &&
                 lts_xades__id_taken(doc, (const char *)id.p);
        }
    }
    lts_buf_dispose(&id);
    return ok;
}

lts_status lts_xades_check_file(const char *path, const char *detached_content,
                                lts_xades_check **out, size_t *n)
{
    lts_status rc = LTS_OK;
    xmlDocPtr doc = NULL;
    lts_xml_ids dups = { 0 };
    lts_xades_check *res = NULL;
    size_t count = 0, i = 0;
    xmlNodePtr root, s;
    checker c;
    lts_buf data = LTS_BUF_INIT;
    lts_xades_stream st;
    int streamed = 0;

    *out = NULL;
    *n = 0;
    memset(&st, 0, sizeof st);
    /* one SAX pass: the enveloped reference's digest and a tree of the signature alone;
     * the whole tree only when that is not enough (see light_enough) */
    st.hash = LTS_HASH_SHA256;
    st.light = 1;
    LTS_TRY(lts_xades__stream_c14n_file(path, &st));
    if (!st.fallback && st.n_sigs > 0 && light_enough(&st)) {
        doc = st.light_doc;
        st.light_doc = NULL;
        streamed = 1;
    } else {
        LTS_TRY(lts_io__read_file(&data, path, LTS_XADES_MAX_DOC));
        LTS_TRY(lts_xades__parse(&doc, lts_buf_span(&data), path));
        lts_buf_dispose(&data);
    }
    if (detached_content) {
        uint64_t size = 0;
        LTS_TRY(lts_io__file_size(detached_content, &size));
    }
    LTS_TRY(lts_xades__register_ids(doc, NULL, &dups));
    root = xmlDocGetRootElement(doc);
    for (s = root; s; s = lts_xades__next(s, root))
        if (lts_xades__is(s, "Signature", LTS_NS_DS))
            count++;
    LTS_ENSURE(count > 0, LTS_E_INPUT, "%s: no ds:Signature element (not an XML signature)", path);
    LTS_ALLOC(res = lts_calloc(count, sizeof *res));
    for (s = root; s && i < count; s = lts_xades__next(s, root)) {
        if (!lts_xades__is(s, "Signature", LTS_NS_DS))
            continue;
        memset(&c, 0, sizeof c);
        c.doc = doc;
        c.dups = &dups;
        c.detached = detached_content;
        c.sig = s;
        c.res = &res[i++];
        c.st = streamed ? &st : NULL;
        LTS_TRY(check_one(&c));
    }
    *out = res;
    *n = count;
    res = NULL;
out:
    lts_xades_checks_free(res, count);
    lts_xades__ids_free(&dups);
    lts_xades__stream_dispose(&st);
    lts_buf_dispose(&data);
    xmlFreeDoc(doc);
    return rc;
}
