/* The PAdES validation process: EN 319 102-1 §5.3 for each signature dictionary of a PDF,
 * with the PDF checks of EN 319 142-1 §5.1 / ISO 32000-2 §12.8.1 (the /ByteRange covers
 * the whole revision except the /Contents hole) done by formats/pades, and the CMS checks
 * by formats/cades against the /ByteRange digest. */
#define LTS_MODULE "validate"
#include "validation_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <ltsig/cades.h>
#include <ltsig/pades.h>
#include "core/err.h"
#include "core/mem.h"

typedef struct {
    const char *path;
    const lts_validate_opts *o;
    lts_report *r;
    const lts_pades_doc *doc;
    X509_STORE *store;
    size_t n_revisions_after; /* unused; kept for the messages */
} ctx;

static void lower(lts_sig_result *s, lts_indication i, lts_subindication sub)
{
    lts_report__lower(&s->indication, &s->subindication, i, sub);
}

static const char *verdict(lts_cades_verdict v)
{
    return v == LTS_CADES_OK ? "OK" : v == LTS_CADES_BAD ? "FAILED" : "not checked";
}

/* RFC 2253 text of a name, into a new string (lts_free). */
static lts_status name_text(char **out, const X509_NAME *name)
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

static lts_status fill_signer(lts_sig_result *s, X509 *cert)
{
    lts_status rc = LTS_OK;
    BIGNUM *bn = NULL;
    char *hex = NULL;
    LTS_TRY(name_text(&s->signer, X509_get_subject_name(cert)));
    LTS_TRY(name_text(&s->signer_issuer, X509_get_issuer_name(cert)));
    LTS_OSSL((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL)) != NULL,
             "ASN1_INTEGER_to_BN");
    LTS_OSSL((hex = BN_bn2hex(bn)) != NULL, "BN_bn2hex");
    LTS_TRY(lts_report__set_str(&s->signer_serial, hex));
out:
    OPENSSL_free(hex);
    BN_free(bn);
    return rc;
}

/* "D:YYYYMMDDHHmmSS" followed by Z, +HH'mm' or -HH'mm' (ISO 32000-2 §7.9.4); 0 when the
 * text cannot be read. */
static int pdf_date(const char *m, lts_time *out)
{
    int f[6] = { 0, 1, 1, 0, 0, 0 }, w[6] = { 4, 2, 2, 2, 2, 2 }, oh = 0, om = 0, sign = 0;
    const char *p = m;
    struct tm tm;
    if (!m || strncmp(p, "D:", 2) != 0)
        return 0;
    p += 2;
    for (int i = 0; i < 6; i++) {
        int v = 0;
        for (int k = 0; k < w[i]; k++, p++) {
            if (*p < '0' || *p > '9')
                return 0;
            v = v * 10 + (*p - '0');
        }
        f[i] = v;
    }
    if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        if (sscanf(p + 1, "%2d'%2d", &oh, &om) < 1)
            return 0;
    }
    memset(&tm, 0, sizeof tm);
    tm.tm_year = f[0] - 1900;
    tm.tm_mon = f[1] - 1;
    tm.tm_mday = f[2];
    tm.tm_hour = f[3];
    tm.tm_min = f[4];
    tm.tm_sec = f[5];
    *out = (lts_time)timegm(&tm) - (lts_time)sign * (oh * 3600 + om * 60);
    return 1;
}

