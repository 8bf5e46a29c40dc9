/* see ltsig/xades.h — extending existing XAdES signatures (B-T, B-LT / ES-XL, B-LTA / ES-A,
 * archive timestamp renewal). */
#define LTS_MODULE "xades"
#include "xades_int.h"

#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include "core/err.h"
#include "core/mem.h"

typedef struct {
    xmlNodePtr sig, sv, qp, usp;
    xmlNsPtr ds, xa;
    char sid[128];
    char buf[192];
} target;

static int level_has_tsa(lts_level l)
{
    return l != 0 && l != LTS_LEVEL_B_B;
}

static int level_has_values(lts_level l)
{
    return l == LTS_LEVEL_B_LT || l == LTS_LEVEL_ES_XL || l == LTS_LEVEL_B_LTA ||
           l == LTS_LEVEL_ES_A;
}

static int level_has_refs(lts_level l)
{
    return l == LTS_LEVEL_ES_XL || l == LTS_LEVEL_ES_A;
}

static int level_has_ats(lts_level l)
{
    return l == LTS_LEVEL_B_LTA || l == LTS_LEVEL_ES_A;
}

/* The signer's chain for the collector: the signing certificate first, then the others the
 * signature carries. */
static lts_status chain_of(const lts_xades_check *k, STACK_OF(X509) **out)
{
    lts_status rc = LTS_OK;
    STACK_OF(X509) *sk = NULL;
    X509 *x = NULL;
    const unsigned char *p;

    LTS_ALLOC(sk = sk_X509_new_null());
    p = k->signer_cert.p;
    LTS_OSSL((x = d2i_X509(NULL, &p, (long)k->signer_cert.n)) != NULL, "signer certificate");
    LTS_ALLOC(sk_X509_push(sk, x) > 0 ? sk : NULL);
    x = NULL;
    for (size_t i = 0; i < k->n_certs; i++) {
        if (lts_span_eq(lts_buf_span(&k->certs[i]), lts_buf_span(&k->signer_cert)))
            continue;
        p = k->certs[i].p;
        if ((x = d2i_X509(NULL, &p, (long)k->certs[i].n)) == NULL) {
            ERR_clear_error();
            continue;
        }
        LTS_ALLOC(sk_X509_push(sk, x) > 0 ? sk : NULL);
        x = NULL;
    }
    *out = sk;
    sk = NULL;
out:
    X509_free(x);
    sk_X509_pop_free(sk, X509_free);
    return rc;
}

/* An Id not yet in the document: base, base-2, base-3 ... */
static const char *fresh_id(target *t, xmlDocPtr doc, const char *suffix)
{
    snprintf(t->buf, sizeof t->buf, "%s%s", t->sid, suffix);
    for (int i = 2; lts_xades__id_taken(doc, t->buf) && i < 1000; i++)
        snprintf(t->buf, sizeof t->buf, "%s%s-%d", t->sid, suffix, i);
    return t->buf;
}

static lts_status find_parts(target *t, xmlNodePtr sig)
{
    lts_status rc = LTS_OK;
    const char *id = lts_xades__attr(sig, "Id");
    xmlNodePtr up;
    memset(t, 0, sizeof *t);
    t->sig = sig;
    t->sv = lts_xades__child(sig, "SignatureValue", LTS_NS_DS);
    for (xmlNodePtr o = lts_xades__first_el(sig); o && !t->qp; o = lts_xades__next_el(o))
        if (lts_xades__is(o, "Object", LTS_NS_DS))
            t->qp = lts_xades__child(o, "QualifyingProperties", LTS_NS_XADES);
    LTS_ENSURE(t->qp != NULL && t->sv != NULL && id != NULL, LTS_E_INPUT,
               "a ds:Signature without XAdES QualifyingProperties or Id cannot be extended");
    snprintf(t->sid, sizeof t->sid, "%.100s", id);
    t->ds = sig->ns;
    t->xa = t->qp->ns;
    up = lts_xades__child(t->qp, "UnsignedProperties", LTS_NS_XADES);
    t->usp = up ? lts_xades__child(up, "UnsignedSignatureProperties", LTS_NS_XADES) : NULL;
out:
    return rc;
}

static xmlNodePtr last_ats(xmlNodePtr usp)
{
    xmlNodePtr last = NULL;
    for (xmlNodePtr n = lts_xades__first_el(usp); n; n = lts_xades__next_el(n))
        if (lts_xades__is(n, "ArchiveTimeStamp", LTS_NS_XADES141) ||
            lts_xades__is(n, "ArchiveTimeStamp", LTS_NS_XADES))
            last = n;
    return last;
}

