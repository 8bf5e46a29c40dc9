/* see ltsig/xades.h — building XAdES B-B signatures (EN 319 132-1 §4, §5.2).
 *
 * The signature is built as a template; xmlsec computes the same-document references'
 * digests (in signing mode it writes DigestValue) and canonicalises SignedInfo; the value
 * comes from lts_signer_sign. An external (detached) reference is digested here, streamed. */
#define LTS_MODULE "xades"
#include "xades_int.h"

#include <libgen.h>
#include <string.h>
#include <libxml/uri.h>
#include <openssl/rand.h>
#include <ltsig/openssl.h>
#include "core/codec.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

#define MAX_REFS 4

typedef struct {
    xmlDocPtr doc;
    xmlNsPtr ds, xa;
    xmlNodePtr sig, si, sv, ki, qp, sp;
    xmlNodePtr data_ref;   /* the reference to the signed data */
    xmlNodePtr ki_ref;     /* the reference to ds:KeyInfo, or NULL */
    xmlNodePtr sp_ref;     /* the reference to SignedProperties */
    int data_external;     /* data_ref points to a file */
    int data_done;         /* data_ref's DigestValue is written already (streamed) */
    /* enveloped, streamed: the document's bytes are in the output buffer from `base`, and
     * the ds:Signature (the root of b->doc) goes in at `at`, before the root's end tag */
    int spliced;
    size_t splice_at;
    char sid[128];
    char buf[256];
    /* 1: no Id of the document starts with sid and every Id added since is registered
     * (xmlGetID is then enough to check a new one); 0: not known, walk the tree */
    int sid_free;
} builder;

static xmlNodePtr el(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
    return xmlNewTextChild(parent, ns, (const xmlChar *)name, (const xmlChar *)text);
}

/* Set Id on n and register it as an XML ID; the value must be new to the document. */
static lts_status set_id(builder *b, xmlNodePtr n, const char *suffix)
{
    lts_status rc = LTS_OK;
    xmlAttrPtr a;
    char id[192];
    snprintf(id, sizeof id, "%s%s", b->sid, suffix);
    if (!b->sid_free)
        b->sid_free = !lts_xades__id_prefix_taken(b->doc, b->sid);
    LTS_ENSURE(b->sid_free ? xmlGetID(b->doc, (const xmlChar *)id) == NULL
                           : !lts_xades__id_taken(b->doc, id), LTS_E_INPUT,
               "the document already has an element with Id '%s'", id);
    LTS_ALLOC(a = xmlSetProp(n, (const xmlChar *)"Id", (const xmlChar *)id));
    LTS_ALLOC(xmlAddID(NULL, b->doc, (const xmlChar *)id, a));
out:
    return rc;
}

static lts_status add_reference(builder *b, xmlNodePtr *out, const char *id_suffix,
                                const char *uri, const char *type, const char *const *tr,
                                size_t ntr, lts_hash h)
{
    lts_status rc = LTS_OK;
    xmlNodePtr ref, ts, t;
    LTS_ALLOC(ref = el(b->si, b->ds, "Reference", NULL));
    if (id_suffix)
        LTS_TRY(set_id(b, ref, id_suffix));
    if (type)
        LTS_ALLOC(xmlSetProp(ref, (const xmlChar *)"Type", (const xmlChar *)type));
    LTS_ALLOC(xmlSetProp(ref, (const xmlChar *)"URI", (const xmlChar *)uri));
    if (ntr > 0) {
        LTS_ALLOC(ts = el(ref, b->ds, "Transforms", NULL));
        for (size_t i = 0; i < ntr; i++) {
            LTS_ALLOC(t = el(ts, b->ds, "Transform", NULL));
            LTS_ALLOC(xmlSetProp(t, (const xmlChar *)"Algorithm", (const xmlChar *)tr[i]));
        }
    }
    LTS_ALLOC(t = el(ref, b->ds, "DigestMethod", NULL));
    LTS_ALLOC(xmlSetProp(t, (const xmlChar *)"Algorithm",
                         (const xmlChar *)lts_xades__digest_uri(h)));
    LTS_ALLOC(el(ref, b->ds, "DigestValue", NULL));
    *out = ref;
out:
    return rc;
}

/* ds:Signature with SignedInfo's fixed part, SignatureValue and KeyInfo; inserted at
 * `parent` (after `after` when given), or as the root of b->doc. */
