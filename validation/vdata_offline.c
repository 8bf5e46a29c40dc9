/* validation/vdata_offline.c — a validation data source answering from the files of a
 * folder, never the network. Everything is read when the source is made; afterwards it is
 * read-only, hence thread-safe. See ltsig/vdata.h (lts_vdata_offline_new). */
#define LTS_MODULE "vdata"
#include "validation/validation_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

typedef struct {
    OCSP_RESPONSE *resp;
    OCSP_BASICRESP *bs;
    lts_buf der;
} ocsp_item;

typedef struct {
    lts_vdata_source base;
    STACK_OF(X509) *certs;
    STACK_OF(X509_CRL) *crls;
    ocsp_item *ocsps;
    size_t n_ocsps;
} offline_src;

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static lts_status add_ocsp(offline_src *o, lts_span d, const char *path)
{
    lts_status rc = LTS_OK;
    OCSP_RESPONSE *r = NULL;
    OCSP_BASICRESP *bs = NULL;
    ocsp_item *grown;
    lts_buf init = LTS_BUF_INIT;
    LTS_TRY(lts_vdata__ocsp_parse(d, &r, path));
    if (OCSP_response_status(r) != OCSP_RESPONSE_STATUS_SUCCESSFUL
        || (bs = OCSP_response_get1_basic(r)) == NULL) {
        ERR_clear_error();
        LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_OCSP_STATUS, "%s: not a successful basic OCSP "
                   "response", path);
    }
    LTS_ALLOC(grown = lts_realloc(o->ocsps, (o->n_ocsps + 1) * sizeof *grown));
    o->ocsps = grown;
    grown[o->n_ocsps].der = init;
    LTS_TRY(lts_buf_set(&grown[o->n_ocsps].der, d));
    grown[o->n_ocsps].resp = r;
    grown[o->n_ocsps].bs = bs;
    o->n_ocsps++;
    r = NULL;
    bs = NULL;
out:
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    return rc;
}

static lts_status add_crl(offline_src *o, lts_span d, const char *path)
{
    lts_status rc = LTS_OK;
    X509_CRL *c = NULL;
    LTS_TRY(lts_vdata__crl_parse(d, &c, path));
    LTS_ENSURE(sk_X509_CRL_push(o->crls, c), LTS_E_NOMEM, "out of memory");
    c = NULL;
out:
    X509_CRL_free(c);
    return rc;
}

/* A .der file: a certificate, else an OCSP response, else a CRL. */
static lts_status add_der(offline_src *o, lts_span d, const char *path)
{
    X509 *x = NULL;
    OCSP_RESPONSE *r = NULL;
    X509_CRL *c = NULL;
    lts_status rc = lts_vdata__x509_from_der(&x, d, path);
    if (rc == LTS_OK) {
        if (!sk_X509_push(o->certs, x)) {
            X509_free(x);
            return lts_err__set(LTS_E_NOMEM, LTS_MODULE, 0, "out of memory");
        }
        return LTS_OK;
    }
    if (lts_vdata__ocsp_parse(d, &r, path) == LTS_OK) {
        OCSP_RESPONSE_free(r);
        return add_ocsp(o, d, path);
    }
    if (lts_vdata__crl_parse(d, &c, path) == LTS_OK) {
        X509_CRL_free(c);
        return add_crl(o, d, path);
    }
    ERR_clear_error();
    return lts_err__set(LTS_E_INPUT, LTS_MODULE, LTS_VDATA_R_GARBAGE, "%s: neither a DER "
                        "certificate, an OCSP response nor a CRL", path);
}

static lts_status load_file(offline_src *o, const char *path, const char *name)
{
    lts_status rc = LTS_OK;
    lts_buf data = LTS_BUF_INIT;
    int cert = ends_with(name, ".pem") || ends_with(name, ".crt") || ends_with(name, ".cer");
    int crl = ends_with(name, ".crl"), ocsp = ends_with(name, ".ocsp"), der = ends_with(name, ".der");
    if (!cert && !crl && !ocsp && !der)
        goto out;
    LTS_TRY(lts_io__read_file(&data, path, LTS_VDATA_MAX_CRL));
    if (cert)
        LTS_TRY(lts_vdata__parse_certs(lts_buf_span(&data), o->certs, path));
    else if (crl)
        LTS_TRY(add_crl(o, lts_buf_span(&data), path));
    else if (ocsp)
        LTS_TRY(add_ocsp(o, lts_buf_span(&data), path));
    else
        LTS_TRY(add_der(o, lts_buf_span(&data), path));
out:
    lts_buf_dispose(&data);
    return rc;
}

static lts_status offline_issuer(lts_vdata_source *s, X509 *cert, X509 **out)
{
    offline_src *o = (offline_src *)s;
    char name[256];
    *out = NULL;
    for (int i = 0; i < sk_X509_num(o->certs); i++) {
        X509 *x = sk_X509_value(o->certs, i);
        if (lts_vdata__issued_by(cert, x)) {
            if (!X509_up_ref(x))
                return lts_err__ossl(LTS_E_CRYPTO, LTS_MODULE, "X509_up_ref");
            *out = x;
            return LTS_OK;
        }
    }
    return lts_err__set(LTS_E_NOTFOUND, LTS_MODULE, LTS_VDATA_R_NO_ISSUER, "no issuer "
                        "certificate for %s in the validation data folder",
                        lts_vdata__name(cert, name, sizeof name));
}

