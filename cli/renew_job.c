/* cli/renew_job.c — `ltsig renew`: one file, from classification to the journal line.
 *
 * Nothing is written over an original until the new file is complete, fsync'ed and has
 * passed lts_validate_file: the renewal is written to DIR/.ltsig-renew.NAME.tmp, checked,
 * journalled as "pending" (with its sha256), and renamed over NAME (or into --out DIR). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/codec.h"
#include "core/digest.h"
#include "core/io.h"
#include "renew_int.h"

#define XMLDSIG_NS "http://www.w3.org/2000/09/xmldsig#"

typedef struct {
    renew_ctx *ctx;
    lts_tsa *tsa;  /* this worker's: an lts_tsa is used by one thread at a time */
} worker;

int renew_sha256_file(const char *path, char out[65])
{
    uint8_t dg[LTS_HASH_MAX];
    size_t n = 0;
    lts_buf hex = LTS_BUF_INIT;
    int ret = -1;
    if (lts_digest__file(LTS_HASH_SHA256, path, NULL, 0, dg, &n) != LTS_OK ||
        lts_hex__encode(&hex, (lts_span){ dg, n }) != LTS_OK || hex.n < 64)
        goto out;
    memcpy(out, hex.p, 64);
    out[64] = '\0';
    ret = 0;
out:
    lts_buf_dispose(&hex);
    return ret;
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static void say(renew_item *it, renew_action a, const char *fmt, ...) LTS_PRINTF(3, 4);
static void say(renew_item *it, renew_action a, const char *fmt, ...)
{
    va_list ap;
    it->action = a;
    va_start(ap, fmt);
    vsnprintf(it->reason, sizeof it->reason, fmt, ap);
    va_end(ap);
}

static const char *last_msg(void)
{
    const lts_error *e = lts_error_last();
    return e && e->message && e->message[0] ? e->message : "failed";
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcasecmp(s + a - b, suf) == 0;
}

/* Does the (XML) file hold a ds:Signature? A cheap look for the XML-DSig namespace next to
 * a Signature element; the validation that follows is the real check. */
static int xml_has_signature(const char *path)
{
    lts_buf b = LTS_BUF_INIT;
    int found = 0;
    if (lts_io__read_file(&b, path, (size_t)1 << 30) == LTS_OK && b.n > 0 &&
        lts_buf_nul(&b) == LTS_OK)
        found = strstr((const char *)b.p, XMLDSIG_NS) != NULL &&
                strstr((const char *)b.p, "Signature") != NULL;
    lts_buf_dispose(&b);
    return found;
}

/* What the file is. RA_NONE when it is a signature of *fmt, else the action is set. */
static void classify(renew_item *it)
{
    lts_format f = LTS_FORMAT_UNKNOWN;
    const char *p = it->path;

    if (it->is_symlink) {
        say(it, RA_SKIPPED, "symbolic link (not followed)");
        return;
    }
    if (it->is_content) {
        /* never modified, even when it is a signed PDF: that would break the detached
         * signature over it */
        say(it, RA_SKIPPED, "signed content of the detached signature %s.p7s/.p7m beside it "
                            "(never modified)", it->rel);
        return;
    }
    if (lts_format_detect(p, &f) != LTS_OK)
        f = LTS_FORMAT_UNKNOWN;
    if (ends_with(p, ".pdf") && f != LTS_FORMAT_PADES)
        f = LTS_FORMAT_UNKNOWN;
    if (f == LTS_FORMAT_CADES) {
        lts_buf b = LTS_BUF_INIT;
        lts_cades *c = NULL;
        if (lts_io__read_file(&b, p, 0) != LTS_OK ||
            lts_cades_parse(&c, lts_buf_span(&b)) != LTS_OK)
            f = LTS_FORMAT_UNKNOWN;
        lts_cades_free(c);
        lts_buf_dispose(&b);
    } else if (f == LTS_FORMAT_XADES) {
        if (!xml_has_signature(p))
            f = LTS_FORMAT_UNKNOWN;
    } else if (f == LTS_FORMAT_PADES) {
        lts_pades_doc *d = NULL;
        if (lts_pades_open(&d, p) != LTS_OK) {
            it->format = f;
            say(it, RA_FAILED, "PDF cannot be read: %s", last_msg());
            return;
        }
        if (lts_pades_sig_count(d) == 0)
            f = LTS_FORMAT_UNKNOWN;
        lts_pades_free(d);
    }
    it->format = f;
    if (f == LTS_FORMAT_UNKNOWN)
        say(it, RA_NOT_A_SIGNATURE, "no CAdES, XAdES or PAdES signature found");
}

/* Validate; 0 when TOTAL_PASSED (*prot then gets the policy's protection date), else the
 * reason is in why. */
static int validate(const renew_cfg *cfg, const char *path, const char *content, int offline,
                    char *why, size_t cap, char *level, size_t lcap, lts_time *prot)
{
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    lts_report *r = NULL;
    int ret = -1;
    o.trust = cfg->trust;
    o.detached_content = content;
    o.offline = cfg->offline || offline;
    o.timeout_s = cfg->timeout_s;
    o.policy = cfg->policy;
    if (lts_validate_file(path, &o, &r) != LTS_OK) {
        snprintf(why, cap, "cannot be validated: %s", last_msg());
        goto out;
    }
    if (level && lcap)
        snprintf(level, lcap, "%s", r->n_sigs && r->sigs[0].level ? r->sigs[0].level : "?");
    if (r->indication != LTS_IND_TOTAL_PASSED) {
        /* the validation's "first problem: ..." line of the first bad signature, else
         * its last line */
        const char *msg = NULL;
        for (size_t i = 0; i < r->n_sigs && !msg; i++) {
            const lts_sig_result *sg = &r->sigs[i];
            if (sg->indication == LTS_IND_TOTAL_PASSED || sg->n_messages == 0)
                continue;
            for (size_t k = 0; k < sg->n_messages && !msg; k++)
                if (sg->messages[k] && strncmp(sg->messages[k], "first problem: ", 15) == 0)
                    msg = sg->messages[k] + 15;
            if (!msg)
                msg = sg->messages[sg->n_messages - 1];
        }
        snprintf(why, cap, "%s%s%s%s%s", lts_indication_name(r->indication),
                 r->subindication ? "/" : "", lts_subindication_name(r->subindication),
                 msg ? ": " : "", msg ? msg : "");
        goto out;
    }
    if (prot)
        *prot = renew_protection_policy(r, cfg->policy);
    ret = 0;
out:
    lts_report_free(r);
    return ret;
}

/* The policy's date, tightened by renew_protection's (TSA key size; tokens the report
 * has no facts about; signatures without any time-stamp). 0, or -1 with the reason set. */
static int protection(renew_item *it, const char *path, lts_time policy_date, lts_time *out)
{
    char how[160];
    lts_time own = RENEW_NO_PROTECTION;
    if (renew_protection(path, it->format, it->content, &own, how, sizeof how) != 0) {
        say(it, RA_FAILED, "not renewed: cannot read its time-stamps: %s", last_msg());
        return -1;
    }
    *out = own < policy_date ? own : policy_date;
    return 0;
}

static char *dest_path(const renew_cfg *cfg, const renew_item *it)
{
    if (!cfg->out_dir)
        return strdup(it->path);
    size_t n = strlen(cfg->out_dir) + strlen(it->rel) + 2;
    char *d = malloc(n);
    if (d)
        snprintf(d, n, "%s/%s", cfg->out_dir, it->rel);
    return d;
}

static int mkdirs_for(const char *file)
{
    char *d = strdup(file);
    int ret = -1;
    if (!d)
        return -1;
    char *slash = strrchr(d, '/');
    if (!slash) {
        free(d);
        return 0;
    }
    *slash = '\0';
    for (char *p = d + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(d, 0755) != 0 && errno != EEXIST)
            goto out;
        *p = '/';
    }
    if (*d && mkdir(d, 0755) != 0 && errno != EEXIST)
        goto out;
    ret = 0;
out:
    free(d);
    return ret;
}

