/* see validation/validation_int.h (lts_validation__revocation): the revocation of every
 * certificate a signature depends on, after the format's process.
 *
 * Sources, in this order: the validation data the file carries (CMS certificates and crls,
 * revocation-values, XAdES CertificateValues/RevocationValues, the PAdES DSS, the
 * certificates and crls inside the time-stamp tokens), the --vdata folder (o->vdata_dir),
 * then, only for a certificate nothing above covers and when the network is allowed, the
 * certificate's OCSP responder / CRL distribution point. What the data says is judged by
 * lts_past__revocation (past.c) at the time of interest:
 *   - a CA certificate of the signer's path (not the anchor): at the signature's best
 *     signature time (or the validation time without a proof of existence);
 *   - the signer certificate itself, likewise (at the LT levels the format processes have
 *     already judged the embedded data; this adds freshness and the signing-time rule);
 *   - each time-stamp's TSA certificate and its CAs: at the time-stamp's genTime, a later
 *     archive / document time-stamp being its proof of existence. */
#define LTS_MODULE "validate"
#include "validation_int.h"

#include <stdio.h>
#include <string.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <ltsig/cades.h>
#include <ltsig/pades.h>
#include <ltsig/policy.h>
#include <ltsig/sys/vdata.h>
#include <libxml/xmlreader.h>
#include "core/codec.h"
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

/* The validation data of the file: certificates (for paths) and revocation data (DER). */
typedef struct {
    STACK_OF(X509) *certs;
    lts_buf *ocsps;
    size_t n_ocsps;
    lts_buf *crls;
    size_t n_crls;
} pool;

typedef struct {
    const lts_validate_opts *o;
    X509_STORE *trust;
    pool p;
    lts_vdata_source *dir;  /* --vdata, or NULL */
    lts_vdata_source *net;  /* online, made on first use when allowed */
    int net_failed;
    int online_ok;
    int require;            /* policy require_revocation */
    lts_time max_age;
} ctx;

/* What was found about one certificate. */
typedef struct {
    int have;
    lts_revocation_info info;
    lts_time issued;
    char from[48];
} found;

static lts_status buf_push(lts_buf **arr, size_t *n, lts_span der)
{
    lts_status rc = LTS_OK;
    lts_buf *na = NULL;
    if (der.n == 0)
        goto out;
    LTS_ALLOC(na = lts_realloc(*arr, (*n + 1) * sizeof **arr));
    *arr = na;
    na[*n] = (lts_buf)LTS_BUF_INIT;
    LTS_TRY(lts_buf_set(&na[*n], der));
    (*n)++;
out:
    return rc;
}

static lts_status pool_cert(pool *p, lts_span der)
{
    lts_status rc = LTS_OK;
    const unsigned char *q = der.p;
    X509 *x = d2i_X509(NULL, &q, (long)der.n);
    if (x == NULL) { /* a certificate we cannot read builds no path */
        ERR_clear_error();
        goto out;
    }
    LTS_ALLOC(sk_X509_push(p->certs, x) > 0 ? (void *)p : NULL);
    x = NULL;
out:
    X509_free(x);
    return rc;
}

/* A BasicOCSPResponse (CAdES revocation-values, some XAdES values) as an OCSPResponse. */
static lts_status push_ocsp(pool *p, lts_span der)
{
    lts_status rc = LTS_OK;
    const unsigned char *q = der.p;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &q, (long)der.n);
    OCSP_BASICRESP *bs = NULL;
    unsigned char *d = NULL;
    int n;

    if (resp != NULL) {
        LTS_TRY(buf_push(&p->ocsps, &p->n_ocsps, der));
        goto out;
    }
    ERR_clear_error();
    q = der.p;
    if ((bs = d2i_OCSP_BASICRESP(NULL, &q, (long)der.n)) == NULL)
        goto out; /* neither: unusable, skipped */
    LTS_OSSL((resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) != NULL,
             "OCSP_response_create");
    n = i2d_OCSP_RESPONSE(resp, &d);
    LTS_OSSL(n > 0, "i2d_OCSP_RESPONSE");
    LTS_TRY(buf_push(&p->ocsps, &p->n_ocsps, (lts_span){ d, (size_t)n }));
