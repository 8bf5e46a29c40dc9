/* The signature generation log (EN 419 241-1 / ETDA SRG_AA): every login, authorisation,
 * signature, key operation and refusal is appended as a hash chain,
 *     hash_n = SHA-256(prev_hash_n || canonical(entry_n)),   prev_hash_1 = 32 zero bytes,
 * where canonical() is the netstring concatenation of seq, ts, event, actor, credential,
 * status, detail. A head row keeps the last seq and hash, so that removing the newest
 * entries is noticed too. `ltsigd audit verify` recomputes the chain. */
#define LTS_MODULE "ltsigd-audit"
#include "srv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/err.h>
#include <ltsig/tsa.h>
#include "core/codec.h"
#include "core/err.h"
#include "core/mem.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

lts_status srv_audit_canon(lts_buf *out, const char *const f[7])
{
    lts_status rc = LTS_OK;
    char len[24];
    for (int i = 0; i < 7; i++) {
        const char *v = f[i] ? f[i] : "";
        size_t n = strlen(v);
        int k = snprintf(len, sizeof len, "%zu:", n);
        LTS_TRY(lts_buf_append(out, len, (size_t)k));
        LTS_TRY(lts_buf_append(out, v, n));
        LTS_TRY(lts_buf_append(out, ",", 1));
    }
out:
    return rc;
}

/* hash = SHA-256(bytes of prev || canonical), as hex */
static lts_status chain_hash(const char *prev_hex, const char *const f[7], char out[65])
{
    lts_status rc = LTS_OK;
    lts_buf b = LTS_BUF_INIT;
    LTS_ENSURE(strlen(prev_hex) == 64, LTS_E_INPUT, "previous hash is not 64 hex digits");
    LTS_TRY(lts_hex__decode(&b, prev_hex, 64));
    LTS_TRY(srv_audit_canon(&b, f));
    srv_sha256_hex(b.p, b.n, out);
out:
    lts_buf_dispose(&b);
    return rc;
}

