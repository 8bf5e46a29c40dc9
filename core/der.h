/* core/der.h — internal: the ONLY place that writes DER tags and lengths (STYLE rule 7),
 * and a TLV walker over OpenSSL's ASN1_get_object for splicing encodings we must keep
 * byte for byte (signed attributes, earlier SignerInfo content).
 *
 * Writers take `out`: NULL measures, non-NULL writes; both return the byte count, so
 * one code path does both passes (BearSSL asn1enc). */
#ifndef LTS_CORE_DER_H
#define LTS_CORE_DER_H

#include <stddef.h>
#include <stdint.h>
#include <ltsig/buf.h>

/* Tags as the first identifier octet. */
#define LTS_DER_INTEGER 0x02
#define LTS_DER_BIT_STRING 0x03
#define LTS_DER_OCTET_STRING 0x04
#define LTS_DER_NULL 0x05
#define LTS_DER_OID 0x06
#define LTS_DER_UTF8 0x0c
#define LTS_DER_SEQUENCE 0x30
#define LTS_DER_SET 0x31
#define LTS_DER_CTX(n) (0x80 | (n))       /* [n] IMPLICIT primitive */
#define LTS_DER_CTX_CONS(n) (0xa0 | (n))  /* [n] constructed */

/** Header (tag + length) for a value of `len` bytes. Single-octet tags only. */
size_t lts_der__put_hdr(uint8_t *out, unsigned tag, size_t len);
/** Tag, length and value. */
size_t lts_der__put_tlv(uint8_t *out, unsigned tag, lts_span value);
/** Tag wrapping the concatenation of items. */
size_t lts_der__put_cons(uint8_t *out, unsigned tag, const lts_span *items, size_t n);

/** Append tag+len+concat(items) to b. */
lts_status lts_der__append_cons(lts_buf *b, unsigned tag, const lts_span *items, size_t n);
/** Append a DER SET OF: the items sorted by their encodings (X.690 §11.6). items is
 *  reordered in place. */
lts_status lts_der__append_set_of(lts_buf *b, lts_span *items, size_t n);

/** One TLV read from a span. */
typedef struct {
    int tag;        /* tag number */
    int cls;        /* V_ASN1_UNIVERSAL, V_ASN1_CONTEXT_SPECIFIC, ... */
    int constructed;
    lts_span all;   /* header + value */
    lts_span value; /* contents octets */
} lts_der_tlv;

/** Read the next TLV from *in (definite lengths only) and advance *in past it.
 *  LTS_E_INPUT when it is malformed or runs past the end of *in. */
lts_status lts_der__next(lts_span *in, lts_der_tlv *out);
/** Read one TLV that must fill `in` exactly (no trailing bytes). */
lts_status lts_der__one(lts_span in, lts_der_tlv *out);

#endif