out:
    ERR_clear_error();
    OPENSSL_free(d);
    OCSP_RESPONSE_free(resp);
    OCSP_BASICRESP_free(bs);
    return rc;
}

static lts_status pool_cades(pool *p, const char *path)
{
    lts_status rc = LTS_OK;
    lts_buf file = LTS_BUF_INIT;
    lts_cades *c = NULL;
    lts_span der;
    int is_ocsp;

    LTS_TRY(lts_io__read_file(&file, path, 0));
    if ((rc = lts_cades_parse(&c, lts_buf_span(&file))) != LTS_OK) {
        if (rc != LTS_E_NOMEM) {
            rc = LTS_OK; /* not ours to judge: the process said what is wrong */
            lts_error_clear();
        }
        goto out;
    }
    for (size_t i = 0; i < lts_cades_cert_count(c); i++)
        LTS_TRY(pool_cert(p, lts_cades_cert(c, i)));
    for (size_t k = 0; lts_cades_revocation(c, k, &is_ocsp, &der) == LTS_OK; k++)
        LTS_TRY(is_ocsp ? push_ocsp(p, der) : buf_push(&p->crls, &p->n_crls, der));
    for (size_t i = 0; i < lts_cades_signer_count(c); i++)
        for (size_t k = 0; lts_cades_revocation_value(c, i, k, &is_ocsp, &der) == LTS_OK; k++)
            LTS_TRY(is_ocsp ? push_ocsp(p, der) : buf_push(&p->crls, &p->n_crls, der));
    lts_error_clear();
out:
    lts_cades_free(c);
    lts_buf_dispose(&file);
    return rc;
}

static lts_status pool_token(pool *p, lts_span tok);

static lts_status pool_pades(pool *p, const char *path)
{
    lts_status rc = LTS_OK;
    lts_pades_doc *doc = NULL;

    if ((rc = lts_pades_open(&doc, path)) != LTS_OK) {
        if (rc != LTS_E_NOMEM) {
            rc = LTS_OK;
            lts_error_clear();
        }
        goto out;
    }
    for (size_t i = 0; i < lts_pades_sig_count(doc); i++) /* the CMS certificates and crls */
        LTS_TRY(pool_token(p, lts_pades_sig_get(doc, i)->contents));
    for (size_t i = 0; i < lts_pades_dss_count(doc, LTS_PADES_DSS_CERT); i++)
        LTS_TRY(pool_cert(p, lts_pades_dss_item(doc, LTS_PADES_DSS_CERT, i)));
    for (size_t i = 0; i < lts_pades_dss_count(doc, LTS_PADES_DSS_OCSP); i++)
        LTS_TRY(push_ocsp(p, lts_pades_dss_item(doc, LTS_PADES_DSS_OCSP, i)));
    for (size_t i = 0; i < lts_pades_dss_count(doc, LTS_PADES_DSS_CRL); i++)
        LTS_TRY(buf_push(&p->crls, &p->n_crls, lts_pades_dss_item(doc, LTS_PADES_DSS_CRL, i)));
out:
    lts_pades_free(doc);
    return rc;
}

/* One base64 value of an XML element (ds:X509Certificate, xades:EncapsulatedX509Certificate,
 * EncapsulatedCRLValue, EncapsulatedOCSPValue) into the pool; a value that does not decode
 * is skipped. */
static lts_status xml_value(pool *p, const char *local, const xmlChar *text)
{
    lts_status rc = LTS_OK;
    lts_buf der = LTS_BUF_INIT;
    lts_status st = lts_b64__decode(&der, (const char *)text, strlen((const char *)text));
    if (st == LTS_E_NOMEM) {
        rc = st;
        goto out;
    }
    if (st != LTS_OK) {
        lts_error_clear();
        goto out;
    }
    if (strcmp(local, "EncapsulatedCRLValue") == 0)
        LTS_TRY(buf_push(&p->crls, &p->n_crls, lts_buf_span(&der)));
    else if (strcmp(local, "EncapsulatedOCSPValue") == 0)
        LTS_TRY(push_ocsp(p, lts_buf_span(&der)));
    else
        LTS_TRY(pool_cert(p, lts_buf_span(&der)));
out:
    lts_buf_dispose(&der);
    return rc;
}

