/* ltsig — signature levels: ETSI baseline (EN 319 122/132/142) and ISO 14533 / JIS names. */
#ifndef LTSIG_LEVEL_H
#define LTSIG_LEVEL_H

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LTS_LEVEL_B_B = 1,
    LTS_LEVEL_B_T,
    LTS_LEVEL_B_LT,
    LTS_LEVEL_B_LTA,
    LTS_LEVEL_ES_T,   /**< ISO 14533-1/-2: signature timestamp */
    LTS_LEVEL_ES_XL,  /**< complete refs + values (TS 101 733 / TS 101 903) */
    LTS_LEVEL_ES_A    /**< ES-XL + archive timestamp */
} lts_level;

/** "B-B", "B-T", ... "ES-A" (case-insensitive; "B-LTA" also as "LTA"). */
LTS_API LTS_MUST_USE lts_status lts_level_parse(lts_level *out, const char *s);
LTS_API const char *lts_level_name(lts_level l);
/** 1 when the level needs a timestamp authority. */
LTS_API int lts_level_needs_tsa(lts_level l);

#ifdef __cplusplus
}
#endif
#endif
