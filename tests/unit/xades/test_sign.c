/* tests for formats/xades/sign.c, layout.c and check.c: sign in every packaging, check with
 * lts_xades_check_file, tamper, refuse bad options, and fail allocations one by one. */
#include <stdio.h>
#include <string.h>
#include "lts_test.h"
#include "xades_int.h"
#include "core/io.h"
#include "core/mem.h"

#define T_TIME ((lts_time)1767225600) /* 2026-01-01T00:00:00Z */

static lts_time fixed_now(const lts_clock *c)
{
    (void)c;
    return T_TIME;
}
static const lts_clock fixed = { LTS_CLOCK_VERSION, fixed_now, NULL };

static const char *doc_xml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<r xmlns=\"urn:t\"><Part Id=\"part\"><v>1</v></Part><w>2</w></r>\n";

static lts_signer *open_signer(const char *name)
{
    lts_signer *s = NULL;
    lts_signer_opts o = LTS_SIGNER_OPTS_INIT;
    char uri[600];
    const char *p12 = lts_test_pki_file(7, name);
    if (p12 == NULL)
        return NULL;
    snprintf(uri, sizeof uri, "file:%s", p12);
    o.passin = "pass:test1234";
    LTS_ASSERT_OK(lts_signer_open(&s, uri, &o));
    return s;
}

static const char *write_tmp(int slot, const char *name, const void *p, size_t n)
{
    const char *path = lts_test_tmp_file(slot, name);
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
    fclose(f);
    return path;
}

/* sign `in` with opts, check the result; returns the check (caller frees) */
static lts_xades_check *sign_check(lts_signer *s, const char *in, lts_xades_sign_opts *o,
                                   const char *detached, lts_buf *sig)
{
    lts_xades_check *k = NULL;
    size_t n = 0;
    const char *out;
    o->clock = &fixed;
    LTS_ASSERT_OK(lts_xades_sign_file(sig, s, in, o));
    out = write_tmp(1, "signed.xml", sig->p, sig->n);
    LTS_ASSERT_OK(lts_xades_check_file(out, detached, &k, &n));
    CU_ASSERT_EQUAL_FATAL(n, 1);
    return k;
}

static void expect_good(const lts_xades_check *k, lts_scheme sc)
{
    CU_ASSERT(k->format_ok);
    CU_ASSERT(k->data_found);
    CU_ASSERT(k->refs_ok);
    CU_ASSERT(k->signer_found);
    CU_ASSERT(k->sig_checked && k->sig_ok);
    CU_ASSERT_PTR_NULL(k->problem);
    CU_ASSERT_STRING_EQUAL(k->level, "B-B");
    CU_ASSERT(k->has_signing_time && k->signing_time == T_TIME);
    CU_ASSERT_EQUAL(k->hash, LTS_HASH_SHA256);
    CU_ASSERT_EQUAL(k->scheme, sc);
    CU_ASSERT(k->n_certs >= 2);
    CU_ASSERT(k->signer_cert.n > 0);
    if (k->problem)
        fprintf(stderr, "\nproblem: %s\n", k->problem);
}

static void run_all(const char *p12, lts_scheme sc)
{
    lts_signer *s = open_signer(p12);
    lts_xades_sign_opts o = LTS_XADES_SIGN_OPTS_INIT;
    lts_buf sig = LTS_BUF_INIT;
    lts_xades_check *k;
    const char *in, *bin;
    uint8_t binary[300];
    if (s == NULL)
        return;
    in = write_tmp(0, "doc.xml", doc_xml, strlen(doc_xml));
    for (size_t i = 0; i < sizeof binary; i++)
        binary[i] = (uint8_t)(i * 7);
    bin = write_tmp(2, "data.bin", binary, sizeof binary);

    k = sign_check(s, in, &o, NULL, &sig);
    expect_good(k, sc);
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)sig.p, "enveloped-signature"));
    lts_xades_checks_free(k, 1);

    sig.n = 0;
    o.packaging = LTS_XADES_ENVELOPING;
    k = sign_check(s, in, &o, NULL, &sig);
    expect_good(k, sc);
    lts_xades_checks_free(k, 1);
    sig.n = 0;
    k = sign_check(s, bin, &o, NULL, &sig);
    expect_good(k, sc);
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)sig.p, "application/octet-stream"));
    lts_xades_checks_free(k, 1);

    sig.n = 0;
    o.packaging = LTS_XADES_DETACHED;
    k = sign_check(s, bin, &o, bin, &sig);
    expect_good(k, sc);
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)sig.p, "URI=\"data.bin\""));
    lts_xades_checks_free(k, 1);
    {   /* without the content: data not found, nothing else claimed */
        lts_xades_check *k2 = NULL;
        size_t n = 0;
        LTS_ASSERT_OK(lts_xades_check_file(lts_test_tmp_file(1, "signed.xml"), NULL, &k2, &n));
        CU_ASSERT(!k2->data_found && !k2->sig_checked);
        lts_xades_checks_free(k2, n);
        /* with other content: the digest differs */
        LTS_ASSERT_OK(lts_xades_check_file(lts_test_tmp_file(1, "signed.xml"), in, &k2, &n));
        CU_ASSERT(!k2->refs_ok && !k2->sig_checked);
        CU_ASSERT_PTR_NOT_NULL(k2->bad_ref);
        lts_xades_checks_free(k2, n);
    }

    sig.n = 0;
    o.packaging = LTS_XADES_INTERNAL;
    o.target_id = "part";
    o.keyinfo_reference = 1;
    o.signature_id = "Sig1";
    k = sign_check(s, in, &o, NULL, &sig);
    expect_good(k, sc);
    CU_ASSERT_STRING_EQUAL(k->signature_id, "Sig1");
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)sig.p, "</Part><ds:Signature"));
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)sig.p, "URI=\"#Sig1-KeyInfo\""));
    lts_xades_checks_free(k, 1);

    lts_buf_dispose(&sig);
    lts_signer_close(s);
}

