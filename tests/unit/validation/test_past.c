/* tests for validation/past.c: the past-signature-validation verdict on one certificate's
 * revocation data (EN 319 102-1 §5.2.5.4, §5.2.6, §5.3.4, §5.6.2.1). The function is pure:
 * every time is given, so the clock is pinned by construction (2020 signatures validated
 * in 2026, as in tests/unit/matrix). */
#include <string.h>
#include "lts_test.h"
#include <ltsig/policy.h>
#include "validation_int.h"

#define DAY ((lts_time)86400)
#define T2020 ((lts_time)1590969600)  /* 2020-06-01T00:00:00Z */
#define T2026 ((lts_time)1795651200)  /* 2026-11-26T00:00:00Z */

/* A certificate judged at control time T2020 with data issued at `issued`. */
static lts_past_in base(lts_past_role role, lts_cert_status st, lts_time issued)
{
    lts_past_in in;
    memset(&in, 0, sizeof in);
    in.role = role;
    in.have_data = 1;
    in.info.status = st;
    in.info.source = LTS_REVSRC_CRL;
    in.info.reason = -1;
    in.info.this_update = issued;
    in.info.next_update = issued + 30 * DAY;
    in.issued = issued;
    in.control_time = T2020;
    in.cert_not_after = T2026 + 365 * DAY;
    return in;
}

typedef struct {
    const char *name;
    lts_past_role role;
    lts_cert_status status;
    lts_time issued, revoked;     /* revoked: revocation time when REVOKED */
    int has_poe; lts_time poe;
    int has_claim; lts_time claim;
    lts_time max_age;
    int no_data, required;
    lts_indication want;
    lts_subindication want_sub;
} vec;

