/* validation/collect.c — the vdata source dispatch, the online collector (AIA caIssuers,
 * AIA OCSP, CRL distribution points over HTTP) and lts_vdata_collect(): the path to a trust
 * anchor plus checked OCSP responses and CRLs, as DER. See ltsig/vdata.h, ltsig/sys/vdata.h. */
#define LTS_MODULE "vdata"
#include "validation/validation_int.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

/* ---- dispatch ------------------------------------------------------------------------ */

static lts_status check_ops(lts_vdata_source *s)
{
    if (s == NULL || s->ops == NULL || s->ops->version < 1 || s->ops->version > LTS_VDATA_OPS_VERSION
        || s->ops->issuer == NULL || s->ops->close == NULL)
        return lts_err__set(LTS_E_CONFIG, LTS_MODULE, 0, "not a usable validation data source "
                            "(missing or unknown ops table version, or a required method)");
    return LTS_OK;
}

/* see ltsig/sys/vdata.h */
lts_status lts_vdata_get_issuer(lts_vdata_source *s, X509 *cert, X509 **out)
{
    lts_status rc = check_ops(s);
    *out = NULL;
    if (rc != LTS_OK)
        return rc;
    return s->ops->issuer(s, cert, out);
}

lts_status lts_vdata_get_ocsp(lts_vdata_source *s, X509 *cert, X509 *issuer, lts_buf *out)
{
    lts_status rc = check_ops(s);
    if (rc != LTS_OK)
        return rc;
    if (s->ops->ocsp == NULL)
        return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0, "the %s source has no OCSP responses",
                            s->ops->name ? s->ops->name : "validation data");
    return s->ops->ocsp(s, cert, issuer, out);
}

lts_status lts_vdata_get_crl(lts_vdata_source *s, X509 *cert, X509 *issuer, lts_buf *out)
{
    lts_status rc = check_ops(s);
    if (rc != LTS_OK)
        return rc;
    if (s->ops->crl == NULL)
        return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0, "the %s source has no CRLs",
                            s->ops->name ? s->ops->name : "validation data");
    return s->ops->crl(s, cert, issuer, out);
}

/* see ltsig/vdata.h */
void lts_vdata_free(lts_vdata_source *s)
{
    if (s != NULL && s->ops != NULL && s->ops->close != NULL)
        s->ops->close(s);
}

/* ---- the online collector ----------------------------------------------------------- */

typedef struct {
    lts_vdata_source base;
    long timeout_s;
    STACK_OF(X509) *extra;
    STACK_OF(X509) *trust;
    unsigned int revocation;
    lts_vdata_nonce nonce;
    char *ocsp_url;
    char *ca_file;
    const lts_clock *clock;
} online_src;

static X509 *find_issuer_in(STACK_OF(X509) *sk, X509 *cert)
{
    for (int i = 0; sk != NULL && i < sk_X509_num(sk); i++) {
        X509 *x = sk_X509_value(sk, i);
        if (lts_vdata__issued_by(cert, x))
            return x;
    }
    return NULL;
}

static lts_status online_issuer(lts_vdata_source *s, X509 *cert, X509 **out)
{
    online_src *o = (online_src *)s;
    lts_status rc = LTS_OK;
    char **urls = NULL;
    char name[256];
    X509 *x;
    *out = NULL;
    if ((x = find_issuer_in(o->extra, cert)) != NULL || (x = find_issuer_in(o->trust, cert)) != NULL) {
        LTS_OSSL(X509_up_ref(x), "X509_up_ref");
        *out = x;
        goto out;
    }
    LTS_TRY(lts_vdata__urls(cert, NID_ad_ca_issuers, &urls, NULL));
    if (urls[0] == NULL)
        LTS_FAIL_R(LTS_E_NOTFOUND, LTS_VDATA_R_NO_URL, "no issuer certificate for %s: not among "
                   "the given certificates, and no AIA caIssuers http URL",
                   lts_vdata__name(cert, name, sizeof name));
    for (char **u = urls; *u; u++) {
        rc = lts_vdata__fetch_issuer(*u, cert, o->timeout_s, o->ca_file, out);
        if (rc == LTS_OK)
            break;
    }
out:
    lts_vdata__urls_free(urls);
    return rc;
}

