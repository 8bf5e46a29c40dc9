/* ltsig — validation policy (algorithms per ETSI TS 119 312, trust, required level), the
 * ISO 14533 conformance profile and the `ltsig info` summary. Owned by validation/.
 *
 * A policy is built-in defaults overlaid by a file of `key = value` lines (`#` starts a
 * comment, blank lines are ignored, keys are case-sensitive):
 *
 *   trust = /etc/ltsig/root.pem     # PEM file or folder of PEM files; repeatable
 *   allow_online = no               # yes / no: may validation fetch OCSP/CRL/AIA
 *   min_rsa_bits = 2048             # RSA keys below this are legacy ...
 *   legacy_rsa_bits = 1024          # ... accepted down to this size until sunset.rsa1024
 *   min_ec_bits = 256               # smallest EC key
 *   sunset.sha1 = 2016-01-01        # signatures with this hash made (proved to exist)
 *   sunset.rsa1024 = 2019-01-01     #   after the date are refused; also sha256, sha384,
 *                                   #   sha512, rsa2048, ecdsa (RFC 3339 or YYYY-MM-DD)
 *   required_level = B-LT           # B-B, B-T, B-LT, B-LTA (ES-T, ES-XL, ES-A accepted)
 *
 * Defaults: no trust, allow_online = yes, min_rsa_bits = 2048, legacy_rsa_bits = 1024,
 * min_ec_bits = 256, sunset.sha1 = 2016-01-01, sunset.rsa1024 = 2019-01-01, no required
 * level. A policy is immutable once made: thread-safe to share. */
#ifndef LTSIG_POLICY_H
#define LTSIG_POLICY_H

#include "alg.h"
#include "buf.h"
#include "clock.h"
#include "level.h"
#include "report.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lts_policy lts_policy; /**< opaque */

/** The built-in default policy. *out is the caller's (lts_policy_free). */
LTS_API LTS_MUST_USE lts_status lts_policy_new_default(lts_policy **out);
/** Defaults overlaid with the policy file at `path`. LTS_E_IO when unreadable; LTS_E_CONFIG
 *  naming the file and line for an unknown key, a bad value or a line without '='. */
LTS_API LTS_MUST_USE lts_status lts_policy_load(lts_policy **out, const char *path);
/** Same as lts_policy_load over text already in memory; `name` names it in messages. */
LTS_API LTS_MUST_USE lts_status lts_policy_parse(lts_policy **out, lts_span text,
                                                const char *name);
/** NULL is a no-op. */
LTS_API void lts_policy_free(lts_policy *p);

/** The trust entries, in file order (borrowed). */
LTS_API size_t lts_policy_trust_count(const lts_policy *p);
LTS_API const char *lts_policy_trust(const lts_policy *p, size_t i);
/** Every certificate of every trust entry, as one PEM bundle appended to out (for callers
 *  that take a single bundle). LTS_E_IO / LTS_E_INPUT naming the entry that failed. */
LTS_API LTS_MUST_USE lts_status lts_policy_trust_bundle(const lts_policy *p, lts_buf *out);
/** 1 when the policy lets validation reach the network. NULL policy: 1. */
LTS_API int lts_policy_allow_online(const lts_policy *p);
/** Sunset of an algorithm name ("sha1", "sha256", "rsa1024", "rsa2048", "ecdsa" ...):
 *  1 and *out set when the policy has one, else 0. */
LTS_API int lts_policy_sunset(const lts_policy *p, const char *alg, lts_time *out);
/** The sunset of a hash algorithm (0 when none); NULL policy = the defaults. */
LTS_API lts_time lts_policy_hash_sunset(const lts_policy *p, lts_hash h);

/** Is (hash, scheme, key_bits) acceptable for a signature known to exist at `at_time`
 *  (its best signature time, EN 319 102-1 §5.2.8)? *ind / *sub get TOTAL_PASSED / NONE,
 *  or INDETERMINATE with CRYPTO_CONSTRAINTS_FAILURE (never acceptable: key below
 *  legacy_rsa_bits or min_ec_bits, unknown algorithm) or
 *  CRYPTO_CONSTRAINTS_FAILURE_NO_POE (acceptable only before a sunset that at_time is not
 *  before). key_bits 0 = unknown (not judged); hash or scheme NONE = not judged.
 *  p NULL = the defaults. Writes a one-line reason into why (may be NULL). */
