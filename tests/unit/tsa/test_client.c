/* tests for tsa/client.c and tsa/check.c: a real responder behind a fault-injecting HTTP
 * server (libmicrohttpd) on the loopback, one fault per test. Tokens our client accepts
 * are re-checked with `openssl ts -verify`. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include <openssl/err.h>
#include "tsa_fx.h"
#include <ltsig/sys/tsa.h>

typedef enum {
    M_GOOD, M_HTTP500, M_GARBAGE, M_CTYPE, M_NONCE, M_IMPRINT, M_NOEKU, M_ROGUE, M_BIG,
    M_BADSIG, M_POLICY, M_OPENSSL
} mode;

static struct {
    lts_signer *tsa, *noeku, *rogue;
    lts_tsa_responder *good, *bad_eku, *untrusted, *other_policy;
    struct MHD_Daemon *d;
    int silent_fd;
    volatile mode m;
    char url[64], silent_url[64], closed_url[64];
} fx;

/* ---- the fault server ------------------------------------------------------------- */

/* Rewrite the request (nonce or imprint) so that a correctly signed answer mismatches. */
static void tamper_request(lts_buf *q, mode m)
{
    const unsigned char *p = q->p;
    TS_REQ *req = d2i_TS_REQ(NULL, &p, (long)q->n);
    unsigned char *der = NULL;
    if (req == NULL)
        return;
    if (m == M_NONCE) {
        ASN1_INTEGER *n = ASN1_INTEGER_new();
        ASN1_INTEGER_set(n, 12345);
        TS_REQ_set_nonce(req, n);
        ASN1_INTEGER_free(n);
    } else {
        ASN1_OCTET_STRING *d = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(req));
        unsigned char *b = (unsigned char *)ASN1_STRING_get0_data(d);
        b[0] ^= 0x55;
    }
    int n = i2d_TS_REQ(req, &der);
    if (n > 0 && lts_buf_set(q, lts_span_of(der, (size_t)n)) != LTS_OK)
        q->n = 0;
    OPENSSL_free(der);
    TS_REQ_free(req);
}

/* Answer with `openssl ts -reply` (OpenSSL's own responder) to show interoperability. */
static int openssl_reply(const lts_buf *q, lts_buf *out)
{
    const char *qf = lts_test_tmp_file(4, "ossl.tsq"), *rf = lts_test_tmp_file(5, "ossl.tsr");
    const char *cf = lts_test_tmp_file(6, "ossl.cnf");
    char cmd[4096];
    FILE *f = fopen(cf, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "[tsa]\ndefault_tsa = t\n[t]\nserial = %s/serial\nsigner_cert = %s\n",
            lts_test_tmpdir(), lts_test_pki_file(0, "tsa.pem"));
    fprintf(f, "certs = %s\nsigner_key = %s\nsigner_digest = sha256\n",
            lts_test_pki_file(0, "tsa-chain.pem"), lts_test_pki_file(1, "tsa.key"));
    fprintf(f, "default_policy = 1.3.6.1.4.1.99999.2\ndigests = sha256, sha384, sha512\n"
               "accuracy = secs:1\ness_cert_id_alg = sha256\n");
    fclose(f);
    f = fopen(qf, "wb");
    if (f == NULL || fwrite(q->p, 1, q->n, f) != q->n) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "openssl ts -reply -config '%s' -queryfile '%s' -out '%s' "
                              ">/dev/null 2>&1", cf, qf, rf);
    if (system(cmd) != 0)
        return -1;
    uint8_t buf[65536];
    f = fopen(rf, "rb");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return lts_buf_set(out, lts_span_of(buf, n)) == LTS_OK ? 0 : -1;
}