static lts_status online_ocsp(lts_vdata_source *s, X509 *cert, X509 *issuer, lts_buf *out)
{
    online_src *o = (online_src *)s;
    lts_status rc = LTS_OK;
    char **urls = NULL;
    char name[256];
    lts_time now = lts_clock_now(o->clock);
    if (!(o->revocation & LTS_VDATA_OCSP))
        LTS_FAIL_R(LTS_E_NOTFOUND, LTS_VDATA_R_NO_URL, "OCSP is turned off for this collector");
    LTS_TRY(lts_vdata__urls(cert, NID_ad_OCSP, &urls, NULL));
    if (urls[0] == NULL)
        LTS_FAIL_R(LTS_E_NOTFOUND, LTS_VDATA_R_NO_URL, "%s names no OCSP responder (no AIA OCSP "
                   "http URL)", lts_vdata__name(cert, name, sizeof name));
    if (o->ocsp_url != NULL) {
        LTS_TRY(lts_vdata__fetch_ocsp(o->ocsp_url, cert, issuer, o->nonce, o->timeout_s,
                                      o->ca_file, now, out));
        goto out;
    }
    for (char **u = urls; *u; u++) {
        rc = lts_vdata__fetch_ocsp(*u, cert, issuer, o->nonce, o->timeout_s, o->ca_file, now, out);
        if (rc == LTS_OK || (rc != LTS_E_NET && rc != LTS_E_TIMEOUT))
            break; /* a bad answer is final; an unreachable responder lets us try the next */
    }
out:
    lts_vdata__urls_free(urls);
    return rc;
}

static lts_status online_crl(lts_vdata_source *s, X509 *cert, X509 *issuer, lts_buf *out)
{
    online_src *o = (online_src *)s;
    lts_status rc = LTS_OK;
    char **urls = NULL;
    char name[256];
    lts_time now = lts_clock_now(o->clock);
    if (!(o->revocation & LTS_VDATA_CRL))
        LTS_FAIL_R(LTS_E_NOTFOUND, LTS_VDATA_R_NO_URL, "CRLs are turned off for this collector");
    LTS_TRY(lts_vdata__urls(cert, NID_crl_distribution_points, &urls, NULL));
    if (urls[0] == NULL)
        LTS_FAIL_R(LTS_E_NOTFOUND, LTS_VDATA_R_NO_URL, "%s names no CRL distribution point "
                   "(http URL)", lts_vdata__name(cert, name, sizeof name));
    for (char **u = urls; *u; u++) {
        rc = lts_vdata__fetch_crl(*u, issuer, o->timeout_s, o->ca_file, now, out);
        if (rc == LTS_OK || (rc != LTS_E_NET && rc != LTS_E_TIMEOUT))
            break;
    }
out:
    lts_vdata__urls_free(urls);
    return rc;
}

static lts_status dup_stack(STACK_OF(X509) *in, STACK_OF(X509) **out)
{
    lts_status rc = LTS_OK;
    *out = NULL;
    if (in == NULL || sk_X509_num(in) == 0)
        goto out;
    LTS_OSSL(*out = X509_chain_up_ref(in), "X509_chain_up_ref");
out:
    return rc;
}

static lts_status online_anchors(lts_vdata_source *s, STACK_OF(X509) **out)
{
    return dup_stack(((online_src *)s)->trust, out);
}

static void online_close(lts_vdata_source *s)
{
    online_src *o = (online_src *)s;
    sk_X509_pop_free(o->extra, X509_free);
    sk_X509_pop_free(o->trust, X509_free);
    lts_free(o->ocsp_url);
    lts_free(o->ca_file);
    lts_free(o);
}

static const lts_vdata_ops online_ops = {
    LTS_VDATA_OPS_VERSION, "online", online_issuer, online_ocsp, online_crl, online_anchors,
    online_close
};

