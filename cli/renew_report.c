/* cli/renew_report.c — `ltsig renew`: progress line, summary and the JSON report. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

static int put_str(lts_buf *b, const char *s)
{
    if (!s)
        return lts_buf_append(b, "null", 4) == LTS_OK ? 0 : -1;
    if (lts_buf_append(b, "\"", 1) != LTS_OK)
        return -1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        const char *r = NULL;
        size_t rn = 0;
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            r = esc;
            rn = 2;
        } else if (*p < 0x20) {
            rn = (size_t)snprintf(esc, sizeof esc, "\\u%04x", *p);
            r = esc;
        }
        if (r ? lts_buf_append(b, r, rn) != LTS_OK : lts_buf_append(b, p, 1) != LTS_OK)
            return -1;
    }
    return lts_buf_append(b, "\"", 1) == LTS_OK ? 0 : -1;
}

static int put_raw(lts_buf *b, const char *s)
{
    return lts_buf_append(b, s, strlen(s)) == LTS_OK ? 0 : -1;
}

static int put_time(lts_buf *b, lts_time t)
{
    char s[40];
    if (t == RENEW_NO_PROTECTION)
        return put_raw(b, "null");
    renew_time_str(s, sizeof s, t);
    return put_str(b, s);
}

int renew_write_report(const renew_ctx *ctx, const char *path)
{
    lts_buf b = LTS_BUF_INIT;
    char tmp[256];
    int bad = 0, ret = -1;

    renew_time_str(tmp, sizeof tmp, ctx->now);
    bad |= put_raw(&b, "{\n  \"time\": ") | put_str(&b, tmp);
    snprintf(tmp, sizeof tmp, ",\n  \"within_days\": %ld,\n  \"dry_run\": %s,\n  \"summary\": {",
             ctx->cfg->within_days, ctx->cfg->dry_run ? "true" : "false");
    bad |= put_raw(&b, tmp);
    for (int a = RA_RENEWED; a <= RA_DUE; a++) {
        snprintf(tmp, sizeof tmp, "%s\"%s\": %zu", a == RA_RENEWED ? "" : ", ",
                 renew_action_name((renew_action)a), ctx->counts[a]);
        bad |= put_raw(&b, tmp);
    }
    bad |= put_raw(&b, "},\n  \"files\": [");
    for (size_t i = 0; i < ctx->n_items && !bad; i++) {
        const renew_item *it = &ctx->items[i];
        bad |= put_raw(&b, i ? ",\n    {\"path\": " : "\n    {\"path\": ") | put_str(&b, it->path);
        bad |= put_raw(&b, ", \"format\": ") | put_str(&b, fmt_name(it->format));
        bad |= put_raw(&b, ", \"action\": ") | put_str(&b, renew_action_name(it->action));
        bad |= put_raw(&b, ", \"reason\": ") | put_str(&b, it->reason);
        bad |= put_raw(&b, ", \"protection_until_before\": ") | put_time(&b, it->prot_before);
        bad |= put_raw(&b, ", \"protection_until_after\": ") | put_time(&b, it->prot_after);
        bad |= put_raw(&b, it->from_journal ? ", \"journal\": true}" : ", \"journal\": false}");
    }
    bad |= put_raw(&b, "\n  ]\n}\n");
    if (bad) {
        fprintf(stderr, "ltsig renew: out of memory writing the report\n");
        goto out;
    }
    if (lts_io__write_atomic(path, lts_buf_span(&b), 0) != LTS_OK) {
        fprintf(stderr, "ltsig renew: %s\n", lts_error_last()->message);
        goto out;
    }
    ret = 0;
out:
    lts_buf_dispose(&b);
    return ret;
}
