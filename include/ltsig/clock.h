/* ltsig — times and the clock provider.
 *
 * Times are lts_time: seconds since 1970-01-01T00:00:00Z, signed 64-bit, UTC. The clock
 * reaches the library only through an lts_clock, so tests pin the time and validation
 * "at a time in the past" is the same code path. */
#ifndef LTSIG_CLOCK_H
#define LTSIG_CLOCK_H

#include <stdint.h>
#include <stddef.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t lts_time;

typedef struct lts_clock {
    unsigned int version; /**< LTS_CLOCK_VERSION */
    lts_time (*now)(const struct lts_clock *c);
    void *payload;
} lts_clock;
#define LTS_CLOCK_VERSION 1

/** The current time from `c`, or from the system when c is NULL. */
LTS_API lts_time lts_clock_now(const lts_clock *c);

/** Parse RFC 3339 ("2026-11-26T10:00:00Z", "2026-11-26T19:00:00+09:00", fractions ignored)
 *  and also a plain date "2026-11-26" (midnight UTC). LTS_E_INPUT on anything else. */
LTS_API LTS_MUST_USE lts_status lts_time_parse_rfc3339(lts_time *out, const char *s);
/** Write "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL) into out. */
LTS_API LTS_MUST_USE lts_status lts_time_format_rfc3339(char *out, size_t cap, lts_time t);
/** Parse ASN.1 GeneralizedTime text "YYYYMMDDHHMMSS[.fff]Z" (or UTCTime "YYMMDDHHMMSSZ"). */
LTS_API LTS_MUST_USE lts_status lts_time_parse_asn1(lts_time *out, const char *s);
/** Write GeneralizedTime "YYYYMMDDHHMMSSZ" (16 bytes with NUL). */
LTS_API LTS_MUST_USE lts_status lts_time_format_asn1(char *out, size_t cap, lts_time t);

#define LTS_TIME_RFC3339_LEN 21

#ifdef __cplusplus
}
#endif
#endif
