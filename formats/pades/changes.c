/* formats/pades: what the incremental updates after a signature changed (ISO 32000-2
 * §12.8.2.2, §12.7.5.5; the "allowed changes" analysis of DSS and pyHanko).
 *
 * Every revision end ("startxref N %%EOF") of the file is found by one streamed scan. Each
 * revision that follows the first signed one is opened on its own with QPDF (a prefix of a
 * read-only mapping of the file: nothing is copied) and compared object by object with the
 * revision before it, starting from the catalog: the page tree, each page dictionary and
 * its content streams and resources (deeply, following references), the annotations of
 * each page, the /AcroForm fields (recursively through /Kids), the DSS. Each difference is
 * recorded with a kind; which kinds a signature allows is the validator's decision (DocMDP). */
#define LTS_MODULE "pades"
#include "changes_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

/* ---- the list of changes ---- */

lts_status lts_pades__add_change(cmp *c, lts_pades_change_kind kind, const char *fmt, ...)
{
    lts_status rc = LTS_OK;
    lts_pades_chglist *l = c->out;
    char msg[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].revision == c->revision && l->v[i].kind == kind &&
            strcmp(l->v[i].what, msg) == 0)
            goto out; /* reached twice (a merged field and widget) */
    if (l->n >= MAX_CHANGES)
        goto out;
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 8;
        lts_pades_change *nv = lts_realloc(l->v, nc * sizeof *nv);
        LTS_ALLOC(nv);
        l->v = nv;
        l->cap = nc;
    }
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    LTS_ALLOC(l->v[l->n].what = lts_strdup(msg));
    l->v[l->n].kind = kind;
    l->v[l->n].revision = c->revision;
    l->v[l->n].prev_end = c->prev_end;
    l->n++;
out:
    return rc;
}

void lts_pades__chglist_free(lts_pades_chglist *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        lts_free((char *)l->v[i].what);
    lts_free(l->v);
    memset(l, 0, sizeof *l);
}

/* ---- deep comparison ---- */

/* c->seen is an open-addressing set of non-zero ints (capacity a power of two). */
static int was_seen(cmp *c, int num)
{
    size_t m, h;
    if (c->cap_seen == 0)
        return 0;
    m = c->cap_seen - 1;
    for (h = ((unsigned)num * 2654435761u) & m; c->seen[h] != 0; h = (h + 1) & m)
        if (c->seen[h] == num)
            return 1;
    return 0;
}

static void set_put(int *tab, size_t cap, int num)
{
    size_t m = cap - 1, h;
    for (h = ((unsigned)num * 2654435761u) & m; tab[h] != 0 && tab[h] != num; h = (h + 1) & m)
        ;
    tab[h] = num;
}

static lts_status mark_seen(cmp *c, int num)
{
    lts_status rc = LTS_OK;
    if (num == 0 || was_seen(c, num))
        goto out;
    if (2 * (c->n_seen + 1) > c->cap_seen) {
        size_t nc = c->cap_seen ? 2 * c->cap_seen : 256;
        int *ns;
        LTS_ALLOC(ns = lts_calloc(nc, sizeof *ns));
        for (size_t i = 0; i < c->cap_seen; i++)
            if (c->seen[i] != 0)
                set_put(ns, nc, c->seen[i]);
        lts_free(c->seen);
        c->seen = ns;
        c->cap_seen = nc;
    }
    set_put(c->seen, c->cap_seen, num);
    c->n_seen++;
out:
    return rc;
}

static int skipped_key(const char *k, const char *const *skip)
{
    for (size_t i = 0; skip && skip[i]; i++)
        if (strcmp(k, skip[i]) == 0)
            return 1;
    return 0;
}

static lts_status deep_eq(cmp *c, qpdf_oh x, qpdf_oh y, const char *const *skip, int depth,
                          int *eq);

/* Every key of dictionary x (of qpdf q) that is not in skip: *eq = 0 when one is missing
 * from or different in y (of the other document). */
