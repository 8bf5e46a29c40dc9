/* Suite vdata_faults: what goes wrong on the wire, with real processes on 127.0.0.1 (free
 * ports picked by the kernel): a responder that is down, a listener that never answers
 * (bounded by the timeout), an HTTP server serving garbage, wrong CRLs and certificates,
 * a POST server answering garbage or tryLater, and `openssl ocsp` signing with a key the CA
 * never authorised for OCSP (signer-rsa). Each failure must be a clear one-line error. */
#include "vdata_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/pem.h>

static pid_t http_pid = -1, post_pid = -1, unauth_pid = -1, nocheck_pid = -1;
static int http_port, post_port, unauth_port, nocheck_port, silent_port, silent_fd = -1;
static X509 *rsa, *inter, *root;
static char www[1024];

static const char post_server[] =
    "import http.server, sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_POST(self):\n"
    "        self.rfile.read(int(self.headers.get('Content-Length', 0)))\n"
    "        body = bytes([0x30, 3, 10, 1, 3]) if self.path == '/trylater' else b'<html>garbage</html>'\n"
    "        if self.path == '/replay':\n"
    "            body = open(sys.argv[2] + '/replay.ocsp', 'rb').read()\n"
    "        self.send_response(200)\n"
    "        self.send_header('Content-Type', 'application/ocsp-response')\n"
    "        self.send_header('Content-Length', str(len(body)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(body)\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n";

static int write_file(const char *path, const void *p, size_t n)
{
    return lts_io__write_atomic(path, lts_span_of(p, n), 0) != LTS_OK;
}

static int make_www(void)
{
    char f[1200], cmd[4096];
    lts_buf crl = LTS_BUF_INIT;
    static const char junk[] = "\x30\x82\x01\x00 definitely not a CRL";
    int bad = 0;
    snprintf(www, sizeof www, "%s", lts_test_tmp_file(0, "faults-www"));
    mkdir(www, 0755);
    snprintf(f, sizeof f, "%s/garbage.crl", www);
    bad |= write_file(f, junk, sizeof junk - 1);
    snprintf(f, sizeof f, "%s/garbage.der", www);
    bad |= write_file(f, junk, sizeof junk - 1);
    bad |= lts_io__read_file(&crl, lts_test_pki_file(0, "inter.crl"), 0) != LTS_OK;
    if (crl.n > 10) {
        crl.p[crl.n - 5] ^= 0x55;
        snprintf(f, sizeof f, "%s/bad-sig.crl", www);
        bad |= write_file(f, crl.p, crl.n);
    }
    lts_buf_dispose(&crl);
    snprintf(cmd, sizeof cmd,
             "cp '%s/root.crl' '%s/inter.pem' '%s/root.pem' '%s/' && "
             "openssl crl2pkcs7 -nocrl -certfile '%s/chain.pem' -outform DER -out '%s/chain.p7c'",
             lts_test_pki(), lts_test_pki(), lts_test_pki(), www, lts_test_pki(), www);
    bad |= system(cmd) != 0;
    snprintf(f, sizeof f, "%s/post.py", www);
    bad |= write_file(f, post_server, sizeof post_server - 1);
    /* a delegated responder (OCSPSigning, issued by inter) WITHOUT id-pkix-ocsp-nocheck,
     * with the leaves' CRL distribution point; made with openssl x509 -req, so the CA
     * database of the PKI is left alone */
    {
        char **cdp = NULL;
        if (lts_vdata__urls(rsa, NID_crl_distribution_points, &cdp, NULL) != LTS_OK || !cdp[0]) {
            bad = 1;
        } else {
            snprintf(f, sizeof f, "%s/resp2.cnf", www);
            snprintf(cmd, sizeof cmd, "[e]\nbasicConstraints=critical,CA:FALSE\n"
                     "keyUsage=critical,digitalSignature\nextendedKeyUsage=OCSPSigning\n"
                     "crlDistributionPoints=URI:%s\n", cdp[0]);
            bad |= write_file(f, cmd, strlen(cmd));
            snprintf(cmd, sizeof cmd,
                     "cd '%s' && openssl req -new -newkey rsa:2048 -nodes -keyout resp2.key "
                     "-subj '/O=ltsig test/CN=Responder without nocheck' -out resp2.csr "
                     ">/dev/null 2>&1 && openssl x509 -req -in resp2.csr -CA '%s/inter.pem' "
                     "-CAkey '%s/inter.key' -set_serial 0x7777 -days 30 -extfile resp2.cnf "
                     "-extensions e -out resp2.pem >/dev/null 2>&1",
                     www, lts_test_pki(), lts_test_pki());
            bad |= system(cmd) != 0;
        }
        lts_vdata__urls_free(cdp);
    }
    /* a genuine response from the real responder, with its nonce, to be replayed */
    {
        char **urls = NULL;
        lts_buf resp = LTS_BUF_INIT;
        if (lts_vdata__urls(rsa, NID_ad_OCSP, &urls, NULL) != LTS_OK || urls[0] == NULL
            || lts_vdata__fetch_ocsp(urls[0], rsa, inter, LTS_VDATA_NONCE_SEND, 10, NULL,
                                     lts_clock_now(NULL), &resp) != LTS_OK) {
            fprintf(stderr, "vdata_faults: no response to replay: %s\n", lts_error_last()->message);
            bad = 1;
        }
        snprintf(f, sizeof f, "%s/replay.ocsp", www);
        bad |= write_file(f, resp.p, resp.n);
        lts_buf_dispose(&resp);
        lts_vdata__urls_free(urls);
    }
    return bad;
}

