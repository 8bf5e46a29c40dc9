/* see report_test.h */
#include <string.h>
#include "report_test.h"
#include "core/mem.h"

lts_report *rt_report(const char *file, lts_time vt)
{
    lts_report *r = lts_calloc(1, sizeof *r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    r->file = lts_strdup(file);
    r->validation_time = vt;
    return r;
}

lts_time rt_time(const char *s)
{
    lts_time t = 0;
    LTS_ASSERT_OK(lts_time_parse_rfc3339(&t, s));
    return t;
}

int rt_has_msg(const lts_sig_result *s, const char *needle)
{
    for (size_t i = 0; i < s->n_messages; i++)
        if (strstr(s->messages[i], needle))
            return 1;
    return 0;
}
