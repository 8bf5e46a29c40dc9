/* The HTTP(S) timestamp provider (RFC 3161 §3.4): POST application/timestamp-query,
 * expect 200 application/timestamp-reply. The request and the checks are the core's
 * (provider.c, check.c). see ltsig/tsa.h */
#define LTS_MODULE "tsa"
#include "tsa_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <ltsig/sys/tsa.h>
#include "core/err.h"
#include "core/http.h"
#include "core/mem.h"

typedef struct {
    lts_tsa base;
    char **urls;
    long timeout_s;
    char *ca_file;
} http_tsa;

/* Content-Type of a reply: application/timestamp-reply (RFC 3161 §3.4); the pre-RFC
 * spelling application/timestamp-response is still seen in the wild. */
static int reply_type_ok(const char *ct)
{
    static const char *const ok[] = { "application/timestamp-reply",
                                      "application/timestamp-response" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t n = strlen(ok[i]);
        if (strncasecmp(ct, ok[i], n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
            return 1;
    }
    return 0;
}

/* One URL: POST, then the HTTP level (status, content type, size). */
static lts_status http_transact(lts_tsa *t, size_t i, lts_span body, lts_buf *resp)
{
    lts_status rc = LTS_OK;
    http_tsa *h = (http_tsa *)t;
    const char *url = h->urls[i];
    lts_http_opts ho = LTS_HTTP_OPTS_INIT;
    char ctype[128] = "";
    long status = 0;
    ho.timeout_s = h->timeout_s;
    ho.max_response = LTS_TSA_MAX_RESPONSE;
    ho.content_type = "application/timestamp-query";
    ho.accept = "application/timestamp-reply";
    ho.ca_file = h->ca_file;
    ho.resp_type = ctype;
    ho.resp_type_cap = sizeof ctype;

    rc = lts_http__request(url, &body, &ho, &status, resp);
    if (rc == LTS_E_INPUT) /* the only INPUT failure of the transport: too large */
        LTS_FAIL_R(LTS_E_INPUT, LTS_TSA_R_TOO_LARGE, "%s: response larger than %zu bytes",
                   url, LTS_TSA_MAX_RESPONSE);
    if (rc != LTS_OK)
        goto out;
    if (status != 200)
        LTS_FAIL_R(LTS_E_NET, LTS_TSA_R_HTTP_STATUS, "%s: HTTP %ld", url, status);
    if (!reply_type_ok(ctype))
        LTS_FAIL_R(LTS_E_NET, LTS_TSA_R_CONTENT_TYPE,
                   "%s: content type '%.60s' is not application/timestamp-reply", url,
                   ctype[0] ? ctype : "(none)");
out:
    return rc;
}

static const char *http_describe(lts_tsa *t, size_t i)
{
    return ((http_tsa *)t)->urls[i];
}

static void http_close(lts_tsa *t)
{
    http_tsa *h = (http_tsa *)t;
    for (size_t i = 0; h->urls && i < h->base.n_endpoints; i++)
        lts_free(h->urls[i]);
    lts_free(h->urls);
    lts_free(h->ca_file);
    lts_free(h);
}

static const lts_tsa_ops http_ops = { LTS_TSA_OPS_VERSION, "http", http_transact,
                                      http_describe, http_close };

/* see ltsig/tsa.h */
lts_status lts_tsa_open_http(lts_tsa **out, const char *const *urls, size_t n_urls,
                             const lts_tsa_opts *opts)
{
    lts_status rc = LTS_OK;
    http_tsa *h = NULL;
    lts_tsa_opts def = LTS_TSA_OPTS_INIT;
    *out = NULL;
    if (opts == NULL)
        opts = &def;
    LTS_ENSURE(urls != NULL && n_urls > 0, LTS_E_CONFIG, "no TSA URL given");
    LTS_ALLOC(h = lts_calloc(1, sizeof *h));
    h->base.ops = &http_ops;
    LTS_ALLOC(h->urls = lts_calloc(n_urls, sizeof *h->urls));
    for (size_t i = 0; i < n_urls; i++) {
        LTS_ENSURE(urls[i] != NULL && (strncmp(urls[i], "http://", 7) == 0 ||
                                       strncmp(urls[i], "https://", 8) == 0),
                   LTS_E_CONFIG, "TSA URL is not http(s): %.200s", urls[i] ? urls[i] : "(null)");
        LTS_ALLOC(h->urls[i] = lts_strdup(urls[i]));
        h->base.n_endpoints = i + 1;
    }
    h->timeout_s = opts->timeout_s > 0 ? opts->timeout_s : 30;
    if (opts->ca_file != NULL)
        LTS_ALLOC(h->ca_file = lts_strdup(opts->ca_file));
    LTS_TRY(lts_tsa_setup(&h->base, opts));
    *out = &h->base;
    h = NULL;
out:
    if (h != NULL)
        lts_tsa_close(&h->base);
    return rc;
}
