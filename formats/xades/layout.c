/* see ltsig/xades.h — recognising the Japanese e-prescription layout. */
#define LTS_MODULE "xades"
#include "xades_int.h"

#include <string.h>
#include <strings.h>
#include "core/err.h"
#include "core/io.h"

/* Is the text in an encoding where the ASCII letters of an element name are their ASCII
 * bytes (UTF-8, ASCII, ISO-8859-x, Shift_JIS, EUC-JP)? Unsure answers are 0. */
static int ascii_names(const uint8_t *p, size_t n)
{
    static const char *const ok[] = { "utf-8", "us-ascii", "iso-8859-", "shift_jis", "euc-jp" };
    const char *decl_end, *enc;
    size_t dn;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        p += 3;
        n -= 3;
    }
    if (n < 4 || memchr(p, 0, 4) != NULL)
        return 0; /* UTF-16/32 */
    if (p[0] != '<' && p[0] != ' ' && p[0] != '\t' && p[0] != '\r' && p[0] != '\n')
        return 0; /* EBCDIC and the like */
    if (n < 5 || memcmp(p, "<?xml", 5) != 0)
        return 1; /* no declaration: UTF-8 */
    dn = n < 512 ? n : 512;
    decl_end = memmem(p, dn, "?>", 2);
    if (decl_end == NULL)
        return 0;
    dn = (size_t)(decl_end - (const char *)p);
    enc = memmem(p, dn, "encoding", 8);
    if (enc == NULL)
        return 1;
    enc += 8;
    while (enc < decl_end && (*enc == ' ' || *enc == '=' || *enc == '\'' || *enc == '"' ||
                              *enc == '\t' || *enc == '\r' || *enc == '\n'))
        enc++;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if ((size_t)(decl_end - enc) >= strlen(ok[i]) && strncasecmp(enc, ok[i], strlen(ok[i])) == 0)
            return 1;
    return 0;
}

lts_status lts_xades_detect_eprescription(const char *path, lts_xades_sign_opts *opts,
                                          int *found)
{
    lts_status rc = LTS_OK;
    xmlDocPtr doc = NULL;
    xmlNodePtr root, n, target = NULL, slot = NULL;
    lts_buf data = LTS_BUF_INIT;

    *found = 0;
    /* one read; the tree only when the name can be there at all (a 10 MB document
     * without it is not parsed twice: signing parses it anyway) */
    LTS_TRY(lts_io__read_file(&data, path, LTS_XADES_MAX_DOC));
    if (ascii_names(data.p, data.n) &&
        memmem(data.p, data.n, "PrescriptionDocument", 20) == NULL)
        goto out;
    LTS_TRY(lts_xades__parse(&doc, lts_buf_span(&data), path));
    root = xmlDocGetRootElement(doc);
    for (n = root; n; n = lts_xades__next(n, root)) {
        const char *id = lts_xades__attr(n, "Id");
        if (id == NULL)
            id = lts_xades__attr(n, "id");
        if (lts_xades__is(n, "PrescriptionDocument", NULL) && target == NULL && id &&
            strcmp(id, "PrescriptionDocument") == 0)
            target = n;
        else if (lts_xades__is(n, "PrescriptionSign", NULL) && lts_xades__first_el(n) == NULL)
            slot = n;
    }
    if (target == NULL || target == root)
        goto out;
    opts->packaging = LTS_XADES_INTERNAL;
    opts->target_id = "PrescriptionDocument";
    opts->placement = slot ? "PrescriptionSign" : NULL;
    if (opts->signature_id == NULL)
        opts->signature_id = "PrescriptionSign";
    opts->keyinfo_reference = 1;
    *found = 1;
out:
    xmlFreeDoc(doc);
    lts_buf_dispose(&data);
    return rc;
}