static int init(void)
{
    char port[16], port2[16], port3[16], py[1200], log[1200];
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    rsa = vt_cert("signer-rsa.pem");
    inter = vt_cert("inter.pem");
    root = vt_cert("root.pem");
    if (!rsa || !inter || !root || make_www())
        return 1;
    http_port = vt_free_port();
    snprintf(port, sizeof port, "%d", http_port);
    char *http_argv[] = { "python3", "-m", "http.server", port, "--bind", "127.0.0.1",
                          "--directory", www, NULL };
    http_pid = vt_spawn(http_argv, NULL);
    post_port = vt_free_port();
    snprintf(port2, sizeof port2, "%d", post_port);
    snprintf(py, sizeof py, "%s/post.py", www);
    char *post_argv[] = { "python3", py, port2, www, NULL };
    post_pid = vt_spawn(post_argv, NULL);
    /* signer-rsa is issued by inter but has no id-kp-OCSPSigning: not an authorised responder */
    unauth_port = vt_free_port();
    snprintf(port3, sizeof port3, "%d", unauth_port);
    snprintf(log, sizeof log, "%s/unauth-ocsp.log", www);
    char idx[1024], rs[1024], rk[1024], ca[1024];
    snprintf(idx, sizeof idx, "%s", lts_test_pki_file(0, "ca/index.txt"));
    snprintf(rs, sizeof rs, "%s", lts_test_pki_file(0, "signer-rsa.pem"));
    snprintf(rk, sizeof rk, "%s", lts_test_pki_file(0, "signer-rsa.key"));
    snprintf(ca, sizeof ca, "%s", lts_test_pki_file(0, "inter.pem"));
    char *unauth_argv[] = { "openssl", "ocsp", "-index", idx, "-port", port3, "-rsigner", rs,
                            "-rkey", rk, "-CA", ca, "-ndays", "7", "-ignore_err", NULL };
    unauth_pid = vt_spawn(unauth_argv, log);
    nocheck_port = vt_free_port();
    char port4[16], rs2[1200], rk2[1200];
    snprintf(port4, sizeof port4, "%d", nocheck_port);
    snprintf(rs2, sizeof rs2, "%s/resp2.pem", www);
    snprintf(rk2, sizeof rk2, "%s/resp2.key", www);
    char *nocheck_argv[] = { "openssl", "ocsp", "-index", idx, "-port", port4, "-rsigner", rs2,
                             "-rkey", rk2, "-CA", ca, "-ndays", "7", "-ignore_err", NULL };
    nocheck_pid = vt_spawn(nocheck_argv, NULL);
    /* a listener that accepts connections (the kernel does) and never answers */
    silent_fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (silent_fd < 0 || bind(silent_fd, (struct sockaddr *)&a, sizeof a) != 0
        || listen(silent_fd, 16) != 0 || getsockname(silent_fd, (struct sockaddr *)&a, &len) != 0)
        return 1;
    silent_port = ntohs(a.sin_port);
    if (!vt_wait_listen(http_port) || !vt_wait_listen(post_port) || !vt_wait_listen(unauth_port)
        || !vt_wait_listen(nocheck_port)) {
        fprintf(stderr, "vdata_faults: a helper server did not start\n");
        return 1;
    }
    return 0;
}

