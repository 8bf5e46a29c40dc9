/* formats/pades: the Document Security Store (EN 319 142-1 §5.4.2, ISO 32000-2 §12.8.4.3):
 * the certificates, OCSP responses and CRLs that validate every signature and document
 * time-stamp, as streams in a new incremental update, with a /VRI entry per signature. */
#define LTS_MODULE "pades"
#include "pades_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <ltsig/cades.h>
#include <ltsig/vdata.h>
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"

/* A set of distinct DER values, each written once as a stream object. */
typedef struct {
    lts_buf *v;
    int *num;
    size_t n, cap;
} blobset;

typedef struct {
    char key[41];       /* uppercase hex SHA-1 of the signature's /Contents */
    lts_buf certs, ocsps, crls; /* "N 0 R " lists */
} vri_ent;

typedef struct {
    lts_pdf_update *u;
    blobset certs, ocsps, crls;
    vri_ent *vri;
    size_t n_vri;
} dss_ctx;

static void blobset_dispose(blobset *s)
{
    for (size_t i = 0; i < s->n; i++)
        lts_buf_dispose(&s->v[i]);
    lts_free(s->v);
    lts_free(s->num);
    memset(s, 0, sizeof *s);
}

/* Add `der` (once) to s, write its stream object when new; append "N 0 R " to refs. */
static lts_status blobset_add(dss_ctx *x, blobset *s, lts_span der, lts_buf *refs)
{
    lts_status rc = LTS_OK;
    size_t i;
    for (i = 0; i < s->n; i++)
        if (lts_span_eq(lts_buf_span(&s->v[i]), der))
            break;
    if (i == s->n) {
        if (s->n == s->cap) {
            size_t nc = s->cap ? 2 * s->cap : 8;
            lts_buf *nv;
            int *nn;
            LTS_ALLOC(nv = lts_realloc(s->v, nc * sizeof *nv));
            s->v = nv;
            LTS_ALLOC(nn = lts_realloc(s->num, nc * sizeof *nn));
            s->num = nn;
            s->cap = nc;
        }
        memset(&s->v[i], 0, sizeof s->v[i]);
        LTS_TRY(lts_buf_set(&s->v[i], der));
        s->num[i] = lts_pades__upd_new_num(x->u);
        s->n++;
        LTS_TRY(lts_pades__upd_begin(x->u, s->num[i], 0));
        LTS_TRY(lts_pades__putf(&x->u->b, "<< /Length %zu >>\nstream\n", der.n));
        LTS_TRY(lts_buf_append(&x->u->b, der.p, der.n));
        LTS_TRY(lts_buf_append(&x->u->b, "\nendstream", 10));
        LTS_TRY(lts_pades__upd_end(x->u));
    }
    if (refs)
        LTS_TRY(lts_pades__putf(refs, "%d 0 R ", s->num[i]));
out:
    return rc;
}

/* Append the DER items of `from` to `to` (moved). */
static lts_status bundle_merge(lts_buf **to, size_t *to_n, lts_buf *from, size_t from_n)
{
    lts_status rc = LTS_OK;
    lts_buf *nb;
    if (from_n == 0)
        goto out;
    LTS_ALLOC(nb = lts_realloc(*to, (*to_n + from_n) * sizeof *nb));
    *to = nb;
    for (size_t i = 0; i < from_n; i++) {
        nb[*to_n + i] = from[i];
        memset(&from[i], 0, sizeof from[i]);
    }
    *to_n += from_n;
out:
    return rc;
}

/* Validation data for the TSA of CMS time-stamp t, merged into b. */
static lts_status tsa_vdata(const lts_cades *c, size_t t, lts_vdata_source *vdata,
                            const lts_vdata_collect_opts *co, lts_vdata_bundle *b)
{
    lts_status rc = LTS_OK;
    lts_cades_ts_check tc;
    lts_vdata_bundle tb = LTS_VDATA_BUNDLE_INIT;
    lts_span *cands = NULL;
    size_t n;

    memset(&tc, 0, sizeof tc);
    LTS_TRY(lts_cades_check_timestamp(c, 0, t, &tc));
    if (tc.token == NULL || tc.token_check.signer_cert < 0)
        goto out; /* a broken token: validation reports it */
    n = lts_cades_cert_count(tc.token);
    LTS_ALLOC(cands = lts_calloc(n ? n : 1, sizeof *cands));
    for (size_t j = 0; j < n; j++)
        cands[j] = lts_cades_cert(tc.token, j);
    LTS_TRY(lts_vdata_collect(vdata, lts_cades_cert(tc.token, (size_t)tc.token_check.signer_cert),
                              cands, n, co, &tb));
    LTS_TRY(bundle_merge(&b->certs, &b->n_certs, tb.certs, tb.n_certs));
    LTS_TRY(bundle_merge(&b->ocsps, &b->n_ocsps, tb.ocsps, tb.n_ocsps));
    LTS_TRY(bundle_merge(&b->crls, &b->n_crls, tb.crls, tb.n_crls));
out:
    lts_vdata_bundle_dispose(&tb);
    lts_free(cands);
    lts_cades_ts_check_dispose(&tc);
    return rc;
}

