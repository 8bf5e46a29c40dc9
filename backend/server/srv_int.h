/* backend/server/srv_int.h — private to ltsigd: configuration, storage, PKCS#11 key
 * management, secrets, the signature generation log and the CSC API handlers.
 *
 * ltsigd is an executable, never linked into libltsig. It links libltsig statically and
 * may use core/ helpers (DESIGN.md: backend/server -> backend, tsa, core). */
#ifndef LTS_SRV_INT_H
#define LTS_SRV_INT_H

#include <pthread.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <ltsig/alg.h>
#include <ltsig/buf.h>
#include <ltsig/status.h>

/* ---- configuration (conf.c) ---------------------------------------------------------- */

/** The parsed configuration file. Keys of DESIGN.md plus a few tuning keys. */
typedef struct {
    char *path;           /**< the file it came from, for messages */
    char *listen;         /**< host:port */
    char *database;       /**< SQLite path, or a postgresql:// URI */
    char *pkcs11_module;  /**< path of the PKCS#11 module */
    char *token_label;    /**< CKA_LABEL of the token holding the keys */
    char *token_pin_file; /**< file whose first line is the token user PIN */
    char *token_so_pin_file; /**< optional: the token SO PIN, for `init` (backup key) */
    char *tls_cert;       /**< PEM server certificate (chain) */
    char *tls_key;        /**< PEM server key */
    char *tsa_url;        /**< optional: for audit anchors and signatures/timestamp */
    char *log_level;      /**< debug | info | warn | error */
    long token_ttl;       /**< access token lifetime, seconds (3600) */
    long sad_ttl;         /**< SAD lifetime, seconds (300) */
    long max_signatures;  /**< most signatures one SAD may authorise (multisign, 100) */
    long max_failures;    /**< consecutive failed password / PIN checks before lockout (5) */
    long threads;         /**< PKCS#11 signing sessions: values computed at once (16) */
    long auth_cache_ms;   /**< how long signHash trusts the last auth_gen it saw (50) */
    long max_body;        /**< largest request body in bytes (1 MiB) */
    long argon2_t;        /**< Argon2id iterations (3) */
    long argon2_m_kib;    /**< Argon2id memory in KiB (65536) */
    long audit_anchor_every;   /**< time-stamp the log head every N entries (1000) */
    long audit_anchor_seconds; /**< ... or when it is older than T seconds (3600) */
} srv_conf;

/** Read and check a configuration file. *out is the caller's (srv_conf_free). */
lts_status srv_conf_load(srv_conf **out, const char *path);
void srv_conf_free(srv_conf *c);
/** 1 when the host part of `listen` is a loopback address. */
int srv_listen_is_loopback(const char *listen);

/* ---- storage (db.c, db_sqlite.c) ----------------------------------------------------- */

/* A tiny SQL interface so that another engine (PostgreSQL) can be added behind it: every
 * parameter and every column travels as text (or NULL), placeholders are $1..$n. */
typedef struct srv_db srv_db;
/** Called once per result row; return non-zero to stop early. */
typedef int (*srv_row_fn)(void *ud, int ncol, const char *const *vals);

typedef struct {
    unsigned version; /* 1 */
    const char *name;
    /** Run one statement. *changes (optional) gets the number of rows changed. */
    lts_status (*exec)(srv_db *db, const char *sql, const char *const *params, int n,
                       srv_row_fn fn, void *ud, long *changes);
    /** Run a script of statements without parameters (the schema). */
    lts_status (*script)(srv_db *db, const char *sql);
    /** Start a transaction that excludes every other writer until COMMIT / ROLLBACK
     *  (the audit chain and the SAD consumption rely on it), across processes too. */
    lts_status (*begin)(srv_db *db);
    void (*close)(srv_db *db);
    /** A statement that makes this connection refuse writes (the reader of srv_db_open_reader). */
    const char *read_only_sql;
} srv_db_ops;

typedef struct srv_db_job srv_db_job; /* one unit of a group commit (db.c) */

struct srv_db {
    const srv_db_ops *ops;
    pthread_mutex_t mu; /* recursive: held by a transaction and by each statement */
    int in_tx;          /* under mu: a transaction is open (by the thread holding mu) */
    srv_db *rd;         /* optional second connection for SELECTs outside a transaction */
    /* group commit (srv_db_group): the queue and whether a leader is running a batch */
    pthread_mutex_t gmu; /* each waiting job has its own condition variable (db.c) */
    int group_ok;       /* gmu initialised */
    srv_db_job *qhead, **qtail;
    int leader;
    unsigned long groups, grouped; /* under gmu: batches committed and jobs in them */
};

/** Open the database named by `spec`: a postgresql:// (or postgres://) URI, otherwise a
 *  SQLite file path. */
