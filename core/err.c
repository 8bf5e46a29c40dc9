/* see ltsig/status.h and core/err.h */
#define LTS_MODULE "core"
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>

#define MSG_CAP 1024

typedef struct {
    lts_error e;
    char msg[MSG_CAP];
    char module[32];
} err_slot;

static _Thread_local err_slot slot;

const lts_error *lts_error_last(void)
{
    if (slot.e.message == NULL) {
        slot.msg[0] = '\0';
        slot.module[0] = '\0';
        slot.e.code = LTS_OK;
        slot.e.reason = 0;
        slot.e.module = slot.module;
        slot.e.message = slot.msg;
    }
    return &slot.e;
}

void lts_error_clear(void)
{
    slot.e.code = LTS_OK;
    slot.e.reason = 0;
    slot.msg[0] = '\0';
    slot.module[0] = '\0';
    slot.e.module = slot.module;
    slot.e.message = slot.msg;
}

static void vset(lts_status code, const char *module, int reason, const char *fmt, va_list ap)
{
    char tmp[MSG_CAP];
    vsnprintf(tmp, sizeof tmp, fmt, ap); /* fmt may name the old message: format first */
    memcpy(slot.msg, tmp, sizeof tmp);
    snprintf(slot.module, sizeof slot.module, "%s", module ? module : "ltsig");
    slot.e.code = code;
    slot.e.reason = reason;
    slot.e.module = slot.module;
    slot.e.message = slot.msg;
}

lts_status lts_err__set(lts_status code, const char *module, int reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(code, module, reason, fmt, ap);
    va_end(ap);
    return code;
}

/* Append the reason strings of OpenSSL's queue, oldest first, then clear it. */
static void append_ossl_queue(void)
{
    unsigned long e;
    size_t used = strlen(slot.msg);
    int first = 1;
    while ((e = ERR_get_error()) != 0) {
        const char *r = ERR_reason_error_string(e);
        char one[160];
        if (r == NULL) {
            ERR_error_string_n(e, one, sizeof one);
            r = one;
        }
        if (used + 4 >= MSG_CAP)
            continue; /* keep draining the queue */
        int w = snprintf(slot.msg + used, MSG_CAP - used, "%s%s", first ? " (" : "; ", r);
        if (w > 0)
            used += (size_t)w < MSG_CAP - used ? (size_t)w : MSG_CAP - used - 1;
        first = 0;
    }
    if (!first && used + 2 < MSG_CAP) {
        slot.msg[used] = ')';
        slot.msg[used + 1] = '\0';
    }
}

lts_status lts_err__ossl(lts_status code, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(code, module, 0, fmt, ap);
    va_end(ap);
    append_ossl_queue();
    ERR_clear_error();
    return code;
}

lts_status lts_err__wrap(const char *fmt, ...)
{
    char prefix[MSG_CAP], tmp[MSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t pl = strnlen(prefix, MSG_CAP - 3);
    memcpy(tmp, prefix, pl);
    memcpy(tmp + pl, ": ", 2);
    size_t ml = strnlen(slot.msg, MSG_CAP - pl - 3);
    memcpy(tmp + pl + 2, slot.msg, ml);
    tmp[pl + 2 + ml] = '\0';
    memcpy(slot.msg, tmp, sizeof tmp);
    slot.e.message = slot.msg;
    return slot.e.code;
}

const char *lts_status_name(lts_status st)
{
    switch (st) {
    case LTS_OK: return "LTS_OK";
    case LTS_E_NOMEM: return "LTS_E_NOMEM";
    case LTS_E_INPUT: return "LTS_E_INPUT";
    case LTS_E_CRYPTO: return "LTS_E_CRYPTO";
    case LTS_E_IO: return "LTS_E_IO";
    case LTS_E_NET: return "LTS_E_NET";
    case LTS_E_TIMEOUT: return "LTS_E_TIMEOUT";
    case LTS_E_AUTH: return "LTS_E_AUTH";
    case LTS_E_UNSUPPORTED: return "LTS_E_UNSUPPORTED";
    case LTS_E_CONFIG: return "LTS_E_CONFIG";
    case LTS_E_NOTFOUND: return "LTS_E_NOTFOUND";
    case LTS_E_INTERNAL: return "LTS_E_INTERNAL";
    default: return "LTS_E_UNKNOWN";
    }
}
