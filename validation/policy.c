/* see ltsig/policy.h: the validation policy (key = value file, TS 119 312 sunsets). */
#define LTS_MODULE "policy"
#include "validation_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <ltsig/policy.h>
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

#define MAX_SUNSETS 16
#define MAX_POLICY_FILE ((size_t)1 << 20)

typedef struct {
    char name[16];
    lts_time when;
} sunset;

struct lts_policy {
    char **trust;
    size_t n_trust;
    int allow_online;
    int min_rsa_bits;
    int legacy_rsa_bits;
    int min_ec_bits;
    sunset sunsets[MAX_SUNSETS];
    size_t n_sunsets;
    int has_level;
    lts_level level;
    lts_time max_revocation_age; /* seconds; 0 = no constraint (EN 319 102-1 §5.2.5.4) */
    int require_revocation;      /* 1: no revocation data is INDETERMINATE/TRY_LATER at every
                                  * level (default: only at the long-term levels) */
};

/* Known algorithm names for sunset.NAME (lower case). */
static const char *const known_algs[] = { "sha1", "sha256", "sha384", "sha512", "rsa1024",
                                          "rsa2048", "rsa3072", "ecdsa", "rsa-pss" };

static int alg_known(const char *name)
{
    for (size_t i = 0; i < sizeof known_algs / sizeof known_algs[0]; i++)
        if (strcmp(known_algs[i], name) == 0)
            return 1;
    return 0;
}

static lts_status set_sunset(lts_policy *p, const char *name, lts_time when)
{
    for (size_t i = 0; i < p->n_sunsets; i++) {
        if (strcmp(p->sunsets[i].name, name) == 0) {
            p->sunsets[i].when = when;
            return LTS_OK;
        }
    }
    if (p->n_sunsets >= MAX_SUNSETS)
        return lts_err__set(LTS_E_CONFIG, LTS_MODULE, 0, "too many sunsets");
    snprintf(p->sunsets[p->n_sunsets].name, sizeof p->sunsets[0].name, "%s", name);
    p->sunsets[p->n_sunsets++].when = when;
    return LTS_OK;
}

/* max_revocation_age: a number of seconds, or of minutes/hours/days with m, h, d. */
static lts_status parse_age(lts_time *out, const char *val, const char *name, size_t line)
{
    lts_status rc = LTS_OK;
    char *end = NULL;
    long long n = strtoll(val, &end, 10);
    long long mul = 1;

    if (end && end != val && end[0] != '\0' && end[1] == '\0') {
        mul = end[0] == 'd' ? 86400 : end[0] == 'h' ? 3600 : end[0] == 'm' ? 60
            : end[0] == 's' ? 1 : 0;
        end++;
    }
    if (end == NULL || end == val || *end != '\0' || n <= 0 || mul == 0 ||
        n > (long long)100 * 366 * 86400 / mul)
        LTS_FAIL(LTS_E_CONFIG, "%s:%zu: max_revocation_age takes a positive number of seconds "
                               "(or N m / N h / N d), not '%s'", name, line, val);
    *out = (lts_time)(n * mul);
out:
    return rc;
}

int lts_policy__require_revocation(const lts_policy *p)
{
    return p ? p->require_revocation : 0;
}

lts_time lts_policy__max_revocation_age(const lts_policy *p)
{
    return p ? p->max_revocation_age : 0;
}

static void defaults(lts_policy *p)
{
    lts_time t = 0;
    p->allow_online = 1;
    p->min_rsa_bits = 2048;
    p->legacy_rsa_bits = 1024;
    p->min_ec_bits = 256;
    /* TS 119 312: SHA-1 no longer for signatures; RSA-1024 retired. Cannot fail. */
    if (lts_time_parse_rfc3339(&t, "2016-01-01") == LTS_OK)
        (void)set_sunset(p, "sha1", t);
    if (lts_time_parse_rfc3339(&t, "2019-01-01") == LTS_OK)
        (void)set_sunset(p, "rsa1024", t);
}

lts_status lts_policy_new_default(lts_policy **out)
{
    lts_status rc = LTS_OK;
    lts_policy *p = NULL;
    *out = NULL;
    LTS_ALLOC(p = lts_calloc(1, sizeof *p));
    defaults(p);
    *out = p;
out:
    return rc;
}

void lts_policy_free(lts_policy *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_trust; i++)
        lts_free(p->trust[i]);
    lts_free(p->trust);
    lts_free(p);
}

static char *trim(char *s)
{
    char *e;
    while (*s && isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int parse_bits(const char *v, int *out)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 128 || n > 16384)
        return 0;
    *out = (int)n;
    return 1;
}

