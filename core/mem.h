/* core/mem.h — internal: the one allocator of the library, with a fault-injection hook
 * for the OOM test loops (cf. SQLite's test_malloc.c, libgit2's failalloc). */
#ifndef LTS_CORE_MEM_H
#define LTS_CORE_MEM_H

#include <stddef.h>

void *lts_malloc(size_t n);
void *lts_calloc(size_t count, size_t size);
void *lts_realloc(void *p, size_t n);
char *lts_strdup(const char *s);
/* lts_free is public (ltsig/buf.h). */

/** Tests only: make the (n+1)-th allocation from now fail, and every one after it while
 *  `sticky`. n < 0 turns injection off. Returns how many allocations happened since the
 *  last call. Not thread-safe: tests run it single-threaded. */
long lts_mem__fail_after(long n, int sticky);

#endif
