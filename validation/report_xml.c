/* see ltsig/report.h: the ETSI TS 119 102-2 (v1.2.1) XML validation report, built with
 * libxml2's tree API (every text goes through xmlNewTextChild / xmlNewProp, which escape
 * it). Element names and order follow the TS 119 102-2 schema:
 *   ValidationReport
 *     SignatureValidationReport*   SignatureIdentifier, ValidationTimeInfo,
 *                                  SignatureAttributes, SignerInformation,
 *                                  SignatureValidationProcess, SignatureValidationStatus
 *     SignatureValidationObjects   ValidationObject* (signer certificates, time-stamps) */
#define LTS_MODULE "report"
#include "validation_int.h"

#include <stdio.h>
#include <string.h>
#include <libxml/tree.h>
#include <libxml/xmlstring.h>
#include <ltsig/policy.h>
#include "core/codec.h"
#include "core/err.h"
#include "core/mem.h"

#define VR_NS "http://uri.etsi.org/19102/v1.2.1#"
#define DS_NS "http://www.w3.org/2000/09/xmldsig#"
#define URN_MAIN "urn:etsi:019102:mainindication:"
#define URN_SUB "urn:etsi:019102:subindication:"
#define URN_PROC "urn:etsi:019102:validationprocess:"
#define URN_VO "urn:etsi:019102:validationObject:"
#define URN_POE_VALIDATION "urn:etsi:019102:poetype:validation"
#define URN_LTSIG_MSG "urn:ltsig:validation:message"
#define URN_LTSIG_PROFILE "urn:ltsig:validation:profile"
#define URN_LTSIG_PROPS "urn:ltsig:validation:properties"

typedef struct {
    xmlDocPtr doc;
    xmlNsPtr vr;
    xmlNodePtr objects; /* SignatureValidationObjects, created on first use */
    xmlNodePtr root;
} xctx;

/* Text safe for XML: invalid UTF-8 and control characters become '?'. New (lts_free). */
static char *clean(const char *s)
{
    size_t n = strlen(s);
    char *o = lts_malloc(n + 1);
    if (o == NULL)
        return NULL;
    memcpy(o, s, n + 1);
    if (xmlCheckUTF8((const xmlChar *)o) == 0) {
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)o[i] >= 0x80)
                o[i] = '?';
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)o[i] < 0x20 && o[i] != '\t' && o[i] != '\n')
            o[i] = '?';
    return o;
}

/* <vr:name>text</vr:name> under parent; *out (optional) the new node. */
static lts_status add(xctx *x, xmlNodePtr parent, const char *name, const char *text,
                      xmlNodePtr *out)
{
    lts_status rc = LTS_OK;
    char *t = NULL;
    xmlNodePtr n;
    if (text != NULL)
        LTS_ALLOC(t = clean(text));
    LTS_ALLOC(n = xmlNewTextChild(parent, x->vr, (const xmlChar *)name, (const xmlChar *)t));
    if (out)
        *out = n;
out:
    lts_free(t);
    return rc;
}

static lts_status prop(xmlNodePtr n, const char *name, const char *value)
{
    lts_status rc = LTS_OK;
    char *v = NULL;
    LTS_ALLOC(v = clean(value));
    LTS_ALLOC(xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)v));
out:
    lts_free(v);
    return rc;
}

static lts_status add_time(xctx *x, xmlNodePtr parent, const char *name, lts_time t)
{
    char buf[LTS_TIME_RFC3339_LEN];
    if (lts_time_format_rfc3339(buf, sizeof buf, t) != LTS_OK)
        return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "time out of range in the report");
    return add(x, parent, name, buf, NULL);
}

static const char *main_urn(lts_indication i)
{
    switch (i) {
    case LTS_IND_TOTAL_PASSED: return URN_MAIN "total-passed";
    case LTS_IND_TOTAL_FAILED: return URN_MAIN "total-failed";
    case LTS_IND_INDETERMINATE:
    default: return URN_MAIN "indeterminate";
    }
}