/* The certificates and revocation values anywhere in the XML: ds:KeyInfo, xades
 * CertificateValues / RevocationValues and xades141:TimeStampValidationData (of every
 * signature: a pool for the whole file). A streaming reader with the parser options of the
 * XAdES check (no network, no entity substitution); the file was checked by the process. */
static lts_status pool_xades(pool *p, const char *path)
{
    static const char *const names[] = { "X509Certificate", "EncapsulatedX509Certificate",
                                          "EncapsulatedCRLValue", "EncapsulatedOCSPValue" };
    lts_status rc = LTS_OK;
    xmlTextReaderPtr rd = xmlReaderForFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                           XML_PARSE_NOWARNING);
    xmlChar *text = NULL;
    int ret;

    if (rd == NULL)
        goto out;
    while ((ret = xmlTextReaderRead(rd)) == 1) {
        const xmlChar *ln;
        if (xmlTextReaderNodeType(rd) != XML_READER_TYPE_ELEMENT ||
            (ln = xmlTextReaderConstLocalName(rd)) == NULL)
            continue;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            if (strcmp((const char *)ln, names[i]) != 0)
                continue;
            if ((text = xmlTextReaderReadString(rd)) != NULL)
                LTS_TRY(xml_value(p, names[i], text));
            xmlFree(text);
            text = NULL;
            break;
        }
    }
out:
    xmlFree(text);
    xmlFreeTextReader(rd);
    if (rc == LTS_OK)
        lts_error_clear();
    return rc;
}

/* The certificates and CRLs of a CMS SignedData (a time-stamp token, a PDF signature). */
static lts_status pool_token(pool *p, lts_span tok)
{
    lts_status rc = LTS_OK;
    const unsigned char *q = tok.p;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, (long)tok.n);
    STACK_OF(X509) *xs = NULL;
    STACK_OF(X509_CRL) *cs = NULL;
    unsigned char *d = NULL;

    if (cms == NULL)
        goto out;
    xs = CMS_get1_certs(cms);
    cs = CMS_get1_crls(cms);
    for (int i = 0; xs && i < sk_X509_num(xs); i++) {
        X509 *x = sk_X509_value(xs, i);
        LTS_ALLOC(sk_X509_push(p->certs, x) > 0 ? (void *)p : NULL);
        X509_up_ref(x);
    }
    for (int i = 0; cs && i < sk_X509_CRL_num(cs); i++) {
        int n = i2d_X509_CRL(sk_X509_CRL_value(cs, i), &d);
        if (n > 0)
            LTS_TRY(buf_push(&p->crls, &p->n_crls, (lts_span){ d, (size_t)n }));
        OPENSSL_free(d);
        d = NULL;
    }
out:
    ERR_clear_error();
    OPENSSL_free(d);
    sk_X509_pop_free(xs, X509_free);
    sk_X509_CRL_pop_free(cs, X509_CRL_free);
    CMS_ContentInfo_free(cms);
    return rc;
}

static void pool_dispose(pool *p)
{
    sk_X509_pop_free(p->certs, X509_free);
    for (size_t i = 0; i < p->n_ocsps; i++)
        lts_buf_dispose(&p->ocsps[i]);
    for (size_t i = 0; i < p->n_crls; i++)
        lts_buf_dispose(&p->crls[i]);
    lts_free(p->ocsps);
    lts_free(p->crls);
    memset(p, 0, sizeof *p);
}

/* ---- what the sources say about one certificate ----------------------------------------- */

