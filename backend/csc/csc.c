/* The csc: signer backend, a CSC API v2 client (e.g. for ltsigd):
 *   csc:https://host:port/csc/v2   (http:// only makes sense on loopback, for tests)
 * open:  auth/login (HTTP Basic, csc_user + csc_password_file) -> access token;
 *        credentials/list (csc_credential, or the user's only credential);
 *        credentials/info with the chain.
 * sign:  credentials/authorize for the whole batch (PIN from csc_pin_file, OTP computed
 *        from csc_totp_secret_file (RFC 6238) or read from csc_otp_file) -> one SAD;
 *        signatures/signHash of every digest with that SAD.
 * close: auth/revoke of the access token.
 * Secrets are read from files, kept in wiped buffers, and never put into a message. */
#define LTS_MODULE "signer-csc"
#include "backend_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "core/codec.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/http.h"
#include "core/mem.h"
#include "core/totp.h"

#define CSC_MAX_RESPONSE ((size_t)4 << 20)

typedef struct {
    lts_signer base; /* first member */
    char *url;       /* ".../csc/v2" without a trailing slash */
    char *user;
    char *credential;
    char *ca_file;
    long timeout_s;
    lts_buf password;
    lts_buf pin;
    lts_buf totp_key; /* decoded TOTP secret, or empty */
    lts_buf otp;      /* a fixed OTP, or empty */
    char token[256];
    STACK_OF(X509) *chain;
} csc_signer;

/* Read the first line of a secret file (a path, not a "file:" source). */
static lts_status read_secret(lts_buf *out, const char *path, const char *what)
{
    lts_status rc = LTS_OK;
    char src[4200];
    LTS_ENSURE(path && *path, LTS_E_CONFIG, "the csc: signer needs %s", what);
    LTS_ENSURE(strlen(path) < 4096, LTS_E_CONFIG, "%s: path too long", what);
    snprintf(src, sizeof src, "file:%s", path);
    rc = lts_secret_read(out, src);
    if (rc != LTS_OK) {
        lts_err__wrap("%s (%s)", path, what);
        goto out;
    }
    LTS_ENSURE(out->n > 0, LTS_E_INPUT, "%s: empty file (%s)", path, what);
out:
    return rc;
}

/* POST one CSC method. *out gets the JSON object of a 200 answer (NULL for 204). */
static lts_status call(csc_signer *s, const char *method, json_t *req, int basic, json_t **out)
{
    lts_status rc = LTS_OK;
    lts_http_opts o = LTS_HTTP_OPTS_INIT;
    lts_buf resp = LTS_BUF_INIT_MAX(CSC_MAX_RESPONSE);
    char *body = NULL, *url = NULL;
    size_t blen = 0, ulen;
    long status = 0;
    json_t *j = NULL;
    json_error_t jerr;
    *out = NULL;
    ulen = strlen(s->url) + strlen(method) + 2;
    LTS_ALLOC(url = lts_malloc(ulen));
    snprintf(url, ulen, "%s/%s", s->url, method);
    LTS_ALLOC(body = json_dumps(req, JSON_COMPACT));
    blen = strlen(body);
    o.timeout_s = s->timeout_s;
    o.max_response = CSC_MAX_RESPONSE;
    o.content_type = "application/json";
    o.accept = "application/json";
    o.ca_file = s->ca_file;
    if (basic) {
        o.basic_user = s->user;
        o.basic_password = (const char *)s->password.p;
    } else {
        o.bearer = s->token;
    }
    lts_span b = lts_span_of(body, blen);
    rc = lts_http__request(url, &b, &o, &status, &resp);
    if (rc != LTS_OK) {
        lts_err__wrap("CSC %s", method);
        goto out;
    }
    if (status == 204)
        goto out;
    if (resp.n > 0)
        j = json_loadb((const char *)resp.p, resp.n, 0, &jerr);
    if (status != 200) {
        const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;
        const char *d = j ? json_string_value(json_object_get(j, "error_description")) : NULL;
        lts_status code = status == 401 ? LTS_E_AUTH : LTS_E_NET;
        if (d && (strstr(d, "PIN") || strstr(d, "locked") || strstr(d, "OTP")))
            code = LTS_E_AUTH;
        LTS_FAIL(code, "CSC %s: HTTP %ld: %.64s%s%.200s", method, status, e ? e : "error",
                 d ? ": " : "", d ? d : "");
    }
    LTS_ENSURE(json_is_object(j), LTS_E_NET, "CSC %s: the answer is not a JSON object", method);
    *out = j;
    j = NULL;
out:
    json_decref(j);
    if (body) {
        OPENSSL_cleanse(body, blen); /* it may hold the PIN, OTP or SAD */
        free(body);
    }
    lts_buf_wipe(&resp);
    lts_free(url);
    return rc;
}

