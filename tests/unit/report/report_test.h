/* tests/unit/report: shared helpers (a report built by hand through the internal helpers). */
#ifndef LTS_REPORT_TEST_H
#define LTS_REPORT_TEST_H
#include "lts_test.h"
#include "validation/validation_int.h"

/** A new empty report for `file` at validation time `vt`. */
lts_report *rt_report(const char *file, lts_time vt);
/** A time from "YYYY-MM-DD" or RFC 3339 (fails the test when unreadable). */
lts_time rt_time(const char *s);
/** 1 when some message line of s contains `needle`. */
int rt_has_msg(const lts_sig_result *s, const char *needle);
#endif
