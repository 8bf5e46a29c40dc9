/* The RFC 7512 PKCS#11 URI parser (see p11_int.h).
 *
 *   pk11-URI   = "pkcs11:" pk11-path [ "?" pk11-query ]
 *   pk11-path  = [ pk11-pattr *( ";" pk11-pattr ) ]
 *   pk11-query = [ pk11-qattr *( "&" pk11-qattr ) ]
 *   attr       = name "=" value;  name = 1*( ALPHA / DIGIT / "-" / "_" )
 *   path value chars:  unreserved / pct-encoded / ":[]@!$'()*+,=&"
 *   query value chars: unreserved / pct-encoded / ":[]@!$'()*+,=/?|"
 * An attribute may appear once. Unknown standard attributes are refused (a URI we do not
 * understand must not silently match some other key); vendor attributes ("x-...") are
 * ignored except x-sessions. No fragment ("#") is allowed. */
#define LTS_MODULE "signer-pkcs11"
#include "p11_int.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "core/err.h"
#include "core/mem.h"

#define UNRESERVED "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
#define PATH_EXTRA ":[]@!$'()*+,=&"
#define QUERY_EXTRA ":[]@!$'()*+,=/?|"

enum { K_STR, K_ID, K_SLOTNUM, K_LIBVER, K_PINVAL, K_SESSIONS };

typedef struct {
    const char *name;
    int in_query;
    int kind;
    size_t off; /* offset of the char * member for K_STR */
} attr_def;

#define STR_ATTR(n, q, m) { n, q, K_STR, offsetof(lts_p11_uri, m) }
static const attr_def attrs[] = {
    STR_ATTR("token", 0, token),
    STR_ATTR("manufacturer", 0, manuf),
    STR_ATTR("serial", 0, tok_serial),
    STR_ATTR("model", 0, tok_model),
    STR_ATTR("slot-description", 0, slot_desc),
    STR_ATTR("slot-manufacturer", 0, slot_manuf),
    { "slot-id", 0, K_SLOTNUM, 0 },
    STR_ATTR("library-manufacturer", 0, lib_manuf),
    STR_ATTR("library-description", 0, lib_desc),
    { "library-version", 0, K_LIBVER, 0 },
    STR_ATTR("object", 0, object),
    { "id", 0, K_ID, 0 },
    STR_ATTR("type", 0, obj_type),
    STR_ATTR("module-path", 1, module_path),
    STR_ATTR("module-name", 1, module_name),
    STR_ATTR("pin-source", 1, pin_source),
    { "pin-value", 1, K_PINVAL, 0 },
    { "x-sessions", 1, K_SESSIONS, 0 },
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode s[0..n) into a new buffer (NUL-terminated; *outlen excludes the NUL). The
 * characters were checked by the caller; a bad %XX is reported here. */
static lts_status pct_decode(const char *name, const char *s, size_t n, int secret,
                             uint8_t **out, size_t *outlen)
{
    lts_status rc = LTS_OK;
    uint8_t *d = NULL;
    size_t j = 0;
    *out = NULL;
    LTS_ALLOC(d = lts_malloc(n + 1));
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            d[j++] = (uint8_t)s[i];
            continue;
        }
        if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
            if (secret)
                LTS_FAIL(LTS_E_CONFIG, "pkcs11: URI: bad percent-encoding in %s", name);
            LTS_FAIL(LTS_E_CONFIG, "pkcs11: URI: bad percent-encoding in %s (a %% must be "
                     "followed by two hex digits)", name);
        }
        d[j++] = (uint8_t)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
        i += 2;
    }
    d[j] = 0;
    *out = d;
    *outlen = j;
    d = NULL;
out:
    if (d) {
        OPENSSL_cleanse(d, n + 1);
        lts_free(d);
    }
    return rc;
}

static lts_status parse_ulong(const char *name, const char *s, unsigned long max,
                              unsigned long *out)
{
    char *end = NULL;
    if (*s < '0' || *s > '9' || strlen(s) > 19)
        goto bad;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || v > max)
        goto bad;
    *out = (unsigned long)v;
    return LTS_OK;
bad:
    return lts_err__set(LTS_E_CONFIG, LTS_MODULE, 0,
                        "pkcs11: URI: %s must be a decimal number up to %lu", name, max);
}

