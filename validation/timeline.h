/* validation/timeline.h — private to validation/: a signature's dated events and the
 * validity periods of its certificates, for the text reports (ltsig info, ltsig verify)
 * and the info JSON. Read only from the lts_sig_result (signer_cert, certs, the
 * time-stamp tokens), so it needs nothing the report does not hold. */
#ifndef LTS_VALIDATION_TIMELINE_H
#define LTS_VALIDATION_TIMELINE_H

#include <jansson.h>
#include <ltsig/report.h>

struct lts_policy;

/** Append the timeline of s to out as text lines, each starting with `indent`: the dated
 *  events sorted (claimed signing time, each time-stamp and its TSA, each certificate's
 *  notBefore and notAfter, `now`, the protection end from lts_policy_protection_until),
 *  then one line per certificate (role, name, notBefore..notAfter, and an ASCII bar of
 *  its validity on a common scale, with | at `now`). Not NUL-terminated. */
lts_status lts_timeline__text(const lts_sig_result *s, const struct lts_policy *p, lts_time now,
                              const char *indent, lts_buf *out);

/** The same data as JSON: *certs = [{role, subject, not_before, not_after}] and
 *  *events = [{time, event}] (sorted). New references; NULL on failure (and an error). */
lts_status lts_timeline__json(const lts_sig_result *s, const struct lts_policy *p,
                              json_t **certs, json_t **events);

#endif