/* Keep the most telling answer: a revocation (the earliest), else the latest good data. */
static void consider(found *f, const lts_revocation_info *ri, const char *from)
{
    lts_time issued = ri->source == LTS_REVSRC_OCSP && ri->produced_at ? ri->produced_at
                                                                       : ri->this_update;
    int take;
    if (ri->status == LTS_CERT_REVOKED)
        take = !f->have || f->info.status != LTS_CERT_REVOKED ||
               ri->revocation_time < f->info.revocation_time;
    else if (ri->status == LTS_CERT_GOOD)
        take = !f->have || f->info.status == LTS_CERT_UNKNOWN ||
               (f->info.status == LTS_CERT_GOOD && issued > f->issued);
    else
        take = !f->have;
    if (!take)
        return;
    f->have = 1;
    f->info = *ri;
    f->issued = issued;
    snprintf(f->from, sizeof f->from, "%s %s", from, ri->source == LTS_REVSRC_OCSP ? "OCSP" : "CRL");
}

/* Check one piece of data for (cert, issuer); data about another certificate, or that does
 * not verify, is skipped. */
static lts_status try_data(found *f, lts_span der, int is_ocsp, lts_span cert, lts_span issuer,
                           const char *from)
{
    lts_revocation_info ri;
    lts_status st = is_ocsp ? lts_vdata_ocsp_check(der, cert, issuer, LTS_VDATA_NO_FRESHNESS, &ri)
                            : lts_vdata_crl_check(der, cert, issuer, LTS_VDATA_NO_FRESHNESS, &ri);
    if (st == LTS_E_NOMEM)
        return st;
    if (st == LTS_OK)
        consider(f, &ri, from);
    lts_error_clear();
    return LTS_OK;
}

/* Ask a source (folder or online) for OCSP and CRL. */
static lts_status try_source(found *f, lts_vdata_source *src, X509 *x, X509 *issuer,
                             lts_span cert, lts_span iss, const char *from)
{
    lts_status rc = LTS_OK;
    lts_buf b = LTS_BUF_INIT;
    for (int kind = 0; kind < 2; kind++) {
        lts_status st = kind == 0 ? lts_vdata_get_ocsp(src, x, issuer, &b)
                                  : lts_vdata_get_crl(src, x, issuer, &b);
        if (st == LTS_E_NOMEM) {
            rc = st;
            goto out;
        }
        if (st == LTS_OK)
            LTS_TRY(try_data(f, lts_buf_span(&b), kind == 0, cert, iss, from));
        lts_error_clear();
        lts_buf_dispose(&b);
    }
out:
    lts_buf_dispose(&b);
    return rc;
}

static lts_status lookup(ctx *c, X509 *x, X509 *issuer, int use_file, found *f)
{
    lts_status rc = LTS_OK;
    lts_buf cert = LTS_BUF_INIT, iss = LTS_BUF_INIT;
    lts_vdata_online_opts oo = LTS_VDATA_ONLINE_OPTS_INIT;

    memset(f, 0, sizeof *f);
    LTS_TRY(lts_vdata__x509_to_der(x, &cert));
    LTS_TRY(lts_vdata__x509_to_der(issuer, &iss));
    for (size_t i = 0; use_file && i < c->p.n_ocsps; i++)
        LTS_TRY(try_data(f, lts_buf_span(&c->p.ocsps[i]), 1, lts_buf_span(&cert),
                         lts_buf_span(&iss), "embedded"));
    for (size_t i = 0; use_file && i < c->p.n_crls; i++)
        LTS_TRY(try_data(f, lts_buf_span(&c->p.crls[i]), 0, lts_buf_span(&cert),
                         lts_buf_span(&iss), "embedded"));
    if (c->dir)
        LTS_TRY(try_source(f, c->dir, x, issuer, lts_buf_span(&cert), lts_buf_span(&iss),
                           "--vdata"));
    if (f->have || !c->online_ok || c->net_failed)
        goto out;
    if (c->net == NULL) {
        oo.timeout_s = c->o->timeout_s > 0 ? c->o->timeout_s : 10;
        oo.clock = c->o->clock;
        lts_status st = lts_vdata_online_new(&c->net, &oo);
        if (st == LTS_E_NOMEM) {
            rc = st;
            goto out;
        }
        if (st != LTS_OK) {
            c->net_failed = 1;
            lts_error_clear();
            goto out;
        }
    }
    LTS_TRY(try_source(f, c->net, x, issuer, lts_buf_span(&cert), lts_buf_span(&iss), "online"));
out:
    lts_buf_dispose(&cert);
    lts_buf_dispose(&iss);
    return rc;
}

