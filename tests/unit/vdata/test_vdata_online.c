/* Suite vdata_online: the online collector against the real services of the test PKI
 * (python http.server for caIssuers and CRLs, `openssl ocsp` as responder): OCSP good and
 * revoked, CRL, AIA caIssuers, and lts_vdata_collect() on signer-rsa, tsa, signer-revoked.
 * With env LTS_VDATA_SAVE_DIR, the bundles are also saved there (the integration test then
 * stops the services and checks that the offline source answers the same). */
#include "vdata_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lts_vdata_source *src;
static X509 *x_rsa, *x_rev, *x_inter, *x_root, *x_ocsp;

static int init(void)
{
    src = vt_online(10);
    x_rsa = vt_cert("signer-rsa.pem");
    x_rev = vt_cert("signer-revoked.pem");
    x_inter = vt_cert("inter.pem");
    x_root = vt_cert("root.pem");
    x_ocsp = vt_cert("ocsp.pem");
    return !(src && x_rsa && x_rev && x_inter && x_root && x_ocsp);
}

static int clean(void)
{
    lts_vdata_free(src);
    X509_free(x_rsa);
    X509_free(x_rev);
    X509_free(x_inter);
    X509_free(x_root);
    X509_free(x_ocsp);
    return 0;
}

static void check_ocsp(X509 *cert, lts_cert_status want, lts_revocation_info *ri)
{
    lts_buf resp = LTS_BUF_INIT, c = LTS_BUF_INIT, i = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_vdata_get_ocsp(src, cert, x_inter, &resp));
    LTS_ASSERT_OK(lts_vdata__x509_to_der(cert, &c));
    LTS_ASSERT_OK(lts_vdata__x509_to_der(x_inter, &i));
    LTS_ASSERT_OK(lts_vdata_ocsp_check(lts_buf_span(&resp), lts_buf_span(&c), lts_buf_span(&i),
                                       lts_clock_now(NULL), ri));
    CU_ASSERT_EQUAL(ri->status, want);
    CU_ASSERT_EQUAL(ri->source, LTS_REVSRC_OCSP);
    CU_ASSERT(ri->produced_at > lts_clock_now(NULL) - 600);
    CU_ASSERT(ri->next_update > ri->this_update); /* the responder runs with -ndays 7 */
    /* the same response says nothing about another certificate */
    CU_ASSERT_EQUAL(lts_vdata_ocsp_check(lts_buf_span(&resp), lts_buf_span(&i), lts_buf_span(&i),
                                         lts_clock_now(NULL), ri), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_NO_SINGLE);
    lts_buf_dispose(&resp);
    lts_buf_dispose(&c);
    lts_buf_dispose(&i);
}

static void test_vdata_online__ocsp_good(void)
{
    lts_revocation_info ri;
    check_ocsp(x_rsa, LTS_CERT_GOOD, &ri);
}

static void test_vdata_online__ocsp_revoked(void)
{
    lts_revocation_info ri;
    lts_buf resp = LTS_BUF_INIT, c = LTS_BUF_INIT, i = LTS_BUF_INIT;
    check_ocsp(x_rev, LTS_CERT_REVOKED, &ri);
    LTS_ASSERT_OK(lts_vdata_get_ocsp(src, x_rev, x_inter, &resp));
    LTS_ASSERT_OK(lts_vdata__x509_to_der(x_rev, &c));
    LTS_ASSERT_OK(lts_vdata__x509_to_der(x_inter, &i));
    LTS_ASSERT_OK(lts_vdata_ocsp_check(lts_buf_span(&resp), lts_buf_span(&c), lts_buf_span(&i),
                                       lts_clock_now(NULL), &ri));
    CU_ASSERT_EQUAL(ri.status, LTS_CERT_REVOKED);
    CU_ASSERT_EQUAL(ri.reason, 1);
    CU_ASSERT_STRING_EQUAL(lts_crl_reason_name(ri.reason), "keyCompromise");
    CU_ASSERT(ri.revocation_time > 0 && ri.revocation_time <= lts_clock_now(NULL));
    lts_buf_dispose(&resp);
    lts_buf_dispose(&c);
    lts_buf_dispose(&i);
}