static char *tmp_path_for(const char *dest)
{
    const char *slash = strrchr(dest, '/');
    size_t dl = slash ? (size_t)(slash - dest + 1) : 0;
    const char *base = dest + dl;
    size_t n = strlen(dest) + strlen(RENEW_TMP_PREFIX) + strlen(RENEW_TMP_SUFFIX) + 1;
    char *t = malloc(n);
    if (t)
        snprintf(t, n, "%.*s%s%s%s", (int)dl, dest, RENEW_TMP_PREFIX, base, RENEW_TMP_SUFFIX);
    return t;
}

static void fsync_dir_of(const char *path)
{
    char *d = strdup(path);
    if (!d)
        return;
    int fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(d);
}

/* Extend the file into tmp. 0, or -1 with the reason set. */
static int extend_into(worker *w, renew_item *it, const char *tmp)
{
    const renew_cfg *cfg = w->ctx->cfg;
    lts_buf in = LTS_BUF_INIT, out = LTS_BUF_INIT;
    int ret = -1;

    if (it->format == LTS_FORMAT_CADES) {
        lts_cades_extend_opts eo = LTS_CADES_EXTEND_OPTS_INIT;
        eo.level = LTS_LEVEL_B_LTA;
        eo.tsa = w->tsa;
        eo.vdata = w->ctx->vdata;
        eo.trust_file = cfg->trust;
        if (lts_io__read_file(&in, it->path, 0) != LTS_OK ||
            lts_cades_extend(&out, lts_buf_span(&in), &eo) != LTS_OK ||
            lts_io__write_atomic(tmp, lts_buf_span(&out), 0) != LTS_OK) {
            say(it, RA_FAILED, "cannot extend to B-LTA: %s", last_msg());
            goto out;
        }
    } else if (it->format == LTS_FORMAT_PADES) {
        lts_pades_extend_opts po = LTS_PADES_EXTEND_OPTS_INIT;
        po.level = LTS_LEVEL_B_LTA;
        po.tsa = w->tsa;
        po.vdata = w->ctx->vdata;
        po.trust_file = cfg->trust;
        if (lts_pades_extend(it->path, tmp, &po) != LTS_OK) {
            say(it, RA_FAILED, "cannot extend to B-LTA: %s", last_msg());
            goto out;
        }
    } else if (it->format == LTS_FORMAT_XADES) {
        lts_xades_extend_opts xo = LTS_XADES_EXTEND_OPTS_INIT;
        xo.level = LTS_LEVEL_B_LTA;
        xo.tsa = w->tsa;
        xo.vdata = w->ctx->vdata;
        xo.trust_file = cfg->trust;
        xo.detached_content = it->content;
        if (lts_xades_extend_file(&out, it->path, &xo) != LTS_OK ||
            lts_io__write_atomic(tmp, lts_buf_span(&out), 0) != LTS_OK) {
            say(it, RA_FAILED, "cannot extend to B-LTA: %s", last_msg());
            goto out;
        }
    } else {
        say(it, RA_FAILED, "unknown format");
        goto out;
    }
    ret = 0;
out:
    lts_buf_dispose(&in);
    lts_buf_dispose(&out);
    return ret;
}

