/* core/codec.h — internal: hex and base64 through OpenSSL. */
#ifndef LTS_CORE_CODEC_H
#define LTS_CORE_CODEC_H

#include <ltsig/buf.h>

/** Append lowercase hex of `in` to out (NUL-terminated, NUL not counted). */
lts_status lts_hex__encode(lts_buf *out, lts_span in);
/** Decode hex (either case, no separators) and append to out. */
lts_status lts_hex__decode(lts_buf *out, const char *hex, size_t n);
/** Append standard base64 (no line breaks) of `in` to out, NUL-terminated (not counted). */
lts_status lts_b64__encode(lts_buf *out, lts_span in);
/** Decode standard base64 (whitespace ignored, padding required), append to out. */
lts_status lts_b64__decode(lts_buf *out, const char *b64, size_t n);

#endif
