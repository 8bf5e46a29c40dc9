/* cli/renew_report.c — `ltsig renew`: progress line, summary and the JSON report. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "core/io.h"
#include "renew_int.h"

const char *renew_action_name(renew_action a)
{
    switch (a) {
    case RA_RENEWED: return "renewed";
    case RA_OK: return "ok";
    case RA_SKIPPED: return "skipped";
    case RA_FAILED: return "failed";
    case RA_NOT_A_SIGNATURE: return "not-a-signature";
    case RA_DUE: return "due";
    case RA_NONE:
    default: return "none";
    }
}

void renew_time_str(char *out, size_t cap, lts_time t)
{
    if (t == RENEW_NO_PROTECTION)
        snprintf(out, cap, "none");
    else if (t == RENEW_FOREVER)
        snprintf(out, cap, "unlimited");
    else if (lts_time_format_rfc3339(out, cap, t) != LTS_OK)
        snprintf(out, cap, "?");
}

static const char *fmt_name(lts_format f)
{
    switch (f) {
    case LTS_FORMAT_CADES: return "CAdES";
    case LTS_FORMAT_XADES: return "XAdES";
    case LTS_FORMAT_PADES: return "PAdES";
    case LTS_FORMAT_UNKNOWN:
    default: return NULL;
    }
}

/* Called under ctx->lock after each file. On a terminal: one line rewritten in place
 * (counts, rate, ETA), failures printed above it. Otherwise: one plain line per file
 * (--quiet: failures only, on stderr). */
void renew_progress(renew_ctx *ctx, const renew_item *it)
{
    const renew_cfg *cfg = ctx->cfg;
    int show = cfg->verbose || it->action == RA_RENEWED || it->action == RA_FAILED ||
               it->action == RA_DUE;

    if (it->action == RA_FAILED) {
        if (ctx->tty && ctx->last_len) {
            fprintf(stdout, "\r%*s\r", (int)ctx->last_len, "");
            ctx->last_len = 0;
        }
        fprintf(stderr, "ltsig renew: %s: %s\n", it->path, it->reason);
    } else if (!cfg->quiet && (!ctx->tty || show)) {
        if (ctx->tty && ctx->last_len) {
            fprintf(stdout, "\r%*s\r", (int)ctx->last_len, "");
            ctx->last_len = 0;
        }
        if (!ctx->tty || cfg->verbose || it->action != RA_OK)
            fprintf(stdout, "%-15s %s: %s\n", renew_action_name(it->action), it->path,
                    it->reason);
    }
    if (ctx->tty && !cfg->quiet) {
        double el = renew_elapsed(ctx);
        double rate = el > 0.05 ? (double)ctx->done / el : 0;
        char eta[32], line[256];
        if (rate > 0) {
            long e = (long)((double)(ctx->n_items - ctx->done) / rate + 0.5);
            snprintf(eta, sizeof eta, "%ld:%02ld", e / 60, e % 60);
        } else {
            snprintf(eta, sizeof eta, "?");
        }
        int n = snprintf(line, sizeof line,
                         "[%zu/%zu] %s %zu ok %zu skipped %zu failed %zu  %.1f files/s  ETA %s",
                         ctx->done, ctx->n_items, cfg->dry_run ? "due" : "renewed",
                         ctx->counts[RA_RENEWED] + ctx->counts[RA_DUE], ctx->counts[RA_OK],
                         ctx->counts[RA_SKIPPED] + ctx->counts[RA_NOT_A_SIGNATURE],
                         ctx->counts[RA_FAILED], rate, eta);
        if (n > 0) {
            fprintf(stdout, "\r%s", line);
            if ((size_t)n < ctx->last_len)
                fprintf(stdout, "%*s", (int)(ctx->last_len - (size_t)n), "");
            ctx->last_len = (size_t)n;
        }
    }
    fflush(stdout);
}

double renew_elapsed(const renew_ctx *ctx)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - ctx->started.tv_sec) +
           (double)(now.tv_nsec - ctx->started.tv_nsec) / 1e9;
}