static void test_xades_sign__rsa_all_packagings(void)
{
    run_all("signer-rsa.p12", LTS_SCHEME_RSA_PKCS1);
}

static void test_xades_sign__ec_all_packagings(void)
{
    run_all("signer-ec.p12", LTS_SCHEME_ECDSA);
}

/* replace the first occurrence of `from` by `to` in a copy of sig, check, return it */
static lts_xades_check *tampered(const lts_buf *sig, const char *from, const char *to)
{
    lts_buf t = LTS_BUF_INIT;
    lts_xades_check *k = NULL;
    size_t n = 0;
    char *p = strstr((char *)sig->p, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    LTS_ASSERT_OK(lts_buf_append(&t, sig->p, (size_t)((uint8_t *)p - sig->p)));
    LTS_ASSERT_OK(lts_buf_append(&t, to, strlen(to)));
    LTS_ASSERT_OK(lts_buf_append(&t, p + strlen(from), sig->n - (size_t)((uint8_t *)p - sig->p) - strlen(from)));
    const char *path = write_tmp(3, "tampered.xml", t.p, t.n);
    LTS_ASSERT_OK(lts_xades_check_file(path, NULL, &k, &n));
    lts_buf_dispose(&t);
    return k;
}

static void test_xades_sign__tampering(void)
{
    lts_signer *s = open_signer("signer-rsa.p12");
    lts_xades_sign_opts o = LTS_XADES_SIGN_OPTS_INIT;
    lts_buf sig = LTS_BUF_INIT;
    lts_xades_check *k;
    if (s == NULL)
        return;
    const char *in = write_tmp(0, "doc.xml", doc_xml, strlen(doc_xml));
    k = sign_check(s, in, &o, NULL, &sig);
    expect_good(k, LTS_SCHEME_RSA_PKCS1);
    lts_xades_checks_free(k, 1);
    LTS_ASSERT_OK(lts_buf_nul(&sig));

    k = tampered(&sig, "<v>1</v>", "<v>2</v>");
    CU_ASSERT(k->format_ok && !k->refs_ok && !k->sig_checked);
    CU_ASSERT_STRING_EQUAL(k->bad_ref, "");
    lts_xades_checks_free(k, 1);

    k = tampered(&sig, "<xades:SigningTime>2026", "<xades:SigningTime>2025");
    CU_ASSERT(k->format_ok && !k->refs_ok);
    CU_ASSERT_PTR_NOT_NULL(strstr(k->bad_ref, "SignedProperties"));
    lts_xades_checks_free(k, 1);

    {   /* flip one base64 character of the SignatureValue */
        char *p = strstr((char *)sig.p, "SignatureValue\">");
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        p += strlen("SignatureValue\">") + 5;
        char from[8] = { 0 }, to[8] = { 0 };
        memcpy(from, p - 5, 6);
        memcpy(to, from, 6);
        to[5] = to[5] == 'A' ? 'B' : 'A';
        k = tampered(&sig, from, to);
        CU_ASSERT(k->format_ok && k->refs_ok && k->sig_checked && !k->sig_ok);
        lts_xades_checks_free(k, 1);
    }

    k = tampered(&sig, "<xades:CertDigest>", "<xades:CertDigest><!-- -->");
    CU_ASSERT(k->format_ok && k->refs_ok && k->sig_ok); /* comments are not canonicalised */
    lts_xades_checks_free(k, 1);

    k = tampered(&sig, "Target=\"#", "Target=\"#x");
    CU_ASSERT(!k->format_ok);
    CU_ASSERT_PTR_NOT_NULL(strstr(k->problem, "Target"));
    lts_xades_checks_free(k, 1);

    k = tampered(&sig, "<ds:Reference Type=\"http://uri.etsi.org/01903#SignedProperties\"",
                 "<ds:Reference Type=\"urn:other\"");
    CU_ASSERT(k->format_ok && k->refs_ok && k->sig_checked && !k->sig_ok); /* Type is signed */
    lts_xades_checks_free(k, 1);

    lts_buf_dispose(&sig);
    lts_signer_close(s);
}

/* Enveloped base64 content that is no longer base64: refused before xmlsec (whose base64
 * transform leaks on that error path) — a fuzzer-found regression. */
static void test_xades_sign__enveloping_bad_base64(void)
{
    lts_signer *s = open_signer("signer-ec.p12");
    lts_xades_sign_opts o = LTS_XADES_SIGN_OPTS_INIT;
    lts_buf sig = LTS_BUF_INIT;
    lts_xades_check *k;
    uint8_t bin[64];
    if (s == NULL)
        return;
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (uint8_t)(0xa0 + i);
    const char *in = write_tmp(2, "b64.bin", bin, sizeof bin);
    o.packaging = LTS_XADES_ENVELOPING;
    k = sign_check(s, in, &o, NULL, &sig);
    expect_good(k, LTS_SCHEME_ECDSA);
    lts_xades_checks_free(k, 1);
    LTS_ASSERT_OK(lts_buf_nul(&sig));
    {
        char *p = strstr((char *)sig.p, "xmldsig#base64\">");
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        p += strlen("xmldsig#base64\">") + 4;
        char from[6] = { 0 }, to[6] = { 0 };
        memcpy(from, p - 4, 5);
        memcpy(to, from, 5);
        to[4] = '-';
        k = tampered(&sig, from, to);
        CU_ASSERT(!k->format_ok && !k->sig_checked);
        CU_ASSERT_PTR_NOT_NULL(k->problem && strstr(k->problem, "not base64"));
        lts_xades_checks_free(k, 1);
    }
    lts_buf_dispose(&sig);
    lts_signer_close(s);
}

static void test_xades_sign__bad_options(void)
{
    lts_signer *s = open_signer("signer-rsa.p12");
    lts_xades_sign_opts o = LTS_XADES_SIGN_OPTS_INIT;
    lts_buf sig = LTS_BUF_INIT;
    if (s == NULL)
        return;
    const char *in = write_tmp(0, "doc.xml", doc_xml, strlen(doc_xml));
    o.packaging = LTS_XADES_INTERNAL;
    CU_ASSERT_EQUAL(lts_xades_sign_file(&sig, s, in, &o), LTS_E_CONFIG);
    o.target_id = "nothere";
    CU_ASSERT_EQUAL(lts_xades_sign_file(&sig, s, in, &o), LTS_E_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "nothere"));
    o.target_id = "part";
    o.signature_id = "part"; /* clashes with the document's Id */
    CU_ASSERT_EQUAL(lts_xades_sign_file(&sig, s, in, &o), LTS_E_INPUT);
    o.signature_id = "bad id";
    CU_ASSERT_EQUAL(lts_xades_sign_file(&sig, s, in, &o), LTS_E_CONFIG);
    o.signature_id = NULL;
    o.level = LTS_LEVEL_B_LTA; /* needs a TSA (and validation data) */
    CU_ASSERT_EQUAL(lts_xades_sign_file(&sig, s, in, &o), LTS_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "timestamp authority"));
    o.level = LTS_LEVEL_B_B;
    o.packaging = LTS_XADES_ENVELOPED;
    CU_ASSERT_NOT_EQUAL(lts_xades_sign_file(&sig, s, lts_test_tmp_file(4, "missing.xml"), &o), LTS_OK);
    CU_ASSERT_EQUAL(sig.n, 0);
    lts_buf_dispose(&sig);
    lts_signer_close(s);
}