static lts_status build_skeleton(builder *b, xmlNodePtr parent, xmlNodePtr after,
                                 lts_sig_alg alg, STACK_OF(X509) *chain)
{
    lts_status rc = LTS_OK;
    xmlNodePtr n, x509data;
    lts_buf b64 = LTS_BUF_INIT;
    unsigned char *der = NULL;
    const char *suri = lts_xades__sig_uri(alg);

    LTS_ENSURE(suri != NULL, LTS_E_UNSUPPORTED, "XAdES: no XML DSig SignatureMethod for %s with %s",
               lts_scheme_name(alg.scheme), lts_hash_name(alg.hash));
    LTS_ALLOC(b->sig = xmlNewDocNode(b->doc, NULL, (const xmlChar *)"Signature", NULL));
    if (parent == NULL) {
        xmlDocSetRootElement(b->doc, b->sig);
    } else if (after) {
        LTS_ALLOC(xmlAddNextSibling(after, b->sig));
    } else {
        LTS_ALLOC(xmlAddChild(parent, b->sig));
    }
    LTS_ALLOC(b->ds = xmlNewNs(b->sig, (const xmlChar *)LTS_NS_DS, (const xmlChar *)"ds"));
    xmlSetNs(b->sig, b->ds);
    LTS_TRY(set_id(b, b->sig, ""));
    LTS_ALLOC(b->si = el(b->sig, b->ds, "SignedInfo", NULL));
    LTS_ALLOC(n = el(b->si, b->ds, "CanonicalizationMethod", NULL));
    LTS_ALLOC(xmlSetProp(n, (const xmlChar *)"Algorithm", (const xmlChar *)LTS_URI_EXC_C14N));
    LTS_ALLOC(n = el(b->si, b->ds, "SignatureMethod", NULL));
    LTS_ALLOC(xmlSetProp(n, (const xmlChar *)"Algorithm", (const xmlChar *)suri));
    LTS_ALLOC(b->sv = el(b->sig, b->ds, "SignatureValue", NULL));
    LTS_TRY(set_id(b, b->sv, "-SignatureValue"));
    LTS_ALLOC(b->ki = el(b->sig, b->ds, "KeyInfo", NULL));
    LTS_TRY(set_id(b, b->ki, "-KeyInfo"));
    LTS_ALLOC(x509data = el(b->ki, b->ds, "X509Data", NULL));
    for (int i = 0; i < sk_X509_num(chain); i++) {
        int len = i2d_X509(sk_X509_value(chain, i), &der);
        LTS_OSSL(len > 0, "i2d_X509");
        b64.n = 0;
        LTS_TRY(lts_b64__encode(&b64, lts_span_of(der, (size_t)len)));
        LTS_ALLOC(el(x509data, b->ds, "X509Certificate", (const char *)b64.p));
        OPENSSL_free(der);
        der = NULL;
    }
out:
    OPENSSL_free(der);
    lts_buf_dispose(&b64);
    return rc;
}

