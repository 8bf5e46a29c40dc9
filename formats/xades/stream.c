/* formats/xades/stream.c — exclusive XML canonicalisation (without comments, no
 * InclusiveNamespaces) of a whole UTF-8 document, computed from SAX events straight into a
 * digest: the enveloped reference of a signature, without building the document's tree.
 *
 * W3C Exclusive XML Canonicalization 1.0 over the whole document node-set (what the
 * enveloped-signature + exc-c14n transforms of URI="" yield when the signature is not in
 * the document yet): XML declaration and DTD dropped, comments dropped, processing
 * instructions kept (a line feed between them and the document element), empty elements
 * written as start + end tag, attributes sorted by (namespace URI, local name), namespace
 * declarations rendered only where visibly utilised and not already in the output scope
 * with the same value, sorted by prefix; text and attribute values escaped as C14N says.
 *
 * Anything this pass does not handle the way the tree-based path would — a DTD, an
 * encoding other than UTF-8, a relative namespace URI, an error of any kind — makes it
 * answer `fallback`: the caller then takes the tree path (which also writes the proper
 * error message for bad input). */
#define LTS_MODULE "xades"
#include "xades_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <openssl/evp.h>
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"

#define OUT_CAP 65536
#define FEED 262144

typedef struct {
    const xmlChar *prefix; /* "" for the default namespace; parser dictionary strings */
    const xmlChar *uri;    /* "" for none */
} ns_pair;

typedef struct {
    const xmlChar *local, *prefix, *uri, *v, *ve;
} attr_ref;

typedef struct {
    xmlParserCtxtPtr ctxt;
    lts_xades_stream *res;
    const uint8_t *base;
    size_t size;
    EVP_MD_CTX *md;
    uint8_t out[OUT_CAP];
    size_t on;
    int depth, seen_root, stop; /* stop: fallback or failure decided */
    int nomem, md_fail;
    ns_pair *ns;                /* namespaces rendered in the output scope, innermost last */
    size_t n_ns, cap_ns;
    size_t *marks;              /* n_ns when each open element started */
    size_t cap_marks;
    ns_pair *cand;              /* scratch: namespaces to render on one element */
    size_t cap_cand;
    attr_ref *attrs;            /* scratch: one element's attributes, sorted */
    size_t cap_attrs;
    /* light mode: the tree of the root element's start tag and its ds:Signature children */
    int light;
    int capture;                /* depth of the ds:Signature being built (0: none) */
    int excluded;               /* inside the ds:Signature left out of the C14N */
    int no_digest;              /* the root is a ds:Signature: nothing to digest */
    uint64_t *ids, *dupids;     /* hashes of every Id value; of those seen twice */
    size_t ids_mask, n_ids, dup_mask, n_dups;
} sc;

static const xmlChar empty[] = "";

static void give_up(sc *s)
{
    s->stop = 1;
    s->res->fallback = 1;
    xmlStopParser(s->ctxt);
}

static void flush(sc *s)
{
    if (s->on == 0)
        return;
    if (s->res->octets && lts_buf_append(s->res->octets, s->out, s->on) != LTS_OK)
        s->nomem = 1;
    if (EVP_DigestUpdate(s->md, s->out, s->on) != 1)
        s->md_fail = 1;
    s->on = 0;
}

static void emit(sc *s, const void *p, size_t n)
{
    const uint8_t *b = p;
    if (s->no_digest)
        return;
    while (n > 0) {
        size_t k = OUT_CAP - s->on;
        if (k > n)
            k = n;
        memcpy(s->out + s->on, b, k);
        s->on += k;
        b += k;
        n -= k;
        if (s->on == OUT_CAP)
            flush(s);
    }
}

static void emit_s(sc *s, const xmlChar *z)
{
    emit(s, z, strlen((const char *)z));
}

/* Text (attr = 0) or attribute value (attr = 1) with the C14N escapes. In an attribute
 * value from the SAX2 parser (entities not substituted), "&#38;" stands for '&'. */
