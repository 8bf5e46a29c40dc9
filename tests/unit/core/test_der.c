/* tests for core/der.c and core/oid.c */
#include <string.h>
#include <openssl/asn1.h>
#include "lts_test.h"
#include "core/der.h"
#include "core/oid.h"

static void test_core_der__lengths(void)
{
    uint8_t hdr[8];
    CU_ASSERT_EQUAL(lts_der__put_hdr(NULL, 0x04, 5), 2);
    CU_ASSERT_EQUAL(lts_der__put_hdr(NULL, 0x04, 127), 2);
    CU_ASSERT_EQUAL(lts_der__put_hdr(NULL, 0x04, 128), 3);
    CU_ASSERT_EQUAL(lts_der__put_hdr(hdr, 0x30, 300), 4);
    CU_ASSERT(hdr[0] == 0x30 && hdr[1] == 0x82 && hdr[2] == 0x01 && hdr[3] == 0x2c);
    CU_ASSERT_EQUAL(lts_der__put_hdr(NULL, 0x30, 70000), 5);
}

static void test_core_der__set_of_sorted(void)
{
    lts_buf b = LTS_BUF_INIT;
    const uint8_t a[] = { 0x04, 0x01, 0x02 }, c[] = { 0x04, 0x01, 0x01 }, d[] = { 0x02, 0x01, 0x09 };
    lts_span items[] = { lts_span_of(a, 3), lts_span_of(c, 3), lts_span_of(d, 3) };
    LTS_ASSERT_OK(lts_der__append_set_of(&b, items, 3));
    const uint8_t want[] = { 0x31, 0x09, 0x02, 0x01, 0x09, 0x04, 0x01, 0x01, 0x04, 0x01, 0x02 };
    CU_ASSERT(lts_span_eq(lts_buf_span(&b), lts_span_of(want, sizeof want)));
    /* OpenSSL parses what we wrote */
    const unsigned char *p = b.p;
    long len;
    int tag, cls;
    CU_ASSERT_EQUAL(ASN1_get_object(&p, &len, &tag, &cls, (long)b.n), V_ASN1_CONSTRUCTED);
    CU_ASSERT_EQUAL(tag, V_ASN1_SET);
    CU_ASSERT_EQUAL(len, 9);
    lts_buf_dispose(&b);
}

static void test_core_der__walker(void)
{
    const uint8_t seq[] = { 0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa, 0x00 };
    lts_der_tlv t, inner;
    CU_ASSERT_EQUAL(lts_der__one(lts_span_of(seq, sizeof seq), &t), LTS_E_INPUT); /* trailing */
    LTS_ASSERT_OK(lts_der__one(lts_span_of(seq, 8), &t));
    CU_ASSERT_EQUAL(t.tag, V_ASN1_SEQUENCE);
    CU_ASSERT(t.constructed);
    lts_span in = t.value;
    LTS_ASSERT_OK(lts_der__next(&in, &inner));
    CU_ASSERT_EQUAL(inner.tag, V_ASN1_INTEGER);
    CU_ASSERT_EQUAL(inner.value.n, 1);
    LTS_ASSERT_OK(lts_der__next(&in, &inner));
    CU_ASSERT_EQUAL(inner.value.p[0], 0xaa);
    CU_ASSERT_EQUAL(in.n, 0);
    CU_ASSERT_EQUAL(lts_der__next(&in, &inner), LTS_E_INPUT);
    const uint8_t lying[] = { 0x30, 0x10, 0x02, 0x01 };
    in = lts_span_of(lying, sizeof lying);
    CU_ASSERT_EQUAL(lts_der__next(&in, &inner), LTS_E_INPUT);
    const uint8_t indef[] = { 0x30, 0x80, 0x00, 0x00 };
    in = lts_span_of(indef, sizeof indef);
    CU_ASSERT_EQUAL(lts_der__next(&in, &inner), LTS_E_INPUT);
}

static void test_core_der__oids(void)
{
    ASN1_OBJECT *o = lts_oid__obj(LTS_OID_ARCHIVE_TS_V3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT(lts_oid__is(o, LTS_OID_ARCHIVE_TS_V3));
    CU_ASSERT(!lts_oid__is(o, LTS_OID_ATS_HASH_INDEX_V3));
    ASN1_OBJECT_free(o);
    o = lts_oid__obj(LTS_OID_AA_SIGNING_CERT_V2);
    CU_ASSERT_EQUAL(OBJ_obj2nid(o), NID_id_smime_aa_signingCertificateV2);
    ASN1_OBJECT_free(o);
    for (int i = 0; i < LTS_OID__COUNT; i++) {
        o = lts_oid__obj((lts_oid)i);
        CU_ASSERT_PTR_NOT_NULL(o);
        ASN1_OBJECT_free(o);
    }
}

int lts_suite_core_der(void)
{
    static CU_TestInfo tests[] = {
        { "lengths", test_core_der__lengths },
        { "set_of_sorted", test_core_der__set_of_sorted },
        { "walker", test_core_der__walker },
        { "oids", test_core_der__oids },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("core_der", NULL, NULL, tests);
}
