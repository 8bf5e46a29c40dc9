/* ltsig — status codes and the last error.
 *
 * Every fallible call returns an lts_status. LTS_OK is 0; failures are negative and a
 * caller can act on each one. The details of the most recent failure on this thread
 * (module, reason, message, including OpenSSL's error queue text) are kept for the
 * caller to read with lts_error_last(), in the style of libgit2's git_error_last().
 * The library never prints, never exits and never puts a secret in a message. */
#ifndef LTSIG_STATUS_H
#define LTSIG_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define LTS_API
#elif defined(__GNUC__)
#define LTS_API __attribute__((visibility("default")))
#else
#define LTS_API
#endif

#if defined(__GNUC__)
#define LTS_MUST_USE __attribute__((warn_unused_result))
#define LTS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LTS_MUST_USE
#define LTS_PRINTF(f, a)
#endif

/** Status codes. Append only: never renumber. */
typedef enum {
    LTS_OK = 0,
    LTS_E_NOMEM = -1,       /**< an allocation failed */
    LTS_E_INPUT = -2,       /**< the input is malformed, truncated or not what was expected */
    LTS_E_CRYPTO = -3,      /**< a cryptographic operation could not be performed */
    LTS_E_IO = -4,          /**< a file could not be read or written */
    LTS_E_NET = -5,         /**< a network peer could not be reached or answered badly */
    LTS_E_TIMEOUT = -6,     /**< a network call ran out of time */
    LTS_E_AUTH = -7,        /**< a password, PIN or credential was refused */
    LTS_E_UNSUPPORTED = -8, /**< a feature, algorithm or URI scheme is not supported */
    LTS_E_CONFIG = -9,      /**< the options or configuration are incomplete or inconsistent */
    LTS_E_NOTFOUND = -10,   /**< a named object (file, key, credential, signature) is absent */
    LTS_E_INTERNAL = -99    /**< a bug: an invariant did not hold */
} lts_status;

/** The details of the last failure on the calling thread. */
typedef struct {
    lts_status code;     /**< the status that was returned */
    int reason;          /**< a module-specific reason code, 0 if none */
    const char *module;  /**< "core", "cades", "signer", ... never NULL */
    const char *message; /**< one line, never NULL, never holds a secret */
} lts_error;

/** The last error recorded on this thread. Read it right after a call failed; the
 *  pointer stays valid until the next failing call on this thread. Never NULL: when no
 *  error was recorded, code is LTS_OK and message is "". Thread-safe (thread-local). */
LTS_API const lts_error *lts_error_last(void);

/** Forget the last error of this thread. */
LTS_API void lts_error_clear(void);

/** A short constant name for a status ("LTS_E_INPUT" ...). Never NULL. */
LTS_API const char *lts_status_name(lts_status st);

#ifdef __cplusplus
}
#endif
#endif