static int clean(void)
{
    vt_stop(http_pid);
    vt_stop(post_pid);
    vt_stop(unauth_pid);
    vt_stop(nocheck_pid);
    if (silent_fd >= 0)
        close(silent_fd);
    X509_free(rsa);
    X509_free(inter);
    X509_free(root);
    return 0;
}

static lts_vdata_source *online_at(const char *ocsp_url, long timeout_s, const lts_clock *clk)
{
    lts_vdata_online_opts o = LTS_VDATA_ONLINE_OPTS_INIT;
    lts_vdata_source *s = NULL;
    o.ocsp_url = ocsp_url;
    o.timeout_s = timeout_s;
    o.clock = clk;
    o.trust_file = lts_test_pki_file(6, "root.pem");
    if (lts_vdata_online_new(&s, &o) != LTS_OK)
        fprintf(stderr, "online source: %s\n", lts_error_last()->message);
    return s;
}

static lts_status ocsp_from(const char *url, long timeout_s, const lts_clock *clk)
{
    lts_vdata_source *s = online_at(url, timeout_s, clk);
    lts_buf out = LTS_BUF_INIT;
    lts_status rc = lts_vdata_get_ocsp(s, rsa, inter, &out);
    CU_ASSERT(rc != LTS_OK || out.n > 0);
    if (rc != LTS_OK)
        CU_ASSERT_EQUAL(out.n, 0);
    lts_buf_dispose(&out);
    lts_vdata_free(s);
    return rc;
}

static void test_vdata_faults__responder_down(void)
{
    char url[64], want[100];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", vt_free_port());
    CU_ASSERT_EQUAL(ocsp_from(url, 5, NULL), LTS_E_NET);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_HTTP);
    snprintf(want, sizeof want, "OCSP responder %s", url);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, want));
    CU_ASSERT_PTR_NULL(strchr(lts_error_last()->message, '\n'));
}

static void test_vdata_faults__silent_listener_times_out(void)
{
    char url[64], want[160];
    double t0 = vt_now();
    snprintf(url, sizeof url, "http://127.0.0.1:%d", silent_port);
    CU_ASSERT_EQUAL(ocsp_from(url, 2, NULL), LTS_E_TIMEOUT);
    double took = vt_now() - t0;
    snprintf(want, sizeof want, "OCSP responder %s did not answer within 2 s", url);
    CU_ASSERT_STRING_EQUAL(lts_error_last()->message, want);
    CU_ASSERT(took >= 1.5 && took < 6.0);
    /* the same for a CRL distribution point */
    lts_buf out = LTS_BUF_INIT;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/inter.crl", silent_port);
    t0 = vt_now();
    CU_ASSERT_EQUAL(lts_vdata__fetch_crl(url, inter, 2, NULL, lts_clock_now(NULL), &out), LTS_E_TIMEOUT);
    CU_ASSERT(vt_now() - t0 < 6.0);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "did not answer within 2 s"));
    lts_buf_dispose(&out);
}

static void test_vdata_faults__unauthorised_responder(void)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", unauth_port);
    CU_ASSERT_EQUAL(ocsp_from(url, 10, NULL), LTS_E_CRYPTO);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_UNAUTHORISED);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "Test Signer RSA"));
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "OCSPSigning"));
}