static const vec vectors[] = {
    /* revoked after the proof of existence: past signature validation accepts (§5.6.2.1) */
    { "signer revoked after PoE", LTS_PAST_SIGNER, LTS_CERT_REVOKED, T2026, T2026 - DAY,
      1, T2020, 1, T2020, 0, 0, 0, LTS_IND_TOTAL_PASSED, LTS_SUB_NONE },
    { "CA revoked after PoE", LTS_PAST_CA, LTS_CERT_REVOKED, T2026, T2026 - DAY,
      1, T2020, 1, T2020, 0, 0, 0, LTS_IND_TOTAL_PASSED, LTS_SUB_NONE },
    { "TSA revoked after genTime and after a PoE", LTS_PAST_TSA, LTS_CERT_REVOKED, T2026,
      T2020 + DAY, 1, T2020 + 3600, 1, T2020, 0, 0, 0, LTS_IND_TOTAL_PASSED, LTS_SUB_NONE },
    /* genTime is the TSA's own claim: before the revocation but with the only PoE after it,
     * nothing proves the token existed while the key was good */
    { "TSA revoked after genTime, PoE after", LTS_PAST_TSA, LTS_CERT_REVOKED, T2026, T2020 + DAY,
      1, T2020 + 2 * DAY, 1, T2020, 0, 0, 0, LTS_IND_INDETERMINATE, LTS_SUB_REVOKED_NO_POE },
    /* revoked before the signed claim of time: TOTAL_FAILED/REVOKED (§5.3.4) */
    { "signer revoked before signing-time", LTS_PAST_SIGNER, LTS_CERT_REVOKED, T2020, T2020 - DAY,
      0, 0, 1, T2020, 0, 0, 0, LTS_IND_TOTAL_FAILED, LTS_SUB_REVOKED },
    { "TSA revoked before genTime", LTS_PAST_TSA, LTS_CERT_REVOKED, T2020, T2020 - DAY,
      1, T2020 + DAY, 1, T2020, 0, 0, 0, LTS_IND_TOTAL_FAILED, LTS_SUB_REVOKED },
    /* a CA: never TOTAL_FAILED, REVOKED_CA_NO_POE (§5.2.6) */
    { "CA revoked before signing-time", LTS_PAST_CA, LTS_CERT_REVOKED, T2020, T2020 - DAY,
      0, 0, 1, T2020, 0, 0, 0, LTS_IND_INDETERMINATE, LTS_SUB_REVOKED_CA_NO_POE },
    { "CA revoked before PoE", LTS_PAST_CA, LTS_CERT_REVOKED, T2026, T2020 - DAY,
      1, T2020, 1, T2020, 0, 0, 0, LTS_IND_INDETERMINATE, LTS_SUB_REVOKED_CA_NO_POE },
    /* revoked, no PoE before, no claim after: REVOKED_NO_POE */
    { "signer revoked, claim before, no PoE", LTS_PAST_SIGNER, LTS_CERT_REVOKED, T2026, T2020 + DAY,
      0, 0, 1, T2020, 0, 0, 0, LTS_IND_INDETERMINATE, LTS_SUB_REVOKED_NO_POE },
    { "signer revoked, the PoE at the revocation", LTS_PAST_SIGNER, LTS_CERT_REVOKED, T2026, T2020,
      1, T2020, 0, 0, 0, 0, 0, LTS_IND_INDETERMINATE, LTS_SUB_REVOKED_NO_POE },
    /* good data: issued after the control time counts */
    { "good, issued after", LTS_PAST_CA, LTS_CERT_GOOD, T2020 + 60, 0,
      1, T2020, 1, T2020, 0, 0, 1, LTS_IND_TOTAL_PASSED, LTS_SUB_NONE },
    /* good data issued before: fresh by nextUpdate (no policy age) ... */
    { "good, issued before, fresh by nextUpdate", LTS_PAST_CA, LTS_CERT_GOOD, T2020 - 10 * DAY, 0,
      1, T2020, 1, T2020, 0, 0, 1, LTS_IND_TOTAL_PASSED, LTS_SUB_NONE },
    { "good, nextUpdate passed", LTS_PAST_CA, LTS_CERT_GOOD, T2020 - 40 * DAY, 0,
      1, T2020, 1, T2020, 0, 0, 1, LTS_IND_INDETERMINATE, LTS_SUB_TRY_LATER },
    /* ... or by the policy's max_revocation_age (§5.2.5.4) */
    { "good, within max age", LTS_PAST_SIGNER, LTS_CERT_GOOD, T2020 - 3600, 0,
      1, T2020, 1, T2020, 2 * 3600, 0, 1, LTS_IND_TOTAL_PASSED, LTS_SUB_NONE },
    { "good, older than max age", LTS_PAST_SIGNER, LTS_CERT_GOOD, T2020 - 3 * 3600, 0,
      1, T2020, 1, T2020, 2 * 3600, 0, 1, LTS_IND_INDETERMINATE, LTS_SUB_TRY_LATER },
    /* unknown status */
    { "unknown", LTS_PAST_CA, LTS_CERT_UNKNOWN, T2026, 0,
      1, T2020, 1, T2020, 0, 0, 1, LTS_IND_INDETERMINATE, LTS_SUB_TRY_LATER },
    /* no data: only said, unless required (long-term level, require_revocation) */
    { "no data, not required", LTS_PAST_CA, LTS_CERT_GOOD, 0, 0,
      1, T2020, 1, T2020, 0, 1, 0, LTS_IND_TOTAL_PASSED, LTS_SUB_NONE },
    { "no data, required", LTS_PAST_CA, LTS_CERT_GOOD, 0, 0,
      1, T2020, 1, T2020, 0, 1, 1, LTS_IND_INDETERMINATE, LTS_SUB_TRY_LATER },
};

static void test_validation_past__vectors(void)
{
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const vec *v = &vectors[i];
        lts_past_in in = base(v->role, v->status, v->issued);
        lts_past_out out;
        in.info.revocation_time = v->revoked;
        in.has_poe = v->has_poe;
        in.poe = v->poe;
        in.has_claim = v->has_claim;
        in.claim = v->claim;
        in.max_age = v->max_age;
        in.have_data = !v->no_data;
        in.data_required = v->required;
        memset(&out, 0x5a, sizeof out);
        lts_past__revocation(&in, &out);
        if (out.indication != v->want || out.sub != v->want_sub)
            fprintf(stderr, "\n  vector '%s': got %d/%d, want %d/%d (%s)\n", v->name,
                    (int)out.indication, (int)out.sub, (int)v->want, (int)v->want_sub, out.why);
        CU_ASSERT_EQUAL(out.indication, v->want);
        CU_ASSERT_EQUAL(out.sub, v->want_sub);
        /* a verdict other than passed always says why; the text is terminated */
        CU_ASSERT_TRUE(memchr(out.why, '\0', sizeof out.why) != NULL);
        if (v->want != LTS_IND_TOTAL_PASSED)
            CU_ASSERT_TRUE(out.why[0] != '\0');
    }
}

