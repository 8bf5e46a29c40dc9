/* ltsig — for people writing timestamp providers (less stable than ltsig/tsa.h).
 *
 * A provider moves DER bytes: it sends a TimeStampReq to one of its endpoints and returns
 * the TimeStampResp. Everything else is the core's (tsa/provider.c): building the request
 * (nonce, certReq, policy), trying endpoints in order, and checking each answer fully
 * before lts_tsa_stamp hands out a token. So a provider cannot weaken the checks.
 *
 * A provider embeds `lts_tsa` as the FIRST member of its own struct, points base.ops at a
 * static const ops table, sets base.n_endpoints, and calls lts_tsa_setup() before giving
 * the object out. New methods are only ever appended, with a version bump. */
#ifndef LTSIG_SYS_TSA_H
#define LTSIG_SYS_TSA_H

#include "../tsa.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lts_tsa_ops {
    unsigned int version; /**< LTS_TSA_OPS_VERSION */
    const char *name;     /**< "http", "responder", ... */
    /** Required. Send the DER TimeStampReq `req` to endpoint i (0 <= i < n_endpoints) and
     *  put the DER TimeStampResp in resp (at most LTS_TSA_MAX_RESPONSE bytes). Transport
     *  problems are errors (LTS_E_NET, LTS_E_TIMEOUT, with an LTS_TSA_R_* reason when one
     *  fits, and a message naming the endpoint); the content is checked by the core. */
    lts_status (*transact)(lts_tsa *t, size_t i, lts_span req, lts_buf *resp);
    /** Optional. A short name of endpoint i for messages (borrowed); NULL = "TSA #i". */
    const char *(*describe)(lts_tsa *t, size_t i);
    /** Required. Release the provider's resources and free t itself. */
    void (*close)(lts_tsa *t);
} lts_tsa_ops;
#define LTS_TSA_OPS_VERSION 1

/** The part of every provider the core manages. */
struct lts_tsa {
    const lts_tsa_ops *ops;
    size_t n_endpoints; /**< set by the provider, at least 1 */
    void *core_;        /**< the core's (policy, trust anchors); set by lts_tsa_setup */
};

/** Check the ops table and take the options the core applies (policy, trust_file).
 *  LTS_E_CONFIG for a bad table, version or policy; LTS_E_IO for an unreadable trust_file.
 *  On failure the caller still owns t and must free it (lts_tsa_close does that). */
LTS_API LTS_MUST_USE lts_status lts_tsa_setup(lts_tsa *t, const lts_tsa_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
