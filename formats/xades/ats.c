/* formats/xades/ats.c — the archive timestamp (EN 319 132-1 §5.5.2 xades141:ArchiveTimeStamp,
 * not distributed case; TS 101 903 v1.3.2 §7.7 xades:ArchiveTimeStamp is also checked).
 * Its time-stamped data is, in order, each digested as one octet stream:
 *   1. every ds:Reference's output after its transforms (an external one: the file);
 *   2. C14N(ds:SignedInfo), C14N(ds:SignatureValue), C14N(ds:KeyInfo) when present;
 *   3. C14N of each unsigned signature property before the archive timestamp;
 *   4. C14N of each ds:Object but the one holding QualifyingProperties (v1.3.2: and but
 *      those a Reference points at). */
#define LTS_MODULE "xades"
#include "xades_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "core/codec.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

#define URI_C14N10 "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"

typedef struct {
    xmlNodePtr sig, si, usp;
    xmlNodePtr ats;       /* the ArchiveTimeStamp checked (NULL when making one) */
    xmlNodePtr c14n;      /* the CanonicalizationMethod to apply */
    const char *detached; /* the content of an external reference */
    int v141;
} ats_input;

static lts_status feed_c14n(EVP_MD_CTX *md, xmlNodePtr method, xmlNodePtr node)
{
    lts_status rc = LTS_OK;
    lts_buf b = LTS_BUF_INIT;
    LTS_TRY(lts_xades__c14n(method, node, &b));
    LTS_OSSL(EVP_DigestUpdate(md, b.p, b.n) == 1, "EVP_DigestUpdate");
out:
    lts_buf_dispose(&b);
    return rc;
}

