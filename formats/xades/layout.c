/* see ltsig/xades.h — recognising the Japanese e-prescription layout. */
#define LTS_MODULE "xades"
#include "xades_int.h"

#include <string.h>
#include "core/err.h"

lts_status lts_xades_detect_eprescription(const char *path, lts_xades_sign_opts *opts,
                                          int *found)
{
    lts_status rc = LTS_OK;
    xmlDocPtr doc = NULL;
    xmlNodePtr root, n, target = NULL, slot = NULL;

    *found = 0;
    LTS_TRY(lts_xades__parse_file(&doc, path));
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
    return rc;
}