static lts_status login(csc_signer *s)
{
    lts_status rc = LTS_OK;
    json_t *req = json_object(), *resp = NULL;
    LTS_ALLOC(req);
    LTS_TRY(call(s, "auth/login", req, 1, &resp));
    const char *tok = json_string_value(json_object_get(resp, "access_token"));
    LTS_ENSURE(tok && strlen(tok) < sizeof s->token, LTS_E_NET,
               "CSC auth/login: no usable access_token in the answer");
    snprintf(s->token, sizeof s->token, "%s", tok);
out:
    json_decref(resp);
    json_decref(req);
    return rc;
}

static lts_status pick_credential(csc_signer *s)
{
    lts_status rc = LTS_OK;
    json_t *req = json_object(), *resp = NULL;
    LTS_ALLOC(req);
    LTS_TRY(call(s, "credentials/list", req, 0, &resp));
    json_t *ids = json_object_get(resp, "credentialIDs");
    LTS_ENSURE(json_is_array(ids), LTS_E_NET, "CSC credentials/list: no credentialIDs");
    if (s->credential) {
        int found = 0;
        for (size_t i = 0; i < json_array_size(ids); i++) {
            const char *id = json_string_value(json_array_get(ids, i));
            if (id && strcmp(id, s->credential) == 0)
                found = 1;
        }
        LTS_ENSURE(found, LTS_E_NOTFOUND, "CSC: user %s has no credential '%.64s'", s->user,
                   s->credential);
    } else {
        LTS_ENSURE(json_array_size(ids) == 1, LTS_E_CONFIG,
                   "CSC: user %s has %zu credentials; choose one with --csc-credential", s->user,
                   json_array_size(ids));
        const char *id = json_string_value(json_array_get(ids, 0));
        LTS_ENSURE(id != NULL, LTS_E_NET, "CSC credentials/list: bad credential ID");
        LTS_ALLOC(s->credential = lts_strdup(id));
    }
out:
    json_decref(resp);
    json_decref(req);
    return rc;
}

static lts_status fetch_chain(csc_signer *s)
{
    lts_status rc = LTS_OK;
    json_t *req = NULL, *resp = NULL;
    lts_buf der = LTS_BUF_INIT;
    X509 *x = NULL;
    LTS_ALLOC(req = json_pack("{s:s, s:s, s:b}", "credentialID", s->credential, "certificates",
                              "chain", "certInfo", 0));
    LTS_TRY(call(s, "credentials/info", req, 0, &resp));
    json_t *certs = json_object_get(json_object_get(resp, "cert"), "certificates");
    LTS_ENSURE(json_is_array(certs) && json_array_size(certs) > 0, LTS_E_NOTFOUND,
               "CSC credentials/info: credential %.64s has no certificate", s->credential);
    LTS_ALLOC(s->chain = sk_X509_new_null());
    for (size_t i = 0; i < json_array_size(certs); i++) {
        const char *b64 = json_string_value(json_array_get(certs, i));
        LTS_ENSURE(b64 != NULL, LTS_E_NET, "CSC credentials/info: certificate %zu is not a "
                   "string", i);
        der.n = 0;
        LTS_TRY(lts_b64__decode(&der, b64, strlen(b64)));
        const unsigned char *p = der.p;
        x = d2i_X509(NULL, &p, (long)der.n);
        if (x == NULL || p != der.p + der.n)
            LTS_FAIL_OSSL(LTS_E_NET, "CSC credentials/info: certificate %zu does not decode", i);
        LTS_OSSL(sk_X509_push(s->chain, x) > 0, "sk_X509_push");
        x = NULL;
    }
out:
    X509_free(x);
    lts_buf_dispose(&der);
    json_decref(resp);
    json_decref(req);
    return rc;
}