static lts_status dict_eq_dir(cmp *c, qpdf_data q, qpdf_oh x, qpdf_data q2, qpdf_oh y,
                              const char *const *skip, int depth, int *eq)
{
    lts_status rc = LTS_OK;
    char **keys = NULL;
    size_t n = 0;

    qpdf_oh_begin_dict_key_iter(q, x);
    while (qpdf_oh_dict_more_keys(q) && n < MAX_LIST) {
        const char *k = qpdf_oh_dict_next_key(q);
        char **nk;
        if (skipped_key(k, skip))
            continue;
        LTS_ALLOC(nk = lts_realloc(keys, (n + 1) * sizeof *nk));
        keys = nk;
        LTS_ALLOC(keys[n] = lts_strdup(k));
        n++;
    }
    for (size_t i = 0; i < n && *eq; i++) {
        if (!qpdf_oh_has_key(q2, y, keys[i])) {
            *eq = 0;
            break;
        }
        if (q == c->a)
            LTS_TRY(deep_eq(c, qpdf_oh_get_key(q, x, keys[i]), qpdf_oh_get_key(q2, y, keys[i]),
                            NULL, depth + 1, eq));
    }
out:
    for (size_t i = 0; i < n; i++)
        lts_free(keys[i]);
    lts_free(keys);
    return rc;
}

/* Whether the bytes revision b added hold a "num gen obj" header: a stream too large to
 * load twice is then taken as changed. */
static lts_status redefined(cmp *c, int num, int gen, int *yes)
{
    lts_status rc = LTS_OK;
    char pat[48];
    uint8_t *blk = NULL;
    size_t pn = (size_t)snprintf(pat, sizeof pat, "%d %d obj", num, gen);
    uint64_t off = c->prev_end;

    *yes = 0;
    if (c->cur_end - c->prev_end > ((uint64_t)256 << 20)) {
        *yes = 1; /* a very large update: assume the worst */
        goto out;
    }
    LTS_ALLOC(blk = lts_malloc(LTS_IO_BLOCK + 64));
    while (off < c->cur_end && !*yes) {
        size_t len = c->cur_end - off < LTS_IO_BLOCK + pn ? (size_t)(c->cur_end - off)
                                                          : LTS_IO_BLOCK + pn;
        LTS_TRY(lts_io__pread_full(c->pdf->fd, blk, len, off, c->pdf->path));
        for (size_t i = 0; i + pn <= len; i++)
            if (memcmp(blk + i, pat, pn) == 0 &&
                (off + i == 0 || i == 0 || blk[i - 1] == '\n' || blk[i - 1] == '\r' ||
                 blk[i - 1] == ' '))
                *yes = 1;
        off += LTS_IO_BLOCK;
    }
out:
    lts_free(blk);
    return rc;
}

static lts_status stream_eq(cmp *c, qpdf_oh x, qpdf_oh y, int *eq)
{
    lts_status rc = LTS_OK;
    unsigned char *da = NULL, *db = NULL;
    size_t na = 0, nb = 0;
    qpdf_oh la = qpdf_oh_get_key(c->a, qpdf_oh_get_dict(c->a, x), "/Length");
    qpdf_oh lb = qpdf_oh_get_key(c->b, qpdf_oh_get_dict(c->b, y), "/Length");

    if (!qpdf_oh_is_integer(c->a, la) || !qpdf_oh_is_integer(c->b, lb) ||
        qpdf_oh_get_int_value(c->a, la) != qpdf_oh_get_int_value(c->b, lb)) {
        *eq = 0;
        goto out;
    }
    if (qpdf_oh_get_int_value(c->a, la) > MAX_STREAM_CMP) {
        /* too large to hold twice: same dictionary, and not redefined by the update */
        int re = 0;
        LTS_TRY(redefined(c, qpdf_oh_get_object_id(c->b, y), qpdf_oh_get_generation(c->b, y),
                          &re));
        *eq = !re;
        goto out;
    }
    if ((qpdf_oh_get_stream_data(c->a, x, qpdf_dl_none, NULL, &da, &na) & QPDF_ERRORS) ||
        (qpdf_oh_get_stream_data(c->b, y, qpdf_dl_none, NULL, &db, &nb) & QPDF_ERRORS)) {
        while (qpdf_has_error(c->a))
            (void)qpdf_get_error(c->a);
        while (qpdf_has_error(c->b))
            (void)qpdf_get_error(c->b);
        *eq = 0;
        goto out;
    }
    *eq = na == nb && (na == 0 || memcmp(da, db, na) == 0);
out:
    free(da);
    free(db);
    return rc;
}

