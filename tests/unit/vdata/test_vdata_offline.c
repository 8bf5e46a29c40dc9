/* Suite vdata_offline: the folder source. Phase "all" (plain ctest): collect online, save
 * the bundles, and collect again from the saved folder: the same bytes. Phase "offline"
 * (tests/integration/test_vdata_online.sh, services stopped): collect from the folder the
 * online phase saved (env LTS_VDATA_DIR) and save again under LTS_VDATA_RESAVE_DIR for the
 * script to compare. Negative cases: missing folder, unparsable file, empty folder. */
#include "vdata_test.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const leaves[] = { "signer-rsa.pem", "tsa.pem", "signer-revoked.pem" };

static int same_bundle(const lts_vdata_bundle *a, const lts_vdata_bundle *b)
{
    if (a->n_certs != b->n_certs || a->chain_len != b->chain_len || a->n_ocsps != b->n_ocsps
        || a->n_crls != b->n_crls)
        return 0;
    for (size_t i = 0; i < a->n_certs; i++)
        if (!lts_span_eq(lts_buf_span(&a->certs[i]), lts_buf_span(&b->certs[i])))
            return 0;
    for (size_t i = 0; i < a->n_ocsps; i++)
        if (!lts_span_eq(lts_buf_span(&a->ocsps[i]), lts_buf_span(&b->ocsps[i])))
            return 0;
    for (size_t i = 0; i < a->n_crls; i++)
        if (!lts_span_eq(lts_buf_span(&a->crls[i]), lts_buf_span(&b->crls[i])))
            return 0;
    return 1;
}

static void collect_from(lts_vdata_source *s, const char *leaf, lts_vdata_bundle *b)
{
    lts_buf der = LTS_BUF_INIT;
    lts_vdata_collect_opts o;
    vt_collect_opts(&o);
    LTS_ASSERT_OK(vt_cert_der(leaf, &der));
    LTS_ASSERT_OK(lts_vdata_collect(s, lts_buf_span(&der), NULL, 0, &o, b));
    lts_buf_dispose(&der);
}

static void check_status(const lts_vdata_bundle *b, const char *leaf)
{
    lts_revocation_info ri;
    LTS_ASSERT_OK(lts_vdata_bundle_status(b, 0, lts_clock_now(NULL), &ri));
    CU_ASSERT_EQUAL(ri.status, strcmp(leaf, "signer-revoked.pem") == 0 ? LTS_CERT_REVOKED
                                                                       : LTS_CERT_GOOD);
}

static void test_vdata_offline__answers_like_online(void)
{
    lts_vdata_source *on = vt_online(10), *off = NULL;
    const char *dir = lts_test_tmp_file(0, "vdata-saved");
    char dirbuf[1024];
    snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(on);
    lts_vdata_bundle a[3] = { LTS_VDATA_BUNDLE_INIT, LTS_VDATA_BUNDLE_INIT, LTS_VDATA_BUNDLE_INIT };
    for (int i = 0; i < 3; i++) {
        collect_from(on, leaves[i], &a[i]);
        LTS_ASSERT_OK(lts_vdata_bundle_save(&a[i], dirbuf));
    }
    lts_vdata_free(on);
    LTS_ASSERT_OK(lts_vdata_offline_new(&off, dirbuf));
    for (int i = 0; i < 3; i++) {
        lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
        collect_from(off, leaves[i], &b);
        CU_ASSERT(same_bundle(&a[i], &b));
        check_status(&b, leaves[i]);
        lts_vdata_bundle_dispose(&b);
        lts_vdata_bundle_dispose(&a[i]);
    }
    lts_vdata_free(off);
}

static void test_vdata_offline__phase_offline(void)
{
    /* the services are stopped: only the folder can answer */
    const char *dir = getenv("LTS_VDATA_DIR"), *redir = getenv("LTS_VDATA_RESAVE_DIR");
    lts_vdata_source *off = NULL;
    char sub[1024];
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(redir);
    LTS_ASSERT_OK(lts_vdata_offline_new(&off, dir));
    for (int i = 0; i < 3; i++) {
        lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
        collect_from(off, leaves[i], &b);
        CU_ASSERT_EQUAL(b.chain_len, 3);
        CU_ASSERT_EQUAL(b.n_ocsps, 1);
        CU_ASSERT_EQUAL(b.n_crls, 2);
        check_status(&b, leaves[i]);
        snprintf(sub, sizeof sub, "%s/%s", redir, leaves[i]);
        mkdir(redir, 0755);
        LTS_ASSERT_OK(lts_vdata_bundle_save(&b, sub));
        lts_vdata_bundle_dispose(&b);
    }
    lts_vdata_free(off);
}