static enum MHD_Result send_bytes(struct MHD_Connection *c, unsigned code, const char *type,
                                  const void *p, size_t n)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)p,
                                                             MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result fault_answer(struct MHD_Connection *c, lts_buf *q)
{
    lts_buf out = LTS_BUF_INIT;
    enum MHD_Result ret;
    mode m = fx.m;
    lts_tsa_responder *r = fx.good;
    const char *type = "application/timestamp-reply";
    switch (m) {
    case M_HTTP500: return send_bytes(c, 500, "text/plain", "boom\n", 5);
    case M_GARBAGE: return send_bytes(c, 200, type, "this is not DER", 15);
    case M_NONCE:
    case M_IMPRINT: tamper_request(q, m); break;
    case M_NOEKU: r = fx.bad_eku; break;
    case M_ROGUE: r = fx.untrusted; break;
    case M_POLICY: r = fx.other_policy; break;
    case M_CTYPE: type = "text/html"; break;
    case M_BIG: {
        size_t n = (size_t)1 << 20;
        uint8_t *big = calloc(1, n);
        ret = send_bytes(c, 200, type, big, n);
        free(big);
        return ret;
    }
    default: break;
    }
    if (m == M_POLICY) { /* answer as if the request had asked for no policy */
        const unsigned char *p = q->p;
        TS_REQ *req = d2i_TS_REQ(NULL, &p, (long)q->n), *bare = TS_REQ_new();
        unsigned char *der = NULL;
        if (req && bare && TS_REQ_set_version(bare, 1) &&
            TS_REQ_set_msg_imprint(bare, TS_REQ_get_msg_imprint(req)) &&
            TS_REQ_set_nonce(bare, TS_REQ_get_nonce(req)) && TS_REQ_set_cert_req(bare, 1)) {
            int n = i2d_TS_REQ(bare, &der);
            if (n > 0 && lts_buf_set(q, lts_span_of(der, (size_t)n)) != LTS_OK)
                q->n = 0;
        }
        OPENSSL_free(der);
        TS_REQ_free(req);
        TS_REQ_free(bare);
    }
    int ok = m == M_OPENSSL ? openssl_reply(q, &out) == 0
                            : lts_tsa_responder_respond(r, lts_buf_span(q), &out) == LTS_OK;
    if (ok && m == M_BADSIG && out.n > 0)
        out.p[out.n - 1] ^= 0x01; /* the last bytes are the signature value */
    ret = ok ? send_bytes(c, 200, type, out.p, out.n) : send_bytes(c, 500, "text/plain", "", 0);
    lts_buf_dispose(&out);
    return ret;
}

static enum MHD_Result on_req(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *ver, const char *up,
                              size_t *up_size, void **con)
{
    (void)cls, (void)url, (void)method, (void)ver;
    lts_buf *q = *con;
    if (q == NULL) {
        q = calloc(1, sizeof *q);
        *con = q;
        return q ? MHD_YES : MHD_NO;
    }
    if (*up_size) {
        if (lts_buf_append(q, up, *up_size) != LTS_OK)
            return MHD_NO;
        *up_size = 0;
        return MHD_YES;
    }
    return fault_answer(c, q);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con,
                    enum MHD_RequestTerminationCode t)
{
    (void)cls, (void)c, (void)t;
    lts_buf *q = *con;
    if (q) {
        lts_buf_dispose(q);
        free(q);
    }
}

/* A socket that listens but never accepts: connections complete in the backlog and the
 * request is never answered. */
static int silent_listener(int port)
{
    struct sockaddr_in sa;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A self-signed TSA certificate (right EKU, unknown root) in a PKCS#12. */
static int make_rogue(const char *p12)
{
    char cmd[4096];
    const char *d = lts_test_tmpdir();
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
             "-keyout rogue.key -out rogue.pem -days 30 -subj '/CN=rogue TSA' "
             "-addext 'extendedKeyUsage=critical,timeStamping' "
             "-addext 'keyUsage=critical,digitalSignature' >/dev/null 2>&1 && "
             "openssl pkcs12 -export -inkey rogue.key -in rogue.pem -out '%s' "
             "-passout pass:test1234 >/dev/null 2>&1", d, p12);
    return system(cmd);
}