/* *eq stays 1 when x (in a) and y (in b) are the same: same types, same references (an
 * indirect object must keep its number), same scalars, same keys and items, same stream
 * data. Keys of skip are ignored at the top level only. */
static lts_status deep_eq(cmp *c, qpdf_oh x, qpdf_oh y, const char *const *skip, int depth,
                          int *eq)
{
    lts_status rc = LTS_OK;
    enum qpdf_object_type_e tx, ty;
    int ix, iy;

    if (!*eq)
        goto out;
    if (--c->budget < 0 || depth > MAX_DEPTH) {
        c->over_budget |= 1;
        goto out;
    }
    ix = qpdf_oh_is_indirect(c->a, x);
    iy = qpdf_oh_is_indirect(c->b, y);
    if (ix != iy) {
        *eq = 0;
        goto out;
    }
    if (ix) {
        int num = qpdf_oh_get_object_id(c->a, x);
        if (num != qpdf_oh_get_object_id(c->b, y) ||
            qpdf_oh_get_generation(c->a, x) != qpdf_oh_get_generation(c->b, y)) {
            *eq = 0;
            goto out;
        }
        if (skip == NULL) {
            if (was_seen(c, num))
                goto out;
            LTS_TRY(mark_seen(c, num));
        }
    }
    tx = qpdf_oh_get_type_code(c->a, x);
    ty = qpdf_oh_get_type_code(c->b, y);
    if (tx != ty) {
        *eq = 0;
        goto out;
    }
    switch (tx) {
    case ot_dictionary:
        LTS_TRY(dict_eq_dir(c, c->a, x, c->b, y, skip, depth, eq));
        if (*eq)
            LTS_TRY(dict_eq_dir(c, c->b, y, c->a, x, skip, depth, eq));
        break;
    case ot_stream:
        LTS_TRY(deep_eq(c, qpdf_oh_get_dict(c->a, x), qpdf_oh_get_dict(c->b, y), NULL,
                        depth + 1, eq));
        if (*eq)
            LTS_TRY(stream_eq(c, x, y, eq));
        break;
    case ot_array: {
        int n = qpdf_oh_get_array_n_items(c->a, x);
        if (n != qpdf_oh_get_array_n_items(c->b, y)) {
            *eq = 0;
            break;
        }
        for (int i = 0; i < n && *eq; i++)
            LTS_TRY(deep_eq(c, qpdf_oh_get_array_item(c->a, x, i),
                            qpdf_oh_get_array_item(c->b, y, i), NULL, depth + 1, eq));
        break;
    }
    default: {
        size_t la = 0, lb = 0;
        const char *sa, *sb;
        if (tx == ot_string) {
            sa = qpdf_oh_get_binary_string_value(c->a, x, &la);
            sb = qpdf_oh_get_binary_string_value(c->b, y, &lb);
        } else {
            sa = qpdf_oh_unparse_binary(c->a, x);
            sb = qpdf_oh_unparse_binary(c->b, y);
            la = strlen(sa);
            lb = strlen(sb);
        }
        *eq = la == lb && memcmp(sa, sb, la) == 0;
        break;
    }
    }
out:
    return rc;
}

/* deep_eq of key k of dictionaries x and y (absent on both sides: equal). */
static lts_status key_eq(cmp *c, qpdf_oh x, qpdf_oh y, const char *k, int *eq)
{
    int hx = qpdf_oh_has_key(c->a, x, k), hy = qpdf_oh_has_key(c->b, y, k);
    *eq = 1;
    if (hx != hy) {
        *eq = 0;
        return LTS_OK;
    }
    if (!hx)
        return LTS_OK;
    return deep_eq(c, qpdf_oh_get_key(c->a, x, k), qpdf_oh_get_key(c->b, y, k), NULL, 0, eq);
}

