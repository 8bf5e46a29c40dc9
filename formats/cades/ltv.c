/* B-LT (EN 319 122-1 §5.4): the validation data of the signer's and of the time-stamping
 * certificates, collected through the caller's lts_vdata_source, put into
 * SignedData.certificates and SignedData.crls (CRLs as they are, OCSP responses as
 * id-ri-ocsp-response other revocation info, RFC 5940 §4). */
#define LTS_MODULE "cades"
#include "cades_int.h"

#include <string.h>
#include <ltsig/vdata.h>
#include "core/der.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/oid.h"

typedef struct {
    lts_buf *items;
    size_t n, cap;
} bag;

static lts_status bag_add(bag *b, lts_span v)
{
    lts_status rc = LTS_OK;
    for (size_t i = 0; i < b->n; i++) {
        if (lts_span_eq(lts_buf_span(&b->items[i]), v))
            goto out;
    }
    if (b->n == b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 8;
        lts_buf *ni = lts_realloc(b->items, nc * sizeof *ni);
        LTS_ALLOC(ni);
        memset(ni + b->cap, 0, (nc - b->cap) * sizeof *ni);
        b->items = ni;
        b->cap = nc;
    }
    LTS_TRY(lts_buf_set(&b->items[b->n], v));
    b->n++;
out:
    return rc;
}

static void bag_dispose(bag *b)
{
    for (size_t i = 0; i < b->n; i++)
        lts_buf_dispose(&b->items[i]);
    lts_free(b->items);
}

/* [1] IMPLICIT OtherRevocationInfoFormat { id-ri-ocsp-response, OCSPResponse } */
static lts_status ocsp_choice(lts_buf *out, lts_span resp)
{
    lts_status rc = LTS_OK;
    ASN1_OBJECT *o = NULL;
    unsigned char *der = NULL;
    lts_buf oid = LTS_BUF_INIT;
    int len;
    LTS_ALLOC(o = lts_oid__obj(LTS_OID_RI_OCSP_RESPONSE));
    len = i2d_ASN1_OBJECT(o, &der);
    LTS_TRY(lts_cades__append_i2d(&oid, der, len, "OID"));
    {
        lts_span parts[] = { lts_buf_span(&oid), resp };
        LTS_TRY(lts_der__append_cons(out, LTS_DER_CTX_CONS(1), parts, 2));
    }
out:
    lts_buf_dispose(&oid);
    ASN1_OBJECT_free(o);
    return rc;
}

typedef struct {
    bag certs, revs;
    int has_ocsp;
} ltv_data;

lts_status lts_cades__collect(const lts_cades *owner, long idx, const lts_cades_extend_opts *o,
                             const char *what, lts_time revoked_before, lts_vdata_bundle *b)
{
    lts_status rc = LTS_OK;
    lts_vdata_collect_opts co = LTS_VDATA_COLLECT_OPTS_INIT;
    lts_span *cands = NULL;
    size_t n = lts_cades_cert_count(owner);

    LTS_ENSURE(idx >= 0, LTS_E_INPUT, "the %s certificate is not embedded: cannot collect its "
               "validation data", what);
    LTS_ENSURE(o->vdata != NULL, LTS_E_CONFIG, "level %s needs a validation data source",
               lts_level_name(o->level));
    LTS_ALLOC(cands = lts_calloc(n ? n : 1, sizeof *cands));
    for (size_t i = 0; i < n; i++)
        cands[i] = lts_cades_cert(owner, i);
    co.trust_file = o->trust_file;
    co.clock = o->clock;
    co.revoked_before = revoked_before;
    rc = lts_vdata_collect(o->vdata, lts_cades_cert(owner, (size_t)idx), cands, n, &co, b);
    if (rc != LTS_OK)
        lts_err__wrap("validation data of the %s certificate", what);
out:
    lts_free(cands);
    return rc;
}

