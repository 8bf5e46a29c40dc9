/* ltsig renew: the archival renewal job (ISO 14533 ES-A / ETSI B-LTA renewal).
 * See cli/renew_int.h for how the work is split. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "renew_int.h"

static const char help[] =
    "usage: ltsig renew [--within DAYS] [--jobs N] [--tsa URL]... [--trust FILE]\n"
    "                   [--dry-run] [--report FILE] [--out DIR] [--offline --vdata DIR]\n"
    "                   [--timeout SECONDS] [--policy FILE] [--retry-failed]\n"
    "                   [--no-journal] [--quiet | --verbose] PATH...\n"
    "\n"
    "Walk the files and folders PATH..., validate every CAdES (.p7s/.p7m, detached pairs\n"
    "FILE + FILE.p7s), XAdES (.xml) and PAdES (.pdf) signature, work out until when its\n"
    "newest time-stamp protects it (the TSA certificate's notAfter, the sunsets of the\n"
    "imprint hash (from the validation policy) and of the TSA key size), and renew those\n"
    "whose protection ends within DAYS:\n"
    "extend to B-LTA with a new archive / document time-stamp. The renewed file replaces\n"
    "the original only once it is complete and validates (or goes into --out DIR).\n"
    "Invalid signatures are reported and left untouched; other files are skipped.\n"
    "\n"
    "  --within DAYS    renew what stops being protected within DAYS days (default 90)\n"
    "  --jobs N         worker threads (default 1, at most 64)\n"
    "  --tsa URL        RFC 3161 timestamp authority (repeat for failover); required\n"
    "                   unless --dry-run\n"
    "  --trust FILE     trust anchors (PEM) for validation, the TSA and the collected paths\n"
    "  --dry-run        only report what would be renewed (action \"due\"); write nothing\n"
    "  --report FILE    write a JSON report: one entry per file with path, format, action\n"
    "                   (renewed|ok|skipped|failed|not-a-signature|due), reason and\n"
    "                   protection_until before/after\n"
    "  --out DIR        write renewed files under DIR (same relative paths) instead of\n"
    "                   replacing the originals\n"
    "  --offline        never reach the network for validation data (needs --vdata)\n"
    "  --vdata DIR      certificates, CRLs and OCSP responses to embed, from DIR\n"
    "  --timeout S      per network call (default 30)\n"
    "  --policy FILE    validation policy (algorithm sunsets, trust; see ltsig verify)\n"
    "  --retry-failed   look again at files the journal says failed\n"
    "  --no-journal     neither read nor write the journal\n"
    "  -q, --quiet      print failures and the summary only\n"
    "  -v, --verbose    print one line for every file\n"
    "\n"
    "The journal " RENEW_JOURNAL_NAME " (in the first PATH folder) records every file\n"
    "(path, size, mtime, sha256, outcome), fsync'ed as the job goes: an interrupted run\n"
    "resumes where it stopped, and a file unchanged since its entry is not looked at again\n"
    "until it comes due (and never twice within 24 hours). SIGINT or SIGTERM stops the\n"
    "job cleanly: the files being renewed are finished, the others reported as skipped.\n"
    "\n"
    "exit status: 0 nothing failed, 1 some files failed (see the report), 3 usage,\n"
    "             4 error (journal, report, TSA or validation data unusable)\n"
    "\n"
    "examples:\n"
    "  ltsig renew --dry-run --trust root.pem /archive\n"
    "  ltsig renew --within 180 --jobs 4 --tsa http://tsa.example/ --trust root.pem \\\n"
    "              --report renew.json /archive\n";

enum {
    O_WITHIN = 256, O_JOBS, O_TSA, O_TRUST, O_DRY, O_REPORT, O_OUT, O_OFFLINE, O_VDATA,
    O_TIMEOUT, O_RETRY, O_NOJOURNAL, O_POLICY, O_HELP
};

static const struct option longopts[] = {
    { "within", required_argument, NULL, O_WITHIN },
    { "jobs", required_argument, NULL, O_JOBS },
    { "tsa", required_argument, NULL, O_TSA },
    { "trust", required_argument, NULL, O_TRUST },
    { "dry-run", no_argument, NULL, O_DRY },
    { "report", required_argument, NULL, O_REPORT },
    { "out", required_argument, NULL, O_OUT },
    { "offline", no_argument, NULL, O_OFFLINE },
    { "vdata", required_argument, NULL, O_VDATA },
    { "timeout", required_argument, NULL, O_TIMEOUT },
    { "retry-failed", no_argument, NULL, O_RETRY },
    { "no-journal", no_argument, NULL, O_NOJOURNAL },
    { "policy", required_argument, NULL, O_POLICY },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 },
};

static int num(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!end || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse(renew_cfg *cfg, int argc, char **argv)
{
    int c;
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qvh", longopts, NULL)) != -1) {
        switch (c) {
        case O_WITHIN:
            if (num(optarg, 0, 36500, &cfg->within_days) != 0)
                return cli_usage_error("renew", "--within takes 0 to 36500 days");
            break;
        case O_JOBS:
            if (num(optarg, 1, 64, &v) != 0)
                return cli_usage_error("renew", "--jobs takes 1 to 64");
            cfg->jobs = (int)v;
            break;
        case O_TSA:
            if (cfg->n_tsa == sizeof cfg->tsa_urls / sizeof cfg->tsa_urls[0])
                return cli_usage_error("renew", "too many --tsa URLs");
            cfg->tsa_urls[cfg->n_tsa++] = optarg;
            break;
        case O_TRUST: cfg->trust = optarg; break;
        case O_DRY: cfg->dry_run = 1; break;
        case O_REPORT: cfg->report = optarg; break;
        case O_OUT: cfg->out_dir = optarg; break;
        case O_OFFLINE: cfg->offline = 1; break;
        case O_VDATA: cfg->vdata_dir = optarg; break;
        case O_TIMEOUT:
            if (num(optarg, 1, 3600, &cfg->timeout_s) != 0)
                return cli_usage_error("renew", "--timeout takes 1 to 3600 seconds");
            break;
        case O_RETRY: cfg->retry_failed = 1; break;
        case O_NOJOURNAL: cfg->no_journal = 1; break;
        case O_POLICY: cfg->policy_file = optarg; break;
        case 'q': cfg->quiet = 1; break;
        case 'v': cfg->verbose = 1; break;
        case 'h':
        case O_HELP: fputs(help, stdout); return -1;
        default: return cli_usage_error("renew", "unknown option");
        }
    }
    if (optind >= argc)
        return cli_usage_error("renew", "give at least one file or folder");
    if (cfg->quiet && cfg->verbose)
        return cli_usage_error("renew", "--quiet and --verbose exclude each other");
    if (!cfg->dry_run && cfg->n_tsa == 0)
        return cli_usage_error("renew", "renewal needs a timestamp authority (--tsa URL)");
    if (cfg->offline && !cfg->vdata_dir && !cfg->dry_run)
        return cli_usage_error("renew", "--offline needs --vdata DIR (B-LTA embeds "
                                        "validation data)");
    return 0;
}

/* SIGINT / SIGTERM: a thread waits for them (they are blocked in every other thread, so
 * no handler and no global flag): the workers finish the files they are on and take no
 * new one; the summary, the report and the journal stay complete. SIGUSR1 from the main
 * thread ends the waiter once the work is done. */
