/* see timeline.h */
#define LTS_MODULE "report"
#include "timeline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <ltsig/policy.h>
#include "core/err.h"
#include "core/mem.h"

enum { BAR = 40, MAX_CERTS = 32, MAX_EVENTS = 3 * MAX_CERTS + 24 };

typedef struct {
    const char *role;  /* "signer", "CA", "TSA", "OCSP responder", "other" */
    char name[160];     /* the common name, else the subject */
    char subject[400];  /* RFC 2253 */
    lts_time nb, na;
} tl_cert;

typedef struct {
    lts_time t;
    int order;         /* stable sort */
    char what[320];
} tl_event;

typedef struct {
    tl_cert certs[MAX_CERTS];
    size_t n_certs;
    tl_event ev[MAX_EVENTS];
    size_t n_ev;
} timeline;

static int asn1_time(const ASN1_TIME *a, lts_time *out)
{
    struct tm tm;
    if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
        return 0;
    *out = (lts_time)timegm(&tm);
    return 1;
}

static const char *role_of(X509 *x, int is_signer)
{
    uint32_t xku;
    if (is_signer)
        return "signer";
    if (X509_check_ca(x) > 0)
        return "CA";
    xku = X509_get_extended_key_usage(x);
    if (xku != UINT32_MAX && (xku & XKU_TIMESTAMP))
        return "TSA";
    if (xku != UINT32_MAX && (xku & XKU_OCSP_SIGN))
        return "OCSP responder";
    return "other";
}

static int role_rank(const char *r)
{
    static const char *const order[] = { "signer", "CA", "TSA", "OCSP responder", "other" };
    for (int i = 0; i < 5; i++)
        if (strcmp(r, order[i]) == 0)
            return i;
    return 5;
}

static void subject_rfc2253(X509 *x, char *buf, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    int n = 0;
    buf[0] = '\0';
    if (b && X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0)
        n = BIO_read(b, buf, (int)cap - 1);
    buf[n > 0 ? n : 0] = '\0';
    BIO_free(b);
}

/* One certificate (DER) into the timeline, once (same subject and validity = same). */
static void add_cert_der(timeline *tl, const unsigned char *p, size_t n, int is_signer)
{
    X509 *x = n ? d2i_X509(NULL, &p, (long)n) : NULL;
    tl_cert c;
    if (x == NULL)
        goto out;
    memset(&c, 0, sizeof c);
    if (!asn1_time(X509_get0_notBefore(x), &c.nb) || !asn1_time(X509_get0_notAfter(x), &c.na))
        goto out;
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, c.name,
                                  (int)sizeof c.name) <= 0)
        X509_NAME_oneline(X509_get_subject_name(x), c.name, (int)sizeof c.name);
    c.role = role_of(x, is_signer);
    subject_rfc2253(x, c.subject, sizeof c.subject);
    for (size_t i = 0; i < tl->n_certs; i++) {
        if (strcmp(tl->certs[i].name, c.name) == 0 && tl->certs[i].nb == c.nb &&
            tl->certs[i].na == c.na)
            goto out;
    }
    if (tl->n_certs < MAX_CERTS)
        tl->certs[tl->n_certs++] = c;
out:
    X509_free(x);
    ERR_clear_error();
}

/* The certificates inside a time-stamp token (the TSA's, and its chain when included). */
static void add_token_certs(timeline *tl, const lts_buf *token)
{
    const unsigned char *p = token->p;
    CMS_ContentInfo *cms = token->n ? d2i_CMS_ContentInfo(NULL, &p, (long)token->n) : NULL;
    STACK_OF(X509) *certs = cms ? CMS_get1_certs(cms) : NULL;
    for (int i = 0; certs && i < sk_X509_num(certs); i++) {
        unsigned char *d = NULL;
        int n = i2d_X509(sk_X509_value(certs, i), &d);
        if (n > 0)
            add_cert_der(tl, d, (size_t)n, 0);
        OPENSSL_free(d);
    }
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
}