/* Collect for one signature or document time-stamp and record its VRI entry. */
/* genTime of an RFC 3161 token (a CMS ContentInfo), or 0 when it cannot be read. */
static lts_time token_time(lts_span tok)
{
    const unsigned char *p = tok.p;
    PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)tok.n);
    TS_TST_INFO *tst = p7 ? PKCS7_to_TS_TST_INFO(p7) : NULL;
    struct tm tm;
    lts_time t = 0;
    if (tst && ASN1_TIME_to_tm(TS_TST_INFO_get_time(tst), &tm) == 1)
        t = (lts_time)timegm(&tm);
    TS_TST_INFO_free(tst);
    PKCS7_free(p7);
    ERR_clear_error();
    return t;
}

/* The first proof of existence of signature i: the earliest of its CMS time-stamps and of
 * the document time-stamps after it, or now. Its signer must not be revoked before it. */
static lts_time first_poe(lts_pades_doc *d, size_t i, const lts_cades *c,
                          const lts_vdata_collect_opts *co)
{
    lts_time poe = lts_clock_now(co->clock), t;
    lts_cades_ts_check tc;
    memset(&tc, 0, sizeof tc);
    for (size_t k = 0; k < lts_cades_timestamp_count(c, 0); k++) {
        if (lts_cades_check_timestamp(c, 0, k, &tc) == LTS_OK && tc.has_gen_time &&
            tc.gen_time < poe)
            poe = tc.gen_time;
        lts_cades_ts_check_dispose(&tc);
    }
    for (size_t j = i + 1; j < lts_pades_sig_count(d); j++) {
        const lts_pades_sig *ps = lts_pades_sig_get(d, j);
        if (ps->kind == LTS_PADES_DOC_TIMESTAMP && (t = token_time(ps->contents)) != 0 && t < poe)
            poe = t;
    }
    lts_error_clear();
    return poe;
}

static lts_status one_sig(dss_ctx *x, lts_pades_doc *d, size_t i, lts_vdata_source *vdata,
                          const lts_vdata_collect_opts *co)
{
    lts_status rc = LTS_OK;
    const lts_pades_sig *ps = lts_pades_sig_get(d, i);
    lts_cades *c = NULL;
    lts_cades_signer_check k;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_span *cands = NULL;
    lts_span raw;
    uint8_t sha1[LTS_HASH_MAX];
    size_t n, sha1_n = 0;
    vri_ent *v;

    if (!ps->byte_range_ok)
        goto out; /* nothing to validate: validation will say FAILED anyway */
    if (lts_cades_parse(&c, ps->contents) != LTS_OK) {
        lts_err__wrap("%s", ps->field_name ? ps->field_name : "signature");
        rc = lts_error_last()->code;
        goto out;
    }
    LTS_TRY(lts_cades_check_signer(c, 0, NULL, &k));
    LTS_ENSURE(k.signer_cert >= 0, LTS_E_INPUT, "%s: the signer certificate is not embedded",
               ps->field_name ? ps->field_name : "signature");
    n = lts_cades_cert_count(c);
    LTS_ALLOC(cands = lts_calloc(n ? n : 1, sizeof *cands));
    for (size_t j = 0; j < n; j++)
        cands[j] = lts_cades_cert(c, j);
    {
        lts_vdata_collect_opts sco = *co;
        sco.revoked_before = first_poe(d, i, c, co);
        LTS_TRY(lts_vdata_collect(vdata, lts_cades_cert(c, (size_t)k.signer_cert), cands, n,
                                  &sco, &b));
    }
    /* and the TSAs of the signature-time-stamps in the CMS */
    for (size_t t = 0; t < lts_cades_timestamp_count(c, 0); t++)
        LTS_TRY(tsa_vdata(c, t, vdata, co, &b));

    LTS_ALLOC(v = lts_realloc(x->vri, (x->n_vri + 1) * sizeof *v));
    x->vri = v;
    v = &x->vri[x->n_vri++];
    memset(v, 0, sizeof *v);
    raw = lts_pades__sig_raw_contents(d, i);
    LTS_TRY(lts_digest__span(LTS_HASH_SHA1, raw, sha1, &sha1_n));
    for (size_t j = 0; j < sha1_n && j < 20; j++)
        snprintf(v->key + 2 * j, 3, "%02X", sha1[j]);
    for (size_t j = 0; j < b.n_certs; j++)
        LTS_TRY(blobset_add(x, &x->certs, lts_buf_span(&b.certs[j]), &v->certs));
    for (size_t j = 0; j < b.n_ocsps; j++)
        LTS_TRY(blobset_add(x, &x->ocsps, lts_buf_span(&b.ocsps[j]), &v->ocsps));
    for (size_t j = 0; j < b.n_crls; j++)
        LTS_TRY(blobset_add(x, &x->crls, lts_buf_span(&b.crls[j]), &v->crls));
out:
    lts_vdata_bundle_dispose(&b);
    lts_free(cands);
    lts_cades_free(c);
    return rc;
}

