/* ltsigd key commands: generate (in the token), csr (PKCS#10 signed by the token key),
 * cert (register the certificate chain issued for the key). */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <stdio.h>
#include <string.h>
#include <ltsig/signer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "core/codec.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"
#include "cmd_int.h"

#define CRED_ID_BYTES 16

lts_status srv_spki_decode(const char *b64, EVP_PKEY **out)
{
    lts_status rc = LTS_OK;
    lts_buf der = LTS_BUF_INIT;
    const unsigned char *p;
    *out = NULL;
    LTS_TRY(lts_b64__decode(&der, b64, strlen(b64)));
    p = der.p;
    *out = d2i_PUBKEY(NULL, &p, (long)der.n);
    LTS_OSSL(*out != NULL && p == der.p + der.n, "stored public key does not decode");
out:
    if (rc != LTS_OK) {
        EVP_PKEY_free(*out);
        *out = NULL;
    }
    lts_buf_dispose(&der);
    return rc;
}

/* ---- generate --------------------------------------------------------------------------- */

static lts_status key_generate(srv_ctx *ctx, const srv_opts *o)
{
    lts_status rc = LTS_OK;
    lts_buf pin = LTS_BUF_INIT_MAX(1024), idhex = LTS_BUF_INIT, spki = LTS_BUF_INIT;
    uint8_t id[CRED_ID_BYTES];
    char *pin_hash = NULL, label[64], now[24];
    EVP_PKEY *pub = NULL;
    unsigned char *der = NULL;
    int made = 0, len;
    srv_user u;
    memset(&u, 0, sizeof u);

    rc = srv_user_get(ctx->db, o->user, &u);
    if (rc == LTS_E_NOTFOUND)
        LTS_FAIL(LTS_E_NOTFOUND, "no user '%.64s' (ltsigd user add first)", o->user);
    LTS_TRY(rc);
    LTS_TRY(srv_secret_file(&pin, o->pin_file, "PIN"));
    LTS_ENSURE(pin.n >= 4, LTS_E_INPUT, "%s: the activation PIN needs at least 4 characters",
               o->pin_file);
    LTS_TRY(srv_pw_hash(ctx->conf, (const char *)pin.p, pin.n, &pin_hash));
    LTS_TRY(srv_random(id, sizeof id));
    LTS_TRY(lts_hex__encode(&idhex, lts_span_of(id, sizeof id)));
    snprintf(label, sizeof label, "ltsigd-%s", (const char *)idhex.p);
    LTS_TRY(srv_p11_generate(ctx->p11, o->algo, lts_span_of(id, sizeof id), label, &pub));
    made = 1;
    len = i2d_PUBKEY(pub, &der);
    LTS_OSSL(len > 0, "i2d_PUBKEY");
    LTS_TRY(lts_b64__encode(&spki, lts_span_of(der, (size_t)len)));
    srv_now_str(now);
    const char *p[] = { (const char *)idhex.p, o->user, o->algo, (const char *)spki.p,
                        pin_hash, now };
    LTS_TRY(srv_db_exec(ctx->db, "INSERT INTO credentials(id, owner, algo, spki, pin_hash, "
                                 "created) VALUES ($1, $2, $3, $4, $5, $6)",
                        p, 6, NULL, NULL, NULL));
    made = 0;
    LTS_TRY(srv_audit(ctx->db, "key.generate", "admin", (const char *)idhex.p, "ok", o->algo));
    printf("%s\n", (const char *)idhex.p);
out:
    if (made)
        srv_p11_destroy(ctx->p11, lts_span_of(id, sizeof id));
    srv_user_dispose(&u);
    OPENSSL_free(der);
    EVP_PKEY_free(pub);
    lts_buf_wipe(&pin);
    lts_buf_dispose(&idhex);
    lts_buf_dispose(&spki);
    lts_free(pin_hash);
    return rc;
}

/* ---- csr -------------------------------------------------------------------------------- */

