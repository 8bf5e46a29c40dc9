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

lts_status srv_audit(srv_db *db, const char *event, const char *actor, const char *credential,
                     const char *status, const char *detail)
{
    lts_status rc = LTS_OK;
    srv_row head;
    char ts[80], seq[24], hash[65];
    int tx = 0;
    memset(&head, 0, sizeof head);
    now_iso(ts);
    LTS_TRY(srv_db_begin(db));
    tx = 1;
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
    rc = srv_db_commit(db);
    tx = 0;
out:
    if (tx)
        srv_db_rollback(db);
    srv_row_dispose(&head);
    return rc;
}

typedef struct {
    char prev[65];
    long long expect;
    long count;
    char *bad;
    int broken;
    lts_status rc;
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
    return 0;
}

lts_status srv_audit_verify(srv_db *db, char **bad, long *count)
{
    lts_status rc = LTS_OK;
    verify_st v;
    srv_row head;
    memset(&v, 0, sizeof v);
    memset(&head, 0, sizeof head);
    memcpy(v.prev, ZERO_HASH, sizeof v.prev);
    v.expect = 1;
    *bad = NULL;
    *count = 0;
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
    *count = v.count;
    if (v.broken) {
        *bad = v.bad;
        v.bad = NULL;
        rc = lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "the signature generation log is broken");
    }
out:
    lts_free(v.bad);
    srv_row_dispose(&head);
    return rc;
}
