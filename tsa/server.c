/* The HTTP front of the responder (RFC 3161 §3.4) on libmicrohttpd. see ltsig/tsa.h. */
#define LTS_MODULE "tsa"
#include "tsa_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "core/err.h"
#include "core/mem.h"

struct lts_tsa_server {
    struct MHD_Daemon *d;
    lts_tsa_responder *r; /* borrowed */
    size_t max_request;
    unsigned int port;
};

/* Per-request state, made on the first call of the access handler. */
typedef struct {
    lts_buf body;
    int status; /* 0 = go on; else the HTTP status of an early verdict */
} req_state;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, const char *ctype,
                             const void *p, size_t n)
{
    struct MHD_Response *rsp =
        MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY);
    if (rsp == NULL)
        return MHD_NO;
    MHD_add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(rsp, MHD_HTTP_HEADER_ALLOW, "POST");
    enum MHD_Result ret = MHD_queue_response(c, code, rsp);
    MHD_destroy_response(rsp);
    return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int code, const char *msg)
{
    return reply(c, code, "text/plain", msg, strlen(msg));
}

static int is_query_type(const char *ct)
{
    static const char want[] = "application/timestamp-query";
    size_t n = sizeof want - 1;
    return ct != NULL && strncasecmp(ct, want, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* First call: judge the method, content type and announced length. */
static int first_verdict(const lts_tsa_server *s, struct MHD_Connection *c, const char *method)
{
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return MHD_HTTP_METHOD_NOT_ALLOWED;
    if (!is_query_type(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_TYPE)))
        return MHD_HTTP_BAD_REQUEST;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL && strtoull(cl, NULL, 10) > s->max_request)
        return MHD_HTTP_BAD_REQUEST;
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    lts_tsa_server *s = cls;
    req_state *st = *con_cls;
    (void)url;
    (void)version;
    if (st == NULL) {
        st = lts_calloc(1, sizeof *st);
        if (st == NULL)
            return MHD_NO;
        st->body.max = s->max_request;
        st->status = first_verdict(s, c, method);
        *con_cls = st;
        return MHD_YES;
    }
    if (*upload_size > 0) { /* more of the body: keep it unless already refused */
        if (st->status == 0 && lts_buf_append(&st->body, upload, *upload_size) != LTS_OK)
            st->status = MHD_HTTP_BAD_REQUEST; /* over max_request (or out of memory) */
        *upload_size = 0;
        return MHD_YES;
    }
    if (st->status == MHD_HTTP_METHOD_NOT_ALLOWED)
        return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST a TimeStampReq\n");
    if (st->status != 0)
        return reply_text(c, MHD_HTTP_BAD_REQUEST,
                          "expected a POST of application/timestamp-query within the size limit\n");
    if (st->body.n == 0)
        return reply_text(c, MHD_HTTP_BAD_REQUEST, "empty request\n");
    lts_buf out = LTS_BUF_INIT;
    enum MHD_Result ret;
    if (lts_tsa_responder_respond(s->r, lts_buf_span(&st->body), &out) == LTS_OK)
        ret = reply(c, MHD_HTTP_OK, "application/timestamp-reply", out.p, out.n);
    else
        ret = reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the TSA could not sign\n");
    lts_buf_dispose(&out);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req_state *st = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (st != NULL) {
        lts_buf_dispose(&st->body);
        lts_free(st);
        *con_cls = NULL;
    }
}

/* see ltsig/tsa.h */
lts_status lts_tsa_server_start(lts_tsa_server **out, lts_tsa_responder *r,
                                const lts_tsa_server_opts *opts)
{
    lts_status rc = LTS_OK;
    lts_tsa_server *s = NULL;
    lts_tsa_server_opts def = LTS_TSA_SERVER_OPTS_INIT;
    struct sockaddr_in sa;
    *out = NULL;
    if (opts == NULL)
        opts = &def;
    LTS_ENSURE(opts->version == LTS_TSA_SERVER_OPTS_VERSION, LTS_E_CONFIG,
               "lts_tsa_server_opts version %u is not %u", opts->version,
               LTS_TSA_SERVER_OPTS_VERSION);
    LTS_ENSURE(r != NULL, LTS_E_CONFIG, "TSA server needs a responder");
    LTS_ENSURE(opts->port <= 65535, LTS_E_CONFIG, "port %u is out of range", opts->port);
    const char *bind = opts->bind ? opts->bind : "127.0.0.1";
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)opts->port);
    LTS_ENSURE(inet_pton(AF_INET, bind, &sa.sin_addr) == 1, LTS_E_CONFIG,
               "bind address is not an IPv4 address: %.60s", bind);
    LTS_ALLOC(s = lts_calloc(1, sizeof *s));
    s->r = r;
    s->max_request = opts->max_request ? opts->max_request : (size_t)64 << 10;
    unsigned int threads = opts->threads ? opts->threads : 4;
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
                            on_request, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)15,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 << 10),
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_END);
    LTS_ENSURE(s->d != NULL, LTS_E_IO, "cannot listen on %s:%u (in use, or not allowed)", bind,
               opts->port);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di != NULL ? di->port : opts->port;
    *out = s;
    s = NULL;
out:
    lts_tsa_server_stop(s);
    return rc;
}

/* see ltsig/tsa.h */
unsigned int lts_tsa_server_port(const lts_tsa_server *s)
{
    return s ? s->port : 0;
}

/* see ltsig/tsa.h */
void lts_tsa_server_stop(lts_tsa_server *s)
{
    if (s == NULL)
        return;
    if (s->d != NULL)
        MHD_stop_daemon(s->d); /* joins the pool after the requests in flight */
    lts_free(s);
}