static lts_status csc_chain(lts_signer *base, STACK_OF(X509) **out)
{
    csc_signer *s = (csc_signer *)base;
    lts_status rc = LTS_OK;
    /* a new stack holding a reference to each certificate: the caller frees it */
    LTS_OSSL(*out = X509_chain_up_ref(s->chain), "X509_chain_up_ref");
out:
    return rc;
}

static lts_status oid_text(int nid, char *out, size_t cap)
{
    const ASN1_OBJECT *o = OBJ_nid2obj(nid);
    if (o == NULL || OBJ_obj2txt(out, (int)cap, o, 1) <= 0)
        return lts_err__set(LTS_E_INTERNAL, LTS_MODULE, 0, "no OID for NID %d", nid);
    return LTS_OK;
}

/* RSASSA-PSS-params (RFC 4055 §3.1): hash h, MGF1 with h, salt = hash length, trailer 1
 * (implicit), as base64 DER in out. */
static lts_status pss_params(lts_hash h, lts_buf *out)
{
    lts_status rc = LTS_OK;
    RSA_PSS_PARAMS *pp = NULL;
    X509_ALGOR *mh = NULL;
    ASN1_STRING *seq = NULL;
    unsigned char *der = NULL, *mder = NULL;
    int len, mlen, nid = lts_hash__nid(h);
    LTS_ALLOC(pp = RSA_PSS_PARAMS_new());
    LTS_ALLOC(pp->hashAlgorithm = X509_ALGOR_new());
    LTS_OSSL(X509_ALGOR_set0(pp->hashAlgorithm, OBJ_nid2obj(nid), V_ASN1_UNDEF, NULL) == 1,
             "X509_ALGOR_set0");
    LTS_ALLOC(mh = X509_ALGOR_new());
    LTS_OSSL(X509_ALGOR_set0(mh, OBJ_nid2obj(nid), V_ASN1_UNDEF, NULL) == 1, "X509_ALGOR_set0");
    mlen = i2d_X509_ALGOR(mh, &mder);
    LTS_OSSL(mlen > 0, "i2d_X509_ALGOR");
    LTS_ALLOC(seq = ASN1_STRING_new());
    LTS_OSSL(ASN1_STRING_set(seq, mder, mlen) == 1, "ASN1_STRING_set");
    LTS_ALLOC(pp->maskGenAlgorithm = X509_ALGOR_new());
    LTS_OSSL(X509_ALGOR_set0(pp->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE, seq)
                 == 1, "X509_ALGOR_set0 (MGF1)");
    seq = NULL;
    LTS_ALLOC(pp->saltLength = ASN1_INTEGER_new());
    LTS_OSSL(ASN1_INTEGER_set(pp->saltLength, (long)lts_hash_size(h)) == 1, "ASN1_INTEGER_set");
    len = i2d_RSA_PSS_PARAMS(pp, &der);
    LTS_OSSL(len > 0, "i2d_RSA_PSS_PARAMS");
    LTS_TRY(lts_b64__encode(out, lts_span_of(der, (size_t)len)));
out:
    OPENSSL_free(der);
    OPENSSL_free(mder);
    ASN1_STRING_free(seq);
    X509_ALGOR_free(mh);
    RSA_PSS_PARAMS_free(pp);
    return rc;
}

static lts_status current_otp(csc_signer *s, char code[16])
{
    if (s->otp.n > 0) {
        if (s->otp.n >= 16)
            return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "the OTP file holds too long a line");
        memcpy(code, s->otp.p, s->otp.n);
        code[s->otp.n] = 0;
        return LTS_OK;
    }
    return lts_hotp__code(lts_buf_span(&s->totp_key), lts_totp__step((int64_t)time(NULL), 30),
                          6, code);
}

