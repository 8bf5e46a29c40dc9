/* core/oid.h — internal: every OID the project uses, in one table (STYLE rule 7). */
#ifndef LTS_CORE_OID_H
#define LTS_CORE_OID_H

#include <openssl/asn1.h>
#include <openssl/objects.h>

typedef enum {
    LTS_OID_DATA,                       /* 1.2.840.113549.1.7.1 id-data */
    LTS_OID_SIGNED_DATA,                /* 1.2.840.113549.1.7.2 */
    LTS_OID_CONTENT_TYPE,               /* 1.2.840.113549.1.9.3 */
    LTS_OID_MESSAGE_DIGEST,             /* 1.2.840.113549.1.9.4 */
    LTS_OID_SIGNING_TIME,               /* 1.2.840.113549.1.9.5 */
    LTS_OID_TST_INFO,                   /* 1.2.840.113549.1.9.16.1.4 id-ct-TSTInfo */
    LTS_OID_AA_SIGNING_CERT,            /* 1.2.840.113549.1.9.16.2.12 */
    LTS_OID_AA_SIG_TIMESTAMP,           /* 1.2.840.113549.1.9.16.2.14 */
    LTS_OID_AA_CERT_REFS,               /* .2.21 complete-certificate-references */
    LTS_OID_AA_REVOC_REFS,              /* .2.22 complete-revocation-references */
    LTS_OID_AA_CERT_VALUES,             /* .2.23 certificate-values */
    LTS_OID_AA_REVOC_VALUES,            /* .2.24 revocation-values */
    LTS_OID_AA_ARCHIVE_TS_V2,           /* .2.48 archive-time-stamp-v2 */
    LTS_OID_AA_SIGNING_CERT_V2,         /* .2.47 signing-certificate-v2 */
    LTS_OID_AA_ESC_TIMESTAMP,           /* .2.25 CAdES-C-time-stamp */
    LTS_OID_ARCHIVE_TS_V3,              /* 0.4.0.1733.2.4 */
    LTS_OID_ATS_HASH_INDEX_V3,          /* 0.4.0.19122.1.5 */
    LTS_OID_ATS_HASH_INDEX,             /* 0.4.0.1733.2.5 (the older ats-hash-index) */
    LTS_OID_RI_OCSP_RESPONSE,           /* 1.3.6.1.5.5.7.16.2 id-ri-ocsp-response */
    LTS_OID_KP_TIMESTAMPING,            /* 1.3.6.1.5.5.7.3.8 */
    LTS_OID_KP_OCSP_SIGNING,            /* 1.3.6.1.5.5.7.3.9 */
    LTS_OID__COUNT
} lts_oid;

/** Dotted text of the OID. */
const char *lts_oid__text(lts_oid id);
/** A new ASN1_OBJECT for the OID (caller frees with ASN1_OBJECT_free); NULL on OOM. */
ASN1_OBJECT *lts_oid__obj(lts_oid id);
/** 1 when obj is the OID id. */
int lts_oid__is(const ASN1_OBJECT *obj, lts_oid id);

#endif
