/* core/http.h — internal: the HTTP client (libcurl) with mandatory timeouts and a ceiling
 * on the response size. Used by tsa/, validation/ (OCSP, CRL, AIA) and backend/csc. */
#ifndef LTS_CORE_HTTP_H
#define LTS_CORE_HTTP_H

#include <ltsig/buf.h>

typedef struct {
    long timeout_s;            /**< whole request; 0 = 30 s. Never unbounded. */
    size_t max_response;       /**< 0 = 16 MiB */
    const char *content_type;  /**< for POST */
    const char *accept;        /**< Accept header, optional */
    const char *bearer;        /**< Authorization: Bearer ..., optional (never logged) */
    const char *ca_file;       /**< CA bundle for https, optional */
    char *resp_type;           /**< optional out: the response Content-Type ("" if none) */
    size_t resp_type_cap;      /**< size of resp_type (truncated to fit, NUL-terminated) */
    const char *basic_user;    /**< HTTP Basic user, optional (with basic_password) */
    const char *basic_password;/**< HTTP Basic password (never logged) */
} lts_http_opts;
#define LTS_HTTP_OPTS_INIT { 0, 0, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL }

/** GET (body NULL) or POST (body non-NULL) `url`. On LTS_OK *status holds the HTTP status
 *  and resp the body (any status: the caller judges it). LTS_E_TIMEOUT, LTS_E_NET on
 *  transport failure; LTS_E_INPUT when the response passes max_response. */
lts_status lts_http__request(const char *url, const lts_span *body, const lts_http_opts *o,
                             long *status, lts_buf *resp);

#endif
