/* Unit tests of lts_pades_sign above B-B and lts_pades_extend (formats/pades/extend.c,
 * dss.c): a real RFC 3161 responder in process on a free loopback port, validation data
 * from the online collector (the fixture's HTTP/OCSP services), results read back with
 * lts_pades_open and lts_validate_file. Renewal = B-LTA extended to B-LTA again. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lts_test.h"
#include "pades_int.h"
#include "core/io.h"
#include "core/mem.h"

static lts_signer *tsa_signer, *signer;
static lts_tsa_responder *responder;
static lts_tsa_server *server;
static lts_tsa *tsa;
static lts_vdata_source *vdata;
/* Test paths live in slot buffers that later calls overwrite: keep copies. */
static char p_bb[1100], p_bt[1100], p_lta[1100], p_again[1100], p_root[1100];

static int setup(void)
{
    lts_signer_opts so = LTS_SIGNER_OPTS_INIT;
    lts_tsa_responder_opts ro = LTS_TSA_RESPONDER_OPTS_INIT;
    lts_tsa_server_opts sv = LTS_TSA_SERVER_OPTS_INIT;
    lts_vdata_online_opts vo = LTS_VDATA_ONLINE_OPTS_INIT;
    char uri[1100], url[64];
    const char *urls[1] = { url };
    so.passin = "pass:test1234";
    snprintf(uri, sizeof uri, "file:%s", lts_test_pki_file(0, "tsa.p12"));
    if (lts_signer_open(&tsa_signer, uri, &so) != LTS_OK ||
        lts_tsa_responder_new(&responder, tsa_signer, &ro) != LTS_OK ||
        lts_tsa_server_start(&server, responder, &sv) != LTS_OK)
        goto fail;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", lts_tsa_server_port(server));
    if (lts_tsa_open_http(&tsa, urls, 1, NULL) != LTS_OK)
        goto fail;
    snprintf(uri, sizeof uri, "file:%s", lts_test_pki_file(0, "signer-ec.p12"));
    if (lts_signer_open(&signer, uri, &so) != LTS_OK)
        goto fail;
    snprintf(p_root, sizeof p_root, "%s", lts_test_pki_file(0, "root.pem"));
    vo.trust_file = p_root;
    vo.timeout_s = 10;
    if (lts_vdata_online_new(&vdata, &vo) != LTS_OK)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "pades_extend setup: %s\n", lts_error_last()->message);
    return 1;
}

static int teardown(void)
{
    lts_vdata_free(vdata);
    lts_signer_close(signer);
    lts_tsa_close(tsa);
    lts_tsa_server_stop(server);
    lts_tsa_responder_free(responder);
    lts_signer_close(tsa_signer);
    return 0;
}

static size_t count_kind(const char *path, lts_pades_sig_kind kind, int *dss)
{
    lts_pades_doc *d = NULL;
    size_t n = 0;
    if (lts_pades_open(&d, path) != LTS_OK)
        return (size_t)-1;
    for (size_t i = 0; i < lts_pades_sig_count(d); i++) {
        const lts_pades_sig *s = lts_pades_sig_get(d, i);
        if (s->kind == kind && s->byte_range_ok)
            n++;
    }
    if (dss)
        *dss = lts_pades_has_dss(d, NULL);
    lts_pades_free(d);
    return n;
}

static const char *level_of(const char *path, char *buf, size_t cap)
{
    lts_validate_opts vo = LTS_VALIDATE_OPTS_INIT;
    lts_report *r = NULL;
    buf[0] = 0;
    vo.trust = p_root;
    if (lts_validate_file(path, &vo, &r) == LTS_OK && r->n_sigs > 0 &&
        r->indication == LTS_IND_TOTAL_PASSED)
        snprintf(buf, cap, "%s", r->sigs[0].level);
    lts_report_free(r);
    return buf;
}


static void paths(void)
{
    snprintf(p_bb, sizeof p_bb, "%s", lts_test_tmp_file(0, "bb.pdf"));
    snprintf(p_bt, sizeof p_bt, "%s", lts_test_tmp_file(0, "bt.pdf"));
    snprintf(p_lta, sizeof p_lta, "%s", lts_test_tmp_file(0, "lta.pdf"));
    snprintf(p_again, sizeof p_again, "%s", lts_test_tmp_file(0, "lta2.pdf"));
    snprintf(p_root, sizeof p_root, "%s", lts_test_pki_file(0, "root.pem"));
}