static void *signal_waiter(void *arg)
{
    renew_ctx *ctx = arg;
    sigset_t set;
    int sig = 0;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    while (sigwait(&set, &sig) == 0 && sig != SIGUSR1) {
        pthread_mutex_lock(&ctx->lock);
        ctx->stop = 1;
        ctx->stop_signal = sig;
        pthread_mutex_unlock(&ctx->lock);
    }
    return NULL;
}

/* Files never started because of a signal: reported, not journalled. */
static void mark_interrupted(renew_ctx *ctx)
{
    for (size_t i = ctx->next; i < ctx->n_items; i++) {
        renew_item *it = &ctx->items[i];
        it->action = RA_SKIPPED;
        snprintf(it->reason, sizeof it->reason, "not looked at: interrupted by signal %d",
                 ctx->stop_signal);
        ctx->counts[RA_SKIPPED]++;
    }
}

/* The journal lives in the first PATH folder (the folder of the first PATH when it is a
 * file). */
static char *journal_path(const char *first)
{
    struct stat st;
    char *dir;
    if (stat(first, &st) == 0 && S_ISDIR(st.st_mode)) {
        dir = strdup(first);
    } else {
        const char *s = strrchr(first, '/');
        dir = s ? strndup(first, (size_t)(s - first + (s == first))) : strdup(".");
    }
    if (!dir)
        return NULL;
    size_t n = strlen(dir) + sizeof RENEW_JOURNAL_NAME + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, RENEW_JOURNAL_NAME);
    free(dir);
    return p;
}

static int open_vdata(renew_ctx *ctx, const renew_cfg *cfg)
{
    lts_vdata_source *inner = NULL;
    if (cfg->dry_run)
        return 0;
    if (cfg->vdata_dir) {
        if (lts_vdata_offline_new(&inner, cfg->vdata_dir) != LTS_OK)
            return cli_fail("cannot use the validation data folder");
    } else {
        lts_vdata_online_opts vo = LTS_VDATA_ONLINE_OPTS_INIT;
        vo.timeout_s = cfg->timeout_s;
        vo.trust_file = cfg->trust;
        if (lts_vdata_online_new(&inner, &vo) != LTS_OK)
            return cli_fail("cannot collect validation data");
    }
    /* one cache for all the workers: each issuer, OCSP response and CRL fetched once */
    if (lts_vdata_cached_new(&ctx->vdata, inner) != LTS_OK)
        return cli_fail("cannot set up the validation data cache");
    return 0;
}

