/* backend/pkcs11/p11_int.h — private to backend/pkcs11/ and its unit tests.
 *
 * Deliberately free of <p11-kit/pkcs11.h>: that header, in its compatibility mode, #defines
 * common words (value, count, slot_id, serial_number, library_description ...), so structs
 * shared with code that does not include it must not use such names. */
#ifndef LTS_P11_INT_H
#define LTS_P11_INT_H

#include <stddef.h>
#include <stdint.h>
#include <ltsig/sys/signer.h>

#define LTS_P11_URI_MAX 4096       /* longest URI we accept, in bytes */
#define LTS_P11_ID_MAX 256         /* longest decoded id= value */
#define LTS_P11_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define LTS_P11_DEFAULT_SESSIONS 4 /* signing sessions kept open per signer */
#define LTS_P11_MAX_SESSIONS 64

/** A parsed RFC 7512 URI. Strings are percent-decoded, NUL-terminated, owned (lts_free);
 *  NULL when the attribute was absent. */
typedef struct {
    /* path attributes: the token */
    char *token;          /* token=        CK_TOKEN_INFO.label */
    char *manuf;          /* manufacturer= CK_TOKEN_INFO.manufacturerID */
    char *tok_serial;     /* serial=       CK_TOKEN_INFO.serialNumber */
    char *tok_model;      /* model=        CK_TOKEN_INFO.model */
    /* the slot */
    char *slot_desc;      /* slot-description= */
    char *slot_manuf;     /* slot-manufacturer= */
    int has_slot_num;     /* slot-id= given */
    unsigned long slot_num;
    /* the library (module) */
    char *lib_manuf;      /* library-manufacturer= */
    char *lib_desc;       /* library-description= */
    int has_lib_ver;      /* library-version=M[.N] given */
    unsigned lib_major, lib_minor;
    /* the object */
    char *object;         /* object=  CKA_LABEL */
    uint8_t *key_id;      /* id=      CKA_ID, raw bytes */
    size_t key_id_len;
    int has_key_id;
    char *obj_type;       /* type=    only "private" is accepted for a signer */
    /* query attributes */
    char *module_path;    /* module-path= (absolute) */
    char *module_name;    /* module-name= (not supported: reported as such) */
    char *pin_source;     /* pin-source= file:PATH or an absolute path */
    int has_pin_value;    /* pin-value= was given (refused by the opener) */
    unsigned sessions;    /* x-sessions=N (1..LTS_P11_MAX_SESSIONS); 0 = default */
} lts_p11_uri;

/** Parse `uri` ("pkcs11:..."). On failure *out is left empty and the error is LTS_E_CONFIG
 *  with a message naming the attribute or offset (never a pin-value). */
lts_status lts_p11__uri_parse(lts_p11_uri *out, const char *uri);
/** Free what a parse filled in; the struct is zeroed. NULL is a no-op. */
void lts_p11__uri_free(lts_p11_uri *u);

/** Tests only: ask the token for the private key's CKA_VALUE and its CKA_SENSITIVE and
 *  CKA_EXTRACTABLE flags. *value_rv gets the CK_RV of C_GetAttributeValue(CKA_VALUE)
 *  (CKR_ATTRIBUTE_SENSITIVE = 0x11 when the token refuses), *sensitive and *extractable
 *  the flags (-1 when unreadable). s must be a pkcs11 signer. */
lts_status lts_pkcs11__probe_key(lts_signer *s, unsigned long *value_rv, int *sensitive,
                                 int *extractable);

#endif