/* ---- judging a path ------------------------------------------------------------------- */

static lts_time not_after(X509 *x)
{
    lts_time t = 0;
    if (lts_vdata__time(X509_get0_notAfter(x), &t) != LTS_OK) {
        lts_error_clear();
        t = 0;
    }
    return t;
}

/* One certificate: look the data up, judge it, say it. *out gets the verdict. */
static lts_status judge(ctx *c, X509 *x, X509 *issuer, lts_past_in *in, int use_file,
                        lts_sig_result *s, const char *what, lts_past_out *out)
{
    lts_status rc = LTS_OK;
    found f;
    char name[160], when[LTS_TIME_RFC3339_LEN] = "?";

    LTS_TRY(lookup(c, x, issuer, use_file, &f));
    in->have_data = f.have;
    in->info = f.info;
    in->issued = f.issued;
    in->cert_not_after = not_after(x);
    in->max_age = c->max_age;
    lts_past__revocation(in, out);
    lts_vdata__name(x, name, sizeof name);
    if (!f.have) {
        LTS_TRY(lts_report__msg(s, "revocation of %s %s: %s", what, name,
                                out->indication == LTS_IND_TOTAL_PASSED
                                    ? "not checked (no data found)" : out->why));
    } else if (f.info.status == LTS_CERT_REVOKED) {
        if (lts_time_format_rfc3339(when, sizeof when, f.info.revocation_time) != LTS_OK) {
            lts_error_clear();
            snprintf(when, sizeof when, "?");
        }
        LTS_TRY(lts_report__msg(s, "revocation (%s) of %s %s: revoked on %s (%s); %s", f.from,
                                what, name, when, lts_crl_reason_name(f.info.reason), out->why));
    } else {
        LTS_TRY(lts_report__msg(s, "revocation (%s) of %s %s: %s%s%s", f.from, what, name,
                                lts_cert_status_name(f.info.status),
                                out->indication == LTS_IND_TOTAL_PASSED ? "" : "; ",
                                out->indication == LTS_IND_TOTAL_PASSED ? "" : out->why));
    }
out:
    return rc;
}

static int has_embedded_revocation(const lts_sig_result *s)
{
    static const char *const lt[] = { "B-LT", "B-LTA", "ES-XL", "ES-A", "ES-X-L", NULL };
    for (size_t i = 0; s->level && lt[i]; i++)
        if (strcmp(s->level, lt[i]) == 0)
            return 1;
    return 0;
}

static lts_status path_of(ctx *c, X509 *leaf, lts_time at, int tsa, lts_chain_result *cr)
{
    return tsa ? lts_chain__verify_tsa(c->trust, leaf, c->p.certs, at, cr)
               : lts_chain__verify(c->trust, leaf, c->p.certs, at, cr);
}

/* The signature: its CA certificates, and the signer at levels without embedded data. */
static lts_status check_signer_path(ctx *c, lts_report *r, lts_sig_result *s)
{
    lts_status rc = LTS_OK;
    X509 *leaf = NULL;
    lts_chain_result cr;
    lts_past_in in;
    lts_past_out po;
    int lt = has_embedded_revocation(s);
    int has_poe = s->best_signature_time != 0 && s->best_signature_time < r->validation_time;
    lts_time control = has_poe ? s->best_signature_time : r->validation_time;
    int n;

    memset(&cr, 0, sizeof cr);
    LTS_TRY(lts_vdata__x509_from_der(&leaf, lts_buf_span(&s->signer_cert), "signer certificate"));
    LTS_TRY(path_of(c, leaf, control, 0, &cr));
    if (cr.indication != LTS_IND_TOTAL_PASSED || cr.chain == NULL ||
        (n = sk_X509_num(cr.chain)) < 2)
        goto out; /* the process judged the path already */
    /* the signer too at the LT levels: the process said what the embedded data says, this
     * adds the freshness at the best signature time (max_revocation_age) and §5.3.4's
     * signing-time rule with the same data */
    for (int i = 0; i < n - 1; i++) {
        memset(&in, 0, sizeof in);
        in.role = i == 0 ? LTS_PAST_SIGNER : LTS_PAST_CA;
        in.control_time = control;
        in.has_poe = has_poe;
        in.poe = s->best_signature_time;
        in.has_claim = s->has_signing_time;
        in.claim = s->signing_time;
        in.data_required = lt || c->require;
        LTS_TRY(judge(c, sk_X509_value(cr.chain, i), sk_X509_value(cr.chain, i + 1), &in, 1, s,
                      i == 0 ? "the signer certificate" : "the CA certificate", &po));
        lts_report__lower(&s->indication, &s->subindication, po.indication, po.sub);
    }
out:
    lts_chain_result__dispose(&cr);
    X509_free(leaf);
    return rc;
}