/* "/CN=a/O=b" (OpenSSL -subj style) or "CN=a, O=b". No escapes. */
static lts_status parse_dn(const char *dn, X509_NAME **out)
{
    lts_status rc = LTS_OK;
    char *copy = NULL, *save = NULL;
    X509_NAME *name = NULL;
    const char *sep = dn[0] == '/' ? "/" : ",";
    LTS_ALLOC(copy = lts_strdup(dn));
    LTS_ALLOC(name = X509_NAME_new());
    for (char *t = strtok_r(copy, sep, &save); t; t = strtok_r(NULL, sep, &save)) {
        while (*t == ' ')
            t++;
        char *eq = strchr(t, '=');
        LTS_ENSURE(eq && eq != t && eq[1], LTS_E_INPUT,
                   "--subject: '%.64s' is not TYPE=value", t);
        *eq = 0;
        size_t n = strlen(eq + 1);
        while (n > 0 && eq[n] == ' ')
            eq[n--] = 0;
        if (X509_NAME_add_entry_by_txt(name, t, MBSTRING_UTF8, (unsigned char *)eq + 1, -1, -1,
                                       0) != 1)
            LTS_FAIL_OSSL(LTS_E_INPUT, "--subject: unknown attribute type '%.32s'", t);
    }
    LTS_ENSURE(X509_NAME_entry_count(name) > 0, LTS_E_INPUT, "--subject is empty");
    *out = name;
    name = NULL;
out:
    X509_NAME_free(name);
    lts_free(copy);
    return rc;
}

/* The hash for the credential's key: SHA-384 for P-384, SHA-256 otherwise. */
static lts_hash key_hash(const char *algo)
{
    return strcmp(algo, "ec-p384") == 0 ? LTS_HASH_SHA384 : LTS_HASH_SHA256;
}

int srv_algo_is_ec(const char *algo)
{
    return strncmp(algo, "ec-", 3) == 0;
}

static lts_status csr_sign(srv_ctx *ctx, const srv_cred *c, X509_REQ *req)
{
    lts_status rc = LTS_OK;
    lts_buf id = LTS_BUF_INIT, sig = LTS_BUF_INIT;
    X509_ALGOR *alg = NULL;
    ASN1_BIT_STRING *bs = NULL;
    unsigned char *tbs = NULL;
    uint8_t md[LTS_HASH_MAX];
    size_t mdlen = 0;
    int ec = srv_algo_is_ec(c->algo), len;
    lts_hash h = key_hash(c->algo);
    int signid = 0;
    LTS_OSSL(OBJ_find_sigid_by_algs(&signid, lts_hash__nid(h),
                                    ec ? NID_X9_62_id_ecPublicKey : NID_rsaEncryption) == 1,
             "no signature algorithm for this key");
    LTS_ALLOC(alg = X509_ALGOR_new());
    LTS_OSSL(X509_ALGOR_set0(alg, OBJ_nid2obj(signid), ec ? V_ASN1_UNDEF : V_ASN1_NULL, NULL),
             "X509_ALGOR_set0");
    LTS_OSSL(X509_REQ_set1_signature_algo(req, alg) == 1, "X509_REQ_set1_signature_algo");
    len = i2d_re_X509_REQ_tbs(req, &tbs);
    LTS_OSSL(len > 0, "i2d_re_X509_REQ_tbs");
    LTS_TRY(lts_digest__span(h, lts_span_of(tbs, (size_t)len), md, &mdlen));
    LTS_TRY(lts_hex__decode(&id, c->id, strlen(c->id)));
    LTS_TRY(srv_p11_sign(ctx->p11, lts_buf_span(&id), ec, h, lts_span_of(md, mdlen), &sig));
    LTS_ALLOC(bs = ASN1_BIT_STRING_new());
    LTS_OSSL(ASN1_BIT_STRING_set(bs, sig.p, (int)sig.n) == 1, "ASN1_BIT_STRING_set");
    bs->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
    bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    X509_REQ_set0_signature(req, bs);
    bs = NULL;
out:
    ASN1_BIT_STRING_free(bs);
    X509_ALGOR_free(alg);
    OPENSSL_free(tbs);
    lts_buf_dispose(&id);
    lts_buf_dispose(&sig);
    return rc;
}

