/* Suite vdata_cache: lts_vdata_cached_new() asks its inner source once per item. The inner
 * source here is the real online collector wrapped by a counting source (a second
 * implementation of lts_vdata_ops, as a third-party source would be). Sequential and
 * threaded batches; a cached failure is replayed, not refetched. */
#include "vdata_test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <ltsig/sys/vdata.h>

static const char *const leaves[] = { "signer-rsa.pem", "signer-ec.pem", "tsa.pem",
                                      "signer-rsa.pem", "signer-revoked.pem", "tsa.pem" };
#define N_LEAVES 6

typedef struct {
    lts_vdata_source *src;
    const char *leaf;
    lts_status rc;
    size_t n_certs, n_ocsps, n_crls;
} job;

/* Prepared in the main thread: the test helpers' path buffers are not thread-safe. */
static char trust_path[1024];
static lts_buf leaf_der[N_LEAVES];

static int prepare(void)
{
    snprintf(trust_path, sizeof trust_path, "%s", lts_test_pki_file(0, "root.pem"));
    for (int i = 0; i < N_LEAVES; i++)
        if (vt_cert_der(leaves[i], &leaf_der[i]) != LTS_OK)
            return 1;
    return 0;
}

static int unprepare(void)
{
    for (int i = 0; i < N_LEAVES; i++)
        lts_buf_dispose(&leaf_der[i]);
    return 0;
}

static void *run_job(void *arg)
{
    job *j = arg;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_vdata_collect_opts o = LTS_VDATA_COLLECT_OPTS_INIT;
    const lts_buf *der = NULL;
    for (int i = 0; i < N_LEAVES; i++)
        if (strcmp(leaves[i], j->leaf) == 0)
            der = &leaf_der[i];
    o.trust_file = trust_path;
    j->rc = lts_vdata_collect(j->src, lts_buf_span(der), NULL, 0, &o, &b);
    if (j->rc != LTS_OK)
        fprintf(stderr, "\n%s: %s\n", j->leaf, lts_error_last()->message);
    j->n_certs = b.n_certs;
    j->n_ocsps = b.n_ocsps;
    j->n_crls = b.n_crls;
    lts_vdata_bundle_dispose(&b);
    return NULL;
}

static void check_counts(vt_counting *c)
{
    /* issuer: inter once via AIA for all leaves (the root comes from the trust anchors);
     * OCSP: once per distinct leaf (4) + once for inter (no URL: a cached NOTFOUND);
     * CRL: inter.crl once for all leaves + root.crl once for inter. */
    if (c->n_issuer != 1 || c->n_ocsp != 5 || c->n_crl != 2)
        fprintf(stderr, "\ninner calls: issuer %d, ocsp %d, crl %d\n", c->n_issuer, c->n_ocsp,
                c->n_crl);
    CU_ASSERT_EQUAL(c->n_issuer, 1);
    CU_ASSERT_EQUAL(c->n_ocsp, 5);
    CU_ASSERT_EQUAL(c->n_crl, 2);
}

static void test_vdata_cache__fetches_once(void)
{
    lts_vdata_source *cache = NULL;
    vt_counting *c = vt_counting_new(vt_online(10));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c->inner);
    LTS_ASSERT_OK(lts_vdata_cached_new(&cache, &c->base));
    for (int i = 0; i < N_LEAVES; i++) {
        job j = { cache, leaves[i], LTS_OK, 0, 0, 0 };
        run_job(&j);
        CU_ASSERT_EQUAL(j.rc, LTS_OK);
        CU_ASSERT_EQUAL(j.n_certs, 4);
        CU_ASSERT_EQUAL(j.n_ocsps, 1);
        CU_ASSERT_EQUAL(j.n_crls, 2);
    }
    check_counts(c);
    lts_vdata_free(cache); /* frees the counting source and the online one */
}

static void test_vdata_cache__threads_fetch_once(void)
{
    lts_vdata_source *cache = NULL;
    vt_counting *c = vt_counting_new(vt_online(10));
    pthread_t th[N_LEAVES * 2];
    job jobs[N_LEAVES * 2];
    CU_ASSERT_PTR_NOT_NULL_FATAL(c->inner);
    LTS_ASSERT_OK(lts_vdata_cached_new(&cache, &c->base));
    for (int i = 0; i < N_LEAVES * 2; i++) {
        job j = { cache, leaves[i % N_LEAVES], LTS_OK, 0, 0, 0 };
        jobs[i] = j;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
    }
    for (int i = 0; i < N_LEAVES * 2; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(jobs[i].rc, LTS_OK);
        CU_ASSERT_EQUAL(jobs[i].n_ocsps, 1);
        CU_ASSERT_EQUAL(jobs[i].n_crls, 2);
    }
    check_counts(c);
    lts_vdata_free(cache);
}

static void test_vdata_cache__failure_replayed(void)
{
    /* a responder that is down: asked once, the failure replayed with its message */
    lts_vdata_online_opts oo = LTS_VDATA_ONLINE_OPTS_INIT;
    lts_vdata_source *on = NULL, *cache = NULL;
    X509 *rsa = vt_cert("signer-rsa.pem"), *inter = vt_cert("inter.pem");
    lts_buf out = LTS_BUF_INIT;
    char url[64], first[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", vt_free_port());
    oo.ocsp_url = url;
    oo.timeout_s = 3;
    LTS_ASSERT_OK(lts_vdata_online_new(&on, &oo));
    vt_counting *c = vt_counting_new(on);
    LTS_ASSERT_OK(lts_vdata_cached_new(&cache, &c->base));
    CU_ASSERT_EQUAL(lts_vdata_get_ocsp(cache, rsa, inter, &out), LTS_E_NET);
    snprintf(first, sizeof first, "%s", lts_error_last()->message);
    CU_ASSERT_PTR_NOT_NULL(strstr(first, url));
    lts_error_clear();
    CU_ASSERT_EQUAL(lts_vdata_get_ocsp(cache, rsa, inter, &out), LTS_E_NET);
    CU_ASSERT_STRING_EQUAL(lts_error_last()->message, first);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_HTTP);
    CU_ASSERT_EQUAL(c->n_ocsp, 1);
    CU_ASSERT_EQUAL(out.n, 0);
    lts_vdata_free(cache);
    X509_free(rsa);
    X509_free(inter);
}

static void test_vdata_cache__rejects_bad_inner(void)
{
    static const lts_vdata_ops bad = { 99, "bad", NULL, NULL, NULL, NULL, NULL };
    lts_vdata_source s = { &bad }, *cache = NULL;
    CU_ASSERT_EQUAL(lts_vdata_cached_new(&cache, &s), LTS_E_CONFIG);
    CU_ASSERT_PTR_NULL(cache);
    CU_ASSERT_EQUAL(lts_vdata_cached_new(&cache, NULL), LTS_E_CONFIG);
}

int lts_suite_vdata_cache(void)
{
    static CU_TestInfo tests[] = {
        { "fetches_once", test_vdata_cache__fetches_once },
        { "threads_fetch_once", test_vdata_cache__threads_fetch_once },
        { "failure_replayed", test_vdata_cache__failure_replayed },
        { "rejects_bad_inner", test_vdata_cache__rejects_bad_inner },
        CU_TEST_INFO_NULL
    };
    if (!vt_phase("all") && !vt_phase("online") && !vt_phase("cache"))
        return 0;
    return lts_test_add_suite("vdata_cache", prepare, unprepare, tests);
}
