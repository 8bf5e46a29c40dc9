/* tests/fuzz/fuzz_p11uri.c — the PKCS#11 URI parser (RFC 7512, lts_p11__uri_parse).
 * Input: the URI text (made NUL-terminated here; bytes after a NUL are ignored by the
 * parser, as they would be in a C string). A parsed URI must give back consistent fields. */
#include <ltsig/status.h>
#include "p11_int.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    lts_p11_uri u;
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    if (lts_p11__uri_parse(&u, s) == LTS_OK) {
        if (u.has_key_id && u.key_id_len > LTS_P11_ID_MAX)
            abort();
        if (u.sessions > LTS_P11_MAX_SESSIONS)
            abort();
        lts_p11__uri_free(&u);
    } else {
        /* a failed parse leaves the struct empty */
        if (u.token || u.object || u.key_id || u.module_path || u.pin_source)
            abort();
    }
    free(s);
    return 0;
}