/* One `key = value` line. */
static lts_status apply(lts_policy *p, const char *name, size_t line, char *key, char *val)
{
    lts_status rc = LTS_OK;
    lts_time t = 0;
    if (strcmp(key, "trust") == 0) {
        char **n = NULL;
        LTS_ENSURE(*val, LTS_E_CONFIG, "%s:%zu: trust needs a PEM file or folder", name, line);
        LTS_ALLOC(n = lts_realloc(p->trust, (p->n_trust + 1) * sizeof *n));
        p->trust = n;
        LTS_ALLOC(p->trust[p->n_trust] = lts_strdup(val));
        p->n_trust++;
    } else if (strcmp(key, "allow_online") == 0) {
        if (strcasecmp(val, "yes") == 0 || strcasecmp(val, "true") == 0)
            p->allow_online = 1;
        else if (strcasecmp(val, "no") == 0 || strcasecmp(val, "false") == 0)
            p->allow_online = 0;
        else
            LTS_FAIL(LTS_E_CONFIG, "%s:%zu: allow_online takes yes or no, not '%s'", name,
                     line, val);
    } else if (strcmp(key, "min_rsa_bits") == 0 || strcmp(key, "legacy_rsa_bits") == 0 ||
               strcmp(key, "min_ec_bits") == 0) {
        int *dst = &p->min_rsa_bits;
        if (strcmp(key, "legacy_rsa_bits") == 0)
            dst = &p->legacy_rsa_bits;
        else if (strcmp(key, "min_ec_bits") == 0)
            dst = &p->min_ec_bits;
        LTS_ENSURE(parse_bits(val, dst), LTS_E_CONFIG,
                   "%s:%zu: %s takes a number of bits (128 to 16384), not '%s'", name, line,
                   key, val);
    } else if (strncmp(key, "sunset.", 7) == 0) {
        char alg[16];
        size_t k = 0;
        for (const char *c = key + 7; *c && k + 1 < sizeof alg; c++)
            alg[k++] = (char)tolower((unsigned char)*c);
        alg[k] = '\0';
        LTS_ENSURE(alg_known(alg), LTS_E_CONFIG,
                   "%s:%zu: unknown algorithm '%s' (sha1, sha256, sha384, sha512, rsa1024, "
                   "rsa2048, rsa3072, ecdsa, rsa-pss)", name, line, key + 7);
        if (lts_time_parse_rfc3339(&t, val) != LTS_OK) {
            lts_error_clear();
            LTS_FAIL(LTS_E_CONFIG, "%s:%zu: %s takes a date (YYYY-MM-DD or RFC 3339), not "
                                   "'%s'", name, line, key, val);
        }
        LTS_TRY(set_sunset(p, alg, t));
    } else if (strcmp(key, "required_level") == 0) {
        if (lts_level_parse(&p->level, val) != LTS_OK) {
            lts_error_clear();
            LTS_FAIL(LTS_E_CONFIG, "%s:%zu: required_level takes B-B, B-T, B-LT, B-LTA, ES-T, "
                                   "ES-XL or ES-A, not '%s'", name, line, val);
        }
        p->has_level = 1;
    } else if (strcmp(key, "require_revocation") == 0) {
        if (strcmp(val, "yes") == 0)
            p->require_revocation = 1;
        else if (strcmp(val, "no") == 0)
            p->require_revocation = 0;
        else
            LTS_FAIL(LTS_E_CONFIG, "%s:%zu: require_revocation takes yes or no, not '%s'", name,
                     line, val);
    } else if (strcmp(key, "max_revocation_age") == 0) {
        LTS_TRY(parse_age(&p->max_revocation_age, val, name, line));
    } else {
        LTS_FAIL(LTS_E_CONFIG, "%s:%zu: unknown key '%s'", name, line, key);
    }
out:
    return rc;
}

