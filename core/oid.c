/* see core/oid.h */
#include "oid.h"

#include <string.h>

static const char *const table[LTS_OID__COUNT] = {
    [LTS_OID_DATA] = "1.2.840.113549.1.7.1",
    [LTS_OID_SIGNED_DATA] = "1.2.840.113549.1.7.2",
    [LTS_OID_CONTENT_TYPE] = "1.2.840.113549.1.9.3",
    [LTS_OID_MESSAGE_DIGEST] = "1.2.840.113549.1.9.4",
    [LTS_OID_SIGNING_TIME] = "1.2.840.113549.1.9.5",
    [LTS_OID_TST_INFO] = "1.2.840.113549.1.9.16.1.4",
    [LTS_OID_AA_SIGNING_CERT] = "1.2.840.113549.1.9.16.2.12",
    [LTS_OID_AA_SIG_TIMESTAMP] = "1.2.840.113549.1.9.16.2.14",
    [LTS_OID_AA_CERT_REFS] = "1.2.840.113549.1.9.16.2.21",
    [LTS_OID_AA_REVOC_REFS] = "1.2.840.113549.1.9.16.2.22",
    [LTS_OID_AA_CERT_VALUES] = "1.2.840.113549.1.9.16.2.23",
    [LTS_OID_AA_REVOC_VALUES] = "1.2.840.113549.1.9.16.2.24",
    [LTS_OID_AA_ARCHIVE_TS_V2] = "1.2.840.113549.1.9.16.2.48",
    [LTS_OID_AA_SIGNING_CERT_V2] = "1.2.840.113549.1.9.16.2.47",
    [LTS_OID_AA_ESC_TIMESTAMP] = "1.2.840.113549.1.9.16.2.25",
    [LTS_OID_ARCHIVE_TS_V3] = "0.4.0.1733.2.4",
    [LTS_OID_ATS_HASH_INDEX_V3] = "0.4.0.19122.1.5",
    [LTS_OID_ATS_HASH_INDEX] = "0.4.0.1733.2.5",
    [LTS_OID_RI_OCSP_RESPONSE] = "1.3.6.1.5.5.7.16.2",
    [LTS_OID_KP_TIMESTAMPING] = "1.3.6.1.5.5.7.3.8",
    [LTS_OID_KP_OCSP_SIGNING] = "1.3.6.1.5.5.7.3.9",
};

const char *lts_oid__text(lts_oid id)
{
    return (unsigned)id < LTS_OID__COUNT ? table[id] : "";
}

ASN1_OBJECT *lts_oid__obj(lts_oid id)
{
    if ((unsigned)id >= LTS_OID__COUNT)
        return NULL;
    return OBJ_txt2obj(table[id], 1);
}

int lts_oid__is(const ASN1_OBJECT *obj, lts_oid id)
{
    char buf[80];
    if (obj == NULL || (unsigned)id >= LTS_OID__COUNT)
        return 0;
    if (OBJ_obj2txt(buf, sizeof buf, obj, 1) <= 0)
        return 0;
    return strcmp(buf, table[id]) == 0;
}