/* ds:Object / xades:QualifyingProperties / SignedProperties (EN 319 132-1 §5.2). */
static lts_status build_signed_props(builder *b, X509 *cert, lts_hash h, lts_time when,
                                     const char *mime)
{
    lts_status rc = LTS_OK;
    xmlNodePtr obj, ssp, scv2, c, cd, n, sdop, dof;
    lts_buf tmp = LTS_BUF_INIT, b64 = LTS_BUF_INIT;
    uint8_t md[LTS_HASH_MAX];
    size_t mdlen = 0;
    char ts[LTS_TIME_RFC3339_LEN];
    xmlChar *ref_id = NULL;

    LTS_ALLOC(obj = el(b->sig, b->ds, "Object", NULL));
    LTS_ALLOC(b->qp = xmlNewChild(obj, NULL, (const xmlChar *)"QualifyingProperties", NULL));
    LTS_ALLOC(b->xa = xmlNewNs(b->qp, (const xmlChar *)LTS_NS_XADES, (const xmlChar *)"xades"));
    xmlSetNs(b->qp, b->xa);
    snprintf(b->buf, sizeof b->buf, "#%s", b->sid);
    LTS_ALLOC(xmlSetProp(b->qp, (const xmlChar *)"Target", (const xmlChar *)b->buf));
    LTS_ALLOC(b->sp = el(b->qp, b->xa, "SignedProperties", NULL));
    LTS_TRY(set_id(b, b->sp, "-SignedProperties"));
    LTS_ALLOC(ssp = el(b->sp, b->xa, "SignedSignatureProperties", NULL));
    LTS_TRY(lts_time_format_rfc3339(ts, sizeof ts, when));
    LTS_ALLOC(el(ssp, b->xa, "SigningTime", ts));
    LTS_ALLOC(scv2 = el(ssp, b->xa, "SigningCertificateV2", NULL));
    LTS_ALLOC(c = el(scv2, b->xa, "Cert", NULL));
    LTS_ALLOC(cd = el(c, b->xa, "CertDigest", NULL));
    LTS_ALLOC(n = el(cd, b->ds, "DigestMethod", NULL));
    LTS_ALLOC(xmlSetProp(n, (const xmlChar *)"Algorithm",
                         (const xmlChar *)lts_xades__digest_uri(LTS_HASH_SHA256)));
    LTS_TRY(lts_xades__cert_digest(cert, LTS_HASH_SHA256, md, &mdlen));
    LTS_TRY(lts_b64__encode(&b64, lts_span_of(md, mdlen)));
    LTS_ALLOC(el(cd, b->ds, "DigestValue", (const char *)b64.p));
    LTS_TRY(lts_xades__issuer_serial_v2(cert, &tmp));
    b64.n = 0;
    LTS_TRY(lts_b64__encode(&b64, lts_buf_span(&tmp)));
    LTS_ALLOC(el(c, b->xa, "IssuerSerialV2", (const char *)b64.p));
    (void)h;
    /* DataObjectFormat for the signed data's reference */
    LTS_ALLOC(sdop = el(b->sp, b->xa, "SignedDataObjectProperties", NULL));
    LTS_ALLOC(dof = el(sdop, b->xa, "DataObjectFormat", NULL));
    LTS_ALLOC(ref_id = xmlGetNoNsProp(b->data_ref, (const xmlChar *)"Id"));
    snprintf(b->buf, sizeof b->buf, "#%s", (const char *)ref_id);
    LTS_ALLOC(xmlSetProp(dof, (const xmlChar *)"ObjectReference", (const xmlChar *)b->buf));
    LTS_ALLOC(el(dof, b->xa, "MimeType", mime));
out:
    xmlFree(ref_id);
    lts_buf_dispose(&tmp);
    lts_buf_dispose(&b64);
    return rc;
}

/* DigestValue of the external reference: the file, streamed. */
static lts_status digest_external(xmlNodePtr ref, const char *path, lts_hash h)
{
    lts_status rc = LTS_OK;
    uint8_t md[LTS_HASH_MAX];
    size_t mdlen = 0;
    lts_buf b64 = LTS_BUF_INIT;
    LTS_TRY(lts_digest__file(h, path, NULL, 0, md, &mdlen));
    LTS_TRY(lts_b64__encode(&b64, lts_span_of(md, mdlen)));
    xmlNodeSetContent(lts_xades__child(ref, "DigestValue", LTS_NS_DS), (const xmlChar *)b64.p);
out:
    lts_buf_dispose(&b64);
    return rc;
}

/* C14N(SignedInfo) -> digest -> lts_signer_sign -> SignatureValue (r||s for ECDSA). */
static lts_status sign_signed_info(builder *b, lts_signer *signer, lts_sig_alg alg, X509 *cert)
{
    lts_status rc = LTS_OK;
    lts_buf c14n = LTS_BUF_INIT, val = LTS_BUF_INIT, raw = LTS_BUF_INIT, b64 = LTS_BUF_INIT;
    uint8_t md[LTS_HASH_MAX];
    size_t mdlen = 0;
    lts_span dg;
    EVP_PKEY *pub = NULL;

    LTS_TRY(lts_xades__c14n(lts_xades__child(b->si, "CanonicalizationMethod", LTS_NS_DS), b->si,
                            &c14n));
    LTS_TRY(lts_digest__span(alg.hash, lts_buf_span(&c14n), md, &mdlen));
    dg = lts_span_of(md, mdlen);
    LTS_TRY(lts_signer_sign(signer, alg, &dg, 1, &val));
    if (alg.scheme == LTS_SCHEME_ECDSA) {
        int bits;
        LTS_OSSL((pub = X509_get_pubkey(cert)) != NULL, "X509_get_pubkey");
        bits = EVP_PKEY_get_bits(pub);
        LTS_OSSL(bits > 0, "EVP_PKEY_get_bits");
        LTS_TRY(lts_xades__ecdsa_der_to_raw(lts_buf_span(&val), ((size_t)bits + 7) / 8, &raw));
        LTS_TRY(lts_b64__encode(&b64, lts_buf_span(&raw)));
    } else {
        LTS_TRY(lts_b64__encode(&b64, lts_buf_span(&val)));
    }
    xmlNodeSetContent(b->sv, (const xmlChar *)b64.p);
out:
    EVP_PKEY_free(pub);
    lts_buf_dispose(&c14n);
    lts_buf_dispose(&val);
    lts_buf_dispose(&raw);
    lts_buf_dispose(&b64);
    return rc;
}

