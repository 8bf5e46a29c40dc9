/* formats/xades/xml.c — safe XML parsing, Id registration, tree walking, C14N and the
 * xmlsec reference processing shared by signing and checking. */
#define LTS_MODULE "xades"
#include "xades_int.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/valid.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/nodeset.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/crypto.h>
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

/* The text of the last xmlsec error on this thread: xmlsec reports errors through one
 * process-wide callback (set once in init), which must not print; like core/err.c, the
 * text is kept per thread. */
static _Thread_local char xmlsec_err[256];

static void xmlsec_error_cb(const char *file, int line, const char *func, const char *obj,
                            const char *subject, int reason, const char *msg)
{
    (void)file;
    (void)line;
    if (xmlsec_err[0] != '\0')
        return; /* keep the first (innermost) error of a failing call */
    snprintf(xmlsec_err, sizeof xmlsec_err, "%s%s%s%s%s (reason %d)", func ? func : "",
             subject ? ": " : "", subject ? subject : "", msg && *msg ? ": " : "",
             msg ? msg : "", reason);
    (void)obj;
}

const char *lts_xades__xmlsec_error(void)
{
    return xmlsec_err;
}

void lts_xades__xmlsec_error_clear(void)
{
    xmlsec_err[0] = '\0';
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;

static void do_init(void)
{
    xmlInitParser();
    init_result = -1;
    if (xmlSecInit() < 0)
        return;
    if (xmlSecCheckVersion() != 1)
        return;
    if (xmlSecCryptoAppInit(NULL) < 0)
        return;
    if (xmlSecCryptoInit() < 0)
        return;
    xmlSecErrorsSetCallback(xmlsec_error_cb);
    init_result = 0;
}

lts_status lts_xades__init(void)
{
    lts_status rc = LTS_OK;
    pthread_once(&init_once, do_init);
    LTS_ENSURE(init_result == 0, LTS_E_INTERNAL, "xmlsec1 could not be initialised: %s",
               xmlsec_err);
out:
    return rc;
}

static void quiet_structured(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

void lts_xades__quiet_begin(lts_xml_quiet *q)
{
    q->func = (void *)xmlStructuredError;
    q->ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(NULL, quiet_structured);
    lts_xades__xmlsec_error_clear();
}

void lts_xades__quiet_end(const lts_xml_quiet *q)
{
    xmlSetStructuredErrorFunc(q->ctx, (xmlStructuredErrorFunc)q->func);
}

/* --- parsing -------------------------------------------------------------------------- */

/* SAX hooks that stop the parser at the first entity or attribute-list declaration: no
 * entity is ever expanded (XXE, billion laughs) and no DTD can turn attributes into IDs. */
typedef struct {
    int refused;
} parse_guard;

static void stop(void *ctx)
{
    xmlParserCtxtPtr p = ctx;
    parse_guard *g = p->_private;
    if (g)
        g->refused = 1;
    xmlStopParser(p);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
                           const xmlChar *sys, xmlChar *content)
{
    (void)name, (void)type, (void)pub, (void)sys, (void)content;
    stop(ctx);
}

static void on_unparsed_entity(void *ctx, const xmlChar *name, const xmlChar *pub,
                               const xmlChar *sys, const xmlChar *notation)
{
    (void)name, (void)pub, (void)sys, (void)notation;
    stop(ctx);
}

static void on_attr_decl(void *ctx, const xmlChar *elem, const xmlChar *name, int type, int def,
                         const xmlChar *dflt, xmlEnumerationPtr tree)
{
    (void)elem, (void)name, (void)type, (void)def, (void)dflt;
    xmlFreeEnumeration(tree); /* the callee owns it (libxml2 SAX2 contract) */
    stop(ctx);
}

static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
    /* Predefined entities (&lt; ...) never reach here; anything else is refused. */
    (void)name;
    stop(ctx);
    return NULL;
}

lts_status lts_xades__parse(xmlDocPtr *out, lts_span data, const char *what)
{
    lts_status rc = LTS_OK;
    xmlParserCtxtPtr p = NULL;
    xmlDocPtr doc = NULL;
    parse_guard g = { 0 };
    lts_xml_quiet q;
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

    *out = NULL;
    lts_xades__quiet_begin(&q);
    LTS_TRY(lts_xades__init());
    LTS_ENSURE(data.n <= LTS_XADES_MAX_DOC && data.n <= (size_t)INT_MAX, LTS_E_INPUT,
               "%s: XML document too large (%zu bytes)", what, data.n);
    if (data.n > LTS_XADES_HUGE_FROM)
        opts |= XML_PARSE_HUGE;
    LTS_ALLOC(p = xmlNewParserCtxt());
    p->_private = &g;
    p->sax->entityDecl = on_entity_decl;
    p->sax->unparsedEntityDecl = on_unparsed_entity;
    p->sax->attributeDecl = on_attr_decl;
    p->sax->getEntity = on_get_entity;
    p->sax->getParameterEntity = on_get_entity;
    doc = xmlCtxtReadMemory(p, (const char *)data.p, (int)data.n, NULL, NULL, opts);
    if (g.refused)
        LTS_FAIL(LTS_E_INPUT, "%s: the XML document declares entities or attribute types in a "
                              "DTD; refused (XXE / entity expansion)", what);
    if (doc == NULL) {
        xmlErrorPtr e = xmlCtxtGetLastError(p);
        char msg[160] = "not well-formed";
        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
            msg[strcspn(msg, "\n")] = '\0';
        }
        LTS_FAIL(LTS_E_INPUT, "%s: not well-formed XML (line %d: %s)", what, e ? e->line : 0,
                 msg);
    }
    LTS_ENSURE(xmlDocGetRootElement(doc) != NULL, LTS_E_INPUT, "%s: XML without a root element",
               what);
    *out = doc;
    doc = NULL;
out:
    xmlFreeDoc(doc);
    if (p) {
        p->_private = NULL;
        xmlFreeParserCtxt(p);
    }
    lts_xades__quiet_end(&q);
    return rc;
}