void renew_summary(const renew_ctx *ctx, FILE *f)
{
    double el = renew_elapsed(ctx);
    if (ctx->tty && ctx->last_len)
        fprintf(f, "\n");
    fprintf(f, "%zu files in %.1f s: %zu renewed, %zu ok, %zu skipped, %zu not signatures, "
               "%zu failed%s",
            ctx->n_items, el, ctx->counts[RA_RENEWED], ctx->counts[RA_OK],
            ctx->counts[RA_SKIPPED], ctx->counts[RA_NOT_A_SIGNATURE], ctx->counts[RA_FAILED],
            ctx->cfg->dry_run ? "" : "\n");
    if (ctx->cfg->dry_run)
        fprintf(f, ", %zu due (dry run: nothing written)\n", ctx->counts[RA_DUE]);
    if (ctx->n_from_journal)
        fprintf(f, "%zu files unchanged since their journal entry (%s)\n", ctx->n_from_journal,
                ctx->journal.path ? ctx->journal.path : "");
    if (!ctx->cfg->dry_run && ctx->counts[RA_RENEWED] == 0)
        fprintf(f, "nothing to do: no file was changed\n");
}

/* A JSON string for s: NULL gives null; a path that is not UTF-8 (file names are bytes)
 * has each of its non-ASCII bytes replaced by U+FFFD, so the report stays JSON. */
static json_t *jstr(const char *s)
{
    json_t *v;
    lts_buf b = LTS_BUF_INIT;
    if (s == NULL)
        return json_null();
    if ((v = json_string(s)) != NULL)
        return v;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x80 ? lts_buf_append(&b, p, 1) != LTS_OK
                      : lts_buf_append(&b, "\xef\xbf\xbd", 3) != LTS_OK)
            break;
    }
    v = json_stringn(b.p ? (const char *)b.p : "", b.n);
    lts_buf_dispose(&b);
    return v;
}

static json_t *jtime(lts_time t)
{
    char s[40];
    if (t == RENEW_NO_PROTECTION)
        return json_null();
    renew_time_str(s, sizeof s, t);
    return json_string(s);
}

/* json_object_set_new that remembers a failure (allocation) in *bad. */
static void put(json_t *o, const char *key, json_t *v, int *bad)
{
    if (v == NULL || json_object_set_new(o, key, v) != 0)
        *bad = 1;
}

int renew_write_report(const renew_ctx *ctx, const char *path)
{
    json_t *root = json_object(), *summary = json_object(), *files = json_array();
    char *text = NULL;
    lts_buf out = LTS_BUF_INIT;
    int bad = root == NULL || summary == NULL || files == NULL, ret = -1;

    for (int a = RA_RENEWED; a <= RA_DUE && !bad; a++)
        put(summary, renew_action_name((renew_action)a), json_integer((json_int_t)ctx->counts[a]),
            &bad);
    for (size_t i = 0; i < ctx->n_items && !bad; i++) {
        const renew_item *it = &ctx->items[i];
        json_t *f = json_object();
        if (f == NULL || json_array_append_new(files, f) != 0) {
            json_decref(f);
            bad = 1;
            break;
        }
        put(f, "path", jstr(it->path), &bad);
        put(f, "format", jstr(fmt_name(it->format)), &bad);
        put(f, "action", jstr(renew_action_name(it->action)), &bad);
        put(f, "reason", jstr(it->reason), &bad);
        put(f, "protection_until_before", jtime(it->prot_before), &bad);
        put(f, "protection_until_after", jtime(it->prot_after), &bad);
        put(f, "journal", json_boolean(it->from_journal), &bad);
    }
    if (!bad) {
        put(root, "time", jtime(ctx->now), &bad);
        put(root, "within_days", json_integer((json_int_t)ctx->cfg->within_days), &bad);
        put(root, "dry_run", json_boolean(ctx->cfg->dry_run), &bad);
        put(root, "summary", json_incref(summary), &bad);
        put(root, "files", json_incref(files), &bad);
    }
    if (bad || (text = json_dumps(root, JSON_INDENT(2))) == NULL) {
        fprintf(stderr, "ltsig renew: out of memory writing the report\n");
        goto out;
    }
    if (lts_buf_append(&out, text, strlen(text)) != LTS_OK || lts_buf_append(&out, "\n", 1) != LTS_OK) {
        fprintf(stderr, "ltsig renew: out of memory writing the report\n");
        goto out;
    }
    if (lts_io__write_atomic(path, lts_buf_span(&out), 0) != LTS_OK) {
        fprintf(stderr, "ltsig renew: %s: %s\n", path, lts_error_last()->message);
        goto out;
    }
    ret = 0;
out:
    lts_buf_dispose(&out);
    free(text);
    json_decref(files);
    json_decref(summary);
    json_decref(root);
    return ret;
}