/* The CMS checks (EN 319 102-1 §5.2.7, §5.2.8) against the /ByteRange digest. */
static lts_status judge(lts_sig_result *s, const lts_cades_signer_check *k)
{
    lts_status rc = LTS_OK;
    if (!k->has_signed_attrs) {
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__msg(s, "format: no signed attributes in the CMS"));
        goto out;
    }
    LTS_TRY(lts_report__msg(s, "content-type attribute: %s", verdict(k->content_type)));
    if (k->content_type == LTS_CADES_BAD)
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
    LTS_TRY(lts_report__msg(s, "message-digest attribute vs. the /ByteRange digest: %s",
                            k->message_digest == LTS_CADES_OK ? "matches"
                            : k->message_digest == LTS_CADES_BAD ? "DOES NOT MATCH (the signed "
                                                                   "bytes were changed)"
                                                                 : "not checked"));
    if (k->message_digest == LTS_CADES_BAD)
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_HASH_FAILURE);
    else if (k->message_digest != LTS_CADES_OK)
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_SIGNED_DATA_NOT_FOUND);
    if (k->signer_cert < 0) {
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_NO_SIGNING_CERTIFICATE_FOUND);
        LTS_TRY(lts_report__msg(s, "signer certificate: not found in the CMS"));
        goto out;
    }
    LTS_TRY(lts_report__msg(s, "signature value over the signed attributes: %s",
                            verdict(k->signature)));
    if (k->signature == LTS_CADES_BAD)
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_SIG_CRYPTO_FAILURE);
    else if (k->signature == LTS_CADES_UNCHECKED)
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
    LTS_TRY(lts_report__msg(s, "signing-certificate%s attribute vs. the signer certificate: %s",
                            k->signing_cert_attr == 1 ? "" : "-v2", verdict(k->signing_cert)));
    if (k->signing_cert != LTS_CADES_OK)
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_NO_SIGNING_CERTIFICATE_FOUND);
out:
    if (rc == LTS_OK && k->detail[0] && s->indication != LTS_IND_TOTAL_PASSED)
        rc = lts_report__msg(s, "first problem: %s", k->detail);
    return rc;
}

static lts_status coverage_msg(ctx *x, lts_sig_result *s, const lts_pades_sig *ps)
{
    uint64_t size = lts_pades_file_size(x->doc);
    if (ps->covers_whole_file)
        return lts_report__msg(s, "/ByteRange covers the whole file (%llu bytes) except the "
                                  "/Contents hole", (unsigned long long)size);
    return lts_report__msg(s, "/ByteRange covers the revision ending at byte %llu; later "
                              "incremental updates add %llu bytes that this signature does "
                              "not cover",
                           (unsigned long long)ps->revision_end,
                           (unsigned long long)(size - ps->revision_end));
}

static lts_status check_chain(ctx *x, lts_sig_result *s, X509 *cert, STACK_OF(X509) *certs)
{
    lts_status rc = LTS_OK;
    lts_chain_result cr;
    memset(&cr, 0, sizeof cr);
    LTS_TRY(lts_chain__verify(x->store, cert, certs, x->r->validation_time, &cr));
    lower(s, cr.indication, cr.sub);
    LTS_TRY(lts_report__msg(s, "%s%s", cr.detail,
                            x->o->trust ? "" : " (no --trust anchors were given)"));
out:
    lts_chain_result__dispose(&cr);
    return rc;
}

/* The CMS of one signature dictionary. */
static lts_status check_cms(ctx *x, lts_sig_result *s, const lts_pades_sig *ps)
{
    lts_status rc = LTS_OK;
    lts_cades *c = NULL;
    lts_cades_check_opts co = LTS_CADES_CHECK_OPTS_INIT;
    lts_cades_signer_check k;
    lts_span *ders = NULL;
    STACK_OF(X509) *certs = NULL;
    X509 *cert = NULL;
    uint8_t dg[LTS_HASH_MAX];
    size_t dg_n = 0, n;

    if (lts_cades_parse(&c, ps->contents) != LTS_OK) {
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__msg(s, "format: /Contents is not a CMS SignedData: %s",
                                lts_error_last()->message));
        lts_error_clear();
        goto out;
    }
    if (lts_cades_signer_count(c) != 1 || lts_cades_has_content(c)) {
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__msg(s, "format: the CMS must be detached with one SignerInfo "
                                   "(EN 319 142-1 §5.1); it has %zu%s",
                                lts_cades_signer_count(c),
                                lts_cades_has_content(c) ? " and embedded content" : ""));
        goto out;
    }
    /* first pass: learn the digest algorithm of the SignerInfo */
    LTS_TRY(lts_cades_check_signer(c, 0, &co, &k));
    if (k.alg.hash == LTS_HASH_NONE) {
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
        LTS_TRY(lts_report__msg(s, "digest algorithm of the SignerInfo not supported"));
        goto out;
    }
    LTS_TRY(lts_pades_digest(x->path, ps, k.alg.hash, dg, &dg_n));
    co.digest = lts_span_of(dg, dg_n);
    LTS_TRY(lts_cades_check_signer(c, 0, &co, &k));
    LTS_TRY(lts_report__set_str(&s->digest_algorithm, lts_hash_name(k.alg.hash)));
    if (k.alg.scheme != LTS_SCHEME_NONE)
        LTS_TRY(lts_report__set_str(&s->signature_algorithm, lts_scheme_name(k.alg.scheme)));
    if (k.has_signing_time) {
        LTS_TRY(lts_report__msg(s, "the CMS has a signing-time attribute, which EN 319 142-1 "
                                   "§5.1 forbids in PAdES baseline (the time belongs in /M)"));
        if (!s->has_signing_time) {
            s->has_signing_time = 1;
            s->signing_time = k.signing_time;
        }
    }
    if (k.signer_cert >= 0) {
        lts_span der = lts_cades_cert(c, (size_t)k.signer_cert);
        const unsigned char *p = der.p;
        LTS_OSSL((cert = d2i_X509(NULL, &p, (long)der.n)) != NULL, "signer certificate");
        LTS_TRY(fill_signer(s, cert));
    }
    LTS_TRY(judge(s, &k));
    if (cert != NULL) {
        n = lts_cades_cert_count(c);
        LTS_ALLOC(ders = lts_calloc(n ? n : 1, sizeof *ders));
        for (size_t i = 0; i < n; i++)
            ders[i] = lts_cades_cert(c, i);
        LTS_TRY(lts_chain__certs_from_der(&certs, ders, n, NULL));
        LTS_TRY(check_chain(x, s, cert, certs));
    }
