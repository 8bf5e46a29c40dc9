/* cli/util.c — error printing shared by the commands. */
#include <stdarg.h>
#include <stdio.h>
#include "cli.h"

int cli_fail(const char *context)
{
    const lts_error *e = lts_error_last();
    if (context && *context)
        fprintf(stderr, "ltsig: %s: %s\n", context, e->message[0] ? e->message : "failed");
    else
        fprintf(stderr, "ltsig: %s\n", e->message[0] ? e->message : "failed");
    return e->code == LTS_E_CONFIG ? CLI_USAGE : CLI_ERROR;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ltsig %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see ltsig %s --help)\n", cmd);
    return CLI_USAGE;
}
