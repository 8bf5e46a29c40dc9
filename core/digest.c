/* see core/digest.h and ltsig/alg.h */
#define LTS_MODULE "core"
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "err.h"
#include "io.h"
#include "mem.h"

size_t lts_hash_size(lts_hash h)
{
    switch (h) {
    case LTS_HASH_SHA256: return 32;
    case LTS_HASH_SHA384: return 48;
    case LTS_HASH_SHA512: return 64;
    case LTS_HASH_SHA1: return 20;
    case LTS_HASH_NONE:
    default: return 0;
    }
}

const char *lts_hash_name(lts_hash h)
{
    switch (h) {
    case LTS_HASH_SHA256: return "SHA-256";
    case LTS_HASH_SHA384: return "SHA-384";
    case LTS_HASH_SHA512: return "SHA-512";
    case LTS_HASH_SHA1: return "SHA-1";
    case LTS_HASH_NONE:
    default: return "?";
    }
}

lts_status lts_hash_parse(lts_hash *out, const char *name)
{
    static const struct { const char *a, *b; lts_hash h; } names[] = {
        { "sha256", "sha-256", LTS_HASH_SHA256 },
        { "sha384", "sha-384", LTS_HASH_SHA384 },
        { "sha512", "sha-512", LTS_HASH_SHA512 },
    };
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i].a) == 0 || strcasecmp(name, names[i].b) == 0) {
            *out = names[i].h;
            return LTS_OK;
        }
    }
    return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0,
                        "unsupported digest '%s' (use sha256, sha384 or sha512)",
                        name ? name : "");
}

const char *lts_scheme_name(lts_scheme s)
{
    switch (s) {
    case LTS_SCHEME_RSA_PKCS1: return "RSA";
    case LTS_SCHEME_RSA_PSS: return "RSA-PSS";
    case LTS_SCHEME_ECDSA: return "ECDSA";
    case LTS_SCHEME_NONE:
    default: return "?";
    }
}

const EVP_MD *lts_hash__md(lts_hash h)
{
    switch (h) {
    case LTS_HASH_SHA256: return EVP_sha256();
    case LTS_HASH_SHA384: return EVP_sha384();
    case LTS_HASH_SHA512: return EVP_sha512();
    case LTS_HASH_SHA1: return EVP_sha1();
    case LTS_HASH_NONE:
    default: return NULL;
    }
}

int lts_hash__nid(lts_hash h)
{
    const EVP_MD *md = lts_hash__md(h);
    return md ? EVP_MD_get_type(md) : NID_undef;
}

lts_hash lts_hash__from_nid(int nid)
{
    switch (nid) {
    case NID_sha256: return LTS_HASH_SHA256;
    case NID_sha384: return LTS_HASH_SHA384;
    case NID_sha512: return LTS_HASH_SHA512;
    case NID_sha1: return LTS_HASH_SHA1;
    default: return LTS_HASH_NONE;
    }
}

lts_status lts_digest__span(lts_hash h, lts_span data, uint8_t *out, size_t *outlen)
{
    lts_status rc = LTS_OK;
    const EVP_MD *md = lts_hash__md(h);
    unsigned int len = 0;
    LTS_ENSURE(md != NULL, LTS_E_UNSUPPORTED, "unknown digest algorithm %d", (int)h);
    LTS_OSSL(EVP_Digest(data.p, data.n, out, &len, md, NULL) == 1, "EVP_Digest");
    *outlen = len;
out:
    return rc;
}

lts_status lts_digest__file(lts_hash h, const char *path, const lts_range *ranges, size_t nr,
                            uint8_t *out, size_t *outlen)
{
    lts_status rc = LTS_OK;
    const EVP_MD *md = lts_hash__md(h);
    EVP_MD_CTX *ctx = NULL;
    uint8_t *block = NULL;
    int fd = -1;
    struct stat st;
    unsigned int len = 0;
    lts_range whole;

    LTS_ENSURE(md != NULL, LTS_E_UNSUPPORTED, "unknown digest algorithm %d", (int)h);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        LTS_FAIL(LTS_E_IO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0)
        LTS_FAIL(LTS_E_IO, "%s: %s", path, strerror(errno));
    LTS_ENSURE(S_ISREG(st.st_mode), LTS_E_INPUT, "%s: not a regular file", path);
    if (ranges == NULL) {
        whole.off = 0;
        whole.len = (uint64_t)st.st_size;
        ranges = &whole;
        nr = 1;
    }
    LTS_ALLOC(block = lts_malloc(LTS_IO_BLOCK));
    LTS_ALLOC(ctx = EVP_MD_CTX_new());
    LTS_OSSL(EVP_DigestInit_ex(ctx, md, NULL) == 1, "EVP_DigestInit_ex");
    for (size_t i = 0; i < nr; i++) {
        uint64_t off = ranges[i].off, left = ranges[i].len;
        LTS_ENSURE(off <= (uint64_t)st.st_size && left <= (uint64_t)st.st_size - off,
                   LTS_E_INPUT, "%s: byte range %llu+%llu lies outside the file (%lld bytes)",
                   path, (unsigned long long)off, (unsigned long long)left,
                   (long long)st.st_size);
        while (left > 0) {
            size_t chunk = left < LTS_IO_BLOCK ? (size_t)left : LTS_IO_BLOCK;
            LTS_TRY(lts_io__pread_full(fd, block, chunk, off, path));
            LTS_OSSL(EVP_DigestUpdate(ctx, block, chunk) == 1, "EVP_DigestUpdate");
            off += chunk;
            left -= chunk;
        }
    }
    LTS_OSSL(EVP_DigestFinal_ex(ctx, out, &len) == 1, "EVP_DigestFinal_ex");
    *outlen = len;
out:
    EVP_MD_CTX_free(ctx);
    lts_free(block);
    if (fd >= 0)
        close(fd);
    return rc;
}
