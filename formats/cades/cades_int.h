/* formats/cades/cades_int.h — private to formats/cades: the parsed CMS and the helpers the
 * signing, checking and extending files share. */
#ifndef LTS_CADES_INT_H
#define LTS_CADES_INT_H

#include <openssl/cms.h>
#include <openssl/x509.h>
#include <ltsig/cades.h>
#include <ltsig/vdata.h>
#include "core/oid.h"

struct lts_cades {
    CMS_ContentInfo *cms;  /* decoded */
    lts_buf der;           /* the exact bytes that were parsed (PEM already decoded) */
    lts_buf *certs;        /* DER of each embedded certificate, in order */
    size_t n_certs;
};

/** Append the DER of an OpenSSL object made by i2d (len < 0 is an error). */
lts_status lts_cades__append_i2d(lts_buf *b, unsigned char *der, int len, const char *what);

/** The signature AlgorithmIdentifier for alg as DER (RFC 5754, RFC 4055, RFC 5758). */
lts_status lts_cades__sig_algid(lts_buf *out, lts_sig_alg alg);
/** The digest AlgorithmIdentifier of h (parameters absent, RFC 5754 §2). */
lts_status lts_cades__md_algid(lts_buf *out, lts_hash h);

/** Read the signature algorithm of a SignerInfo (the digest from digestAlgorithm, the
 *  scheme and PSS parameters from signatureAlgorithm). LTS_E_UNSUPPORTED when unknown. */
lts_status lts_cades__si_alg(CMS_SignerInfo *si, lts_sig_alg *out, int *pss_saltlen,
                             lts_hash *pss_mgf_hash);

/** DER SET OF the signed attributes of si, as signed (RFC 5652 §5.4). */
lts_status lts_cades__signed_attrs_der(CMS_SignerInfo *si, lts_buf *out);

/** Copy der (a ContentInfo with SignedData, definite lengths) appending add[i][0..n_add[i]-1]
 *  (DER Attributes) to the unsignedAttrs of SignerInfo i; everything else byte for byte. */
lts_status lts_cades__splice(lts_buf *out, lts_span der, const lts_buf *const *add,
                             const size_t *n_add, size_t n_signers);
/** What lts_cades__splice2 adds. */
typedef struct {
    const lts_buf *const *add;  /* per SignerInfo: DER Attributes for unsignedAttrs */
    const size_t *n_add;        /* NULL: none */
    size_t n_signers;
    const lts_span *certs;      /* DER certificates for SignedData.certificates */
    size_t n_certs;
    const lts_span *revs;       /* DER RevocationInfoChoices for SignedData.crls */
    size_t n_revs;
    int version;                /* 5: rewrite the SignedData version (other revocation
                                 * info formats, RFC 5652 §5.1); 0: keep */
} lts_cades__splice_in;
lts_status lts_cades__splice2(lts_buf *out, lts_span der, const lts_cades__splice_in *in);

/** Extend the parsed c as o says into out (DER). */
lts_status lts_cades__extend_der(lts_buf *out, const lts_cades *c, const lts_cades_extend_opts *o);
/** Collect the validation data of certificate idx of owner (what names it in messages).
 *  revoked_before: non-zero refuses a certificate revoked at or before it (see vdata.h). */
lts_status lts_cades__collect(const lts_cades *owner, long idx, const lts_cades_extend_opts *o,
                              const char *what, lts_time revoked_before, lts_vdata_bundle *b);
/** The first proof of existence of SignerInfo i: its earliest time-stamp's genTime, or now. */
lts_status lts_cades__first_poe(const lts_cades *c, size_t i, const lts_cades_extend_opts *o,
                                lts_time *out);
/** ES-XL (TS 101 733 §7.4, §7.6, ISO 14533-1): add complete-certificate-references,
 *  complete-revocation-references, certificate-values and revocation-values to every
 *  SignerInfo of c that has none. */
lts_status lts_cades__add_xl(lts_buf *out, const lts_cades *c, const lts_cades_extend_opts *o);

/** 1 when SignerInfo i carries certificate-values (ES-X Long). */
int lts_cades__has_xl(const lts_cades *c, size_t i);

/** B-LT: add the validation data of c's signers and time-stamps (c already B-T). */
lts_status lts_cades__add_ltv(lts_buf *out, const lts_cades *c, const lts_cades_extend_opts *o);

/** The original encodings of a SignedData and of one of its SignerInfos (definite
 *  lengths only); spans into the parsed bytes. */
typedef struct {
    lts_span econtent_type;    /* eContentType TLV */
    lts_span *certs;           /* each CertificateChoices TLV */
    size_t n_certs;
    lts_span *crls;            /* each RevocationInfoChoice TLV */
    size_t n_crls;
    lts_span fields[8];        /* SignerInfo version .. signature TLVs */
    size_t n_fields;
    lts_span *uattrs;          /* each unsigned Attribute TLV */
    size_t n_uattrs;
} lts_cades__layout;
lts_status lts_cades__layout_of(lts_span der, size_t signer, lts_cades__layout *l);
void lts_cades__layout_dispose(lts_cades__layout *l);
/** ATSHashIndexV3 (DER) of what l holds now. */
lts_status lts_cades__ats_index(lts_buf *out, lts_hash h, const lts_cades__layout *l);
/** The archive-time-stamp-v3 message imprint (EN 319 122-1 §5.5.3). */
lts_status lts_cades__ats_imprint(uint8_t *dg, size_t *dn, lts_hash h,
                                  const lts_cades__layout *l, lts_span content_hash,
                                  lts_span index);
/** The hash of the signed content with h (see ats.c). */
lts_status lts_cades__content_hash(const lts_cades *c, size_t signer, lts_hash h, uint8_t *dg,
                                   size_t *dn);
/** Attribute { oid, SET { value } }. */
lts_status lts_cades__attr(lts_buf *out, lts_oid oid, lts_span value);
/** B-LTA: append an archive-time-stamp-v3 to every SignerInfo of c. */
lts_status lts_cades__add_ats(lts_buf *out, const lts_cades *c, const lts_cades_extend_opts *o);

#endif
