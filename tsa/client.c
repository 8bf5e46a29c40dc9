/* RFC 3161 / RFC 5816 client over HTTP(S). see ltsig/tsa.h.
 * The response checks live in check.c; this file builds the request and talks HTTP. */
#define LTS_MODULE "tsa"
#include "tsa_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include "core/err.h"
#include "core/http.h"
#include "core/mem.h"

struct lts_tsa {
    char **urls;
    size_t n_urls;
    long timeout_s;
    char *policy;
    char *ca_file;
    X509_STORE *trust; /* NULL: signature only, no chain check */
};

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

/* see ltsig/tsa.h */
lts_status lts_tsa_open_http(lts_tsa **out, const char *const *urls, size_t n_urls,
                             const lts_tsa_opts *opts)
{
    lts_status rc = LTS_OK;
    lts_tsa *t = NULL;
    lts_tsa_opts def = LTS_TSA_OPTS_INIT;
    *out = NULL;
    if (opts == NULL)
        opts = &def;
    LTS_ENSURE(opts->version == LTS_TSA_OPTS_VERSION, LTS_E_CONFIG,
               "lts_tsa_opts version %u is not %u", opts->version, LTS_TSA_OPTS_VERSION);
    LTS_ENSURE(urls != NULL && n_urls > 0, LTS_E_CONFIG, "no TSA URL given");
    LTS_ALLOC(t = lts_calloc(1, sizeof *t));
    LTS_ALLOC(t->urls = lts_calloc(n_urls, sizeof *t->urls));
    t->n_urls = n_urls;
    for (size_t i = 0; i < n_urls; i++) {
        LTS_ENSURE(urls[i] != NULL && (strncmp(urls[i], "http://", 7) == 0 ||
                                       strncmp(urls[i], "https://", 8) == 0),
                   LTS_E_CONFIG, "TSA URL is not http(s): %.200s", urls[i] ? urls[i] : "(null)");
        LTS_ALLOC(t->urls[i] = lts_strdup(urls[i]));
    }
    t->timeout_s = opts->timeout_s > 0 ? opts->timeout_s : 30;
    if (opts->policy != NULL) {
        ASN1_OBJECT *o = OBJ_txt2obj(opts->policy, 1);
        LTS_ENSURE(o != NULL, LTS_E_CONFIG, "TSA policy is not a dotted OID: %.100s",
                   opts->policy);
        ASN1_OBJECT_free(o);
        LTS_ALLOC(t->policy = lts_strdup(opts->policy));
    }
    if (opts->ca_file != NULL)
        LTS_ALLOC(t->ca_file = lts_strdup(opts->ca_file));
    if (opts->trust_file != NULL)
        LTS_TRY(lts_tsa__load_trust(&t->trust, opts->trust_file));
    *out = t;
    t = NULL;
out:
    lts_tsa_close(t);
    return rc;
}

/* Content-Type of a reply: application/timestamp-reply (RFC 3161 §3.4); the pre-RFC
 * spelling application/timestamp-response is still seen in the wild. */
static int reply_type_ok(const char *ct)
{
    static const char *const ok[] = { "application/timestamp-reply",
                                      "application/timestamp-response" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t n = strlen(ok[i]);
        if (strncasecmp(ct, ok[i], n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
            return 1;
    }
    return 0;
}

/* One URL: POST, check the HTTP level, then the response. */
static lts_status ask_one(lts_tsa *t, const char *url, const TS_REQ *req, lts_span body,
                          lts_buf *token)
{
    lts_status rc = LTS_OK;
    lts_buf resp = LTS_BUF_INIT_MAX(LTS_TSA_MAX_RESPONSE);
    lts_http_opts ho = LTS_HTTP_OPTS_INIT;
    char ctype[128] = "";
    long status = 0;
    ho.timeout_s = t->timeout_s;
    ho.max_response = LTS_TSA_MAX_RESPONSE;
    ho.content_type = "application/timestamp-query";
    ho.accept = "application/timestamp-reply";
    ho.ca_file = t->ca_file;
    ho.resp_type = ctype;
    ho.resp_type_cap = sizeof ctype;

    rc = lts_http__request(url, &body, &ho, &status, &resp);
    if (rc == LTS_E_INPUT) /* the only INPUT failure of the transport: too large */
        LTS_FAIL_R(LTS_E_INPUT, LTS_TSA_R_TOO_LARGE, "%s: response larger than %zu bytes",
                   url, LTS_TSA_MAX_RESPONSE);
    if (rc != LTS_OK)
        goto out;
    if (status != 200)
        LTS_FAIL_R(LTS_E_NET, LTS_TSA_R_HTTP_STATUS, "%s: HTTP %ld", url, status);
    if (!reply_type_ok(ctype))
        LTS_FAIL_R(LTS_E_NET, LTS_TSA_R_CONTENT_TYPE,
                   "%s: content type '%.60s' is not application/timestamp-reply", url,
                   ctype[0] ? ctype : "(none)");
    rc = lts_tsa__check_resp(req, lts_buf_span(&resp), t->trust, token);
    if (rc != LTS_OK)
        lts_err__wrap("%s", url);
out:
    lts_buf_dispose(&resp);
    return rc;
}

/* see ltsig/tsa.h */
lts_status lts_tsa_stamp(lts_tsa *t, lts_hash h, lts_span digest, lts_buf *token)
{
    lts_status rc = LTS_OK;
    TS_REQ *req = NULL;
    unsigned char *der = NULL;
    char all[900] = "";
    size_t used = 0;
    int reason = 0;

    LTS_ENSURE(t != NULL && token != NULL, LTS_E_INTERNAL, "lts_tsa_stamp: NULL argument");
    LTS_TRY(lts_tsa__req_new(&req, h, digest, t->policy));
    int len = i2d_TS_REQ(req, &der);
    LTS_OSSL(len > 0, "i2d_TS_REQ");
    for (size_t i = 0; i < t->n_urls; i++) {
        rc = ask_one(t, t->urls[i], req, lts_span_of(der, (size_t)len), token);
        if (rc == LTS_OK)
            goto out;
        if (rc == LTS_E_NOMEM || rc == LTS_E_INTERNAL)
            goto out;
        reason = lts_error_last()->reason;
        int w = snprintf(all + used, sizeof all - used, "%s%s", used ? "; " : "",
                         lts_error_last()->message);
        if (w > 0)
            used = (size_t)w >= sizeof all - used ? sizeof all - 1 : used + (size_t)w;
    }
    if (t->n_urls == 1)
        rc = lts_err__set(rc, LTS_MODULE, reason, "timestamp failed: %s", all);
    else
        rc = lts_err__set(rc, LTS_MODULE, reason, "timestamp failed at all %zu TSAs: %s",
                          t->n_urls, all);
out:
    if (rc != LTS_OK && token != NULL)
        lts_buf_dispose(token); /* all or nothing */
    OPENSSL_free(der);
    TS_REQ_free(req);
    return rc;
}

/* see ltsig/tsa.h */
void lts_tsa_close(lts_tsa *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; t->urls && i < t->n_urls; i++)
        lts_free(t->urls[i]);
    lts_free(t->urls);
    lts_free(t->policy);
    lts_free(t->ca_file);
    X509_STORE_free(t->trust);
    lts_free(t);
}
