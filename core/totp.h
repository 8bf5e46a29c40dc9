/* core/totp.h — internal: RFC 4648 base32 and RFC 4226 HOTP / RFC 6238 TOTP (HMAC-SHA-1,
 * the otpauth:// default). Used by ltsigd (issuing and checking one-time passwords) and
 * the csc: client signer (computing them from a shared secret). */
#ifndef LTS_CORE_TOTP_H
#define LTS_CORE_TOTP_H

#include <stdint.h>
#include <ltsig/buf.h>

/** Append the base32 (RFC 4648 alphabet, no padding) of `in` to out, NUL-terminated. */
lts_status lts_base32__encode(lts_buf *out, lts_span in);
/** Decode base32 (either case; spaces, dashes and '=' padding ignored), append to out. */
lts_status lts_base32__decode(lts_buf *out, const char *s, size_t n);

/** The HOTP value (RFC 4226 §5.3) of `counter` under `key` with HMAC-SHA-1, as `digits`
 *  (6..9) decimal digits into out (NUL-terminated; out needs digits + 1 bytes). */
lts_status lts_hotp__code(lts_span key, uint64_t counter, unsigned digits, char *out);

/** The RFC 6238 time step of `unix_time` with step `period` seconds (T0 = 0). */
static inline uint64_t lts_totp__step(int64_t unix_time, unsigned period)
{
    return unix_time < 0 ? 0 : (uint64_t)unix_time / (period ? period : 30);
}

#endif
