/* Allocation-failure loops over the top-level CLI-facing entry points that had none:
 * lts_validate_file on a CAdES, a XAdES and a PAdES sample, at B-B and at B-T (time-stamps
 * from an in-process responder), and lts_cades_sign_file
 * (issue 8). For n = 0, 1, 2, ... the (n+1)-th allocation of the call fails (once, and in a
 * second pass from there on: sticky); every run must return LTS_E_NOMEM or succeed, never
 * crash, and leak nothing (the ASan build's leak checker runs at exit). The loop ends at
 * the first n the call no longer reaches.
 *
 * Only our own allocations fail: lts_mem__fail_after (core/mem.h) drives lts_malloc and
 * friends, while OpenSSL, libxml2/xmlsec and QPDF allocate through their own allocators,
 * which are left alone here. That is intended: the point is our error paths (every
 * LTS_ALLOC, every goto out), not the libraries'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lts_test.h"
#include "core/io.h"
#include "core/mem.h"

static lts_signer *signer, *tsa_signer;
static lts_tsa_responder *responder;
static lts_tsa *tsa;
static char p_cades[1100], p_xades[1100], p_pades[1100], p_root[1100], p_txt[1100];
/* the same at B-T: signature time-stamps from an in-process responder (tsa.p12) */
static char p_cades_t[1100], p_xades_t[1100], p_pades_t[1100];

static lts_status write_file(const char *path, const lts_buf *b)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return LTS_E_IO;
    if (fwrite(b->p, 1, b->n, f) != b->n) {
        fclose(f);
        return LTS_E_IO;
    }
    return fclose(f) == 0 ? LTS_OK : LTS_E_IO;
}

static int setup(void)
{
    lts_signer_opts so = LTS_SIGNER_OPTS_INIT;
    lts_cades_sign_opts co = LTS_CADES_SIGN_OPTS_INIT;
    lts_xades_sign_opts xo = LTS_XADES_SIGN_OPTS_INIT;
    lts_pades_sign_opts po = LTS_PADES_SIGN_OPTS_INIT;
    lts_buf b = LTS_BUF_INIT;
    char uri[1100];
    if (!lts_test_pki()) {
        fprintf(stderr, "hardening_oom: LTS_TEST_PKI is not set\n");
        return 1;
    }
    so.passin = "pass:test1234";
    snprintf(uri, sizeof uri, "file:%s", lts_test_pki_file(0, "signer-rsa.p12"));
    snprintf(p_root, sizeof p_root, "%s", lts_test_pki_file(0, "root.pem"));
    snprintf(p_txt, sizeof p_txt, "%s", lts_test_src_file(0, "testdata/docs/sample.txt"));
    snprintf(p_cades, sizeof p_cades, "%s", lts_test_tmp_file(0, "oom.p7m"));
    snprintf(p_xades, sizeof p_xades, "%s", lts_test_tmp_file(0, "oom.xml"));
    snprintf(p_pades, sizeof p_pades, "%s", lts_test_tmp_file(0, "oom.pdf"));
    if (lts_signer_open(&signer, uri, &so) != LTS_OK)
        goto fail;
    if (lts_cades_sign_file(&b, signer, p_txt, &co) != LTS_OK || write_file(p_cades, &b) != LTS_OK)
        goto fail;
    lts_buf_dispose(&b);
    if (lts_xades_sign_file(&b, signer, lts_test_src_file(1, "testdata/docs/prescription.xml"),
                            &xo) != LTS_OK ||
        write_file(p_xades, &b) != LTS_OK)
        goto fail;
    lts_buf_dispose(&b);
    if (lts_pades_sign(signer, lts_test_src_file(1, "testdata/docs/sample.pdf"), p_pades, &po) !=
        LTS_OK)
        goto fail;
    /* B-T */
    snprintf(uri, sizeof uri, "file:%s", lts_test_pki_file(0, "tsa.p12"));
    snprintf(p_cades_t, sizeof p_cades_t, "%s", lts_test_tmp_file(0, "oom-t.p7m"));
    snprintf(p_xades_t, sizeof p_xades_t, "%s", lts_test_tmp_file(0, "oom-t.xml"));
    snprintf(p_pades_t, sizeof p_pades_t, "%s", lts_test_tmp_file(0, "oom-t.pdf"));
    {
        lts_tsa_responder_opts ro = LTS_TSA_RESPONDER_OPTS_INIT;
        if (lts_signer_open(&tsa_signer, uri, &so) != LTS_OK ||
            lts_tsa_responder_new(&responder, tsa_signer, &ro) != LTS_OK ||
            lts_tsa_open_responder(&tsa, responder, NULL) != LTS_OK)
            goto fail;
    }
    co.level = xo.level = po.level = LTS_LEVEL_B_T;
    co.tsa = xo.tsa = po.tsa = tsa;
    if (lts_cades_sign_file(&b, signer, p_txt, &co) != LTS_OK || write_file(p_cades_t, &b) != LTS_OK)
        goto fail;
    lts_buf_dispose(&b);
    if (lts_xades_sign_file(&b, signer, lts_test_src_file(1, "testdata/docs/prescription.xml"),
                            &xo) != LTS_OK ||
        write_file(p_xades_t, &b) != LTS_OK)
        goto fail;
    lts_buf_dispose(&b);
    if (lts_pades_sign(signer, lts_test_src_file(1, "testdata/docs/sample.pdf"), p_pades_t, &po) !=
        LTS_OK)
        goto fail;
    return 0;
fail:
    lts_buf_dispose(&b);
    fprintf(stderr, "hardening_oom setup: %s\n", lts_error_last()->message);
    return 1;
}

