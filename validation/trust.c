/* see validation/validation_int.h (chain/trust): trust anchors from PEM files. */
#define LTS_MODULE "validate"
#include "validation_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include "core/err.h"
#include "core/io.h"

/* Largest trust file we read (a full CA bundle is a few hundred KiB). */
#define TRUST_FILE_MAX ((size_t)16 << 20)

/* Add every PEM certificate of the file to the store; *added counts them. */
static lts_status add_file(X509_STORE *st, const char *path, size_t *added)
{
    lts_status rc = LTS_OK;
    lts_buf data = LTS_BUF_INIT;
    BIO *bio = NULL;
    X509 *x = NULL;

    LTS_TRY(lts_io__read_file(&data, path, TRUST_FILE_MAX));
    LTS_ENSURE(data.n <= INT_MAX, LTS_E_INPUT, "%s: too large", path);
    LTS_ALLOC(bio = BIO_new_mem_buf(data.p, (int)data.n));
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        /* a certificate listed twice is fine */
        if (X509_STORE_add_cert(st, x) != 1)
            ERR_clear_error();
        X509_free(x);
        x = NULL;
        (*added)++;
    }
    ERR_clear_error(); /* the loop ends on "no start line" */
out:
    X509_free(x);
    BIO_free(bio);
    lts_buf_dispose(&data);
    return rc;
}

static lts_status add_dir(X509_STORE *st, const char *dir, size_t *added)
{
    lts_status rc = LTS_OK;
    DIR *d = NULL;
    struct dirent *e;
    char path[PATH_MAX];
    struct stat sb;

    if ((d = opendir(dir)) == NULL)
        LTS_FAIL(LTS_E_IO, "%s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
            continue;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        LTS_TRY(add_file(st, path, added));
    }
out:
    if (d)
        closedir(d);
    return rc;
}

lts_status lts_trust__load(X509_STORE **out, const char *path)
{
    lts_status rc = LTS_OK;
    X509_STORE *st = NULL;
    struct stat sb;
    size_t added = 0;

    *out = NULL;
    LTS_ALLOC(st = X509_STORE_new());
    if (path != NULL) {
        if (stat(path, &sb) != 0)
            LTS_FAIL(LTS_E_IO, "trust anchors %s: %s", path, strerror(errno));
        if (S_ISDIR(sb.st_mode))
            LTS_TRY(add_dir(st, path, &added));
        else
            LTS_TRY(add_file(st, path, &added));
        LTS_ENSURE(added > 0, LTS_E_INPUT, "trust anchors %s: no PEM certificate found", path);
    }
    *out = st;
    st = NULL;
out:
    X509_STORE_free(st);
    return rc;
}