static void test_xades_sign__eprescription_detect(void)
{
    lts_xades_sign_opts o = LTS_XADES_SIGN_OPTS_INIT;
    int found = -1;
    const char *rx = lts_test_src_file(6, "testdata/docs/prescription.xml");
    const char *in = write_tmp(0, "doc.xml", doc_xml, strlen(doc_xml));
    LTS_ASSERT_OK(lts_xades_detect_eprescription(in, &o, &found));
    CU_ASSERT_EQUAL(found, 0);
    CU_ASSERT_EQUAL(o.packaging, LTS_XADES_ENVELOPED);
    if (rx == NULL)
        return;
    LTS_ASSERT_OK(lts_xades_detect_eprescription(rx, &o, &found));
    CU_ASSERT_EQUAL_FATAL(found, 1);
    CU_ASSERT_EQUAL(o.packaging, LTS_XADES_INTERNAL);
    CU_ASSERT_STRING_EQUAL(o.target_id, "PrescriptionDocument");
    CU_ASSERT_STRING_EQUAL(o.signature_id, "PrescriptionSign");
    CU_ASSERT(o.keyinfo_reference);
}

/* The service's own layout: lowercase id, and an empty PrescriptionSign element that
 * receives the signature. */
static void test_xades_sign__eprescription_slot(void)
{
    static const char rx[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document id=\"Document\"><Prescription>"
        "<PrescriptionManagement id=\"PrescriptionManagement\"><Version Value=\"EPS1.0\"/>"
        "</PrescriptionManagement><PrescriptionDocument id=\"PrescriptionDocument\">U0oxLDEK"
        "</PrescriptionDocument><PrescriptionSign></PrescriptionSign></Prescription></Document>\n";
    lts_signer *s = open_signer("signer-rsa.p12");
    lts_xades_sign_opts o = LTS_XADES_SIGN_OPTS_INIT;
    lts_buf sig = LTS_BUF_INIT;
    lts_xades_check *k;
    int found = 0;
    if (s == NULL)
        return;
    const char *in = write_tmp(0, "rx-slot.xml", rx, sizeof rx - 1);
    LTS_ASSERT_OK(lts_xades_detect_eprescription(in, &o, &found));
    CU_ASSERT_EQUAL_FATAL(found, 1);
    CU_ASSERT_STRING_EQUAL(o.placement, "PrescriptionSign");
    k = sign_check(s, in, &o, NULL, &sig);
    expect_good(k, LTS_SCHEME_RSA_PKCS1);
    CU_ASSERT_STRING_EQUAL(k->signature_id, "PrescriptionSign");
    lts_xades_checks_free(k, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)sig.p, "<PrescriptionSign><ds:Signature"));
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)sig.p, "URI=\"#PrescriptionDocument\""));
    lts_buf_dispose(&sig);
    lts_signer_close(s);
}