static void event(timeline *tl, lts_time t, const char *fmt, ...) LTS_PRINTF(3, 4);
static void event(timeline *tl, lts_time t, const char *fmt, ...)
{
    va_list ap;
    if (tl->n_ev >= MAX_EVENTS)
        return;
    tl->ev[tl->n_ev].t = t;
    tl->ev[tl->n_ev].order = (int)tl->n_ev;
    va_start(ap, fmt);
    vsnprintf(tl->ev[tl->n_ev].what, sizeof tl->ev[tl->n_ev].what, fmt, ap);
    va_end(ap);
    tl->n_ev++;
}

static int by_time(const void *a, const void *b)
{
    const tl_event *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->order - y->order;
}

static int by_role(const void *a, const void *b)
{
    const tl_cert *x = a, *y = b;
    int d = role_rank(x->role) - role_rank(y->role);
    if (d != 0)
        return d;
    return x->nb < y->nb ? -1 : x->nb > y->nb ? 1 : 0;
}

/* Everything of s, sorted; `now` added as an event when has_now. */
static void build(timeline *tl, const lts_sig_result *s, const struct lts_policy *p, int has_now,
                  lts_time now)
{
    lts_time until = 0;
    memset(tl, 0, sizeof *tl);
    add_cert_der(tl, s->signer_cert.p, s->signer_cert.n, 1);
    for (size_t i = 0; i < s->n_certs; i++)
        add_cert_der(tl, s->certs[i].p, s->certs[i].n,
                     s->signer_cert.n == s->certs[i].n &&
                         memcmp(s->signer_cert.p, s->certs[i].p, s->certs[i].n) == 0);
    for (size_t i = 0; i < s->n_timestamps; i++)
        add_token_certs(tl, &s->timestamps[i].token);
    qsort(tl->certs, tl->n_certs, sizeof tl->certs[0], by_role);

    if (s->has_signing_time)
        event(tl, s->signing_time, "signed (claimed signing time)");
    for (size_t i = 0; i < s->n_timestamps; i++) {
        const lts_ts_result *t = &s->timestamps[i];
        event(tl, t->gen_time, "%s by %s", t->kind ? t->kind : "time-stamp",
              t->tsa ? t->tsa : "an unknown TSA");
    }
    for (size_t i = 0; i < tl->n_certs; i++) {
        event(tl, tl->certs[i].nb, "%s certificate valid from: %s", tl->certs[i].role,
              tl->certs[i].name);
        event(tl, tl->certs[i].na, "%s certificate expires: %s", tl->certs[i].role,
              tl->certs[i].name);
    }
    if (has_now)
        event(tl, now, "validation time (now)");
    if (lts_policy_protection_until(p, s, &until))
        event(tl, until, "protection ends: renew (add an archive time-stamp) before this");
    else
        event(tl, 0, "no time-stamp: protected only while the signer certificate is valid");
    /* the "no time-stamp" note has no date: keep it last */
    if (tl->n_ev && tl->ev[tl->n_ev - 1].t == 0)
        tl->ev[tl->n_ev - 1].t = INT64_MAX;
    qsort(tl->ev, tl->n_ev, sizeof tl->ev[0], by_time);
}

static const char *when(char *buf, size_t cap, lts_time t)
{
    if (t == INT64_MAX || lts_time_format_rfc3339(buf, cap, t) != LTS_OK)
        snprintf(buf, cap, "%-20s", "-");
    return buf;
}

