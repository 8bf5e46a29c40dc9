/* tests for tsa/responder.c and tsa/server.c: the tokens are checked with OpenSSL's own
 * TS verifier (TS_RESP_verify_response), independent of our client. */
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include "tsa_fx.h"
#include "core/mem.h"

static lts_signer *tsa_signer;
static lts_tsa_responder *resp_pinned;

static int init(void)
{
    if (lts_test_pki() == NULL)
        return 1;
    tsa_signer = fx_signer(lts_test_pki_file(0, "tsa.p12"));
    static lts_clock clk = { LTS_CLOCK_VERSION, fx_pinned_now, NULL };
    lts_tsa_responder_opts o = LTS_TSA_RESPONDER_OPTS_INIT;
    o.clock = &clk;
    o.accuracy_s = 1;
    if (tsa_signer == NULL || lts_tsa_responder_new(&resp_pinned, tsa_signer, &o) != LTS_OK)
        return 1;
    return 0;
}

static int clean(void)
{
    lts_tsa_responder_free(resp_pinned);
    lts_signer_close(tsa_signer);
    return 0;
}

static lts_span der_of_req(TS_REQ *req, unsigned char **buf)
{
    int n = i2d_TS_REQ(req, buf);
    return lts_span_of(*buf, n > 0 ? (size_t)n : 0);
}

static TS_RESP *parse_resp(const lts_buf *b)
{
    const unsigned char *p = b->p;
    return d2i_TS_RESP(NULL, &p, (long)b->n);
}

static long status_of(TS_RESP *r)
{
    return ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(r)));
}

static int fail_bit(TS_RESP *r, int bit)
{
    const ASN1_BIT_STRING *fi = TS_STATUS_INFO_get0_failure_info(TS_RESP_get_status_info(r));
    return fi != NULL && ASN1_BIT_STRING_get_bit(fi, bit);
}

/* OpenSSL's verifier: signature, chain to root.pem (timestamping purpose), ESS, imprint,
 * nonce. 1 when it accepts. */
static int openssl_verifies(TS_REQ *req, TS_RESP *r)
{
    X509_STORE *st = X509_STORE_new();
    TS_VERIFY_CTX *vc = TS_REQ_to_TS_VERIFY_CTX(req, NULL);
    int ok = 0;
    if (st && vc && X509_STORE_load_file(st, lts_test_pki_file(1, "root.pem")) == 1) {
        TS_VERIFY_CTX_add_flags(vc, TS_VFY_SIGNATURE);
        TS_VERIFY_CTX_set_store(vc, st);
        st = NULL;
        ok = TS_RESP_verify_response(vc, r) == 1;
        if (!ok)
            ERR_print_errors_fp(stderr);
    }
    X509_STORE_free(st);
    TS_VERIFY_CTX_free(vc);
    ERR_clear_error();
    return ok;
}

static void test_tsa_responder__grants_and_openssl_verifies(void)
{
    uint8_t dg[32];
    memset(dg, 0xab, sizeof dg);
    TS_REQ *req = NULL;
    unsigned char *qd = NULL;
    lts_buf out = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_tsa__req_new(&req, LTS_HASH_SHA256, lts_span_of(dg, 32), NULL));
    LTS_ASSERT_OK(lts_tsa_responder_respond(resp_pinned, der_of_req(req, &qd), &out));
    TS_RESP *r = parse_resp(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(status_of(r), 0);
    TS_TST_INFO *tst = TS_RESP_get_tst_info(r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tst);
    CU_ASSERT_EQUAL(ASN1_INTEGER_cmp(TS_TST_INFO_get_nonce(tst), TS_REQ_get_nonce(req)), 0);
    char pol[64];
    OBJ_obj2txt(pol, sizeof pol, TS_TST_INFO_get_policy_id(tst), 1);
    CU_ASSERT_STRING_EQUAL(pol, LTS_TSA_DEFAULT_POLICY);
    /* genTime comes from the pinned clock */
    const ASN1_GENERALIZEDTIME *gt = TS_TST_INFO_get_time(tst);
    CU_ASSERT_EQUAL(ASN1_STRING_length(gt), 15);
    CU_ASSERT_NSTRING_EQUAL(ASN1_STRING_get0_data(gt), "20300102030405Z", 15);
    const TS_ACCURACY *acc = TS_TST_INFO_get_accuracy(tst);
    CU_ASSERT(acc != NULL && ASN1_INTEGER_get(TS_ACCURACY_get_seconds(acc)) == 1);
    /* certReq true: the chain is in the token */
    STACK_OF(X509) *certs = TS_RESP_get_token(r)->d.sign->cert;
    CU_ASSERT(sk_X509_num(certs) >= 2);
    CU_ASSERT(openssl_verifies(req, r));
    TS_RESP_free(r);
    TS_REQ_free(req);
    OPENSSL_free(qd);
    lts_buf_dispose(&out);
}

