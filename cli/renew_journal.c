/* cli/renew_journal.c — `ltsig renew`: the journal that makes a run resumable.
 *
 * One line per event, appended with a single write(2) and fsync'ed before the job goes on:
 *   L1 <TAB> when <TAB> outcome <TAB> format <TAB> size <TAB> mtime_ns <TAB> sha256
 *      <TAB> prot_after
 *      <TAB> path <TAB> reason <LF>
 * (path and reason with \\, \t, \n escaped; prot_after "-" when none). A line cut short by a
 * crash (no LF, or fields missing) is ignored. The last line of a path wins. "pending" is
 * written just before a renewed file is renamed over the original, with the new file's size
 * and sha256, so that a crash between the rename and the "renewed" line is recognised. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/io.h"
#include "renew_int.h"

static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

static int escape(char *out, size_t cap, const char *s)
{
    size_t k = 0;
    for (; s && *s; s++) {
        const char *rep = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : NULL;
        size_t need = rep ? 2 : 1;
        if (k + need >= cap)
            return -1;
        if (rep) {
            out[k++] = rep[0];
            out[k++] = rep[1];
        } else {
            out[k++] = *s;
        }
    }
    out[k] = '\0';
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const renew_jentry *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq; /* same path: file order */
}

static int parse_line(char *line, renew_jentry *e)
{
    char *f[10];
    int nf = 0;
    char *p = line;
    while (nf < 10) {
        f[nf++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            break;
        *t = '\0';
        p = t + 1;
    }
    if (nf != 10 || strcmp(f[0], "L1") != 0 || strlen(f[2]) >= sizeof e->outcome ||
        strlen(f[6]) != 64)
        return -1;
    memset(e, 0, sizeof *e);
    char *end;
    e->when = strtoll(f[1], &end, 10);
    if (*end)
        return -1;
    snprintf(e->outcome, sizeof e->outcome, "%s", f[2]);
    e->format = (lts_format)strtol(f[3], &end, 10);
    if (*end)
        return -1;
    e->size = strtoull(f[4], &end, 10);
    if (*end)
        return -1;
    e->mtime_ns = strtoll(f[5], &end, 10);
    if (*end)
        return -1;
    memcpy(e->sha256, f[6], 65);
    if (strcmp(f[7], "-") == 0) {
        e->prot_after = RENEW_NO_PROTECTION;
    } else {
        e->prot_after = strtoll(f[7], &end, 10);
        if (*end)
            return -1;
    }
    unescape(f[8]);
    unescape(f[9]);
    e->path = strdup(f[8]);
    e->reason = strdup(f[9]);
    if (!e->path || !e->reason) {
        free(e->path);
        free(e->reason);
        return -1;
    }
    return 0;
}

int renew_journal_open(renew_journal *j, const char *path, int writable)
{
    lts_buf data = LTS_BUF_INIT;
    int ret = -1;

    memset(j, 0, sizeof *j);
    j->fd = -1;
    pthread_mutex_init(&j->lock, NULL);
    j->path = strdup(path);
    if (!j->path)
        goto out;
    if (access(path, F_OK) == 0 && lts_io__read_file(&data, path, 0) != LTS_OK) {
        fprintf(stderr, "ltsig renew: journal %s: %s\n", path, lts_error_last()->message);
        goto out;
    }
    size_t cap = 0;
    for (size_t off = 0; off < data.n;) {
        uint8_t *lf = memchr(data.p + off, '\n', data.n - off);
        if (!lf)
            break; /* cut short by a crash */
        *lf = '\0';
        renew_jentry e;
        if (parse_line((char *)data.p + off, &e) == 0) {
            if (j->n == cap) {
                cap = cap ? cap * 2 : 256;
                renew_jentry *ne = realloc(j->e, cap * sizeof *ne);
                if (!ne) {
                    free(e.path);
                    free(e.reason);
                    goto out;
                }
                j->e = ne;
            }
            e.seq = j->n;
            j->e[j->n++] = e;
        }
        off = (size_t)(lf - data.p) + 1;
    }
    /* sort by path keeping file order within a path, then keep the last of each path */
    if (j->n > 1) /* qsort and bsearch want a non-NULL base even for 0 items */
        qsort(j->e, j->n, sizeof *j->e, cmp_entry);
    size_t k = 0;
    for (size_t i = 0; i < j->n; i++) {
        if (i + 1 < j->n && strcmp(j->e[i].path, j->e[i + 1].path) == 0) {
            free(j->e[i].path);
            free(j->e[i].reason);
            continue;
        }
        j->e[k++] = j->e[i];
    }
    j->n = k;
    if (writable) {
        j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (j->fd < 0) {
            fprintf(stderr, "ltsig renew: journal %s: %s\n", path, strerror(errno));
            goto out;
        }
        /* a line cut short by a crash would glue onto the next one: end it */
        if (data.n > 0 && data.p[data.n - 1] != '\0' && data.p[data.n - 1] != '\n') {
            if (write(j->fd, "\n", 1) != 1) {
                fprintf(stderr, "ltsig renew: journal %s: %s\n", path, strerror(errno));
                goto out;
            }
        }
    }
    ret = 0;
out:
    lts_buf_dispose(&data);
    return ret;
}

void renew_journal_close(renew_journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    for (size_t i = 0; i < j->n; i++) {
        free(j->e[i].path);
        free(j->e[i].reason);
    }
    free(j->e);
    free(j->path);
    pthread_mutex_destroy(&j->lock);
    memset(j, 0, sizeof *j);
    j->fd = -1;
}

const renew_jentry *renew_journal_find(const renew_journal *j, const char *path)
{
    size_t lo = 0, hi = j->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(j->e[mid].path, path);
        if (c == 0)
            return &j->e[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int renew_journal_append(renew_journal *j, const char *path, const char *outcome, lts_format fmt,
                         uint64_t size,
                         int64_t mtime_ns, const char *sha256, lts_time prot_after,
                         const char *reason)
{
    char epath[8192], ereason[2048], prot[32], *line = NULL;
    int ret = -1;

    if (j->fd < 0)
        return 0;
    if (escape(epath, sizeof epath, path) != 0)
        return -1;
    if (escape(ereason, sizeof ereason, reason ? reason : "") != 0)
        ereason[0] = '\0';
    if (prot_after == RENEW_NO_PROTECTION)
        snprintf(prot, sizeof prot, "-");
    else
        snprintf(prot, sizeof prot, "%" PRId64, (int64_t)prot_after);
    size_t cap = strlen(epath) + strlen(ereason) + 256;
    line = malloc(cap);
    if (!line)
        return -1;
    int len = snprintf(line, cap,
                       "L1\t%" PRId64 "\t%s\t%d\t%" PRIu64 "\t%" PRId64 "\t%s\t%s\t%s\t%s\n",
                       (int64_t)time(NULL), outcome, (int)fmt, size, mtime_ns, sha256, prot,
                       epath, ereason);
    if (len < 0 || (size_t)len >= cap)
        goto out;
    pthread_mutex_lock(&j->lock);
    ssize_t w = write(j->fd, line, (size_t)len);
    int ok = w == len && fsync(j->fd) == 0;
    pthread_mutex_unlock(&j->lock);
    if (!ok) {
        fprintf(stderr, "ltsig renew: journal %s: %s\n", j->path, strerror(errno));
        goto out;
    }
    ret = 0;
out:
    free(line);
    return ret;
}