static int looks_like_xml(lts_span s)
{
    size_t i = 0;
    if (s.n >= 3 && s.p[0] == 0xef && s.p[1] == 0xbb && s.p[2] == 0xbf)
        i = 3;
    while (i < s.n && (s.p[i] == ' ' || s.p[i] == '\t' || s.p[i] == '\r' || s.p[i] == '\n'))
        i++;
    return i < s.n && s.p[i] == '<';
}

/* Enveloped without the document's tree: the file is read into `out` (after what it
 * holds), its exclusive C14N digested in one SAX pass (formats/xades/stream.c), and the
 * ds:Signature is built as the root of a small document of its own, to be inserted before
 * the root element's end tag. Its references other than the data are to its own elements
 * and exclusive C14N does not inherit from ancestors, so the digests and the SignedInfo
 * are the same as in place. *done = 0 (out as it was) when the document needs the tree
 * path: a DTD, not UTF-8, an empty root element, an Id starting with the signature's
 * prefix, bad input (the tree path names the problem). */
static lts_status enveloped_stream(builder *b, const char *path, lts_sig_alg alg,
                                   STACK_OF(X509) *chain, lts_buf *out, int *done)
{
    lts_status rc = LTS_OK;
    size_t n0 = out->n;
    lts_xades_stream st;
    lts_buf b64 = LTS_BUF_INIT;
    const char *env[] = { LTS_URI_ENVELOPED, LTS_URI_EXC_C14N };

    *done = 0;
    memset(&st, 0, sizeof st);
    LTS_TRY(lts_io__read_file(out, path, LTS_XADES_MAX_DOC));
    st.hash = alg.hash;
    st.id_prefix = b->sid;
    LTS_TRY(lts_xades__stream_c14n(lts_span_of(out->p + n0, out->n - n0), &st));
    if (st.fallback || st.id_prefix_taken)
        goto out;
    LTS_ALLOC(b->doc = xmlNewDoc((const xmlChar *)"1.0"));
    b->sid_free = 1; /* no Id of the document starts with the signature's prefix */
    LTS_TRY(build_skeleton(b, NULL, NULL, alg, chain));
    LTS_TRY(add_reference(b, &b->data_ref, "-ref0", "", NULL, env, 2, alg.hash));
    LTS_TRY(lts_b64__encode(&b64, lts_span_of(st.md, st.mdlen)));
    xmlNodeSetContent(lts_xades__child(b->data_ref, "DigestValue", LTS_NS_DS),
                      (const xmlChar *)b64.p);
    b->data_done = 1;
    b->spliced = 1;
    b->splice_at = n0 + st.root_end;
    *done = 1;
out:
    if (!*done) {
        out->n = n0;
        xmlFreeDoc(b->doc);
        b->doc = NULL;
        b->sid_free = 0;
    }
    lts_buf_dispose(&b64);
    return rc;
}

/* Insert the serialised ds:Signature into out at b->splice_at. */
static lts_status splice_signature(builder *b, lts_buf *out)
{
    lts_status rc = LTS_OK;
    xmlBufferPtr xb = NULL;
    size_t len, at = b->splice_at;

    LTS_ALLOC(xb = xmlBufferCreate());
    LTS_ENSURE(xmlNodeDump(xb, b->doc, b->sig, 0, 0) > 0, LTS_E_NOMEM,
               "cannot serialise the signature");
    len = (size_t)xmlBufferLength(xb);
    LTS_ENSURE(at <= out->n, LTS_E_INTERNAL, "signature position out of range");
    LTS_TRY(lts_buf_reserve(out, len));
    memmove(out->p + at + len, out->p + at, out->n - at);
    memcpy(out->p + at, xmlBufferContent(xb), len);
    out->n += len;
out:
    xmlBufferFree(xb);
    return rc;
}