static void test_vdata_offline__missing_folder(void)
{
    lts_vdata_source *off = NULL;
    CU_ASSERT_EQUAL(lts_vdata_offline_new(&off, "/nonexistent/vdata"), LTS_E_NOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "/nonexistent/vdata"));
    CU_ASSERT_PTR_NULL(off);
    CU_ASSERT_EQUAL(lts_vdata_offline_new(&off, NULL), LTS_E_CONFIG);
}

static void test_vdata_offline__bad_file_named(void)
{
    lts_vdata_source *off = NULL;
    char dir[1024], f[1100];
    static const char junk[] = "this is not a CRL\n";
    snprintf(dir, sizeof dir, "%s", lts_test_tmp_file(0, "vdata-bad"));
    mkdir(dir, 0755);
    snprintf(f, sizeof f, "%s/broken.crl", dir);
    LTS_ASSERT_OK(lts_io__write_atomic(f, lts_span_of(junk, sizeof junk - 1), 0));
    CU_ASSERT_EQUAL(lts_vdata_offline_new(&off, dir), LTS_E_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "broken.crl"));
    CU_ASSERT_PTR_NULL(off);
    /* an unknown extension is ignored; a bad .ocsp is named */
    remove(f);
    snprintf(f, sizeof f, "%s/notes.txt", dir);
    LTS_ASSERT_OK(lts_io__write_atomic(f, lts_span_of(junk, sizeof junk - 1), 0));
    LTS_ASSERT_OK(lts_vdata_offline_new(&off, dir));
    lts_vdata_free(off);
    off = NULL;
    snprintf(f, sizeof f, "%s/resp.ocsp", dir);
    LTS_ASSERT_OK(lts_io__write_atomic(f, lts_span_of(junk, sizeof junk - 1), 0));
    CU_ASSERT_EQUAL(lts_vdata_offline_new(&off, dir), LTS_E_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "resp.ocsp"));
    CU_ASSERT_PTR_NULL(off);
}

static void test_vdata_offline__certs_only_folder(void)
{
    /* certificates (PEM, several per file) and the CRLs, no OCSP response: the chain is
     * built from the folder, OCSP is NOTFOUND (tolerated), CRLs answer; nothing fetched */
    lts_vdata_source *off = NULL;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_buf chain = LTS_BUF_INIT, crl = LTS_BUF_INIT, crl2 = LTS_BUF_INIT;
    char dir[1024], f[1100];
    snprintf(dir, sizeof dir, "%s", lts_test_tmp_file(0, "vdata-certs"));
    mkdir(dir, 0755);
    LTS_ASSERT_OK(lts_io__read_file(&chain, lts_test_pki_file(0, "chain.pem"), 0));
    LTS_ASSERT_OK(lts_io__read_file(&crl, lts_test_pki_file(0, "inter.crl"), 0));
    LTS_ASSERT_OK(lts_io__read_file(&crl2, lts_test_pki_file(0, "work/root.crl.pem"), 0));
    snprintf(f, sizeof f, "%s/chain.pem", dir);
    LTS_ASSERT_OK(lts_io__write_atomic(f, lts_buf_span(&chain), 0));
    snprintf(f, sizeof f, "%s/inter.der", dir); /* a .der CRL */
    LTS_ASSERT_OK(lts_io__write_atomic(f, lts_buf_span(&crl), 0));
    snprintf(f, sizeof f, "%s/root.crl", dir); /* a PEM CRL */
    LTS_ASSERT_OK(lts_io__write_atomic(f, lts_buf_span(&crl2), 0));
    LTS_ASSERT_OK(lts_vdata_offline_new(&off, dir));
    collect_from(off, "signer-revoked.pem", &b);
    CU_ASSERT_EQUAL(b.chain_len, 3);
    CU_ASSERT_EQUAL(b.n_ocsps, 0);
    CU_ASSERT_EQUAL(b.n_crls, 2);
    check_status(&b, "signer-revoked.pem");
    lts_vdata_bundle_dispose(&b);
    lts_vdata_free(off);
    lts_buf_dispose(&chain);
    lts_buf_dispose(&crl);
    lts_buf_dispose(&crl2);
}