int cmd_renew(int argc, char **argv)
{
    renew_cfg cfg;
    renew_ctx ctx;
    pthread_t th[64];
    int nth = 0, ret = CLI_OK, walk_err, r;
    char *jpath = NULL;
    lts_policy *policy = NULL;
    sigset_t sigs, old_sigs;
    pthread_t sig_th;
    int have_sig_th = 0, masked = 0;

    memset(&cfg, 0, sizeof cfg);
    memset(&ctx, 0, sizeof ctx);
    cfg.within_days = 90;
    cfg.jobs = 1;
    cfg.timeout_s = 30;
    ctx.journal.fd = -1;
    pthread_mutex_init(&ctx.lock, NULL);
    if ((r = parse(&cfg, argc, argv)) != 0) {
        ret = r < 0 ? CLI_OK : r;
        goto out;
    }
    if ((cli_verbosity < 0 && cfg.verbose) || (cli_verbosity > 0 && cfg.quiet)) {
        ret = cli_usage_error("renew", "--quiet and --verbose exclude each other");
        goto out;
    }
    if (cli_verbosity < 0)
        cfg.quiet = 1;
    else if (cli_verbosity > 0)
        cfg.verbose = 1;
    ctx.cfg = &cfg;
    ctx.now = lts_clock_now(NULL);
    clock_gettime(CLOCK_MONOTONIC, &ctx.started);
    ctx.tty = isatty(STDOUT_FILENO);
    if (cfg.out_dir && mkdir(cfg.out_dir, 0755) != 0 && access(cfg.out_dir, W_OK) != 0) {
        fprintf(stderr, "ltsig renew: %s: cannot create or write the output folder\n",
                cfg.out_dir);
        ret = CLI_ERROR;
        goto out;
    }
    if (cfg.policy_file) {
        if (lts_policy_load(&policy, cfg.policy_file) != LTS_OK) {
            ret = cli_fail(NULL);
            goto out;
        }
        cfg.policy = policy;
    }
    if (!cfg.no_journal) {
        if (!(jpath = journal_path(argv[optind])) ||
            renew_journal_open(&ctx.journal, jpath, !cfg.dry_run) != 0) {
            ret = CLI_ERROR;
            goto out;
        }
    }
    if (open_vdata(&ctx, &cfg) != 0) {
        ret = CLI_ERROR;
        goto out;
    }
    walk_err = renew_walk(argv + optind, argc - optind, cfg.dry_run, &ctx.items, &ctx.n_items);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGUSR1);
    masked = pthread_sigmask(SIG_BLOCK, &sigs, &old_sigs) == 0;
    if (masked && pthread_create(&sig_th, NULL, signal_waiter, &ctx) == 0)
        have_sig_th = 1;
    for (nth = 0; nth < cfg.jobs && (size_t)nth < (ctx.n_items ? ctx.n_items : 1); nth++) {
        if (pthread_create(&th[nth], NULL, renew_worker, &ctx) != 0) {
            fprintf(stderr, "ltsig renew: cannot start worker thread %d\n", nth + 1);
            break;
        }
    }
    if (nth == 0)
        renew_worker(&ctx); /* not even one thread: do the work here */
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    if (have_sig_th) {
        pthread_kill(sig_th, SIGUSR1);
        pthread_join(sig_th, NULL);
    }
    if (masked)
        pthread_sigmask(SIG_SETMASK, &old_sigs, NULL);
    if (ctx.stop) {
        mark_interrupted(&ctx);
        fprintf(stderr, "ltsig renew: interrupted (signal %d): %zu files not looked at; "
                        "run again to go on\n", ctx.stop_signal, ctx.n_items - ctx.next);
    }
    renew_summary(&ctx, stdout);
    if (cfg.report && renew_write_report(&ctx, cfg.report) != 0)
        ret = CLI_ERROR;
    else if (ctx.counts[RA_FAILED] > 0 || walk_err || ctx.stop)
        ret = CLI_FAILED;
out:
    renew_items_free(ctx.items, ctx.n_items);
    if (ctx.journal.path)
        renew_journal_close(&ctx.journal);
    lts_vdata_free(ctx.vdata);
    lts_policy_free(policy);
    free(jpath);
    pthread_mutex_destroy(&ctx.lock);
    return ret;
}