static void test_vdata_faults__unauthorised_fails_collect(void)
{
    /* a forged response is never "tolerated" because a CRL was found */
    char url[64];
    lts_buf der = LTS_BUF_INIT;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_vdata_collect_opts o;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", unauth_port);
    lts_vdata_source *s = online_at(url, 10, NULL);
    vt_collect_opts(&o);
    LTS_ASSERT_OK(vt_cert_der("signer-rsa.pem", &der));
    CU_ASSERT_EQUAL(lts_vdata_collect(s, lts_buf_span(&der), NULL, 0, &o, &b), LTS_E_CRYPTO);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_UNAUTHORISED);
    CU_ASSERT_PTR_NULL(b.certs);
    CU_ASSERT_EQUAL(b.n_crls, 0);
    lts_buf_dispose(&der);
    lts_vdata_free(s);
}

static void test_vdata_faults__responder_down_tolerated_with_crl(void)
{
    char url[64];
    lts_buf der = LTS_BUF_INIT;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_vdata_collect_opts o;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", vt_free_port());
    lts_vdata_source *s = online_at(url, 5, NULL);
    vt_collect_opts(&o);
    LTS_ASSERT_OK(vt_cert_der("signer-rsa.pem", &der));
    LTS_ASSERT_OK(lts_vdata_collect(s, lts_buf_span(&der), NULL, 0, &o, &b));
    CU_ASSERT_EQUAL(b.n_ocsps, 0);
    CU_ASSERT_EQUAL(b.n_crls, 2);
    lts_vdata_bundle_dispose(&b);
    /* OCSP only: the unreachable responder is the error */
    o.revocation = LTS_VDATA_OCSP;
    CU_ASSERT_EQUAL(lts_vdata_collect(s, lts_buf_span(&der), NULL, 0, &o, &b), LTS_E_NOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, url));
    lts_buf_dispose(&der);
    lts_vdata_free(s);
}

static void test_vdata_faults__garbage_ocsp(void)
{
    char url[80];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ocsp", post_port);
    CU_ASSERT_EQUAL(ocsp_from(url, 5, NULL), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_GARBAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "not an OCSP response"));
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, url));
    snprintf(url, sizeof url, "http://127.0.0.1:%d/trylater", post_port);
    CU_ASSERT_EQUAL(ocsp_from(url, 5, NULL), LTS_E_NET);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_OCSP_STATUS);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "trylater"));
}

static void test_vdata_faults__http_error_status(void)
{
    char url[80];
    lts_buf out = LTS_BUF_INIT;
    /* python http.server does not do POST */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", http_port);
    CU_ASSERT_EQUAL(ocsp_from(url, 5, NULL), LTS_E_NET);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "answered HTTP 501"));
    snprintf(url, sizeof url, "http://127.0.0.1:%d/missing.crl", http_port);
    CU_ASSERT_EQUAL(lts_vdata__fetch_crl(url, inter, 5, NULL, lts_clock_now(NULL), &out), LTS_E_NET);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "answered HTTP 404"));
    lts_buf_dispose(&out);
}

static void test_vdata_faults__bad_crls(void)
{
    char url[120], want[200];
    lts_buf out = LTS_BUF_INIT;
    lts_time now = lts_clock_now(NULL);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/garbage.crl", http_port);
    CU_ASSERT_EQUAL(lts_vdata__fetch_crl(url, inter, 5, NULL, now, &out), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_GARBAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "not a CRL"));
    snprintf(url, sizeof url, "http://127.0.0.1:%d/bad-sig.crl", http_port);
    CU_ASSERT_EQUAL(lts_vdata__fetch_crl(url, inter, 5, NULL, now, &out), LTS_E_CRYPTO);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_SIGNATURE);
    snprintf(want, sizeof want, "CRL at %s is not signed by /O=ltsig test/CN=ltsig Test "
             "Intermediate CA", url);
    if (strcmp(lts_error_last()->message, want) != 0)
        fprintf(stderr, "\ngot: %s\n", lts_error_last()->message);
    CU_ASSERT_STRING_EQUAL(lts_error_last()->message, want);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/root.crl", http_port);
    CU_ASSERT_EQUAL(lts_vdata__fetch_crl(url, inter, 5, NULL, now, &out), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_CRL_ISSUER);
    CU_ASSERT_EQUAL(out.n, 0);
    /* the genuine root CRL, checked against the root: fine */
    LTS_ASSERT_OK(lts_vdata__fetch_crl(url, root, 5, NULL, now, &out));
    CU_ASSERT(out.n > 0);
    lts_buf_dispose(&out);
}

