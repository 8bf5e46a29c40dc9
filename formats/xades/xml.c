/* formats/xades/xml.c — safe XML parsing, Id registration, tree walking, C14N and the
 * xmlsec reference processing shared by signing and checking. */
#define LTS_MODULE "xades"
#include "xades_int.h"

#include <limits.h>
#include <stdint.h>
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

/* Append a copy of v (no check that it is new). */
static lts_status ids_push(lts_xml_ids *ids, const char *v)
{
    lts_status rc = LTS_OK;
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

static lts_status ids_add(lts_xml_ids *ids, const char *v)
{
    if (lts_xades__ids_has(ids, v))
        return LTS_OK;
    return ids_push(ids, v);
}

static int is_id_name(const xmlChar *name)
{
    return strcmp((const char *)name, "Id") == 0 || strcmp((const char *)name, "ID") == 0 ||
           strcmp((const char *)name, "id") == 0;
}

static int is_id_attr(xmlAttrPtr a)
{
    if (a->ns != NULL)
        return a->ns->href &&
               strcmp((const char *)a->ns->href, "http://www.w3.org/XML/1998/namespace") == 0 &&
               strcmp((const char *)a->name, "id") == 0;
    return is_id_name(a->name);
}

/* The value of an attribute without a copy when it is one text node (the usual case);
 * otherwise a copy in *tmp (xmlFree). NULL when out of memory. */
static const xmlChar *attr_value(xmlDocPtr doc, xmlAttrPtr a, xmlChar **tmp)
{
    *tmp = NULL;
    if (a->children == NULL)
        return (const xmlChar *)"";
    if (a->children->next == NULL && a->children->type == XML_TEXT_NODE &&
        a->children->content != NULL)
        return a->children->content;
    *tmp = xmlNodeListGetString(doc, a->children, 1);
    return *tmp;
}

/* A set of strings (borrowed), open addressing with linear probing, sized once. */
typedef struct {
    const xmlChar **v;
    uint8_t *dup; /* the value was seen more than once (reported once) */
    size_t mask;
} str_set;

static uint64_t str_hash(const xmlChar *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= *s;
        h *= 1099511628211ULL;
    }
    return h;
}

static lts_status set_init(str_set *t, size_t count)
{
    lts_status rc = LTS_OK;
    size_t cap = 16;
    while (cap < 2 * count + 2) {
        LTS_ENSURE(cap <= SIZE_MAX / 4 / sizeof *t->v, LTS_E_NOMEM, "too many Ids");
        cap *= 2;
    }
    LTS_ALLOC(t->v = lts_calloc(cap, sizeof *t->v));
    LTS_ALLOC(t->dup = lts_calloc(cap, 1));
    t->mask = cap - 1;
out:
    return rc;
}

static void set_free(str_set *t)
{
    lts_free(t->v);
    lts_free(t->dup);
    memset(t, 0, sizeof *t);
}

/* The slot of s: where it is, or the empty slot where it would go. */
static size_t set_slot(const str_set *t, const xmlChar *s)
{
    size_t i = (size_t)str_hash(s) & t->mask;
    while (t->v[i] != NULL && strcmp((const char *)t->v[i], (const char *)s) != 0)
        i = (i + 1) & t->mask;
    return i;
}

/* The Id a same-document URI names ("#id", "#xpointer(id('id'))"); NULL for anything else.
 * The result is a copy (lts_free). Generous on purpose: registering one Id too many costs
 * nothing, one too few makes the reference unresolvable (a refusal, never a bypass). */
static lts_status uri_target(const char *uri, char **out)
{
    lts_status rc = LTS_OK;
    const char *p;
    size_t n;
    *out = NULL;
    if (uri == NULL || uri[0] != '#' || uri[1] == '\0')
        goto out;
    p = uri + 1;
    n = strlen(p);
    if (strncmp(p, "xpointer(", 9) == 0) {
        if (strncmp(p, "xpointer(id(", 12) != 0 || n < 17 || (p[12] != '\'' && p[12] != '"') ||
            p[n - 3] != p[12] || strcmp(p + n - 2, "))") != 0)
            goto out;
        p += 13;
        n -= 16;
    }
    LTS_ALLOC(*out = lts_malloc(n + 1));
    memcpy(*out, p, n);
    (*out)[n] = '\0';
out:
    return rc;
}