/* see ltsig/vdata.h */
lts_status lts_vdata_online_new(lts_vdata_source **out, const lts_vdata_online_opts *opts)
{
    lts_status rc = LTS_OK;
    lts_vdata_online_opts def = LTS_VDATA_ONLINE_OPTS_INIT;
    online_src *o = NULL;
    *out = NULL;
    if (opts == NULL)
        opts = &def;
    LTS_ENSURE(opts->version == LTS_VDATA_ONLINE_OPTS_VERSION, LTS_E_CONFIG,
               "lts_vdata_online_opts version %u is not %d", opts->version,
               LTS_VDATA_ONLINE_OPTS_VERSION);
    LTS_ENSURE(opts->timeout_s >= 0, LTS_E_CONFIG, "negative timeout");
    LTS_ENSURE(opts->nonce >= LTS_VDATA_NONCE_SEND && opts->nonce <= LTS_VDATA_NONCE_OFF,
               LTS_E_CONFIG, "unknown OCSP nonce policy %d", (int)opts->nonce);
    LTS_ALLOC(o = lts_calloc(1, sizeof *o));
    o->base.ops = &online_ops;
    o->timeout_s = opts->timeout_s > 0 ? opts->timeout_s : LTS_VDATA_TIMEOUT;
    o->revocation = opts->revocation ? opts->revocation : (LTS_VDATA_OCSP | LTS_VDATA_CRL);
    o->nonce = opts->nonce;
    o->clock = opts->clock;
    if (opts->ocsp_url)
        LTS_ALLOC(o->ocsp_url = lts_strdup(opts->ocsp_url));
    if (opts->ca_file)
        LTS_ALLOC(o->ca_file = lts_strdup(opts->ca_file));
    if (opts->extra_certs)
        LTS_TRY(lts_vdata__load_certs(opts->extra_certs, &o->extra));
    if (opts->trust_file)
        LTS_TRY(lts_vdata__load_certs(opts->trust_file, &o->trust));
    *out = &o->base;
    o = NULL;
out:
    if (o)
        online_close(&o->base);
    return rc;
}

/* ---- the bundle ---------------------------------------------------------------------- */

static void bufs_free(lts_buf *a, size_t n)
{
    for (size_t i = 0; a != NULL && i < n; i++)
        lts_buf_dispose(&a[i]);
    lts_free(a);
}

void lts_vdata_bundle_dispose(lts_vdata_bundle *b)
{
    lts_vdata_bundle empty = LTS_VDATA_BUNDLE_INIT;
    if (b == NULL)
        return;
    bufs_free(b->certs, b->n_certs);
    bufs_free(b->ocsps, b->n_ocsps);
    bufs_free(b->crls, b->n_crls);
    *b = empty;
}

/* Append a copy of d to (*arr, *n) unless an equal item is there already. */
static lts_status bufs_add(lts_buf **arr, size_t *n, lts_span d)
{
    lts_status rc = LTS_OK;
    lts_buf *grown;
    lts_buf init = LTS_BUF_INIT;
    for (size_t i = 0; i < *n; i++)
        if (lts_span_eq(lts_buf_span(&(*arr)[i]), d))
            goto out;
    LTS_ALLOC(grown = lts_realloc(*arr, (*n + 1) * sizeof *grown));
    *arr = grown;
    grown[*n] = init;
    LTS_TRY(lts_buf_set(&grown[*n], d));
    (*n)++;
out:
    return rc;
}

static lts_status add_cert(lts_vdata_bundle *b, X509 *x)
{
    lts_status rc = LTS_OK;
    lts_buf der = LTS_BUF_INIT;
    LTS_TRY(lts_vdata__x509_to_der(x, &der));
    LTS_TRY(bufs_add(&b->certs, &b->n_certs, lts_buf_span(&der)));
out:
    lts_buf_dispose(&der);
    return rc;
}

/* ---- lts_vdata_collect --------------------------------------------------------------- */

static int in_stack(STACK_OF(X509) *sk, X509 *x)
{
    for (int i = 0; sk != NULL && i < sk_X509_num(sk); i++)
        if (X509_cmp(sk_X509_value(sk, i), x) == 0)
            return 1;
    return 0;
}

static lts_status push_ref(STACK_OF(X509) *sk, X509 *x)
{
    lts_status rc = LTS_OK;
    LTS_OSSL(X509_up_ref(x), "X509_up_ref");
    if (!sk_X509_push(sk, x)) {
        X509_free(x);
        LTS_FAIL(LTS_E_NOMEM, "out of memory");
    }
out:
    return rc;
}