static int teardown(void)
{
    lts_tsa_close(tsa);
    lts_tsa_responder_free(responder);
    lts_signer_close(tsa_signer);
    lts_signer_close(signer);
    return 0;
}

/* One call of the entry point under test: its status, and in *detail what it produced
 * (validation: a fingerprint of every indication, sub-indication and level in the report;
 * signing: the size of the CMS). Frees what it got.
 * LTS_OOM_VERBOSE=1 prints the reason of every non-passed report. */
typedef lts_status (*entry_fn)(const char *arg, int *detail);

/* A fingerprint of the verdicts of a report: overall and per signature indication,
 * sub-indication and level, and every time-stamp's indication (FNV-1a). */
static void fnv(unsigned *h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ ((const unsigned char *)p)[i]) * 16777619u;
}

static int verdict_print(const lts_report *r)
{
    unsigned h = 2166136261u;
    fnv(&h, &r->indication, sizeof r->indication);
    fnv(&h, &r->subindication, sizeof r->subindication);
    fnv(&h, &r->n_sigs, sizeof r->n_sigs);
    for (size_t i = 0; i < r->n_sigs; i++) {
        const lts_sig_result *g = &r->sigs[i];
        fnv(&h, &g->indication, sizeof g->indication);
        fnv(&h, &g->subindication, sizeof g->subindication);
        if (g->level)
            fnv(&h, g->level, strlen(g->level));
        fnv(&h, &g->n_timestamps, sizeof g->n_timestamps);
        for (size_t k = 0; k < g->n_timestamps; k++) {
            fnv(&h, &g->timestamps[k].indication, sizeof g->timestamps[k].indication);
            fnv(&h, &g->timestamps[k].subindication, sizeof g->timestamps[k].subindication);
        }
    }
    return (int)(h & 0x7fffffff);
}

static lts_status run_validate(const char *path, int *indication)
{
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    lts_report *r = NULL;
    lts_status st;
    o.trust = p_root;
    o.offline = 1;
    st = lts_validate_file(path, &o, &r);
    if (st == LTS_OK) {
        CU_ASSERT_PTR_NOT_NULL(r);
        if (r) {
            *indication = verdict_print(r);
            if (getenv("LTS_OOM_VERBOSE") && r->indication != LTS_IND_TOTAL_PASSED && r->n_sigs)
                fprintf(stderr, "\n  report: %s %s", lts_subindication_name(r->sigs[0].subindication),
                        r->sigs[0].n_messages ? r->sigs[0].messages[r->sigs[0].n_messages - 1] : "");
        }
    } else {
        CU_ASSERT_PTR_NULL(r); /* a failed call produced nothing */
    }
    lts_report_free(r);
    return st;
}

