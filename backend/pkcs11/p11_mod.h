/* backend/pkcs11/p11_mod.h — private to the .c files of backend/pkcs11: loaded modules and their
 * process-wide state (initialisation, login per slot), and CK_RV names.
 *
 * PKCS#11 state is per process by the standard (v2.40 §5.4, §5.6): C_Initialize and
 * C_Finalize act on the whole process, and the login state of a token is shared by all the
 * sessions an application has with it. Two signers over one module therefore must share
 * one initialisation and one login; p11_module.c keeps that shared state in one
 * mutex-protected table. That table mirrors state which the module itself already keeps per
 * process; it is the only static state of this backend. */
#ifndef LTS_P11_MOD_H
#define LTS_P11_MOD_H

#include <p11-kit/pkcs11.h>
#include <ltsig/buf.h>

typedef struct p11_module p11_module;

/** Load (dlopen) and initialise (C_Initialize, CKF_OS_LOCKING_OK) the module at `path`, or
 *  take one more reference on it when it is already loaded. *fl is the function list. */
lts_status lts_p11__module_get(p11_module **out, CK_FUNCTION_LIST_PTR *fl, const char *path);
/** Drop a reference; the last one calls C_Finalize (if we initialised it) and dlclose. */
void lts_p11__module_put(p11_module *m);

/** Log the user in on `slot` through session h with `pin`, or, when another signer of this
 *  process is logged in already, check that `pin` is the one it used (a salted SHA-256 kept
 *  in memory; the token cannot be asked twice). LTS_E_AUTH for a refused PIN; the message
 *  names `what` (the token) and never holds the PIN. On success the caller holds one
 *  login reference on the slot, released by lts_p11__slot_close(). */
lts_status lts_p11__login(p11_module *m, CK_SLOT_ID slot, CK_SESSION_HANDLE h, lts_span pin,
                          const char *what);
/** Close the n sessions (under the table's lock, so that a concurrent login sees a
 *  consistent state) and, when `logged_in`, drop the login reference on the slot. */
void lts_p11__slot_close(p11_module *m, CK_SLOT_ID slot, int logged_in,
                         const CK_SESSION_HANDLE *sessions, size_t n);

/** "CKR_PIN_INCORRECT" ...; a static "CKR_0x..." form for unknown values (thread-safe: the
 *  unknown form is written into buf, of at least 24 bytes). */
const char *lts_p11__rv_name(CK_RV rv, char *buf, size_t bufsz);

#endif
