/* see ltsig/validate.h: format detection and the dispatch to each format's process. */
#define LTS_MODULE "validate"
#include "validation_int.h"

#include <stdio.h>
#include <ltsig/policy.h>
#include <ltsig/vdata.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

lts_status lts_format_detect(const char *path, lts_format *out)
{
    lts_status rc = LTS_OK;
    uint8_t head[64];
    ssize_t n;
    size_t i = 0;
    uint64_t size = 0;
    int fd = -1;

    *out = LTS_FORMAT_UNKNOWN;
    LTS_TRY(lts_io__file_size(path, &size));
    LTS_ENSURE(size > 0, LTS_E_INPUT, "%s: empty file", path);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        LTS_FAIL(LTS_E_IO, "%s: %s", path, strerror(errno));
    n = read(fd, head, sizeof head);
    if (n <= 0)
        LTS_FAIL(LTS_E_IO, "%s: cannot read", path);
    if ((size_t)n >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf)
        i = 3; /* UTF-8 BOM */
    while (i < (size_t)n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
        i++;
    if ((size_t)n >= 5 && memcmp(head, "%PDF-", 5) == 0)
        *out = LTS_FORMAT_PADES;
    else if (i < (size_t)n && head[i] == '<')
        *out = LTS_FORMAT_XADES;
    else if (head[0] == 0x30 || (i + 10 < (size_t)n && memcmp(head + i, "-----BEGIN", 10) == 0))
        *out = LTS_FORMAT_CADES;
    else
        LTS_FAIL(LTS_E_INPUT, "%s: not a signature this tool knows (expected CMS, XML or PDF)",
                 path);
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* A time-stamp that no longer matches the data it covers (HASH_FAILURE) or whose own
 * signature is broken (SIG_CRYPTO_FAILURE) is evidence that the file was changed after it
 * was made. EN 319 102-1 would merely ignore it as a proof of existence; for a long-term
 * archive that hides tampering, so the signature is failed with the time-stamp's reason. */
static lts_status fail_on_broken_timestamps(lts_report *r)
{
    lts_status rc = LTS_OK;
    for (size_t i = 0; i < r->n_sigs; i++) {
        lts_sig_result *s = &r->sigs[i];
        for (size_t k = 0; k < s->n_timestamps; k++) {
            const lts_ts_result *t = &s->timestamps[k];
            if (t->indication != LTS_IND_TOTAL_FAILED ||
                (t->subindication != LTS_SUB_HASH_FAILURE &&
                 t->subindication != LTS_SUB_SIG_CRYPTO_FAILURE))
                continue;
            if (s->indication != LTS_IND_TOTAL_FAILED)
                LTS_TRY(lts_report__msg(s, "the %s does not match what it covers (%s): the file "
                                        "was changed after it was made",
                                        t->kind ? t->kind : "time-stamp",
                                        lts_subindication_name(t->subindication)));
            lts_report__lower(&s->indication, &s->subindication, LTS_IND_TOTAL_FAILED,
                              t->subindication);
        }
    }
out:
    return rc;
}

lts_status lts_validate_file(const char *path, const lts_validate_opts *o, lts_report **out)
{
    lts_status rc = LTS_OK;
    lts_report *r = NULL;
    lts_format fmt = LTS_FORMAT_UNKNOWN;
    lts_validate_opts def = LTS_VALIDATE_OPTS_INIT;

    *out = NULL;
    if (o == NULL)
        o = &def;
    LTS_ENSURE(o->version >= 1, LTS_E_CONFIG, "validation options not initialised");
    LTS_TRY(lts_format_detect(path, &fmt));
    LTS_ALLOC(r = lts_calloc(1, sizeof *r));
    LTS_ALLOC(r->file = lts_strdup(path));
    r->validation_time = o->has_at ? o->at : lts_clock_now(o->clock);
    switch (fmt) {
    case LTS_FORMAT_CADES: LTS_TRY(lts_validation__cades(path, o, r)); break;
    case LTS_FORMAT_XADES: LTS_TRY(lts_validation__xades(path, o, r)); break;
    case LTS_FORMAT_PADES: LTS_TRY(lts_validation__pades(path, o, r)); break;
    case LTS_FORMAT_UNKNOWN:
    default: LTS_FAIL(LTS_E_INPUT, "%s: unknown format", path);
    }
    LTS_TRY(lts_validation__after(path, (int)fmt, o, r)); /* facts, policy, profile */
    LTS_TRY(fail_on_broken_timestamps(r));
    LTS_TRY(lts_validation__revocation(path, (int)fmt, o, r)); /* CAs, TSAs, signer online */
    lts_report__finish(r);
    *out = r;
    r = NULL;
out:
    lts_report_free(r);
    return rc;
}