lts_status srv_db_open(srv_db **out, const char *spec);
void srv_db_close(srv_db *db);
lts_status srv_db_exec(srv_db *db, const char *sql, const char *const *params, int n,
                       srv_row_fn fn, void *ud, long *changes);
/** BEGIN IMMEDIATE; the caller holds the database until commit or rollback. */
lts_status srv_db_begin(srv_db *db);
lts_status srv_db_commit(srv_db *db);
void srv_db_rollback(srv_db *db);
/** Open a second connection to `spec`, read-only, for the SELECTs that run outside a
 *  transaction (they no longer wait behind a commit's flush on the write connection).
 *  A thread inside its own transaction still reads through the write connection. */
lts_status srv_db_open_reader(srv_db *db, const char *spec);

/** One unit of work of a group commit, run inside the shared transaction (never call
 *  srv_db_begin or srv_audit in it; srv_db_exec / srv_db_get / srv_audit_in_tx are fine).
 *  Return 1 to keep its changes, 0 to undo them (a refusal: the job records why in ud),
 *  -1 on an error (lts_error set). It may run on another request's thread. */
typedef int (*srv_tx_fn)(srv_db *db, void *ud);
/** Group commit: queue fn and wait. Whichever waiting thread finds no batch running takes
 *  every queued job and runs them, in queue order, in ONE transaction (a savepoint around
 *  each job, so a refused or failed job does not undo the others), then commits once (one
 *  flush for the whole group). Returns 1 when fn returned 1 and the commit is durable, 0
 *  when fn refused (nothing of it is kept), -1 on an error (lts_error set on this thread;
 *  nothing of it is kept). */
int srv_db_group(srv_db *db, srv_tx_fn fn, void *ud);
/** How many group commits ran and how many jobs they held (since the database was opened). */
void srv_db_group_stats(srv_db *db, unsigned long *groups, unsigned long *jobs);

#define SRV_ROW_MAX 12
/** The first row of a query, copied. */
typedef struct {
    int found;
    int n;
    char *v[SRV_ROW_MAX];
} srv_row;
lts_status srv_db_get(srv_db *db, const char *sql, const char *const *params, int n,
                      srv_row *row);
void srv_row_dispose(srv_row *row);

/* ---- the data (store.c) --------------------------------------------------------------- */

lts_status srv_store_schema(srv_db *db);

typedef struct {
    char *name;
    char *pw_hash;
    char *totp_secret; /* base32 */
    long failures;
    long locked;
    long long totp_last; /* last accepted TOTP step */
} srv_user;
lts_status srv_user_get(srv_db *db, const char *name, srv_user *u); /* LTS_E_NOTFOUND */
void srv_user_dispose(srv_user *u);

typedef struct {
    char *id;
    char *user;
    char *algo;       /* rsa2048 | rsa3072 | ec-p256 | ec-p384 */
    char *spki;       /* base64 DER SubjectPublicKeyInfo */
    char *pin_hash;   /* Argon2id encoded */
    char *chain;      /* base64 DER certificates, leaf first, separated by ',' (or NULL) */
    long failures;
    long locked;
} srv_cred;
lts_status srv_cred_get(srv_db *db, const char *id, srv_cred *c); /* LTS_E_NOTFOUND */
void srv_cred_dispose(srv_cred *c);

/* ---- secrets and small crypto (secrets.c) --------------------------------------------- */

/** Read the first line of a secret file into out (NUL-terminated; wipe it). */
lts_status srv_secret_file(lts_buf *out, const char *path, const char *what);
lts_status srv_random(uint8_t *p, size_t n);
/** Lowercase hex of SHA-256(data). out has 65 bytes. */
void srv_sha256_hex(const void *data, size_t n, char out[65]);
/** A new random token: 32 bytes, base64url without padding (43 chars + NUL). */
lts_status srv_new_token(char out[48]);
/** Argon2id, PHC string encoding. *out is lts_malloc'ed. */
lts_status srv_pw_hash(const srv_conf *c, const char *pw, size_t n, char **out);
/** LTS_OK on match, LTS_E_AUTH on mismatch, other codes on error. */
lts_status srv_pw_verify(const char *encoded, const char *pw, size_t n);
/** Check a TOTP code against the base32 secret at time `now`, accepting one step either
 *  side, and only steps after *last (RFC 6238 §5.2: no code is accepted twice). On
 *  success *last gets the step used. LTS_E_AUTH when it does not match. */
lts_status srv_totp_check(const char *secret_b32, const char *code, int64_t now,
                          long long *last);
/** Constant-time string compare: 1 when equal. */
int srv_str_ct_eq(const char *a, const char *b);

/* ---- PKCS#11 (p11.c) -------------------------------------------------------------------- */

typedef struct srv_p11 srv_p11;
/** Load the module, find the token by label, open a session and log in with the PIN
 *  from the PIN file. */
