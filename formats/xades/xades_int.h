/* formats/xades/xades_int.h — private to formats/xades: XML helpers shared by signing and
 * checking. */
#ifndef LTS_XADES_INT_H
#define LTS_XADES_INT_H

#include <libxml/tree.h>
#include <openssl/x509.h>
#include <ltsig/xades.h>

#define LTS_NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define LTS_NS_XADES "http://uri.etsi.org/01903/v1.3.2#"
#define LTS_NS_XADES141 "http://uri.etsi.org/01903/v1.4.1#"
#define LTS_XADES_SP_TYPE "http://uri.etsi.org/01903#SignedProperties"

#define LTS_URI_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define LTS_URI_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define LTS_URI_BASE64 "http://www.w3.org/2000/09/xmldsig#base64"

/** Largest XML document we parse (the DOM needs several times this in memory). */
#define LTS_XADES_MAX_DOC ((size_t)512 << 20)
/** Documents above this size are parsed with XML_PARSE_HUGE (big text nodes). */
#define LTS_XADES_HUGE_FROM ((size_t)8 << 20)

/* --- xml.c ------------------------------------------------------------------------------ */

/** Initialise libxml2 and xmlsec1 once per process (thread-safe). */
lts_status lts_xades__init(void);

/** Silence libxml2's per-thread error printing for the duration of a call. */
typedef struct {
    void *func;
    void *ctx;
} lts_xml_quiet;
void lts_xades__quiet_begin(lts_xml_quiet *q);
void lts_xades__quiet_end(const lts_xml_quiet *q);

/** The last xmlsec1 error text of this thread ("" when none), and forget it. */
const char *lts_xades__xmlsec_error(void);
void lts_xades__xmlsec_error_clear(void);

/** Parse XML safely: no network, no entity substitution, no DTD loading; a document that
 *  declares entities or attributes in a DTD is refused. `what` names the input in errors. */
lts_status lts_xades__parse(xmlDocPtr *out, lts_span data, const char *what);
/** Read (capped at LTS_XADES_MAX_DOC) and parse a file. */
lts_status lts_xades__parse_file(xmlDocPtr *out, const char *path);

/** The set of Id values that occur more than once in a document. */
typedef struct {
    char **v;
    size_t n, cap;
} lts_xml_ids;
/** Check every Id / ID / id attribute (no namespace) and xml:id of the document: values
 *  found twice go to dups (signature wrapping). Only the Ids that some same-document URI
 *  attribute names ("#id", "#xpointer(id('id'))": References) and `extra` (may be NULL)
 *  are registered as XML IDs (xmlAddID), so xmlGetID finds only those: use
 *  lts_xades__id_taken to ask whether a value is free. */
lts_status lts_xades__register_ids(xmlDocPtr doc, const char *extra, lts_xml_ids *dups);
/** Does any Id / ID / id / xml:id attribute of doc have this value (registered or not)? */
int lts_xades__id_taken(xmlDocPtr doc, const char *id);
/** Does any Id / ID / id / xml:id attribute of doc start with prefix? */
int lts_xades__id_prefix_taken(xmlDocPtr doc, const char *prefix);
int lts_xades__ids_has(const lts_xml_ids *ids, const char *v);
void lts_xades__ids_free(lts_xml_ids *ids);

/** Next element in document order after n (pre-order), staying under `top`. */
xmlNodePtr lts_xades__next(xmlNodePtr n, xmlNodePtr top);
/** Is n an element with this local name in namespace ns (NULL: no namespace check)? */
int lts_xades__is(xmlNodePtr n, const char *name, const char *ns);
/** First element child; next element sibling. */
xmlNodePtr lts_xades__first_el(xmlNodePtr parent);
xmlNodePtr lts_xades__next_el(xmlNodePtr n);
/** First element child named name in ns, or NULL. */
xmlNodePtr lts_xades__child(xmlNodePtr parent, const char *name, const char *ns);
/** The value of the no-namespace attribute `name` (borrowed from the tree), NULL when
 *  absent. */
const char *lts_xades__attr(xmlNodePtr n, const char *name);
/** The text content, whitespace kept, into out (NUL-terminated). */
lts_status lts_xades__text(xmlNodePtr n, lts_buf *out);

/** Canonicalise the subtree at `node` with the algorithm of the CanonicalizationMethod
 *  element `method` (xmlsec), appending the bytes to out. */
lts_status lts_xades__c14n(xmlNodePtr method, xmlNodePtr node, lts_buf *out);

/** Run one ds:Reference through xmlsec (same-document URIs only): sign = 1 computes and
 *  writes DigestValue; sign = 0 compares it and sets *ok. */
lts_status lts_xades__reference(xmlNodePtr ref, int sign, int *ok);

/** The octets a same-document ds:Reference yields after its transforms (what is digested). */
lts_status lts_xades__reference_octets(xmlNodePtr ref, lts_buf *out);

/* --- stream.c --------------------------------------------------------------------------- */
/** Exclusive C14N (without comments) of a whole document, streamed from a SAX pass into a
 *  digest, without a tree. */