LTS_API void lts_policy_check_algorithm(const lts_policy *p, lts_hash hash, lts_scheme scheme,
                                        int key_bits, lts_time at_time, lts_indication *ind,
                                        lts_subindication *sub, char *why, size_t why_cap);
/** 1 when `level` ("B-T", "ES-XL" ...) meets the policy's required_level (always 1 when it
 *  has none). Baseline and ISO names compare by rank: B-B < B-T = ES-T < B-LT = ES-XL <
 *  B-LTA = ES-A; an unknown level ("CMS", "XMLDSig") is below B-B. */
LTS_API int lts_policy_level_ok(const lts_policy *p, const char *level);
/** 1 and *out when the policy has a required level. */
LTS_API int lts_policy_required_level(const lts_policy *p, lts_level *out);

/** Until when the newest archive / document time-stamp (else the newest signature
 *  time-stamp) of s protects it: the earliest of its TSA certificate's notAfter, the
 *  sunset of its imprint hash and lts_policy_key_protection of its TSA key. 1 and *out, or
 *  0 when s has no usable time-stamp. */
LTS_API int lts_policy_protection_until(const lts_policy *p, const lts_sig_result *s,
                                        lts_time *out);
/** Until when a (TSA) key of this scheme and size protects what it signed: the policy's
 *  sunset for its class (sunset.rsa1024 / rsa2048 / rsa3072 / rsa-pss / ecdsa) when it has
 *  one, else 2030-12-31 for RSA below 3072 bits and EC below 256 bits (the end of 112-bit
 *  security, NIST SP 800-57 part 1) and 2019-01-01 for RSA below 2048 bits. 0: no limit
 *  known. p may be NULL. A planning date for renewal, not a validation verdict. */
LTS_API lts_time lts_policy_key_protection(const lts_policy *p, lts_scheme scheme, int bits);

/* ---- ISO 14533 conformance ---- */

typedef enum {
    LTS_PROFILE_NONE = 0,
    LTS_PROFILE_ISO14533 = 1 /**< ISO 14533-1 (CAdES) / -2 (XAdES) / -3 (PAdES) */
} lts_profile;

/** "iso14533" (also "iso-14533", "ISO14533"). LTS_E_UNSUPPORTED otherwise. */
LTS_API LTS_MUST_USE lts_status lts_profile_parse(lts_profile *out, const char *name);

/** Check every signature of r against the ISO 14533 part of its format, element by element
 *  from s->properties and s->timestamps: the strongest profile met is recorded in
 *  s->profile (ES-A, else ES-XL, else ES-T; PAdES: PAdES-A, else PAdES-T) with
 *  s->profile_conformant; one message line per element missing for the next profile up.
 *  A signature that meets no profile (not even ES-T) is lowered to INDETERMINATE /
 *  SIG_CONSTRAINTS_FAILURE, and r->indication recomputed. The requirement levels are
 *  those of docs/validation.md (several are inferred, see there). */
LTS_API LTS_MUST_USE lts_status lts_profile_check(lts_report *r, lts_profile p);

/* ---- `ltsig info` ---- */

/** What is inside a validated file, for people: format, each signature's level, signer,
 *  signing time, each timestamp (type, genTime, TSA, TSA certificate notAfter) and the
 *  protection end date (lts_policy_protection_until). Appended to out, NUL-terminated. */
LTS_API LTS_MUST_USE lts_status lts_info_text(const lts_report *r, const lts_policy *p,
                                             lts_buf *out);
/** The same as JSON: {file, format, signatures: [{id, level, signer, signing_time,
 *  timestamps: [{type, gen_time, tsa, tsa_cert_not_after, digest_algorithm}],
 *  protection_until, certificates: [{role, name, subject, not_before, not_after}],
 *  timeline: [{time, event}]}]} with null for what is unknown; the timeline is sorted by
 *  time (certificate validity, signing time, each time-stamp, now, protection end). */
LTS_API LTS_MUST_USE lts_status lts_info_json(const lts_report *r, const lts_policy *p,
                                             lts_buf *out);

#ifdef __cplusplus
}
#endif
#endif
