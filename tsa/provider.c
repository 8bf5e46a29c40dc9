/* The timestamp provider core: request building, endpoints tried in order, every answer
 * checked (check.c) before a token is handed out; and the in-process responder provider.
 * see ltsig/tsa.h and ltsig/sys/tsa.h */
#define LTS_MODULE "tsa"
#include "tsa_int.h"

#include <stdio.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <ltsig/sys/tsa.h>
#include "core/err.h"
#include "core/mem.h"

typedef struct {
    char *policy;      /* NULL: none asked */
    X509_STORE *trust; /* NULL: signature only, no chain check */
} tsa_core;

const EVP_MD *lts_tsa__md(lts_hash h)
{
    switch (h) {
    case LTS_HASH_SHA256: return EVP_sha256();
    case LTS_HASH_SHA384: return EVP_sha384();
    case LTS_HASH_SHA512: return EVP_sha512();
    case LTS_HASH_SHA1: return EVP_sha1();
    default: return NULL;
    }
}

lts_status lts_tsa__load_trust(X509_STORE **out, const char *pem_file)
{
    lts_status rc = LTS_OK;
    X509_STORE *st = NULL;
    *out = NULL;
    LTS_ALLOC(st = X509_STORE_new());
    if (X509_STORE_load_file(st, pem_file) != 1)
        LTS_FAIL_OSSL(LTS_E_IO, "%s: cannot read the TSA trust anchors", pem_file);
    LTS_OSSL(X509_STORE_set_purpose(st, X509_PURPOSE_TIMESTAMP_SIGN) == 1,
             "X509_STORE_set_purpose");
    *out = st;
    st = NULL;
out:
    X509_STORE_free(st);
    return rc;
}

/* A random positive 64-bit nonce. */
static lts_status new_nonce(ASN1_INTEGER **out)
{
    lts_status rc = LTS_OK;
    unsigned char raw[8];
    BIGNUM *bn = NULL;
    *out = NULL;
    LTS_OSSL(RAND_bytes(raw, sizeof raw) == 1, "RAND_bytes");
    raw[0] &= 0x7f;
    raw[0] |= 0x01; /* keep it 8 bytes long (RFC 3161 §2.4.1: large random number) */
    LTS_OSSL(bn = BN_bin2bn(raw, sizeof raw, NULL), "BN_bin2bn");
    LTS_OSSL(*out = BN_to_ASN1_INTEGER(bn, NULL), "BN_to_ASN1_INTEGER");
out:
    BN_free(bn);
    return rc;
}

lts_status lts_tsa__req_new(TS_REQ **out, lts_hash h, lts_span digest, const char *policy)
{
    lts_status rc = LTS_OK;
    TS_REQ *req = NULL;
    TS_MSG_IMPRINT *mi = NULL;
    X509_ALGOR *alg = NULL;
    ASN1_INTEGER *nonce = NULL;
    ASN1_OBJECT *pol = NULL;
    const EVP_MD *md = lts_tsa__md(h);
    *out = NULL;

    LTS_ENSURE(md != NULL && h != LTS_HASH_SHA1, LTS_E_UNSUPPORTED,
               "timestamp imprint hash %s is not supported", lts_hash_name(h));
    LTS_ENSURE(digest.n == lts_hash_size(h), LTS_E_INPUT,
               "digest to timestamp is %zu bytes, %s needs %zu", digest.n, lts_hash_name(h),
               lts_hash_size(h));
    if (policy != NULL)
        LTS_ENSURE((pol = OBJ_txt2obj(policy, 1)) != NULL, LTS_E_CONFIG,
                   "TSA policy is not a dotted OID: %.100s", policy);
    LTS_ALLOC(req = TS_REQ_new());
    LTS_OSSL(TS_REQ_set_version(req, 1), "TS_REQ_set_version");
    LTS_ALLOC(mi = TS_MSG_IMPRINT_new());
    LTS_ALLOC(alg = X509_ALGOR_new());
    X509_ALGOR_set_md(alg, md); /* SHA-2: parameters absent (RFC 5754 §2) */
    LTS_OSSL(TS_MSG_IMPRINT_set_algo(mi, alg), "TS_MSG_IMPRINT_set_algo");
    LTS_OSSL(TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)digest.p, (int)digest.n),
             "TS_MSG_IMPRINT_set_msg");
    LTS_OSSL(TS_REQ_set_msg_imprint(req, mi), "TS_REQ_set_msg_imprint");
    if (pol != NULL)
        LTS_OSSL(TS_REQ_set_policy_id(req, pol), "TS_REQ_set_policy_id");
    LTS_TRY(new_nonce(&nonce));
    LTS_OSSL(TS_REQ_set_nonce(req, nonce), "TS_REQ_set_nonce");
    LTS_OSSL(TS_REQ_set_cert_req(req, 1), "TS_REQ_set_cert_req");
    *out = req;
    req = NULL;
out:
    TS_REQ_free(req);
    TS_MSG_IMPRINT_free(mi);
    X509_ALGOR_free(alg);
    ASN1_INTEGER_free(nonce);
    ASN1_OBJECT_free(pol);
    return rc;
}

static void core_free(tsa_core *c)
{
    if (c == NULL)
        return;
    lts_free(c->policy);
    X509_STORE_free(c->trust);
    lts_free(c);
}