lts_status lts_xades__register_ids(xmlDocPtr doc, const char *extra, lts_xml_ids *dups)
{
    lts_status rc = LTS_OK;
    xmlNodePtr root = xmlDocGetRootElement(doc), n;
    str_set all = { 0 }, refd = { 0 };
    lts_xml_ids keep = { 0 }; /* strings the sets point to that the tree does not hold */
    size_t n_ids = 0, n_uris = 0;
    xmlChar *tmp = NULL;
    char *t = NULL;

    /* pass 1: count, to size the sets once */
    for (n = root; n; n = lts_xades__next(n, root))
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
            if (is_id_attr(a))
                n_ids++;
            else if (a->ns == NULL && strcmp((const char *)a->name, "URI") == 0)
                n_uris++;
        }
    LTS_TRY(set_init(&all, n_ids));
    LTS_TRY(set_init(&refd, n_uris + 1));
    if (extra != NULL)
        refd.v[set_slot(&refd, (const xmlChar *)extra)] = (const xmlChar *)extra;

    /* pass 2: every Id value into `all` (duplicates to dups: signature wrapping); the Ids
     * named by same-document URIs (References, and any other URI attribute) into `refd` */
    for (n = root; n; n = lts_xades__next(n, root)) {
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
            const xmlChar *v;
            size_t i;
            if (is_id_attr(a)) {
                LTS_ALLOC(v = attr_value(doc, a, &tmp));
                if (tmp != NULL) { /* rare: a value of several nodes; the set keeps a copy */
                    LTS_TRY(ids_push(&keep, (const char *)tmp));
                    v = (const xmlChar *)keep.v[keep.n - 1];
                    xmlFree(tmp);
                    tmp = NULL;
                }
                i = set_slot(&all, v);
                if (all.v[i] == NULL) {
                    all.v[i] = v;
                } else if (!all.dup[i]) {
                    all.dup[i] = 1;
                    LTS_TRY(ids_push(dups, (const char *)v));
                }
            } else if (a->ns == NULL && strcmp((const char *)a->name, "URI") == 0) {
                LTS_ALLOC(v = attr_value(doc, a, &tmp));
                LTS_TRY(uri_target((const char *)v, &t));
                xmlFree(tmp);
                tmp = NULL;
                if (t != NULL) {
                    i = set_slot(&refd, (const xmlChar *)t);
                    if (refd.v[i] == NULL) {
                        LTS_TRY(ids_push(&keep, t));
                        refd.v[i] = (const xmlChar *)keep.v[keep.n - 1];
                    }
                    lts_free(t);
                    t = NULL;
                }
            }
        }
    }

    /* pass 3: xmlAddID only for the referenced Ids (and `extra`), so libxml2's ID table
     * stays small; a value another attribute already holds as an ID is a duplicate */
    for (n = root; n; n = lts_xades__next(n, root)) {
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
            const xmlChar *v;
            xmlAttrPtr have;
            if (!is_id_attr(a))
                continue;
            LTS_ALLOC(v = attr_value(doc, a, &tmp));
            if (refd.v[set_slot(&refd, v)] != NULL) {
                /* a value found twice is in dups already (pass 2) */
                int dup = all.dup[set_slot(&all, v)];
                have = xmlGetID(doc, v);
                if (have == NULL) {
                    if (xmlAddID(NULL, doc, v, a) == NULL && !dup)
                        LTS_TRY(ids_add(dups, (const char *)v));
                } else if (have != a && !dup) {
                    LTS_TRY(ids_add(dups, (const char *)v));
                }
            }
            xmlFree(tmp);
            tmp = NULL;
        }
    }
out:
    xmlFree(tmp);
    lts_free(t);
    set_free(&all);
    set_free(&refd);
    lts_xades__ids_free(&keep);
    return rc;
}

/* Any Id-like attribute equal to (or, with prefix, starting with) s? */
static int id_walk(xmlDocPtr doc, const char *s, int prefix)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    size_t sn = strlen(s);
    for (xmlNodePtr n = root; n; n = lts_xades__next(n, root))
        for (xmlAttrPtr a = n->properties; a; a = a->next)
            if (is_id_attr(a)) {
                xmlChar *tmp = NULL;
                const xmlChar *v = attr_value(doc, a, &tmp);
                int eq = v == NULL || /* no memory: taken */
                         (prefix ? strncmp((const char *)v, s, sn) == 0
                                 : strcmp((const char *)v, s) == 0);
                xmlFree(tmp);
                if (eq)
                    return 1;
            }
    return 0;
}

int lts_xades__id_taken(xmlDocPtr doc, const char *id)
{
    if (xmlGetID(doc, (const xmlChar *)id) != NULL)
        return 1;
    return id_walk(doc, id, 0);
}

int lts_xades__id_prefix_taken(xmlDocPtr doc, const char *prefix)
{
    return id_walk(doc, prefix, 1);
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
        xmlSecTransformSha1Id, /* verification of old signatures; the policy judges it */
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
