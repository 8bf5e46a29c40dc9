/* tests for validation/profile.c: ISO 14533-1/-2/-3 conformance from the properties */
#include <string.h>
#include <ltsig/policy.h>
#include "report_test.h"

static lts_sig_result *sig(lts_report *r, const char *format, const char *level,
                           const char *const *props)
{
    lts_sig_result *s = NULL;
    LTS_ASSERT_OK(lts_report__add_sig(r, format, &s));
    LTS_ASSERT_OK(lts_report__set_str(&s->level, level));
    for (size_t i = 0; props[i]; i++)
        LTS_ASSERT_OK(lts_report__prop(s, props[i]));
    return s;
}

static void test_report_profile__cades(void)
{
    static const char *const bt[] = { "signing-certificate-v2", "signature-time-stamp",
                                      "signed-data-certificates", "signed-data-revocation", NULL };
    static const char *const esa[] = { "signing-certificate", "signature-time-stamp",
                                       "complete-certificate-refs", "complete-revocation-refs",
                                       "certificate-values", "revocation-values",
                                       "archive-time-stamp-v2", NULL };
    static const char *const bb[] = { "signing-certificate-v2", "signing-time", NULL };
    lts_report *r = rt_report("f", rt_time("2026-01-01"));
    lts_sig_result *s;
    sig(r, "CAdES", "B-LT", bt);
    sig(r, "CAdES", "ES-A", esa);
    sig(r, "CAdES", "B-B", bb);
    LTS_ASSERT_OK(lts_profile_check(r, LTS_PROFILE_ISO14533));
    s = &r->sigs[0];
    CU_ASSERT_STRING_EQUAL(s->profile, "ISO 14533-1 ES-T");
    CU_ASSERT_EQUAL(s->profile_conformant, 1);
    CU_ASSERT_EQUAL(s->indication, LTS_IND_TOTAL_PASSED);
    CU_ASSERT(rt_has_msg(s, "ES-XL: missing complete-certificate-references"));
    CU_ASSERT(rt_has_msg(s, "ES-XL: missing revocation-values"));
    CU_ASSERT(rt_has_msg(s, "baseline B-LT form"));
    CU_ASSERT(!rt_has_msg(s, "ES-A: missing")); /* stops at the first level not met */
    s = &r->sigs[1];
    CU_ASSERT_STRING_EQUAL(s->profile, "ISO 14533-1 ES-A");
    CU_ASSERT_EQUAL(s->profile_conformant, 1);
    CU_ASSERT(!rt_has_msg(s, "missing"));
    s = &r->sigs[2];
    CU_ASSERT_EQUAL(s->profile_conformant, 0);
    CU_ASSERT(rt_has_msg(s, "ES-T: missing signature-time-stamp"));
    CU_ASSERT(rt_has_msg(s, "NOT conformant"));
    CU_ASSERT_EQUAL(s->indication, LTS_IND_INDETERMINATE);
    CU_ASSERT_EQUAL(s->subindication, LTS_SUB_SIG_CONSTRAINTS_FAILURE);
    CU_ASSERT_EQUAL(r->indication, LTS_IND_INDETERMINATE); /* recomputed */
    lts_report_free(r);
}

static void test_report_profile__xades_pades(void)
{
    static const char *const xl[] = { "signing-certificate-v2", "signature-time-stamp",
                                      "complete-certificate-refs", "complete-revocation-refs",
                                      "certificate-values", "revocation-values", NULL };
    static const char *const lta[] = { "signing-certificate-v2", "DSS", "document-time-stamp", NULL };
    static const char *const pt[] = { "signing-certificate-v2", "document-time-stamp", NULL };
    static const char *const pdss[] = { "signing-certificate-v2", "DSS", "document-time-stamp", NULL };
    lts_report *r = rt_report("f", rt_time("2026-01-01"));
    sig(r, "XAdES", "ES-XL", xl);
    sig(r, "PAdES", "B-LTA", lta);
    sig(r, "PAdES", "B-T", pt);
    sig(r, "PAdES", "B-LT", pdss); /* DSS but no document time-stamp over it */
    sig(r, "JAdES", "B-B", pt);
    LTS_ASSERT_OK(lts_profile_check(r, LTS_PROFILE_ISO14533));
    CU_ASSERT_STRING_EQUAL(r->sigs[0].profile, "ISO 14533-2 ES-XL");
    CU_ASSERT(rt_has_msg(&r->sigs[0], "ES-A: missing xades141:ArchiveTimeStamp"));
    CU_ASSERT_STRING_EQUAL(r->sigs[1].profile, "ISO 14533-3 PAdES-A");
    CU_ASSERT_STRING_EQUAL(r->sigs[2].profile, "ISO 14533-3 PAdES-T");
    CU_ASSERT(rt_has_msg(&r->sigs[2], "PAdES-A: missing a DSS"));
    CU_ASSERT_STRING_EQUAL(r->sigs[3].profile, "ISO 14533-3 PAdES-T");
    CU_ASSERT(rt_has_msg(&r->sigs[3], "covering the DSS"));
    CU_ASSERT_PTR_NULL(r->sigs[4].profile);
    CU_ASSERT(rt_has_msg(&r->sigs[4], "no profile for the format JAdES"));
    lts_report_free(r);
}

static void test_report_profile__parse(void)
{
    lts_profile p = LTS_PROFILE_NONE;
    lts_report *r = rt_report("f", 0);
    LTS_ASSERT_OK(lts_profile_parse(&p, "ISO14533"));
    CU_ASSERT_EQUAL(p, LTS_PROFILE_ISO14533);
    CU_ASSERT_EQUAL(lts_profile_parse(&p, "iso19999"), LTS_E_UNSUPPORTED);
    CU_ASSERT_EQUAL(p, LTS_PROFILE_NONE);
    CU_ASSERT_EQUAL(lts_profile_parse(&p, NULL), LTS_E_UNSUPPORTED);
    CU_ASSERT_EQUAL(lts_profile_check(r, LTS_PROFILE_NONE), LTS_E_UNSUPPORTED);
    lts_report_free(r);
}

static void test_report_profile__props_unique(void)
{
    lts_report *r = rt_report("f", 0);
    lts_sig_result *s = NULL;
    LTS_ASSERT_OK(lts_report__add_sig(r, "CAdES", &s));
    LTS_ASSERT_OK(lts_report__prop(s, "DSS"));
    LTS_ASSERT_OK(lts_report__prop(s, "DSS"));
    CU_ASSERT_EQUAL(s->n_properties, 1);
    CU_ASSERT(lts_report__has_prop(s, "DSS"));
    CU_ASSERT(!lts_report__has_prop(s, "VRI"));
    lts_report_free(r);
}

int lts_suite_report_profile(void)
{
    static CU_TestInfo tests[] = {
        { "cades", test_report_profile__cades },
        { "xades_pades", test_report_profile__xades_pades },
        { "parse", test_report_profile__parse },
        { "props_unique", test_report_profile__props_unique },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("report_profile", NULL, NULL, tests);
}