/* Fail each library allocation in turn: every run ends in LTS_OK or LTS_E_NOMEM, and
 * ASan sees no leak. */
static void test_xades_sign__oom_loop(void)
{
    lts_signer *s = open_signer("signer-ec.p12");
    lts_xades_sign_opts o = LTS_XADES_SIGN_OPTS_INIT;
    if (s == NULL)
        return;
    const char *in = write_tmp(0, "doc.xml", doc_xml, strlen(doc_xml));
    const char *signed_path = NULL;
    o.clock = &fixed;
    for (long i = 0; i < 400; i++) {
        lts_buf sig = LTS_BUF_INIT;
        lts_mem__fail_after(i, 0);
        lts_status st = lts_xades_sign_file(&sig, s, in, &o);
        lts_mem__fail_after(-1, 0);
        CU_ASSERT(st == LTS_OK || st == LTS_E_NOMEM);
        if (st != LTS_OK && st != LTS_E_NOMEM)
            fprintf(stderr, "\nsign, allocation %ld: %s\n", i, lts_error_last()->message);
        if (st == LTS_OK) {
            signed_path = write_tmp(5, "oom.xml", sig.p, sig.n);
            lts_buf_dispose(&sig);
            break;
        }
        lts_buf_dispose(&sig);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(signed_path);
    for (long i = 0; i < 400; i++) {
        lts_xades_check *k = NULL;
        size_t n = 0;
        lts_mem__fail_after(i, 0);
        lts_status st = lts_xades_check_file(signed_path, NULL, &k, &n);
        lts_mem__fail_after(-1, 0);
        CU_ASSERT(st == LTS_OK || st == LTS_E_NOMEM);
        if (st != LTS_OK && st != LTS_E_NOMEM)
            fprintf(stderr, "\ncheck, allocation %ld: %s\n", i, lts_error_last()->message);
        if (st == LTS_OK) {
            CU_ASSERT(n == 1 && k[0].sig_ok);
            lts_xades_checks_free(k, n);
            break;
        }
        CU_ASSERT_PTR_NULL(k);
    }
    lts_signer_close(s);
}

int lts_suite_xades_sign(void)
{
    static CU_TestInfo tests[] = {
        { "rsa_all_packagings", test_xades_sign__rsa_all_packagings },
        { "ec_all_packagings", test_xades_sign__ec_all_packagings },
        { "tampering", test_xades_sign__tampering },
        { "enveloping_bad_base64", test_xades_sign__enveloping_bad_base64 },
        { "bad_options", test_xades_sign__bad_options },
        { "eprescription_detect", test_xades_sign__eprescription_detect },
        { "eprescription_slot", test_xades_sign__eprescription_slot },
        { "oom_loop", test_xades_sign__oom_loop },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("xades_sign", NULL, NULL, tests);
}
