/* tests for validation/revchain.c through lts_validate_file: a CAdES B-B by signer-revca
 * (its CA inter-revoked is revoked by the root), made by `openssl cms -cades`, validated
 * offline with and without a vdata_dir holding the root's CRL that lists the CA; the
 * signer's own revocation from vdata_dir; a bad vdata_dir; and an OOM loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ltsig/policy.h>
#include <ltsig/validate.h>
#include "lts_test.h"
#include "core/mem.h"
#include "validation_int.h"

static char sig_revca[1200], sig_revoked[1200], vd_ca[1200], vd_inter[1200];
static int ready;

static int setup(void)
{
    char cmd[16384];
    const char *pki = lts_test_pki();
    if (pki == NULL)
        return 0;
    snprintf(sig_revca, sizeof sig_revca, "%s", lts_test_tmp_file(0, "revchain-revca.p7s"));
    snprintf(sig_revoked, sizeof sig_revoked, "%s", lts_test_tmp_file(0, "revchain-revoked.p7s"));
    snprintf(vd_ca, sizeof vd_ca, "%s", lts_test_tmp_file(0, "revchain-vd-ca"));
    snprintf(vd_inter, sizeof vd_inter, "%s", lts_test_tmp_file(0, "revchain-vd-inter"));
    snprintf(cmd, sizeof cmd,
             "set -e; P='%s'; exec >/dev/null 2>&1\n"
             "printf 'revchain\\n' >'%s.txt'\n"
             "openssl cms -sign -in '%s.txt' -binary -nodetach -cades -md sha256 "
             "  -signer \"$P/signer-revca.pem\" -inkey \"$P/signer-revca.key\" "
             "  -certfile \"$P/inter-revoked-chain.pem\" -outform DER -out '%s'\n"
             "openssl cms -sign -in '%s.txt' -binary -nodetach -cades -md sha256 "
             "  -signer \"$P/signer-revoked.pem\" -inkey \"$P/signer-revoked.key\" "
             "  -certfile \"$P/chain.pem\" -outform DER -out '%s'\n"
             "rm -rf '%s' '%s'; mkdir -p '%s' '%s'\n"
             "cp \"$P/root-revca.crl\" \"$P/inter-revoked.crl\" '%s/'\n"
             "cp \"$P/inter.crl\" \"$P/root.crl\" '%s/'\n",
             pki, sig_revca, sig_revca, sig_revca, sig_revca, sig_revoked, vd_ca, vd_inter, vd_ca,
             vd_inter, vd_ca, vd_inter);
    int st = system(cmd);
    ready = st != -1 && WEXITSTATUS(st) == 0;
    return 0;
}

static lts_report *run(const char *sig, const char *vd, const char *policy_text)
{
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    lts_report *r = NULL;
    lts_policy *p = NULL;
    char root[1200];
    snprintf(root, sizeof root, "%s", lts_test_pki_file(1, "root.pem"));
    o.trust = root;
    o.offline = 1;
    o.vdata_dir = vd;
    if (policy_text) {
        lts_span t = { (const uint8_t *)policy_text, strlen(policy_text) };
        CU_ASSERT_EQUAL_FATAL(lts_policy_parse(&p, t, "t.policy"), LTS_OK);
        o.policy = p;
    }
    CU_ASSERT_EQUAL(lts_validate_file(sig, &o, &r), LTS_OK);
    lts_policy_free(p);
    return r;
}

static int has_msg(const lts_sig_result *s, const char *text)
{
    for (size_t i = 0; i < s->n_messages; i++)
        if (strstr(s->messages[i], text))
            return 1;
    return 0;
}

static void test_validation_revchain__revoked_ca(void)
{
    lts_report *r;
    CU_ASSERT_TRUE_FATAL(ready);
    /* no data offline at B-B: said, not judged */
    r = run(sig_revca, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->indication, LTS_IND_TOTAL_PASSED);
    CU_ASSERT_TRUE(has_msg(&r->sigs[0], "not checked (no data found)"));
    lts_report_free(r);
    /* the root's CRL listing the CA, from vdata_dir */
    r = run(sig_revca, vd_ca, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->indication, LTS_IND_INDETERMINATE);
    CU_ASSERT_EQUAL(r->subindication, LTS_SUB_REVOKED_CA_NO_POE);
    CU_ASSERT_TRUE(has_msg(&r->sigs[0], "(--vdata CRL) of the CA certificate"));
    CU_ASSERT_TRUE(has_msg(&r->sigs[0], "keyCompromise"));
    lts_report_free(r);
    /* a folder that covers other CAs only: no data for this one */
    r = run(sig_revca, vd_inter, "require_revocation = yes\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->indication, LTS_IND_INDETERMINATE);
    CU_ASSERT_EQUAL(r->subindication, LTS_SUB_TRY_LATER);
    lts_report_free(r);
}

static void test_validation_revchain__signer_from_vdata(void)
{
    lts_report *r;
    CU_ASSERT_TRUE_FATAL(ready);
    r = run(sig_revoked, vd_inter, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->indication, LTS_IND_TOTAL_FAILED);
    CU_ASSERT_EQUAL(r->subindication, LTS_SUB_REVOKED);
    lts_report_free(r);
    /* the root CRL is fresh (nextUpdate in 30 days), the policy asks for at most 1 s:
     * the CA's data (thisUpdate when the PKI was made) is too old at the validation time */
    r = run(sig_revca, vd_ca, "max_revocation_age = 1\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->indication, LTS_IND_INDETERMINATE);
    lts_report_free(r);
}

static void test_validation_revchain__bad_vdata_dir(void)
{
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    lts_report *r = NULL;
    CU_ASSERT_TRUE_FATAL(ready);
    o.offline = 1;
    o.vdata_dir = lts_test_tmp_file(2, "no-such-vdata");
    CU_ASSERT_NOT_EQUAL(lts_validate_file(sig_revca, &o, &r), LTS_OK);
    CU_ASSERT_PTR_NULL(r);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "no-such-vdata"));
}

/* Every allocation failure gives LTS_E_NOMEM and no report, or a report; nothing leaks
 * (the sanitizer build checks that). */
static void test_validation_revchain__oom(void)
{
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    char root[1200];
    int done = 0;
    CU_ASSERT_TRUE_FATAL(ready);
    snprintf(root, sizeof root, "%s", lts_test_pki_file(1, "root.pem"));
    o.trust = root;
    o.offline = 1;
    o.vdata_dir = vd_ca;
    for (long i = 0; i < 20000 && !done; i += (i < 400 ? 1 : 37)) {
        lts_report *r = NULL;
        lts_status st;
        lts_mem__fail_after(i, 0);
        st = lts_validate_file(sig_revca, &o, &r);
        lts_mem__fail_after(-1, 0);
        CU_ASSERT(st == LTS_OK || st == LTS_E_NOMEM);
        CU_ASSERT((st == LTS_OK) == (r != NULL));
        done = st == LTS_OK && r->subindication == LTS_SUB_REVOKED_CA_NO_POE;
        lts_report_free(r);
    }
    CU_ASSERT_TRUE(done);
}

int lts_suite_validation_revchain(void)
{
    static CU_TestInfo tests[] = {
        { "revoked_ca", test_validation_revchain__revoked_ca },
        { "signer_from_vdata", test_validation_revchain__signer_from_vdata },
        { "bad_vdata_dir", test_validation_revchain__bad_vdata_dir },
        { "oom", test_validation_revchain__oom },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("validation_revchain", setup, NULL, tests);
}