static void test_vdata_online__crl_lists_revoked(void)
{
    lts_buf crl = LTS_BUF_INIT, c = LTS_BUF_INIT, i = LTS_BUF_INIT;
    lts_revocation_info ri;
    LTS_ASSERT_OK(lts_vdata_get_crl(src, x_rev, x_inter, &crl));
    LTS_ASSERT_OK(lts_vdata__x509_to_der(x_rev, &c));
    LTS_ASSERT_OK(lts_vdata__x509_to_der(x_inter, &i));
    LTS_ASSERT_OK(lts_vdata_crl_check(lts_buf_span(&crl), lts_buf_span(&c), lts_buf_span(&i),
                                      lts_clock_now(NULL), &ri));
    CU_ASSERT_EQUAL(ri.status, LTS_CERT_REVOKED);
    CU_ASSERT_EQUAL(ri.reason, 1);
    lts_buf_dispose(&crl);
    lts_buf_dispose(&c);
    lts_buf_dispose(&i);
}

static void test_vdata_online__aia_fetches_inter(void)
{
    lts_vdata_source *bare = NULL; /* no extra certs, no trust: only AIA can answer */
    X509 *got = NULL;
    LTS_ASSERT_OK(lts_vdata_online_new(&bare, NULL));
    LTS_ASSERT_OK(lts_vdata_get_issuer(bare, x_rsa, &got));
    CU_ASSERT_EQUAL(X509_cmp(got, x_inter), 0);
    X509_free(got);
    got = NULL;
    LTS_ASSERT_OK(lts_vdata_get_issuer(bare, x_inter, &got));
    CU_ASSERT_EQUAL(X509_cmp(got, x_root), 0);
    X509_free(got);
    got = NULL;
    /* the root names no caIssuers: a clear NOTFOUND */
    CU_ASSERT_EQUAL(lts_vdata_get_issuer(bare, x_root, &got), LTS_E_NOTFOUND);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_NO_URL);
    CU_ASSERT_PTR_NULL(got);
    lts_vdata_free(bare);
}

static void save_bundle(const lts_vdata_bundle *b, const char *leaf)
{
    const char *dir = getenv("LTS_VDATA_SAVE_DIR");
    char sub[1024];
    if (dir == NULL || *dir == '\0')
        return;
    snprintf(sub, sizeof sub, "%s/%s", dir, leaf);
    LTS_ASSERT_OK(lts_vdata_bundle_save(b, dir));  /* everything, for the offline source */
    LTS_ASSERT_OK(lts_vdata_bundle_save(b, sub));  /* per leaf, to compare with later */
}

/* Collect for leaf (a PKI file name) and check the shape: leaf, inter, root; the delegated
 * responder; one OCSP response (only leaves name a responder), two CRLs. */
static void collect_and_check(const char *leaf, lts_cert_status want)
{
    lts_buf der = LTS_BUF_INIT, rootder = LTS_BUF_INIT, ocspder = LTS_BUF_INIT;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_vdata_collect_opts o;
    lts_revocation_info ri;
    vt_collect_opts(&o);
    LTS_ASSERT_OK(vt_cert_der(leaf, &der));
    LTS_ASSERT_OK(vt_cert_der("root.pem", &rootder));
    LTS_ASSERT_OK(vt_cert_der("ocsp.pem", &ocspder));
    LTS_ASSERT_OK(lts_vdata_collect(src, lts_buf_span(&der), NULL, 0, &o, &b));
    CU_ASSERT_EQUAL(b.chain_len, 3);
    CU_ASSERT_EQUAL(b.n_certs, 4);
    CU_ASSERT_EQUAL(b.n_ocsps, 1);
    CU_ASSERT_EQUAL(b.n_crls, 2);
    if (b.n_certs == 4) {
        CU_ASSERT(lts_span_eq(lts_buf_span(&b.certs[0]), lts_buf_span(&der)));
        CU_ASSERT(lts_span_eq(lts_buf_span(&b.certs[2]), lts_buf_span(&rootder)));
        CU_ASSERT(lts_span_eq(lts_buf_span(&b.certs[3]), lts_buf_span(&ocspder)));
    }
    LTS_ASSERT_OK(lts_vdata_bundle_status(&b, 0, lts_clock_now(NULL), &ri));
    CU_ASSERT_EQUAL(ri.status, want);
    CU_ASSERT_EQUAL(ri.source, LTS_REVSRC_OCSP);
    LTS_ASSERT_OK(lts_vdata_bundle_status(&b, 1, lts_clock_now(NULL), &ri));
    CU_ASSERT_EQUAL(ri.status, LTS_CERT_GOOD);
    CU_ASSERT_EQUAL(ri.source, LTS_REVSRC_CRL); /* inter names no OCSP responder */
    CU_ASSERT_EQUAL(lts_vdata_bundle_status(&b, 2, lts_clock_now(NULL), &ri), LTS_E_NOTFOUND);
    /* in 60 days everything is stale: the failure says so; without freshness it still reads */
    CU_ASSERT_EQUAL(lts_vdata_bundle_status(&b, 0, lts_clock_now(NULL) + 60 * 86400, &ri),
                    LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_STALE);
    LTS_ASSERT_OK(lts_vdata_bundle_status(&b, 0, LTS_VDATA_NO_FRESHNESS, &ri));
    CU_ASSERT_EQUAL(ri.status, want);
    save_bundle(&b, leaf);
    lts_vdata_bundle_dispose(&b);
    CU_ASSERT_PTR_NULL(b.certs);
    CU_ASSERT_EQUAL(b.n_certs, 0);
    lts_buf_dispose(&der);
    lts_buf_dispose(&rootder);
    lts_buf_dispose(&ocspder);
}