static lts_status parse_libver(lts_p11_uri *u, const char *s)
{
    unsigned long maj = 0, min = 0;
    const char *dot = strchr(s, '.');
    char tmp[24];
    size_t n = dot ? (size_t)(dot - s) : strlen(s);
    if (n == 0 || n >= sizeof tmp)
        goto bad;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (parse_ulong("library-version", tmp, 255, &maj) != LTS_OK)
        goto bad;
    if (dot && parse_ulong("library-version", dot + 1, 255, &min) != LTS_OK)
        goto bad;
    u->has_lib_ver = 1;
    u->lib_major = (unsigned)maj;
    u->lib_minor = (unsigned)min;
    return LTS_OK;
bad:
    return lts_err__set(LTS_E_CONFIG, LTS_MODULE, 0,
                        "pkcs11: URI: library-version must be MAJOR or MAJOR.MINOR (0..255)");
}

static const attr_def *find_attr(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        if (strlen(attrs[i].name) == n && memcmp(attrs[i].name, name, n) == 0)
            return &attrs[i];
    }
    return NULL;
}

/* Store one decoded value. `seen` tracks duplicates by table index. */
static lts_status store(lts_p11_uri *u, const attr_def *a, uint8_t **val, size_t len,
                        unsigned char *seen)
{
    lts_status rc = LTS_OK;
    size_t idx = (size_t)(a - attrs);
    unsigned long num = 0;
    LTS_ENSURE(!seen[idx], LTS_E_CONFIG, "pkcs11: URI: attribute %s appears twice", a->name);
    seen[idx] = 1;
    if (a->kind != K_ID && a->kind != K_PINVAL)
        LTS_ENSURE(memchr(*val, 0, len) == NULL, LTS_E_CONFIG,
                   "pkcs11: URI: %s contains a NUL byte (%%00)", a->name);
    switch (a->kind) {
    case K_STR:
        *(char **)((char *)u + a->off) = (char *)*val;
        *val = NULL;
        break;
    case K_ID:
        LTS_ENSURE(len > 0 && len <= LTS_P11_ID_MAX, LTS_E_CONFIG,
                   "pkcs11: URI: id must hold 1 to %d bytes (percent-encoded, e.g. id=%%01)",
                   LTS_P11_ID_MAX);
        u->key_id = *val;
        u->key_id_len = len;
        u->has_key_id = 1;
        *val = NULL;
        break;
    case K_SLOTNUM:
        LTS_TRY(parse_ulong("slot-id", (const char *)*val, 0xffffffffUL, &num));
        u->has_slot_num = 1;
        u->slot_num = num;
        break;
    case K_LIBVER:
        LTS_TRY(parse_libver(u, (const char *)*val));
        break;
    case K_PINVAL:
        u->has_pin_value = 1;
        break;
    case K_SESSIONS:
        LTS_TRY(parse_ulong("x-sessions", (const char *)*val, LTS_P11_MAX_SESSIONS, &num));
        LTS_ENSURE(num >= 1, LTS_E_CONFIG, "pkcs11: URI: x-sessions must be at least 1");
        u->sessions = (unsigned)num;
        break;
    default:
        LTS_FAIL(LTS_E_INTERNAL, "pkcs11: URI: attribute kind %d", a->kind);
    }
out:
    return rc;
}