static void test_tsa_responder__serials_differ_and_certreq_false(void)
{
    uint8_t dg[48] = { 1 };
    TS_REQ *req = NULL;
    unsigned char *qd = NULL;
    lts_buf a = LTS_BUF_INIT, b = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_tsa__req_new(&req, LTS_HASH_SHA384, lts_span_of(dg, 48), NULL));
    TS_REQ_set_cert_req(req, 0);
    lts_span q = der_of_req(req, &qd);
    LTS_ASSERT_OK(lts_tsa_responder_respond(resp_pinned, q, &a));
    LTS_ASSERT_OK(lts_tsa_responder_respond(resp_pinned, q, &b));
    TS_RESP *ra = parse_resp(&a), *rb = parse_resp(&b);
    CU_ASSERT_FATAL(ra != NULL && rb != NULL);
    const ASN1_INTEGER *sa = TS_TST_INFO_get_serial(TS_RESP_get_tst_info(ra));
    const ASN1_INTEGER *sb = TS_TST_INFO_get_serial(TS_RESP_get_tst_info(rb));
    CU_ASSERT(ASN1_INTEGER_cmp(sa, sb) != 0);
    CU_ASSERT(ASN1_STRING_length(sa) >= 8);
    CU_ASSERT(sk_X509_num(TS_RESP_get_token(ra)->d.sign->cert) <= 0); /* none, or no SET */
    TS_RESP_free(ra);
    TS_RESP_free(rb);
    TS_REQ_free(req);
    OPENSSL_free(qd);
    lts_buf_dispose(&a);
    lts_buf_dispose(&b);
}

/* A request the responder must refuse with `bit`, never an error. */
static void expect_rejection(lts_span q, int bit)
{
    lts_buf out = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_tsa_responder_respond(resp_pinned, q, &out));
    TS_RESP *r = parse_resp(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(status_of(r), 2);
    CU_ASSERT(fail_bit(r, bit));
    CU_ASSERT_PTR_NULL(TS_RESP_get_token(r));
    TS_RESP_free(r);
    lts_buf_dispose(&out);
}

static void test_tsa_responder__rejects_bad_requests(void)
{
    uint8_t dg[32] = { 7 };
    TS_REQ *req = NULL;
    unsigned char *qd = NULL;

    expect_rejection(lts_span_of("garbage", 7), 5);                 /* badDataFormat */
    expect_rejection(lts_span_of(NULL, 0), 5);
    LTS_ASSERT_OK(lts_tsa__req_new(&req, LTS_HASH_SHA256, lts_span_of(dg, 32), "1.2.3.4"));
    expect_rejection(der_of_req(req, &qd), 15);                     /* unacceptedPolicy */
    OPENSSL_free(qd);
    qd = NULL;
    TS_REQ_free(req);
    req = NULL;

    LTS_ASSERT_OK(lts_tsa__req_new(&req, LTS_HASH_SHA256, lts_span_of(dg, 32), NULL));
    lts_span good = der_of_req(req, &qd);
    lts_buf trail = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_buf_set(&trail, good));
    LTS_ASSERT_OK(lts_buf_append(&trail, "x", 1));
    expect_rejection(lts_buf_span(&trail), 5);                      /* trailing bytes */
    lts_buf_dispose(&trail);
    OPENSSL_free(qd);
    qd = NULL;

    /* SHA-1 imprint: badAlg */
    X509_ALGOR *alg = X509_ALGOR_new();
    X509_ALGOR_set_md(alg, EVP_sha1());
    TS_MSG_IMPRINT_set_algo(TS_REQ_get_msg_imprint(req), alg);
    TS_MSG_IMPRINT_set_msg(TS_REQ_get_msg_imprint(req), dg, 20);
    expect_rejection(der_of_req(req, &qd), 0);
    OPENSSL_free(qd);
    qd = NULL;
    /* SHA-256 with a 20-byte imprint: badDataFormat */
    X509_ALGOR_set_md(alg, EVP_sha256());
    TS_MSG_IMPRINT_set_algo(TS_REQ_get_msg_imprint(req), alg);
    expect_rejection(der_of_req(req, &qd), 5);
    OPENSSL_free(qd);
    qd = NULL;
    X509_ALGOR_free(alg);
    /* an extension: unacceptedExtension */
    TS_MSG_IMPRINT_set_msg(TS_REQ_get_msg_imprint(req), dg, 32);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "CA:FALSE");
    CU_ASSERT_FATAL(ext != NULL);
    TS_REQ_add_ext(req, ext, -1);
    X509_EXTENSION_free(ext);
    expect_rejection(der_of_req(req, &qd), 16);
    OPENSSL_free(qd);
    TS_REQ_free(req);
}