/* Place the content and make the data reference, per packaging. */
static lts_status place_data(builder *b, const char *path, const lts_xades_sign_opts *o,
                             lts_sig_alg alg, STACK_OF(X509) *chain, const char **mime,
                             lts_buf *out)
{
    lts_status rc = LTS_OK;
    lts_buf content = LTS_BUF_INIT, b64 = LTS_BUF_INIT;
    lts_xml_ids dups = { 0 };
    xmlDocPtr src = NULL;
    xmlNodePtr obj, copy;
    char *pathcopy = NULL;
    xmlChar *esc = NULL;
    const char *exc[] = { LTS_URI_EXC_C14N };
    const char *env[] = { LTS_URI_ENVELOPED, LTS_URI_EXC_C14N };
    const char *b64t[] = { LTS_URI_BASE64 };

    switch (o->packaging) {
    case LTS_XADES_ENVELOPED: {
        int done = 0;
        *mime = "text/xml";
        /* B-LTA / ES-A time-stamp the references' outputs from the tree */
        if (o->level != LTS_LEVEL_B_LTA && o->level != LTS_LEVEL_ES_A)
            LTS_TRY(enveloped_stream(b, path, alg, chain, out, &done));
        if (done)
            break;
        LTS_TRY(lts_xades__parse_file(&b->doc, path));
        LTS_TRY(lts_xades__register_ids(b->doc, NULL, &dups));
        LTS_TRY(build_skeleton(b, xmlDocGetRootElement(b->doc), NULL, alg, chain));
        LTS_TRY(add_reference(b, &b->data_ref, "-ref0", "", NULL, env, 2, alg.hash));
        break;
    }
    case LTS_XADES_INTERNAL: {
        xmlAttrPtr target;
        xmlNodePtr parent = NULL, after = NULL, root;
        LTS_ENSURE(o->target_id && *o->target_id, LTS_E_CONFIG,
                   "XAdES internal-detached signing needs the Id of the signed element");
        LTS_TRY(lts_xades__parse_file(&b->doc, path));
        LTS_TRY(lts_xades__register_ids(b->doc, o->target_id, &dups));
        LTS_ENSURE(!lts_xades__ids_has(&dups, o->target_id), LTS_E_INPUT,
                   "%s: the Id '%s' is not unique", path, o->target_id);
        target = xmlGetID(b->doc, (const xmlChar *)o->target_id);
        LTS_ENSURE(target && target->parent, LTS_E_INPUT, "%s: no element with Id '%s'", path,
                   o->target_id);
        root = xmlDocGetRootElement(b->doc);
        if (o->placement) {
            for (xmlNodePtr n = root; n; n = lts_xades__next(n, root))
                if (lts_xades__is(n, o->placement, NULL)) {
                    LTS_ENSURE(parent == NULL, LTS_E_INPUT, "%s: more than one %s element",
                               path, o->placement);
                    parent = n;
                }
            LTS_ENSURE(parent != NULL, LTS_E_INPUT, "%s: no %s element to hold the signature",
                       path, o->placement);
        } else {
            after = target->parent;
            parent = after->parent;
            LTS_ENSURE(parent && parent->type == XML_ELEMENT_NODE, LTS_E_INPUT,
                       "%s: the signed element must not be the root element", path);
        }
        LTS_TRY(build_skeleton(b, parent, after, alg, chain));
        snprintf(b->buf, sizeof b->buf, "#%s", o->target_id);
        LTS_TRY(add_reference(b, &b->data_ref, "-ref0", b->buf, NULL, exc, 1, alg.hash));
        *mime = "text/xml";
        break;
    }
    case LTS_XADES_ENVELOPING: {
        int is_xml = 0;
        LTS_TRY(lts_io__read_file(&content, path, LTS_XADES_MAX_DOC));
        LTS_ALLOC(b->doc = xmlNewDoc((const xmlChar *)"1.0"));
        if (looks_like_xml(lts_buf_span(&content)))
            is_xml = lts_xades__parse(&src, lts_buf_span(&content), path) == LTS_OK;
        lts_error_clear();
        LTS_TRY(build_skeleton(b, NULL, NULL, alg, chain));
        LTS_ALLOC(obj = el(b->sig, b->ds, "Object", NULL));
        LTS_TRY(set_id(b, obj, "-Object"));
        snprintf(b->buf, sizeof b->buf, "#%s-Object", b->sid);
        if (is_xml) {
            /* the parsed root moves into ds:Object (no second tree); its names are copied
             * out of the source's dictionary, namespaces reconciled */
            lts_buf_dispose(&content);
            copy = xmlDocGetRootElement(src);
            xmlUnlinkNode(copy);
            if (xmlDOMWrapAdoptNode(NULL, src, copy, b->doc, obj, 0) != 0 ||
                xmlAddChild(obj, copy) == NULL) {
                xmlAddChild((xmlNodePtr)src, copy); /* freed with src, wherever it got */
                LTS_FAIL(LTS_E_NOMEM, "cannot move the document into ds:Object");
            }
            b->sid_free = 0; /* foreign Ids came in */
            LTS_ALLOC(xmlSetProp(obj, (const xmlChar *)"MimeType", (const xmlChar *)"text/xml"));
            LTS_TRY(add_reference(b, &b->data_ref, "-ref0", b->buf, NULL, exc, 1, alg.hash));
            *mime = "text/xml";
        } else {
            LTS_TRY(lts_b64__encode(&b64, lts_buf_span(&content)));
            LTS_ALLOC(xmlSetProp(obj, (const xmlChar *)"Encoding", (const xmlChar *)LTS_URI_BASE64));
            xmlNodeAddContent(obj, (const xmlChar *)b64.p);
            LTS_TRY(add_reference(b, &b->data_ref, "-ref0", b->buf, NULL, b64t, 1, alg.hash));
            *mime = "application/octet-stream";
        }
        break;
    }
    case LTS_XADES_DETACHED: {
        const char *uri = o->detached_uri;
        uint64_t size = 0;
        LTS_TRY(lts_io__file_size(path, &size));
        LTS_ALLOC(b->doc = xmlNewDoc((const xmlChar *)"1.0"));
        LTS_TRY(build_skeleton(b, NULL, NULL, alg, chain));
        if (uri == NULL) {
            LTS_ALLOC(pathcopy = lts_strdup(path));
            LTS_ALLOC(esc = xmlURIEscapeStr((const xmlChar *)basename(pathcopy),
                                            (const xmlChar *)"-._~"));
            uri = (const char *)esc;
        }
        LTS_TRY(add_reference(b, &b->data_ref, "-ref0", uri, NULL, NULL, 0, alg.hash));
        b->data_external = 1;
        *mime = "application/octet-stream";
        break;
    }
    default: LTS_FAIL(LTS_E_CONFIG, "unknown XAdES packaging %d", (int)o->packaging);
    }
out:
    xmlFreeDoc(src);
    xmlFree(esc);
    lts_free(pathcopy);
    lts_xades__ids_free(&dups);
    lts_buf_dispose(&content);
    lts_buf_dispose(&b64);
    return rc;
}