static void now_iso(char ts[80])
{
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    snprintf(ts, 80, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
}

lts_status srv_audit_in_tx(srv_db *db, const char *event, const char *actor,
                           const char *credential, const char *status, const char *detail)
{
    lts_status rc = LTS_OK;
    srv_row head;
    char ts[80], seq[24], hash[65];
    memset(&head, 0, sizeof head);
    now_iso(ts);
    LTS_TRY(srv_db_get(db, "SELECT seq, hash FROM audit_head WHERE id = 1", NULL, 0, &head));
    long long next = head.found && head.v[0] ? atoll(head.v[0]) + 1 : 1;
    const char *prev = head.found && head.v[1] ? head.v[1] : ZERO_HASH;
    snprintf(seq, sizeof seq, "%lld", next);
    const char *f[7] = { seq, ts, event, actor ? actor : "", credential ? credential : "",
                         status, detail ? detail : "" };
    LTS_TRY(chain_hash(prev, f, hash));
    const char *ins[] = { seq, ts, f[2], f[3], f[4], f[5], f[6], prev, hash };
    LTS_TRY(srv_db_exec(db, "INSERT INTO audit(seq, ts, event, actor, credential, status, "
                            "detail, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        ins, 9, NULL, NULL, NULL));
    const char *hd[] = { seq, hash };
    LTS_TRY(srv_db_exec(db, "INSERT INTO audit_head(id, seq, hash) VALUES (1, $1, $2) "
                            "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, "
                            "hash = excluded.hash",
                        hd, 2, NULL, NULL, NULL));
out:
    srv_row_dispose(&head);
    return rc;
}

lts_status srv_audit(srv_db *db, const char *event, const char *actor, const char *credential,
                     const char *status, const char *detail)
{
    lts_status rc = LTS_OK;
    int tx = 0;
    LTS_TRY(srv_db_begin(db));
    tx = 1;
    LTS_TRY(srv_audit_in_tx(db, event, actor, credential, status, detail));
    tx = 0;
    rc = srv_db_commit(db);
out:
    if (tx)
        srv_db_rollback(db);
    return rc;
}

#define ANCHOR_EVENT "audit.anchor"

/* An anchor entry, kept for the check after the chain walk. */
typedef struct anchor_rec {
    struct anchor_rec *next;
    long long seq;    /* the anchor entry itself */
    char *detail;     /* "SEQ HEADHASH BASE64TOKEN" */
} anchor_rec;

typedef struct {
    char prev[65];
    long long expect;
    long count;
    char *bad;
    int broken;
    lts_status rc;
    anchor_rec *anchors, **tail; /* oldest first */
} verify_st;

static void set_bad(verify_st *v, const char *fmt, long long seq, const char *why)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, seq, why);
    v->broken = 1;
    v->bad = lts_strdup(msg);
}

static int verify_row(void *ud, int ncol, const char *const *c)
{
    verify_st *v = ud;
    char hash[65];
    if (ncol < 9) {
        v->rc = lts_err__set(LTS_E_INTERNAL, LTS_MODULE, 0, "audit row with %d columns", ncol);
        return 1;
    }
    long long seq = c[0] ? atoll(c[0]) : -1;
    if (seq != v->expect) {
        set_bad(v, "entry %lld: %s", v->expect,
                seq > v->expect ? "missing (deleted)" : "out of sequence");
        return 1;
    }
    if (!c[7] || !srv_str_ct_eq(c[7], v->prev)) {
        set_bad(v, "entry %lld: %s", seq,
                "does not follow the previous entry (an entry before it was deleted, "
                "reordered or edited)");
        return 1;
    }
    const char *f[7] = { c[0], c[1], c[2], c[3], c[4], c[5], c[6] };
    if (chain_hash(v->prev, f, hash) != LTS_OK || !c[8] || !srv_str_ct_eq(hash, c[8])) {
        set_bad(v, "entry %lld: %s", seq, "its content does not match its hash (edited)");
        return 1;
    }
    memcpy(v->prev, hash, sizeof hash);
    v->expect++;
    v->count++;
    if (c[2] && strcmp(c[2], ANCHOR_EVENT) == 0) {
        anchor_rec *a = lts_calloc(1, sizeof *a);
        if (a == NULL || (a->detail = lts_strdup(c[6] ? c[6] : "")) == NULL) {
            lts_free(a);
            v->rc = lts_err__set(LTS_E_NOMEM, LTS_MODULE, 0, "out of memory");
            return 1;
        }
        a->seq = seq;
        *v->tail = a;
        v->tail = &a->next;
    }
    return 0;
}

/* The messageImprint of an RFC 3161 token (DER ContentInfo) after checking its CMS
 * signature with the certificate it carries (integrity of the token; the trust in the TSA
 * is checked with the TSA's chain, e.g. openssl ts -verify). out gets the digest. */
static lts_status token_imprint(lts_span der, lts_buf *out)
{
    lts_status rc = LTS_OK;
    const unsigned char *q = der.p;
    PKCS7 *p7 = NULL;
    TS_TST_INFO *tst = NULL;
    LTS_ENSURE(der.n > 0 && der.n < (1u << 20), LTS_E_INPUT, "empty or oversized token");
    p7 = d2i_PKCS7(NULL, &q, (long)der.n);
    LTS_ENSURE(p7 != NULL && q == der.p + der.n, LTS_E_INPUT, "the token does not decode");
    LTS_ENSURE(PKCS7_verify(p7, NULL, NULL, NULL, NULL, PKCS7_NOVERIFY) == 1, LTS_E_INPUT,
               "the token's signature does not verify");
    tst = PKCS7_to_TS_TST_INFO(p7);
    LTS_ENSURE(tst != NULL, LTS_E_INPUT, "the token holds no TSTInfo");
    TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tst);
    X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(mi);
    ASN1_OCTET_STRING *dg = TS_MSG_IMPRINT_get_msg(mi);
    LTS_ENSURE(OBJ_obj2nid(alg->algorithm) == NID_sha256, LTS_E_INPUT,
               "the token's imprint is not SHA-256");
    LTS_TRY(lts_buf_set(out, lts_span_of(ASN1_STRING_get0_data(dg),
                                         (size_t)ASN1_STRING_length(dg))));
out:
    ERR_clear_error();
    TS_TST_INFO_free(tst);
    PKCS7_free(p7);
    return rc;
}