static lts_status key_csr(srv_ctx *ctx, const srv_opts *o)
{
    lts_status rc = LTS_OK;
    srv_cred c;
    X509_REQ *req = NULL;
    X509_NAME *name = NULL;
    EVP_PKEY *pub = NULL;
    BIO *mem = NULL;
    char *pem = NULL;
    long pemlen;
    memset(&c, 0, sizeof c);
    rc = srv_cred_get(ctx->db, o->credential, &c);
    if (rc == LTS_E_NOTFOUND)
        LTS_FAIL(LTS_E_NOTFOUND, "no credential '%.64s'", o->credential);
    LTS_TRY(rc);
    LTS_TRY(parse_dn(o->subject, &name));
    LTS_TRY(srv_spki_decode(c.spki, &pub));
    LTS_ALLOC(req = X509_REQ_new());
    LTS_OSSL(X509_REQ_set_version(req, X509_REQ_VERSION_1) == 1, "X509_REQ_set_version");
    LTS_OSSL(X509_REQ_set_subject_name(req, name) == 1, "X509_REQ_set_subject_name");
    LTS_OSSL(X509_REQ_set_pubkey(req, pub) == 1, "X509_REQ_set_pubkey");
    LTS_TRY(csr_sign(ctx, &c, req));
    if (X509_REQ_verify(req, pub) != 1)
        LTS_FAIL_OSSL(LTS_E_CRYPTO, "the CSR signed by the token does not verify");
    LTS_ALLOC(mem = BIO_new(BIO_s_mem()));
    LTS_OSSL(PEM_write_bio_X509_REQ(mem, req) == 1, "PEM_write_bio_X509_REQ");
    pemlen = BIO_get_mem_data(mem, &pem);
    LTS_TRY(lts_io__write_atomic(o->output, lts_span_of(pem, (size_t)pemlen), 0));
    LTS_TRY(srv_audit(ctx->db, "key.csr", "admin", c.id, "ok", o->subject));
out:
    BIO_free(mem);
    X509_REQ_free(req);
    X509_NAME_free(name);
    EVP_PKEY_free(pub);
    srv_cred_dispose(&c);
    return rc;
}

/* ---- cert ------------------------------------------------------------------------------- */

static lts_status read_chain(const char *path, STACK_OF(X509) **out)
{
    lts_status rc = LTS_OK;
    lts_buf raw = LTS_BUF_INIT_MAX((size_t)4 << 20);
    BIO *b = NULL;
    X509 *x = NULL;
    LTS_TRY(lts_io__read_file(&raw, path, 0));
    LTS_ALLOC(*out = sk_X509_new_null());
    LTS_ALLOC(b = BIO_new_mem_buf(raw.p, (int)raw.n));
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        LTS_OSSL(sk_X509_push(*out, x) > 0, "sk_X509_push");
        x = NULL;
    }
    ERR_clear_error();
    LTS_ENSURE(sk_X509_num(*out) > 0, LTS_E_INPUT, "%s: no PEM certificate in the file", path);
out:
    X509_free(x);
    BIO_free(b);
    lts_buf_dispose(&raw);
    return rc;
}

/* Check `chain` against the credential's key (the leaf is put first; each certificate
 * must be issued by the next) and store it. `src` names the input in messages. */
static lts_status set_chain(srv_ctx *ctx, const char *cid, EVP_PKEY *pub,
                            STACK_OF(X509) *chain, const char *src)
{
    lts_status rc = LTS_OK;
    lts_buf out = LTS_BUF_INIT;
    int leaf = -1;
    for (int i = 0; i < sk_X509_num(chain) && leaf < 0; i++) {
        EVP_PKEY *k = X509_get0_pubkey(sk_X509_value(chain, i));
        if (k && EVP_PKEY_eq(k, pub) == 1)
            leaf = i;
    }
    ERR_clear_error();
    LTS_ENSURE(leaf >= 0, LTS_E_INPUT, "%s: no certificate in the chain holds the public key "
               "of credential %s", src, cid);
    if (leaf > 0) {
        X509 *x = sk_X509_delete(chain, leaf);
        LTS_OSSL(sk_X509_unshift(chain, x) > 0, "sk_X509_unshift");
    }
    LTS_ENSURE(X509_cmp_current_time(X509_get0_notAfter(sk_X509_value(chain, 0))) > 0,
               LTS_E_INPUT, "%s: the certificate has expired", src);
    for (int i = 0; i + 1 < sk_X509_num(chain); i++) {
        LTS_ENSURE(X509_check_issued(sk_X509_value(chain, i + 1), sk_X509_value(chain, i)) ==
                       X509_V_OK,
                   LTS_E_INPUT, "%s: certificate %d is not issued by certificate %d; give "
                   "the chain leaf first", src, i + 1, i + 2);
    }
    for (int i = 0; i < sk_X509_num(chain); i++) {
        unsigned char *der = NULL;
        int len = i2d_X509(sk_X509_value(chain, i), &der);
        LTS_OSSL(len > 0, "i2d_X509");
        if (i > 0)
            rc = lts_buf_append(&out, ",", 1);
        if (rc == LTS_OK)
            rc = lts_b64__encode(&out, lts_span_of(der, (size_t)len));
        OPENSSL_free(der);
        LTS_TRY(rc);
    }
    const char *p[] = { (const char *)out.p, cid };
    LTS_TRY(srv_db_exec(ctx->db, "UPDATE credentials SET chain = $1 WHERE id = $2", p, 2,
                        NULL, NULL, NULL));
out:
    lts_buf_dispose(&out);
    return rc;
}

