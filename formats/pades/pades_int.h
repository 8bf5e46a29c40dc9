/* formats/pades/pades_int.h — private to formats/pades: the PDF reader over QPDF's C API
 * and the incremental update writer. */
#ifndef LTS_PADES_INT_H
#define LTS_PADES_INT_H

#include <stdint.h>
#include <qpdf/qpdf-c.h>
#include <ltsig/pades.h>
#include "core/digest.h"

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
    lts_pdf_xent ents[64];
    size_t n_ents;
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
lts_status lts_pades__add_sig_field(lts_pdf_update *u, int page, const char *name, int sig_num);

/* ---- the signature revision ---- */

typedef struct {
    size_t br_pos;       /* offset in the update of the /ByteRange value */
    size_t contents_pos; /* offset in the update of '<' of /Contents */
    size_t hex_n;        /* hex digits reserved */
} lts_pades_layout;

/** Build the whole signature revision (signature dictionary with a /Contents
 *  placeholder of hex_n zero digits, field, widget, page, form, xref, trailer). */
lts_status lts_pades__build_sig_update(lts_pdf_update *u, lts_pdf *pdf,
                                      const lts_pades_sign_opts *o, size_t hex_n,
                                      lts_pades_layout *lay);
/** Fill the /ByteRange of a built update: rg[2] gets the two ranges (absolute). */
lts_status lts_pades__set_byte_range(lts_pdf_update *u, const lts_pades_layout *lay,
                                    lts_range *rg);

#endif
