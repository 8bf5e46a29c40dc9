/* backend/server/api_int.h — private to ltsigd: what the CSC API files share. */
#ifndef LTS_SRV_API_INT_H
#define LTS_SRV_API_INT_H

#include <jansson.h>
#include "srv_int.h"

typedef struct {
    srv_ctx *ctx;
    const char *peer;
    int status;
    json_t *resp;         /* the response body, or NULL for none */
    char user[80];        /* the authenticated user, "" before authentication */
    char token_hash[65];  /* SHA-256 of the access token in use */
    long long gen;        /* the auth_gen the token was checked at (authcache.c) */
    int audited;          /* the outcome is already in the signature generation log */
} api_req;

/** Set the CSC error response {"error", "error_description"}. */
void api_error(api_req *r, int status, const char *error, const char *desc);
/** api_error plus an audit entry "refused" and a warn log line. */
void api_refuse(api_req *r, const char *event, const char *cred, int status, const char *error,
                const char *desc);
/** 500 server_error; the details (from lts_error_last) go to the log only. */
void api_server_error(api_req *r, const char *event);
long long api_now(void);
/** The string member `key` of body, or NULL when absent or not a string. */
const char *api_str(json_t *body, const char *key);

void api_m_list(api_req *r, json_t *body);
void api_m_info(api_req *r, json_t *body);
void api_m_authorize(api_req *r, json_t *body);
void api_m_sign_hash(api_req *r, json_t *body);
void api_m_timestamp(api_req *r, json_t *body);
void api_m_extend(api_req *r, json_t *body);
#define OID_SHA256 "2.16.840.1.101.3.4.2.1"
#define OID_SHA384 "2.16.840.1.101.3.4.2.2"
#define OID_SHA512 "2.16.840.1.101.3.4.2.3"

/* The signature algorithms signHash accepts (api_sign.c), listed by credentials/info. */
typedef struct {
    const char *oid;
    int ec;
    lts_hash hash; /* NONE: given by hashAlgorithmOID */
    int scheme;    /* SRV_SIG_* */
} api_sign_algo;
extern const api_sign_algo api_sign_algos[];
extern const size_t api_sign_algos_n;

/* Shared by the credential methods (api_cred.c, api_extend.c, api_sign.c). */
lts_hash api_hash_of_oid(const char *oid);
int api_load_cred(api_req *r, json_t *body, const char *event, srv_cred *c);
int api_cred_usable(api_req *r, const char *event, const srv_cred *c);
/** Why a credential cannot sign (locked, no certificate), or NULL. */
const char *api_cred_refusal(const srv_cred *c);
/** The access token with SHA-256 hex `hash` read from db: 1 usable (owner in
 *  owner[owner_size], *expires), 0 refused (*status, *err, *desc: the CSC error), -1 on a
 *  database error. */
int api_token_check(srv_db *db, const char *hash, char *owner, size_t owner_size,
                    long long *expires, int *status, const char **err, const char **desc);
void api_free_hashes(char **h);
int api_parse_hashes(api_req *r, json_t *body, lts_hash alg, char ***out, size_t *count);


#endif