static void emit_esc(sc *s, const xmlChar *p, const xmlChar *end, int attr)
{
    const xmlChar *run = p;
    for (; p < end; p++) {
        const char *r = NULL;
        size_t skip = 1;
        switch (*p) {
        case '&':
            r = "&amp;";
            if (attr) {
                if (end - p >= 5 && memcmp(p, "&#38;", 5) == 0)
                    skip = 5;
                else
                    r = NULL; /* cannot happen (entities are refused): be safe */
            }
            break;
        case '<': r = "&lt;"; break;
        case '>': r = attr ? NULL : "&gt;"; break;
        case '"': r = attr ? "&quot;" : NULL; break;
        case '\t': r = attr ? "&#x9;" : NULL; break;
        case '\n': r = attr ? "&#xA;" : NULL; break;
        case '\r': r = "&#xD;"; break;
        default: break;
        }
        if (*p == '&' && r == NULL) {
            give_up(s);
            return;
        }
        if (r == NULL)
            continue;
        emit(s, run, (size_t)(p - run));
        emit(s, r, strlen(r));
        p += skip - 1;
        run = p + 1;
    }
    emit(s, run, (size_t)(end - run));
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    size_t c = *cap ? *cap : 8;
    void *n;
    if (need <= *cap)
        return 1;
    while (c < need)
        c *= 2;
    if ((n = lts_realloc(*p, c * size)) == NULL)
        return 0;
    *p = n;
    *cap = c;
    return 1;
}

/* Does a namespace name have a scheme ("urn:", "http:" ...)? libxml2's C14N refuses
 * relative namespace URIs; the tree path reports them. */