lts_status lts_policy_parse(lts_policy **out, lts_span text, const char *name)
{
    lts_status rc = LTS_OK;
    lts_policy *p = NULL;
    char *copy = NULL, *cur, *nl;
    size_t line = 0;

    *out = NULL;
    if (name == NULL)
        name = "policy";
    LTS_ENSURE(text.n == 0 || memchr(text.p, '\0', text.n) == NULL, LTS_E_CONFIG,
               "%s: not a text file (NUL byte)", name);
    LTS_TRY(lts_policy_new_default(&p));
    LTS_ALLOC(copy = lts_malloc(text.n + 1));
    if (text.n)
        memcpy(copy, text.p, text.n);
    copy[text.n] = '\0';
    for (cur = copy; cur; cur = nl) {
        char *hash, *eq, *s;
        nl = strchr(cur, '\n');
        if (nl)
            *nl++ = '\0';
        line++;
        if ((hash = strchr(cur, '#')) != NULL)
            *hash = '\0';
        s = trim(cur);
        if (*s == '\0')
            continue;
        eq = strchr(s, '=');
        LTS_ENSURE(eq != NULL, LTS_E_CONFIG, "%s:%zu: expected 'key = value'", name, line);
        *eq = '\0';
        LTS_TRY(apply(p, name, line, trim(s), trim(eq + 1)));
    }
    *out = p;
    p = NULL;
out:
    lts_free(copy);
    lts_policy_free(p);
    return rc;
}

lts_status lts_policy_load(lts_policy **out, const char *path)
{
    lts_status rc = LTS_OK;
    lts_buf text = LTS_BUF_INIT;
    *out = NULL;
    LTS_TRY(lts_io__read_file(&text, path, MAX_POLICY_FILE));
    LTS_TRY(lts_policy_parse(out, lts_buf_span(&text), path));
out:
    lts_buf_dispose(&text);
    return rc;
}

size_t lts_policy_trust_count(const lts_policy *p)
{
    return p ? p->n_trust : 0;
}

const char *lts_policy_trust(const lts_policy *p, size_t i)
{
    return p && i < p->n_trust ? p->trust[i] : NULL;
}

int lts_policy_allow_online(const lts_policy *p)
{
    return p ? p->allow_online : 1;
}

static int find_sunset(const lts_policy *p, const char *alg, lts_time *out)
{
    lts_policy def;
    if (p == NULL) {
        memset(&def, 0, sizeof def);
        defaults(&def);
        p = &def;
    }
    for (size_t i = 0; i < p->n_sunsets; i++) {
        if (strcmp(p->sunsets[i].name, alg) == 0) {
            *out = p->sunsets[i].when;
            return 1;
        }
    }
    return 0;
}

int lts_policy_sunset(const lts_policy *p, const char *alg, lts_time *out)
{
    return alg ? find_sunset(p, alg, out) : 0;
}

lts_status lts_validation__hash_name(lts_hash *out, const char *name)
{
    if (name && (strcasecmp(name, "SHA-1") == 0 || strcasecmp(name, "SHA1") == 0)) {
        *out = LTS_HASH_SHA1;
        return LTS_OK;
    }
    return lts_hash_parse(out, name);
}

static const char *hash_key(lts_hash h)
{
    switch (h) {
    case LTS_HASH_SHA1: return "sha1";
    case LTS_HASH_SHA256: return "sha256";
    case LTS_HASH_SHA384: return "sha384";
    case LTS_HASH_SHA512: return "sha512";
    case LTS_HASH_NONE:
    default: return NULL;
    }
}

lts_time lts_policy_hash_sunset(const lts_policy *p, lts_hash h)
{
    lts_time t = 0;
    const char *k = hash_key(h);
    return k && find_sunset(p, k, &t) ? t : 0;
}

/* Lower (ind, sub) to INDETERMINATE / s with reason `msg`: the first problem wins, except
 * that "never acceptable" replaces "acceptable before a date". */
