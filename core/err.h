/* core/err.h — internal: recording errors and the check macros (STYLE.md rules 2-4).
 *
 * Each .c file defines LTS_MODULE ("cades", "signer", ...) before including this header.
 * Functions keep one exit: declare resources NULL at the top, a local `lts_status rc =
 * LTS_OK;`, use the macros below (they set rc and `goto out`), and free everything at
 * `out:`. */
#ifndef LTS_CORE_ERR_H
#define LTS_CORE_ERR_H

#include <ltsig/status.h>

#ifndef LTS_MODULE
#define LTS_MODULE "ltsig"
#endif

/** Record an error and return `code`. */
lts_status lts_err__set(lts_status code, const char *module, int reason, const char *fmt, ...)
    LTS_PRINTF(4, 5);
/** Record an error, append OpenSSL's queued error text, clear the queue, return `code`. */
lts_status lts_err__ossl(lts_status code, const char *module, const char *fmt, ...)
    LTS_PRINTF(3, 4);
/** Prefix the current message with "context: " (keeps code and reason). Returns the code. */
lts_status lts_err__wrap(const char *fmt, ...) LTS_PRINTF(1, 2);

#define LTS_TRY(expr)                                                                     \
    do {                                                                                  \
        rc = (expr);                                                                      \
        if (rc != LTS_OK)                                                                 \
            goto out;                                                                     \
    } while (0)

#define LTS_FAIL(code, ...)                                                               \
    do {                                                                                  \
        rc = lts_err__set((code), LTS_MODULE, 0, __VA_ARGS__);                            \
        goto out;                                                                         \
    } while (0)

#define LTS_FAIL_R(code, reason, ...)                                                     \
    do {                                                                                  \
        rc = lts_err__set((code), LTS_MODULE, (reason), __VA_ARGS__);                     \
        goto out;                                                                         \
    } while (0)

#define LTS_ENSURE(cond, code, ...)                                                       \
    do {                                                                                  \
        if (!(cond))                                                                      \
            LTS_FAIL((code), __VA_ARGS__);                                                \
    } while (0)

#define LTS_FAIL_OSSL(code, ...)                                                          \
    do {                                                                                  \
        rc = lts_err__ossl((code), LTS_MODULE, __VA_ARGS__);                              \
        goto out;                                                                         \
    } while (0)

/** For OpenSSL calls: `cond` false means failure; the queue text goes into the message. */
#define LTS_OSSL(cond, ...)                                                               \
    do {                                                                                  \
        if (!(cond))                                                                      \
            LTS_FAIL_OSSL(LTS_E_CRYPTO, __VA_ARGS__);                                     \
    } while (0)

#define LTS_ALLOC(ptr)                                                                    \
    do {                                                                                  \
        if ((ptr) == NULL)                                                                \
            LTS_FAIL(LTS_E_NOMEM, "out of memory at %s:%d", __FILE__, __LINE__);          \
    } while (0)

#endif