out:
    sk_X509_pop_free(certs, X509_free);
    X509_free(cert);
    lts_free(ders);
    lts_cades_free(c);
    return rc;
}

static lts_status one_sig(ctx *x, size_t i)
{
    lts_status rc = LTS_OK;
    const lts_pades_sig *ps = lts_pades_sig_get(x->doc, i);
    lts_sig_result *s = NULL;
    int etsi = ps->subfilter && strcmp(ps->subfilter, "ETSI.CAdES.detached") == 0;
    int adbe = ps->subfilter && strcmp(ps->subfilter, "adbe.pkcs7.detached") == 0;

    LTS_TRY(lts_report__add_sig(x->r, "PAdES", &s));
    if (ps->field_name)
        LTS_TRY(lts_report__set_str(&s->id, ps->field_name));
    LTS_TRY(lts_report__set_str(&s->level, etsi ? "B-B" : ps->subfilter ? ps->subfilter : "?"));
    s->best_signature_time = x->r->validation_time; /* B-B: no proof of existence yet */
    if (ps->m && pdf_date(ps->m, &s->signing_time))
        s->has_signing_time = 1;
    LTS_TRY(lts_report__msg(s, "signature field %s, /SubFilter /%s", ps->field_name ? ps->field_name : "(unnamed)",
                            ps->subfilter ? ps->subfilter : "(none)"));
    if (ps->kind == LTS_PADES_DOC_TIMESTAMP) {
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__set_str(&s->level, "DocTimeStamp"));
        LTS_TRY(lts_report__msg(s, "document timestamps are not validated yet"));
        goto out;
    }
    if (!etsi && !adbe) {
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__msg(s, "format: /SubFilter /%s is not supported",
                                ps->subfilter ? ps->subfilter : "(none)"));
        goto out;
    }
    if (!ps->byte_range_ok) {
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__msg(s, "format: %s", ps->problem ? ps->problem : "bad /ByteRange"));
        goto out;
    }
    LTS_TRY(coverage_msg(x, s, ps));
    LTS_TRY(check_cms(x, s, ps));
out:
    return rc;
}

lts_status lts_validation__pades(const char *path, const lts_validate_opts *o, lts_report *r)
{
    lts_status rc = LTS_OK;
    lts_pades_doc *doc = NULL;
    ctx x;

    memset(&x, 0, sizeof x);
    LTS_TRY(lts_pades_open(&doc, path));
    if (lts_pades_sig_count(doc) == 0)
        LTS_FAIL(LTS_E_NOTFOUND, "%s: the PDF has no signature", path);
    if ((rc = lts_trust__load(&x.store, o->trust)) != LTS_OK)
        goto out;
    x.path = path;
    x.o = o;
    x.r = r;
    x.doc = doc;
    for (size_t i = 0; i < lts_pades_sig_count(doc); i++)
        LTS_TRY(one_sig(&x, i));
out:
    X509_STORE_free(x.store);
    lts_pades_free(doc);
    return rc;
}