static int init(void)
{
    if (lts_test_pki() == NULL)
        return 1;
    const char *rogue = lts_test_tmp_file(3, "rogue.p12");
    if (make_rogue(rogue) != 0)
        return 1;
    fx.tsa = fx_signer(lts_test_pki_file(0, "tsa.p12"));
    fx.noeku = fx_signer(lts_test_pki_file(0, "tsa-noeku.p12"));
    fx.rogue = fx_signer(rogue);
    if (!fx.tsa || !fx.noeku || !fx.rogue)
        return 1;
    lts_tsa_responder_opts po = LTS_TSA_RESPONDER_OPTS_INIT;
    po.policy = "1.3.6.1.4.1.99999.7";
    if (lts_tsa_responder_new(&fx.good, fx.tsa, NULL) != LTS_OK ||
        lts_tsa__responder_new(&fx.bad_eku, fx.noeku, NULL, 0) != LTS_OK ||
        lts_tsa_responder_new(&fx.untrusted, fx.rogue, NULL) != LTS_OK ||
        lts_tsa_responder_new(&fx.other_policy, fx.tsa, &po) != LTS_OK)
        return 1;
    fx.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, FX_PORT_FAULT,
                            NULL, NULL, on_req, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_done,
                            NULL, MHD_OPTION_END);
    fx.silent_fd = silent_listener(FX_PORT_SILENT);
    if (fx.d == NULL || fx.silent_fd < 0)
        return 1;
    snprintf(fx.url, sizeof fx.url, "http://127.0.0.1:%d/tsa", FX_PORT_FAULT);
    snprintf(fx.silent_url, sizeof fx.silent_url, "http://127.0.0.1:%d/", FX_PORT_SILENT);
    snprintf(fx.closed_url, sizeof fx.closed_url, "http://127.0.0.1:%d/", FX_PORT_CLOSED);
    return 0;
}

static int clean(void)
{
    if (fx.d)
        MHD_stop_daemon(fx.d);
    if (fx.silent_fd >= 0)
        close(fx.silent_fd);
    lts_tsa_responder_free(fx.good);
    lts_tsa_responder_free(fx.bad_eku);
    lts_tsa_responder_free(fx.untrusted);
    lts_tsa_responder_free(fx.other_policy);
    lts_signer_close(fx.tsa);
    lts_signer_close(fx.noeku);
    lts_signer_close(fx.rogue);
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------- */

static const uint8_t digest_of_hello[32] = { /* SHA-256("hello\n") */
    0x58, 0x91, 0xb5, 0xb5, 0x22, 0xd5, 0xdf, 0x08, 0x6d, 0x0f, 0xf0, 0xb1, 0x10, 0xfb,
    0xd9, 0xd2, 0x1b, 0xb4, 0xfc, 0x71, 0x63, 0xaf, 0x34, 0xd0, 0x82, 0x86, 0xa2, 0xe8,
    0x46, 0xf6, 0xbe, 0x03 };

/* Stamp digest_of_hello through urls; returns the status, token in *tok. */
static lts_status stamp(mode m, const char *const *urls, size_t n, const char *trust,
                        const char *policy, long timeout, lts_buf *tok)
{
    lts_tsa *t = NULL;
    lts_tsa_opts o = LTS_TSA_OPTS_INIT;
    o.trust_file = trust;
    o.policy = policy;
    o.timeout_s = timeout;
    fx.m = m;
    lts_status rc = lts_tsa_open_http(&t, urls, n, &o);
    if (rc == LTS_OK)
        rc = lts_tsa_stamp(t, LTS_HASH_SHA256, lts_span_of(digest_of_hello, 32), tok);
    lts_tsa_close(t);
    return rc;
}

/* One fault at the fault server: expect code and reason, an empty token, a message. */
static void expect_fault(mode m, const char *trust, lts_status code, int reason,
                         const char *needle)
{
    lts_buf tok = LTS_BUF_INIT;
    const char *urls[] = { fx.url };
    lts_status rc = stamp(m, urls, 1, trust, NULL, 10, &tok);
    if (rc != code || lts_error_last()->reason != reason ||
        strstr(lts_error_last()->message, needle) == NULL)
        fprintf(stderr, "\nmode %d: %s reason %d: %s\n", (int)m, lts_status_name(rc),
                lts_error_last()->reason, lts_error_last()->message);
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_EQUAL(lts_error_last()->reason, reason);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, needle));
    CU_ASSERT_PTR_NULL(tok.p);
    CU_ASSERT_EQUAL(tok.n, 0);
}

/* `openssl ts -verify` on a token of ours over the file "hello\n", anchored at ca. */
static int openssl_verifies_token_with(const lts_buf *tok, const char *ca, const char *chain);

