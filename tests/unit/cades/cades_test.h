/* tests/unit/cades: helpers shared by the suites of this folder. */
#ifndef LTS_CADES_TEST_H
#define LTS_CADES_TEST_H

#include <ltsig/ltsig.h>

/** 2026-01-15T10:00:00Z, inside the validity of the test PKI certificates. */
#define CT_TIME ((lts_time)1768471200)
extern const lts_clock ct_clock;

/** Open signer-NAME.p12 of the test PKI (NULL on failure, with a CUnit failure). */
lts_signer *ct_signer(const char *name);
/** Write bytes to a file in the test temp folder; returns its path (static, slot). */
const char *ct_write(int slot, const char *name, lts_span data);
/** Run a shell command; its exit status. */
int ct_sh(const char *fmt, ...);
/** Sign `content` (written to a temp file) with opts into out. */
lts_status ct_sign(lts_buf *out, lts_signer *s, const char *content,
                   const lts_cades_sign_opts *o);

#endif
