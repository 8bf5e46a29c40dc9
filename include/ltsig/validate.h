/* ltsig — validation of signed files (ETSI EN 319 102-1). Owned by validation/. */
#ifndef LTSIG_VALIDATE_H
#define LTSIG_VALIDATE_H

#include "clock.h"
#include "report.h"

struct lts_policy;

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    unsigned int version;          /**< LTS_VALIDATE_OPTS_VERSION */
    const char *trust;             /**< PEM bundle file or folder of PEM files; NULL = none */
    const char *detached_content;  /**< the signed data of a detached signature, or NULL */
    int has_at;                    /**< validate at `at` instead of now */
    lts_time at;
    int offline;                   /**< never reach the network */
    long timeout_s;
    const lts_clock *clock;        /**< NULL = system clock */
    /* version 2 (appended) */
    const struct lts_policy *policy; /**< validation policy (ltsig/policy.h); NULL = the
                                      *   built-in default */
    int profile;                   /**< lts_profile (ltsig/policy.h): 0 none,
                                    *   LTS_PROFILE_ISO14533 to check ISO 14533 */
    /* version 3 (appended) */
    const char *vdata_dir;         /**< a folder of certificates, CRLs and OCSP responses
                                    *   (lts_vdata_offline_new): an extra offline source of
                                    *   revocation data, used even with `offline`; NULL none */
} lts_validate_opts;
#define LTS_VALIDATE_OPTS_VERSION 3
#define LTS_VALIDATE_OPTS_INIT \
    { LTS_VALIDATE_OPTS_VERSION, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 0, NULL }

typedef enum {
    LTS_FORMAT_UNKNOWN = 0,
    LTS_FORMAT_CADES,
    LTS_FORMAT_XADES,
    LTS_FORMAT_PADES
} lts_format;

/** Guess the format of a file from its first bytes (%PDF, '<', DER/PEM CMS). */
LTS_API LTS_MUST_USE lts_status lts_format_detect(const char *path, lts_format *out);

/** Validate every signature of the file at `path`. A verdict (even TOTAL_FAILED) is
 *  LTS_OK with *out filled; an error (unreadable file, not a signature at all) is a
 *  failure status with *out NULL. */
LTS_API LTS_MUST_USE lts_status lts_validate_file(const char *path, const lts_validate_opts *o,
                                                 lts_report **out);

#ifdef __cplusplus
}
#endif
#endif