static int openssl_verifies_token(const lts_buf *tok)
{
    char ca[1024], chain[1024];
    snprintf(ca, sizeof ca, "%s", lts_test_pki_file(0, "root.pem"));
    snprintf(chain, sizeof chain, "%s", lts_test_pki_file(1, "tsa-chain.pem"));
    return openssl_verifies_token_with(tok, ca, chain);
}

static int openssl_verifies_token_with(const lts_buf *tok, const char *ca, const char *chain)
{
    const char *tf = lts_test_tmp_file(4, "tok.der"), *df = lts_test_tmp_file(5, "hello.txt");
    char cmd[4096];
    FILE *f = fopen(tf, "wb");
    if (!f || fwrite(tok->p, 1, tok->n, f) != tok->n) {
        if (f)
            fclose(f);
        return 0;
    }
    fclose(f);
    if ((f = fopen(df, "w")) == NULL)
        return 0;
    fputs("hello\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "openssl ts -verify -data '%s' -in '%s' -token_in -CAfile '%s' "
                              "-untrusted '%s' 2>&1 | grep -q '^Verification: OK'", df, tf,
             ca, chain);
    return system(cmd) == 0;
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_tsa_client__good_token_verifies_with_openssl(void)
{
    lts_buf tok = LTS_BUF_INIT;
    const char *urls[] = { fx.url };
    LTS_ASSERT_OK(stamp(M_GOOD, urls, 1, lts_test_pki_file(0, "root.pem"), NULL, 10, &tok));
    CU_ASSERT(tok.n > 1000);
    CU_ASSERT_EQUAL(tok.p[0], 0x30);
    CU_ASSERT(openssl_verifies_token(&tok));
    lts_buf_dispose(&tok);
    /* and with a policy asked for (the responder's own) */
    LTS_ASSERT_OK(stamp(M_GOOD, urls, 1, NULL, LTS_TSA_DEFAULT_POLICY, 10, &tok));
    lts_buf_dispose(&tok);
}

static void test_tsa_client__accepts_openssl_responder(void)
{
    lts_buf tok = LTS_BUF_INIT;
    const char *urls[] = { fx.url };
    LTS_ASSERT_OK(stamp(M_OPENSSL, urls, 1, lts_test_pki_file(0, "root.pem"), NULL, 20, &tok));
    CU_ASSERT(openssl_verifies_token(&tok));
    lts_buf_dispose(&tok);
}

static void test_tsa_client__refused(void)
{
    lts_buf tok = LTS_BUF_INIT;
    const char *urls[] = { fx.closed_url };
    CU_ASSERT_EQUAL(stamp(M_GOOD, urls, 1, NULL, NULL, 5, &tok), LTS_E_NET);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, fx.closed_url));
    CU_ASSERT_PTR_NULL(tok.p);
}

static void test_tsa_client__timeout(void)
{
    lts_buf tok = LTS_BUF_INIT;
    const char *urls[] = { fx.silent_url };
    time_t t0 = time(NULL);
    CU_ASSERT_EQUAL(stamp(M_GOOD, urls, 1, NULL, NULL, 2, &tok), LTS_E_TIMEOUT);
    CU_ASSERT(time(NULL) - t0 <= 6);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "no answer"));
    CU_ASSERT_PTR_NULL(tok.p);
}

static void test_tsa_client__http_faults(void)
{
    expect_fault(M_HTTP500, NULL, LTS_E_NET, LTS_TSA_R_HTTP_STATUS, "HTTP 500");
    expect_fault(M_CTYPE, NULL, LTS_E_NET, LTS_TSA_R_CONTENT_TYPE, "text/html");
    expect_fault(M_GARBAGE, NULL, LTS_E_INPUT, LTS_TSA_R_MALFORMED, "not a DER TimeStampResp");
    expect_fault(M_BIG, NULL, LTS_E_INPUT, LTS_TSA_R_TOO_LARGE, "larger than");
}

static void test_tsa_client__content_faults(void)
{
    expect_fault(M_NONCE, NULL, LTS_E_INPUT, LTS_TSA_R_NONCE, "nonce");
    expect_fault(M_IMPRINT, NULL, LTS_E_INPUT, LTS_TSA_R_IMPRINT, "imprint");
    expect_fault(M_BADSIG, NULL, LTS_E_CRYPTO, LTS_TSA_R_SIGNATURE, "signature");
}