static void renew_one(worker *w, renew_item *it, const struct stat *st, const char *sha)
{
    renew_ctx *ctx = w->ctx;
    const renew_cfg *cfg = ctx->cfg;
    char why[400], level[32], nsha[65], b1[40];
    lts_time pol = RENEW_FOREVER;
    char *dest = NULL, *tmp = NULL;
    struct stat nst;
    lts_time horizon = ctx->now + (lts_time)cfg->within_days * 86400;

    classify(it);
    if (it->action != RA_NONE)
        goto journal;
    if (validate(cfg, it->path, it->content, 0, why, sizeof why, level, sizeof level, &pol) != 0) {
        say(it, RA_FAILED, "not renewed: %s", why);
        goto journal;
    }
    if (protection(it, it->path, pol, &it->prot_before) != 0)
        goto journal;
    renew_time_str(b1, sizeof b1, it->prot_before);
    if (it->prot_before != RENEW_NO_PROTECTION && it->prot_before > horizon) {
        say(it, RA_OK, "%s, protected until %s", level, b1);
        it->prot_after = it->prot_before;
        goto journal;
    }
    if (cfg->dry_run) {
        say(it, RA_DUE, "%s, protected until %s: would be renewed to B-LTA", level, b1);
        return; /* a dry run writes nothing, the journal neither */
    }
    if (!(dest = dest_path(cfg, it)) || !(tmp = tmp_path_for(dest))) {
        say(it, RA_FAILED, "out of memory");
        goto journal;
    }
    if (cfg->out_dir && mkdirs_for(dest) != 0) {
        say(it, RA_FAILED, "cannot create the folder of %s: %s", dest, strerror(errno));
        goto journal;
    }
    if (extend_into(w, it, tmp) != 0)
        goto cleanup;
    /* offline: a B-LTA renewal must validate from what it embeds (as `verify --offline`),
     * and the validation data were just collected online */
    if (validate(cfg, tmp, it->content, 1, why, sizeof why, NULL, 0, &pol) != 0) {
        say(it, RA_FAILED, "the renewed signature does not validate (%s): original kept", why);
        goto cleanup;
    }
    if (protection(it, tmp, pol, &it->prot_after) != 0)
        goto cleanup;
    if ((it->prot_before != RENEW_NO_PROTECTION && it->prot_after < it->prot_before) ||
        it->prot_after == RENEW_NO_PROTECTION) {
        say(it, RA_FAILED, "the renewal did not extend the protection: original kept");
        goto cleanup;
    }
    if (renew_sha256_file(tmp, nsha) != 0 || stat(tmp, &nst) != 0) {
        say(it, RA_FAILED, "cannot read back %s: %s", tmp, last_msg());
        goto cleanup;
    }
    if (!cfg->out_dir &&
        renew_journal_append(&ctx->journal, it->path, "pending", it->format,
                             (uint64_t)nst.st_size, 0, nsha,
                             it->prot_after, "") != 0) {
        say(it, RA_FAILED, "cannot write the journal: original kept");
        goto cleanup;
    }
    if (rename(tmp, dest) != 0) {
        say(it, RA_FAILED, "cannot replace %s: %s", dest, strerror(errno));
        goto cleanup;
    }
    fsync_dir_of(dest);
    renew_time_str(b1, sizeof b1, it->prot_after);
    if (it->prot_after <= ctx->now + (lts_time)cfg->within_days * 86400)
        say(it, RA_RENEWED, "%s -> B-LTA, protected until %s, still within the %ld-day "
            "window (the new time-stamp's TSA certificate or algorithm ends then): use a TSA "
            "whose certificate ends later", level, b1, cfg->within_days);
    else
        say(it, RA_RENEWED, "%s -> B-LTA, protected until %s", level, b1);
    if (!cfg->out_dir && stat(dest, &nst) == 0) {
        /* journal the new file: the next run finds it unchanged */
        renew_journal_append(&ctx->journal, it->path, "renewed", it->format, (uint64_t)nst.st_size,
                             mtime_ns(&nst), nsha, it->prot_after, it->reason);
        goto out;
    }
    goto journal;
cleanup:
    if (tmp)
        unlink(tmp);
journal:
    if (it->action != RA_RENEWED)
        it->prot_after = it->prot_before; /* untouched */
    if (!cfg->dry_run)
        renew_journal_append(&ctx->journal, it->path, renew_action_name(it->action),
                             it->format, (uint64_t)st->st_size, mtime_ns(st), sha, it->prot_after,
                             it->reason);
out:
    free(dest);
    free(tmp);
}

