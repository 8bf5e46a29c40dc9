/* ltsig — timestamps (RFC 3161 / RFC 5816): the client that formats use (lts_tsa), and
 * a responder with its HTTP front (lts_tsa_responder, lts_tsa_server) that ltsigd, the
 * demo and the tests serve. Owned by the tsa/ module. */
#ifndef LTSIG_TSA_H
#define LTSIG_TSA_H

#include "alg.h"
#include "buf.h"
#include "signer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lts_tsa lts_tsa;

typedef struct {
    unsigned int version;  /**< LTS_TSA_OPTS_VERSION */
    long timeout_s;        /**< per request, 0 = 30 s */
    const char *policy;    /**< requested policy OID (dotted), optional */
    const char *trust_file;/**< PEM bundle to check the TSA certificate chain, optional */
    const char *ca_file;   /**< CA bundle for https TSA URLs, optional */
} lts_tsa_opts;
#define LTS_TSA_OPTS_VERSION 1
#define LTS_TSA_OPTS_INIT { LTS_TSA_OPTS_VERSION, 0, NULL, NULL, NULL }

/** An RFC 3161 client over HTTP(S) trying `urls` in order (each http:// or https://;
 *  the strings are copied). opts may be NULL (defaults). With opts->trust_file the TSA
 *  chain must verify to those anchors (purpose timestamping); without it only the token
 *  signature and the TSA certificate itself are checked. *out is the caller's: close it
 *  with lts_tsa_close(). LTS_E_CONFIG for a bad URL or policy, LTS_E_IO for an unreadable
 *  trust_file. An lts_tsa is used by one thread at a time.
 *
 *  Typical use (CAdES signature timestamp, RFC 3161 appendix A / EN 319 122-1 §5.3):
 *      lts_tsa *tsa = NULL;  lts_buf tok = LTS_BUF_INIT;
 *      const char *urls[] = { "http://127.0.0.1:18082/" };
 *      LTS_TRY(lts_tsa_open_http(&tsa, urls, 1, NULL));
 *      LTS_TRY(lts_tsa_stamp(tsa, LTS_HASH_SHA256, sha256_of_signature_value, &tok));
 *      ... tok.p / tok.n is the DER TimeStampToken to put in the unsigned attribute ...
 *      lts_buf_dispose(&tok);  lts_tsa_close(tsa);
 *  For a PAdES document timestamp, digest is the hash of the /ByteRange bytes and the
 *  token goes, as is, into /Contents of the /DocTimeStamp dictionary. */
LTS_API LTS_MUST_USE lts_status lts_tsa_open_http(lts_tsa **out, const char *const *urls,
                                                 size_t n_urls, const lts_tsa_opts *opts);

/** Timestamp `digest` (made with h: SHA-256, SHA-384 or SHA-512; digest.n must be
 *  lts_hash_size(h)). The request carries a random 64-bit nonce, certReq true and
 *  opts->policy when set. token (caller's storage, LTS_BUF_INIT) gets the DER
 *  TimeStampToken, a CMS ContentInfo holding a SignedData over a TSTInfo, byte for byte as
 *  the TSA sent it, already checked: HTTP 200 and content type, status granted (or
 *  grantedWithMods), nonce, imprint (algorithm and digest), policy, the TSA certificate
 *  present with the sole critical timeStamping EKU (RFC 3161 §2.3) and valid at genTime,
 *  the signature and its ESS signing-certificate(-v2) binding, and the chain when
 *  trust_file was given. On
 *  failure token is empty and lts_error_last() says what each URL did (see the reasons
 *  below). Responses are capped at LTS_TSA_MAX_RESPONSE bytes; each URL gets
 *  opts->timeout_s seconds. */
LTS_API LTS_MUST_USE lts_status lts_tsa_stamp(lts_tsa *t, lts_hash h, lts_span digest,
                                             lts_buf *token);

LTS_API void lts_tsa_close(lts_tsa *t);

struct lts_tsa_responder;
/** An in-process timestamp provider: requests go straight to responder `r` (borrowed:
 *  keep it until lts_tsa_close), with the same request building and the same checks as
 *  lts_tsa_open_http. For ltsigd (its own TSA) and for tests that need no HTTP.
 *  opts may be NULL; timeout_s and ca_file are ignored. */
LTS_API LTS_MUST_USE lts_status lts_tsa_open_responder(lts_tsa **out,
                                                      struct lts_tsa_responder *r,
                                                      const lts_tsa_opts *opts);

/* ---- How lts_tsa_stamp fails ---------------------------------------------------------
 * lts_error_last()->reason holds one of these (module "tsa") when a TSA answered but the
 * answer was refused; transport failures keep reason 0 with LTS_E_NET / LTS_E_TIMEOUT.
 * When several URLs are given, each is tried in order until one answers well; the
 * message then lists what every URL did, and code/reason are those of the last one.
 *   LTS_E_NET     HTTP status other than 200, wrong content type, connection refused
 *   LTS_E_TIMEOUT no answer within opts.timeout_s
 *   LTS_E_INPUT   malformed / too large / rejected / nonce, imprint or policy mismatch
 *   LTS_E_CRYPTO  bad signature, bad TSA certificate, untrusted chain */