static void test_tsa_client__policy_mismatch_and_rejection(void)
{
    lts_buf tok = LTS_BUF_INIT;
    const char *urls[] = { fx.url };
    /* the TSA answers with another policy than the one we asked */
    fx.m = M_POLICY;
    CU_ASSERT_EQUAL(stamp(M_POLICY, urls, 1, NULL, LTS_TSA_DEFAULT_POLICY, 10, &tok),
                    LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_TSA_R_POLICY);
    /* the TSA refuses a policy it does not have: status rejection, with its text */
    CU_ASSERT_EQUAL(stamp(M_GOOD, urls, 1, NULL, "1.2.3.4.5", 10, &tok), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_TSA_R_REJECTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "unacceptedPolicy"));
    CU_ASSERT_PTR_NULL(tok.p);
}

static void test_tsa_client__tsa_certificate_faults(void)
{
    expect_fault(M_NOEKU, NULL, LTS_E_CRYPTO, LTS_TSA_R_EKU, "extendedKeyUsage");
    expect_fault(M_ROGUE, lts_test_pki_file(0, "root.pem"), LTS_E_CRYPTO, LTS_TSA_R_UNTRUSTED,
                 "does not verify to the trust anchors");
    /* without trust_file the rogue token passes: only the signature is checked. Its key
     * is EC P-256, so this also covers ECDSA tokens; openssl agrees when anchored at it */
    lts_buf tok = LTS_BUF_INIT;
    const char *urls[] = { fx.url };
    LTS_ASSERT_OK(stamp(M_ROGUE, urls, 1, NULL, NULL, 10, &tok));
    char rogue[1024];
    snprintf(rogue, sizeof rogue, "%s", lts_test_tmp_file(3, "rogue.pem"));
    CU_ASSERT(openssl_verifies_token_with(&tok, rogue, rogue));
    CU_ASSERT_FALSE(openssl_verifies_token(&tok));
    lts_buf_dispose(&tok);
}

static void test_tsa_client__tries_urls_in_order(void)
{
    lts_buf tok = LTS_BUF_INIT;
    const char *urls[] = { fx.closed_url, fx.url, fx.url };
    /* first refused, second answers well */
    LTS_ASSERT_OK(stamp(M_GOOD, urls, 2, NULL, NULL, 5, &tok));
    CU_ASSERT(tok.n > 0);
    lts_buf_dispose(&tok);
    /* every one fails: the message says what each did */
    CU_ASSERT_EQUAL(stamp(M_HTTP500, urls, 3, NULL, NULL, 5, &tok), LTS_E_NET);
    const char *msg = lts_error_last()->message;
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "all 3 TSAs"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, fx.closed_url));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "HTTP 500"));
    CU_ASSERT_PTR_NULL(tok.p);
}

static void test_tsa_client__bad_arguments(void)
{
    lts_tsa *t = NULL;
    const char *ftp[] = { "ftp://127.0.0.1/" };
    const char *ok[] = { "http://127.0.0.1:1/" };
    lts_tsa_opts o = LTS_TSA_OPTS_INIT;
    CU_ASSERT_EQUAL(lts_tsa_open_http(&t, ftp, 1, NULL), LTS_E_CONFIG);
    CU_ASSERT_EQUAL(lts_tsa_open_http(&t, ok, 0, NULL), LTS_E_CONFIG);
    o.policy = "not.an.oid!";
    CU_ASSERT_EQUAL(lts_tsa_open_http(&t, ok, 1, &o), LTS_E_CONFIG);
    o.policy = NULL;
    o.trust_file = "/nonexistent/root.pem";
    CU_ASSERT_EQUAL(lts_tsa_open_http(&t, ok, 1, &o), LTS_E_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "/nonexistent/root.pem"));
    CU_ASSERT_PTR_NULL(t);
    LTS_ASSERT_OK(lts_tsa_open_http(&t, ok, 1, NULL));
    lts_buf tok = LTS_BUF_INIT;
    uint8_t d[20] = { 0 };
    CU_ASSERT_EQUAL(lts_tsa_stamp(t, LTS_HASH_SHA256, lts_span_of(d, 20), &tok), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_tsa_stamp(t, LTS_HASH_SHA1, lts_span_of(d, 20), &tok),
                    LTS_E_UNSUPPORTED);
    lts_tsa_close(t);
    lts_tsa_close(NULL);
}