static void test_vdata_faults__ca_issuers_forms(void)
{
    char url[120];
    X509 *got = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/garbage.der", http_port);
    CU_ASSERT_EQUAL(lts_vdata__fetch_issuer(url, rsa, 5, NULL, &got), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_GARBAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, url));
    CU_ASSERT_PTR_NULL(got);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/root.pem", http_port);
    CU_ASSERT_EQUAL(lts_vdata__fetch_issuer(url, rsa, 5, NULL, &got), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_NO_ISSUER);
    CU_ASSERT_PTR_NULL(got);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/inter.pem", http_port); /* PEM */
    LTS_ASSERT_OK(lts_vdata__fetch_issuer(url, rsa, 5, NULL, &got));
    CU_ASSERT_EQUAL(X509_cmp(got, inter), 0);
    X509_free(got);
    got = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/chain.p7c", http_port); /* PKCS#7 certs-only */
    LTS_ASSERT_OK(lts_vdata__fetch_issuer(url, rsa, 5, NULL, &got));
    CU_ASSERT_EQUAL(X509_cmp(got, inter), 0);
    X509_free(got);
    got = NULL;
    LTS_ASSERT_OK(lts_vdata__fetch_issuer(url, inter, 5, NULL, &got)); /* and the root from it */
    CU_ASSERT_EQUAL(X509_cmp(got, root), 0);
    X509_free(got);
}

static lts_time later(const lts_clock *c)
{
    return lts_clock_now(NULL) + *(const lts_time *)c->payload;
}

static void test_vdata_faults__stale_response(void)
{
    /* the real responder gives nextUpdate = now + 7 days; at now + 30 days it is stale */
    lts_time delta = 30 * 86400;
    lts_clock clk = { LTS_CLOCK_VERSION, later, &delta };
    lts_vdata_source *s = online_at(NULL, 10, &clk);
    lts_buf out = LTS_BUF_INIT;
    CU_ASSERT_EQUAL(lts_vdata_get_ocsp(s, rsa, inter, &out), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_STALE);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "stale"));
    CU_ASSERT_EQUAL(out.n, 0);
    lts_vdata_free(s);
}

static void test_vdata_faults__nonce_required(void)
{
    /* openssl ocsp echoes the nonce: REQUIRE passes */
    lts_vdata_online_opts o = LTS_VDATA_ONLINE_OPTS_INIT;
    lts_vdata_source *s = NULL;
    lts_buf out = LTS_BUF_INIT;
    o.nonce = LTS_VDATA_NONCE_REQUIRE;
    LTS_ASSERT_OK(lts_vdata_online_new(&s, &o));
    LTS_ASSERT_OK(lts_vdata_get_ocsp(s, rsa, inter, &out));
    lts_buf_dispose(&out);
    lts_vdata_free(s);
    o.nonce = (lts_vdata_nonce)9;
    CU_ASSERT_EQUAL(lts_vdata_online_new(&s, &o), LTS_E_CONFIG);
}

static void test_vdata_faults__replayed_response(void)
{
    /* a genuine response, replayed: signature and responder fine, but not our nonce */
    char url[80];
    lts_vdata_online_opts o = LTS_VDATA_ONLINE_OPTS_INIT;
    lts_vdata_source *s = NULL;
    lts_buf out = LTS_BUF_INIT;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/replay", post_port);
    CU_ASSERT_EQUAL(ocsp_from(url, 5, NULL), LTS_E_CRYPTO);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_NONCE);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "nonce"));
    /* without a nonce of ours, the same response is acceptable (fresh enough) */
    o.ocsp_url = url;
    o.nonce = LTS_VDATA_NONCE_OFF;
    LTS_ASSERT_OK(lts_vdata_online_new(&s, &o));
    LTS_ASSERT_OK(lts_vdata_get_ocsp(s, rsa, inter, &out));
    CU_ASSERT(out.n > 0);
    lts_buf_dispose(&out);
    lts_vdata_free(s);
}