static void test_tsa_responder__refuses_signer_without_eku(void)
{
    lts_signer *s = fx_signer(lts_test_pki_file(0, "tsa-noeku.p12"));
    lts_tsa_responder *r = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(lts_tsa_responder_new(&r, s, NULL), LTS_E_CONFIG);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_TSA_R_EKU);
    CU_ASSERT_PTR_NULL(r);
    lts_tsa_responder_opts o = LTS_TSA_RESPONDER_OPTS_INIT;
    o.policy = "not an oid";
    CU_ASSERT_EQUAL(lts_tsa_responder_new(&r, tsa_signer, &o), LTS_E_CONFIG);
    CU_ASSERT_PTR_NULL(r);
    lts_signer_close(s);
}

static void test_tsa_responder__server_statuses(void)
{
    lts_tsa_server *srv = NULL;
    lts_tsa_server_opts so = LTS_TSA_SERVER_OPTS_INIT;
    so.port = FX_PORT_SERVER;
    LTS_ASSERT_OK(lts_tsa_server_start(&srv, resp_pinned, &so));
    CU_ASSERT_EQUAL(lts_tsa_server_port(srv), FX_PORT_SERVER);
    /* a second server on the same port is refused cleanly */
    lts_tsa_server *dup = NULL;
    CU_ASSERT_EQUAL(lts_tsa_server_start(&dup, resp_pinned, &so), LTS_E_IO);
    CU_ASSERT_PTR_NULL(dup);

    char cmd[2048];
    const char *big = lts_test_tmp_file(2, "big.bin");
    snprintf(cmd, sizeof cmd, "head -c 70000 /dev/zero > '%s'", big);
    CU_ASSERT_EQUAL(system(cmd), 0);
    static const struct { const char *args; const char *code; } cases[] = {
        { "", "405" },                                                   /* GET */
        { "-X PUT --data-binary x -H 'Content-Type: application/timestamp-query'", "405" },
        { "--data-binary x -H 'Content-Type: text/plain'", "400" },
        { "--data-binary @BIG -H 'Content-Type: application/timestamp-query'", "400" },
        { "--data-binary garbage -H 'Content-Type: application/timestamp-query'", "200" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[600];
        const char *at = strstr(cases[i].args, "@BIG");
        if (at)
            snprintf(args, sizeof args, "%.*s@%s%s", (int)(at - cases[i].args), cases[i].args,
                     big, at + 4);
        else
            snprintf(args, sizeof args, "%s", cases[i].args);
        snprintf(cmd, sizeof cmd,
                 "test \"$(curl -s -o /dev/null -m 10 -w '%%{http_code}' %s "
                 "http://127.0.0.1:%d/)\" = %s", args, FX_PORT_SERVER, cases[i].code);
        int st = system(cmd);
        if (st != 0)
            fprintf(stderr, "\ncase %zu (%s) did not give %s\n", i, cases[i].args, cases[i].code);
        CU_ASSERT_EQUAL(st, 0);
    }
    lts_tsa_server_stop(srv);
    /* stopped: the port is free again */
    LTS_ASSERT_OK(lts_tsa_server_start(&srv, resp_pinned, &so));
    lts_tsa_server_stop(srv);
}

/* OOM loop (STYLE rule 10): failing each library allocation in turn gives LTS_E_NOMEM and
 * an empty output, never a crash or a leak (ASan build). */
static void test_tsa_responder__out_of_memory(void)
{
    uint8_t dg[32] = { 3 };
    TS_REQ *req = NULL;
    unsigned char *qd = NULL;
    lts_buf out = LTS_BUF_INIT, tok = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_tsa__req_new(&req, LTS_HASH_SHA256, lts_span_of(dg, 32), NULL));
    lts_span q = der_of_req(req, &qd);
    const lts_span inputs[2] = { q, lts_span_of("junk", 4) };
    lts_tsa_responder *now = NULL; /* system clock: the token must pass the client check */
    LTS_ASSERT_OK(lts_tsa_responder_new(&now, tsa_signer, NULL));
    for (int k = 0; k < 2; k++) {
        int done = 0;
        for (long i = 0; i < 200 && !done; i++) {
            lts_mem__fail_after(i, 0);
            lts_status rc = lts_tsa_responder_respond(now, inputs[k], &out);
            lts_mem__fail_after(-1, 0);
            if (rc == LTS_OK) {
                done = 1;
            } else {
                CU_ASSERT_EQUAL(rc, LTS_E_NOMEM);
                CU_ASSERT_PTR_NULL(out.p);
            }
        }
        CU_ASSERT(done);
        if (k == 0) {
            done = 0;
            for (long i = 0; i < 200 && !done; i++) {
                lts_mem__fail_after(i, 0);
                lts_status rc = lts_tsa__check_resp(req, lts_buf_span(&out), NULL, &tok);
                lts_mem__fail_after(-1, 0);
                if (rc == LTS_OK)
                    done = 1;
                else
                    CU_ASSERT_EQUAL(rc, LTS_E_NOMEM);
            }
            CU_ASSERT(done);
            lts_buf_dispose(&tok);
        }
        lts_buf_dispose(&out);
    }
    lts_tsa_responder_free(now);
    TS_REQ_free(req);
    OPENSSL_free(qd);
}

