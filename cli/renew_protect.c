/* cli/renew_protect.c — `ltsig renew`: until when is a signature protected?
 *
 * For each signature of the file, its newest time-stamp (archive, document or signature
 * time-stamp: the latest genTime, since a later time-stamp covers the earlier ones) protects
 * it until the earliest of:
 *   - the notAfter of the TSA certificate (after it, the token can no longer be validated
 *     as a fresh proof; a renewal must come before),
 *   - the sunset of the hash of its message imprint (SHA-1: 2016-01-01, the default of the
 *     validation policy; SHA-2: none known),
 *   - the sunset of the TSA key size (RSA below 2048 bits: 2019-01-01; RSA below 3072 bits
 *     and EC below 256 bits: 2030-12-31, the end of 112-bit security in NIST SP 800-57 /
 *     ETSI TS 119 312).
 * The file is protected until the earliest of its signatures. A signature without any
 * time-stamp has no protection (RENEW_NO_PROTECTION): it is due at once.
 *
 * The validation policy's date (lts_policy_protection_until over the report, with the
 * policy's hash sunsets: renew_protection_policy) is combined by the caller with the one
 * computed here from the tokens themselves (OpenSSL), which adds the TSA key-size sunset
 * and covers time-stamps whose facts the report lacks. */
#include <string.h>
#include <time.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include "core/io.h"
#include "renew_int.h"

static lts_time tm_to_time(const ASN1_TIME *t, int *ok)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
        *ok = 0;
        return 0;
    }
    *ok = 1;
    return (lts_time)timegm(&tm);
}

static lts_time ymd(int y, int m, int d)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    return (lts_time)timegm(&tm);
}

static lts_time min_t(lts_time a, lts_time b)
{
    return a < b ? a : b;
}

/* How long the TSA certificate (and its key) protect: its notAfter, and the end of its key's
 * class (lts_policy_key_protection, the rule `ltsig info` uses too). */
static lts_time cert_limit(X509 *cert)
{
    int ok = 0;
    lts_time t = tm_to_time(X509_get0_notAfter(cert), &ok);
    lts_time lim = ok ? t : RENEW_NO_PROTECTION;
    EVP_PKEY *pk = X509_get0_pubkey(cert);
    if (pk) {
        int id = EVP_PKEY_get_base_id(pk);
        lts_scheme sc = id == EVP_PKEY_RSA ? LTS_SCHEME_RSA_PKCS1
                        : id == EVP_PKEY_RSA_PSS ? LTS_SCHEME_RSA_PSS
                        : id == EVP_PKEY_EC ? LTS_SCHEME_ECDSA : LTS_SCHEME_NONE;
        lts_time k = lts_policy_key_protection(NULL, sc, EVP_PKEY_get_bits(pk));
        if (k != 0)
            lim = min_t(lim, k);
    }
    return lim;
}

static lts_time hash_limit(int nid)
{
    switch (nid) {
    case NID_sha1:
    case NID_md5:
        return ymd(2016, 1, 1);
    default:
        return RENEW_FOREVER;
    }
}

/* One RFC 3161 token (a ContentInfo with SignedData over TSTInfo): its genTime and until
 * when it protects. 0, or -1 when it cannot be read (then it protects nothing). */
static int token_info(lts_span der, lts_time *gen, lts_time *until)
{
    const unsigned char *p = der.p;
    PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)der.n);
    TS_TST_INFO *tst = NULL;
    STACK_OF(X509) *signers = NULL;
    int ret = -1, ok = 0;

    if (!p7 || !(tst = PKCS7_to_TS_TST_INFO(p7)))
        goto out;
    *gen = tm_to_time(TS_TST_INFO_get_time(tst), &ok);
    if (!ok)
        goto out;
    const X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst));
    lts_time lim = hash_limit(alg ? OBJ_obj2nid(alg->algorithm) : NID_undef);
    signers = PKCS7_get0_signers(p7, NULL, 0);
    if (signers && sk_X509_num(signers) > 0)
        lim = min_t(lim, cert_limit(sk_X509_value(signers, 0)));
    else
        lim = RENEW_NO_PROTECTION; /* no TSA certificate in the token: cannot tell, renew */
    *until = lim;
    ret = 0;
out:
    sk_X509_free(signers);
    TS_TST_INFO_free(tst);
    PKCS7_free(p7);
    ERR_clear_error();
    return ret;
}

/* The newest token among those seen so far for one signature. */
typedef struct {
    int any;
    lts_time gen, until;
} newest;

/* genTime has a resolution of a second: of two tokens of the same second, the later one in
 * the file is the newer. The tokens are seen in file order, except by pades_protection,
 * which walks backwards (backwards = 1). */
static void consider(newest *nw, lts_span der, int backwards)
{
    lts_time gen = 0, until = RENEW_NO_PROTECTION;
    if (token_info(der, &gen, &until) != 0)
        return;
    if (!nw->any || gen > nw->gen || (gen == nw->gen && !backwards)) {
        nw->any = 1;
        nw->gen = gen;
        nw->until = until;
    }
}

/* Time-stamps in the unsigned attributes of the SignerInfos of one CMS. Fills one `newest`
 * per SignerInfo, or folds all into *all when all != NULL. */
