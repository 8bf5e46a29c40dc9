/* cli/renew_walk.c — `ltsig renew`: find the files of an archive.
 *
 * Regular files only. Symbolic links are listed (and reported as skipped) but never followed,
 * so there is no loop and a renewal never replaces a link by a file; folders are entered
 * once each (device + inode), so bind mounts cannot loop either. The journal and the
 * temporary files of a renewal are left out; those of an interrupted run are removed. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "renew_int.h"

typedef struct {
    renew_item *v;
    size_t n, cap;
    dev_t *dev;
    ino_t *ino;
    size_t nd, capd;
    int dry_run;
    int err;
} walk;

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fprintf(stderr, "ltsig renew: out of memory\n");
        exit(CLI_ERROR);
    }
    return d;
}

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = malloc(na + nb + 2);
    if (!p) {
        fprintf(stderr, "ltsig renew: out of memory\n");
        exit(CLI_ERROR);
    }
    memcpy(p, a, na);
    size_t k = na;
    if (k == 0 || p[k - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, b, nb + 1);
    return p;
}

static void add(walk *w, const char *path, const char *rel, int is_symlink)
{
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 64;
        renew_item *nv = realloc(w->v, nc * sizeof *nv);
        if (!nv) {
            fprintf(stderr, "ltsig renew: out of memory\n");
            exit(CLI_ERROR);
        }
        w->v = nv;
        w->cap = nc;
    }
    renew_item *it = &w->v[w->n++];
    memset(it, 0, sizeof *it);
    it->path = xstrdup(path);
    it->rel = xstrdup(rel);
    it->is_symlink = is_symlink;
    it->prot_before = it->prot_after = RENEW_NO_PROTECTION;
}

/* Ours: the journal, our temp files, and core/io's temp files of our temp files. */
static int is_ours(const char *name)
{
    return strncmp(name, RENEW_TMP_PREFIX, strlen(RENEW_TMP_PREFIX)) == 0 ||
           strncmp(name, "." RENEW_TMP_PREFIX, strlen(RENEW_TMP_PREFIX) + 1) == 0;
}

static int seen_dir(walk *w, const struct stat *st)
{
    for (size_t i = 0; i < w->nd; i++)
        if (w->dev[i] == st->st_dev && w->ino[i] == st->st_ino)
            return 1;
    if (w->nd == w->capd) {
        size_t nc = w->capd ? w->capd * 2 : 32;
        dev_t *nd = realloc(w->dev, nc * sizeof *nd);
        if (nd)
            w->dev = nd;
        ino_t *ni = nd ? realloc(w->ino, nc * sizeof *ni) : NULL;
        if (!nd || !ni) {
            fprintf(stderr, "ltsig renew: out of memory\n");
            exit(CLI_ERROR);
        }
        w->ino = ni;
        w->capd = nc;
    }
    w->dev[w->nd] = st->st_dev;
    w->ino[w->nd++] = st->st_ino;
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_dir(walk *w, const char *dir, const char *rel)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;

    if (!d) {
        fprintf(stderr, "ltsig renew: %s: cannot open the folder: %s\n", dir, strerror(errno));
        w->err = 1;
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                fprintf(stderr, "ltsig renew: out of memory\n");
                exit(CLI_ERROR);
            }
            names = nn;
        }
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (n > 1) /* stable order: reports diff well */
        qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        char *p = join(dir, names[i]);
        char *r = *rel ? join(rel, names[i]) : xstrdup(names[i]);
        struct stat st;
        if (is_ours(names[i])) {
            if (strcmp(names[i], RENEW_JOURNAL_NAME) != 0 && !w->dry_run &&
                lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
                /* left by an interrupted run: the original next to it is intact */
                if (unlink(p) == 0)
                    fprintf(stderr, "ltsig renew: removed %s (left by an interrupted run)\n", p);
            }
        } else if (lstat(p, &st) != 0) {
            fprintf(stderr, "ltsig renew: %s: %s\n", p, strerror(errno));
            w->err = 1;
        } else if (S_ISLNK(st.st_mode)) {
            add(w, p, r, 1);
        } else if (S_ISDIR(st.st_mode)) {
            if (!seen_dir(w, &st))
                walk_dir(w, p, r);
        } else if (S_ISREG(st.st_mode)) {
            add(w, p, r, 0);
        }
        free(p);
        free(r);
        free(names[i]);
    }
    free(names);
}

static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const renew_item *)a)->path, ((const renew_item *)b)->path);
}

static renew_item *find(walk *w, const char *path)
{
    renew_item key;
    key.path = (char *)path;
    return w->n ? bsearch(&key, w->v, w->n, sizeof *w->v, cmp_item) : NULL;
}

/* FILE.p7s / FILE.p7m next to FILE: FILE is the detached content of the signature. */
static void pair_detached(walk *w)
{
    if (w->n > 1)
        qsort(w->v, w->n, sizeof *w->v, cmp_item);
    for (size_t i = 0; i < w->n; i++) {
        renew_item *it = &w->v[i];
        size_t l = strlen(it->path);
        if (it->is_symlink || l < 5 || (strcmp(it->path + l - 4, ".p7s") != 0 &&
                                        strcmp(it->path + l - 4, ".p7m") != 0))
            continue;
        char *base = xstrdup(it->path);
        base[l - 4] = '\0';
        renew_item *c = find(w, base);
        if (c && !c->is_symlink) {
            it->content = base;
            c->is_content = 1;
        } else {
            free(base);
        }
    }
}

int renew_walk(char **paths, int n_paths, int dry_run, renew_item **items, size_t *n)
{
    walk w;
    memset(&w, 0, sizeof w);
    w.dry_run = dry_run;
    for (int i = 0; i < n_paths; i++) {
        struct stat st;
        if (lstat(paths[i], &st) != 0) {
            fprintf(stderr, "ltsig renew: %s: %s\n", paths[i], strerror(errno));
            w.err = 1;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (!seen_dir(&w, &st))
                walk_dir(&w, paths[i], "");
        } else if (S_ISLNK(st.st_mode) && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            /* a link named on the command line is the user's choice: follow it once */
            if (!seen_dir(&w, &st))
                walk_dir(&w, paths[i], "");
        } else {
            const char *b = strrchr(paths[i], '/');
            b = b ? b + 1 : paths[i];
            if (is_ours(b))
                continue;
            add(&w, paths[i], b, S_ISLNK(st.st_mode));
        }
    }
    /* the same file named twice (a folder and a file in it) is processed once */
    if (w.n > 1)
        qsort(w.v, w.n, sizeof *w.v, cmp_item);
    size_t k = 0;
    for (size_t i = 0; i < w.n; i++) {
        if (k > 0 && strcmp(w.v[k - 1].path, w.v[i].path) == 0) {
            free(w.v[i].path);
            free(w.v[i].rel);
            continue;
        }
        w.v[k++] = w.v[i];
    }
    w.n = k;
    pair_detached(&w);
    free(w.dev);
    free(w.ino);
    *items = w.v;
    *n = w.n;
    return w.err ? -1 : 0;
}

void renew_items_free(renew_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i].path);
        free(items[i].rel);
        free(items[i].content);
    }
    free(items);
}