static void test_vdata_faults__responder_without_nocheck(void)
{
    /* its certificate comes with the bundle, and its CRL is asked for (RFC 6960 §4.2.2.2.1) */
    char url[64];
    lts_buf der = LTS_BUF_INIT, resp2 = LTS_BUF_INIT;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_vdata_collect_opts o;
    char path[1200];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", nocheck_port);
    vt_counting *c = vt_counting_new(online_at(url, 10, NULL));
    vt_collect_opts(&o);
    LTS_ASSERT_OK(vt_cert_der("signer-rsa.pem", &der));
    LTS_ASSERT_OK(lts_vdata_collect(&c->base, lts_buf_span(&der), NULL, 0, &o, &b));
    CU_ASSERT_EQUAL(b.chain_len, 3);
    CU_ASSERT_EQUAL(b.n_certs, 4);
    CU_ASSERT_EQUAL(b.n_ocsps, 1);
    CU_ASSERT_EQUAL(b.n_crls, 2);  /* the responder's CRL is inter's: the same bytes */
    CU_ASSERT_EQUAL(c->n_crl, 3);  /* leaf, inter, and the responder */
    snprintf(path, sizeof path, "%s/resp2.pem", www);
    X509 *x = NULL;
    FILE *fp = fopen(path, "r");
    if (fp) {
        x = PEM_read_X509(fp, NULL, NULL, NULL);
        fclose(fp);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    LTS_ASSERT_OK(lts_vdata__x509_to_der(x, &resp2));
    X509_free(x);
    CU_ASSERT(b.n_certs == 4 && lts_span_eq(lts_buf_span(&b.certs[3]), lts_buf_span(&resp2)));
    lts_vdata_bundle_dispose(&b);
    /* the PKI's own responder has nocheck: no CRL asked for it */
    vt_counting *c2 = vt_counting_new(vt_online(10));
    LTS_ASSERT_OK(lts_vdata_collect(&c2->base, lts_buf_span(&der), NULL, 0, &o, &b));
    CU_ASSERT_EQUAL(c2->n_crl, 2);
    lts_vdata_bundle_dispose(&b);
    lts_vdata_free(&c2->base);
    lts_vdata_free(&c->base);
    lts_buf_dispose(&der);
    lts_buf_dispose(&resp2);
}

int lts_suite_vdata_faults(void)
{
    static CU_TestInfo tests[] = {
        { "responder_down", test_vdata_faults__responder_down },
        { "silent_listener_times_out", test_vdata_faults__silent_listener_times_out },
        { "unauthorised_responder", test_vdata_faults__unauthorised_responder },
        { "unauthorised_fails_collect", test_vdata_faults__unauthorised_fails_collect },
        { "responder_down_tolerated_with_crl", test_vdata_faults__responder_down_tolerated_with_crl },
        { "garbage_ocsp", test_vdata_faults__garbage_ocsp },
        { "http_error_status", test_vdata_faults__http_error_status },
        { "bad_crls", test_vdata_faults__bad_crls },
        { "ca_issuers_forms", test_vdata_faults__ca_issuers_forms },
        { "stale_response", test_vdata_faults__stale_response },
        { "nonce_required", test_vdata_faults__nonce_required },
        { "replayed_response", test_vdata_faults__replayed_response },
        { "responder_without_nocheck", test_vdata_faults__responder_without_nocheck },
        CU_TEST_INFO_NULL
    };
    if (!vt_phase("all") && !vt_phase("online"))
        return 0;
    return lts_test_add_suite("vdata_faults", init, clean, tests);
}