static void test_pades_extend__bb_to_lta_and_renew(void)
{
    const char *bb = p_bb, *bt = p_bt, *lta = p_lta, *again = p_again;
    lts_pades_sign_opts so = LTS_PADES_SIGN_OPTS_INIT;
    lts_pades_extend_opts eo = LTS_PADES_EXTEND_OPTS_INIT;
    int dss = 0;
    char lv[32];

    paths();
    LTS_ASSERT_OK(lts_pades_sign(signer, lts_test_src_file(7, "testdata/docs/sample.pdf"), bb, &so));
    CU_ASSERT_STRING_EQUAL(level_of(bb, lv, sizeof lv), "B-B");

    eo.level = LTS_LEVEL_B_T;
    eo.tsa = tsa;
    LTS_ASSERT_OK(lts_pades_extend(bb, bt, &eo));
    CU_ASSERT_EQUAL(count_kind(bt, LTS_PADES_DOC_TIMESTAMP, &dss), 1);
    CU_ASSERT_EQUAL(dss, 0);
    CU_ASSERT_STRING_EQUAL(level_of(bt, lv, sizeof lv), "B-T");

    /* B-LTA from B-T: the existing time-stamp is kept, DSS + one more time-stamp */
    eo.level = LTS_LEVEL_B_LTA;
    eo.vdata = vdata;
    eo.trust_file = p_root;
    LTS_ASSERT_OK(lts_pades_extend(bt, lta, &eo));
    CU_ASSERT_EQUAL(count_kind(lta, LTS_PADES_DOC_TIMESTAMP, &dss), 2);
    CU_ASSERT_EQUAL(dss, 1);
    CU_ASSERT_STRING_EQUAL(level_of(lta, lv, sizeof lv), "B-LTA");

    /* renewal: DSS again (now with the TSA's data for the last time-stamp) + time-stamp */
    LTS_ASSERT_OK(lts_pades_extend(lta, again, &eo));
    CU_ASSERT_EQUAL(count_kind(again, LTS_PADES_DOC_TIMESTAMP, &dss), 3);
    CU_ASSERT_EQUAL(count_kind(again, LTS_PADES_SIG, NULL), 1);
    CU_ASSERT_EQUAL(dss, 1);
    CU_ASSERT_STRING_EQUAL(level_of(again, lv, sizeof lv), "B-LTA");
}

static void test_pades_extend__sign_b_lt_directly(void)
{
    const char *out = p_bb;
    lts_pades_sign_opts so = LTS_PADES_SIGN_OPTS_INIT;
    int dss = 0;
    char lv[32];
    so.level = LTS_LEVEL_B_LT;
    so.tsa = tsa;
    so.vdata = vdata;
    paths();
    so.trust_file = p_root;
    so.hash = LTS_HASH_SHA384;
    LTS_ASSERT_OK(lts_pades_sign(signer, lts_test_src_file(7, "testdata/docs/sample-objstm.pdf"),
                                 out, &so));
    /* the signature-time-stamp is in the CMS: no document time-stamp needed for B-LT */
    CU_ASSERT_EQUAL(count_kind(out, LTS_PADES_DOC_TIMESTAMP, &dss), 0);
    CU_ASSERT_EQUAL(dss, 1);
    CU_ASSERT_STRING_EQUAL(level_of(out, lv, sizeof lv), "B-LT");
}

static void test_pades_extend__refusals(void)
{
    const char *bb = p_bb, *out = p_bt;
    lts_pades_sign_opts so = LTS_PADES_SIGN_OPTS_INIT;
    lts_pades_extend_opts eo = LTS_PADES_EXTEND_OPTS_INIT;
    uint64_t sz = 0;

    paths();
    unlink(out);
    LTS_ASSERT_OK(lts_pades_sign(signer, lts_test_src_file(7, "testdata/docs/sample.pdf"), bb, &so));
    /* no TSA */
    eo.level = LTS_LEVEL_B_T;
    CU_ASSERT_EQUAL(lts_pades_extend(bb, out, &eo), LTS_E_CONFIG);
    CU_ASSERT_EQUAL(lts_io__file_size(out, &sz), LTS_E_IO);
    /* B-LT without validation data */
    eo.level = LTS_LEVEL_B_LT;
    eo.tsa = tsa;
    CU_ASSERT_EQUAL(lts_pades_extend(bb, out, &eo), LTS_E_CONFIG);
    CU_ASSERT_EQUAL(lts_io__file_size(out, &sz), LTS_E_IO);
    /* an unsigned PDF */
    eo.level = LTS_LEVEL_B_T;
    CU_ASSERT_EQUAL(lts_pades_extend(lts_test_src_file(7, "testdata/docs/sample.pdf"), out, &eo),
                    LTS_E_NOTFOUND);
    CU_ASSERT_EQUAL(lts_io__file_size(out, &sz), LTS_E_IO);
    /* ES-XL is not a PAdES level; the output must not be the input */
    eo.level = LTS_LEVEL_ES_XL;
    CU_ASSERT_EQUAL(lts_pades_extend(bb, out, &eo), LTS_E_UNSUPPORTED);
    eo.level = LTS_LEVEL_B_T;
    CU_ASSERT_EQUAL(lts_pades_extend(bb, bb, &eo), LTS_E_CONFIG);
    /* signing: B-T without a TSA */
    so.level = LTS_LEVEL_B_T;
    CU_ASSERT_EQUAL(lts_pades_sign(signer, bb, out, &so), LTS_E_CONFIG);
    CU_ASSERT_EQUAL(lts_io__file_size(out, &sz), LTS_E_IO);
}

