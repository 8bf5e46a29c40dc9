/* see ltsig/clock.h */
#define LTS_MODULE "core"
#include <ltsig/clock.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "err.h"

lts_time lts_clock_now(const lts_clock *c)
{
    if (c != NULL && c->now != NULL)
        return c->now(c);
    return (lts_time)time(NULL);
}

/* Read exactly n digits. */
static int digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return 0;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 1;
}

static int civil_ok(int y, int mo, int d, int h, int mi, int s)
{
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
        return 0;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

static lts_time to_epoch(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s > 59 ? 59 : s;
    return (lts_time)timegm(&tm);
}

lts_status lts_time_parse_rfc3339(lts_time *out, const char *s)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
    if (s == NULL)
        return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "missing time");
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        goto bad;
    if (*p == '\0')
        goto done;
    if (*p != 'T' && *p != 't' && *p != ' ')
        goto bad;
    p++;
    if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' ||
        !digits(&p, 2, &sec))
        goto bad;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            goto bad;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
            goto bad;
        off = sign * (oh * 3600 + om * 60);
    } else {
        goto bad;
    }
    if (*p != '\0')
        goto bad;
done:
    if (!civil_ok(y, mo, d, h, mi, sec))
        goto bad;
    *out = to_epoch(y, mo, d, h, mi, sec) - off;
    return LTS_OK;
bad:
    return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0,
                        "invalid time '%.40s' (expected e.g. 2026-11-26T10:00:00Z)", s);
}

static lts_status format(char *out, size_t cap, lts_time t, const char *fmt, size_t len)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (cap < len + 1 || gmtime_r(&tt, &tm) == NULL)
        return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "cannot format time %lld", (long long)t);
    if (strftime(out, cap, fmt, &tm) != len)
        return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "time %lld out of range", (long long)t);
    return LTS_OK;
}

lts_status lts_time_format_rfc3339(char *out, size_t cap, lts_time t)
{
    return format(out, cap, t, "%Y-%m-%dT%H:%M:%SZ", 20);
}

lts_status lts_time_format_asn1(char *out, size_t cap, lts_time t)
{
    return format(out, cap, t, "%Y%m%d%H%M%SZ", 15);
}

lts_status lts_time_parse_asn1(lts_time *out, const char *s)
{
    const char *p = s;
    int y, mo, d, h, mi, sec;
    size_t n = s ? strlen(s) : 0;
    if (n == 13) { /* UTCTime YYMMDDHHMMSSZ: RFC 5280 §4.1.2.5.1 window */
        if (!digits(&p, 2, &y))
            goto bad;
        y += y >= 50 ? 1900 : 2000;
    } else if (n >= 15) {
        if (!digits(&p, 4, &y))
            goto bad;
    } else {
        goto bad;
    }
    if (!digits(&p, 2, &mo) || !digits(&p, 2, &d) || !digits(&p, 2, &h) ||
        !digits(&p, 2, &mi) || !digits(&p, 2, &sec))
        goto bad;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            goto bad;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p != 'Z' || p[1] != '\0' || !civil_ok(y, mo, d, h, mi, sec))
        goto bad;
    *out = to_epoch(y, mo, d, h, mi, sec);
    return LTS_OK;
bad:
    return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "invalid ASN.1 time '%.40s'", s ? s : "");
}
