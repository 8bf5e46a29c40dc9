/* cli/renew_int.h — `ltsig renew`, the archival renewal job: private to cli/renew_*.c and
 * cli/cmd_renew.c.
 *
 * The job: walk (renew_walk.c) -> per file, in N worker threads (renew_job.c): classify,
 * validate, work out until when the newest time-stamp protects the signature
 * (renew_protect.c), decide, extend to B-LTA, check the result, replace atomically, journal
 * (renew_journal.c) -> progress, summary and JSON report (renew_report.c). */
#ifndef LTS_CLI_RENEW_INT_H
#define LTS_CLI_RENEW_INT_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <ltsig/policy.h>
#include "cli.h"

/* Names the job owns inside the archive: the journal, and the temporary files of a renewal
 * (ours are ".ltsig-renew.NAME.tmp"; core/io's atomic writer adds
 * "..ltsig-renew.NAME.tmp.XXXXXX"). */
#define RENEW_JOURNAL_NAME ".ltsig-renew.journal"
#define RENEW_TMP_PREFIX ".ltsig-renew."
#define RENEW_TMP_SUFFIX ".tmp"

/* "No protection at all" (a signature without any time-stamp) and "no known end". */
#define RENEW_NO_PROTECTION ((lts_time)INT64_MIN)
#define RENEW_FOREVER ((lts_time)INT64_MAX)

typedef enum {
    RA_NONE = 0,
    RA_RENEWED,
    RA_OK,
    RA_SKIPPED,
    RA_FAILED,
    RA_NOT_A_SIGNATURE,
    RA_DUE /* --dry-run: would be renewed */
} renew_action;

typedef struct {
    char *path;          /* as walked (owned) */
    char *rel;           /* path relative to the PATH argument it came from (owned) */
    char *content;       /* detached content (FILE for FILE.p7s), or NULL (owned) */
    int is_content;      /* 1: this is the detached content of another item */
    int is_symlink;
    /* results */
    lts_format format;
    renew_action action;
    char reason[512];
    lts_time prot_before, prot_after;
    int from_journal;
} renew_item;

typedef struct {
    long within_days;
    int jobs;
    const char *tsa_urls[8];
    size_t n_tsa;
    const char *trust;
    int dry_run;
    const char *report;
    const char *out_dir;
    int offline;
    const char *vdata_dir;
    long timeout_s;
    int quiet, verbose;
    int retry_failed;
    int no_journal;
    const char *policy_file;
    const lts_policy *policy;  /* loaded from policy_file, or NULL = the defaults */
} renew_cfg;

/* One journal entry (the last one seen for its path wins). */
typedef struct {
    char *path;
    char outcome[24];  /* renewed ok skipped failed not-a-signature pending */
    lts_format format;
    int64_t when;
    uint64_t size;
    int64_t mtime_ns;
    char sha256[65];
    lts_time prot_after;
    char *reason;
    size_t seq;        /* line order in the file */
} renew_jentry;

typedef struct {
    char *path;           /* the journal file */
    int fd;               /* append descriptor, -1 when not writing */
    renew_jentry *e;      /* sorted by path, unique */
    size_t n;
    pthread_mutex_t lock;
} renew_journal;

typedef struct {
    const renew_cfg *cfg;
    renew_item *items;
    size_t n_items;
    size_t next;               /* next item to take (under lock) */
    size_t done;
    size_t counts[RA_DUE + 1];
    size_t n_from_journal;
    struct timespec started;   /* CLOCK_MONOTONIC */
    int tty;
    size_t last_len;           /* of the progress line */
    pthread_mutex_t lock;
    renew_journal journal;
    lts_vdata_source *vdata;   /* shared, thread-safe (the cache) */
    lts_time now;
    int stop;                  /* SIGINT/SIGTERM seen: take no new file (under lock) */
    int stop_signal;
} renew_ctx;

/* renew_walk.c: collect the files under paths (regular files; symbolic links are reported,
 * never followed; the journal and temp files are left out, and stale temp files of an
 * interrupted run removed unless dry_run). *items is an array of *n, caller frees with
 * renew_items_free. Returns 0, or -1 after printing why. */
int renew_walk(char **paths, int n_paths, int dry_run, renew_item **items, size_t *n);
void renew_items_free(renew_item *items, size_t n);

/* renew_journal.c */
int renew_journal_open(renew_journal *j, const char *path, int writable);
void renew_journal_close(renew_journal *j);
const renew_jentry *renew_journal_find(const renew_journal *j, const char *path);
/* Append one entry and fsync; thread-safe. 0 or -1 (errno-style message printed). */
int renew_journal_append(renew_journal *j, const char *path, const char *outcome, lts_format fmt,
                         uint64_t size,
                         int64_t mtime_ns, const char *sha256, lts_time prot_after,
                         const char *reason);

/* renew_protect.c: until when the newest time-stamp of each signature of the file protects
 * it: min over signatures of min(TSA certificate notAfter, sunset of the imprint hash,
 * sunset of the TSA key size). RENEW_NO_PROTECTION when a signature has no time-stamp.
 * *how says how it was computed (one short line). 0, or -1 with lts_error_last() set. */
int renew_protection(const char *path, lts_format fmt, const char *detached, lts_time *out,
                     char *how, size_t how_cap);

/* Until when the validation policy says the signatures of a validated file are protected
 * (lts_policy_protection_until: newest archive/document time-stamp, else signature
 * time-stamp; TSA notAfter and the imprint hash's sunset): the earliest over the
 * signatures that have one; RENEW_FOREVER when none has one (then renew_protection decides). */
lts_time renew_protection_policy(const lts_report *r, const lts_policy *p);

/* renew_job.c: the worker thread body (arg: renew_ctx *). */
void *renew_worker(void *arg);
/* sha256 of a file as 64 hex digits. */
int renew_sha256_file(const char *path, char out[65]);

/* renew_report.c */
const char *renew_action_name(renew_action a);
void renew_progress(renew_ctx *ctx, const renew_item *it); /* call under ctx->lock */
void renew_summary(const renew_ctx *ctx, FILE *f);
double renew_elapsed(const renew_ctx *ctx); /* seconds since the start */
int renew_write_report(const renew_ctx *ctx, const char *path);
/* RFC 3339, or "none" / "unlimited" for the two special values. */
void renew_time_str(char *out, size_t cap, lts_time t);

#endif