static int absolute_uri(const xmlChar *u)
{
    const xmlChar *p = u;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return 0;
    for (p++; *p && *p != ':'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
            return 0;
    return *p == ':';
}

static uint64_t id_hash(const xmlChar *p, const xmlChar *end)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a; a collision only costs the tree path */
    for (; p < end; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h ? h : 1; /* 0 marks an empty slot */
}

/* Insert h into an open-addressing set (mask+1 slots, at most half full); 1 = was there. */
static int hset_add(uint64_t **t, size_t *mask, size_t *n, uint64_t h, int *nomem)
{
    size_t i;
    if (*t == NULL || (*n + 1) * 2 > *mask + 1) {
        size_t cap = *t ? (*mask + 1) * 2 : 1024;
        uint64_t *nt = lts_calloc(cap, sizeof *nt);
        if (nt == NULL) {
            *nomem = 1;
            return 0;
        }
        for (size_t k = 0; *t && k <= *mask; k++)
            if ((*t)[k]) {
                for (i = (size_t)(*t)[k] & (cap - 1); nt[i]; i = (i + 1) & (cap - 1))
                    ;
                nt[i] = (*t)[k];
            }
        lts_free(*t);
        *t = nt;
        *mask = cap - 1;
    }
    for (i = (size_t)h & *mask; (*t)[i]; i = (i + 1) & *mask)
        if ((*t)[i] == h)
            return 1;
    (*t)[i] = h;
    (*n)++;
    return 0;
}

static int is_id_local(const xmlChar *n)
{
    return strcmp((const char *)n, "Id") == 0 || strcmp((const char *)n, "ID") == 0 ||
           strcmp((const char *)n, "id") == 0;
}

static int cmp_ns(const void *a, const void *b)
{
    return strcmp((const char *)((const ns_pair *)a)->prefix,
                  (const char *)((const ns_pair *)b)->prefix);
}

static int cmp_attr(const void *a, const void *b)
{
    const attr_ref *x = a, *y = b;
    int c = strcmp((const char *)x->uri, (const char *)y->uri);
    return c ? c : strcmp((const char *)x->local, (const char *)y->local);
}

/* Is (prefix, uri) already in the output scope? */
static int rendered(const sc *s, const xmlChar *prefix, const xmlChar *uri)
{
    for (size_t i = s->n_ns; i-- > 0;)
        if (strcmp((const char *)s->ns[i].prefix, (const char *)prefix) == 0)
            return strcmp((const char *)s->ns[i].uri, (const char *)uri) == 0;
    return *prefix == '\0' && *uri == '\0'; /* no default namespace anywhere: nothing to undo */
}

static void add_cand(sc *s, size_t *n, const xmlChar *prefix, const xmlChar *uri)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((const char *)s->cand[i].prefix, (const char *)prefix) == 0)
            return;
    if (!grow((void **)&s->cand, &s->cap_cand, *n + 1, sizeof *s->cand)) {
        s->nomem = 1;
        return;
    }
    s->cand[*n].prefix = prefix;
    s->cand[*n].uri = uri;
    (*n)++;
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nb_ns, const xmlChar **nsd, int nb_attr, int nb_def,
                     const xmlChar **at)
{
    sc *s = ctx;
    size_t nc = 0;
    const char *idp = s->res->id_prefix;
    size_t idn = idp ? strlen(idp) : 0;

    if (s->stop)
        return;
    if (nb_def > 0 || (s->depth == 0 && s->seen_root)) {
        give_up(s);
        return;
    }
    if (s->light) {
        int is_sig = strcmp((const char *)local, "Signature") == 0 && uri &&
                     strcmp((const char *)uri, LTS_NS_DS) == 0;
        for (int i = 0; i < nb_attr; i++) {
            const xmlChar **a = at + 5 * i;
            if ((a[1] == NULL && is_id_local(a[0])) ||
                (a[1] && strcmp((const char *)a[1], "xml") == 0 &&
                 strcmp((const char *)a[0], "id") == 0)) {
                uint64_t hv = id_hash(a[3], a[4]);
                if (hset_add(&s->ids, &s->ids_mask, &s->n_ids, hv, &s->nomem))
                    (void)hset_add(&s->dupids, &s->dup_mask, &s->n_dups, hv, &s->nomem);
            }
        }
        if (is_sig && s->capture == 0) {
            if (s->depth > 1 || (s->depth == 1 && s->res->n_sigs > 0)) {
                give_up(s); /* deeper, or a second one: the tree path */
                return;
            }
            s->res->n_sigs++;
            s->capture = s->depth + 1;
            s->excluded = s->depth == 1; /* the enveloped signature */
            s->no_digest = s->depth == 0; /* the root (enveloping, detached): no URI="" */
        }
        if (s->depth == 0 || s->capture)
            xmlSAX2StartElementNs(s->ctxt, local, prefix, uri, nb_ns, nsd, nb_attr, nb_def, at);
        if (s->nomem) {
            give_up(s);
            return;
        }
        if (s->excluded) {
            s->depth++;
            return;
        }
    }
    for (int i = 0; i < nb_ns; i++) {
        const xmlChar *u = nsd[2 * i + 1];
        if (u && *u && !absolute_uri(u)) {
            give_up(s);
            return;
        }
    }
    if (!grow((void **)&s->marks, &s->cap_marks, (size_t)s->depth + 1, sizeof *s->marks) ||
        !grow((void **)&s->attrs, &s->cap_attrs, (size_t)nb_attr + 1, sizeof *s->attrs)) {
        s->nomem = 1;
        give_up(s);
        return;
    }
    s->marks[s->depth++] = s->n_ns;
    s->seen_root = 1;

    /* visibly utilised namespaces: the element's (default included), prefixed attributes' */
    add_cand(s, &nc, prefix ? prefix : empty, uri ? uri : empty);
    for (int i = 0; i < nb_attr; i++) {
        const xmlChar **a = at + 5 * i;
        attr_ref *r = &s->attrs[i];
        r->local = a[0];
        r->prefix = a[1];
        r->uri = a[2] ? a[2] : empty;
        r->v = a[3];
        r->ve = a[4];
        if (a[1] && strcmp((const char *)a[1], "xml") != 0)
            add_cand(s, &nc, a[1], r->uri);
        if (idp && ((a[1] == NULL && is_id_local(a[0])) ||
                    (a[1] && strcmp((const char *)a[1], "xml") == 0 &&
                     strcmp((const char *)a[0], "id") == 0)) &&
            (size_t)(a[4] - a[3]) >= idn && memcmp(a[3], idp, idn) == 0)
            s->res->id_prefix_taken = 1;
    }
    if (s->nomem) {
        give_up(s);
        return;
    }
    emit(s, "<", 1);
    if (prefix) {
        emit_s(s, prefix);
        emit(s, ":", 1);
    }
    emit_s(s, local);
    if (nc > 1)
        qsort(s->cand, nc, sizeof *s->cand, cmp_ns);
    for (size_t i = 0; i < nc; i++) {
        const ns_pair *c = &s->cand[i];
        if (rendered(s, c->prefix, c->uri))
            continue;
        if (!grow((void **)&s->ns, &s->cap_ns, s->n_ns + 1, sizeof *s->ns)) {
            s->nomem = 1;
            give_up(s);
            return;
        }
        s->ns[s->n_ns++] = *c;
        emit(s, " xmlns", 6);
        if (*c->prefix) {
            emit(s, ":", 1);
            emit_s(s, c->prefix);
        }
        emit(s, "=\"", 2);
        emit_esc(s, c->uri, c->uri + strlen((const char *)c->uri), 1);
        emit(s, "\"", 1);
    }
    if (nb_attr > 1)
        qsort(s->attrs, (size_t)nb_attr, sizeof *s->attrs, cmp_attr);
    for (int i = 0; i < nb_attr; i++) {
        const attr_ref *r = &s->attrs[i];
        emit(s, " ", 1);
        if (r->prefix) {
            emit_s(s, r->prefix);
            emit(s, ":", 1);
        }
        emit_s(s, r->local);
        emit(s, "=\"", 2);
        emit_esc(s, r->v, r->ve, 1);
        emit(s, "\"", 1);
    }
    emit(s, ">", 1);
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
    sc *s = ctx;
    if (s->stop || s->depth == 0)
        return;
    if (s->light) {
        if (s->depth == 1 || s->capture)
            xmlSAX2EndElementNs(s->ctxt, local, prefix, uri);
        if (s->capture == s->depth) {
            s->capture = 0;
            if (s->excluded) {
                s->excluded = 0;
                s->depth--;
                return;
            }
        }
        if (s->excluded) {
            s->depth--;
            return;
        }
    }
    emit(s, "</", 2);
    if (prefix) {
        emit_s(s, prefix);
        emit(s, ":", 1);
    }
    emit_s(s, local);
    emit(s, ">", 1);
    s->n_ns = s->marks[--s->depth];
    if (s->depth == 0) {
        /* the parser stands right after the root's end tag: find its '<' */
        long c = xmlByteConsumed(s->ctxt);
        size_t i;
        if (s->base == NULL) { /* read from a file: the position is not needed */
            s->res->has_root_end = 1;
            return;
        }
        if (c <= 0 || (size_t)c > s->size) {
            give_up(s);
            return;
        }
        for (i = (size_t)c; i > 0 && s->base[i - 1] != '<'; i--)
            ;
        if (i == 0 || i >= s->size || s->base[i] != '/' || s->base[(size_t)c - 1] != '>') {
            give_up(s);
            return;
        }
        s->res->root_end = i - 1;
        s->res->has_root_end = 1;
    }
}