static lts_status feed_file(EVP_MD_CTX *md, const char *path)
{
    lts_status rc = LTS_OK;
    uint64_t size = 0, off = 0;
    uint8_t *blk = NULL;
    int fd = -1;
    LTS_TRY(lts_io__file_size(path, &size));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        LTS_FAIL(LTS_E_IO, "%s: %s", path, strerror(errno));
    LTS_ALLOC(blk = lts_malloc(LTS_IO_BLOCK));
    while (off < size) {
        size_t n = size - off < LTS_IO_BLOCK ? (size_t)(size - off) : LTS_IO_BLOCK;
        LTS_TRY(lts_io__pread_full(fd, blk, n, off, path));
        LTS_OSSL(EVP_DigestUpdate(md, blk, n) == 1, "EVP_DigestUpdate");
        off += n;
    }
out:
    lts_free(blk);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int referenced(xmlNodePtr si, const char *id)
{
    for (xmlNodePtr r = lts_xades__first_el(si); r; r = lts_xades__next_el(r)) {
        const char *uri = lts_xades__attr(r, "URI");
        if (lts_xades__is(r, "Reference", LTS_NS_DS) && uri && uri[0] == '#' &&
            strcmp(uri + 1, id) == 0)
            return 1;
    }
    return 0;
}

static lts_status ats_digest(void *arg, lts_hash h, uint8_t *out, size_t *outlen)
{
    lts_status rc = LTS_OK;
    ats_input *a = arg;
    EVP_MD_CTX *md = NULL;
    lts_buf oct = LTS_BUF_INIT;
    unsigned int len = 0;
    const EVP_MD *alg = lts_hash__md(h);

    LTS_ENSURE(alg != NULL, LTS_E_UNSUPPORTED, "unsupported hash for the archive timestamp");
    LTS_ALLOC(md = EVP_MD_CTX_new());
    LTS_OSSL(EVP_DigestInit_ex(md, alg, NULL) == 1, "EVP_DigestInit_ex");
    for (xmlNodePtr r = lts_xades__first_el(a->si); r; r = lts_xades__next_el(r)) {
        const char *uri;
        if (!lts_xades__is(r, "Reference", LTS_NS_DS))
            continue;
        uri = lts_xades__attr(r, "URI");
        if (uri == NULL || (uri[0] != '\0' && uri[0] != '#')) {
            LTS_ENSURE(a->detached != NULL, LTS_E_INPUT, "the archive timestamp covers the "
                       "detached content: give it (--detached-content)");
            LTS_TRY(feed_file(md, a->detached));
            continue;
        }
        oct.n = 0;
        LTS_TRY(lts_xades__reference_octets(r, &oct));
        LTS_OSSL(EVP_DigestUpdate(md, oct.p, oct.n) == 1, "EVP_DigestUpdate");
    }
    for (xmlNodePtr n = lts_xades__first_el(a->sig); n; n = lts_xades__next_el(n))
        if (lts_xades__is(n, "SignedInfo", LTS_NS_DS) || lts_xades__is(n, "SignatureValue", LTS_NS_DS) ||
            lts_xades__is(n, "KeyInfo", LTS_NS_DS))
            LTS_TRY(feed_c14n(md, a->c14n, n));
    for (xmlNodePtr n = lts_xades__first_el(a->usp); n && n != a->ats; n = lts_xades__next_el(n))
        LTS_TRY(feed_c14n(md, a->c14n, n));
    for (xmlNodePtr o = lts_xades__first_el(a->sig); o; o = lts_xades__next_el(o)) {
        const char *id;
        if (!lts_xades__is(o, "Object", LTS_NS_DS) ||
            lts_xades__child(o, "QualifyingProperties", LTS_NS_XADES))
            continue;
        if (!a->v141 && (id = lts_xades__attr(o, "Id")) && referenced(a->si, id))
            continue;
        LTS_TRY(feed_c14n(md, a->c14n, o));
    }
    LTS_OSSL(EVP_DigestFinal_ex(md, out, &len) == 1, "EVP_DigestFinal_ex");
    *outlen = len;
out:
    EVP_MD_CTX_free(md);
    lts_buf_dispose(&oct);
    return rc;
}

static xmlNodePtr usp_of(xmlNodePtr qp)
{
    xmlNodePtr up = lts_xades__child(qp, "UnsignedProperties", LTS_NS_XADES);
    return up ? lts_xades__child(up, "UnsignedSignatureProperties", LTS_NS_XADES) : NULL;
}

lts_status lts_xades__add_archive_timestamp(xmlNodePtr sig, xmlNodePtr qp, xmlNsPtr ds,
                                            xmlNsPtr xa, lts_tsa *tsa, lts_hash h,
                                            const char *id, const char *detached)
{
    lts_status rc = LTS_OK;
    ats_input a;
    xmlNodePtr usp = usp_of(qp), ats = NULL, cm;
    xmlNsPtr x141;
    xmlAttrPtr attr;
    uint8_t md[LTS_HASH_MAX];
    size_t mdlen = 0;
    lts_buf tok = LTS_BUF_INIT, b64 = LTS_BUF_INIT;

    LTS_ENSURE(tsa != NULL, LTS_E_CONFIG, "an archive timestamp needs a TSA");
    LTS_ENSURE(usp != NULL, LTS_E_INPUT, "an archive timestamp needs the B-LT properties first");
    /* the C14N method element is made first (unlinked) so the input can be computed with it */
    LTS_ALLOC(ats = xmlNewDocNode(sig->doc, NULL, (const xmlChar *)"ArchiveTimeStamp", NULL));
    LTS_ALLOC(x141 = xmlNewNs(ats, (const xmlChar *)LTS_NS_XADES141, (const xmlChar *)"xades141"));
    xmlSetNs(ats, x141);
    LTS_ALLOC(cm = xmlNewChild(ats, ds, (const xmlChar *)"CanonicalizationMethod", NULL));
    LTS_ALLOC(xmlSetProp(cm, (const xmlChar *)"Algorithm", (const xmlChar *)LTS_URI_EXC_C14N));
    memset(&a, 0, sizeof a);
    a.sig = sig;
    a.si = lts_xades__child(sig, "SignedInfo", LTS_NS_DS);
    a.usp = usp;
    a.c14n = cm;
    a.detached = detached;
    a.v141 = 1;
    LTS_TRY(ats_digest(&a, h, md, &mdlen));
    LTS_TRY(lts_tsa_stamp(tsa, h, lts_span_of(md, mdlen), &tok));
    LTS_TRY(lts_b64__encode(&b64, lts_buf_span(&tok)));
    LTS_ALLOC(xmlNewTextChild(ats, xa, (const xmlChar *)"EncapsulatedTimeStamp",
                              (const xmlChar *)b64.p));
    LTS_ENSURE(!lts_xades__id_taken(sig->doc, id), LTS_E_INPUT,
               "the document already has an element with Id '%s'", id);
    LTS_ALLOC(attr = xmlSetProp(ats, (const xmlChar *)"Id", (const xmlChar *)id));
    LTS_ALLOC(xmlAddChild(usp, ats));
    ats = NULL;
    LTS_ALLOC(xmlAddID(NULL, sig->doc, (const xmlChar *)id, attr));
out:
    xmlFreeNode(ats);
    lts_buf_dispose(&tok);
    lts_buf_dispose(&b64);
    return rc;
}

static lts_status check_one(ats_input *a, lts_xades_ts_check *t)
{
    lts_status rc = LTS_OK, st;
    xmlNodePtr ets = lts_xades__child(a->ats, "EncapsulatedTimeStamp", LTS_NS_XADES);
    xmlNodePtr tmp = NULL;
    lts_buf text = LTS_BUF_INIT, der = LTS_BUF_INIT;

    t->kind = "archive-time-stamp";
    if (ets == NULL) {
        LTS_ALLOC(t->problem = lts_strdup("ArchiveTimeStamp without EncapsulatedTimeStamp"));
        goto out;
    }
    a->c14n = lts_xades__child(a->ats, "CanonicalizationMethod", LTS_NS_DS);
    if (a->c14n == NULL) { /* absent: inclusive C14N 1.0 */
        LTS_ALLOC(tmp = xmlNewDocNode(a->ats->doc, NULL,
                                      (const xmlChar *)"CanonicalizationMethod", NULL));
        LTS_ALLOC(xmlSetProp(tmp, (const xmlChar *)"Algorithm", (const xmlChar *)URI_C14N10));
        a->c14n = tmp;
    }
    LTS_TRY(lts_xades__text(ets, &text));
    if ((st = lts_b64__decode(&der, (const char *)text.p, text.n)) != LTS_OK) {
        if (st == LTS_E_NOMEM)
            LTS_TRY(st);
        lts_error_clear();
        LTS_ALLOC(t->problem = lts_strdup("EncapsulatedTimeStamp is not base64"));
        goto out;
    }
    LTS_TRY(lts_xades__check_token(lts_buf_span(&der), ats_digest, a, t));
out:
    xmlFreeNode(tmp);
    lts_buf_dispose(&text);
    lts_buf_dispose(&der);
    return rc;
}

lts_status lts_xades__check_archive_timestamps(xmlNodePtr sig, xmlNodePtr usp,
                                               const char *detached, lts_xades_check *res)
{
    lts_status rc = LTS_OK;
    size_t n = 0;
    lts_xades_ts_check *nv;
    ats_input a;

    for (xmlNodePtr s = lts_xades__first_el(usp); s; s = lts_xades__next_el(s))
        if (lts_xades__is(s, "ArchiveTimeStamp", LTS_NS_XADES141) ||
            lts_xades__is(s, "ArchiveTimeStamp", LTS_NS_XADES))
            n++;
    if (n == 0)
        goto out;
    LTS_ALLOC(nv = lts_realloc(res->timestamps, (res->n_timestamps + n) * sizeof *nv));
    res->timestamps = nv;
    memset(&nv[res->n_timestamps], 0, n * sizeof *nv);
    for (xmlNodePtr s = lts_xades__first_el(usp); s; s = lts_xades__next_el(s)) {
        int v141 = lts_xades__is(s, "ArchiveTimeStamp", LTS_NS_XADES141);
        if (!v141 && !lts_xades__is(s, "ArchiveTimeStamp", LTS_NS_XADES))
            continue;
        memset(&a, 0, sizeof a);
        a.sig = sig;
        a.si = lts_xades__child(sig, "SignedInfo", LTS_NS_DS);
        a.usp = usp;
        a.ats = s;
        a.detached = detached;
        a.v141 = v141;
        res->n_timestamps++;
        LTS_TRY(check_one(&a, &res->timestamps[res->n_timestamps - 1]));
    }
out:
    return rc;
}