/* "/Certs [ old... new... ]" */
static lts_status put_array(lts_pdf *pdf, lts_buf *b, const char *key, qpdf_oh old,
                            const blobset *s)
{
    lts_status rc = LTS_OK;
    int n = qpdf_oh_is_array(pdf->q, old) ? qpdf_oh_get_array_n_items(pdf->q, old) : 0;
    if (n == 0 && s->n == 0)
        goto out;
    LTS_TRY(lts_pades__putf(b, " %s [ ", key));
    for (int i = 0; i < n && i < 1000000; i++) {
        const char *t = qpdf_oh_unparse(pdf->q, qpdf_oh_get_array_item(pdf->q, old, i));
        LTS_TRY(lts_buf_append(b, t, strlen(t)));
        LTS_TRY(lts_buf_append(b, " ", 1));
    }
    for (size_t i = 0; i < s->n; i++)
        LTS_TRY(lts_pades__putf(b, "%d 0 R ", s->num[i]));
    LTS_TRY(lts_buf_append(b, "]", 1));
out:
    return rc;
}

/* The DSS dictionary object: earlier entries kept, ours added. */
static lts_status write_dss(dss_ctx *x, int dss_num)
{
    lts_status rc = LTS_OK;
    lts_pdf *pdf = x->u->pdf;
    lts_buf extra = LTS_BUF_INIT, vri = LTS_BUF_INIT;
    qpdf_oh root = qpdf_get_root(pdf->q);
    qpdf_oh old = qpdf_oh_get_key(pdf->q, root, "/DSS");
    qpdf_oh oldvri = qpdf_oh_get_key_if_dict(pdf->q, old, "/VRI");
    static const char *const skip_dss[] = { "/Certs", "/OCSPs", "/CRLs", "/VRI", NULL };
    const char **skip_vri = NULL;
    char (*names)[42] = NULL;

    LTS_TRY(put_array(pdf, &extra, "/Certs", qpdf_oh_get_key_if_dict(pdf->q, old, "/Certs"),
                      &x->certs));
    LTS_TRY(put_array(pdf, &extra, "/OCSPs", qpdf_oh_get_key_if_dict(pdf->q, old, "/OCSPs"),
                      &x->ocsps));
    LTS_TRY(put_array(pdf, &extra, "/CRLs", qpdf_oh_get_key_if_dict(pdf->q, old, "/CRLs"),
                      &x->crls));
    for (size_t i = 0; i < x->n_vri; i++) {
        vri_ent *v = &x->vri[i];
        LTS_TRY(lts_pades__putf(&vri, " /%s <<", v->key));
        if (v->certs.n)
            LTS_TRY(lts_pades__putf(&vri, " /Cert [ %.*s]", (int)v->certs.n, (char *)v->certs.p));
        if (v->ocsps.n)
            LTS_TRY(lts_pades__putf(&vri, " /OCSP [ %.*s]", (int)v->ocsps.n, (char *)v->ocsps.p));
        if (v->crls.n)
            LTS_TRY(lts_pades__putf(&vri, " /CRL [ %.*s]", (int)v->crls.n, (char *)v->crls.p));
        LTS_TRY(lts_buf_append(&vri, " >>", 3));
    }
    LTS_TRY(lts_buf_append(&extra, " /VRI ", 6));
    if (qpdf_oh_is_dictionary(pdf->q, oldvri)) {
        /* keep the earlier entries except those we write again */
        LTS_ALLOC(skip_vri = lts_calloc(x->n_vri + 1, sizeof *skip_vri));
        LTS_ALLOC(names = lts_calloc(x->n_vri + 1, sizeof *names));
        for (size_t i = 0; i < x->n_vri; i++) {
            snprintf(names[i], sizeof names[i], "/%s", x->vri[i].key);
            skip_vri[i] = names[i];
        }
        LTS_TRY(lts_pades__put_dict_plus(pdf, &extra, oldvri, skip_vri, lts_buf_span(&vri)));
    } else {
        LTS_TRY(lts_buf_append(&extra, "<<", 2));
        LTS_TRY(lts_buf_append(&extra, vri.p, vri.n));
        LTS_TRY(lts_buf_append(&extra, " >>", 3));
    }
    LTS_TRY(lts_pades__upd_begin(x->u, dss_num, 0));
    if (qpdf_oh_is_dictionary(pdf->q, old)) {
        LTS_TRY(lts_pades__put_dict_plus(pdf, &x->u->b, old, skip_dss, lts_buf_span(&extra)));
    } else {
        LTS_TRY(lts_buf_append(&x->u->b, "<< /Type /DSS", 13));
        LTS_TRY(lts_buf_append(&x->u->b, extra.p, extra.n));
        LTS_TRY(lts_buf_append(&x->u->b, " >>", 3));
    }
    LTS_TRY(lts_pades__upd_end(x->u));
out:
    lts_free(skip_vri);
    lts_free(names);
    lts_buf_dispose(&extra);
    lts_buf_dispose(&vri);
    return rc;
}