/* The request we send: version 1, our imprint, a nonce, certReq, the policy. */
static void test_tsa_client__request_fields(void)
{
    TS_REQ *a = NULL, *b = NULL;
    LTS_ASSERT_OK(lts_tsa__req_new(&a, LTS_HASH_SHA256, lts_span_of(digest_of_hello, 32),
                                   "1.3.6.1.4.1.99999.1"));
    LTS_ASSERT_OK(lts_tsa__req_new(&b, LTS_HASH_SHA256, lts_span_of(digest_of_hello, 32), NULL));
    CU_ASSERT_EQUAL(TS_REQ_get_version(a), 1);
    CU_ASSERT_EQUAL(TS_REQ_get_cert_req(a), 1);
    CU_ASSERT_PTR_NOT_NULL(TS_REQ_get_policy_id(a));
    CU_ASSERT_PTR_NULL(TS_REQ_get_policy_id(b));
    CU_ASSERT_PTR_NOT_NULL_FATAL(TS_REQ_get_nonce(a));
    CU_ASSERT_EQUAL(ASN1_STRING_length(TS_REQ_get_nonce(a)), 8);
    CU_ASSERT(ASN1_INTEGER_cmp(TS_REQ_get_nonce(a), TS_REQ_get_nonce(b)) != 0);
    ASN1_OCTET_STRING *m = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(a));
    CU_ASSERT_EQUAL(ASN1_STRING_length(m), 32);
    CU_ASSERT_EQUAL(memcmp(ASN1_STRING_get0_data(m), digest_of_hello, 32), 0);
    const ASN1_OBJECT *alg = NULL;
    X509_ALGOR_get0(&alg, NULL, NULL, TS_MSG_IMPRINT_get_algo(TS_REQ_get_msg_imprint(a)));
    CU_ASSERT_EQUAL(OBJ_obj2nid(alg), NID_sha256);
    TS_REQ_free(a);
    TS_REQ_free(b);
}

/* check_resp straight on bytes: truncations of a good response never pass or crash. */
static void test_tsa_client__truncated_responses(void)
{
    TS_REQ *req = NULL;
    unsigned char *qd = NULL;
    lts_buf resp = LTS_BUF_INIT, tok = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_tsa__req_new(&req, LTS_HASH_SHA256, lts_span_of(digest_of_hello, 32), NULL));
    int n = i2d_TS_REQ(req, &qd);
    LTS_ASSERT_OK(lts_tsa_responder_respond(fx.good, lts_span_of(qd, (size_t)n), &resp));
    LTS_ASSERT_OK(lts_tsa__check_resp(req, lts_buf_span(&resp), NULL, &tok));
    lts_buf_dispose(&tok);
    for (size_t cut = 0; cut < resp.n; cut += 97) {
        CU_ASSERT_NOT_EQUAL(lts_tsa__check_resp(req, lts_span_of(resp.p, cut), NULL, &tok),
                            LTS_OK);
        CU_ASSERT_PTR_NULL(tok.p);
    }
    TS_REQ_free(req);
    OPENSSL_free(qd);
    lts_buf_dispose(&resp);
}

/* Where the DER of `what` sits inside `in` (memmem), as [*from, *to). 0 when absent. */
static int locate(const lts_buf *in, const unsigned char *what, int n, size_t *from, size_t *to)
{
    if (n <= 0)
        return 0;
    const unsigned char *hit = memmem(in->p, in->n, what, (size_t)n);
    if (hit == NULL)
        return 0;
    *from = (size_t)(hit - in->p);
    *to = *from + (size_t)n;
    return 1;
}

/* Deterministic mutation: one bit of a good response flipped at a time, 600 times. The
 * check never crashes; a failure leaves no token; a flip inside the TSTInfo or the
 * SignerInfo (signed attributes, signature) never passes. Flips that pass can only be in
 * the intermediate/root certificates, which nothing checks without trust_file. */