/* The keys of x and of y, without repeats (at most MAX_LIST). */
static lts_status key_union(cmp *c, qpdf_oh x, qpdf_oh y, char ***out, size_t *n)
{
    lts_status rc = LTS_OK;
    qpdf_data qs[2] = { c->a, c->b };
    qpdf_oh os[2] = { x, y };

    *out = NULL;
    *n = 0;
    for (int s = 0; s < 2; s++) {
        if (!qpdf_oh_is_dictionary(qs[s], os[s]))
            continue;
        qpdf_oh_begin_dict_key_iter(qs[s], os[s]);
        while (qpdf_oh_dict_more_keys(qs[s]) && *n < MAX_LIST) {
            const char *k = qpdf_oh_dict_next_key(qs[s]);
            int dup = 0;
            char **nk;
            for (size_t i = 0; i < *n && !dup; i++)
                dup = strcmp((*out)[i], k) == 0;
            if (dup)
                continue;
            LTS_ALLOC(nk = lts_realloc(*out, (*n + 1) * sizeof *nk));
            *out = nk;
            LTS_ALLOC(nk[*n] = lts_strdup(k));
            (*n)++;
        }
    }
out:
    return rc;
}

static void free_keys(char **k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lts_free(k[i]);
    lts_free(k);
}

/* ---- fields and annotations ---- */

/* The field name (/T, with the parents' names joined by '.') into buf. */
static void field_name(qpdf_data q, qpdf_oh f, char *buf, size_t cap)
{
    char parts[8][64];
    int np = 0;
    size_t off = 0;
    for (int d = 0; d < 8 && qpdf_oh_is_dictionary(q, f); d++) {
        qpdf_oh t = qpdf_oh_get_key(q, f, "/T");
        if (qpdf_oh_is_string(q, t) && np < 8)
            snprintf(parts[np++], sizeof parts[0], "%s", qpdf_oh_get_utf8_value(q, t));
        f = qpdf_oh_get_key(q, f, "/Parent");
    }
    buf[0] = 0;
    for (int i = np - 1; i >= 0 && off + 1 < cap; i--)
        off += (size_t)snprintf(buf + off, cap - off, "%s%s", i == np - 1 ? "" : ".", parts[i]);
    if (np == 0)
        snprintf(buf, cap, "(unnamed)");
}

/* The inheritable /FT of a field ("" when none). */
static const char *field_type(qpdf_data q, qpdf_oh f)
{
    for (int d = 0; d < 16 && qpdf_oh_is_dictionary(q, f); d++) {
        qpdf_oh ft = qpdf_oh_get_key(q, f, "/FT");
        if (qpdf_oh_is_name(q, ft))
            return qpdf_oh_get_name(q, ft);
        f = qpdf_oh_get_key(q, f, "/Parent");
    }
    return "";
}

static int is_sig_field(qpdf_data q, qpdf_oh f)
{
    return strcmp(field_type(q, f), "/Sig") == 0;
}

/* The value of a signature field: the /V of the field or of its parents. */
static qpdf_oh sig_value(qpdf_data q, qpdf_oh f)
{
    for (int d = 0; d < 16 && qpdf_oh_is_dictionary(q, f); d++) {
        if (qpdf_oh_has_key(q, f, "/V"))
            return qpdf_oh_get_key(q, f, "/V");
        f = qpdf_oh_get_key(q, f, "/Parent");
    }
    return qpdf_oh_new_null(q);
}

static int is_doc_ts_field(qpdf_data q, qpdf_oh f)
{
    return qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, sig_value(q, f), "/Type"),
                                      "/DocTimeStamp");
}