static lts_status offline_ocsp(lts_vdata_source *s, X509 *cert, X509 *issuer, lts_buf *out)
{
    offline_src *o = (offline_src *)s;
    const ocsp_item *best = NULL;
    lts_time best_t = 0, t;
    char name[256];
    for (size_t i = 0; i < o->n_ocsps; i++) {
        OCSP_SINGLERESP *single = NULL;
        ASN1_GENERALIZEDTIME *thisupd = NULL;
        if (!lts_vdata__ocsp_find(o->ocsps[i].bs, cert, issuer, &single))
            continue;
        OCSP_single_get0_status(single, NULL, NULL, &thisupd, NULL);
        if (lts_vdata__time(thisupd, &t) != LTS_OK)
            continue;
        if (best == NULL || t > best_t) {
            best = &o->ocsps[i];
            best_t = t;
        }
    }
    lts_error_clear();
    if (best == NULL)
        return lts_err__set(LTS_E_NOTFOUND, LTS_MODULE, LTS_VDATA_R_NO_SINGLE, "no OCSP response "
                            "for %s in the validation data folder",
                            lts_vdata__name(cert, name, sizeof name));
    return lts_buf_set(out, lts_buf_span(&best->der));
}

static lts_status offline_crl(lts_vdata_source *s, X509 *cert, X509 *issuer, lts_buf *out)
{
    offline_src *o = (offline_src *)s;
    lts_status rc = LTS_OK;
    X509_CRL *best = NULL;
    lts_time best_t = 0, t;
    EVP_PKEY *pk = X509_get0_pubkey(issuer);
    unsigned char *der = NULL;
    char name[256];
    int n;
    for (int i = 0; pk != NULL && i < sk_X509_CRL_num(o->crls); i++) {
        X509_CRL *c = sk_X509_CRL_value(o->crls, i);
        if (X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(issuer)) != 0
            || X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_issuer_name(cert)) != 0
            || X509_CRL_verify(c, pk) != 1
            || lts_vdata__time(X509_CRL_get0_lastUpdate(c), &t) != LTS_OK)
            continue;
        if (best == NULL || t > best_t) {
            best = c;
            best_t = t;
        }
    }
    ERR_clear_error();
    lts_error_clear();
    if (best == NULL)
        LTS_FAIL_R(LTS_E_NOTFOUND, LTS_VDATA_R_NO_SINGLE, "no CRL of %s in the validation data "
                   "folder", lts_vdata__name(issuer, name, sizeof name));
    n = i2d_X509_CRL(best, &der);
    LTS_OSSL(n > 0, "i2d_X509_CRL");
    LTS_TRY(lts_buf_set(out, lts_span_of(der, (size_t)n)));
out:
    OPENSSL_free(der);
    return rc;
}

static void offline_close(lts_vdata_source *s)
{
    offline_src *o = (offline_src *)s;
    sk_X509_pop_free(o->certs, X509_free);
    sk_X509_CRL_pop_free(o->crls, X509_CRL_free);
    for (size_t i = 0; i < o->n_ocsps; i++) {
        OCSP_BASICRESP_free(o->ocsps[i].bs);
        OCSP_RESPONSE_free(o->ocsps[i].resp);
        lts_buf_dispose(&o->ocsps[i].der);
    }
    lts_free(o->ocsps);
    lts_free(o);
}

static const lts_vdata_ops offline_ops = {
    LTS_VDATA_OPS_VERSION, "offline", offline_issuer, offline_ocsp, offline_crl, NULL,
    offline_close
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* see ltsig/vdata.h */
lts_status lts_vdata_offline_new(lts_vdata_source **out, const char *dir)
{
    lts_status rc = LTS_OK;
    offline_src *o = NULL;
    DIR *d = NULL;
    struct dirent *e;
    char **names = NULL, **grown;
    size_t n = 0;
    char path[4096];
    struct stat st;
    *out = NULL;
    LTS_ENSURE(dir != NULL && dir[0] != '\0', LTS_E_CONFIG, "no validation data folder given");
    LTS_ALLOC(o = lts_calloc(1, sizeof *o));
    o->base.ops = &offline_ops;
    LTS_ALLOC(o->certs = sk_X509_new_null());
    LTS_ALLOC(o->crls = sk_X509_CRL_new_null());
    d = opendir(dir);
    if (d == NULL)
        LTS_FAIL(errno == ENOENT ? LTS_E_NOTFOUND : LTS_E_IO, "%s: cannot open the validation "
                 "data folder: %s", dir, strerror(errno));
    /* Sorted, so that what is found does not depend on the order of readdir. */
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        LTS_ALLOC(grown = lts_realloc(names, (n + 1) * sizeof *grown));
        names = grown;
        LTS_ALLOC(names[n] = lts_strdup(e->d_name));
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        LTS_ENSURE(w > 0 && (size_t)w < sizeof path, LTS_E_INPUT, "%s: path too long", dir);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue; /* sub-folders, sockets, dangling links: not validation data */
        LTS_TRY(load_file(o, path, names[i]));
    }
    *out = &o->base;
    o = NULL;
out:
    for (size_t i = 0; i < n; i++)
        lts_free(names[i]);
    lts_free(names);
    if (d)
        closedir(d);
    if (o)
        offline_close(&o->base);
    return rc;
}