/* The TSA certificate of a token: the certificate (of the token's own, else of the pool)
 * that its one SignerInfo names. */
static lts_status tsa_cert(ctx *c, lts_span tok, X509 **out)
{
    lts_status rc = LTS_OK;
    const unsigned char *q = tok.p;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, (long)tok.n);
    STACK_OF(X509) *own = NULL;
    STACK_OF(CMS_SignerInfo) *sis;
    CMS_SignerInfo *si;

    *out = NULL;
    if (cms == NULL || (sis = CMS_get0_SignerInfos(cms)) == NULL || sk_CMS_SignerInfo_num(sis) != 1)
        goto out;
    si = sk_CMS_SignerInfo_value(sis, 0);
    own = CMS_get1_certs(cms);
    for (int k = 0; k < 2 && *out == NULL; k++) {
        STACK_OF(X509) *from = k == 0 ? own : c->p.certs;
        for (int i = 0; from && i < sk_X509_num(from); i++) {
            if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(from, i)) == 0) {
                *out = sk_X509_value(from, i);
                X509_up_ref(*out);
                break;
            }
        }
    }
out:
    ERR_clear_error();
    sk_X509_pop_free(own, X509_free);
    CMS_ContentInfo_free(cms);
    return rc;
}

/* A later archive / document time-stamp is the proof of existence of token t. */
static int ts_poe(const lts_sig_result *s, const lts_ts_result *t, lts_time *poe)
{
    int have = 0;
    for (size_t k = 0; k < s->n_timestamps; k++) {
        const lts_ts_result *u = &s->timestamps[k];
        if (u == t || u->indication != LTS_IND_TOTAL_PASSED || u->gen_time <= t->gen_time ||
            u->kind == NULL || (strstr(u->kind, "archive") == NULL &&
                                strstr(u->kind, "document") == NULL))
            continue;
        if (!have || u->gen_time < *poe)
            *poe = u->gen_time;
        have = 1;
    }
    return have;
}

static lts_status check_timestamp(ctx *c, lts_sig_result *s, lts_ts_result *t)
{
    lts_status rc = LTS_OK;
    X509 *tsa = NULL;
    lts_chain_result cr;
    lts_past_in in;
    lts_past_out po, worst;
    int n;

    memset(&cr, 0, sizeof cr);
    memset(&worst, 0, sizeof worst);
    worst.indication = LTS_IND_TOTAL_PASSED;
    LTS_TRY(tsa_cert(c, lts_buf_span(&t->token), &tsa));
    if (tsa == NULL)
        goto out;
    LTS_TRY(path_of(c, tsa, t->gen_time, 1, &cr));
    if (cr.indication != LTS_IND_TOTAL_PASSED || cr.chain == NULL ||
        (n = sk_X509_num(cr.chain)) < 2)
        goto out;
    for (int i = 0; i < n - 1; i++) {
        memset(&in, 0, sizeof in);
        in.role = i == 0 ? LTS_PAST_TSA : LTS_PAST_CA;
        in.control_time = t->gen_time;
        in.has_poe = ts_poe(s, t, &in.poe);
        in.has_claim = 1;
        in.claim = t->gen_time;
        in.data_required = c->require; /* docs/validation-matrix.md: else not required */
        LTS_TRY(judge(c, sk_X509_value(cr.chain, i), sk_X509_value(cr.chain, i + 1), &in, 1, s,
                      i == 0 ? "the TSA certificate" : "the TSA's CA certificate", &po));
        if (po.indication != LTS_IND_TOTAL_PASSED && worst.indication == LTS_IND_TOTAL_PASSED)
            worst = po;
        else if (po.indication == LTS_IND_TOTAL_FAILED && worst.indication != LTS_IND_TOTAL_FAILED)
            worst = po;
    }
    if (worst.indication != LTS_IND_TOTAL_PASSED) {
        lts_report__lower(&t->indication, &t->subindication, worst.indication, worst.sub);
        LTS_TRY(lts_report__set_str(&t->message, worst.why));
        LTS_TRY(lts_report__msg(s, "the %s of %s is no proof of existence: %s",
                                t->kind ? t->kind : "time-stamp", t->tsa ? t->tsa : "?",
                                worst.why));
    }
out:
    lts_chain_result__dispose(&cr);
    X509_free(tsa);
    return rc;
}