/* Is the journal's word on this file still good? 1 (item filled), or 0: process it. */
static int from_journal(renew_ctx *ctx, renew_item *it, const struct stat *st, const char *sha)
{
    const renew_jentry *e = renew_journal_find(&ctx->journal, it->path);
    const renew_cfg *cfg = ctx->cfg;
    renew_action a = RA_NONE;

    if (!e || cfg->no_journal)
        return 0;
    if (strcmp(e->outcome, "pending") == 0) {
        /* crashed between the rename and the "renewed" line: the new file is in place? */
        if (e->size != (uint64_t)st->st_size || strcmp(e->sha256, sha) != 0)
            return 0; /* no: the original is intact, renew again */
        it->prot_after = e->prot_after;
        it->format = e->format;
        say(it, RA_RENEWED, "renewed by an interrupted run (journal)");
        if (!cfg->dry_run)
            renew_journal_append(&ctx->journal, it->path, "renewed", e->format,
                                 (uint64_t)st->st_size,
                                 mtime_ns(st), sha, e->prot_after, it->reason);
        it->from_journal = 1;
        return 1;
    }
    if (e->size != (uint64_t)st->st_size || e->mtime_ns != mtime_ns(st) ||
        strcmp(e->sha256, sha) != 0)
        return 0; /* changed since */
    if (strcmp(e->outcome, "renewed") == 0)
        a = RA_RENEWED;
    else if (strcmp(e->outcome, "ok") == 0)
        a = RA_OK;
    else if (strcmp(e->outcome, "skipped") == 0)
        a = RA_SKIPPED;
    else if (strcmp(e->outcome, "not-a-signature") == 0)
        a = RA_NOT_A_SIGNATURE;
    else if (strcmp(e->outcome, "failed") == 0 && !cfg->retry_failed)
        a = RA_FAILED;
    if (a == RA_NONE)
        return 0;
    if (a == RA_RENEWED || a == RA_OK) {
        /* good until the file comes due under THIS run's window (--within may have grown
         * since); a file renewed less than a day ago is not renewed again: a new time-stamp
         * from the same TSA would not protect it any longer */
        lts_time horizon = ctx->now + (lts_time)cfg->within_days * 86400;
        if (e->prot_after <= horizon && (a == RA_OK || e->when < ctx->now - 86400))
            return 0;
    }
    it->action = a == RA_RENEWED ? RA_OK : a;
    it->format = e->format;
    it->prot_before = it->prot_after = e->prot_after;
    snprintf(it->reason, sizeof it->reason, "unchanged since the journal entry: %s%s%s",
             e->outcome, e->reason && e->reason[0] ? ": " : "", e->reason ? e->reason : "");
    it->from_journal = 1;
    return 1;
}