/* 1 when v (in b) is a signature dictionary that revision a has already. */
static int signed_before(cmp *c, qpdf_oh v)
{
    qpdf_oh old;
    if (!qpdf_oh_is_indirect(c->b, v) || !qpdf_oh_is_dictionary(c->b, v))
        return 0;
    old = qpdf_get_object_by_id(c->a, qpdf_oh_get_object_id(c->b, v),
                                qpdf_oh_get_generation(c->b, v));
    return qpdf_oh_is_dictionary(c->a, old) && qpdf_oh_has_key(c->a, old, "/ByteRange");
}

/* A field (or widget) new in b. */
static lts_status field_added(cmp *c, qpdf_oh f)
{
    char name[200];
    field_name(c->b, f, name, sizeof name);
    if (is_sig_field(c->b, f) && signed_before(c, sig_value(c->b, f))) {
        /* a new widget (or kid) of a field signed earlier: an appearance the signer never
         * made, e.g. one that covers content */
        return lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "a widget added to the already signed "
                                                     "field %s", name);
    }
    if (is_sig_field(c->b, f)) {
        if (is_doc_ts_field(c->b, f))
            return lts_pades__add_change(c, LTS_PADES_CHANGE_DOC_TIMESTAMP,
                              "document time-stamp field %s added", name);
        return lts_pades__add_change(c, LTS_PADES_CHANGE_SIGNATURE, "signature field %s added", name);
    }
    return lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "form field %s (%s) added", name,
                      field_type(c->b, f)[0] ? field_type(c->b, f) + 1 : "no type");
}

static int in_array(qpdf_data q, qpdf_oh arr, int num)
{
    int n = qpdf_oh_is_array(q, arr) ? qpdf_oh_get_array_n_items(q, arr) : 0;
    for (int i = 0; i < n && i < MAX_LIST; i++) {
        qpdf_oh it = qpdf_oh_get_array_item(q, arr, i);
        if (qpdf_oh_is_indirect(q, it) && qpdf_oh_get_object_id(q, it) == num)
            return 1;
    }
    return 0;
}

static lts_status compare_field(cmp *c, qpdf_oh x, qpdf_oh y, int depth);

/* The /Kids of field x (a) and y (b): kids added, removed, changed. */
static lts_status compare_kids(cmp *c, qpdf_oh x, qpdf_oh y, const char *name, int depth)
{
    lts_status rc = LTS_OK;
    qpdf_oh ka = qpdf_oh_get_key(c->a, x, "/Kids"), kb = qpdf_oh_get_key(c->b, y, "/Kids");
    int na = qpdf_oh_is_array(c->a, ka) ? qpdf_oh_get_array_n_items(c->a, ka) : 0;
    int nb = qpdf_oh_is_array(c->b, kb) ? qpdf_oh_get_array_n_items(c->b, kb) : 0;

    for (int i = 0; i < nb && i < MAX_LIST; i++) {
        qpdf_oh k = qpdf_oh_get_array_item(c->b, kb, i);
        int num = qpdf_oh_is_indirect(c->b, k) ? qpdf_oh_get_object_id(c->b, k) : 0;
        if (num && in_array(c->a, ka, num))
            LTS_TRY(compare_field(c, qpdf_get_object_by_id(c->a, num,
                                                              qpdf_oh_get_generation(c->b, k)),
                                  k, depth + 1));
        else
            LTS_TRY(field_added(c, k));
    }
    for (int i = 0; i < na && i < MAX_LIST; i++) {
        qpdf_oh k = qpdf_oh_get_array_item(c->a, ka, i);
        int num = qpdf_oh_is_indirect(c->a, k) ? qpdf_oh_get_object_id(c->a, k) : 0;
        if (!num || !in_array(c->b, kb, num))
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "a widget or kid of form field %s "
                                                          "removed", name));
    }
out:
    return rc;
}