static lts_status load_anchors(lts_vdata_source *src, const lts_vdata_collect_opts *o,
                               STACK_OF(X509) **out)
{
    lts_status rc = LTS_OK;
    STACK_OF(X509) *sk = NULL;
    X509 *x = NULL;
    *out = NULL;
    if (o->trust_file)
        LTS_TRY(lts_vdata__load_certs(o->trust_file, &sk));
    for (size_t i = 0; i < o->n_anchors; i++) {
        if (sk == NULL)
            LTS_ALLOC(sk = sk_X509_new_null());
        LTS_TRY(lts_vdata__x509_from_der(&x, o->anchors[i], "trust anchor"));
        LTS_ENSURE(sk_X509_push(sk, x), LTS_E_NOMEM, "out of memory");
        x = NULL;
    }
    if (sk == NULL && src->ops->anchors != NULL)
        LTS_TRY(src->ops->anchors(src, &sk));
    *out = sk;
    sk = NULL;
out:
    X509_free(x);
    sk_X509_pop_free(sk, X509_free);
    return rc;
}

/* path gets leaf .. anchor (or the self-signed end when there are no anchors). */
static lts_status build_path(lts_vdata_source *src, X509 *leaf, STACK_OF(X509) *cands,
                             STACK_OF(X509) *anchors, STACK_OF(X509) *path)
{
    lts_status rc = LTS_OK;
    X509 *cur = leaf, *next = NULL, *found;
    char name[256], lname[256];
    LTS_TRY(push_ref(path, leaf));
    for (int depth = 0;; depth++) {
        LTS_ENSURE(depth < 16, LTS_E_INPUT, "the chain of %s is longer than 16 certificates",
                   lts_vdata__name(leaf, lname, sizeof lname));
        if (in_stack(anchors, cur))
            break;
        if (lts_vdata__self_signed(cur)) {
            if (anchors == NULL)
                break;
            LTS_FAIL_R(LTS_E_NOTFOUND, LTS_VDATA_R_NO_ANCHOR, "the chain of %s ends at %s, which "
                       "is self-signed and not a trust anchor",
                       lts_vdata__name(leaf, lname, sizeof lname),
                       lts_vdata__name(cur, name, sizeof name));
        }
        if ((found = find_issuer_in(anchors, cur)) != NULL
            || (found = find_issuer_in(cands, cur)) != NULL) {
            LTS_OSSL(X509_up_ref(found), "X509_up_ref");
            next = found;
        } else {
            rc = lts_vdata_get_issuer(src, cur, &next);
            if (rc != LTS_OK) {
                lts_err__wrap("no issuer for %s", lts_vdata__name(cur, name, sizeof name));
                goto out;
            }
            LTS_ENSURE(lts_vdata__issued_by(cur, next), LTS_E_INPUT, "the %s source answered "
                       "with a certificate that did not issue %s", src->ops->name,
                       lts_vdata__name(cur, name, sizeof name));
        }
        LTS_ENSURE(!in_stack(path, next), LTS_E_INPUT, "the chain of %s loops at %s",
                   lts_vdata__name(leaf, lname, sizeof lname),
                   lts_vdata__name(next, name, sizeof name));
        LTS_ENSURE(sk_X509_push(path, next), LTS_E_NOMEM, "out of memory");
        cur = next;
        next = NULL;
    }
out:
    X509_free(next);
    return rc;
}

/* A failure that does not condemn the data: nothing was obtained, another kind may do. */
static int tolerable(lts_status rc)
{
    int r = lts_error_last()->reason;
    if (rc == LTS_E_NET || rc == LTS_E_TIMEOUT || rc == LTS_E_NOTFOUND || rc == LTS_E_UNSUPPORTED)
        return 1;
    return r == LTS_VDATA_R_HTTP || r == LTS_VDATA_R_GARBAGE || r == LTS_VDATA_R_OCSP_STATUS
           || r == LTS_VDATA_R_NO_URL || r == LTS_VDATA_R_STALE;
}

typedef struct {
    lts_status rc;
    int reason;
    char msg[512];
} first_err;

static void keep_err(first_err *e, lts_status rc)
{
    if (e->rc == LTS_OK) {
        e->rc = rc;
        e->reason = lts_error_last()->reason;
        snprintf(e->msg, sizeof e->msg, "%s", lts_error_last()->message);
    }
}

