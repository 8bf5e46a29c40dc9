/* tests/unit/tsa: helpers shared by the tsa suites. */
#ifndef LTS_TSA_FX_H
#define LTS_TSA_FX_H

#include <stdio.h>
#include <stdlib.h>
#include <ltsig/clock.h>
#include "lts_test.h"
#include "tsa_int.h"

/* Ports of the TSA engineer's range (18300-18319) used by the unit tests. */
#define FX_PORT_FAULT 18310   /* the fault-injecting HTTP server */
#define FX_PORT_SILENT 18312  /* accepts connections (backlog) and never answers */
#define FX_PORT_CLOSED 18313  /* nothing listens */
#define FX_PORT_SERVER 18314  /* lts_tsa_server itself */

/* 2030-01-02T03:04:05Z */
#define FX_PINNED_TIME ((lts_time)1893553445)

static inline lts_time fx_pinned_now(const lts_clock *c)
{
    (void)c;
    return FX_PINNED_TIME;
}

static inline lts_signer *fx_signer(const char *p12)
{
    lts_signer *s = NULL;
    lts_signer_opts so = LTS_SIGNER_OPTS_INIT;
    char uri[1100];
    so.passin = "pass:test1234";
    snprintf(uri, sizeof uri, "file:%s", p12);
    if (lts_signer_open(&s, uri, &so) != LTS_OK) {
        fprintf(stderr, "cannot open %s: %s\n", uri, lts_error_last()->message);
        return NULL;
    }
    return s;
}

#endif