/* see ltsig/sys/tsa.h */
lts_status lts_tsa_setup(lts_tsa *t, const lts_tsa_opts *opts)
{
    lts_status rc = LTS_OK;
    tsa_core *c = NULL;
    lts_tsa_opts def = LTS_TSA_OPTS_INIT;
    if (opts == NULL)
        opts = &def;
    LTS_ENSURE(t != NULL && t->ops != NULL && t->core_ == NULL, LTS_E_CONFIG,
               "lts_tsa_setup: no provider, or set up twice");
    LTS_ENSURE(t->ops->version == LTS_TSA_OPS_VERSION && t->ops->transact != NULL &&
                   t->ops->close != NULL && t->n_endpoints > 0,
               LTS_E_CONFIG, "TSA provider '%s': bad ops table (version %u) or no endpoint",
               t->ops->name ? t->ops->name : "?", t->ops->version);
    LTS_ENSURE(opts->version == LTS_TSA_OPTS_VERSION, LTS_E_CONFIG,
               "lts_tsa_opts version %u is not %u", opts->version, LTS_TSA_OPTS_VERSION);
    LTS_ALLOC(c = lts_calloc(1, sizeof *c));
    if (opts->policy != NULL) {
        ASN1_OBJECT *o = OBJ_txt2obj(opts->policy, 1);
        LTS_ENSURE(o != NULL, LTS_E_CONFIG, "TSA policy is not a dotted OID: %.100s",
                   opts->policy);
        ASN1_OBJECT_free(o);
        LTS_ALLOC(c->policy = lts_strdup(opts->policy));
    }
    if (opts->trust_file != NULL)
        LTS_TRY(lts_tsa__load_trust(&c->trust, opts->trust_file));
    t->core_ = c;
    c = NULL;
out:
    ERR_clear_error();
    core_free(c);
    return rc;
}

static const char *endpoint_name(lts_tsa *t, size_t i, char *buf, size_t cap)
{
    const char *d = t->ops->describe ? t->ops->describe(t, i) : NULL;
    if (d != NULL)
        return d;
    snprintf(buf, cap, "TSA #%zu", i + 1);
    return buf;
}

/* see ltsig/tsa.h */
lts_status lts_tsa_stamp(lts_tsa *t, lts_hash h, lts_span digest, lts_buf *token)
{
    lts_status rc = LTS_OK;
    TS_REQ *req = NULL;
    unsigned char *der = NULL;
    lts_buf resp = LTS_BUF_INIT_MAX(LTS_TSA_MAX_RESPONSE);
    char all[900] = "", name[32];
    size_t used = 0;
    int reason = 0;

    LTS_ENSURE(t != NULL && t->core_ != NULL && token != NULL, LTS_E_INTERNAL,
               "lts_tsa_stamp: NULL argument or provider not set up");
    tsa_core *c = t->core_;
    LTS_TRY(lts_tsa__req_new(&req, h, digest, c->policy));
    int len = i2d_TS_REQ(req, &der);
    LTS_OSSL(len > 0, "i2d_TS_REQ");
    for (size_t i = 0; i < t->n_endpoints; i++) {
        resp.n = 0;
        rc = t->ops->transact(t, i, lts_span_of(der, (size_t)len), &resp);
        if (rc == LTS_OK) {
            rc = lts_tsa__check_resp(req, lts_buf_span(&resp), c->trust, token);
            if (rc != LTS_OK)
                lts_err__wrap("%s", endpoint_name(t, i, name, sizeof name));
        }
        if (rc == LTS_OK || rc == LTS_E_NOMEM || rc == LTS_E_INTERNAL)
            goto out;
        reason = lts_error_last()->reason;
        int w = snprintf(all + used, sizeof all - used, "%s%s", used ? "; " : "",
                         lts_error_last()->message);
        if (w > 0)
            used = (size_t)w >= sizeof all - used ? sizeof all - 1 : used + (size_t)w;
    }
    if (t->n_endpoints == 1)
        rc = lts_err__set(rc, LTS_MODULE, reason, "timestamp failed: %s", all);
    else
        rc = lts_err__set(rc, LTS_MODULE, reason, "timestamp failed at all %zu TSAs: %s",
                          t->n_endpoints, all);
out:
    if (rc != LTS_OK && token != NULL)
        lts_buf_dispose(token); /* all or nothing */
    lts_buf_dispose(&resp);
    OPENSSL_free(der);
    TS_REQ_free(req);
    return rc;
}

/* see ltsig/tsa.h */
void lts_tsa_close(lts_tsa *t)
{
    if (t == NULL)
        return;
    core_free(t->core_);
    t->core_ = NULL;
    if (t->ops != NULL && t->ops->close != NULL)
        t->ops->close(t);
}

/* ---- the in-process responder provider ------------------------------------------------ */

typedef struct {
    lts_tsa base;
    lts_tsa_responder *r; /* borrowed */
} local_tsa;

static lts_status local_transact(lts_tsa *t, size_t i, lts_span req, lts_buf *resp)
{
    (void)i;
    return lts_tsa_responder_respond(((local_tsa *)t)->r, req, resp);
}

static const char *local_describe(lts_tsa *t, size_t i)
{
    (void)t;
    (void)i;
    return "in-process TSA";
}

static void local_close(lts_tsa *t)
{
    lts_free(t);
}

static const lts_tsa_ops local_ops = { LTS_TSA_OPS_VERSION, "responder", local_transact,
                                       local_describe, local_close };

/* see ltsig/tsa.h */
lts_status lts_tsa_open_responder(lts_tsa **out, lts_tsa_responder *r, const lts_tsa_opts *opts)
{
    lts_status rc = LTS_OK;
    local_tsa *l = NULL;
    *out = NULL;
    LTS_ENSURE(r != NULL, LTS_E_CONFIG, "in-process TSA needs a responder");
    LTS_ALLOC(l = lts_calloc(1, sizeof *l));
    l->base.ops = &local_ops;
    l->base.n_endpoints = 1;
    l->r = r;
    LTS_TRY(lts_tsa_setup(&l->base, opts));
    *out = &l->base;
    l = NULL;
out:
    if (l != NULL)
        lts_tsa_close(&l->base);
    return rc;
}
