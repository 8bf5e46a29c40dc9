/* ltsigd configuration: one `key = value` per line, `#` starts a comment line. Unknown
 * keys and repeated keys are errors (a typo must not silently weaken the service). */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

#define CONF_MAX ((size_t)64 << 10)

typedef struct {
    const char *key;
    size_t str_off;  /* offset of a char * member, or (size_t)-1 */
    size_t long_off; /* offset of a long member, or (size_t)-1 */
    long min, max;
} conf_key;

#define S(m) { #m, offsetof(srv_conf, m), (size_t)-1, 0, 0 }
#define L(m, lo, hi) { #m, (size_t)-1, offsetof(srv_conf, m), lo, hi }
static const conf_key keys[] = {
    S(listen), S(database), S(pkcs11_module), S(token_label), S(token_pin_file),
    S(token_so_pin_file), S(tls_cert), S(tls_key), S(tsa_url), S(log_level),
    L(token_ttl, 1, 86400), L(sad_ttl, 1, 3600), L(max_signatures, 1, 10000),
    L(max_failures, 1, 100), L(threads, 1, 64), L(max_body, 1024, 64L << 20),
    L(argon2_t, 1, 100), L(argon2_m_kib, 8, 4L << 20),
    L(audit_anchor_every, 1, 1000000), L(audit_anchor_seconds, 1, 30L * 86400),
    L(auth_cache_ms, 1, 60000),
};
#undef S
#undef L

void srv_conf_free(srv_conf *c)
{
    if (c == NULL)
        return;
    char **strs[] = { &c->path, &c->listen, &c->database, &c->pkcs11_module, &c->token_label,
                      &c->token_pin_file, &c->token_so_pin_file, &c->tls_cert, &c->tls_key,
                      &c->tsa_url,
                      &c->log_level };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        lts_free(*strs[i]);
    lts_free(c);
}

static char *trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

static lts_status set_key(srv_conf *c, const char *path, int line, const char *k, const char *v)
{
    lts_status rc = LTS_OK;
    const conf_key *ck = NULL;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(keys[i].key, k) == 0)
            ck = &keys[i];
    }
    LTS_ENSURE(ck != NULL, LTS_E_CONFIG, "%s:%d: unknown key '%.64s'", path, line, k);
    LTS_ENSURE(*v, LTS_E_CONFIG, "%s:%d: '%s' has no value", path, line, k);
    if (ck->str_off != (size_t)-1) {
        char **slot = (char **)((char *)c + ck->str_off);
        LTS_ENSURE(*slot == NULL, LTS_E_CONFIG, "%s:%d: '%s' given twice", path, line, k);
        LTS_ALLOC(*slot = lts_strdup(v));
    } else {
        long *slot = (long *)((char *)c + ck->long_off);
        char *end = NULL;
        errno = 0;
        long x = strtol(v, &end, 10);
        LTS_ENSURE(errno == 0 && end != v && *end == 0 && x >= ck->min && x <= ck->max,
                   LTS_E_CONFIG, "%s:%d: '%s' must be a number in %ld..%ld", path, line, k,
                   ck->min, ck->max);
        LTS_ENSURE(*slot == 0, LTS_E_CONFIG, "%s:%d: '%s' given twice", path, line, k);
        *slot = x;
    }
out:
    return rc;
}

int srv_listen_is_loopback(const char *listen)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    size_t n = colon ? (size_t)(colon - listen) : strlen(listen);
    if (n == 0 || n >= sizeof host)
        return 0;
    memcpy(host, listen, n);
    host[n] = 0;
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = 0;
    }
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return 1;
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return 0;
}

static lts_status check(srv_conf *c)
{
    lts_status rc = LTS_OK;
    const char *p = c->path;
    LTS_ENSURE(c->database, LTS_E_CONFIG, "%s: 'database' is required", p);
    LTS_ENSURE(c->pkcs11_module, LTS_E_CONFIG, "%s: 'pkcs11_module' is required", p);
    LTS_ENSURE(c->token_label, LTS_E_CONFIG, "%s: 'token_label' is required", p);
    LTS_ENSURE(c->token_pin_file, LTS_E_CONFIG, "%s: 'token_pin_file' is required", p);
    if (c->listen) {
        const char *colon = strrchr(c->listen, ':');
        char *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        LTS_ENSURE(colon && end && *end == 0 && port > 0 && port < 65536, LTS_E_CONFIG,
                   "%s: 'listen' must be host:port, not '%.100s'", p, c->listen);
        LTS_ENSURE(srv_listen_is_loopback(c->listen) || (c->tls_cert && c->tls_key),
                   LTS_E_CONFIG, "%s: 'tls_cert' and 'tls_key' are required when 'listen' "
                   "is not a loopback address", p);
    }
    LTS_ENSURE((c->tls_cert == NULL) == (c->tls_key == NULL), LTS_E_CONFIG,
               "%s: give both 'tls_cert' and 'tls_key', or neither", p);
    if (c->log_level == NULL)
        LTS_ALLOC(c->log_level = lts_strdup("info"));
    LTS_ENSURE(srv_log_level_parse(c->log_level) >= 0, LTS_E_CONFIG,
               "%s: 'log_level' must be debug, info, warn or error", p);
    if (!c->token_ttl)
        c->token_ttl = 3600;
    if (!c->sad_ttl)
        c->sad_ttl = 300;
    if (!c->max_signatures)
        c->max_signatures = 100;
    if (!c->max_failures)
        c->max_failures = 5;
    /* signing sessions (each HTTP connection has its own thread, httpd.c): more than the
     * cores, so that requests keep signing while others wait for their group commit */
    if (!c->threads)
        c->threads = 16;
    if (!c->auth_cache_ms)
        c->auth_cache_ms = 50;
    if (!c->max_body)
        c->max_body = 1L << 20;
    if (!c->argon2_t)
        c->argon2_t = 3;
    if (!c->argon2_m_kib)
        c->argon2_m_kib = 65536;
    if (!c->audit_anchor_every)
        c->audit_anchor_every = 1000;
    if (!c->audit_anchor_seconds)
        c->audit_anchor_seconds = 3600;
out:
    return rc;
}

lts_status srv_conf_load(srv_conf **out, const char *path)
{
    lts_status rc = LTS_OK;
    lts_buf raw = LTS_BUF_INIT_MAX(CONF_MAX);
    srv_conf *c = NULL;
    *out = NULL;
    LTS_ENSURE(path != NULL, LTS_E_CONFIG, "no configuration file given (--config FILE)");
    LTS_TRY(lts_io__read_file(&raw, path, CONF_MAX));
    LTS_TRY(lts_buf_nul(&raw));
    LTS_ENSURE(memchr(raw.p, 0, raw.n) == NULL, LTS_E_CONFIG, "%s: contains a NUL byte", path);
    LTS_ALLOC(c = lts_calloc(1, sizeof *c));
    LTS_ALLOC(c->path = lts_strdup(path));
    int line = 0;
    for (char *l = (char *)raw.p; l != NULL;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = 0;
        line++;
        char *s = trim(l);
        l = nl ? nl + 1 : NULL;
        if (*s == 0 || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        LTS_ENSURE(eq != NULL, LTS_E_CONFIG, "%s:%d: expected 'key = value'", path, line);
        *eq = 0;
        LTS_TRY(set_key(c, path, line, trim(s), trim(eq + 1)));
    }
    LTS_TRY(check(c));
    *out = c;
    c = NULL;
out:
    srv_conf_free(c);
    lts_buf_wipe(&raw);
    return rc;
}
