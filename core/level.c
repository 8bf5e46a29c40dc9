/* see ltsig/level.h */
#define LTS_MODULE "core"
#include <ltsig/level.h>

#include <strings.h>
#include "err.h"

static const struct { const char *name; lts_level l; } levels[] = {
    { "B-B", LTS_LEVEL_B_B },   { "B-T", LTS_LEVEL_B_T },   { "B-LT", LTS_LEVEL_B_LT },
    { "B-LTA", LTS_LEVEL_B_LTA }, { "ES-T", LTS_LEVEL_ES_T }, { "ES-XL", LTS_LEVEL_ES_XL },
    { "ES-A", LTS_LEVEL_ES_A }, { "LTA", LTS_LEVEL_B_LTA },
};

lts_status lts_level_parse(lts_level *out, const char *s)
{
    for (size_t i = 0; s && i < sizeof levels / sizeof levels[0]; i++) {
        if (strcasecmp(s, levels[i].name) == 0) {
            *out = levels[i].l;
            return LTS_OK;
        }
    }
    return lts_err__set(LTS_E_CONFIG, LTS_MODULE, 0,
                        "unknown level '%.20s' (use B-B, B-T, B-LT, B-LTA, ES-T, ES-XL or ES-A)",
                        s ? s : "");
}

const char *lts_level_name(lts_level l)
{
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (levels[i].l == l)
            return levels[i].name;
    }
    return "?";
}

int lts_level_needs_tsa(lts_level l)
{
    return l != LTS_LEVEL_B_B;
}