static void test_tsa_client__mutated_responses(void)
{
    TS_REQ *req = NULL;
    TS_RESP *good = NULL;
    unsigned char *qd = NULL, *tst = NULL, *si = NULL;
    lts_buf resp = LTS_BUF_INIT, tok = LTS_BUF_INIT, m = LTS_BUF_INIT;
    uint32_t seed = 12345;
    int passed = 0, inside = 0;
    size_t t0 = 0, t1 = 0, s0 = 0, s1 = 0;
    LTS_ASSERT_OK(lts_tsa__req_new(&req, LTS_HASH_SHA256, lts_span_of(digest_of_hello, 32), NULL));
    int n = i2d_TS_REQ(req, &qd);
    LTS_ASSERT_OK(lts_tsa_responder_respond(fx.good, lts_span_of(qd, (size_t)n), &resp));
    const unsigned char *p = resp.p;
    good = d2i_TS_RESP(NULL, &p, (long)resp.n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(good);
    int tn = i2d_TS_TST_INFO(TS_RESP_get_tst_info(good), &tst);
    int sn = i2d_PKCS7_SIGNER_INFO(
        sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(TS_RESP_get_token(good)), 0), &si);
    CU_ASSERT_FATAL(locate(&resp, tst, tn, &t0, &t1) && locate(&resp, si, sn, &s0, &s1));
    for (int i = 0; i < 600; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t at = (seed >> 8) % resp.n;
        LTS_ASSERT_OK(lts_buf_set(&m, lts_buf_span(&resp)));
        m.p[at] ^= (uint8_t)(1u << (seed % 8));
        lts_status rc = lts_tsa__check_resp(req, lts_buf_span(&m), NULL, &tok);
        int covered = (at >= t0 && at < t1) || (at >= s0 && at < s1);
        inside += covered;
        if (rc == LTS_OK) {
            passed++;
            lts_buf_dispose(&tok);
            if (covered)
                fprintf(stderr, "\nflip at %zu (TSTInfo %zu-%zu, SignerInfo %zu-%zu) passed\n",
                        at, t0, t1, s0, s1);
            CU_ASSERT_FALSE(covered);
        } else {
            CU_ASSERT_PTR_NULL(tok.p);
        }
    }
    CU_ASSERT(inside > 50);
    CU_ASSERT(passed < 600 / 2);
    TS_RESP_free(good);
    TS_REQ_free(req);
    OPENSSL_free(qd);
    OPENSSL_free(tst);
    OPENSSL_free(si);
    lts_buf_dispose(&resp);
    lts_buf_dispose(&m);
}

/* The in-process provider: same request, same checks, no HTTP. */
static void test_tsa_client__in_process_provider(void)
{
    lts_tsa *t = NULL;
    lts_buf tok = LTS_BUF_INIT;
    lts_tsa_opts o = LTS_TSA_OPTS_INIT;
    o.trust_file = lts_test_pki_file(0, "root.pem");
    LTS_ASSERT_OK(lts_tsa_open_responder(&t, fx.good, &o));
    LTS_ASSERT_OK(lts_tsa_stamp(t, LTS_HASH_SHA256, lts_span_of(digest_of_hello, 32), &tok));
    CU_ASSERT(openssl_verifies_token(&tok));
    lts_buf_dispose(&tok);
    lts_tsa_close(t);
    /* a no-EKU responder behind it is refused by the same checks */
    LTS_ASSERT_OK(lts_tsa_open_responder(&t, fx.bad_eku, NULL));
    CU_ASSERT_EQUAL(lts_tsa_stamp(t, LTS_HASH_SHA256, lts_span_of(digest_of_hello, 32), &tok),
                    LTS_E_CRYPTO);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_TSA_R_EKU);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "in-process TSA"));
    CU_ASSERT_PTR_NULL(tok.p);
    lts_tsa_close(t);
    CU_ASSERT_EQUAL(lts_tsa_open_responder(&t, NULL, NULL), LTS_E_CONFIG);
    CU_ASSERT_PTR_NULL(t);
}

/* A provider with a broken ops table is refused by lts_tsa_setup. */
static lts_status nop_transact(lts_tsa *t, size_t i, lts_span req, lts_buf *resp)
{
    (void)t, (void)i, (void)req, (void)resp;
    return LTS_OK;
}

static void nop_close(lts_tsa *t)
{
    (void)t; /* the test's lts_tsa lives on the stack */
}