static void test_vdata_offline__empty_folder(void)
{
    lts_vdata_source *off = NULL;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_buf der = LTS_BUF_INIT;
    lts_vdata_collect_opts o;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", lts_test_tmp_file(0, "vdata-empty"));
    mkdir(dir, 0755);
    LTS_ASSERT_OK(lts_vdata_offline_new(&off, dir));
    vt_collect_opts(&o);
    LTS_ASSERT_OK(vt_cert_der("signer-rsa.pem", &der));
    CU_ASSERT_EQUAL(lts_vdata_collect(off, lts_buf_span(&der), NULL, 0, &o, &b), LTS_E_NOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "validation data folder"));
    CU_ASSERT_PTR_NULL(b.certs);
    lts_buf_dispose(&der);
    lts_vdata_free(off);
}

/* Every allocation of the library failing in turn (core/mem.c fault injection): offline
 * source, cache, collect, save; each run ends in LTS_OK or LTS_E_NOMEM, leaks show under
 * ASan. Uses the folder answers_like_online saved. */
static void test_vdata_offline__oom_loop(void)
{
    char dir[1024], out[1024];
    lts_buf der = LTS_BUF_INIT;
    lts_vdata_collect_opts o;
    long i;
    int done = 0;
    snprintf(dir, sizeof dir, "%s", lts_test_tmp_file(0, "vdata-saved"));
    snprintf(out, sizeof out, "%s", lts_test_tmp_file(0, "vdata-oom"));
    vt_collect_opts(&o);
    LTS_ASSERT_OK(vt_cert_der("signer-revoked.pem", &der));
    for (i = 0; i < 3000 && !done; i++) {
        lts_vdata_source *off = NULL, *cache = NULL;
        lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
        lts_revocation_info ri;
        lts_mem__fail_after(i, 0);
        lts_status st = lts_vdata_offline_new(&off, dir);
        if (st == LTS_OK) {
            st = lts_vdata_cached_new(&cache, off);
            off = NULL; /* the cache owns it, even on failure */
        }
        if (st == LTS_OK)
            st = lts_vdata_collect(cache, lts_buf_span(&der), NULL, 0, &o, &b);
        if (st == LTS_OK)
            st = lts_vdata_bundle_save(&b, out);
        if (st == LTS_OK)
            st = lts_vdata_bundle_status(&b, 0, lts_clock_now(NULL), &ri);
        lts_mem__fail_after(-1, 0);
        if (st != LTS_OK && st != LTS_E_NOMEM)
            fprintf(stderr, "\nallocation %ld: %s: %s\n", i, lts_status_name(st),
                    lts_error_last()->message);
        CU_ASSERT(st == LTS_OK || st == LTS_E_NOMEM);
        if (st == LTS_OK) {
            CU_ASSERT_EQUAL(ri.status, LTS_CERT_REVOKED);
            CU_ASSERT_EQUAL(b.n_ocsps, 1);
            done = 1;
        } else {
            CU_ASSERT_PTR_NULL(b.certs);
        }
        lts_vdata_bundle_dispose(&b);
        lts_vdata_free(cache);
        lts_vdata_free(off);
    }
    CU_ASSERT(done);
    CU_ASSERT(i > 20); /* the loop did inject failures */
    lts_buf_dispose(&der);
}

int lts_suite_vdata_offline(void)
{
    static CU_TestInfo all[] = {
        { "answers_like_online", test_vdata_offline__answers_like_online },
        { "missing_folder", test_vdata_offline__missing_folder },
        { "bad_file_named", test_vdata_offline__bad_file_named },
        { "certs_only_folder", test_vdata_offline__certs_only_folder },
        { "empty_folder", test_vdata_offline__empty_folder },
        { "oom_loop", test_vdata_offline__oom_loop },
        CU_TEST_INFO_NULL
    };
    static CU_TestInfo offline[] = {
        { "phase_offline", test_vdata_offline__phase_offline },
        { "certs_only_folder", test_vdata_offline__certs_only_folder },
        { "empty_folder", test_vdata_offline__empty_folder },
        CU_TEST_INFO_NULL
    };
    if (vt_phase("offline"))
        return lts_test_add_suite("vdata_offline", NULL, NULL, offline);
    if (!vt_phase("all"))
        return 0;
    return lts_test_add_suite("vdata_offline", NULL, NULL, all);
}