/* A delegated OCSP responder without id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1) needs its
 * own revocation data: its issuer's CRL, best effort (nothing obtainable is no error, a
 * CRL that fails its checks is). */
static lts_status responder_crl(lts_vdata_source *src, X509 *signer, X509 *issuer, lts_time now,
                                lts_vdata_bundle *b)
{
    lts_status rc = LTS_OK;
    lts_buf data = LTS_BUF_INIT;
    X509_CRL *crl = NULL;
    char name[256], where[320];
    if (X509_cmp(signer, issuer) == 0 || X509_get_ext_by_NID(signer, NID_id_pkix_OCSP_noCheck, -1) >= 0
        || src->ops->crl == NULL)
        goto out;
    rc = lts_vdata_get_crl(src, signer, issuer, &data);
    if (rc == LTS_OK) {
        snprintf(where, sizeof where, "CRL for the OCSP responder %s from the %s source",
                 lts_vdata__name(signer, name, sizeof name), src->ops->name);
        LTS_TRY(lts_vdata__crl_parse(lts_buf_span(&data), &crl, where));
        rc = lts_vdata__crl_verify(crl, signer, issuer, now, where, NULL);
    }
    if (rc == LTS_OK)
        LTS_TRY(bufs_add(&b->crls, &b->n_crls, lts_buf_span(&data)));
    else if (tolerable(rc))
        rc = LTS_OK;
out:
    ERR_clear_error();
    X509_CRL_free(crl);
    lts_buf_dispose(&data);
    return rc;
}

static lts_status revocation_of(lts_vdata_source *src, X509 *cert, X509 *issuer,
                                unsigned int kinds, lts_time now, STACK_OF(X509) *path,
                                STACK_OF(X509) *responders, lts_vdata_bundle *b)
{
    lts_status rc = LTS_OK;
    lts_buf data = LTS_BUF_INIT;
    OCSP_RESPONSE *resp = NULL;
    X509_CRL *crl = NULL;
    X509 *signer = NULL;
    first_err fe = { LTS_OK, 0, "" };
    char name[256], where[300];
    int got = 0;

    lts_vdata__name(cert, name, sizeof name);
    if ((kinds & LTS_VDATA_OCSP) && src->ops->ocsp != NULL) {
        rc = lts_vdata_get_ocsp(src, cert, issuer, &data);
        if (rc == LTS_OK) {
            snprintf(where, sizeof where, "OCSP response for %s from the %s source", name,
                     src->ops->name);
            LTS_TRY(lts_vdata__ocsp_parse(lts_buf_span(&data), &resp, where));
            rc = lts_vdata__ocsp_verify(resp, cert, issuer, now, where, NULL, &signer);
        }
        if (rc == LTS_OK) {
            LTS_TRY(bufs_add(&b->ocsps, &b->n_ocsps, lts_buf_span(&data)));
            if (!in_stack(path, signer) && !in_stack(responders, signer)) {
                LTS_TRY(push_ref(responders, signer));
                if (kinds & LTS_VDATA_CRL)
                    LTS_TRY(responder_crl(src, signer, issuer, now, b));
            }
            got++;
        } else if (tolerable(rc)) {
            keep_err(&fe, rc);
        } else {
            goto out;
        }
    }
    data.n = 0;
    if ((kinds & LTS_VDATA_CRL) && src->ops->crl != NULL) {
        rc = lts_vdata_get_crl(src, cert, issuer, &data);
        if (rc == LTS_OK) {
            snprintf(where, sizeof where, "CRL for %s from the %s source", name, src->ops->name);
            LTS_TRY(lts_vdata__crl_parse(lts_buf_span(&data), &crl, where));
            rc = lts_vdata__crl_verify(crl, cert, issuer, now, where, NULL);
        }
        if (rc == LTS_OK) {
            LTS_TRY(bufs_add(&b->crls, &b->n_crls, lts_buf_span(&data)));
            got++;
        } else if (tolerable(rc)) {
            keep_err(&fe, rc);
        } else {
            goto out;
        }
    }
    rc = LTS_OK;
    if (!got)
        LTS_FAIL_R(LTS_E_NOTFOUND, LTS_VDATA_R_NO_REVOCATION, "no revocation data for %s: %s",
                   name, fe.rc != LTS_OK ? fe.msg : "the source offers neither OCSP nor CRLs");
out:
    X509_free(signer);
    X509_CRL_free(crl);
    OCSP_RESPONSE_free(resp);
    lts_buf_dispose(&data);
    return rc;
}