lts_status srv_p11_open(srv_p11 **out, const srv_conf *conf);
void srv_p11_close(srv_p11 *p);
/** Generate a key pair (algo rsa2048|rsa3072|ec-p256|ec-p384) with CKA_ID id: private
 *  key sensitive, private, extractable only wrapped under a trusted key
 *  (CKA_WRAP_WITH_TRUSTED). *pub gets the public key. */
lts_status srv_p11_generate(srv_p11 *p, const char *algo, lts_span id, const char *label,
                            EVP_PKEY **pub);
/** How srv_p11_sign signs (0 and 1 match srv_algo_is_ec()). */
enum { SRV_SIG_RSA_PKCS1 = 0, SRV_SIG_ECDSA = 1, SRV_SIG_RSA_PSS = 2 };
/** Sign a digest with the private key CKA_ID id: RSA PKCS#1 v1.5 over the DigestInfo,
 *  RSA-PSS (MGF1 with h, salt = digest length), or ECDSA (returned DER-encoded). */
lts_status srv_p11_sign(srv_p11 *p, lts_span id, int scheme, lts_hash h, lts_span digest,
                        lts_buf *out);
/** Put an existing private key into the token under CKA_ID id: sensitive, not
 *  extractable, private, sign only (RSA >= 2048 bits, EC P-256 / P-384). */
lts_status srv_p11_import(srv_p11 *p, EVP_PKEY *key, lts_span id, const char *label);
/** Destroy both keys with CKA_ID id (used to undo a half-done key generation). */
void srv_p11_destroy(srv_p11 *p, lts_span id);
/** 1 when the token holds the private key CKA_ID id. */
int srv_p11_has_key(srv_p11 *p, lts_span id);

#define SRV_BACKUP_KEY_LABEL "ltsigd-backup"
#define SRV_BACKUP_MAC_LABEL "ltsigd-backup-mac"
/** Create the backup wrapping key (AES-256, CKA_TRUSTED, wrap/unwrap only, sensitive,
 *  never extractable) with the SO PIN of token_so_pin_file unless it exists. Opens its
 *  own SO session: call it while no user session is open. */
lts_status srv_p11_backup_key_ensure(const srv_conf *conf, int *created);
/** Wrap the private key CKA_ID id under the backup key (CKM_AES_KEY_WRAP_PAD). */
lts_status srv_p11_wrap(srv_p11 *p, lts_span id, lts_buf *out);
/** Unwrap a key wrapped by srv_p11_wrap into the token: sensitive, not extractable,
 *  private, sign only, CKA_ID id. */
lts_status srv_p11_unwrap(srv_p11 *p, lts_span wrapped, const char *algo, lts_span id,
                          const char *label);
/** HMAC-SHA256 of data under the token's backup MAC key (made on first use). */
lts_status srv_p11_mac(srv_p11 *p, lts_span data, uint8_t out[32]);

/* ---- logging (log.c) ------------------------------------------------------------------- */

enum { SRV_LOG_DEBUG = 0, SRV_LOG_INFO = 1, SRV_LOG_WARN = 2, SRV_LOG_ERROR = 3 };
int srv_log_level_parse(const char *s);
/** One JSON object per line on stderr: {"ts","level","event", k1: v1, ...}. The variadic
 *  part is key, value pairs of strings ended by NULL; NULL values are skipped. Never pass
 *  a password, PIN, token or SAD. */
void srv_log(int min_level, int level, const char *event, ...);

/* ---- the signature generation log (audit.c) --------------------------------------------- */

/** Append one entry to the hash chain in its own transaction (never call it inside one:
 *  the nested BEGIN fails). */
lts_status srv_audit(srv_db *db, const char *event, const char *actor, const char *credential,
                     const char *status, const char *detail);
/** srv_audit inside a transaction the caller opened (srv_db_begin) and commits: several
 * records, and the change they describe, in one commit. */
lts_status srv_audit_in_tx(srv_db *db, const char *event, const char *actor,
                           const char *credential, const char *status, const char *detail);
/** Check the whole chain. LTS_OK when intact; otherwise LTS_E_INPUT and *bad (lts_malloc)
 *  names the first bad entry and why. */
lts_status srv_audit_verify(srv_db *db, char **bad, long *count, long *anchors);
/** Time-stamp the head of the log through `tsa_url` when it is due (audit_anchor_every
 *  entries or audit_anchor_seconds since the last anchor; `force`: whenever there is an
 *  entry not yet anchored) and append the token to the log as an "audit.anchor" entry
 *  whose detail is "SEQ HEADHASH BASE64TOKEN". *made (optional) gets 1 when it did.
 *  Does nothing without tsa_url. */