static lts_status key_cert(srv_ctx *ctx, const srv_opts *o)
{
    lts_status rc = LTS_OK;
    srv_cred c;
    STACK_OF(X509) *chain = NULL;
    EVP_PKEY *pub = NULL;
    memset(&c, 0, sizeof c);
    rc = srv_cred_get(ctx->db, o->credential, &c);
    if (rc == LTS_E_NOTFOUND)
        LTS_FAIL(LTS_E_NOTFOUND, "no credential '%.64s'", o->credential);
    LTS_TRY(rc);
    LTS_TRY(srv_spki_decode(c.spki, &pub));
    LTS_TRY(read_chain(o->chain, &chain));
    LTS_TRY(set_chain(ctx, c.id, pub, chain, o->chain));
    LTS_TRY(srv_audit(ctx->db, "key.cert", "admin", c.id, "ok", o->chain));
out:
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(pub);
    srv_cred_dispose(&c);
    return rc;
}

/* ---- import ----------------------------------------------------------------------------- */

static lts_status read_p12(const char *path, const char *passin, EVP_PKEY **key,
                           STACK_OF(X509) **chain)
{
    lts_status rc = LTS_OK;
    lts_buf der = LTS_BUF_INIT_MAX((size_t)16 << 20), pw = LTS_BUF_INIT;
    PKCS12 *p12 = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    const unsigned char *q;
    LTS_TRY(lts_secret_read(&pw, passin));
    LTS_TRY(lts_io__read_file(&der, path, 0));
    q = der.p;
    p12 = d2i_PKCS12(NULL, &q, (long)der.n);
    if (p12 == NULL)
        LTS_FAIL_OSSL(LTS_E_INPUT, "%s: not a PKCS#12 file", path);
    if (PKCS12_mac_present(p12) && PKCS12_verify_mac(p12, (const char *)pw.p, -1) != 1) {
        ERR_clear_error();
        LTS_FAIL(LTS_E_AUTH, "%s: wrong password for the PKCS#12 file", path);
    }
    if (PKCS12_parse(p12, (const char *)pw.p, key, &cert, &ca) != 1)
        LTS_FAIL_OSSL(LTS_E_AUTH, "%s: cannot decrypt the PKCS#12 file", path);
    LTS_ENSURE(*key != NULL && cert != NULL, LTS_E_INPUT,
               "%s: the PKCS#12 file needs a private key and its certificate", path);
    LTS_ALLOC(*chain = sk_X509_new_null());
    LTS_OSSL(sk_X509_push(*chain, cert) > 0, "sk_X509_push");
    cert = NULL;
    while (ca && sk_X509_num(ca) > 0) {
        X509 *x = sk_X509_shift(ca);
        if (sk_X509_push(*chain, x) <= 0) {
            X509_free(x);
            LTS_FAIL_OSSL(LTS_E_NOMEM, "sk_X509_push");
        }
    }
out:
    if (rc != LTS_OK) {
        EVP_PKEY_free(*key);
        *key = NULL;
        sk_X509_pop_free(*chain, X509_free);
        *chain = NULL;
    }
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    PKCS12_free(p12);
    lts_buf_wipe(&der);
    lts_buf_wipe(&pw);
    return rc;
}

