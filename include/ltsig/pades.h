/* ltsig — PAdES signatures: ETSI EN 319 142-1/-2, ISO 32000-2 §12.8.
 * Owned by formats/pades.
 *
 * A PDF is never rewritten: every signature is appended to the untouched original bytes
 * as an incremental update (ISO 32000-2 §7.5.6) whose cross-reference section has the
 * style of the original (a classic table, or an xref stream when the file uses them). */
#ifndef LTSIG_PADES_H
#define LTSIG_PADES_H

#include <stdint.h>
#include "alg.h"
#include "buf.h"
#include "clock.h"
#include "level.h"
#include "signer.h"
#include "tsa.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lts_vdata_source;

typedef struct {
    unsigned int version;       /**< LTS_PADES_SIGN_OPTS_VERSION */
    lts_level level;            /**< 0 = B-B */
    lts_hash hash;              /**< 0 = SHA-256 */
    lts_scheme scheme;          /**< 0 = the key's default */
    lts_tsa *tsa;               /**< needed above B-B */
    struct lts_vdata_source *vdata; /**< needed at B-LT and above */
    const lts_clock *clock;     /**< NULL = system clock; gives /M */
    const char *field_name;     /**< /T of the new signature field; NULL = "SignatureN" */
    int page;                   /**< 0-based page of the (invisible) widget */
    size_t contents_max;        /**< bytes reserved for the CMS; 0 = estimated from the chain */
    const char *reason;         /**< optional /Reason (ASCII) */
    const char *location;       /**< optional /Location (ASCII) */
    const char *trust_file;     /**< anchors for collecting validation data (B-LT and up) */
    /* version 2 */
    int certify;                /**< 1..3: a certification signature with DocMDP /P certify
                                     (ISO 32000-2 §12.8.2.2); must be the first signature */
    int visible;                /**< 1: a visible widget on opts->page at rect, with an
                                     appearance naming the signer and the signing time */
    double rect[4];             /**< x1 y1 x2 y2 in PDF points (default user space) */
} lts_pades_sign_opts;
#define LTS_PADES_SIGN_OPTS_VERSION 2
#define LTS_PADES_SIGN_OPTS_INIT                                                          \
    { LTS_PADES_SIGN_OPTS_VERSION, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, \
      0, 0, { 0, 0, 0, 0 } }

/** Sign the PDF at in_path into out_path: an incremental update adding a signature
 *  field (an invisible widget /Rect [0 0 0 0] on opts->page, or a visible one with an
 *  /AP /N appearance when opts->visible; with opts->certify a /Reference DocMDP
 *  transform and /Perms /DocMDP in the catalog) whose value is a signature
 *  dictionary /SubFilter /ETSI.CAdES.detached over the /ByteRange of the new revision
 *  (EN 319 142-1 §5.1). The CMS comes from lts_cades_sign_digest() without
 *  signing-time. B-T / ES-T: the CMS carries a signature-time-stamp from opts->tsa
 *  (EN 319 142-1 §6.3); B-LT: + a DSS revision (opts->vdata, opts->trust_file);
 *  B-LTA / ES-A: + DSS + a document time-stamp (see lts_pades_extend). out_path is written atomically (temp file, fsync, rename) and not at
 *  all on failure; in_path is only read. Encrypted PDFs are refused (LTS_E_UNSUPPORTED),
 *  damaged ones too (LTS_E_INPUT). Thread-safe on distinct files. */
LTS_API LTS_MUST_USE lts_status lts_pades_sign(lts_signer *signer, const char *in_path,
                                              const char *out_path,
                                              const lts_pades_sign_opts *opts);