static void on_text(void *ctx, const xmlChar *p, int n)
{
    sc *s = ctx;
    if (s->stop || s->depth == 0 || n <= 0)
        return; /* outside the document element: only white space, dropped */
    if (s->capture)
        xmlSAX2Characters(s->ctxt, p, n);
    if (!s->excluded)
        emit_esc(s, p, p + n, 0);
}

static void on_cdata(void *ctx, const xmlChar *p, int n)
{
    sc *s = ctx;
    if (s->stop || s->depth == 0 || n <= 0)
        return;
    if (s->capture)
        xmlSAX2CDataBlock(s->ctxt, p, n);
    if (!s->excluded)
        emit_esc(s, p, p + n, 0);
}

static void on_comment(void *ctx, const xmlChar *v)
{
    sc *s = ctx;
    if (!s->stop && s->capture)
        xmlSAX2Comment(s->ctxt, v);
}

static void on_start_doc(void *ctx)
{
    sc *s = ctx;
    if (s->light)
        xmlSAX2StartDocument(s->ctxt);
}

static void on_end_doc(void *ctx)
{
    sc *s = ctx;
    if (s->light)
        xmlSAX2EndDocument(s->ctxt);
}

static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
    sc *s = ctx;
    const xmlChar *d = data ? data : empty;
    if (s->stop)
        return;
    if (s->capture)
        xmlSAX2ProcessingInstruction(s->ctxt, target, data);
    if (s->excluded)
        return;
    if (s->depth == 0 && s->seen_root)
        emit(s, "\n", 1);
    emit(s, "<?", 2);
    emit_s(s, target);
    if (*d) {
        emit(s, " ", 1);
        /* C14N: '\r' in a PI becomes &#xD; */
        for (const xmlChar *p = d; *p; p++)
            if (*p == '\r')
                emit(s, "&#xD;", 5);
            else
                emit(s, p, 1);
    }
    emit(s, "?>", 2);
    if (s->depth == 0 && !s->seen_root)
        emit(s, "\n", 1);
}