/* Parse one "name=value" of length n starting at offset `at` of the URI. */
static lts_status parse_attr(lts_p11_uri *u, const char *s, size_t n, size_t at, int in_query,
                             unsigned char *seen)
{
    lts_status rc = LTS_OK;
    const char *eq = memchr(s, '=', n);
    const attr_def *a = NULL;
    uint8_t *val = NULL;
    size_t vlen = 0, nlen;
    const char *extra = in_query ? QUERY_EXTRA : PATH_EXTRA;

    LTS_ENSURE(n > 0, LTS_E_CONFIG, "pkcs11: URI: empty attribute at offset %zu (stray '%c')",
               at, in_query ? '&' : ';');
    LTS_ENSURE(eq != NULL, LTS_E_CONFIG, "pkcs11: URI: attribute at offset %zu has no '='", at);
    nlen = (size_t)(eq - s);
    LTS_ENSURE(nlen > 0, LTS_E_CONFIG, "pkcs11: URI: attribute at offset %zu has no name", at);
    for (size_t i = 0; i < nlen; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_';
        LTS_ENSURE(ok, LTS_E_CONFIG, "pkcs11: URI: bad character in attribute name at offset %zu",
                   at + i);
    }
    a = find_attr(s, nlen);
    if (a == NULL) {
        if (nlen > 2 && (s[0] == 'x' || s[0] == 'X') && s[1] == '-')
            goto out; /* a vendor attribute we do not know: ignored (RFC 7512 §2.3) */
        LTS_FAIL(LTS_E_CONFIG, "pkcs11: URI: unknown %s attribute '%.*s'",
                 in_query ? "query" : "path", (int)(nlen > 40 ? 40 : nlen), s);
    }
    if (a->in_query != in_query)
        LTS_FAIL(LTS_E_CONFIG, "pkcs11: URI: %s is a %s attribute (write it %s)", a->name,
                 a->in_query ? "query" : "path",
                 a->in_query ? "after '?', separated by '&'" : "before '?', separated by ';'");
    for (size_t i = nlen + 1; i < n; i++) {
        char c = s[i];
        if (c == '%' || (c != '\0' && strchr(UNRESERVED, c)) || (c != '\0' && strchr(extra, c)))
            continue;
        if (a->kind == K_PINVAL)
            LTS_FAIL(LTS_E_CONFIG, "pkcs11: URI: pin-value holds a character that must be "
                     "percent-encoded");
        if ((unsigned char)c < 0x21 || (unsigned char)c > 0x7e)
            LTS_FAIL(LTS_E_CONFIG, "pkcs11: URI: %s: byte 0x%02x at offset %zu must be "
                     "percent-encoded", a->name, (unsigned char)c, at + i);
        LTS_FAIL(LTS_E_CONFIG, "pkcs11: URI: %s: character '%c' at offset %zu must be "
                 "percent-encoded (%%%02X)", a->name, c, at + i, (unsigned char)c);
    }
    LTS_TRY(pct_decode(a->name, s + nlen + 1, n - nlen - 1, a->kind == K_PINVAL, &val, &vlen));
    LTS_TRY(store(u, a, &val, vlen, seen));
out:
    if (val) {
        OPENSSL_cleanse(val, vlen);
        lts_free(val);
    }
    return rc;
}

static lts_status parse_list(lts_p11_uri *u, const char *s, size_t n, size_t at, int in_query,
                             unsigned char *seen)
{
    lts_status rc = LTS_OK;
    char sep = in_query ? '&' : ';';
    size_t start = 0;
    if (n == 0)
        return LTS_OK;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == sep) {
            LTS_TRY(parse_attr(u, s + start, i - start, at + start, in_query, seen));
            start = i + 1;
        }
    }
out:
    return rc;
}

lts_status lts_p11__uri_parse(lts_p11_uri *out, const char *uri)
{
    lts_status rc = LTS_OK;
    unsigned char seen[sizeof attrs / sizeof attrs[0]] = { 0 };
    size_t len, plen;
    const char *q;
    memset(out, 0, sizeof *out);
    LTS_ENSURE(uri != NULL, LTS_E_CONFIG, "pkcs11: URI: none given");
    len = strnlen(uri, LTS_P11_URI_MAX + 1);
    LTS_ENSURE(len <= LTS_P11_URI_MAX, LTS_E_CONFIG, "pkcs11: URI longer than %d bytes",
               LTS_P11_URI_MAX);
    LTS_ENSURE(len >= 7 && strncmp(uri, "pkcs11:", 7) == 0, LTS_E_CONFIG,
               "not a pkcs11: URI (it must start with \"pkcs11:\")");
    LTS_ENSURE(strchr(uri, '#') == NULL, LTS_E_CONFIG,
               "pkcs11: URI: a fragment ('#') is not allowed; write %%23 in a value");
    q = strchr(uri + 7, '?');
    plen = q ? (size_t)(q - (uri + 7)) : len - 7;
    LTS_TRY(parse_list(out, uri + 7, plen, 7, 0, seen));
    if (q)
        LTS_TRY(parse_list(out, q + 1, strlen(q + 1), (size_t)(q + 1 - uri), 1, seen));
out:
    if (rc != LTS_OK)
        lts_p11__uri_free(out);
    return rc;
}

void lts_p11__uri_free(lts_p11_uri *u)
{
    if (u == NULL)
        return;
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        if (attrs[i].kind == K_STR) {
            char **p = (char **)((char *)u + attrs[i].off);
            if (*p) {
                OPENSSL_cleanse(*p, strlen(*p));
                lts_free(*p);
            }
        }
    }
    lts_free(u->key_id);
    memset(u, 0, sizeof *u);
}
