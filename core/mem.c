/* see core/mem.h */
#include "mem.h"

#include <stdlib.h>
#include <string.h>
#include <ltsig/buf.h>

/* Fault injection state: only ever changed by tests. */
static long fail_countdown = -1;
static int fail_sticky;
static _Atomic long alloc_count; /* atomic: signers allocate from many threads */

static int should_fail(void)
{
    alloc_count++;
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0) {
        if (!fail_sticky)
            fail_countdown = -1;
        return 1;
    }
    fail_countdown--;
    return 0;
}

long lts_mem__fail_after(long n, int sticky)
{
    long c = alloc_count;
    alloc_count = 0;
    fail_countdown = n;
    fail_sticky = sticky;
    return c;
}

void *lts_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *lts_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *lts_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

char *lts_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = lts_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void lts_free(void *p)
{
    free(p);
}