/* A field or widget (or a merged field + widget) present in both revisions. */
static lts_status compare_field(cmp *c, qpdf_oh x, qpdf_oh y, int depth)
{
    lts_status rc = LTS_OK;
    char **keys = NULL, name[200];
    size_t n = 0;
    int num = qpdf_oh_is_indirect(c->a, x) ? qpdf_oh_get_object_id(c->a, x) : 0;
    int sig = is_sig_field(c->b, y), eq;
    int widget = qpdf_oh_is_name_and_equals(c->b, qpdf_oh_get_key(c->b, y, "/Subtype"),
                                            "/Widget");

    if (depth > 16 || !qpdf_oh_is_dictionary(c->a, x) || !qpdf_oh_is_dictionary(c->b, y))
        goto out;
    if (num) {
        if (was_seen(c, -num))
            goto out; /* compared through another path already */
        LTS_TRY(mark_seen(c, -num));
    }
    field_name(c->b, y, name, sizeof name);
    LTS_TRY(key_union(c, x, y, &keys, &n));
    for (size_t i = 0; i < n; i++) {
        const char *k = keys[i];
        if (strcmp(k, "/Parent") == 0 || strcmp(k, "/P") == 0)
            continue;
        if (strcmp(k, "/Kids") == 0) {
            LTS_TRY(compare_kids(c, x, y, name, depth));
            continue;
        }
        LTS_TRY(key_eq(c, x, y, k, &eq));
        if (eq)
            continue;
        if (strcmp(k, "/V") == 0 || strcmp(k, "/AS") == 0 || strcmp(k, "/AP") == 0) {
            if (sig && strcmp(k, "/V") == 0 && !qpdf_oh_has_key(c->a, x, "/V"))
                LTS_TRY(lts_pades__add_change(c, is_doc_ts_field(c->b, y) ? LTS_PADES_CHANGE_DOC_TIMESTAMP
                                                               : LTS_PADES_CHANGE_SIGNATURE,
                                   "empty signature field %s signed", name));
            else if (sig && strcmp(k, "/V") == 0)
                LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER,
                                   "the value of signature field %s replaced", name));
            else if (sig && !qpdf_oh_has_key(c->a, sig_value(c->a, x), "/Contents"))
                LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_SIGNATURE,
                                   "appearance of signature field %s set when signing", name));
            else if (sig)
                LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER,
                                   "appearance of signed signature field %s changed", name));
            else
                LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_FORM_FILL, "form field %s %s changed",
                                   name, strcmp(k, "/V") == 0 ? "value" : "appearance"));
            continue;
        }
        if (widget && !sig && strcmp(field_type(c->b, y), "") == 0)
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_ANNOTATION, "widget %s %s changed", name, k));
        else
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "form field %s: %s changed", name, k));
    }
out:
    free_keys(keys, n);
    return rc;
}

static lts_status compare_acroform(cmp *c, qpdf_oh fa, qpdf_oh fb)
{
    lts_status rc = LTS_OK;
    char **keys = NULL;
    size_t n = 0;
    int eq;
    qpdf_oh la, lb;
    int na, nb;

    LTS_TRY(key_union(c, fa, fb, &keys, &n));
    for (size_t i = 0; i < n; i++) {
        if (strcmp(keys[i], "/Fields") == 0 || strcmp(keys[i], "/SigFlags") == 0)
            continue;
        LTS_TRY(key_eq(c, fa, fb, keys[i], &eq));
        if (!eq && strcmp(keys[i], "/DR") == 0) /* signing tools add their fonts there */
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_SIGNATURE, "/AcroForm /DR (default "
                                                              "resources) updated"));
        else if (!eq)
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "/AcroForm %s changed", keys[i]));
    }
    la = qpdf_oh_get_key_if_dict(c->a, fa, "/Fields");
    lb = qpdf_oh_get_key_if_dict(c->b, fb, "/Fields");
    na = qpdf_oh_is_array(c->a, la) ? qpdf_oh_get_array_n_items(c->a, la) : 0;
    nb = qpdf_oh_is_array(c->b, lb) ? qpdf_oh_get_array_n_items(c->b, lb) : 0;
    for (int i = 0; i < nb && i < MAX_LIST; i++) {
        qpdf_oh f = qpdf_oh_get_array_item(c->b, lb, i);
        int num = qpdf_oh_is_indirect(c->b, f) ? qpdf_oh_get_object_id(c->b, f) : 0;
        if (num && in_array(c->a, la, num))
            LTS_TRY(compare_field(c, qpdf_get_object_by_id(c->a, num,
                                                              qpdf_oh_get_generation(c->b, f)),
                                  f, 0));
        else
            LTS_TRY(field_added(c, f));
    }
    for (int i = 0; i < na && i < MAX_LIST; i++) {
        qpdf_oh f = qpdf_oh_get_array_item(c->a, la, i);
        int num = qpdf_oh_is_indirect(c->a, f) ? qpdf_oh_get_object_id(c->a, f) : 0;
        if (!num || !in_array(c->b, lb, num)) {
            char name[200];
            field_name(c->a, f, name, sizeof name);
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "form field %s removed", name));
        }
    }
