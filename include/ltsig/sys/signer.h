/* ltsig — for people writing signer backends (less stable than ltsig/signer.h).
 *
 * A backend embeds `lts_signer` as the FIRST member of its own struct and points
 * base.ops at a static const ops table. backend/signer.c refuses an unknown version or a
 * missing required method; a NULL optional method means "not supported". New methods are
 * only ever appended, with a version bump (cf. SQLite's sqlite3_vfs, libgit2's
 * git_odb_backend). */
#ifndef LTSIG_SYS_SIGNER_H
#define LTSIG_SYS_SIGNER_H

#include <openssl/x509.h>
#include "../signer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lts_signer_ops {
    unsigned int version; /**< LTS_SIGNER_OPS_VERSION */
    const char *name;     /**< "file", "pkcs11", "csc" */
    /** Required. The chain, leaf first; *out is new and owned by the caller. */
    lts_status (*chain)(lts_signer *s, STACK_OF(X509) **out);
    /** Required. Sign n digests (one authorisation for the batch). out[i] are empty
     *  lts_buf to fill; ECDSA values DER-encoded. On failure leave them empty or not:
     *  the core disposes them. */
    lts_status (*sign)(lts_signer *s, lts_sig_alg alg, const lts_span *digests, size_t n,
                       lts_buf *out);
    /** Required. Release everything; wipe secrets. Frees s itself. */
    void (*close)(lts_signer *s);
} lts_signer_ops;
#define LTS_SIGNER_OPS_VERSION 1

/** The part of every signer the core manages. Backends set `ops` and leave the rest zero. */
struct lts_signer {
    const lts_signer_ops *ops;
    STACK_OF(X509) *chain; /**< cached by the core after open; leaf first */
};

/** A backend's opener: make *out from the part of the URI after "scheme:". */
typedef lts_status (*lts_signer_open_fn)(lts_signer **out, const char *rest,
                                         const lts_signer_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