typedef struct {
    unsigned int version;       /**< LTS_PADES_EXTEND_OPTS_VERSION */
    lts_level level;            /**< B-T / ES-T, B-LT, B-LTA / ES-A */
    lts_hash hash;              /**< of the document time-stamp imprint; 0 = SHA-256 */
    lts_tsa *tsa;               /**< needed for B-T and B-LTA */
    struct lts_vdata_source *vdata; /**< needed for B-LT and B-LTA */
    const char *trust_file;     /**< trust anchors for lts_vdata_collect(); optional */
    const lts_clock *clock;     /**< NULL = system clock */
} lts_pades_extend_opts;
#define LTS_PADES_EXTEND_OPTS_VERSION 1
#define LTS_PADES_EXTEND_OPTS_INIT { LTS_PADES_EXTEND_OPTS_VERSION, 0, 0, NULL, NULL, NULL, NULL }

/** Extend the signed PDF at in_path into out_path with incremental updates, never
 *  changing a signed byte:
 *   B-T / ES-T   a document time-stamp (/Type /DocTimeStamp /SubFilter /ETSI.RFC3161,
 *                ISO 32000-2 §12.8.5) over the whole file (the signed CMS cannot change);
 *   B-LT         a DSS (/Certs /OCSPs /CRLs streams and /VRI per signature, EN 319 142-1
 *                §5.4) with what validates every signature and time-stamp, after a
 *                document time-stamp when a signature has no time-stamp yet;
 *   B-LTA / ES-A as B-LT, then a document time-stamp over it (renewal: run it again
 *                before the last time-stamp's certificate or algorithm expires).
 *  LTS_E_CONFIG when the tsa or vdata the level needs is missing; LTS_E_NOTFOUND when the
 *  PDF has no signature. Atomic output as lts_pades_sign(). */
LTS_API LTS_MUST_USE lts_status lts_pades_extend(const char *in_path, const char *out_path,
                                                const lts_pades_extend_opts *opts);

/* ---- Reading the signatures of a PDF (used by validation, `ltsig info`) ---- */

typedef enum {
    LTS_PADES_SIG = 1,          /**< /Type /Sig */
    LTS_PADES_DOC_TIMESTAMP = 2 /**< /Type /DocTimeStamp, /SubFilter /ETSI.RFC3161 */
} lts_pades_sig_kind;

/** One signature dictionary as found in the file. Read-only; owned by its lts_pades_doc. */
typedef struct {
    lts_pades_sig_kind kind;
    char *field_name;           /**< /T of the field, or NULL */
    char *subfilter;            /**< "ETSI.CAdES.detached", "adbe.pkcs7.detached", ... */
    char *m;                    /**< /M as written ("D:2026..."), or NULL */
    int64_t byte_range[4];      /**< as written; meaningful only when byte_range_ok */
    int byte_range_ok;          /**< 1: the checks of lts_pades_sig.problem passed */
    char *problem;              /**< why the /ByteRange or /Contents is unacceptable, or NULL */
    lts_span contents;          /**< /Contents with the zero padding removed (DER) */
    uint64_t revision_end;      /**< end of the revision the signature covers */
    int covers_whole_file;      /**< 1: no incremental update after this signature */
    int docmdp_p;               /**< certification signature: its DocMDP /P (1-3); else 0 */
} lts_pades_sig;

typedef struct lts_pades_doc lts_pades_doc;

/** Open a PDF and find every signature field value and document timestamp (through
 *  /AcroForm /Fields, recursively through /Kids). Each /ByteRange is checked: four
 *  non-negative integers, the first 0, ranges in order without overlap, inside the file,
 *  the gap exactly the /Contents hex string, the second range ending at an %%EOF marker.
 *  A failed check is not an error: it is recorded in lts_pades_sig.problem. Errors:
 *  LTS_E_INPUT (not a PDF, damaged), LTS_E_UNSUPPORTED (encrypted), LTS_E_IO. */
