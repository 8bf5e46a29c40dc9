/* ltsigd logs: one JSON object per line on stderr. Callers pass only what may be logged:
 * never a password, PIN, OTP, access token or SAD. */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

static const char *level_names[] = { "debug", "info", "warn", "error" };

int srv_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++) {
        if (s && strcmp(s, level_names[i]) == 0)
            return i;
    }
    return -1;
}

void srv_log(int min_level, int level, const char *event, ...)
{
    char ts[80];
    struct timespec now;
    struct tm tm;
    va_list ap;
    json_t *o;
    char *line;
    if (level < min_level || level < 0 || level > 3)
        return;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             now.tv_nsec / 1000000);
    o = json_object();
    if (o == NULL)
        return;
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "level", json_string(level_names[level]));
    json_object_set_new(o, "event", json_string(event));
    va_start(ap, event);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL)
            break;
        const char *v = va_arg(ap, const char *);
        if (v)
            json_object_set_new(o, k, json_stringn(v, strnlen(v, 512)));
    }
    va_end(ap);
    line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (line) {
        flockfile(stderr);
        fputs(line, stderr);
        fputc('\n', stderr);
        fflush(stderr);
        funlockfile(stderr);
        free(line);
    }
    json_decref(o);
}