/* Check one anchor: "SEQ HEADHASH TOKEN" where SEQ is an earlier entry whose (verified)
 * hash is HEADHASH and TOKEN time-stamps exactly HEADHASH. NULL when good, else why. */
static const char *anchor_check(srv_db *db, const anchor_rec *a)
{
    const char *why = NULL;
    char seq[24], hash[65];
    const char *tok;
    srv_row row;
    lts_buf der = LTS_BUF_INIT, imp = LTS_BUF_INIT, want = LTS_BUF_INIT;
    long long n = 0;
    int used = 0;
    memset(&row, 0, sizeof row);
    if (sscanf(a->detail, "%23s %64s %n", seq, hash, &used) != 2 || used == 0 ||
        strlen(hash) != 64 || (n = atoll(seq)) < 1 || n >= a->seq) {
        why = "anchor: malformed (expected SEQ HEADHASH TOKEN of an earlier entry)";
        goto out;
    }
    tok = a->detail + used;
    const char *p[] = { seq };
    if (srv_db_get(db, "SELECT hash FROM audit WHERE seq = $1", p, 1, &row) != LTS_OK ||
        !row.found || !row.v[0]) {
        why = "anchor: the entry it time-stamps is missing";
        goto out;
    }
    if (!srv_str_ct_eq(row.v[0], hash)) {
        why = "anchor: the time-stamped head hash is not the hash of that entry";
        goto out;
    }
    if (lts_b64__decode(&der, tok, strlen(tok)) != LTS_OK ||
        token_imprint(lts_buf_span(&der), &imp) != LTS_OK ||
        lts_hex__decode(&want, hash, 64) != LTS_OK || imp.n != want.n ||
        memcmp(imp.p, want.p, imp.n) != 0) {
        why = "anchor: its time-stamp token is invalid or does not cover that head hash";
        goto out;
    }
out:
    lts_error_clear();
    srv_row_dispose(&row);
    lts_buf_dispose(&der);
    lts_buf_dispose(&imp);
    lts_buf_dispose(&want);
    return why;
}

lts_status srv_audit_verify(srv_db *db, char **bad, long *count, long *anchors)
{
    lts_status rc = LTS_OK;
    verify_st v;
    srv_row head;
    memset(&v, 0, sizeof v);
    memset(&head, 0, sizeof head);
    memcpy(v.prev, ZERO_HASH, sizeof v.prev);
    v.expect = 1;
    v.tail = &v.anchors;
    *bad = NULL;
    *count = 0;
    if (anchors)
        *anchors = 0;
    LTS_TRY(srv_db_exec(db, "SELECT seq, ts, event, actor, credential, status, detail, prev, "
                            "hash FROM audit ORDER BY seq",
                        NULL, 0, verify_row, &v, NULL));
    LTS_TRY(v.rc);
    if (!v.broken) {
        LTS_TRY(srv_db_get(db, "SELECT seq, hash FROM audit_head WHERE id = 1", NULL, 0, &head));
        long long hseq = head.found && head.v[0] ? atoll(head.v[0]) : 0;
        if (hseq != v.expect - 1)
            set_bad(&v, "entry %lld: %s", hseq > v.expect - 1 ? v.expect : hseq,
                    hseq > v.expect - 1 ? "missing (the newest entries were deleted)"
                                        : "is not recorded in the head of the log");
        else if (hseq > 0 && (!head.v[1] || !srv_str_ct_eq(head.v[1], v.prev)))
            set_bad(&v, "entry %lld: %s", hseq, "does not match the head of the log");
    }
    /* the anchors, oldest first */
    for (anchor_rec *a = v.anchors; a && !v.broken; a = a->next) {
        const char *why = anchor_check(db, a);
        if (why)
            set_bad(&v, "entry %lld: %s", a->seq, why);
        else if (anchors)
            (*anchors)++;
    }
    *count = v.count;
    if (v.broken) {
        *bad = v.bad;
        v.bad = NULL;
        rc = lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "the signature generation log is broken");
    }
