/* see ltsig/policy.h: ISO 14533-1/-2/-3 conformance, element by element, from what each
 * signature contains (lts_sig_result.properties) and its time-stamps. The requirement
 * levels follow docs/validation.md; the cells marked [I] there are inferred from the base
 * specifications (RFC 5126, TS 101 903, EN 319 142-1), not read in the ISO text. */
#define LTS_MODULE "profile"
#include "validation_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <ltsig/policy.h>
#include "core/err.h"

lts_status lts_profile_parse(lts_profile *out, const char *name)
{
    if (name && (strcasecmp(name, "iso14533") == 0 || strcasecmp(name, "iso-14533") == 0)) {
        *out = LTS_PROFILE_ISO14533;
        return LTS_OK;
    }
    *out = LTS_PROFILE_NONE;
    return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0,
                        "unknown profile '%s' (iso14533)", name ? name : "");
}

/* One required element: any of up to three property names satisfies it. */
typedef struct {
    const char *label;    /* as written in the message */
    const char *any[3];
} need;

typedef struct {
    const char *name;     /* "ES-T" */
    const need *needs;
    size_t n;
} level;

typedef struct {
    const char *part;     /* "ISO 14533-1" */
    const level *levels;  /* lowest first */
    size_t n;
} part;

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const need cades_t[] = {
    { "signing-certificate(-v2) signed attribute",
      { "signing-certificate-v2", "signing-certificate", NULL } },
    { "signature-time-stamp (1.2.840.113549.1.9.16.2.14)", { "signature-time-stamp", NULL, NULL } },
};
static const need cades_xl[] = {
    { "complete-certificate-references (1.2.840.113549.1.9.16.2.21)",
      { "complete-certificate-refs", NULL, NULL } },
    { "complete-revocation-references (1.2.840.113549.1.9.16.2.22)",
      { "complete-revocation-refs", NULL, NULL } },
    { "certificate-values (1.2.840.113549.1.9.16.2.23)", { "certificate-values", NULL, NULL } },
    { "revocation-values (1.2.840.113549.1.9.16.2.24)", { "revocation-values", NULL, NULL } },
};
static const need cades_a[] = {
    { "archive-time-stamp v2 (1.2.840.113549.1.9.16.2.48) or v3 (0.4.0.1733.2.4)",
      { "archive-time-stamp-v2", "archive-time-stamp-v3", NULL } },
};
static const level cades_levels[] = {
    { "ES-T", cades_t, N(cades_t) },
    { "ES-XL", cades_xl, N(cades_xl) },
    { "ES-A", cades_a, N(cades_a) },
};

static const need xades_t[] = {
    { "xades:SigningCertificate(V2)", { "signing-certificate-v2", "signing-certificate", NULL } },
    { "xades:SignatureTimeStamp", { "signature-time-stamp", NULL, NULL } },
};
static const need xades_xl[] = {
    { "xades:CompleteCertificateRefs(V2)", { "complete-certificate-refs", NULL, NULL } },
    { "xades:CompleteRevocationRefs", { "complete-revocation-refs", NULL, NULL } },
    { "xades:CertificateValues", { "certificate-values", NULL, NULL } },
    { "xades:RevocationValues", { "revocation-values", NULL, NULL } },
};
static const need xades_a[] = {
    { "xades141:ArchiveTimeStamp (or xades:ArchiveTimeStamp)", { "archive-time-stamp", NULL, NULL } },
};
static const level xades_levels[] = {
    { "ES-T", xades_t, N(xades_t) },
    { "ES-XL", xades_xl, N(xades_xl) },
    { "ES-A", xades_a, N(xades_a) },
};

static const need pades_t[] = {
    { "a signature time-stamp (CMS signature-time-stamp or a later document time-stamp)",
      { "signature-time-stamp", "document-time-stamp", NULL } },
};
static const need pades_a[] = {
    { "a DSS (/Certs, /OCSPs, /CRLs) added after the signature", { "DSS", NULL, NULL } },
    { "a document time-stamp (/ETSI.RFC3161) covering the DSS", { "document-time-stamp-over-DSS", NULL, NULL } },
};
static const level pades_levels[] = {
    { "PAdES-T", pades_t, N(pades_t) },
    { "PAdES-A", pades_a, N(pades_a) },
};