typedef struct {
    lts_hash hash;          /**< in: the digest to compute */
    const char *id_prefix;  /**< in: note an Id / ID / id / xml:id starting with it (or NULL) */
    lts_buf *octets;        /**< in: when set, the canonical octets are appended too (tests) */
    int fallback;           /**< out: 1 = not done here (DTD, not UTF-8, relative namespace,
                                 bad or hostile input ...): take the tree path */
    int id_prefix_taken;    /**< out */
    int has_root_end;       /**< out */
    size_t root_end;        /**< out: offset of the '<' of the document element's end tag */
    uint8_t md[LTS_HASH_MAX]; /**< out: the digest */
    size_t mdlen;
    /* light mode (checking): the tree holds the root element (start tag only) and its
     * ds:Signature child, whole; the C14N leaves that signature out (enveloped). A second
     * ds:Signature, or one deeper in the document, makes it fall back. */
    int light;              /**< in */
    size_t n_sigs;          /**< out: ds:Signature children of the root (0 or 1), or the
                                 root itself */
    xmlDocPtr light_doc;    /**< out: the tree (lts_xades__stream_dispose) */
    uint64_t *dup_ids;      /**< out: hashes of the Id values seen more than once */
    size_t dup_mask;
} lts_xades_stream;
lts_status lts_xades__stream_c14n(lts_span doc, lts_xades_stream *res);
/** The same pass reading the file in blocks (root_end is not set). */
lts_status lts_xades__stream_c14n_file(const char *path, lts_xades_stream *res);
/** May the Id value occur more than once in the streamed document? (a hash match: 1 also
 *  for a collision, so a caller that gets 1 takes the tree path to be exact) */
int lts_xades__stream_id_dup(const lts_xades_stream *res, const char *id);
void lts_xades__stream_dispose(lts_xades_stream *res);

/* --- alg.c ------------------------------------------------------------------------------ */

const char *lts_xades__digest_uri(lts_hash h);
lts_hash lts_xades__digest_from_uri(const char *uri);
/** SignatureMethod URI of alg; NULL when XML DSig has none we support. */
const char *lts_xades__sig_uri(lts_sig_alg alg);
int lts_xades__sig_from_uri(const char *uri, lts_sig_alg *out);
/** Is uri a canonicalisation algorithm we accept? */
int lts_xades__is_c14n_uri(const char *uri);
/** Is uri a reference transform we accept? */
int lts_xades__is_transform_uri(const char *uri);

/** ECDSA: DER Ecdsa-Sig-Value -> r||s, each `flen` bytes (RFC 4050 / RFC 6931). */
lts_status lts_xades__ecdsa_der_to_raw(lts_span der, size_t flen, lts_buf *out);
/** DER of RFC 5035 IssuerSerial { GeneralNames { directoryName issuer }, serial }. */
lts_status lts_xades__issuer_serial_v2(X509 *cert, lts_buf *out);
/** Digest of the DER of cert. */
lts_status lts_xades__cert_digest(X509 *cert, lts_hash h, uint8_t *out, size_t *outlen);

/* --- timestamp.c ------------------------------------------------------------------------ */

/** Add xades:UnsignedProperties/UnsignedSignatureProperties/SignatureTimeStamp (Id `id`)
 *  to qp, time-stamping C14N(sv) with exclusive C14N and hash h. */
lts_status lts_xades__add_sig_timestamp(xmlNodePtr qp, xmlNsPtr ds, xmlNsPtr xa, xmlNodePtr sv,
                                        lts_tsa *tsa, lts_hash h, const char *id);
/** Check every SignatureTimeStamp child of usp against sv into res->timestamps. */
lts_status lts_xades__check_sig_timestamps(xmlNodePtr usp, xmlNodePtr sv, lts_xades_check *res);
void lts_xades__ts_checks_free(lts_xades_ts_check *t, size_t n);

/* --- ltv.c ------------------------------------------------------------------------------ */

/** Collect validation data for the signer's chain and each SignatureTimeStamp's TSA chain
 *  and add xades:CertificateValues + xades:RevocationValues (and before them, when
 *  with_refs, xades:CompleteCertificateRefs + xades:CompleteRevocationRefs: ES-XL). */
lts_status lts_xades__add_ltv(xmlNodePtr qp, xmlNsPtr ds, xmlNsPtr xa,
                              struct lts_vdata_source *src, const char *trust,
                              const lts_clock *clock, STACK_OF(X509) *chain, int with_refs);

/** xades141:TimeStampValidationData (CertificateValues + RevocationValues) for the TSA
 *  chain of the timestamp element `ts`, appended to usp (before an ArchiveTimeStamp
 *  renewal, EN 319 132-1 §5.5.1). */
lts_status lts_xades__add_ts_validation_data(xmlNodePtr usp, xmlNsPtr xa, xmlNodePtr ts,
                                             struct lts_vdata_source *src, const char *trust,
                                             const lts_clock *clock);

/* --- ats.c ------------------------------------------------------------------------------ */

/** Add a xades141:ArchiveTimeStamp (EN 319 132-1 §5.5.2, not distributed case) to the
 *  UnsignedSignatureProperties of signature `sig`; `detached` is the content of an
 *  external reference (or NULL). */
lts_status lts_xades__add_archive_timestamp(xmlNodePtr sig, xmlNodePtr qp, xmlNsPtr ds,
                                            xmlNsPtr xa, lts_tsa *tsa, lts_hash h,
                                            const char *id, const char *detached);
/** Check the ArchiveTimeStamps (xades141 or xades 1.3.2) of signature `sig` into
 *  res->timestamps (appended). */
lts_status lts_xades__check_archive_timestamps(xmlNodePtr sig, xmlNodePtr usp,
                                               const char *detached, lts_xades_check *res);
/** Digest the time-stamped data with h into md (LTS_HASH_MAX bytes). */
typedef lts_status (*lts_xades_digest_fn)(void *arg, lts_hash h, uint8_t *md, size_t *mdlen);
/** Check one token (DER): imprint against dg's digest (made with the imprint algorithm),
 *  genTime, the token's own CMS signature and ESS binding; fills t. */
lts_status lts_xades__check_token(lts_span der, lts_xades_digest_fn dg, void *arg,
                                  lts_xades_ts_check *t);

#endif