lts_status lts_pades__dss_stage(const char *in_path, const char *out_path,
                                struct lts_vdata_source *vdata, const char *trust_file,
                                const lts_clock *clock, lts_afile *res)
{
    lts_status rc = LTS_OK;
    lts_pades_doc *d = NULL;
    lts_pdf_update u;
    lts_afile af = LTS_AFILE_INIT;
    lts_vdata_collect_opts co = LTS_VDATA_COLLECT_OPTS_INIT;
    dss_ctx x;
    uint8_t id1[16];
    char extra[48];
    int dss_num;
    static const char *const skip_dss[] = { "/DSS", NULL };

    memset(&u, 0, sizeof u);
    memset(&x, 0, sizeof x);
    LTS_ENSURE(vdata != NULL, LTS_E_CONFIG, "the DSS needs a validation data source");
    LTS_TRY(lts_pades_open(&d, in_path));
    LTS_ENSURE(lts_pades_sig_count(d) > 0, LTS_E_NOTFOUND, "%s: the PDF has no signature",
               in_path);
    LTS_TRY(lts_pades__upd_init(&u, lts_pades__doc_pdf(d)));
    x.u = &u;
    co.trust_file = trust_file;
    co.clock = clock;
    for (size_t i = 0; i < lts_pades_sig_count(d); i++) {
        if ((rc = one_sig(&x, d, i, vdata, &co)) != LTS_OK) {
            lts_err__wrap("%s: validation data for %s", in_path,
                          lts_pades_sig_get(d, i)->field_name ? lts_pades_sig_get(d, i)->field_name
                                                              : "a signature");
            goto out;
        }
    }
    dss_num = lts_pades__upd_new_num(&u);
    LTS_TRY(write_dss(&x, dss_num));
    snprintf(extra, sizeof extra, "/DSS %d 0 R", dss_num);
    LTS_TRY(lts_pades__rewrite_catalog(&u, skip_dss, lts_span_of(extra, strlen(extra))));
    LTS_OSSL(RAND_bytes(id1, sizeof id1) == 1, "RAND_bytes");
    LTS_TRY(lts_pades__upd_finish(&u, id1, sizeof id1));
    LTS_TRY(lts_io__afile_open(&af, out_path, 0));
    LTS_TRY(lts_pades__copy_original(lts_pades__doc_pdf(d), &af, NULL));
    LTS_TRY(lts_io__afile_write(&af, u.b.p, u.b.n));
    *res = af;
    af.fd = -1;
    af.tmp = NULL;
    af.path = NULL;
out:
    lts_io__afile_abort(&af);
    for (size_t i = 0; i < x.n_vri; i++) {
        lts_buf_dispose(&x.vri[i].certs);
        lts_buf_dispose(&x.vri[i].ocsps);
        lts_buf_dispose(&x.vri[i].crls);
    }
    lts_free(x.vri);
    blobset_dispose(&x.certs);
    blobset_dispose(&x.ocsps);
    blobset_dispose(&x.crls);
    lts_pades__upd_dispose(&u);
    lts_pades_free(d);
    return rc;
}