static void test_tsa_client__provider_setup_checks(void)
{
    static const lts_tsa_ops no_close = { LTS_TSA_OPS_VERSION, "x", nop_transact, NULL, NULL };
    static const lts_tsa_ops future = { LTS_TSA_OPS_VERSION + 1, "x", nop_transact, NULL, NULL };
    static const lts_tsa_ops fine = { LTS_TSA_OPS_VERSION, "x", nop_transact, NULL, nop_close };
    lts_tsa t = { &no_close, 1, NULL };
    CU_ASSERT_EQUAL(lts_tsa_setup(&t, NULL), LTS_E_CONFIG);
    t.ops = &future;
    CU_ASSERT_EQUAL(lts_tsa_setup(&t, NULL), LTS_E_CONFIG);
    t.ops = &fine;
    t.n_endpoints = 0;
    CU_ASSERT_EQUAL(lts_tsa_setup(&t, NULL), LTS_E_CONFIG);
    t.n_endpoints = 1;
    LTS_ASSERT_OK(lts_tsa_setup(&t, NULL));
    /* an empty answer from the provider is checked like any other */
    lts_buf tok = LTS_BUF_INIT;
    CU_ASSERT_EQUAL(lts_tsa_stamp(&t, LTS_HASH_SHA256, lts_span_of(digest_of_hello, 32), &tok),
                    LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_TSA_R_MALFORMED);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "TSA #1"));
    lts_tsa_close(&t);
}

/* A TSA whose clock is outside its certificate's validity: refused. */
static lts_time fx_2010(const lts_clock *c)
{
    (void)c;
    return (lts_time)1262304000; /* 2010-01-01 */
}

static void test_tsa_client__gentime_outside_cert_validity(void)
{
    static lts_clock late = { LTS_CLOCK_VERSION, fx_pinned_now, NULL };  /* 2030 */
    static lts_clock early = { LTS_CLOCK_VERSION, fx_2010, NULL };
    const lts_clock *clocks[2] = { &late, &early };
    for (int k = 0; k < 2; k++) {
        lts_tsa_responder *r = NULL;
        lts_tsa *t = NULL;
        lts_buf tok = LTS_BUF_INIT;
        lts_tsa_responder_opts ro = LTS_TSA_RESPONDER_OPTS_INIT;
        ro.clock = clocks[k];
        LTS_ASSERT_OK(lts_tsa_responder_new(&r, fx.tsa, &ro));
        LTS_ASSERT_OK(lts_tsa_open_responder(&t, r, NULL));
        CU_ASSERT_EQUAL(lts_tsa_stamp(t, LTS_HASH_SHA256, lts_span_of(digest_of_hello, 32),
                                      &tok), LTS_E_CRYPTO);
        CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_TSA_R_CERT_TIME);
        CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, k ? "20100101" : "20300102"));
        CU_ASSERT_PTR_NULL(tok.p);
        lts_tsa_close(t);
        lts_tsa_responder_free(r);
    }
}

int lts_suite_tsa_client(void)
{
    static CU_TestInfo tests[] = {
        { "request_fields", test_tsa_client__request_fields },
        { "good_token_verifies_with_openssl", test_tsa_client__good_token_verifies_with_openssl },
        { "accepts_openssl_responder", test_tsa_client__accepts_openssl_responder },
        { "refused", test_tsa_client__refused },
        { "timeout", test_tsa_client__timeout },
        { "http_faults", test_tsa_client__http_faults },
        { "content_faults", test_tsa_client__content_faults },
        { "policy_mismatch_and_rejection", test_tsa_client__policy_mismatch_and_rejection },
        { "tsa_certificate_faults", test_tsa_client__tsa_certificate_faults },
        { "tries_urls_in_order", test_tsa_client__tries_urls_in_order },
        { "bad_arguments", test_tsa_client__bad_arguments },
        { "truncated_responses", test_tsa_client__truncated_responses },
        { "mutated_responses", test_tsa_client__mutated_responses },
        { "in_process_provider", test_tsa_client__in_process_provider },
        { "provider_setup_checks", test_tsa_client__provider_setup_checks },
        { "gentime_outside_cert_validity", test_tsa_client__gentime_outside_cert_validity },
        CU_TEST_INFO_NULL,
    };
    fx.silent_fd = -1;
    return lts_test_add_suite("tsa_client", init, clean, tests);
}
