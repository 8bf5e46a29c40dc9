/* ltsigd HTTP front: libmicrohttpd with a thread pool, connection timeouts, a ceiling on
 * request bodies, TLS unless the listen address is loopback. SIGTERM / SIGINT stop
 * accepting, let the requests in flight finish (up to 30 s), then stop. */
#define LTS_MODULE "ltsigd-http"
#include "srv_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

#define API_PREFIX "/csc/v2/"

typedef struct {
    srv_ctx *ctx;
    atomic_int inflight;
} httpd;

typedef struct {
    lts_buf body;
    int too_big;
    int counted;
} conn_st;

static enum MHD_Result send_json(struct MHD_Connection *c, int status, const char *json)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    size_t n = json ? strlen(json) : 0;
    resp = MHD_create_response_from_buffer(n, (void *)(json ? json : ""), MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    if (n)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    ret = MHD_queue_response(c, (unsigned int)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void peer_of(struct MHD_Connection *c, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = 0;
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)cap);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    httpd *h = cls;
    conn_st *st = *con_cls;
    char peer[64], *resp = NULL;
    int status = 500;
    enum MHD_Result ret;
    (void)version;
    if (st == NULL) {
        st = lts_calloc(1, sizeof *st);
        if (st == NULL)
            return MHD_NO;
        st->body.max = (size_t)h->ctx->conf->max_body;
        st->counted = 1;
        atomic_fetch_add(&h->inflight, 1);
        *con_cls = st;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > (unsigned long long)h->ctx->conf->max_body) {
            return send_json(c, 413, "{\"error\":\"invalid_request\",\"error_description\":"
                                     "\"The request body is too large\"}");
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!st->too_big && lts_buf_append(&st->body, upload, *upload_size) != LTS_OK) {
            st->too_big = 1;
            lts_buf_dispose(&st->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (st->too_big)
        return send_json(c, 413, "{\"error\":\"invalid_request\",\"error_description\":"
                                 "\"The request body is too large\"}");
    if (strncmp(url, API_PREFIX, strlen(API_PREFIX)) != 0)
        return send_json(c, 404, "{\"error\":\"invalid_request\",\"error_description\":"
                                 "\"Not found\"}");
    const char *path = url + strlen(API_PREFIX);
    if (strcmp(method, "POST") != 0 && !(strcmp(method, "GET") == 0 && strcmp(path, "info") == 0))
        return send_json(c, 405, "{\"error\":\"invalid_request\",\"error_description\":"
                                 "\"Use POST\"}");
    peer_of(c, peer, sizeof peer);
    const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);
    srv_api_handle(h->ctx, path, authz, peer, st->body.p, st->body.n, &status, &resp);
    ret = send_json(c, status, resp);
    lts_free(resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    httpd *h = cls;
    conn_st *st = *con_cls;
    (void)c;
    (void)toe;
    if (st == NULL)
        return;
    if (st->counted)
        atomic_fetch_sub(&h->inflight, 1);
    lts_buf_wipe(&st->body); /* it held a PIN, OTP or SAD */
    lts_free(st);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    httpd *h = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = 0;
    srv_log(h->ctx->log_level, SRV_LOG_WARN, "http", "message", msg, NULL);
}

static lts_status resolve(const char *listen, struct sockaddr_storage *ss)
{
    lts_status rc = LTS_OK;
    char host[256];
    struct addrinfo hints, *ai = NULL;
    const char *colon = strrchr(listen, ':');
    size_t n = (size_t)(colon - listen);
    LTS_ENSURE(colon && n > 0 && n < sizeof host, LTS_E_CONFIG, "bad listen address");
    memcpy(host, listen, n);
    host[n] = 0;
    if (host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = 0;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    int e = getaddrinfo(host, colon + 1, &hints, &ai);
    LTS_ENSURE(e == 0 && ai, LTS_E_CONFIG, "listen address '%.100s': %s", listen,
               gai_strerror(e));
    memset(ss, 0, sizeof *ss);
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
out:
    if (ai)
        freeaddrinfo(ai);
    return rc;
}

static void anchor(srv_ctx *ctx, int force)
{
    int made = 0;
    if (srv_audit_anchor(ctx->conf, ctx->db, force, &made) != LTS_OK) {
        srv_log(ctx->log_level, SRV_LOG_ERROR, "error", "event", "audit.anchor", "message",
                lts_error_last()->message, NULL);
        lts_error_clear();
    } else if (made) {
        srv_log(ctx->log_level, SRV_LOG_INFO, "anchor", NULL);
    }
}

lts_status srv_httpd_run(srv_ctx *ctx)
{
    lts_status rc = LTS_OK;
    httpd h;
    struct MHD_Daemon *d = NULL;
    struct sockaddr_storage ss;
    lts_buf cert = LTS_BUF_INIT_MAX(1 << 20), key = LTS_BUF_INIT_MAX(1 << 20);
    sigset_t set, old;
    int sig = 0, masked = 0;
    /* A thread per connection: a request that waits (for the token, for its group
     * commit) holds only its own connection. With a pool of polling threads, the
     * connections that the kernel happened to give one thread were served one after the
     * other behind each other's waits, so some clients were served three times as fast
     * as others and fewer requests shared each commit (docs/performance.md). The token's
     * session pool (`threads`) bounds how many values are computed at once, the
     * connection limits below how many threads there are. */
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                         MHD_USE_ITC | MHD_USE_ERROR_LOG;
    const srv_conf *cf = ctx->conf;

    h.ctx = ctx;
    atomic_init(&h.inflight, 0);
    LTS_TRY(resolve(cf->listen, &ss));
    int tls = cf->tls_cert != NULL;
    LTS_ENSURE(tls || srv_listen_is_loopback(cf->listen), LTS_E_CONFIG,
               "plain HTTP is only allowed on a loopback listen address");
    if (tls) {
        LTS_ENSURE(MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES, LTS_E_UNSUPPORTED,
                   "this libmicrohttpd has no TLS support");
        LTS_TRY(lts_io__read_file(&cert, cf->tls_cert, 0));
        LTS_TRY(lts_buf_nul(&cert));
        LTS_TRY(lts_io__read_file(&key, cf->tls_key, 0));
        LTS_TRY(lts_buf_nul(&key));
        flags |= MHD_USE_TLS;
    }
    /* the workers inherit this mask: only the main thread takes the signals */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    LTS_ENSURE(pthread_sigmask(SIG_BLOCK, &set, &old) == 0, LTS_E_INTERNAL, "sigmask");
    masked = 1;
    signal(SIGPIPE, SIG_IGN);
    if (tls)
        d = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, &h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
            MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 512u,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)(64 << 10), MHD_OPTION_NOTIFY_COMPLETED, on_completed, &h,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &h, MHD_OPTION_HTTPS_MEM_CERT,
            (const char *)cert.p, MHD_OPTION_HTTPS_MEM_KEY, (const char *)key.p,
            MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1",
            MHD_OPTION_END);
    else
        d = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, &h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
            MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 512u,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)(64 << 10), MHD_OPTION_NOTIFY_COMPLETED, on_completed, &h,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &h, MHD_OPTION_END);
    LTS_ENSURE(d != NULL, LTS_E_NET, "cannot serve on %s (address in use, or bad TLS files?)",
               cf->listen);
    srv_log(ctx->log_level, SRV_LOG_INFO, "start", "listen", cf->listen, "tls",
            tls ? "yes" : "no", NULL);
    (void)srv_audit(ctx->db, "serve.start", "admin", "", "ok", cf->listen);
    /* wait for a signal; meanwhile time-stamp the head of the log when it is due (here,
     * in the main thread, so that no request waits for the TSA) */
    for (;;) {
        struct timespec tick = { 1, 0 };
        sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT)
            break;
        if (sig < 0 && errno != EAGAIN && errno != EINTR) {
            sig = SIGTERM;
            break;
        }
        anchor(ctx, 0);
    }
    srv_log(ctx->log_level, SRV_LOG_INFO, "stopping", "signal", sig == SIGINT ? "INT" : "TERM",
            NULL);
    MHD_quiesce_daemon(d); /* no new connections */
    for (int i = 0; i < 300 && atomic_load(&h.inflight) > 0; i++) {
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(d);
    d = NULL;
    (void)srv_audit(ctx->db, "serve.stop", "admin", "", "ok", "");
    anchor(ctx, 1); /* the last entries too */
    unsigned long groups = 0, jobs = 0;
    char gs[24], js[24];
    srv_db_group_stats(ctx->db, &groups, &jobs);
    snprintf(gs, sizeof gs, "%lu", groups);
    snprintf(js, sizeof js, "%lu", jobs);
    srv_log(ctx->log_level, SRV_LOG_INFO, "stopped", "group_commits", gs, "group_jobs", js,
            NULL);
out:
    if (d)
        MHD_stop_daemon(d);
    if (masked)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    lts_buf_dispose(&cert);
    lts_buf_wipe(&key);
    return rc;
}