static lts_status put(lts_buf *out, const char *fmt, ...) LTS_PRINTF(2, 3);
static lts_status put(lts_buf *out, const char *fmt, ...)
{
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return lts_err__set(LTS_E_INTERNAL, LTS_MODULE, 0, "cannot format the timeline");
    return lts_buf_append(out, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static int cell(lts_time t, lts_time lo, lts_time hi)
{
    double f = hi > lo ? (double)(t - lo) / (double)(hi - lo) : 0;
    int c = (int)(f * BAR);
    return c < 0 ? 0 : c >= BAR ? BAR - 1 : c;
}

lts_status lts_timeline__text(const lts_sig_result *s, const struct lts_policy *p, lts_time now,
                              const char *indent, lts_buf *out)
{
    lts_status rc = LTS_OK;
    timeline *tl = NULL;
    char a[32], b[32];
    lts_time lo = now, hi = now;

    LTS_ALLOC(tl = lts_malloc(sizeof *tl));
    build(tl, s, p, 1, now);
    LTS_TRY(put(out, "%stimeline:\n", indent));
    for (size_t i = 0; i < tl->n_ev; i++)
        LTS_TRY(put(out, "%s  %s  %s\n", indent, when(a, sizeof a, tl->ev[i].t), tl->ev[i].what));
    if (tl->n_certs == 0)
        goto out;
    for (size_t i = 0; i < tl->n_ev; i++) {
        if (tl->ev[i].t == INT64_MAX)
            continue;
        lo = tl->ev[i].t < lo ? tl->ev[i].t : lo;
        hi = tl->ev[i].t > hi ? tl->ev[i].t : hi;
    }
    snprintf(a, sizeof a, "%.4s", when(b, sizeof b, lo));
    LTS_TRY(put(out, "%scertificate validity (%s .. ", indent, a));
    snprintf(a, sizeof a, "%.4s", when(b, sizeof b, hi));
    LTS_TRY(put(out, "%s; = valid, | now):\n", a));
    for (size_t i = 0; i < tl->n_certs; i++) {
        const tl_cert *c = &tl->certs[i];
        char bar[BAR + 1];
        int from = cell(c->nb, lo, hi), to = cell(c->na, lo, hi);
        for (int k = 0; k < BAR; k++)
            bar[k] = k >= from && k <= to ? '=' : '.';
        bar[cell(now, lo, hi)] = '|';
        bar[BAR] = '\0';
        LTS_TRY(put(out, "%s  %-6s [%s] %.10s..%.10s %s\n", indent,
                    strcmp(c->role, "OCSP responder") == 0 ? "OCSP" : c->role, bar,
                    when(a, sizeof a, c->nb), when(b, sizeof b, c->na), c->name));
    }
out:
    lts_free(tl);
    return rc;
}

lts_status lts_timeline__json(const lts_sig_result *s, const struct lts_policy *p,
                              json_t **certs, json_t **events)
{
    lts_status rc = LTS_OK;
    timeline *tl = NULL;
    char a[32], b[32];

    *certs = NULL;
    *events = NULL;
    LTS_ALLOC(tl = lts_malloc(sizeof *tl));
    build(tl, s, p, 0, 0);
    LTS_ALLOC(*certs = json_array());
    LTS_ALLOC(*events = json_array());
    for (size_t i = 0; i < tl->n_certs; i++) {
        const tl_cert *c = &tl->certs[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "role", c->role, "name", c->name,
                              "subject", c->subject, "not_before", when(a, sizeof a, c->nb), "not_after",
                              when(b, sizeof b, c->na));
        LTS_ALLOC(o);
        LTS_ENSURE(json_array_append_new(*certs, o) == 0, LTS_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < tl->n_ev; i++) {
        json_t *o = json_pack("{s:o, s:s}", "time",
                              tl->ev[i].t == INT64_MAX ? json_null()
                                                       : json_string(when(a, sizeof a, tl->ev[i].t)),
                              "event", tl->ev[i].what);
        LTS_ALLOC(o);
        LTS_ENSURE(json_array_append_new(*events, o) == 0, LTS_E_NOMEM, "out of memory");
    }
out:
    if (rc != LTS_OK) {
        json_decref(*certs);
        json_decref(*events);
        *certs = *events = NULL;
    }
    lts_free(tl);
    return rc;
}
