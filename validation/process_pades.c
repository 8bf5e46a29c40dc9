/* The PAdES validation process. Not implemented yet. */
#define LTS_MODULE "validate"
#include "validation_int.h"

#include "core/err.h"

lts_status lts_validation__pades(const char *path, const lts_validate_opts *o, lts_report *r)
{
    (void)o;
    (void)r;
    return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0,
                        "%s: validation of PAdES signatures is not built yet", path);
}