static void verdict(lts_indication *ind, lts_subindication *sub, lts_subindication s,
                    char *why, size_t cap, const char *msg)
{
    int take = *ind == LTS_IND_TOTAL_PASSED ||
               (s == LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE &&
                *sub == LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
    if (!take)
        return;
    *ind = LTS_IND_INDETERMINATE;
    *sub = s;
    if (why && cap)
        snprintf(why, cap, "%s", msg);
}

static void fmt_date(char *buf, size_t cap, lts_time t)
{
    if (lts_time_format_rfc3339(buf, cap, t) != LTS_OK)
        snprintf(buf, cap, "?");
}

/* A sunset named `alg` that at_time is not before: the NO_POE verdict. */
static void past_sunset(const lts_policy *p, const char *alg, const char *what, lts_time at,
                        lts_indication *ind, lts_subindication *sub, char *why, size_t cap)
{
    lts_time t = 0;
    char date[LTS_TIME_RFC3339_LEN], msg[256];
    if (!find_sunset(p, alg, &t) || at < t)
        return;
    fmt_date(date, sizeof date, t);
    snprintf(msg, sizeof msg, "%s is not reliable after its sunset %s (TS 119 312) and nothing "
             "proves the signature existed before it", what, date);
    verdict(ind, sub, LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE, why, cap, msg);
}

void lts_policy_check_algorithm(const lts_policy *p, lts_hash hash, lts_scheme scheme,
                                int key_bits, lts_time at_time, lts_indication *ind,
                                lts_subindication *sub, char *why, size_t why_cap)
{
    lts_policy def;
    char msg[256], what[64];
    const char *hk = hash_key(hash);
    int rsa = scheme == LTS_SCHEME_RSA_PKCS1 || scheme == LTS_SCHEME_RSA_PSS;

    if (p == NULL) {
        memset(&def, 0, sizeof def);
        defaults(&def);
        p = &def;
    }
    *ind = LTS_IND_TOTAL_PASSED;
    *sub = LTS_SUB_NONE;
    if (why && why_cap)
        why[0] = '\0';
    if (hk)
        past_sunset(p, hk, lts_hash_name(hash), at_time, ind, sub, why, why_cap);
    if (rsa && key_bits > 0 && key_bits < p->legacy_rsa_bits) {
        snprintf(msg, sizeof msg, "RSA key of %d bits is below the smallest accepted size (%d)",
                 key_bits, p->legacy_rsa_bits);
        verdict(ind, sub, LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE, why, why_cap, msg);
    } else if (rsa && key_bits > 0 && key_bits < p->min_rsa_bits) {
        lts_time t = 0;
        snprintf(what, sizeof what, "RSA-%d (below %d bits)", key_bits, p->min_rsa_bits);
        if (key_bits <= 1024 ? find_sunset(p, "rsa1024", &t) : find_sunset(p, "rsa2048", &t))
            past_sunset(p, key_bits <= 1024 ? "rsa1024" : "rsa2048", what, at_time, ind, sub,
                        why, why_cap);
        else {
            snprintf(msg, sizeof msg, "%s has no sunset in the policy: not accepted", what);
            verdict(ind, sub, LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE, why, why_cap, msg);
        }
    } else if (rsa && key_bits >= 2048 && key_bits < 3072) {
        past_sunset(p, "rsa2048", "RSA-2048", at_time, ind, sub, why, why_cap);
    } else if (rsa && key_bits >= 3072 && key_bits < 4096) {
        past_sunset(p, "rsa3072", "RSA-3072", at_time, ind, sub, why, why_cap);
    }
    if (scheme == LTS_SCHEME_RSA_PSS)
        past_sunset(p, "rsa-pss", "RSA-PSS", at_time, ind, sub, why, why_cap);
    if (scheme == LTS_SCHEME_ECDSA) {
        if (key_bits > 0 && key_bits < p->min_ec_bits) {
            snprintf(msg, sizeof msg, "EC key of %d bits is below the smallest accepted size "
                     "(%d)", key_bits, p->min_ec_bits);
            verdict(ind, sub, LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE, why, why_cap, msg);
        }
        past_sunset(p, "ecdsa", "ECDSA", at_time, ind, sub, why, why_cap);
    }
}

/* Rank of a level name: B-B 1, B-T/ES-T 2, B-LT/ES-XL 3, B-LTA/ES-A 4; unknown 0. */
static int level_rank_name(const char *s)
{
    lts_level l;
    if (s == NULL)
        return 0;
    if (lts_level_parse(&l, s) != LTS_OK) {
        lts_error_clear();
        return 0;
    }
    switch (l) {
    case LTS_LEVEL_B_B: return 1;
    case LTS_LEVEL_B_T:
    case LTS_LEVEL_ES_T: return 2;
    case LTS_LEVEL_B_LT:
    case LTS_LEVEL_ES_XL: return 3;
    case LTS_LEVEL_B_LTA:
    case LTS_LEVEL_ES_A: return 4;
    default: return 0;
    }
}

int lts_policy_level_ok(const lts_policy *p, const char *level)
{
    if (p == NULL || !p->has_level)
        return 1;
    return level_rank_name(level) >= level_rank_name(lts_level_name(p->level));
}

int lts_policy_required_level(const lts_policy *p, lts_level *out)
{
    if (p == NULL || !p->has_level)
        return 0;
    *out = p->level;
    return 1;
}

static int is_archive_kind(const char *k)
{
    return k && (strncmp(k, "archive-time-stamp", 18) == 0 ||
                 strcmp(k, "document-time-stamp") == 0);
}

/* see ltsig/policy.h; the same rule serves `ltsig renew` for the tokens it reads itself */
lts_time lts_policy_key_protection(const lts_policy *p, lts_scheme scheme, int bits)
{
    lts_time t = 0, lim = 0;
    int rsa = scheme == LTS_SCHEME_RSA_PKCS1 || scheme == LTS_SCHEME_RSA_PSS;
    const char *cls = NULL;
    if (bits <= 0)
        return 0;
    if (rsa)
        cls = bits <= 1024 ? "rsa1024" : bits < 3072 ? "rsa2048" : bits < 4096 ? "rsa3072" : NULL;
    else if (scheme == LTS_SCHEME_ECDSA)
        cls = "ecdsa";
    if (p != NULL && cls != NULL && find_sunset(p, cls, &t))
        lim = t;
    else if ((rsa && bits < 3072) || (scheme == LTS_SCHEME_ECDSA && bits < 256))
        lim = rsa && bits < 2048 ? 1546300800 /* 2019-01-01 */ : 1924905600 /* 2030-12-31 */;
    if (scheme == LTS_SCHEME_RSA_PSS && p != NULL && find_sunset(p, "rsa-pss", &t) &&
        (lim == 0 || t < lim))
        lim = t;
    return lim;
}

int lts_policy_protection_until(const lts_policy *p, const lts_sig_result *s, lts_time *out)
{
    const lts_ts_result *best = NULL;
    int best_archive = 0;
    lts_time until = 0;
    for (size_t i = 0; i < s->n_timestamps; i++) {
        const lts_ts_result *t = &s->timestamps[i];
        int a = is_archive_kind(t->kind);
        if (t->tsa_not_after == 0 && t->digest_algorithm == NULL)
            continue;
        /* the newest; of two in the same second, the later in the file */
        if (best == NULL || a > best_archive || (a == best_archive && t->gen_time >= best->gen_time)) {
            best = t;
            best_archive = a;
        }
    }
    if (best == NULL)
        return 0;
    until = best->tsa_not_after;
    {
        lts_time k = lts_policy_key_protection(p, (lts_scheme)best->tsa_key_scheme, best->tsa_key_bits);
        if (k && (until == 0 || k < until))
            until = k;
    }
    if (best->digest_algorithm) {
        lts_hash h = LTS_HASH_NONE;
        if (lts_validation__hash_name(&h, best->digest_algorithm) == LTS_OK) {
            lts_time sun = lts_policy_hash_sunset(p, h);
            if (sun && (until == 0 || sun < until))
                until = sun;
        } else {
            lts_error_clear();
        }
    }
    if (until == 0)
        return 0;
    *out = until;
    return 1;
}

/* ---- the trust bundle ---- */

static lts_status append_pem_file(lts_buf *out, const char *path)
{
    lts_status rc = LTS_OK;
    lts_buf data = LTS_BUF_INIT;
    LTS_TRY(lts_io__read_file(&data, path, (size_t)16 << 20));
    if (data.n == 0 || memmem(data.p, data.n, "-----BEGIN CERTIFICATE-----", 27) == NULL)
        goto out; /* not PEM certificates: skipped, as lts_trust__load does */
    LTS_TRY(lts_buf_append(out, data.p, data.n));
    if (data.p[data.n - 1] != '\n')
        LTS_TRY(lts_buf_append(out, "\n", 1));
out:
    lts_buf_dispose(&data);
    return rc;
}

lts_status lts_policy_trust_bundle(const lts_policy *p, lts_buf *out)
{
    lts_status rc = LTS_OK;
    DIR *d = NULL;
    size_t start = out->n;
    for (size_t i = 0; p && i < p->n_trust; i++) {
        struct stat st;
        const char *t = p->trust[i];
        if (stat(t, &st) != 0)
            LTS_FAIL(LTS_E_IO, "policy trust entry %s: no such file or folder", t);
        if (S_ISDIR(st.st_mode)) {
            struct dirent *e;
            LTS_ENSURE((d = opendir(t)) != NULL, LTS_E_IO, "%s: cannot open the folder", t);
            while ((e = readdir(d)) != NULL) {
                char path[4096];
                struct stat fst;
                if (e->d_name[0] == '.')
                    continue;
                snprintf(path, sizeof path, "%s/%s", t, e->d_name);
                if (stat(path, &fst) == 0 && S_ISREG(fst.st_mode))
                    LTS_TRY(append_pem_file(out, path));
            }
            closedir(d);
            d = NULL;
        } else {
            size_t before = out->n;
            LTS_TRY(append_pem_file(out, t));
            LTS_ENSURE(out->n > before, LTS_E_INPUT,
                       "policy trust entry %s: no PEM certificate in it", t);
        }
    }
    LTS_TRY(lts_buf_nul(out));
out:
    if (d)
        closedir(d);
    if (rc != LTS_OK)
        out->n = start;
    return rc;
}
