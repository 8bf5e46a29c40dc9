/* see core/http.h */
#define LTS_MODULE "http"
#include "http.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>
#include "err.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct {
    lts_buf *out;
    size_t max;
    int too_big;
    int nomem;
} sink;

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    sink *s = ud;
    size_t n = size * nmemb;
    if (s->out->n + n > s->max) {
        s->too_big = 1;
        return 0;
    }
    if (lts_buf_append(s->out, p, n) != LTS_OK) {
        s->nomem = 1;
        return 0;
    }
    return n;
}

lts_status lts_http__request(const char *url, const lts_span *body, const lts_http_opts *o,
                             long *status, lts_buf *resp)
{
    lts_status rc = LTS_OK;
    CURL *h = NULL;
    struct curl_slist *hdrs = NULL;
    char line[512];
    lts_http_opts def = LTS_HTTP_OPTS_INIT;
    sink s;
    if (o == NULL)
        o = &def;
    s.out = resp;
    s.max = o->max_response ? o->max_response : (size_t)16 << 20;
    s.too_big = s.nomem = 0;
    *status = 0;

    LTS_ENSURE(url != NULL && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0),
               LTS_E_CONFIG, "not an http(s) URL: %.200s", url ? url : "(none)");
    pthread_once(&curl_once, curl_init_once);
    LTS_ALLOC(h = curl_easy_init());
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 30L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->timeout_s > 0 && o->timeout_s < 10 ? o->timeout_s : 10L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    /* a proxy from the environment may serve the world, never our loopback peers */
    curl_easy_setopt(h, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "ltsig/0.1");
    if (o->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
    if (o->basic_user) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, o->basic_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, o->basic_password ? o->basic_password : "");
    }
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->p ? (const char *)body->p : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->n);
    }
    if (o->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", o->content_type);
        LTS_ALLOC(hdrs = curl_slist_append(hdrs, line));
    }
    if (o->accept) {
        snprintf(line, sizeof line, "Accept: %s", o->accept);
        struct curl_slist *n = curl_slist_append(hdrs, line);
        LTS_ALLOC(n);
        hdrs = n;
    }
    if (o->bearer) {
        LTS_ENSURE(strlen(o->bearer) < sizeof line - 32, LTS_E_INPUT, "access token too long");
        snprintf(line, sizeof line, "Authorization: Bearer %s", o->bearer);
        struct curl_slist *n = curl_slist_append(hdrs, line);
        memset(line, 0, sizeof line);
        LTS_ALLOC(n);
        hdrs = n;
    }
    if (hdrs)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    CURLcode cc = curl_easy_perform(h);
    if (s.too_big)
        LTS_FAIL(LTS_E_INPUT, "%s: response larger than %zu bytes", url, s.max);
    if (s.nomem)
        LTS_FAIL(LTS_E_NOMEM, "%s: out of memory reading the response", url);
    if (cc == CURLE_OPERATION_TIMEDOUT)
        LTS_FAIL(LTS_E_TIMEOUT, "%s: no answer within %ld s", url,
                 o->timeout_s > 0 ? o->timeout_s : 30L);
    if (cc != CURLE_OK)
        LTS_FAIL(LTS_E_NET, "%s: %s", url, curl_easy_strerror(cc));
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    if (o->resp_type != NULL && o->resp_type_cap > 0) {
        char *ct = NULL;
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
        snprintf(o->resp_type, o->resp_type_cap, "%s", ct ? ct : "");
    }
out:
    curl_slist_free_all(hdrs);
    if (h)
        curl_easy_cleanup(h);
    if (rc != LTS_OK)
        resp->n = 0;
    return rc;
}
