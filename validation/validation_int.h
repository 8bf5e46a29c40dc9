/* validation/validation_int.h — private to validation/: the per-format processes and the
 * helpers that build a report. */
#ifndef LTS_VALIDATION_INT_H
#define LTS_VALIDATION_INT_H

#include <ltsig/validate.h>
#include <ltsig/report.h>

/* Each format's process appends its signatures' results to r (r->file is set). A
 * verdict is LTS_OK; an error (unreadable, not this format) is a failure status. */
lts_status lts_validation__cades(const char *path, const lts_validate_opts *o, lts_report *r);
lts_status lts_validation__xades(const char *path, const lts_validate_opts *o, lts_report *r);
lts_status lts_validation__pades(const char *path, const lts_validate_opts *o, lts_report *r);

/** Append an empty signature result (indication TOTAL_PASSED until lowered); *out is
 *  borrowed from r. */
lts_status lts_report__add_sig(lts_report *r, const char *format, lts_sig_result **out);
/** Append an empty timestamp result to s; *out is borrowed from s. */
lts_status lts_report__add_ts(lts_sig_result *s, const char *kind, lts_ts_result **out);
/** Append a formatted line to s->messages. */
lts_status lts_report__msg(lts_sig_result *s, const char *fmt, ...) LTS_PRINTF(2, 3);
/** Set a string member (copy); NULL clears it. */
lts_status lts_report__set_str(char **field, const char *value);
/** Lower s to (ind, sub) when that is worse than what it holds:
 *  TOTAL_FAILED > INDETERMINATE > TOTAL_PASSED; the first sub-indication of the worst
 *  indication wins. */
void lts_report__lower(lts_indication *ind, lts_subindication *sub, lts_indication nind,
                       lts_subindication nsub);
/** Compute r->indication from its signatures. */
void lts_report__finish(lts_report *r);

#endif