static lts_status refuse_revoked(const lts_vdata_bundle *b, STACK_OF(X509) *path, lts_time t);

/* see ltsig/vdata.h */
lts_status lts_vdata_collect(lts_vdata_source *src, lts_span leaf, const lts_span *candidates,
                             size_t n_candidates, const lts_vdata_collect_opts *opts,
                             lts_vdata_bundle *out)
{
    lts_status rc = LTS_OK;
    lts_vdata_collect_opts def = LTS_VDATA_COLLECT_OPTS_INIT;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    X509 *leafx = NULL, *x = NULL;
    STACK_OF(X509) *cands = NULL, *anchors = NULL, *path = NULL, *responders = NULL;
    unsigned int kinds;
    lts_time now;

    if (opts == NULL)
        opts = &def;
    LTS_ENSURE(out != NULL, LTS_E_CONFIG, "lts_vdata_collect: no output bundle");
    LTS_ENSURE(opts->version >= 1 && opts->version <= LTS_VDATA_COLLECT_OPTS_VERSION,
               LTS_E_CONFIG, "lts_vdata_collect_opts version %u is not 1..%d", opts->version,
               LTS_VDATA_COLLECT_OPTS_VERSION);
    LTS_TRY(check_ops(src));
    kinds = opts->revocation ? opts->revocation : (LTS_VDATA_OCSP | LTS_VDATA_CRL);
    now = lts_clock_now(opts->clock);

    LTS_TRY(lts_vdata__x509_from_der(&leafx, leaf, "certificate to collect for"));
    LTS_ALLOC(cands = sk_X509_new_null());
    for (size_t i = 0; i < n_candidates; i++) {
        LTS_TRY(lts_vdata__x509_from_der(&x, candidates[i], "candidate certificate"));
        LTS_ENSURE(sk_X509_push(cands, x), LTS_E_NOMEM, "out of memory");
        x = NULL;
    }
    LTS_TRY(load_anchors(src, opts, &anchors));
    LTS_ALLOC(path = sk_X509_new_null());
    LTS_ALLOC(responders = sk_X509_new_null());
    LTS_TRY(build_path(src, leafx, cands, anchors, path));

    for (int i = 0; i + 1 < sk_X509_num(path); i++)
        LTS_TRY(revocation_of(src, sk_X509_value(path, i), sk_X509_value(path, i + 1), kinds, now,
                              path, responders, &b));
    for (int i = 0; i < sk_X509_num(path); i++)
        LTS_TRY(add_cert(&b, sk_X509_value(path, i)));
    b.chain_len = b.n_certs;
    for (int i = 0; i < sk_X509_num(responders); i++)
        LTS_TRY(add_cert(&b, sk_X509_value(responders, i)));
    if (opts->version >= 2 && opts->revoked_before != 0)
        LTS_TRY(refuse_revoked(&b, path, opts->revoked_before));
    *out = b;
    memset(&b, 0, sizeof b);
out:
    lts_vdata_bundle_dispose(&b);
    X509_free(x);
    X509_free(leafx);
    sk_X509_pop_free(cands, X509_free);
    sk_X509_pop_free(anchors, X509_free);
    sk_X509_pop_free(path, X509_free);
    sk_X509_pop_free(responders, X509_free);
    ERR_clear_error();
    return rc;
}

/* A path certificate revoked at or before `t` (by the data just collected) is an error. */
static lts_status refuse_revoked(const lts_vdata_bundle *b, STACK_OF(X509) *path, lts_time t)
{
    lts_status rc = LTS_OK;
    lts_revocation_info ri;
    char name[256], when[LTS_TIME_RFC3339_LEN];
    for (size_t i = 0; i + 1 < b->chain_len; i++) {
        if (lts_vdata_bundle_status(b, i, LTS_VDATA_NO_FRESHNESS, &ri) != LTS_OK)
            continue; /* nothing usable says revoked: the collection rules already applied */
        if (ri.status != LTS_CERT_REVOKED || ri.revocation_time > t)
            continue;
        X509_NAME_oneline(X509_get_subject_name(sk_X509_value(path, (int)i)), name, sizeof name);
        if (lts_time_format_rfc3339(when, sizeof when, ri.revocation_time) != LTS_OK)
            snprintf(when, sizeof when, "?");
        LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_REVOKED,
                   "certificate %s was revoked on %s (%s, per %s): no new signature or "
                   "validation data for it", name, when, lts_crl_reason_name(ri.reason),
                   ri.source == LTS_REVSRC_OCSP ? "OCSP" : "CRL");
    }
    lts_error_clear();
