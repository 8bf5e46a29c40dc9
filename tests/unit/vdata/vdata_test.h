/* tests/unit/vdata/vdata_test.h — helpers shared by the vdata suites: PKI certificates as
 * DER, free loopback ports, helper processes (started and stopped by the suites). */
#ifndef LTS_VDATA_TEST_H
#define LTS_VDATA_TEST_H

#include <pthread.h>
#include <sys/types.h>
#include "lts_test.h"
#include "validation/validation_int.h"
#include "core/io.h"

/** DER of the first certificate of PKI file `name` ("signer-rsa.pem"); LTS_OK or fails. */
lts_status vt_cert_der(const char *name, lts_buf *out);
/** The X509 of PKI file `name` (caller frees), or NULL. */
X509 *vt_cert(const char *name);
/** A TCP port on 127.0.0.1 that nothing listens on right now. */
int vt_free_port(void);
/** Wait (at most 10 s) until something LISTENs on port (reads /proc, never connects). */
int vt_wait_listen(int port);
/** Start argv[0] with argv (stdout/stderr to log, or /dev/null when NULL); pid or -1. */
pid_t vt_spawn(char *const argv[], const char *log);
/** SIGTERM, then SIGKILL after 3 s; reap. */
void vt_stop(pid_t pid);
/** Seconds since an arbitrary point (monotonic). */
double vt_now(void);
/** 1 when the phase (env LTS_VDATA_PHASE) is `name`, or when no phase is set and name is
 *  "all". */
int vt_phase(const char *name);
/** A fresh online source with the PKI's root as trust and timeout_s. */
lts_vdata_source *vt_online(long timeout_s);
/** Trust anchors for collect: the PKI root. */
void vt_collect_opts(lts_vdata_collect_opts *o);

/** A source that counts the calls it passes on to `inner` (which it owns): a second
 *  implementation of lts_vdata_ops, as a third-party source would be. */
typedef struct {
    lts_vdata_source base;
    lts_vdata_source *inner;
    pthread_mutex_t mu;
    int n_issuer, n_ocsp, n_crl;
} vt_counting;
vt_counting *vt_counting_new(lts_vdata_source *inner);

#endif