out:
    free_keys(keys, n);
    return rc;
}

static const char *subtype(qpdf_data q, qpdf_oh annot)
{
    qpdf_oh st = qpdf_oh_get_key_if_dict(q, annot, "/Subtype");
    return qpdf_oh_is_name(q, st) ? qpdf_oh_get_name(q, st) : "/(no subtype)";
}

static const char *const skip_annot[] = { "/P", "/Parent", NULL };

static lts_status compare_annots(cmp *c, int pg, qpdf_oh pa, qpdf_oh pb)
{
    lts_status rc = LTS_OK;
    qpdf_oh la = qpdf_oh_get_key(c->a, pa, "/Annots"), lb = qpdf_oh_get_key(c->b, pb, "/Annots");
    int na = qpdf_oh_is_array(c->a, la) ? qpdf_oh_get_array_n_items(c->a, la) : 0;
    int nb = qpdf_oh_is_array(c->b, lb) ? qpdf_oh_get_array_n_items(c->b, lb) : 0;

    for (int i = 0; i < nb && i < MAX_LIST; i++) {
        qpdf_oh an = qpdf_oh_get_array_item(c->b, lb, i);
        int num = qpdf_oh_is_indirect(c->b, an) ? qpdf_oh_get_object_id(c->b, an) : 0;
        int widget = strcmp(subtype(c->b, an), "/Widget") == 0;
        if (num && in_array(c->a, la, num)) {
            qpdf_oh old = qpdf_get_object_by_id(c->a, num, qpdf_oh_get_generation(c->b, an));
            int eq = 1;
            if (widget) {
                LTS_TRY(compare_field(c, old, an, 0));
                continue;
            }
            LTS_TRY(deep_eq(c, old, an, skip_annot, 0, &eq));
            if (!eq)
                LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_ANNOTATION,
                                   "annotation %s on page %d changed", subtype(c->b, an), pg));
        } else if (widget && is_sig_field(c->b, an)) {
            LTS_TRY(field_added(c, an));
        } else if (widget) {
            char name[200];
            field_name(c->b, an, name, sizeof name);
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "form field widget %s added on "
                                                          "page %d", name, pg));
        } else {
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_ANNOTATION, "annotation %s added on page %d",
                               subtype(c->b, an), pg));
        }
    }
    for (int i = 0; i < na && i < MAX_LIST; i++) {
        qpdf_oh an = qpdf_oh_get_array_item(c->a, la, i);
        int num = qpdf_oh_is_indirect(c->a, an) ? qpdf_oh_get_object_id(c->a, an) : 0;
        if (!num || !in_array(c->b, lb, num))
            LTS_TRY(lts_pades__add_change(c, strcmp(subtype(c->a, an), "/Widget") == 0
                                      ? LTS_PADES_CHANGE_OTHER : LTS_PADES_CHANGE_ANNOTATION,
                               "annotation %s removed from page %d", subtype(c->a, an), pg));
    }
out:
    return rc;
}