lts_status lts_xades__parse_file(xmlDocPtr *out, const char *path)
{
    lts_status rc = LTS_OK;
    lts_buf b = LTS_BUF_INIT;
    *out = NULL;
    LTS_TRY(lts_io__read_file(&b, path, LTS_XADES_MAX_DOC));
    LTS_TRY(lts_xades__parse(out, lts_buf_span(&b), path));
out:
    lts_buf_dispose(&b);
    return rc;
}

/* --- tree helpers ------------------------------------------------------------------------ */

xmlNodePtr lts_xades__next(xmlNodePtr n, xmlNodePtr top)
{
    xmlNodePtr c;
    for (c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    while (n && n != top) {
        for (c = n->next; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE)
                return c;
        n = n->parent;
    }
    return NULL;
}

int lts_xades__is(xmlNodePtr n, const char *name, const char *ns)
{
    if (n == NULL || n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0)
        return 0;
    if (ns == NULL)
        return 1;
    return n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

xmlNodePtr lts_xades__first_el(xmlNodePtr parent)
{
    xmlNodePtr c;
    for (c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

xmlNodePtr lts_xades__next_el(xmlNodePtr n)
{
    for (n = n ? n->next : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return n;
    return NULL;
}

xmlNodePtr lts_xades__child(xmlNodePtr parent, const char *name, const char *ns)
{
    xmlNodePtr c;
    for (c = lts_xades__first_el(parent); c; c = lts_xades__next_el(c))
        if (lts_xades__is(c, name, ns))
            return c;
    return NULL;
}

const char *lts_xades__attr(xmlNodePtr n, const char *name)
{
    /* Entities are refused by the parser, so an attribute's value is one text node (none
     * for ""): its content can be lent without copying. */
    xmlAttrPtr a = n ? xmlHasNsProp(n, (const xmlChar *)name, NULL) : NULL;
    if (a == NULL || a->type != XML_ATTRIBUTE_NODE)
        return NULL;
    if (a->children == NULL)
        return "";
    if (a->children->type != XML_TEXT_NODE || a->children->next != NULL ||
        a->children->content == NULL)
        return NULL;
    return (const char *)a->children->content;
}

lts_status lts_xades__text(xmlNodePtr n, lts_buf *out)
{
    lts_status rc = LTS_OK;
    xmlChar *v = NULL;
    out->n = 0;
    LTS_ALLOC(v = xmlNodeGetContent(n));
    LTS_TRY(lts_buf_append(out, v, strlen((const char *)v)));
    LTS_TRY(lts_buf_nul(out));
out:
    xmlFree(v);
    return rc;
}

/* --- Ids ---------------------------------------------------------------------------------- */

int lts_xades__ids_has(const lts_xml_ids *ids, const char *v)
{
    for (size_t i = 0; i < ids->n; i++)
        if (strcmp(ids->v[i], v) == 0)
            return 1;
    return 0;
}

void lts_xades__ids_free(lts_xml_ids *ids)
{
    for (size_t i = 0; i < ids->n; i++)
        lts_free(ids->v[i]);
    lts_free(ids->v);
    memset(ids, 0, sizeof *ids);
}

static lts_status ids_add(lts_xml_ids *ids, const char *v)
{
    lts_status rc = LTS_OK;
    if (lts_xades__ids_has(ids, v))
        goto out;
    if (ids->n == ids->cap) {
        size_t cap = ids->cap ? ids->cap * 2 : 4;
        char **nv = NULL;
        LTS_ALLOC(nv = lts_realloc(ids->v, cap * sizeof *nv));
        ids->v = nv;
        ids->cap = cap;
    }
    LTS_ALLOC(ids->v[ids->n] = lts_strdup(v));
    ids->n++;
out:
    return rc;
}

static int is_id_name(const xmlChar *name)
{
    return strcmp((const char *)name, "Id") == 0 || strcmp((const char *)name, "ID") == 0 ||
           strcmp((const char *)name, "id") == 0;
}

lts_status lts_xades__register_ids(xmlDocPtr doc, lts_xml_ids *dups)
{
    lts_status rc = LTS_OK;
    xmlNodePtr root = xmlDocGetRootElement(doc), n;
    xmlChar *v = NULL;

    for (n = root; n; n = lts_xades__next(n, root)) {
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
            xmlAttrPtr have;
            int is_xml_id = a->ns && a->ns->href &&
                            strcmp((const char *)a->ns->href,
                                   "http://www.w3.org/XML/1998/namespace") == 0 &&
                            strcmp((const char *)a->name, "id") == 0;
            if (!is_xml_id && (a->ns != NULL || !is_id_name(a->name)))
                continue;
            LTS_ALLOC(v = xmlNodeListGetString(doc, a->children, 1));
            have = xmlGetID(doc, v);
            if (have == NULL) {
                if (xmlAddID(NULL, doc, v, a) == NULL)
                    LTS_TRY(ids_add(dups, (const char *)v));
            } else if (have != a) {
                LTS_TRY(ids_add(dups, (const char *)v));
            }
            xmlFree(v);
            v = NULL;
        }
    }
out:
    xmlFree(v);
    return rc;
}

/* --- C14N and references through xmlsec ---------------------------------------------------- */

lts_status lts_xades__c14n(xmlNodePtr method, xmlNodePtr node, lts_buf *out)
{
    lts_status rc = LTS_OK;
    xmlSecTransformCtx ctx;
    int have_ctx = 0;
    xmlSecNodeSetPtr ns = NULL;
    const char *alg = lts_xades__attr(method, "Algorithm");
    lts_xml_quiet q;

    lts_xades__quiet_begin(&q);
    LTS_ENSURE(lts_xades__is_c14n_uri(alg), LTS_E_UNSUPPORTED,
               "unsupported canonicalisation method '%s'", alg ? alg : "");
    LTS_ENSURE(xmlSecTransformCtxInitialize(&ctx) >= 0, LTS_E_NOMEM, "xmlSecTransformCtx");
    have_ctx = 1;
    if (xmlSecTransformCtxNodeRead(&ctx, method, xmlSecTransformUsageC14NMethod) == NULL)
        LTS_FAIL(LTS_E_INPUT, "bad CanonicalizationMethod: %s", lts_xades__xmlsec_error());
    LTS_ALLOC(ns = xmlSecNodeSetGetChildren(node->doc, node, 1, 0));
    if (xmlSecTransformCtxXmlExecute(&ctx, ns) < 0 || ctx.result == NULL)
        LTS_FAIL(LTS_E_INPUT, "canonicalisation failed: %s", lts_xades__xmlsec_error());
    LTS_TRY(lts_buf_append(out, xmlSecBufferGetData(ctx.result), xmlSecBufferGetSize(ctx.result)));
out:
    xmlSecNodeSetDestroy(ns);
    if (have_ctx)
        xmlSecTransformCtxFinalize(&ctx);
    lts_xades__quiet_end(&q);
    return rc;
}

/* The transforms (and digests) a Reference may use: xmlsec refuses anything else, so no
 * XSLT, XPath or remote retrieval method can run on a document under check. */
static lts_status enable_transforms(xmlSecDSigCtxPtr d)
{
    lts_status rc = LTS_OK;
    xmlSecTransformId ids[] = {
        xmlSecTransformEnvelopedId,      xmlSecTransformInclC14NId,
        xmlSecTransformInclC14NWithCommentsId, xmlSecTransformInclC14N11Id,
        xmlSecTransformInclC14N11WithCommentsId, xmlSecTransformExclC14NId,
        xmlSecTransformExclC14NWithCommentsId, xmlSecTransformBase64Id,
        xmlSecTransformSha256Id,         xmlSecTransformSha384Id,
        xmlSecTransformSha512Id,
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        LTS_ENSURE(xmlSecDSigCtxEnableReferenceTransform(d, ids[i]) >= 0, LTS_E_NOMEM,
                   "xmlSecDSigCtxEnableReferenceTransform");
out:
    return rc;
}

/* xmlsec 1.2.37 leaks its output buffer when its base64 transform fails on XML input. So
 * a Reference with the base64 transform is accepted only over an element (named by
 * "#id") whose content is text only and valid base64 (whitespace allowed): anything else
 * is refused here, before xmlsec sees it. */
static lts_status base64_input_ok(xmlNodePtr ref)
{
    lts_status rc = LTS_OK;
    xmlNodePtr ts = lts_xades__child(ref, "Transforms", LTS_NS_DS), target;
    const char *uri = lts_xades__attr(ref, "URI");
    xmlAttrPtr a;
    int has_b64 = 0;
    size_t n = 0, pad = 0;

    for (xmlNodePtr t = lts_xades__first_el(ts); t; t = lts_xades__next_el(t)) {
        const char *alg = lts_xades__attr(t, "Algorithm");
        if (alg && strcmp(alg, LTS_URI_BASE64) == 0)
            has_b64 = 1;
    }
    if (!has_b64)
        goto out;
    a = uri && uri[0] == '#' ? xmlGetID(ref->doc, (const xmlChar *)uri + 1) : NULL;
    target = a ? a->parent : NULL;
    LTS_ENSURE(target != NULL, LTS_E_INPUT, "Reference '%s': the base64 transform needs a "
                                            "same-document element named by its Id",
               uri ? uri : "");
    for (xmlNodePtr c = target->children; c; c = c->next) {
        LTS_ENSURE(c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE, LTS_E_INPUT,
                   "Reference '%s': base64 content with markup", uri);
        for (const xmlChar *p = c->content; p && *p; p++) {
            if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
                continue;
            LTS_ENSURE(pad == 0 || *p == '=', LTS_E_INPUT,
                       "Reference '%s': the content is not base64", uri);
            if (*p == '=')
                pad++;
            else
                LTS_ENSURE((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                               (*p >= '0' && *p <= '9') || *p == '+' || *p == '/',
                           LTS_E_INPUT, "Reference '%s': the content is not base64", uri);
            n++;
        }
    }
    LTS_ENSURE(n % 4 == 0 && pad <= 2, LTS_E_INPUT, "Reference '%s': the content is not base64",
               uri);
out:
    return rc;
}

lts_status lts_xades__reference_octets(xmlNodePtr ref, lts_buf *out)
{
    lts_status rc = LTS_OK;
    xmlSecDSigCtxPtr d = NULL;
    xmlSecDSigReferenceCtxPtr r = NULL;
    xmlSecBufferPtr pre;
    lts_xml_quiet q;

    lts_xades__quiet_begin(&q);
    LTS_TRY(base64_input_ok(ref));
    LTS_ALLOC(d = xmlSecDSigCtxCreate(NULL));
    d->operation = xmlSecTransformOperationVerify;
    d->flags |= XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES;
    d->enabledReferenceUris = xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument;
    LTS_TRY(enable_transforms(d));
    LTS_ALLOC(r = xmlSecDSigReferenceCtxCreate(d, xmlSecDSigReferenceOriginSignedInfo));
    if (xmlSecDSigReferenceCtxProcessNode(r, ref) < 0)
        LTS_FAIL(LTS_E_INPUT, "Reference '%s' cannot be processed: %s",
                 r->uri ? (const char *)r->uri : "", lts_xades__xmlsec_error());
    pre = xmlSecDSigReferenceCtxGetPreDigestBuffer(r);
    LTS_ENSURE(pre != NULL, LTS_E_INTERNAL, "xmlsec kept no pre-digest data");
    LTS_TRY(lts_buf_append(out, xmlSecBufferGetData(pre), xmlSecBufferGetSize(pre)));
out:
    xmlSecDSigReferenceCtxDestroy(r);
    if (d)
        xmlSecDSigCtxDestroy(d);
    lts_xades__quiet_end(&q);
    return rc;
}

lts_status lts_xades__reference(xmlNodePtr ref, int sign, int *ok)
{
    lts_status rc = LTS_OK;
    xmlSecDSigCtxPtr d = NULL;
    xmlSecDSigReferenceCtxPtr r = NULL;
    lts_xml_quiet q;

    lts_xades__quiet_begin(&q);
    if (ok)
        *ok = 0;
    LTS_TRY(base64_input_ok(ref));
    LTS_ALLOC(d = xmlSecDSigCtxCreate(NULL));
    d->operation = sign ? xmlSecTransformOperationSign : xmlSecTransformOperationVerify;
    d->enabledReferenceUris = xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument;
    LTS_TRY(enable_transforms(d));
    LTS_ALLOC(r = xmlSecDSigReferenceCtxCreate(d, xmlSecDSigReferenceOriginSignedInfo));
    if (xmlSecDSigReferenceCtxProcessNode(r, ref) < 0)
        LTS_FAIL(LTS_E_INPUT, "Reference '%s' cannot be processed: %s",
                 r->uri ? (const char *)r->uri : "", lts_xades__xmlsec_error());
    if (ok)
        *ok = r->status == xmlSecDSigStatusSucceeded;
out:
    xmlSecDSigReferenceCtxDestroy(r);
    if (d)
        xmlSecDSigCtxDestroy(d);
    lts_xades__quiet_end(&q);
    return rc;
}