/* The best signature time without the time-stamps that failed here: the earliest genTime
 * of a passed signature / archive / document time-stamp, else the validation time. */
static void recompute_bst(lts_report *r, lts_sig_result *s, lts_time old)
{
    lts_time best = 0;
    int any_failed = 0;
    for (size_t k = 0; k < s->n_timestamps; k++) {
        const lts_ts_result *t = &s->timestamps[k];
        if (t->gen_time == old && t->indication != LTS_IND_TOTAL_PASSED)
            any_failed = 1;
        if (t->indication == LTS_IND_TOTAL_PASSED && (best == 0 || t->gen_time < best))
            best = t->gen_time;
    }
    if (any_failed)
        s->best_signature_time = best ? best : r->validation_time;
}

static lts_status open_ctx(ctx *c, const char *path, int format, const lts_validate_opts *o,
                           lts_report *r)
{
    lts_status rc = LTS_OK;
    const struct lts_policy *pol = o->version >= 2 ? o->policy : NULL;

    c->o = o;
    c->online_ok = !o->offline && (pol == NULL || lts_policy_allow_online(pol));
    c->max_age = lts_policy__max_revocation_age(pol);
    c->require = lts_policy__require_revocation(pol);
    LTS_ALLOC(c->p.certs = sk_X509_new_null());
    LTS_TRY(lts_trust__load(&c->trust, o->trust));
    if (o->version >= 3 && o->vdata_dir != NULL)
        LTS_TRY(lts_vdata_offline_new(&c->dir, o->vdata_dir));
    switch (format) {
    case LTS_FORMAT_CADES: LTS_TRY(pool_cades(&c->p, path)); break;
    case LTS_FORMAT_PADES: LTS_TRY(pool_pades(&c->p, path)); break;
    case LTS_FORMAT_XADES: LTS_TRY(pool_xades(&c->p, path)); break;
    default: break;
    }
    for (size_t i = 0; i < r->n_sigs; i++)
        for (size_t k = 0; k < r->sigs[i].n_timestamps; k++)
            LTS_TRY(pool_token(&c->p, lts_buf_span(&r->sigs[i].timestamps[k].token)));
out:
    return rc;
}

lts_status lts_validation__revocation(const char *path, int format, const lts_validate_opts *o,
                                      lts_report *r)
{
    lts_status rc = LTS_OK;
    ctx c;

    memset(&c, 0, sizeof c);
    LTS_TRY(open_ctx(&c, path, format, o, r));
    for (size_t i = 0; i < r->n_sigs; i++) {
        lts_sig_result *s = &r->sigs[i];
        lts_time bst = s->best_signature_time;
        if (s->indication == LTS_IND_TOTAL_FAILED || s->signer_cert.n == 0)
            continue;
        for (size_t k = 0; k < s->n_timestamps; k++) {
            lts_ts_result *t = &s->timestamps[k];
            if (t->indication == LTS_IND_TOTAL_PASSED && t->token.n > 0)
                LTS_TRY(check_timestamp(&c, s, t));
        }
        recompute_bst(r, s, bst);
        LTS_TRY(check_signer_path(&c, r, s));
    }
out:
    lts_vdata_free(c.net);
    lts_vdata_free(c.dir);
    X509_STORE_free(c.trust);
    pool_dispose(&c.p);
    return rc;
}