static lts_status compare_pages(cmp *c)
{
    lts_status rc = LTS_OK;
    int na = qpdf_get_num_pages(c->a), nb = qpdf_get_num_pages(c->b);
    char **keys = NULL;
    size_t n = 0;

    if (na < 0 || nb < 0) {
        LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "the page tree cannot be read"));
        goto out;
    }
    if (na != nb)
        LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "%s: %d page%s signed, %d now",
                           nb > na ? "page added" : "page removed", na, na == 1 ? "" : "s", nb));
    for (int i = 0; i < na && i < nb && i < MAX_LIST; i++) {
        qpdf_oh pa = qpdf_get_page_n(c->a, (size_t)i), pb = qpdf_get_page_n(c->b, (size_t)i);
        int eq;
        if (qpdf_oh_get_object_id(c->a, pa) != qpdf_oh_get_object_id(c->b, pb)) {
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "page %d replaced by another page "
                                                          "object", i + 1));
            continue;
        }
        LTS_TRY(key_union(c, pa, pb, &keys, &n));
        for (size_t k = 0; k < n; k++) {
            if (strcmp(keys[k], "/Annots") == 0 || strcmp(keys[k], "/Parent") == 0)
                continue;
            LTS_TRY(key_eq(c, pa, pb, keys[k], &eq));
            if (eq)
                continue;
            if (strcmp(keys[k], "/Contents") == 0)
                LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "page %d content stream changed",
                                   i + 1));
            else
                LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "page %d %s changed", i + 1,
                                   keys[k]));
        }
        free_keys(keys, n);
        keys = NULL;
        n = 0;
        LTS_TRY(compare_annots(c, i + 1, pa, pb));
    }
    {
        /* inheritable attributes of the root of the page tree */
        static const char *const skip_tree[] = { "/Kids", "/Count", "/Parent", NULL };
        qpdf_oh ta = qpdf_oh_get_key(c->a, qpdf_get_root(c->a), "/Pages");
        qpdf_oh tb = qpdf_oh_get_key(c->b, qpdf_get_root(c->b), "/Pages");
        int eq = 1;
        LTS_TRY(deep_eq(c, ta, tb, skip_tree, 0, &eq));
        if (!eq)
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "the page tree root changed"));
    }
out:
    free_keys(keys, n);
    return rc;
}

/* Everything that differs between c->a and c->b. */
lts_status lts_pades__compare_docs(cmp *c)
{
    lts_status rc = LTS_OK;
    qpdf_oh ra = qpdf_get_root(c->a), rb = qpdf_get_root(c->b);
    char **keys = NULL;
    size_t n = 0;
    int eq;

    LTS_TRY(key_union(c, ra, rb, &keys, &n));
    /* fields first: a merged field + widget is then not reported again from the page */
    LTS_TRY(compare_acroform(c, qpdf_oh_get_key(c->a, ra, "/AcroForm"),
                             qpdf_oh_get_key(c->b, rb, "/AcroForm")));
    LTS_TRY(compare_pages(c));
    for (size_t i = 0; i < n; i++) {
        const char *k = keys[i];
        if (strcmp(k, "/AcroForm") == 0 || strcmp(k, "/Pages") == 0)
            continue;
        LTS_TRY(key_eq(c, ra, rb, k, &eq));
        if (eq)
            continue;
        if (strcmp(k, "/DSS") == 0)
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_DSS, "%s", qpdf_oh_has_key(c->a, ra, "/DSS")
                                                                  ? "DSS updated" : "DSS added"));
        else if (strcmp(k, "/Metadata") == 0)
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_METADATA, "XMP metadata (/Metadata) %s",
                               qpdf_oh_has_key(c->a, ra, k) ? "updated" : "added"));
        else if (strcmp(k, "/Extensions") == 0)
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_DSS, "developer extensions (/Extensions) "
                                                        "updated"));
        else
            LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_OTHER, "catalog %s %s", k,
                               !qpdf_oh_has_key(c->a, ra, k) ? "added"
                               : !qpdf_oh_has_key(c->b, rb, k) ? "removed" : "changed"));
    }
    if (c->over_budget & 1)
        LTS_TRY(lts_pades__add_change(c, LTS_PADES_CHANGE_UNCHECKED,
                           "objects nested deeper than %d or more than %d objects",
                           MAX_DEPTH, NODE_BUDGET));
out:
    free_keys(keys, n);
    return rc;
}