static void test_vdata_online__collect_signer_rsa(void)
{
    collect_and_check("signer-rsa.pem", LTS_CERT_GOOD);
}

static void test_vdata_online__collect_tsa(void)
{
    collect_and_check("tsa.pem", LTS_CERT_GOOD);
}

static void test_vdata_online__collect_revoked_is_not_an_error(void)
{
    collect_and_check("signer-revoked.pem", LTS_CERT_REVOKED);
}

static void test_vdata_online__collect_with_candidates(void)
{
    /* inter given by the caller: no caIssuers fetch needed; the result is the same */
    lts_buf der = LTS_BUF_INIT, inter = LTS_BUF_INIT;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_vdata_collect_opts o;
    lts_span cand;
    vt_collect_opts(&o);
    LTS_ASSERT_OK(vt_cert_der("signer-ec.pem", &der));
    LTS_ASSERT_OK(vt_cert_der("inter.pem", &inter));
    cand = lts_buf_span(&inter);
    LTS_ASSERT_OK(lts_vdata_collect(src, lts_buf_span(&der), &cand, 1, &o, &b));
    CU_ASSERT_EQUAL(b.chain_len, 3);
    CU_ASSERT(b.chain_len == 3 && lts_span_eq(lts_buf_span(&b.certs[1]), cand));
    lts_vdata_bundle_dispose(&b);
    lts_buf_dispose(&der);
    lts_buf_dispose(&inter);
}

static void test_vdata_online__collect_crl_only(void)
{
    lts_buf der = LTS_BUF_INIT;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_vdata_collect_opts o;
    lts_revocation_info ri;
    vt_collect_opts(&o);
    o.revocation = LTS_VDATA_CRL;
    LTS_ASSERT_OK(vt_cert_der("signer-revoked.pem", &der));
    LTS_ASSERT_OK(lts_vdata_collect(src, lts_buf_span(&der), NULL, 0, &o, &b));
    CU_ASSERT_EQUAL(b.n_ocsps, 0);
    CU_ASSERT_EQUAL(b.n_crls, 2);
    CU_ASSERT_EQUAL(b.n_certs, 3); /* no responder certificate */
    LTS_ASSERT_OK(lts_vdata_bundle_status(&b, 0, lts_clock_now(NULL), &ri));
    CU_ASSERT_EQUAL(ri.status, LTS_CERT_REVOKED);
    CU_ASSERT_EQUAL(ri.source, LTS_REVSRC_CRL);
    lts_vdata_bundle_dispose(&b);
    lts_buf_dispose(&der);
}

static void test_vdata_online__collect_ocsp_only_fails_on_inter(void)
{
    /* inter names no OCSP responder: with OCSP only there is nothing for it */
    lts_buf der = LTS_BUF_INIT;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_vdata_collect_opts o;
    vt_collect_opts(&o);
    o.revocation = LTS_VDATA_OCSP;
    LTS_ASSERT_OK(vt_cert_der("signer-rsa.pem", &der));
    CU_ASSERT_EQUAL(lts_vdata_collect(src, lts_buf_span(&der), NULL, 0, &o, &b), LTS_E_NOTFOUND);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_NO_REVOCATION);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "Intermediate"));
    CU_ASSERT_PTR_NULL(b.certs);
    CU_ASSERT_EQUAL(b.n_ocsps, 0);
    lts_buf_dispose(&der);
}