static lts_status csc_sign(lts_signer *base, lts_sig_alg alg, const lts_span *digests,
                           size_t n, lts_buf *out)
{
    csc_signer *s = (csc_signer *)base;
    lts_status rc = LTS_OK;
    json_t *hashes = NULL, *req = NULL, *resp = NULL;
    lts_buf b64 = LTS_BUF_INIT, pss = LTS_BUF_INIT;
    char hoid[64], soid[64], code[16];
    int sid = NID_undef;
    memset(code, 0, sizeof code);
    LTS_ENSURE(alg.scheme == LTS_SCHEME_RSA_PKCS1 || alg.scheme == LTS_SCHEME_ECDSA ||
                   alg.scheme == LTS_SCHEME_RSA_PSS,
               LTS_E_UNSUPPORTED, "the csc: signer supports RSA PKCS#1 v1.5, RSA-PSS and ECDSA");
    LTS_TRY(oid_text(lts_hash__nid(alg.hash), hoid, sizeof hoid));
    if (alg.scheme == LTS_SCHEME_ECDSA) {
        LTS_OSSL(OBJ_find_sigid_by_algs(&sid, lts_hash__nid(alg.hash), NID_X9_62_id_ecPublicKey),
                 "no ECDSA algorithm for this hash");
        LTS_TRY(oid_text(sid, soid, sizeof soid));
    } else if (alg.scheme == LTS_SCHEME_RSA_PSS) {
        LTS_TRY(oid_text(NID_rsassaPss, soid, sizeof soid));
        LTS_TRY(pss_params(alg.hash, &pss));
    } else {
        LTS_TRY(oid_text(NID_rsaEncryption, soid, sizeof soid));
    }
    LTS_ALLOC(hashes = json_array());
    for (size_t i = 0; i < n; i++) {
        b64.n = 0;
        LTS_TRY(lts_b64__encode(&b64, digests[i]));
        LTS_ENSURE(json_array_append_new(hashes, json_string((const char *)b64.p)) == 0,
                   LTS_E_NOMEM, "out of memory");
    }
    LTS_TRY(current_otp(s, code));
    LTS_ALLOC(req = json_pack("{s:s, s:I, s:O, s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "credentialID",
                              s->credential, "numSignatures", (json_int_t)n, "hashes", hashes,
                              "hashAlgorithmOID", hoid, "authData", "id", "PIN", "value",
                              (const char *)s->pin.p, "id", "OTP", "value", code));
    LTS_TRY(call(s, "credentials/authorize", req, 0, &resp));
    const char *sad = json_string_value(json_object_get(resp, "SAD"));
    LTS_ENSURE(sad != NULL, LTS_E_NET, "CSC credentials/authorize: no SAD in the answer");
    json_decref(req);
    LTS_ALLOC(req = json_pack("{s:s, s:s, s:O, s:s, s:s, s:s}", "credentialID", s->credential,
                              "SAD", sad, "hashes", hashes, "hashAlgorithmOID", hoid,
                              "signAlgo", soid, "operationMode", "S"));
    if (pss.n > 0)
        LTS_ENSURE(json_object_set_new(req, "signAlgoParams",
                                       json_string((const char *)pss.p)) == 0,
                   LTS_E_NOMEM, "out of memory");
    json_decref(resp);
    resp = NULL;
    LTS_TRY(call(s, "signatures/signHash", req, 0, &resp));
    json_t *sigs = json_object_get(resp, "signatures");
    LTS_ENSURE(json_is_array(sigs) && json_array_size(sigs) == n, LTS_E_NET,
               "CSC signatures/signHash: expected %zu signatures", n);
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_array_get(sigs, i));
        LTS_ENSURE(v != NULL, LTS_E_NET, "CSC signatures/signHash: signature %zu is not a "
                   "string", i);
        out[i].n = 0;
        LTS_TRY(lts_b64__decode(&out[i], v, strlen(v)));
        if (alg.scheme == LTS_SCHEME_ECDSA && out[i].n > 0 && out[i].p[0] != 0x30) {
            /* a raw r||s value (some services): make it DER */
            lts_buf der = LTS_BUF_INIT;
            rc = lts_backend__ecdsa_raw_to_der(&der, lts_buf_span(&out[i]));
            if (rc == LTS_OK) {
                lts_buf_dispose(&out[i]);
                out[i] = der;
            }
            LTS_TRY(rc);
        }
    }
out:
    OPENSSL_cleanse(code, sizeof code);
    lts_buf_dispose(&pss);
    json_decref(hashes);
    json_decref(req);
    json_decref(resp);
    lts_buf_dispose(&b64);
    return rc;
}