static void on_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    (void)name, (void)ext, (void)sys;
    give_up(ctx); /* a DTD (and the entity guards) is the tree path's business */
}

static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
    (void)name;
    give_up(ctx);
    return NULL;
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
                           const xmlChar *sys, xmlChar *content)
{
    (void)name, (void)type, (void)pub, (void)sys, (void)content;
    give_up(ctx);
}

static void on_serror(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

/* UTF-8 (a UTF-8 BOM or none, and no other encoding declared)? */
static int utf8_doc(const uint8_t *p, size_t n)
{
    size_t i = 0, end;
    if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        i = 3;
    if (n - i >= 1 && (p[i] == 0 || p[i] == 0xfe || p[i] == 0xff || p[i] == 0x4c))
        return 0; /* UTF-16/32, EBCDIC */
    if (n - i < 5 || memcmp(p + i, "<?xml", 5) != 0)
        return 1;
    for (end = i; end + 1 < n && end < i + 256; end++)
        if (p[end] == '?' && p[end + 1] == '>')
            break;
    for (size_t k = i; k + 8 <= end; k++)
        if (memcmp(p + k, "encoding", 8) == 0) {
            size_t v = k + 8;
            while (v < end && (p[v] == ' ' || p[v] == '=' || p[v] == '\t' || p[v] == '\r' ||
                               p[v] == '\n'))
                v++;
            if (v >= end || (p[v] != '"' && p[v] != '\''))
                return 0;
            v++;
            return end - v >= 6 && strncasecmp((const char *)p + v, "utf-8", 5) == 0 &&
                   p[v + 5] == p[v - 1];
        }
    return 1;
}

/* The pass over `doc` (in memory), or over the file open as fd (fd >= 0, `fsize` bytes). */
static lts_status stream(lts_span doc, int fd, uint64_t fsize, const char *path,
                         lts_xades_stream *res)
{
    lts_status rc = LTS_OK;
    sc *s = NULL;
    uint8_t *blk = NULL;
    size_t first = doc.n;
    xmlSAXHandler h;
    lts_xml_quiet q;
    const EVP_MD *md;
    unsigned int mdlen = 0;
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

    lts_xades__quiet_begin(&q);
    res->fallback = 0;
    res->has_root_end = 0;
    res->id_prefix_taken = 0;
    res->mdlen = 0;
    res->n_sigs = 0;
    res->light_doc = NULL;
    LTS_TRY(lts_xades__init());
    if (fd >= 0) {
        ssize_t r;
        LTS_ALLOC(blk = lts_malloc(FEED));
        do
            r = read(fd, blk, FEED);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            LTS_FAIL(LTS_E_IO, "%s: %s", path, strerror(errno));
        doc = lts_span_of(blk, (size_t)r);
        first = (size_t)r;
    } else {
        fsize = doc.n;
    }
    if (doc.n < 4 || fsize > LTS_XADES_MAX_DOC || !utf8_doc(doc.p, doc.n)) {
        res->fallback = 1;
        goto out;
    }
    LTS_ENSURE((md = lts_hash__md(res->hash)) != NULL, LTS_E_UNSUPPORTED,
               "unsupported digest for the reference");
    LTS_ALLOC(s = lts_calloc(1, sizeof *s));
    s->res = res;
    s->base = fd >= 0 ? NULL : doc.p;
    s->size = doc.n;
    s->light = res->light;
    LTS_ALLOC(s->md = EVP_MD_CTX_new());
    LTS_OSSL(EVP_DigestInit_ex(s->md, md, NULL) == 1, "EVP_DigestInit_ex");

    memset(&h, 0, sizeof h);
    h.initialized = XML_SAX2_MAGIC;
    h.startElementNs = on_start;
    h.endElementNs = on_end;
    h.characters = on_text;
    h.ignorableWhitespace = on_text;
    h.cdataBlock = on_cdata;
    h.comment = on_comment;
    h.startDocument = on_start_doc;
    h.endDocument = on_end_doc;
    h.processingInstruction = on_pi;
    h.internalSubset = on_dtd;
    h.externalSubset = on_dtd;
    h.getEntity = on_get_entity;
    h.getParameterEntity = on_get_entity;
    h.entityDecl = on_entity_decl;
    h.serror = on_serror;
    LTS_ALLOC(s->ctxt = xmlCreatePushParserCtxt(&h, s, (const char *)doc.p, 4, NULL));
    if (fsize > LTS_XADES_HUGE_FROM)
        opts |= XML_PARSE_HUGE;
    xmlCtxtUseOptions(s->ctxt, opts);
    for (size_t off = 4; !s->stop;) {
        size_t k = first - off > FEED ? FEED : first - off;
        int last = off + k == first && fd < 0;
        if (xmlParseChunk(s->ctxt, (const char *)doc.p + off, (int)k, last) != 0)
            break;
        off += k;
        if (last)
            break;
        if (off == first && fd >= 0) { /* the next block of the file */
            ssize_t r;
            do
                r = read(fd, blk, FEED);
            while (r < 0 && errno == EINTR);
            if (r < 0)
                LTS_FAIL(LTS_E_IO, "%s: %s", path, strerror(errno));
            if (r == 0) {
                (void)xmlParseChunk(s->ctxt, NULL, 0, 1);
                break;
            }
            first = (size_t)r;
            off = 0;
        }
    }
    LTS_ENSURE(!s->nomem, LTS_E_NOMEM, "out of memory");
    if (s->light && (s->ctxt->myDoc == NULL || xmlDocGetRootElement(s->ctxt->myDoc) == NULL))
        s->stop = 1;
    if (s->stop || !s->ctxt->wellFormed || s->ctxt->errNo != 0 || !s->res->has_root_end ||
        (s->ctxt->input && s->ctxt->input->buf && s->ctxt->input->buf->encoder)) {
        res->fallback = 1;
        goto out;
    }
    flush(s);
    LTS_ENSURE(!s->nomem, LTS_E_NOMEM, "out of memory");
    LTS_OSSL(!s->md_fail && EVP_DigestFinal_ex(s->md, res->md, &mdlen) == 1, "EVP_Digest");
    res->mdlen = mdlen;
    if (s->light) {
        res->light_doc = s->ctxt->myDoc;
        s->ctxt->myDoc = NULL;
        res->dup_ids = s->dupids;
        res->dup_mask = s->dup_mask;
        s->dupids = NULL;
    }
out:
    if (s) {
        if (s->ctxt) {
            xmlFreeDoc(s->ctxt->myDoc);
            s->ctxt->myDoc = NULL;
            xmlFreeParserCtxt(s->ctxt);
        }
        lts_free(s->ids);
        lts_free(s->dupids);
        EVP_MD_CTX_free(s->md);
        lts_free(s->ns);
        lts_free(s->marks);
        lts_free(s->cand);
        lts_free(s->attrs);
        lts_free(s);
    }
    lts_free(blk);
    lts_xades__quiet_end(&q);
    return rc;
}

lts_status lts_xades__stream_c14n(lts_span doc, lts_xades_stream *res)
{
    return stream(doc, -1, 0, NULL, res);
}

lts_status lts_xades__stream_c14n_file(const char *path, lts_xades_stream *res)
{
    lts_status rc = LTS_OK;
    int fd = -1;
    struct stat st;

    res->fallback = 0;
    res->light_doc = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > LTS_XADES_MAX_DOC) {
        res->fallback = 1; /* the tree path names the problem */
        goto out;
    }
    LTS_TRY(stream(lts_span_of(NULL, 0), fd, (uint64_t)st.st_size, path, res));
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

int lts_xades__stream_id_dup(const lts_xades_stream *res, const char *id)
{
    uint64_t h = id_hash((const xmlChar *)id, (const xmlChar *)id + strlen(id));
    if (res->dup_ids == NULL)
        return 0;
    for (size_t i = (size_t)h & res->dup_mask; res->dup_ids[i]; i = (i + 1) & res->dup_mask)
        if (res->dup_ids[i] == h)
            return 1;
    return 0;
}

void lts_xades__stream_dispose(lts_xades_stream *res)
{
    xmlFreeDoc(res->light_doc);
    res->light_doc = NULL;
    lts_free(res->dup_ids);
    res->dup_ids = NULL;
}