static void test_vdata_online__collect_untrusted(void)
{
    /* untrusted-signer's chain ends at a root that is not the anchor */
    lts_buf der = LTS_BUF_INIT, uroot = LTS_BUF_INIT;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_vdata_collect_opts o;
    lts_span cand;
    vt_collect_opts(&o);
    LTS_ASSERT_OK(vt_cert_der("untrusted-signer.pem", &der));
    LTS_ASSERT_OK(vt_cert_der("untrusted-root.pem", &uroot));
    cand = lts_buf_span(&uroot);
    CU_ASSERT_EQUAL(lts_vdata_collect(src, lts_buf_span(&der), &cand, 1, &o, &b), LTS_E_NOTFOUND);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_NO_ANCHOR);
    /* without the candidate: no issuer at all (no AIA) */
    CU_ASSERT_EQUAL(lts_vdata_collect(src, lts_buf_span(&der), NULL, 0, &o, &b), LTS_E_NOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "no issuer for"));
    CU_ASSERT_PTR_NULL(b.certs);
    lts_buf_dispose(&der);
    lts_buf_dispose(&uroot);
}

static void test_vdata_online__collect_bad_input(void)
{
    static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01 };
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_vdata_collect_opts o;
    vt_collect_opts(&o);
    CU_ASSERT_EQUAL(lts_vdata_collect(src, lts_span_of(junk, sizeof junk), NULL, 0, &o, &b),
                    LTS_E_INPUT);
    o.version = 99;
    CU_ASSERT_EQUAL(lts_vdata_collect(src, lts_span_of(junk, sizeof junk), NULL, 0, &o, &b),
                    LTS_E_CONFIG);
    vt_collect_opts(&o);
    o.trust_file = "/nonexistent/trust.pem";
    CU_ASSERT_EQUAL(lts_vdata_collect(src, lts_span_of(junk, sizeof junk), NULL, 0, &o, &b),
                    LTS_E_INPUT); /* the leaf is parsed first */
    CU_ASSERT_PTR_NULL(b.certs);
}

static void test_vdata_online__opts_checked(void)
{
    lts_vdata_online_opts oo = LTS_VDATA_ONLINE_OPTS_INIT;
    lts_vdata_source *s = NULL;
    oo.version = 7;
    CU_ASSERT_EQUAL(lts_vdata_online_new(&s, &oo), LTS_E_CONFIG);
    CU_ASSERT_PTR_NULL(s);
    oo.version = LTS_VDATA_ONLINE_OPTS_VERSION;
    oo.trust_file = "/nonexistent/trust.pem";
    CU_ASSERT_NOT_EQUAL(lts_vdata_online_new(&s, &oo), LTS_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "/nonexistent/trust.pem"));
    CU_ASSERT_PTR_NULL(s);
    oo.trust_file = lts_test_pki_file(0, "inter.crl"); /* not certificates */
    CU_ASSERT_EQUAL(lts_vdata_online_new(&s, &oo), LTS_E_INPUT);
    CU_ASSERT_PTR_NULL(s);
}

int lts_suite_vdata_online(void)
{
    static CU_TestInfo tests[] = {
        { "ocsp_good", test_vdata_online__ocsp_good },
        { "ocsp_revoked", test_vdata_online__ocsp_revoked },
        { "crl_lists_revoked", test_vdata_online__crl_lists_revoked },
        { "aia_fetches_inter", test_vdata_online__aia_fetches_inter },
        { "collect_signer_rsa", test_vdata_online__collect_signer_rsa },
        { "collect_tsa", test_vdata_online__collect_tsa },
        { "collect_revoked_is_not_an_error", test_vdata_online__collect_revoked_is_not_an_error },
        { "collect_with_candidates", test_vdata_online__collect_with_candidates },
        { "collect_crl_only", test_vdata_online__collect_crl_only },
        { "collect_ocsp_only_fails_on_inter", test_vdata_online__collect_ocsp_only_fails_on_inter },
        { "collect_untrusted", test_vdata_online__collect_untrusted },
        { "collect_bad_input", test_vdata_online__collect_bad_input },
        { "opts_checked", test_vdata_online__opts_checked },
        CU_TEST_INFO_NULL
    };
    if (!vt_phase("all") && !vt_phase("online"))
        return 0;
    return lts_test_add_suite("vdata_online", init, clean, tests);
}