/* The XML DSig URI of a signature algorithm, or NULL when there is none to name. */
static const char *alg_uri(const lts_sig_result *s)
{
    static const struct {
        const char *scheme, *hash, *uri;
    } t[] = {
        { "RSA", "SHA-1", "http://www.w3.org/2000/09/xmldsig#rsa-sha1" },
        { "RSA", "SHA-256", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" },
        { "RSA", "SHA-384", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" },
        { "RSA", "SHA-512", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" },
        { "ECDSA", "SHA-1", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1" },
        { "ECDSA", "SHA-256", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" },
        { "ECDSA", "SHA-384", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" },
        { "ECDSA", "SHA-512", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512" },
        { "RSA-PSS", "SHA-256", "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1" },
        { "RSA-PSS", "SHA-384", "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1" },
        { "RSA-PSS", "SHA-512", "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1" },
    };
    if (s->signature_algorithm == NULL || s->digest_algorithm == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].scheme, s->signature_algorithm) && !strcmp(t[i].hash, s->digest_algorithm))
            return t[i].uri;
    return NULL;
}

/* CryptoInformation of a signature (its algorithm, and whether the policy found it secure),
 * about the signer certificate object cert_id. */
static lts_status add_crypto(xctx *x, xmlNodePtr avrd, const lts_sig_result *s,
                             const char *cert_id)
{
    lts_status rc = LTS_OK;
    xmlNodePtr ci = NULL, vo = NULL;
    int weak = s->subindication == LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE ||
               s->subindication == LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE;
    LTS_TRY(add(x, avrd, "CryptoInformation", NULL, &ci));
    LTS_TRY(add(x, ci, "ValidationObjectId", NULL, &vo));
    LTS_TRY(prop(vo, "VOReference", cert_id));
    LTS_TRY(add(x, ci, "Algorithm", alg_uri(s), NULL));
    LTS_TRY(add(x, ci, "SecureAlgorithm", weak ? "false" : "true", NULL));
out:
    return rc;
}

/* SignatureValidationStatus (or any ValidationStatusType element). With s and cert_id, a
 * CryptoInformation about the signature's algorithm comes first in its report data. */
static lts_status add_status(xctx *x, xmlNodePtr parent, const char *name, lts_indication ind,
                             lts_subindication sub, char *const *msgs, size_t n_msgs,
                             const char *profile, const lts_sig_result *s, const char *cert_id)
{
    lts_status rc = LTS_OK;
    xmlNodePtr st = NULL, avrd = NULL, add_data = NULL, rd = NULL;
    char urn[96];
    int crypto = s && cert_id && cert_id[0] && alg_uri(s);
    LTS_TRY(add(x, parent, name, NULL, &st));
    LTS_TRY(add(x, st, "MainIndication", main_urn(ind), NULL));
    if (sub != LTS_SUB_NONE) {
        snprintf(urn, sizeof urn, URN_SUB "%s", lts_subindication_name(sub));
        LTS_TRY(add(x, st, "SubIndication", urn, NULL));
    }
    if (!crypto && !n_msgs && !profile)
        goto out;
    LTS_TRY(add(x, st, "AssociatedValidationReportData", NULL, &avrd));
    if (crypto)
        LTS_TRY(add_crypto(x, avrd, s, cert_id));
    if (!n_msgs && !profile)
        goto out;
    LTS_TRY(add(x, avrd, "AdditionalValidationReportData", NULL, &add_data));
    for (size_t i = 0; i < n_msgs; i++) {
        LTS_TRY(add(x, add_data, "ReportData", NULL, &rd));
        LTS_TRY(add(x, rd, "Type", URN_LTSIG_MSG, NULL));
        LTS_TRY(add(x, rd, "Value", msgs[i], NULL));
    }
    if (profile) {
        LTS_TRY(add(x, add_data, "ReportData", NULL, &rd));
        LTS_TRY(add(x, rd, "Type", URN_LTSIG_PROFILE, NULL));
        LTS_TRY(add(x, rd, "Value", profile, NULL));
    }
out:
    return rc;
}

/* A ValidationObject in SignatureValidationObjects; *vo gets it. */
static lts_status add_object(xctx *x, const char *id, const char *type, lts_span der,
                             const char *direct, xmlNodePtr *vo)
{
    lts_status rc = LTS_OK;
    xmlNodePtr rep = NULL;
    lts_buf b64 = LTS_BUF_INIT;
    char urn[96];
    if (x->objects == NULL)
        LTS_TRY(add(x, x->root, "SignatureValidationObjects", NULL, &x->objects));
    LTS_TRY(add(x, x->objects, "ValidationObject", NULL, vo));
    LTS_TRY(prop(*vo, "id", id));
    snprintf(urn, sizeof urn, URN_VO "%s", type);
    LTS_TRY(add(x, *vo, "ObjectType", urn, NULL));
    LTS_TRY(add(x, *vo, "ValidationObjectRepresentation", NULL, &rep));
    if (der.n > 0) {
        LTS_TRY(lts_b64__encode(&b64, der));
        LTS_TRY(add(x, rep, "base64", (const char *)b64.p, NULL));
    } else {
        LTS_TRY(add(x, rep, "direct", direct, NULL));
    }
out:
    lts_buf_dispose(&b64);
    return rc;
}

/* The process: Basic without time-stamps, LTA with an archive / document time-stamp, else
 * LTVM (validation with time, EN 319 102-1 §5.5). */
static const char *process_urn(const lts_sig_result *s)
{
    int lta = 0;
    for (size_t i = 0; i < s->n_timestamps; i++) {
        const char *k = s->timestamps[i].kind;
        if (k && (strncmp(k, "archive", 7) == 0 || strcmp(k, "document-time-stamp") == 0))
            lta = 1;
    }
    return !s->n_timestamps ? URN_PROC "Basic" : lta ? URN_PROC "LTA" : URN_PROC "LTVM";
}

static const char *attr_name(const char *kind)
{
    if (kind == NULL)
        return "SignatureTimeStamp";
    if (strncmp(kind, "archive", 7) == 0)
        return "ArchiveTimeStamp";
    if (strcmp(kind, "document-time-stamp") == 0)
        return "DocTimeStamp";
    return "SignatureTimeStamp";
}

/* ValidationObjects of the time-stamps of signature number si; their ids in ids[]. */
static lts_status ts_objects(xctx *x, const lts_sig_result *s, size_t si, char (*ids)[48])
{
    lts_status rc = LTS_OK;
    for (size_t k = 0; k < s->n_timestamps; k++) {
        const lts_ts_result *t = &s->timestamps[k];
        xmlNodePtr vo = NULL, rep = NULL;
        char *msgs[2], tsa_line[600];
        size_t n_msgs;
        snprintf(ids[k], sizeof ids[k], "TS-%zu-%zu", si + 1, k + 1);
        LTS_TRY(add_object(x, ids[k], "timestamp", lts_buf_span(&t->token),
                           t->kind ? t->kind : "time-stamp", &vo));
        LTS_TRY(add(x, vo, "ValidationReport", NULL, &rep));
        n_msgs = 0;
        if (t->tsa) {
            snprintf(tsa_line, sizeof tsa_line, "TSA: %s", t->tsa);
            msgs[n_msgs++] = tsa_line;
        }
        if (t->message)
            msgs[n_msgs++] = t->message;
        LTS_TRY(add_status(x, rep, "SignatureValidationStatus", t->indication, t->subindication,
                           msgs, n_msgs, NULL, NULL, NULL));
    }
out:
    return rc;
}

static lts_status sig_attributes(xctx *x, xmlNodePtr svr, const lts_sig_result *s,
                                 char (*ids)[48])
{
    lts_status rc = LTS_OK;
    xmlNodePtr sa = NULL, n = NULL;
    if (!s->has_signing_time && s->n_timestamps == 0)
        goto out;
    LTS_TRY(add(x, svr, "SignatureAttributes", NULL, &sa));
    if (s->has_signing_time) {
        LTS_TRY(add(x, sa, "SigningTime", NULL, &n));
        LTS_TRY(prop(n, "Signed", "true"));
        LTS_TRY(add_time(x, n, "Time", s->signing_time));
    }
    for (size_t k = 0; k < s->n_timestamps; k++) {
        xmlNodePtr ao = NULL;
        LTS_TRY(add(x, sa, attr_name(s->timestamps[k].kind), NULL, &n));
        LTS_TRY(prop(n, "Signed", "false"));
        LTS_TRY(add(x, n, "AttributeObject", NULL, &ao));
        LTS_TRY(prop(ao, "VOReference", ids[k]));
        LTS_TRY(add_time(x, n, "TimeStampValue", s->timestamps[k].gen_time));
    }
out:
    return rc;
}

/* The time-stamp whose genTime is the best signature time (a proof of existence). */
static long poe_ts(const lts_sig_result *s)
{
    for (size_t k = 0; k < s->n_timestamps; k++)
        if (s->timestamps[k].indication == LTS_IND_TOTAL_PASSED &&
            s->timestamps[k].gen_time == s->best_signature_time)
            return (long)k;
    return -1;
}

static lts_status one_sig(xctx *x, const lts_report *r, const lts_sig_result *s, size_t si)
{
    lts_status rc = LTS_OK;
    xmlNodePtr svr = NULL, n = NULL, m = NULL;
    char (*ids)[48] = NULL;
    char id[48], cert_id[32] = "", profile[200];
    long poe = poe_ts(s);

    LTS_ALLOC(ids = lts_calloc(s->n_timestamps ? s->n_timestamps : 1, sizeof *ids));
    LTS_TRY(add(x, x->root, "SignatureValidationReport", NULL, &svr));
    /* SignatureIdentifier: id (xs:ID) ours; the signature's own name in DAIdentifier */
    LTS_TRY(add(x, svr, "SignatureIdentifier", NULL, &n));
    snprintf(id, sizeof id, "SIG-%zu", si + 1);
    LTS_TRY(prop(n, "id", id));
    LTS_TRY(add(x, n, "HashOnly", "false", NULL));
    LTS_TRY(add(x, n, "DocHashOnly", "false", NULL));
    if (s->id)
        LTS_TRY(add(x, n, "DAIdentifier", s->id, NULL));
    if (s->signer_cert.n) {
        xmlNodePtr vo = NULL;
        snprintf(cert_id, sizeof cert_id, "CERT-%zu", si + 1);
        LTS_TRY(add_object(x, cert_id, "certificate", lts_buf_span(&s->signer_cert), NULL, &vo));
    }
    LTS_TRY(ts_objects(x, s, si, ids));
    LTS_TRY(add(x, svr, "ValidationTimeInfo", NULL, &n));
    LTS_TRY(add_time(x, n, "ValidationTime", r->validation_time));
    LTS_TRY(add(x, n, "BestSignatureTime", NULL, &m));
    LTS_TRY(add_time(x, m, "POETime", s->best_signature_time ? s->best_signature_time
                                                             : r->validation_time));
    LTS_TRY(add(x, m, "TypeOfProof", URN_POE_VALIDATION, NULL));
    if (poe >= 0) {
        xmlNodePtr po = NULL;
        LTS_TRY(add(x, m, "POEObject", NULL, &po));
        LTS_TRY(prop(po, "VOReference", ids[poe]));
    }
    LTS_TRY(sig_attributes(x, svr, s, ids));
    if (cert_id[0]) {
        LTS_TRY(add(x, svr, "SignerInformation", NULL, &n));
        LTS_TRY(add(x, n, "SignerCertificate", NULL, &m));
        LTS_TRY(prop(m, "VOReference", cert_id));
        if (s->signer)
            LTS_TRY(add(x, n, "Signer", s->signer, NULL));
    }
    LTS_TRY(add(x, svr, "SignatureValidationProcess", NULL, &n));
    LTS_TRY(add(x, n, "SignatureValidationProcessID", process_urn(s), NULL));
    if (s->profile)
        snprintf(profile, sizeof profile, "%s: %s", s->profile,
                 s->profile_conformant ? "conformant" : "not conformant");
    LTS_TRY(add_status(x, svr, "SignatureValidationStatus", s->indication, s->subindication,
                       s->messages, s->n_messages, s->profile ? profile : NULL, s, cert_id));
out:
    lts_free(ids);
    return rc;
}

lts_status lts_report_xml(const lts_report *r, lts_buf *out)
{
    lts_status rc = LTS_OK;
    xctx x;
    xmlChar *mem = NULL;
    int len = 0;

    memset(&x, 0, sizeof x);
    LTS_ALLOC(x.doc = xmlNewDoc((const xmlChar *)"1.0"));
    LTS_ALLOC(x.root = xmlNewDocNode(x.doc, NULL, (const xmlChar *)"ValidationReport", NULL));
    xmlDocSetRootElement(x.doc, x.root);
    LTS_ALLOC(x.vr = xmlNewNs(x.root, (const xmlChar *)VR_NS, (const xmlChar *)"vr"));
    xmlSetNs(x.root, x.vr);
    LTS_ALLOC(xmlNewNs(x.root, (const xmlChar *)DS_NS, (const xmlChar *)"ds"));
    for (size_t i = 0; i < r->n_sigs; i++)
        LTS_TRY(one_sig(&x, r, &r->sigs[i], i));
    if (r->n_sigs == 0) { /* the schema wants one: say that nothing was found */
        xmlNodePtr svr = NULL;
        LTS_TRY(add(&x, x.root, "SignatureValidationReport", NULL, &svr));
        LTS_TRY(add_status(&x, svr, "SignatureValidationStatus", r->indication, r->subindication,
                           NULL, 0, NULL, NULL, NULL));
    }
    /* SignatureValidationObjects must follow every SignatureValidationReport */
    if (x.objects != NULL) {
        xmlUnlinkNode(x.objects);
        LTS_ALLOC(xmlAddChild(x.root, x.objects));
    }
    xmlDocDumpFormatMemoryEnc(x.doc, &mem, &len, "UTF-8", 1);
    LTS_ALLOC(mem);
    LTS_TRY(lts_buf_append(out, mem, (size_t)len));
    LTS_TRY(lts_buf_nul(out));
out:
    xmlFree(mem);
    xmlFreeDoc(x.doc);
    return rc;
}