static lts_status key_import(srv_ctx *ctx, const srv_opts *o)
{
    lts_status rc = LTS_OK;
    lts_buf pin = LTS_BUF_INIT_MAX(1024), idhex = LTS_BUF_INIT, spki = LTS_BUF_INIT;
    uint8_t id[CRED_ID_BYTES];
    char *pin_hash = NULL, label[64], now[24], algo[16];
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *chain = NULL;
    unsigned char *der = NULL;
    int made = 0, len, tx = 0;
    srv_user u;
    memset(&u, 0, sizeof u);

    rc = srv_user_get(ctx->db, o->user, &u);
    if (rc == LTS_E_NOTFOUND)
        LTS_FAIL(LTS_E_NOTFOUND, "no user '%.64s' (ltsigd user add first)", o->user);
    LTS_TRY(rc);
    LTS_TRY(srv_secret_file(&pin, o->pin_file, "PIN"));
    LTS_ENSURE(pin.n >= 4, LTS_E_INPUT, "%s: the activation PIN needs at least 4 characters",
               o->pin_file);
    LTS_TRY(read_p12(o->p12, o->passin, &key, &chain));
    if (EVP_PKEY_is_a(key, "EC"))
        snprintf(algo, sizeof algo, "ec-p%d", EVP_PKEY_get_bits(key));
    else
        snprintf(algo, sizeof algo, "rsa%d", EVP_PKEY_get_bits(key));
    LTS_TRY(srv_pw_hash(ctx->conf, (const char *)pin.p, pin.n, &pin_hash));
    LTS_TRY(srv_random(id, sizeof id));
    LTS_TRY(lts_hex__encode(&idhex, lts_span_of(id, sizeof id)));
    snprintf(label, sizeof label, "ltsigd-%s", (const char *)idhex.p);
    len = i2d_PUBKEY(key, &der);
    LTS_OSSL(len > 0, "i2d_PUBKEY");
    LTS_TRY(lts_b64__encode(&spki, lts_span_of(der, (size_t)len)));
    LTS_TRY(srv_p11_import(ctx->p11, key, lts_span_of(id, sizeof id), label));
    made = 1;
    srv_now_str(now);
    const char *p[] = { (const char *)idhex.p, o->user, algo, (const char *)spki.p, pin_hash,
                        now };
    LTS_TRY(srv_db_begin(ctx->db));
    tx = 1;
    LTS_TRY(srv_db_exec(ctx->db, "INSERT INTO credentials(id, owner, algo, spki, pin_hash, "
                                 "created) VALUES ($1, $2, $3, $4, $5, $6)",
                        p, 6, NULL, NULL, NULL));
    LTS_TRY(set_chain(ctx, (const char *)idhex.p, key, chain, o->p12));
    tx = 0;
    LTS_TRY(srv_db_commit(ctx->db));
    made = 0;
    LTS_TRY(srv_audit(ctx->db, "key.import", "admin", (const char *)idhex.p, "ok", algo));
    printf("%s\n", (const char *)idhex.p);
out:
    if (tx)
        srv_db_rollback(ctx->db);
    if (made)
        srv_p11_destroy(ctx->p11, lts_span_of(id, sizeof id));
    srv_user_dispose(&u);
    OPENSSL_free(der);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    lts_buf_wipe(&pin);
    lts_buf_dispose(&idhex);
    lts_buf_dispose(&spki);
    lts_free(pin_hash);
    return rc;
}

int srv_cmd_key(int argc, char **argv)
{
    static const char use[] =
        "ltsigd key generate --config FILE --user NAME --algo rsa2048|rsa3072|ec-p256|ec-p384 "
        "--pin-file F\n"
        "       ltsigd key csr --config FILE --credential ID --subject DN -o REQ.pem\n"
        "       ltsigd key cert --config FILE --credential ID --chain CHAIN.pem\n"
        "       ltsigd key import --config FILE --user NAME --p12 FILE "
        "--passin env:VAR|file:PATH|pass:TEXT --pin-file F\n"
        "       ltsigd key backup --config FILE --credential ID -o BLOB\n"
        "       ltsigd key restore --config FILE -i BLOB";
    srv_opts o;
    srv_ctx ctx;
    int ret = 1;
    lts_status st;
    char *restored = NULL;
    if (argc < 2 || srv_parse_opts(argc - 1, argv + 1, &o) != 0)
        return srv_usage(use);
    const char *sub = argv[1];
    int gen = strcmp(sub, "generate") == 0, csr = strcmp(sub, "csr") == 0,
        cert = strcmp(sub, "cert") == 0, imp = strcmp(sub, "import") == 0,
        bak = strcmp(sub, "backup") == 0, res = strcmp(sub, "restore") == 0;
    if ((gen && (!o.user || !o.algo || !o.pin_file)) ||
        (csr && (!o.credential || !o.subject || !o.output)) ||
        (cert && (!o.credential || !o.chain)) ||
        (imp && (!o.user || !o.p12 || !o.passin || !o.pin_file)) ||
        (bak && (!o.credential || !o.output)) || (res && !o.input) ||
        !(gen || csr || cert || imp || bak || res))
        return srv_usage(use);
    if (srv_open_ctx(&ctx, o.config, 1) != LTS_OK) {
        ret = srv_fail(o.config);
        goto out;
    }
    st = gen   ? key_generate(&ctx, &o)
         : csr ? key_csr(&ctx, &o)
         : imp ? key_import(&ctx, &o)
         : bak ? srv_key_backup(&ctx, o.credential, o.output)
         : res ? srv_key_restore(&ctx, o.input, &restored)
               : key_cert(&ctx, &o);
    if (st != LTS_OK) {
        char what[32];
        snprintf(what, sizeof what, "key %s", sub);
        ret = srv_fail(what);
        goto out;
    }
    if (restored)
        printf("%s\n", restored);
    ret = 0;
out:
    lts_free(restored);
    srv_close_ctx(&ctx);
    return ret;
}