/* Deterministic mutation of a good request: every answer is a DER TimeStampResp
 * (granted or rejected), never an error or a crash. */
static void test_tsa_responder__mutated_requests(void)
{
    uint8_t dg[32] = { 9 };
    TS_REQ *req = NULL;
    unsigned char *qd = NULL;
    lts_buf m = LTS_BUF_INIT, out = LTS_BUF_INIT;
    uint32_t seed = 777;
    int rejected = 0;
    LTS_ASSERT_OK(lts_tsa__req_new(&req, LTS_HASH_SHA256, lts_span_of(dg, 32), NULL));
    lts_span q = der_of_req(req, &qd);
    for (int i = 0; i < 400; i++) {
        seed = seed * 1103515245u + 12345u;
        LTS_ASSERT_OK(lts_buf_set(&m, q));
        m.p[(seed >> 8) % m.n] ^= (uint8_t)(1u << (seed % 8));
        if (i % 7 == 0)
            m.n = (seed >> 4) % m.n; /* and truncations */
        LTS_ASSERT_OK(lts_tsa_responder_respond(resp_pinned, lts_buf_span(&m), &out));
        TS_RESP *r = parse_resp(&out);
        CU_ASSERT_PTR_NOT_NULL(r);
        if (r != NULL && status_of(r) == 2)
            rejected++;
        TS_RESP_free(r);
    }
    CU_ASSERT(rejected > 100);
    TS_REQ_free(req);
    OPENSSL_free(qd);
    lts_buf_dispose(&m);
    lts_buf_dispose(&out);
}

int lts_suite_tsa_responder(void)
{
    static CU_TestInfo tests[] = {
        { "grants_and_openssl_verifies", test_tsa_responder__grants_and_openssl_verifies },
        { "serials_differ_and_certreq_false",
          test_tsa_responder__serials_differ_and_certreq_false },
        { "rejects_bad_requests", test_tsa_responder__rejects_bad_requests },
        { "refuses_signer_without_eku", test_tsa_responder__refuses_signer_without_eku },
        { "server_statuses", test_tsa_responder__server_statuses },
        { "out_of_memory", test_tsa_responder__out_of_memory },
        { "mutated_requests", test_tsa_responder__mutated_requests },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("tsa_responder", init, clean, tests);
}
