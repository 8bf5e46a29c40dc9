/* formats/pades/pades_int.h — private to formats/pades: the PDF reader over QPDF's C API
 * and the incremental update writer. */
#ifndef LTS_PADES_INT_H
#define LTS_PADES_INT_H

#include <stdint.h>
#include <qpdf/qpdf-c.h>
#include <ltsig/pades.h>
#include "core/digest.h"
#include "core/io.h"

/** What the writer needs to know about the file it appends to. */
typedef struct {
    qpdf_data q;
    char *path;
    int fd;                 /* the input, opened read-only */
    uint64_t size;          /* bytes of the original file */
    uint64_t startxref;     /* offset of the last cross-reference section */
    int xref_stream;        /* 1: the last section is an xref stream (write one too) */
    int ends_with_eol;      /* 1: the last byte is \n or \r */
    long long next_num;     /* trailer /Size: the first free object number */
    int root_num, root_gen;
    int info_num, info_gen; /* 0 when the trailer has no /Info */
    uint8_t id0[64];        /* first /ID element (kept) */
    size_t id0_n;
    int has_id;
} lts_pdf;

/** Open and read the structure of path (no recovery of damaged files). Encrypted ->
 *  LTS_E_UNSUPPORTED; damaged / not a PDF -> LTS_E_INPUT naming the file. */
lts_status lts_pades__pdf_open(lts_pdf *pdf, const char *path);
void lts_pades__pdf_close(lts_pdf *pdf);
/** The QPDF error text of the last failing call (clears it), "unknown QPDF error" else. */
const char *lts_pades__qpdf_err(lts_pdf *pdf, char *buf, size_t cap);
/** 1 if a QPDF call failed since the last check (the error is then consumed into buf). */
int lts_pades__qpdf_failed(lts_pdf *pdf, char *buf, size_t cap);

/** Find the last "startxref N" and "%%EOF" in the last bytes of an open file. */
lts_status lts_pades__find_startxref(int fd, uint64_t size, const char *path, uint64_t *out);

/* ---- incremental update ---- */

typedef struct {
    int num, gen;
    uint64_t off;           /* absolute offset of "num gen obj" */
} lts_pdf_xent;

typedef struct {
    lts_pdf *pdf;
    lts_buf b;              /* the update bytes, appended after the original file */
    lts_pdf_xent *ents;
    size_t n_ents, cap_ents;
    long long next_num;
} lts_pdf_update;

lts_status lts_pades__upd_init(lts_pdf_update *u, lts_pdf *pdf);
void lts_pades__upd_dispose(lts_pdf_update *u);
/** Allocate a new object number. */
int lts_pades__upd_new_num(lts_pdf_update *u);
/** Append "num gen obj\n<body>\nendobj\n", recording its offset. */
lts_status lts_pades__upd_object(lts_pdf_update *u, int num, int gen, const char *body,
                                 size_t body_n);
/** Start an object whose body the caller appends to u->b, then ends with _end. */
lts_status lts_pades__upd_begin(lts_pdf_update *u, int num, int gen);
lts_status lts_pades__upd_end(lts_pdf_update *u);
/** Append the xref section (table or stream, as the original), trailer, startxref, %%EOF. */
lts_status lts_pades__upd_finish(lts_pdf_update *u, const uint8_t *id1, size_t id1_n);

/** Append a PDF literal string "(...)" with escapes. */
lts_status lts_pades__put_string(lts_buf *b, const char *s);
/** Append "<hex>". */
lts_status lts_pades__put_hexstr(lts_buf *b, const uint8_t *p, size_t n);
/** Append printf-formatted text. */
lts_status lts_pades__putf(lts_buf *b, const char *fmt, ...) LTS_PRINTF(2, 3);

/** Add a signature field + invisible widget (one merged object, /V sig_num 0 R) on
 *  page `page`: writes the widget, the page with its /Annots extended, and the catalog
 *  or the /AcroForm with /Fields extended and /SigFlags 3. name NULL = "SignatureN". */
struct lts_pades_stage_s;
lts_status lts_pades__add_sig_field(lts_pdf_update *u, int page, const char *name,
                                    const char *prefix, int sig_num,
                                    const struct lts_pades_stage_s *st, lts_time when);
/** Rewrite the catalog without the keys of skip (NULL-terminated "/Key" list) and with
 *  `extra` added. */
lts_status lts_pades__rewrite_catalog(lts_pdf_update *u, const char *const *skip,
                                      lts_span extra);