static lts_status extend_one(xmlNodePtr sig, const lts_xades_check *k,
                             const lts_xades_extend_opts *o)
{
    lts_status rc = LTS_OK;
    target t;
    STACK_OF(X509) *chain = NULL;
    lts_hash h = k->hash ? k->hash : LTS_HASH_SHA256;
    xmlNodePtr prev;

    LTS_TRY(find_parts(&t, sig));
    LTS_ENSURE(k->format_ok && k->refs_ok && k->sig_checked && k->sig_ok && k->signer_found,
               LTS_E_INPUT, "signature %s does not verify (%s); not extended", t.sid,
               k->problem ? k->problem : "unchecked");
    if (level_has_tsa(o->level) &&
        !(t.usp && lts_xades__child(t.usp, "SignatureTimeStamp", LTS_NS_XADES))) {
        LTS_TRY(lts_xades__add_sig_timestamp(t.qp, t.ds, t.xa, t.sv, o->tsa, h,
                                             fresh_id(&t, sig->doc, "-SignatureTimeStamp")));
        LTS_TRY(find_parts(&t, sig));
    }
    if (level_has_values(o->level)) {
        int has_values = lts_xades__child(t.usp, "CertificateValues", LTS_NS_XADES) != NULL;
        int has_refs = lts_xades__child(t.usp, "CompleteCertificateRefs", LTS_NS_XADES) != NULL;
        LTS_ENSURE(!(has_values && !has_refs && level_has_refs(o->level)), LTS_E_UNSUPPORTED,
                   "signature %s already carries values without references: it cannot become "
                   "%s", t.sid, lts_level_name(o->level));
        if (!has_values) {
            LTS_TRY(chain_of(k, &chain));
            LTS_TRY(lts_xades__add_ltv(t.qp, t.ds, t.xa, o->vdata, o->trust_file, o->clock, chain,
                                       level_has_refs(o->level)));
        }
    }
    if (level_has_ats(o->level)) {
        if ((prev = last_ats(t.usp)) != NULL)
            LTS_TRY(lts_xades__add_ts_validation_data(t.usp, t.xa, prev, o->vdata, o->trust_file,
                                                      o->clock));
        LTS_TRY(lts_xades__add_archive_timestamp(sig, t.qp, t.ds, t.xa, o->tsa, h,
                                                 fresh_id(&t, sig->doc, "-ArchiveTimeStamp"),
                                                 o->detached_content));
    }
out:
    sk_X509_pop_free(chain, X509_free);
    return rc;
}

lts_status lts_xades_extend_file(lts_buf *out, const char *path, const lts_xades_extend_opts *o)
{
    lts_status rc = LTS_OK;
    lts_xades_check *k = NULL;
    size_t n = 0, i = 0;
    xmlDocPtr doc = NULL;
    lts_xml_ids dups = { 0 };
    xmlNodePtr root, s;
    xmlChar *mem = NULL;
    int memlen = 0;
    lts_xml_quiet q;

    lts_xades__quiet_begin(&q);
    LTS_ENSURE(o && o->version >= 1, LTS_E_CONFIG, "XAdES extend options not initialised");
    LTS_ENSURE(level_has_tsa(o->level), LTS_E_CONFIG, "extend to B-T, B-LT, B-LTA, ES-T, ES-XL "
                                                      "or ES-A");
    LTS_ENSURE(o->tsa != NULL, LTS_E_CONFIG, "XAdES level %s needs a timestamp authority",
               lts_level_name(o->level));
    LTS_TRY(lts_xades_check_file(path, o->detached_content, &k, &n));
    LTS_TRY(lts_xades__parse_file(&doc, path));
    LTS_TRY(lts_xades__register_ids(doc, NULL, &dups));
    root = xmlDocGetRootElement(doc);
    for (s = root; s && i < n; s = lts_xades__next(s, root)) {
        if (!lts_xades__is(s, "Signature", LTS_NS_DS))
            continue;
        LTS_TRY(extend_one(s, &k[i++], o));
    }
    xmlDocDumpMemoryEnc(doc, &mem, &memlen, "UTF-8");
    LTS_ENSURE(mem != NULL && memlen > 0, LTS_E_NOMEM, "cannot serialise the extended XML");
    LTS_TRY(lts_buf_append(out, mem, (size_t)memlen));
out:
    if (rc != LTS_OK && strncmp(lts_error_last()->message, path, strlen(path)) != 0)
        lts_err__wrap("%s", path);
    xmlFree(mem);
    lts_xades__ids_free(&dups);
    xmlFreeDoc(doc);
    lts_xades_checks_free(k, n);
    lts_xades__quiet_end(&q);
    return rc;
}