static lts_status make_sid(builder *b, const lts_xades_sign_opts *o)
{
    lts_status rc = LTS_OK;
    uint8_t rnd[8];
    if (o->signature_id) {
        LTS_ENSURE(*o->signature_id && strlen(o->signature_id) < 64 &&
                       xmlValidateNCName((const xmlChar *)o->signature_id, 0) == 0,
                   LTS_E_CONFIG, "bad XAdES signature Id '%s'", o->signature_id);
        snprintf(b->sid, sizeof b->sid, "%s", o->signature_id);
    } else {
        LTS_OSSL(RAND_bytes(rnd, sizeof rnd) == 1, "RAND_bytes");
        snprintf(b->sid, sizeof b->sid, "xades-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
                 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    }
out:
    return rc;
}

lts_status lts_xades_sign_file(lts_buf *out, lts_signer *signer, const char *path,
                               const lts_xades_sign_opts *opts)
{
    lts_status rc = LTS_OK;
    lts_xades_sign_opts def = LTS_XADES_SIGN_OPTS_INIT;
    builder b;
    lts_sig_alg alg;
    X509 *cert;
    STACK_OF(X509) *chain;
    const char *mime = NULL;
    const char *exc[] = { LTS_URI_EXC_C14N };
    xmlChar *mem = NULL;
    int memlen = 0, ok = 0;
    lts_xml_quiet q;
    size_t out_n0 = out->n;

    memset(&b, 0, sizeof b);
    lts_xades__quiet_begin(&q);
    if (opts == NULL)
        opts = &def;
    LTS_ENSURE(opts->version >= 1, LTS_E_CONFIG, "XAdES signing options not initialised");
    LTS_TRY(lts_xades__init());
    LTS_ENSURE(opts->tsa != NULL || opts->level == 0 || opts->level == LTS_LEVEL_B_B,
               LTS_E_CONFIG, "XAdES level %s needs a timestamp authority",
               lts_level_name(opts->level));
    LTS_TRY(lts_signer_default_alg(signer, opts->hash ? opts->hash : LTS_HASH_SHA256, &alg));
    LTS_ENSURE(alg.scheme == LTS_SCHEME_RSA_PKCS1 || alg.scheme == LTS_SCHEME_ECDSA,
               LTS_E_UNSUPPORTED, "XAdES: signature scheme %s is not supported",
               lts_scheme_name(alg.scheme));
    cert = lts_signer_get0_cert(signer);
    chain = lts_signer_get0_chain(signer);
    LTS_ENSURE(cert && chain, LTS_E_INTERNAL, "the signer has no certificate");
    LTS_TRY(make_sid(&b, opts));
    LTS_TRY(place_data(&b, path, opts, alg, chain, &mime, out));
    if (opts->mime_type)
        mime = opts->mime_type;
    if (opts->keyinfo_reference) {
        snprintf(b.buf, sizeof b.buf, "#%s-KeyInfo", b.sid);
        LTS_TRY(add_reference(&b, &b.ki_ref, NULL, b.buf, NULL, exc, 1, alg.hash));
    }
    LTS_TRY(build_signed_props(&b, cert, alg.hash, lts_clock_now(opts->clock), mime));
    snprintf(b.buf, sizeof b.buf, "#%s-SignedProperties", b.sid);
    LTS_TRY(add_reference(&b, &b.sp_ref, NULL, b.buf, LTS_XADES_SP_TYPE, exc, 1, alg.hash));

    if (b.data_external)
        LTS_TRY(digest_external(b.data_ref, path, alg.hash));
    else if (!b.data_done)
        LTS_TRY(lts_xades__reference(b.data_ref, 1, &ok));
    if (b.ki_ref)
        LTS_TRY(lts_xades__reference(b.ki_ref, 1, &ok));
    LTS_TRY(lts_xades__reference(b.sp_ref, 1, &ok));
    LTS_TRY(sign_signed_info(&b, signer, alg, cert));
    if (opts->level != 0 && opts->level != LTS_LEVEL_B_B) {
        snprintf(b.buf, sizeof b.buf, "%s-SignatureTimeStamp", b.sid);
        LTS_TRY(lts_xades__add_sig_timestamp(b.qp, b.ds, b.xa, b.sv, opts->tsa, alg.hash, b.buf));
    }
    if (opts->level == LTS_LEVEL_B_LT || opts->level == LTS_LEVEL_ES_XL ||
        opts->level == LTS_LEVEL_B_LTA || opts->level == LTS_LEVEL_ES_A)
        LTS_TRY(lts_xades__add_ltv(b.qp, b.ds, b.xa, opts->vdata, opts->trust_file, opts->clock,
                                   chain, opts->level == LTS_LEVEL_ES_XL ||
                                              opts->level == LTS_LEVEL_ES_A));
    if (opts->level == LTS_LEVEL_B_LTA || opts->level == LTS_LEVEL_ES_A) {
        snprintf(b.buf, sizeof b.buf, "%s-ArchiveTimeStamp", b.sid);
        LTS_TRY(lts_xades__add_archive_timestamp(b.sig, b.qp, b.ds, b.xa, opts->tsa, alg.hash,
                                                 b.buf, b.data_external ? path : NULL));
    }

    if (b.spliced) {
        LTS_TRY(splice_signature(&b, out));
    } else {
        xmlDocDumpMemoryEnc(b.doc, &mem, &memlen, "UTF-8");
        LTS_ENSURE(mem != NULL && memlen > 0, LTS_E_NOMEM, "cannot serialise the signed XML");
        LTS_TRY(lts_buf_append(out, mem, (size_t)memlen));
    }
out:
    if (rc != LTS_OK)
        out->n = out_n0; /* nothing half-written */
    if (rc != LTS_OK && lts_error_last()->message[0] != '\0' &&
        strncmp(lts_error_last()->message, path, strlen(path)) != 0)
        lts_err__wrap("%s", path);
    xmlFree(mem);
    xmlFreeDoc(b.doc);
    lts_xades__quiet_end(&q);
    return rc;
}