/** Append dictionary d (any QPDF dictionary) without the keys of skip, plus extra. */
lts_status lts_pades__put_dict_plus(lts_pdf *pdf, lts_buf *b, qpdf_oh d,
                                    const char *const *skip, lts_span extra);

/* ---- what later revisions changed (changes.c) ---- */
typedef struct {
    lts_pades_change *v;    /* what strings owned */
    size_t n, cap;
    int done;
} lts_pades_chglist;
void lts_pades__chglist_free(lts_pades_chglist *l);
lts_pades_chglist *lts_pades__doc_changes(lts_pades_doc *d);
const lts_pades_chglist *lts_pades__doc_changes_c(const lts_pades_doc *d);

/* ---- what sigs.c found, for the DSS ---- */
/** The open file behind a doc (borrowed). */
lts_pdf *lts_pades__doc_pdf(lts_pades_doc *d);
/** The /Contents bytes of signature i as written, padding included (for /VRI keys). */
lts_span lts_pades__sig_raw_contents(const lts_pades_doc *d, size_t i);
/** Add a DSS revision (EN 319 142-1 §5.4.2) with the certificates, OCSP responses and CRLs
 *  that validate every signature and document time-stamp of in_path. */
lts_status lts_pades__dss_stage(const char *in_path, const char *out_path,
                                struct lts_vdata_source *vdata, const char *trust_file,
                                const lts_clock *clock, lts_afile *res);

/* ---- the signature revision ---- */

typedef struct {
    size_t br_pos;       /* offset in the update of the /ByteRange value */
    size_t contents_pos; /* offset in the update of '<' of /Contents */
    size_t hex_n;        /* hex digits reserved */
} lts_pades_layout;

/** Bytes reserved for a time-stamp token (with the TSA chain) before measuring. */
#define LTS_PADES_TS_RESERVE ((size_t)16384)

/** Makes the /Contents value from the /ByteRange digest: a CMS or a time-stamp token. */
typedef lts_status (*lts_pades_fill_fn)(void *ctx, lts_hash h, lts_span digest, lts_buf *out);

/** One revision holding a signature or a document time-stamp. */
typedef struct lts_pades_stage_s {
    int doc_ts;                 /* 1: /Type /DocTimeStamp /SubFilter /ETSI.RFC3161 */
    lts_hash hash;              /* of the /ByteRange digest */
    const lts_clock *clock;     /* /M of a signature */
    const char *field_name;     /* NULL = SignatureN / DocTimeStampN */
    int page;
    const char *reason, *location;
    size_t reserve;             /* bytes first reserved for the value */
    lts_pades_fill_fn fill;
    void *fill_ctx;
    int certify;                /* DocMDP /P 1..3, 0 = an approval signature */
    int visible;                /* 1: widget at rect with an appearance */
    double rect[4];
    const char *signer_name;    /* shown in the appearance (UTF-8) */
} lts_pades_stage;

/** Build the whole signature revision (signature dictionary with a /Contents
 *  placeholder of hex_n zero digits, field, widget, page, form, xref, trailer). */
lts_status lts_pades__build_sig_update(lts_pdf_update *u, lts_pdf *pdf,
                                      const lts_pades_stage *o, size_t hex_n,
                                      lts_pades_layout *lay);
/** Write pdf + a signature revision to a temporary file beside out_path (retrying once
 *  with the measured size when the value did not fit). *res gets the uncommitted file:
 *  the caller commits it or reads res->tmp, then aborts it. */
lts_status lts_pades__sig_stage(lts_pdf *pdf, const char *out_path, const lts_pades_stage *st,
                               lts_afile *res);
/** Copy the original bytes to af in blocks; when md is not NULL every copied block is also
 *  fed to it (the original is the start of the first /ByteRange part: one read, not two). */
lts_status lts_pades__copy_original(lts_pdf *pdf, lts_afile *af, EVP_MD_CTX *md);
/** From the PDF at in_path (already signed), add what `level` needs after B-B: a document
 *  time-stamp for B-T; + DSS for B-LT; + DSS and a document time-stamp for B-LTA. *res gets
 *  the uncommitted final file. */
lts_status lts_pades__extend_stages(const char *in_path, const char *out_path, lts_level level,
                                   lts_hash hash, lts_tsa *tsa, struct lts_vdata_source *vdata,
                                   const char *trust_file, const lts_clock *clock,
                                   lts_afile *res);
/** Fill the /ByteRange of a built update: rg[2] gets the two ranges (absolute). */
lts_status lts_pades__set_byte_range(lts_pdf_update *u, const lts_pades_layout *lay,
                                    lts_range *rg);

#endif
