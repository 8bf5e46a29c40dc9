/* backend/backend_int.h — private to backend/: the openers of each implementation. */
#ifndef LTS_BACKEND_INT_H
#define LTS_BACKEND_INT_H

#include <ltsig/sys/signer.h>

lts_status lts_file__open(lts_signer **out, const char *rest, const lts_signer_opts *opts);
lts_status lts_pkcs11__open(lts_signer **out, const char *uri, const lts_signer_opts *opts);
lts_status lts_csc__open(lts_signer **out, const char *url, const lts_signer_opts *opts);

/** Convert a raw ECDSA r||s value (PKCS#11, CSC) to DER in out. */
lts_status lts_backend__ecdsa_raw_to_der(lts_buf *out, lts_span raw);

#endif