out:
    while (v.anchors) {
        anchor_rec *a = v.anchors;
        v.anchors = a->next;
        lts_free(a->detail);
        lts_free(a);
    }
    lts_free(v.bad);
    srv_row_dispose(&head);
    return rc;
}

/* ---- anchors ------------------------------------------------------------------------------ */

lts_status srv_audit_anchor(const srv_conf *conf, srv_db *db, int force, int *made)
{
    lts_status rc = LTS_OK;
    srv_row head, last;
    lts_buf dg = LTS_BUF_INIT, tok = LTS_BUF_INIT, detail = LTS_BUF_INIT;
    lts_tsa *tsa = NULL;
    lts_tsa_opts o = LTS_TSA_OPTS_INIT;
    const char *urls[1];
    char seqs[24];
    memset(&head, 0, sizeof head);
    memset(&last, 0, sizeof last);
    if (made)
        *made = 0;
    if (conf->tsa_url == NULL)
        goto out;
    LTS_TRY(srv_db_get(db, "SELECT seq, hash FROM audit_head WHERE id = 1", NULL, 0, &head));
    if (!head.found || !head.v[0] || !head.v[1])
        goto out;
    long long hseq = atoll(head.v[0]);
    /* the last anchor: its seq and the Unix time of its entry */
    LTS_TRY(srv_db_get(db, "SELECT seq, ts FROM audit WHERE event = '" ANCHOR_EVENT "' "
                           "ORDER BY seq DESC LIMIT 1", NULL, 0, &last));
    long long lseq = last.found && last.v[0] ? atoll(last.v[0]) : 0;
    if (hseq <= lseq)
        goto out; /* nothing new since the last anchor (the anchor itself is the head) */
    long long age = 0;
    if (last.found && last.v[1]) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        if (sscanf(last.v[1], "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            age = (long long)time(NULL) - (long long)timegm(&tm);
        }
    } else {
        age = conf->audit_anchor_seconds; /* never anchored: anchor now */
    }
    if (!force && hseq - lseq < conf->audit_anchor_every && age < conf->audit_anchor_seconds)
        goto out;
    LTS_TRY(lts_hex__decode(&dg, head.v[1], strlen(head.v[1])));
    LTS_ENSURE(dg.n == 32, LTS_E_INTERNAL, "the log head hash is not SHA-256");
    urls[0] = conf->tsa_url;
    o.timeout_s = 20;
    LTS_TRY(lts_tsa_open_http(&tsa, urls, 1, &o));
    LTS_TRY(lts_tsa_stamp(tsa, LTS_HASH_SHA256, lts_buf_span(&dg), &tok));
    snprintf(seqs, sizeof seqs, "%lld ", hseq);
    LTS_TRY(lts_buf_append(&detail, seqs, strlen(seqs)));
    LTS_TRY(lts_buf_append(&detail, head.v[1], 64));
    LTS_TRY(lts_buf_append(&detail, " ", 1));
    LTS_TRY(lts_b64__encode(&detail, lts_buf_span(&tok)));
    LTS_TRY(lts_buf_nul(&detail));
    LTS_TRY(srv_audit(db, ANCHOR_EVENT, "ltsigd", "", "ok", (const char *)detail.p));
    if (made)
        *made = 1;
out:
    lts_tsa_close(tsa);
    srv_row_dispose(&head);
    srv_row_dispose(&last);
    lts_buf_dispose(&dg);
    lts_buf_dispose(&tok);
    lts_buf_dispose(&detail);
    return rc;
}