out:
    return rc;
}

/* see ltsig/vdata.h */
lts_status lts_vdata_bundle_status(const lts_vdata_bundle *b, size_t i, lts_time now,
                                   lts_revocation_info *out)
{
    static const int rank[] = { 2, 3, 1 }; /* GOOD, REVOKED, UNKNOWN */
    lts_status rc = LTS_OK;
    first_err fe = { LTS_OK, 0, "" };
    lts_revocation_info best, ri;
    lts_span cert, issuer;
    int have = 0, r;
    memset(&best, 0, sizeof best);
    best.status = LTS_CERT_UNKNOWN;
    best.reason = -1;
    if (out)
        *out = best;
    LTS_ENSURE(b != NULL && i + 1 < b->chain_len && b->chain_len <= b->n_certs, LTS_E_NOTFOUND,
               "no revocation data for certificate %zu of the bundle (the trust anchor, or past "
               "the path)", i);
    cert = lts_buf_span(&b->certs[i]);
    issuer = lts_buf_span(&b->certs[i + 1]);
    for (size_t k = 0; k < b->n_ocsps + b->n_crls; k++) {
        if (k < b->n_ocsps)
            rc = lts_vdata_ocsp_check(lts_buf_span(&b->ocsps[k]), cert, issuer, now, &ri);
        else
            rc = lts_vdata_crl_check(lts_buf_span(&b->crls[k - b->n_ocsps]), cert, issuer, now,
                                     &ri);
        if (rc == LTS_OK) {
            if (!have || rank[ri.status] > rank[best.status])
                best = ri;
            have = 1;
            continue;
        }
        r = lts_error_last()->reason;
        if (r != LTS_VDATA_R_NO_SINGLE && r != LTS_VDATA_R_CRL_ISSUER)
            keep_err(&fe, rc);
    }
    rc = LTS_OK;
    if (have) {
        if (out)
            *out = best;
        goto out;
    }
    if (fe.rc != LTS_OK) {
        rc = lts_err__set(fe.rc, LTS_MODULE, fe.reason, "%s", fe.msg);
        goto out;
    }
    LTS_FAIL_R(LTS_E_NOTFOUND, LTS_VDATA_R_NO_REVOCATION, "the bundle holds no OCSP response or "
               "CRL for certificate %zu", i);
out:
    return rc;
}

/* see ltsig/vdata.h */
lts_status lts_vdata_bundle_save(const lts_vdata_bundle *b, const char *dir)
{
    lts_status rc = LTS_OK;
    const struct {
        const lts_buf *items;
        size_t n;
        const char *ext;
    } kinds[3] = { { b->certs, b->n_certs, "crt" }, { b->ocsps, b->n_ocsps, "ocsp" },
                   { b->crls, b->n_crls, "crl" } };
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char path[4096];
    LTS_ENSURE(dir != NULL && dir[0] != '\0', LTS_E_CONFIG, "no folder to save validation data in");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        LTS_FAIL(LTS_E_IO, "%s: cannot create the folder: %s", dir, strerror(errno));
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < kinds[k].n; i++) {
            lts_span d = lts_buf_span(&kinds[k].items[i]);
            LTS_OSSL(EVP_Digest(d.p, d.n, md, &mdlen, EVP_sha256(), NULL) == 1, "EVP_Digest");
            int w = snprintf(path, sizeof path, "%s/%02x%02x%02x%02x%02x%02x%02x%02x.%s", dir,
                             md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], kinds[k].ext);
            LTS_ENSURE(w > 0 && (size_t)w < sizeof path, LTS_E_CONFIG, "%s: path too long", dir);
            LTS_TRY(lts_io__write_atomic(path, d, 0));
        }
    }
out:
    return rc;
}
