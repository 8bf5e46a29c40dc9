/* formats/pades/changes_int.h — private to formats/pades: the comparison of two revisions
 * (changes.c) shared with the walk over the file's revisions (revisions.c). */
#ifndef LTS_PADES_CHANGES_INT_H
#define LTS_PADES_CHANGES_INT_H

#include "pades_int.h"

#define MAX_REVS 4096           /* revision ends recorded */
#define MAX_DIFF_REVS 100       /* revisions compared after the first signature */
#define MAX_CHANGES 200         /* recorded per document */
#define NODE_BUDGET 400000      /* objects visited by one comparison */
#define MAX_STREAM_CMP ((int64_t)16 << 20) /* stream data compared up to this /Length */
#define MAX_DEPTH 64
#define MAX_LIST 20000          /* pages, annotations, fields walked */

typedef struct {
    uint64_t end;       /* after %%EOF and its end of line */
    uint64_t mark;      /* at the end of "%%EOF" */
} rev_end;

/* One comparison between revision a (older) and b (newer). */
typedef struct {
    qpdf_data a, b;
    lts_pades_chglist *out;
    unsigned revision;
    uint64_t prev_end;
    long budget;
    int *seen;          /* object numbers of a already compared (no cycles, no repeats) */
    size_t n_seen, cap_seen;
    int over_budget;
    lts_pdf *pdf;       /* the file, for what the comparison does not load */
    uint64_t cur_end;   /* end of revision b */
} cmp;

/** Record a change of the given kind (printf-style description) in c->out. */
lts_status lts_pades__add_change(cmp *c, lts_pades_change_kind kind, const char *fmt, ...)
    LTS_PRINTF(3, 4);
/** Compare revision c->a with c->b from the catalog down, recording every change. */
lts_status lts_pades__compare_docs(cmp *c);

#endif