static void process(worker *w, renew_item *it)
{
    struct stat st;
    char sha[65];

    if (lstat(it->path, &st) != 0) {
        say(it, RA_FAILED, "%s", strerror(errno));
        return;
    }
    if (it->is_symlink) {
        say(it, RA_SKIPPED, "symbolic link (not followed)");
        return;
    }
    if (renew_sha256_file(it->path, sha) != 0) {
        say(it, RA_FAILED, "cannot read: %s", last_msg());
        return;
    }
    if (from_journal(w->ctx, it, &st, sha))
        return;
    renew_one(w, it, &st, sha);
}

void *renew_worker(void *arg)
{
    worker w = { arg, NULL };
    renew_ctx *ctx = w.ctx;
    const renew_cfg *cfg = ctx->cfg;

    if (cfg->n_tsa > 0 && !cfg->dry_run) {
        lts_tsa_opts to = LTS_TSA_OPTS_INIT;
        to.timeout_s = cfg->timeout_s;
        to.trust_file = cfg->trust;
        if (lts_tsa_open_http(&w.tsa, cfg->tsa_urls, cfg->n_tsa, &to) != LTS_OK)
            w.tsa = NULL; /* each renewal then fails with the reason */
    }
    for (;;) {
        pthread_mutex_lock(&ctx->lock);
        size_t i = ctx->next < ctx->n_items && !ctx->stop ? ctx->next++ : ctx->n_items;
        pthread_mutex_unlock(&ctx->lock);
        if (i >= ctx->n_items)
            break;
        renew_item *it = &ctx->items[i];
        process(&w, it);
        pthread_mutex_lock(&ctx->lock);
        ctx->done++;
        ctx->counts[it->action]++;
        if (it->from_journal)
            ctx->n_from_journal++;
        renew_progress(ctx, it);
        pthread_mutex_unlock(&ctx->lock);
    }
    lts_tsa_close(w.tsa);
    return NULL;
}