/* Data issued after the certificate's notAfter proves nothing about a control time within
 * the validity (the CA may drop expired entries, RFC 5280 §3.3). */
static void test_validation_past__issued_after_expiry(void)
{
    lts_past_in in = base(LTS_PAST_SIGNER, LTS_CERT_GOOD, T2026);
    lts_past_out out;
    in.cert_not_after = T2020 + 100 * DAY;
    lts_past__revocation(&in, &out);
    CU_ASSERT_EQUAL(out.indication, LTS_IND_INDETERMINATE);
    CU_ASSERT_EQUAL(out.sub, LTS_SUB_OUT_OF_BOUNDS_NOT_REVOKED);
    CU_ASSERT_PTR_NOT_NULL(strstr(out.why, "expired"));
    /* a revocation in such data still counts */
    in.info.status = LTS_CERT_REVOKED;
    in.info.revocation_time = T2020 - DAY;
    in.has_claim = 1;
    in.claim = T2020;
    lts_past__revocation(&in, &out);
    CU_ASSERT_EQUAL(out.indication, LTS_IND_TOTAL_FAILED);
    CU_ASSERT_EQUAL(out.sub, LTS_SUB_REVOKED);
}

/* The role names the certificate in the reason. */
static void test_validation_past__why_names_role(void)
{
    lts_past_in in = base(LTS_PAST_CA, LTS_CERT_REVOKED, T2026);
    lts_past_out out;
    in.info.revocation_time = T2020 - DAY;
    lts_past__revocation(&in, &out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out.why, "CA certificate"));
    in.role = LTS_PAST_TSA;
    lts_past__revocation(&in, &out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out.why, "TSA certificate"));
    CU_ASSERT_EQUAL(out.sub, LTS_SUB_REVOKED_NO_POE);
}

/* The policy keys that feed it: max_revocation_age (s, m, h, d) and require_revocation. */
static void test_validation_past__policy_keys(void)
{
    static const struct { const char *text; lts_time age; int req; } ok[] = {
        { "max_revocation_age = 3600\n", 3600, 0 },
        { "max_revocation_age = 90m\nrequire_revocation = yes\n", 5400, 1 },
        { "max_revocation_age = 2d\nrequire_revocation = no\n", 2 * 86400, 0 },
        { "# nothing\n", 0, 0 },
    };
    static const char *const bad[] = { "max_revocation_age = 0\n", "max_revocation_age = -5\n",
                                       "max_revocation_age = 3x\n", "max_revocation_age = d\n",
                                       "max_revocation_age = 99999999999d\n",
                                       "require_revocation = maybe\n" };
    lts_policy *p = NULL;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        lts_span t = { (const uint8_t *)ok[i].text, strlen(ok[i].text) };
        LTS_ASSERT_OK(lts_policy_parse(&p, t, "test.policy"));
        CU_ASSERT_EQUAL(lts_policy__max_revocation_age(p), ok[i].age);
        CU_ASSERT_EQUAL(lts_policy__require_revocation(p), ok[i].req);
        lts_policy_free(p);
        p = NULL;
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lts_span t = { (const uint8_t *)bad[i], strlen(bad[i]) };
        CU_ASSERT_EQUAL(lts_policy_parse(&p, t, "test.policy"), LTS_E_CONFIG);
        CU_ASSERT_PTR_NULL(p);
        CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "test.policy:1"));
    }
    CU_ASSERT_EQUAL(lts_policy__max_revocation_age(NULL), 0);
    CU_ASSERT_EQUAL(lts_policy__require_revocation(NULL), 0);
}

int lts_suite_validation_past(void)
{
    static CU_TestInfo tests[] = {
        { "vectors", test_validation_past__vectors },
        { "issued_after_expiry", test_validation_past__issued_after_expiry },
        { "why_names_role", test_validation_past__why_names_role },
        { "policy_keys", test_validation_past__policy_keys },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("validation_past", NULL, NULL, tests);
}