/* Every allocation of lts_pades_open failing in turn: LTS_E_NOMEM or success, no leak. */
static void test_pades_extend__open_oom_loop(void)
{
    const char *bb = p_bb;
    lts_pades_sign_opts so = LTS_PADES_SIGN_OPTS_INIT;
    int ok_seen = 0;
    paths();
    LTS_ASSERT_OK(lts_pades_sign(signer, lts_test_src_file(7, "testdata/docs/sample.pdf"), bb, &so));
    for (long n = 0; n < 200 && !ok_seen; n++) {
        lts_pades_doc *d = NULL;
        lts_status st;
        lts_mem__fail_after(n, 0);
        st = lts_pades_open(&d, bb);
        lts_mem__fail_after(-1, 0);
        CU_ASSERT(st == LTS_OK || st == LTS_E_NOMEM);
        if (st == LTS_OK) {
            ok_seen = 1;
            CU_ASSERT_EQUAL(lts_pades_sig_count(d), 1);
        } else {
            CU_ASSERT_PTR_NULL(d);
        }
        lts_pades_free(d);
    }
    CU_ASSERT(ok_seen);
}

/* Every allocation of lts_pades_sign failing in turn: LTS_E_NOMEM (or a wrapped error that
 * says so) and no output, or success; nothing leaks (ASan build). */
static void test_pades_extend__sign_oom_loop(void)
{
    const char *out = p_bt;
    lts_pades_sign_opts so = LTS_PADES_SIGN_OPTS_INIT;
    uint64_t sz = 0;
    int ok_seen = 0;
    paths();
    for (long n = 0; n < 2000 && !ok_seen; n++) {
        lts_status st;
        unlink(out);
        lts_mem__fail_after(n, 0);
        st = lts_pades_sign(signer, lts_test_src_file(7, "testdata/docs/sample-objstm.pdf"), out,
                            &so);
        lts_mem__fail_after(-1, 0);
        if (st == LTS_OK) {
            ok_seen = 1;
            break;
        }
        if (st != LTS_E_NOMEM)
            fprintf(stderr, "\nallocation %ld: %s: %s\n", n, lts_status_name(st),
                    lts_error_last()->message);
        CU_ASSERT_EQUAL(st, LTS_E_NOMEM);
        CU_ASSERT_EQUAL(lts_io__file_size(out, &sz), LTS_E_IO);
    }
    CU_ASSERT(ok_seen);
}

/* The same for lts_pades_extend to B-LTA (DSS with online validation data, document
 * time-stamp): every failure is LTS_E_NOMEM with no output. */
static void test_pades_extend__extend_oom_loop(void)
{
    lts_pades_sign_opts so = LTS_PADES_SIGN_OPTS_INIT;
    lts_pades_extend_opts eo = LTS_PADES_EXTEND_OPTS_INIT;
    uint64_t sz = 0;
    int ok_seen = 0;
    paths();
    LTS_ASSERT_OK(lts_pades_sign(signer, lts_test_src_file(7, "testdata/docs/sample.pdf"), p_bb,
                                 &so));
    eo.level = LTS_LEVEL_B_LTA;
    eo.tsa = tsa;
    eo.vdata = vdata;
    eo.trust_file = p_root;
    for (long n = 0; n < 20000 && !ok_seen; n += 1 + n / 50) {
        lts_status st;
        unlink(p_lta);
        lts_mem__fail_after(n, 0);
        st = lts_pades_extend(p_bb, p_lta, &eo);
        lts_mem__fail_after(-1, 0);
        if (st == LTS_OK) {
            ok_seen = 1;
            break;
        }
        /* the TSA runs in this process: when the failed allocation was the responder's,
         * the client sees an HTTP error from it (never a success, never an output) */
        if (st == LTS_E_NET && strstr(lts_error_last()->message, "timestamp failed"))
            st = LTS_E_NOMEM;
        if (st != LTS_E_NOMEM)
            fprintf(stderr, "\nallocation %ld: %s: %s\n", n, lts_status_name(st),
                    lts_error_last()->message);
        CU_ASSERT_EQUAL(st, LTS_E_NOMEM);
        CU_ASSERT_EQUAL(lts_io__file_size(p_lta, &sz), LTS_E_IO);
    }
    CU_ASSERT(ok_seen);
}

int lts_suite_pades_extend(void)
{
    static CU_TestInfo tests[] = {
        { "bb_to_lta_and_renew", test_pades_extend__bb_to_lta_and_renew },
        { "sign_b_lt_directly", test_pades_extend__sign_b_lt_directly },
        { "refusals", test_pades_extend__refusals },
        { "open_oom_loop", test_pades_extend__open_oom_loop },
        { "sign_oom_loop", test_pades_extend__sign_oom_loop },
        { "extend_oom_loop", test_pades_extend__extend_oom_loop },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("pades_extend", setup, teardown, tests);
}