static int cms_timestamps(lts_span cms, lts_time *out, newest *all)
{
    lts_cades *c = NULL;
    int ret = -1;
    if (lts_cades_parse(&c, cms) != LTS_OK)
        goto out;
    lts_time file = RENEW_FOREVER;
    size_t ns = lts_cades_signer_count(c);
    for (size_t i = 0; i < ns; i++) {
        newest nw = { 0, 0, 0 };
        newest *tgt = all ? all : &nw;
        size_t nt = lts_cades_timestamp_count(c, i);
        for (size_t k = 0; k < nt; k++) {
            lts_cades_ts_check t;
            memset(&t, 0, sizeof t);
            if (lts_cades_check_timestamp(c, i, k, &t) == LTS_OK && t.token)
                consider(tgt, lts_cades_der(t.token), 0);
            lts_cades_ts_check_dispose(&t);
        }
        if (!all)
            file = min_t(file, nw.any ? nw.until : RENEW_NO_PROTECTION);
    }
    if (ns == 0)
        file = RENEW_NO_PROTECTION;
    *out = file;
    ret = 0;
out:
    lts_cades_free(c);
    return ret;
}

static int cades_protection(const char *path, lts_time *out)
{
    lts_buf data = LTS_BUF_INIT;
    int ret = -1;
    if (lts_io__read_file(&data, path, 0) != LTS_OK)
        goto out;
    ret = cms_timestamps(lts_buf_span(&data), out, NULL);
out:
    lts_buf_dispose(&data);
    return ret;
}

/* PAdES: a document time-stamp covers every signature before it, so the file is protected
 * by the newest token in the file (document time-stamp, or a signature-time-stamp inside
 * a signature's CMS) provided every signature is covered by a time-stamp at all. */
static int pades_protection(const char *path, lts_time *out)
{
    lts_pades_doc *doc = NULL;
    newest nw = { 0, 0, 0 };
    int ret = -1, uncovered = 0;
    if (lts_pades_open(&doc, path) != LTS_OK)
        goto out;
    size_t n = lts_pades_sig_count(doc);
    int seen_doc_ts = 0;
    /* walk backwards: a signature is covered when it has its own time-stamp or a document
     * time-stamp comes after it */
    for (size_t i = n; i-- > 0;) {
        const lts_pades_sig *s = lts_pades_sig_get(doc, i);
        if (!s)
            continue;
        if (s->kind == LTS_PADES_DOC_TIMESTAMP) {
            consider(&nw, s->contents, 1);
            seen_doc_ts = 1;
        } else {
            newest own = { 0, 0, 0 };
            lts_time dummy;
            if (cms_timestamps(s->contents, &dummy, &own) == 0 && own.any) {
                if (!nw.any || own.gen > nw.gen)
                    nw = own;
            } else if (!seen_doc_ts) {
                uncovered = 1;
            }
        }
    }
    *out = (n == 0 || uncovered || !nw.any) ? RENEW_NO_PROTECTION : nw.until;
    ret = 0;
out:
    lts_pades_free(doc);
    return ret;
}

/* XAdES: the check gives each time-stamp's genTime and TSA certificate (the imprint hash
 * is not exposed, so only the certificate and its key limit the protection here). */
static int xades_protection(const char *path, const char *detached, lts_time *out)
{
    lts_xades_check *cks = NULL;
    size_t n = 0;
    int ret = -1;
    if (lts_xades_check_file(path, detached, &cks, &n) != LTS_OK)
        goto out;
    lts_time file = n ? RENEW_FOREVER : RENEW_NO_PROTECTION;
    for (size_t i = 0; i < n; i++) {
        int any = 0;
        lts_time gen = 0, until = RENEW_NO_PROTECTION;
        for (size_t k = 0; k < cks[i].n_timestamps; k++) {
            const lts_xades_ts_check *t = &cks[i].timestamps[k];
            if (!t->has_gen_time || (any && t->gen_time < gen))
                continue;
            any = 1;
            gen = t->gen_time;
            until = RENEW_NO_PROTECTION;
            if (t->tsa_cert.n > 0) {
                const unsigned char *p = t->tsa_cert.p;
                X509 *x = d2i_X509(NULL, &p, (long)t->tsa_cert.n);
                if (x)
                    until = cert_limit(x);
                X509_free(x);
                ERR_clear_error();
            }
        }
        file = min_t(file, any ? until : RENEW_NO_PROTECTION);
    }
    *out = file;
    ret = 0;
out:
    lts_xades_checks_free(cks, n);
    return ret;
}

lts_time renew_protection_policy(const lts_report *r, const lts_policy *p)
{
    lts_time file = RENEW_FOREVER;
    for (size_t i = 0; r && i < r->n_sigs; i++) {
        lts_time u = 0;
        if (lts_policy_protection_until(p, &r->sigs[i], &u) == 1)
            file = min_t(file, u);
    }
    return file;
}

int renew_protection(const char *path, lts_format fmt, const char *detached, lts_time *out,
                     char *how, size_t how_cap)
{
    *out = RENEW_NO_PROTECTION;
    snprintf(how, how_cap, "newest time-stamp: TSA certificate notAfter, imprint hash and TSA "
                           "key sunsets (computed by renew)");
    switch (fmt) {
    case LTS_FORMAT_CADES: return cades_protection(path, out);
    case LTS_FORMAT_PADES: return pades_protection(path, out);
    case LTS_FORMAT_XADES:
        snprintf(how, how_cap, "newest time-stamp: TSA certificate notAfter and key sunset "
                               "(computed by renew; imprint hash not known)");
        return xades_protection(path, detached, out);
    case LTS_FORMAT_UNKNOWN:
    default: return -1;
    }
}