lts_status srv_audit_anchor(const srv_conf *conf, srv_db *db, int force, int *made);
/** The canonical byte string of an entry (exposed for the unit tests). */
lts_status srv_audit_canon(lts_buf *out, const char *const fields[7]);

/* ---- the running service (api.c, httpd.c) ---------------------------------------------- */

/* Decoded credential public keys by their stored base64 SPKI (pkcache.c). */
typedef struct srv_pkcache srv_pkcache;
lts_status srv_pkcache_new(srv_pkcache **out);
void srv_pkcache_free(srv_pkcache *c);
/** The key of `spki` (decoded once, then shared): *out is a new reference (EVP_PKEY_free).
 *  With c NULL it only decodes. */
lts_status srv_pkcache_get(srv_pkcache *c, const char *spki, EVP_PKEY **out);

/* What signHash checks before signing, in memory (authcache.c: how it stays exact). Every
 * function takes c NULL as "no cache": lookups miss, stores do nothing. */
typedef struct srv_authcache srv_authcache;
#define SRV_HASH_HEX_MAX 128 /* a SHA-512 digest in hex */
/** max_age_ms: how long a generation read from the database is used before it is read
 *  again (auth_cache_ms). */
lts_status srv_authcache_new(srv_authcache **out, long max_age_ms);
void srv_authcache_free(srv_authcache *c);
/** auth_gen.n, read with db (inside a write transaction: the current value). */
lts_status srv_authcache_read_gen(srv_db *db, long long *gen);
/** The generation to check a request at: the cache's, when confirmed recently, else read
 *  from db and adopted; -1 (never a stored value) without a cache. */
lts_status srv_authcache_gen(srv_authcache *c, srv_db *db, long long *gen);
/** This process changed what the triggers count: no cached row is used until a request
 *  has read auth_gen again (a value read before the change does not count). */
void srv_authcache_stale(srv_authcache *c);
/** A generation read from the database: a newer one drops every cached row. */
void srv_authcache_observe(srv_authcache *c, long long gen);
/** A usable access token cached at gen: 1 with its owner and expiry, or 0. */
int srv_authcache_token(srv_authcache *c, const char *hash, long long gen, char *owner,
                        size_t owner_size, long long *expires);
void srv_authcache_token_put(srv_authcache *c, const char *hash, long long gen,
                             const char *owner, long long expires);
/** A credential cached at gen: 1 with a copy in *out (pin_hash is ""), 0 when not
 *  cached, -1 out of memory. */
int srv_authcache_cred(srv_authcache *c, const char *id, long long gen, srv_cred *out);
void srv_authcache_cred_put(srv_authcache *c, long long gen, const srv_cred *cred);
/** A SAD this process issued (hashes: lowercase hex, repeats allowed). */
lts_status srv_authcache_sad_put(srv_authcache *c, const char *sad_hash, const char *owner,
                                 const char *cred, const char *alg, long long expires,
                                 char *const *hashes, size_t nh);
/** The SAD check before signing from memory: 1 usable, 0 refused (*why), -1 not cached
 *  (ask the database). */
int srv_authcache_sad_check(srv_authcache *c, const char *sad_hash, const char *user,
                            const char *cred, const char *alg, char *const *hashes, size_t nh,
                            const char **why);
/** The hashes a committed signHash took out of the SAD. */
void srv_authcache_sad_consumed(srv_authcache *c, const char *sad_hash, char *const *hashes,
                                size_t nh);
void srv_authcache_sad_drop(srv_authcache *c, const char *sad_hash);

typedef struct {
    srv_conf *conf;
    srv_db *db;
    srv_p11 *p11;
    int log_level;
    srv_pkcache *pkc;   /* NULL outside `serve` */
    srv_authcache *ac;  /* NULL outside `serve` */
} srv_ctx;

/** Handle one CSC API request. `path` is after "/csc/v2/". *status gets the HTTP status,
 *  *resp a JSON text (lts_malloc'ed) or NULL for an empty body. */
void srv_api_handle(srv_ctx *ctx, const char *path, const char *authz, const char *peer,
                    const uint8_t *body, size_t n, int *status, char **resp);

/** Serve until SIGTERM/SIGINT; requests in flight finish first. */
lts_status srv_httpd_run(srv_ctx *ctx);

/** Decode a stored base64 SubjectPublicKeyInfo. */
lts_status srv_spki_decode(const char *b64, EVP_PKEY **out);
/** 1 for the ec-* key algorithms. */
int srv_algo_is_ec(const char *algo);

/* ---- commands (cmd.c) ------------------------------------------------------------------ */

int srv_cmd_init(int argc, char **argv);
int srv_cmd_serve(int argc, char **argv);
int srv_cmd_user(int argc, char **argv);
int srv_cmd_key(int argc, char **argv);
int srv_cmd_audit(int argc, char **argv);

#endif