static lts_status run_cades_sign(const char *path, int *size)
{
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_buf b = LTS_BUF_INIT;
    lts_status st = lts_cades_sign_file(&b, signer, path, &o);
    if (st == LTS_OK)
        *size = (int)b.n;
    else
        CU_ASSERT_EQUAL(b.n, 0); /* nothing half-built escapes */
    lts_buf_dispose(&b);
    return st;
}

/* The loop: first the call alone (reference result and allocation count), then every n in
 * both modes. Reports how many allocations the call makes. */
static void oom_loop(const char *what, entry_fn fn, const char *arg)
{
    int ref = -1, got;
    long allocs, bad = 0, ok_runs = 0, nomem_runs = 0;
    lts_status st;

    lts_mem__fail_after(-1, 0);
    st = fn(arg, &ref);
    allocs = lts_mem__fail_after(-1, 0);
    CU_ASSERT_EQUAL_FATAL(st, LTS_OK);
    for (int sticky = 0; sticky <= 1; sticky++) {
        for (long n = 0; n <= allocs + 1; n++) {
            long made;
            got = -1;
            lts_mem__fail_after(n, sticky);
            st = fn(arg, &got);
            made = lts_mem__fail_after(-1, 0);
            if (st == LTS_OK) {
                ok_runs++;
                /* one failed allocation may be tolerated, but never changes the verdict
                 * when it was not reached */
                /* a failed allocation may be tolerated (best-effort parts), but it never
                 * becomes a verdict: the result is the one without the failure (this caught
                 * process_pades.c reporting an out-of-memory /Contents parse as
                 * TOTAL_FAILED / FORMAT_FAILURE) */
                if (got != ref) {
                    fprintf(stderr, "\n%s: allocation %ld failing (%s): LTS_OK but result %d, "
                                    "not %d\n", what, n + 1, sticky ? "sticky" : "once", got, ref);
                    bad++;
                }
            } else if (st == LTS_E_NOMEM) {
                nomem_runs++;
            } else {
                if (bad < 5)
                    fprintf(stderr, "\n%s: allocation %ld failing (%s) gave %s: %s\n", what,
                            n + 1, sticky ? "sticky" : "once", lts_status_name(st),
                            lts_error_last()->message);
                bad++;
            }
            if (made <= n)
                break; /* the failure point is past the end of the call */
        }
    }
    lts_mem__fail_after(-1, 0);
    fprintf(stderr, "  [%s: %ld allocations; %ld runs LTS_OK, %ld LTS_E_NOMEM] ", what, allocs,
            ok_runs, nomem_runs);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(nomem_runs > 0);
}

static void test_hardening_oom__validate_cades(void)
{
    oom_loop("lts_validate_file(CAdES)", run_validate, p_cades);
}

static void test_hardening_oom__validate_xades(void)
{
    oom_loop("lts_validate_file(XAdES)", run_validate, p_xades);
}

static void test_hardening_oom__validate_pades(void)
{
    oom_loop("lts_validate_file(PAdES)", run_validate, p_pades);
}

static void test_hardening_oom__validate_cades_bt(void)
{
    oom_loop("lts_validate_file(CAdES B-T)", run_validate, p_cades_t);
}

static void test_hardening_oom__validate_xades_bt(void)
{
    oom_loop("lts_validate_file(XAdES B-T)", run_validate, p_xades_t);
}

static void test_hardening_oom__validate_pades_bt(void)
{
    oom_loop("lts_validate_file(PAdES B-T)", run_validate, p_pades_t);
}

static void test_hardening_oom__cades_sign_file(void)
{
    oom_loop("lts_cades_sign_file", run_cades_sign, p_txt);
}

int lts_suite_hardening_oom(void)
{
    static CU_TestInfo tests[] = {
        { "validate_cades", test_hardening_oom__validate_cades },
        { "validate_xades", test_hardening_oom__validate_xades },
        { "validate_pades", test_hardening_oom__validate_pades },
        { "validate_cades_bt", test_hardening_oom__validate_cades_bt },
        { "validate_xades_bt", test_hardening_oom__validate_xades_bt },
        { "validate_pades_bt", test_hardening_oom__validate_pades_bt },
        { "cades_sign_file", test_hardening_oom__cades_sign_file },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("hardening_oom", setup, teardown, tests);
}