lts_status lts_cades__first_poe(const lts_cades *c, size_t i, const lts_cades_extend_opts *o,
                                lts_time *out)
{
    lts_status rc = LTS_OK;
    lts_cades_ts_check t;
    memset(&t, 0, sizeof t);
    *out = lts_clock_now(o->clock);
    for (size_t j = 0; j < lts_cades_timestamp_count(c, i); j++) {
        LTS_TRY(lts_cades_check_timestamp(c, i, j, &t));
        if (t.token != NULL && t.has_gen_time && t.gen_time < *out)
            *out = t.gen_time;
        lts_cades_ts_check_dispose(&t);
    }
out:
    lts_cades_ts_check_dispose(&t);
    return rc;
}

static lts_status collect_for(ltv_data *d, const lts_cades *owner, long idx,
                              const lts_cades_extend_opts *o, const char *what,
                              lts_time revoked_before)
{
    lts_status rc = LTS_OK;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_buf choice = LTS_BUF_INIT;

    LTS_TRY(lts_cades__collect(owner, idx, o, what, revoked_before, &b));
    for (size_t i = 0; i < b.n_certs; i++)
        LTS_TRY(bag_add(&d->certs, lts_buf_span(&b.certs[i])));
    for (size_t i = 0; i < b.n_crls; i++)
        LTS_TRY(bag_add(&d->revs, lts_buf_span(&b.crls[i])));
    for (size_t i = 0; i < b.n_ocsps; i++) {
        choice.n = 0;
        LTS_TRY(ocsp_choice(&choice, lts_buf_span(&b.ocsps[i])));
        LTS_TRY(bag_add(&d->revs, lts_buf_span(&choice)));
        d->has_ocsp = 1;
    }
out:
    lts_buf_dispose(&choice);
    lts_vdata_bundle_dispose(&b);
    return rc;
}

lts_status lts_cades__add_ltv(lts_buf *out, const lts_cades *c, const lts_cades_extend_opts *o)
{
    lts_status rc = LTS_OK;
    ltv_data d;
    lts_cades__splice_in in;
    lts_span *certs = NULL, *revs = NULL;
    lts_cades_signer_check k;
    lts_cades_ts_check t;

    memset(&d, 0, sizeof d);
    memset(&in, 0, sizeof in);
    memset(&t, 0, sizeof t);
    LTS_ENSURE(o->vdata != NULL, LTS_E_CONFIG, "level %s needs a validation data source",
               lts_level_name(o->level));
    for (size_t i = 0; i < lts_cades_signer_count(c); i++) {
        /* the signer must not have been revoked before the signature's first proof of
         * existence: its earliest time-stamp, or now for a signature without one */
        lts_time poe = 0;
        LTS_TRY(lts_cades__first_poe(c, i, o, &poe));
        LTS_TRY(lts_cades_check_signer(c, i, NULL, &k));
        LTS_TRY(collect_for(&d, c, k.signer_cert, o, "signer", poe));
        for (size_t j = 0; j < lts_cades_timestamp_count(c, i); j++) {
            LTS_TRY(lts_cades_check_timestamp(c, i, j, &t));
            LTS_ENSURE(t.token != NULL, LTS_E_INPUT, "time-stamp %zu: %s", j + 1, t.detail);
            LTS_TRY(collect_for(&d, t.token, t.token_check.signer_cert, o, "time-stamping", 0));
            lts_cades_ts_check_dispose(&t);
        }
    }
    LTS_ALLOC(certs = lts_calloc(d.certs.n + 1, sizeof *certs));
    LTS_ALLOC(revs = lts_calloc(d.revs.n + 1, sizeof *revs));
    for (size_t i = 0; i < d.certs.n; i++)
        certs[i] = lts_buf_span(&d.certs.items[i]);
    for (size_t i = 0; i < d.revs.n; i++)
        revs[i] = lts_buf_span(&d.revs.items[i]);
    in.n_signers = lts_cades_signer_count(c);
    in.certs = certs;
    in.n_certs = d.certs.n;
    in.revs = revs;
    in.n_revs = d.revs.n;
    in.version = d.has_ocsp ? 5 : 0;
    LTS_TRY(lts_cades__splice2(out, lts_cades_der(c), &in));
out:
    lts_cades_ts_check_dispose(&t);
    lts_free(certs);
    lts_free(revs);
    bag_dispose(&d.certs);
    bag_dispose(&d.revs);
    return rc;
}