static const part parts[] = {
    { "ISO 14533-1", cades_levels, N(cades_levels) },
    { "ISO 14533-2", xades_levels, N(xades_levels) },
    { "ISO 14533-3", pades_levels, N(pades_levels) },
};

static int has_need(const lts_sig_result *s, const need *n)
{
    for (size_t i = 0; i < 3 && n->any[i]; i++) {
        if (lts_report__has_prop(s, n->any[i]))
            return 1;
        /* a PAdES B-LTA: the process found a document time-stamp over the DSS */
        if (strcmp(n->any[i], "document-time-stamp-over-DSS") == 0 && s->level &&
            strcmp(s->level, "B-LTA") == 0)
            return 1;
    }
    return 0;
}

static const part *part_of(const lts_sig_result *s)
{
    if (s->format == NULL)
        return NULL;
    if (strcmp(s->format, "CAdES") == 0)
        return &parts[0];
    if (strcmp(s->format, "XAdES") == 0)
        return &parts[1];
    if (strcmp(s->format, "PAdES") == 0)
        return &parts[2];
    return NULL;
}

static lts_status check_sig(lts_sig_result *s)
{
    lts_status rc = LTS_OK;
    const part *pt = part_of(s);
    size_t met = 0; /* levels met, in order */
    char verdict[160];

    if (pt == NULL) {
        LTS_TRY(lts_report__msg(s, "ISO 14533: no profile for the format %s",
                                s->format ? s->format : "?"));
        goto out;
    }
    for (size_t l = 0; l < pt->n; l++) {
        size_t missing = 0;
        for (size_t k = 0; k < pt->levels[l].n; k++) {
            if (has_need(s, &pt->levels[l].needs[k]))
                continue;
            missing++;
            LTS_TRY(lts_report__msg(s, "%s %s: missing %s", pt->part, pt->levels[l].name,
                                    pt->levels[l].needs[k].label));
        }
        if (missing)
            break;
        met = l + 1;
    }
    if (met == 0) {
        snprintf(verdict, sizeof verdict, "%s %s", pt->part, pt->levels[0].name);
        s->profile_conformant = 0;
        lts_report__lower(&s->indication, &s->subindication, LTS_IND_INDETERMINATE,
                          LTS_SUB_SIG_CONSTRAINTS_FAILURE);
    } else {
        snprintf(verdict, sizeof verdict, "%s %s", pt->part, pt->levels[met - 1].name);
        s->profile_conformant = 1;
    }
    LTS_TRY(lts_report__set_str(&s->profile, verdict));
    if (met < pt->n && met > 0 && lts_report__has_prop(s, "signed-data-revocation") &&
        strcmp(pt->part, "ISO 14533-1") == 0)
        LTS_TRY(lts_report__msg(s, "%s: the validation data is in SignedData.certificates/crls "
                                   "(the ETSI baseline B-LT form); ISO 14533-1 ES-XL asks for "
                                   "the refs and values attributes", pt->part));
    LTS_TRY(lts_report__msg(s, "%s profile: %s %s", pt->part,
                            met ? pt->levels[met - 1].name : pt->levels[0].name,
                            met ? "conformant" : "NOT conformant"));
out:
    return rc;
}

lts_status lts_profile_check(lts_report *r, lts_profile p)
{
    lts_status rc = LTS_OK;
    LTS_ENSURE(p == LTS_PROFILE_ISO14533, LTS_E_UNSUPPORTED, "unknown profile %d", (int)p);
    for (size_t i = 0; i < r->n_sigs; i++)
        LTS_TRY(check_sig(&r->sigs[i]));
    lts_report__finish(r);
out:
    return rc;
}