static void csc_close(lts_signer *base)
{
    csc_signer *s = (csc_signer *)base;
    if (s->token[0]) {
        json_t *req = json_pack("{s:s, s:s}", "token", s->token, "token_type_hint",
                                "access_token");
        json_t *resp = NULL;
        if (req && call(s, "auth/revoke", req, 0, &resp) != LTS_OK)
            lts_error_clear(); /* best effort: the token expires anyway */
        json_decref(resp);
        json_decref(req);
    }
    lts_free(s->url);
    lts_free(s->user);
    lts_free(s->credential);
    lts_free(s->ca_file);
    lts_buf_wipe(&s->password);
    lts_buf_wipe(&s->pin);
    lts_buf_wipe(&s->totp_key);
    lts_buf_wipe(&s->otp);
    sk_X509_pop_free(s->chain, X509_free);
    OPENSSL_cleanse(s, sizeof *s);
    lts_free(s);
}

static const lts_signer_ops csc_ops = {
    LTS_SIGNER_OPS_VERSION, "csc", csc_chain, csc_sign, csc_close,
};

static lts_status read_factors(csc_signer *s, const lts_signer_opts *opts)
{
    lts_status rc = LTS_OK;
    lts_buf b32 = LTS_BUF_INIT_MAX(1024);
    LTS_TRY(read_secret(&s->password, opts->csc_password_file, "--csc-password-file"));
    LTS_TRY(read_secret(&s->pin, opts->csc_pin_file, "--csc-pin-file"));
    LTS_ENSURE((opts->csc_totp_secret_file != NULL) != (opts->csc_otp_file != NULL),
               LTS_E_CONFIG, "the csc: signer needs one of --csc-totp-secret-file and "
               "--csc-otp-file");
    if (opts->csc_totp_secret_file) {
        LTS_TRY(read_secret(&b32, opts->csc_totp_secret_file, "--csc-totp-secret-file"));
        rc = lts_base32__decode(&s->totp_key, (const char *)b32.p, b32.n);
        if (rc != LTS_OK) {
            lts_err__wrap("%s", opts->csc_totp_secret_file);
            goto out;
        }
        LTS_ENSURE(s->totp_key.n >= 10, LTS_E_INPUT, "%s: the TOTP secret is too short",
                   opts->csc_totp_secret_file);
    } else {
        LTS_TRY(read_secret(&s->otp, opts->csc_otp_file, "--csc-otp-file"));
    }
out:
    lts_buf_wipe(&b32);
    return rc;
}

lts_status lts_csc__open(lts_signer **out, const char *url, const lts_signer_opts *opts)
{
    lts_status rc = LTS_OK;
    csc_signer *s = NULL;
    size_t n;
    *out = NULL;
    LTS_ENSURE(url && (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0),
               LTS_E_CONFIG, "csc: needs an http(s) URL, e.g. csc:https://host/csc/v2");
    LTS_ENSURE(opts->csc_user && *opts->csc_user, LTS_E_CONFIG,
               "the csc: signer needs --csc-user");
    LTS_ALLOC(s = lts_calloc(1, sizeof *s));
    s->base.ops = &csc_ops;
    LTS_ALLOC(s->url = lts_strdup(url));
    n = strlen(s->url);
    while (n > 0 && s->url[n - 1] == '/')
        s->url[--n] = 0;
    LTS_ALLOC(s->user = lts_strdup(opts->csc_user));
    if (opts->csc_credential)
        LTS_ALLOC(s->credential = lts_strdup(opts->csc_credential));
    if (opts->tls_ca_file)
        LTS_ALLOC(s->ca_file = lts_strdup(opts->tls_ca_file));
    s->timeout_s = opts->timeout_s > 0 ? opts->timeout_s : 30;
    LTS_TRY(read_factors(s, opts));
    LTS_TRY(login(s));
    lts_buf_wipe(&s->password); /* not needed after the login */
    LTS_TRY(pick_credential(s));
    LTS_TRY(fetch_chain(s));
    *out = &s->base;
    s = NULL;
out:
    if (s) {
        /* closing revokes the token, which may fail too: keep the first error */
        char msg[512];
        snprintf(msg, sizeof msg, "%s", lts_error_last()->message);
        csc_close(&s->base);
        rc = lts_err__set(rc, LTS_MODULE, 0, "%s", msg);
    }
    return rc;
}