enum {
    LTS_TSA_R_HTTP_STATUS = 1,  /**< the server answered with an HTTP status other than 200 */
    LTS_TSA_R_CONTENT_TYPE,     /**< Content-Type is not application/timestamp-reply */
    LTS_TSA_R_MALFORMED,        /**< the body is not a DER TimeStampResp */
    LTS_TSA_R_REJECTED,         /**< PKIStatus other than granted / grantedWithMods */
    LTS_TSA_R_NONCE,            /**< the nonce is missing or differs from ours */
    LTS_TSA_R_IMPRINT,          /**< the message imprint (algorithm or digest) differs */
    LTS_TSA_R_POLICY,           /**< a policy was requested and another one was used */
    LTS_TSA_R_NO_CERT,          /**< the token does not carry the TSA certificate */
    LTS_TSA_R_EKU,              /**< the TSA certificate lacks the sole critical timeStamping EKU */
    LTS_TSA_R_SIGNATURE,        /**< the token signature or its ESS signing-certificate fails */
    LTS_TSA_R_UNTRUSTED,        /**< the TSA chain does not verify to opts->trust_file */
    LTS_TSA_R_TOO_LARGE,        /**< the response passed LTS_TSA_MAX_RESPONSE */
    LTS_TSA_R_CERT_TIME         /**< genTime is outside the TSA certificate's validity */
};

/** The largest TimeStampResp accepted by the client, in bytes. */
#define LTS_TSA_MAX_RESPONSE ((size_t)256 << 10)

/* ---- Responder (RFC 3161 server side) -------------------------------------------------
 * Turns a DER TimeStampReq into a DER TimeStampResp, signing with any lts_signer (file:,
 * pkcs11:, csc:). The token is a CMS SignedData (RFC 5652) whose eContent is the TSTInfo,
 * with signed attributes content-type (id-ct-TSTInfo), message-digest and ESS
 * signing-certificate-v2 (RFC 5035, SHA-256, with issuerSerial). Serial numbers are 128
 * random bits; genTime comes from opts.clock; the nonce is echoed; certReq is honoured
 * (the signer's whole chain is included). A request that cannot be served is answered
 * with status rejection and a failInfo (badAlg, badRequest, badDataFormat,
 * unacceptedPolicy, unacceptedExtension), never with an error. Requests with SHA-256,
 * SHA-384 or SHA-512 imprints are accepted. */
typedef struct lts_tsa_responder lts_tsa_responder;
struct lts_clock;

/** The default policy of the responder: a private test OID (not registered; tests only). */
#define LTS_TSA_DEFAULT_POLICY "1.3.6.1.4.1.99999.1"

typedef struct {
    unsigned int version;           /**< LTS_TSA_RESPONDER_OPTS_VERSION */
    const char *policy;             /**< TSA policy OID (dotted); NULL = LTS_TSA_DEFAULT_POLICY */
    lts_hash hash;                  /**< digest of the token signature; NONE = SHA-256 */
    const struct lts_clock *clock;  /**< genTime source; NULL = system clock */
    unsigned int accuracy_s;        /**< accuracy seconds to announce; 0 = no accuracy field */
} lts_tsa_responder_opts;
#define LTS_TSA_RESPONDER_OPTS_VERSION 1
#define LTS_TSA_RESPONDER_OPTS_INIT { LTS_TSA_RESPONDER_OPTS_VERSION, NULL, LTS_HASH_NONE, NULL, 0 }

/** A responder signing with `signer` (borrowed: keep it open until lts_tsa_responder_free).
 *  The signer certificate must carry the critical timeStamping EKU (LTS_E_CONFIG otherwise).
 *  lts_tsa_responder_respond may be called from several threads at once (signing is
 *  serialised inside). */
LTS_API LTS_MUST_USE lts_status lts_tsa_responder_new(lts_tsa_responder **out, lts_signer *signer,
                                                     const lts_tsa_responder_opts *opts);

/** Answer one DER TimeStampReq. resp gets a DER TimeStampResp: granted with a token, or a
 *  rejection for a bad request. Fails only when no answer can be made at all (out of
 *  memory, the signer failed): then the HTTP front answers 500. */
LTS_API LTS_MUST_USE lts_status lts_tsa_responder_respond(lts_tsa_responder *r, lts_span req,
                                                         lts_buf *resp);

LTS_API void lts_tsa_responder_free(lts_tsa_responder *r);

/* ---- HTTP front (RFC 3161 §3.4 over libmicrohttpd) ---------------------------------
 * POST with Content-Type application/timestamp-query -> 200 application/timestamp-reply.
 * Another method: 405; another content type, an empty or too large body: 400. */
typedef struct lts_tsa_server lts_tsa_server;

typedef struct {
    unsigned int version;   /**< LTS_TSA_SERVER_OPTS_VERSION */
    const char *bind;       /**< IPv4 address to listen on; NULL = "127.0.0.1" */
    unsigned int port;      /**< 0 = any free port (see lts_tsa_server_port) */
    unsigned int threads;   /**< thread pool size; 0 = 4 */
    size_t max_request;     /**< request body cap; 0 = 64 KiB */
} lts_tsa_server_opts;
#define LTS_TSA_SERVER_OPTS_VERSION 1
#define LTS_TSA_SERVER_OPTS_INIT { LTS_TSA_SERVER_OPTS_VERSION, NULL, 0, 0, 0 }

/** Start serving `r` (borrowed: keep it until lts_tsa_server_stop). Returns once the
 *  socket listens. LTS_E_IO when the address cannot be bound, LTS_E_CONFIG on a bad bind. */
LTS_API LTS_MUST_USE lts_status lts_tsa_server_start(lts_tsa_server **out, lts_tsa_responder *r,
                                                    const lts_tsa_server_opts *opts);
/** The port the server listens on. */
LTS_API unsigned int lts_tsa_server_port(const lts_tsa_server *s);
/** Stop: close the socket, finish the requests in flight, join the threads, free. NULL ok. */
LTS_API void lts_tsa_server_stop(lts_tsa_server *s);

#ifdef __cplusplus
}
#endif
#endif