LTS_API LTS_MUST_USE lts_status lts_pades_open(lts_pades_doc **out, const char *path);
LTS_API size_t lts_pades_sig_count(const lts_pades_doc *doc);
/** The i-th signature in file order (by the start of its /Contents); borrowed. */
LTS_API const lts_pades_sig *lts_pades_sig_get(const lts_pades_doc *doc, size_t i);
/** Size of the file when it was opened. */
LTS_API uint64_t lts_pades_file_size(const lts_pades_doc *doc);
/** 1 when the catalog has a /DSS; *offset (optional) gets where the DSS dictionary object
 *  starts in the file, 0 when that is not known (e.g. inside an object stream). */
LTS_API int lts_pades_has_dss(const lts_pades_doc *doc, uint64_t *offset);
/** The validation data of the DSS, decoded (unreadable or oversized items are skipped). */
typedef enum {
    LTS_PADES_DSS_CERT = 0,
    LTS_PADES_DSS_OCSP = 1,
    LTS_PADES_DSS_CRL = 2
} lts_pades_dss_kind;
LTS_API size_t lts_pades_dss_count(const lts_pades_doc *doc, lts_pades_dss_kind k);
/** Item i of kind k (borrowed from doc); an empty span when out of range. */
LTS_API lts_span lts_pades_dss_item(const lts_pades_doc *doc, lts_pades_dss_kind k, size_t i);
/** NULL is a no-op. */
LTS_API void lts_pades_free(lts_pades_doc *doc);

/* ---- What later revisions changed (ISO 32000-2 §12.8.2.2, §12.7.5.5) ---- */

typedef enum {
    LTS_PADES_CHANGE_SIGNATURE = 1,     /**< a signature field/widget added or an empty one
                                             signed; the form's /DR resources updated */
    LTS_PADES_CHANGE_DOC_TIMESTAMP = 2, /**< a document time-stamp field added */
    LTS_PADES_CHANGE_DSS = 3,           /**< DSS / VRI / developer extensions added or updated */
    LTS_PADES_CHANGE_FORM_FILL = 4,     /**< a form field's value or appearance changed */
    LTS_PADES_CHANGE_ANNOTATION = 5,    /**< an annotation (not a signature widget) added,
                                             changed or removed */
    LTS_PADES_CHANGE_OTHER = 6,         /**< anything else: page content, pages, catalog, ... */
    LTS_PADES_CHANGE_UNCHECKED = 7,     /**< something that could not be compared (a note) */
    LTS_PADES_CHANGE_METADATA = 8       /**< the catalog's XMP /Metadata (signing tools update
                                             it; nothing on the pages changes) */
} lts_pades_change_kind;

typedef struct {
    lts_pades_change_kind kind;
    unsigned revision;          /**< 1-based number of the revision that made the change */
    uint64_t prev_end;          /**< end of the revision before it (the state compared with) */
    const char *what;           /**< "page 1 content stream changed", ... */
} lts_pades_change;

/** Compare every revision that follows a signature with the revision before it (objects
 *  of the catalog, page tree, page dictionaries and content streams, annotations,
 *  /AcroForm fields, DSS) and record what changed, once per document (later calls return
 *  at once). A revision that QPDF cannot read on its own is merged with the next one. */
LTS_API LTS_MUST_USE lts_status lts_pades_analyse_changes(lts_pades_doc *doc);
LTS_API size_t lts_pades_change_count(const lts_pades_doc *doc);
/** Change i in revision order (borrowed); NULL when out of range. */
LTS_API const lts_pades_change *lts_pades_change_get(const lts_pades_doc *doc, size_t i);
/** 1 when change c was made after the revision of sig (the signature does not cover it). */
LTS_API int lts_pades_change_after(const lts_pades_change *c, const lts_pades_sig *sig);

/** Digest the two /ByteRange ranges of sig, streamed from path (the file that was
 *  opened). out must have LTS_HASH_MAX bytes. LTS_E_INPUT when the ranges were refused. */
LTS_API LTS_MUST_USE lts_status lts_pades_digest(const char *path, const lts_pades_sig *sig,
                                                lts_hash h, uint8_t *out, size_t *outlen);

#ifdef __cplusplus
}
#endif
#endif
