/* helpers of the cades unit tests */
#include "cades_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lts_test.h"

static lts_time fixed(const lts_clock *c)
{
    (void)c;
    return CT_TIME;
}
const lts_clock ct_clock = { LTS_CLOCK_VERSION, fixed, NULL };

lts_signer *ct_signer(const char *name)
{
    lts_signer_opts so = LTS_SIGNER_OPTS_INIT;
    lts_signer *s = NULL;
    char file[64], uri[1200];
    snprintf(file, sizeof file, "signer-%s.p12", name);
    snprintf(uri, sizeof uri, "file:%s", lts_test_pki_file(7, file));
    so.passin = "pass:test1234";
    LTS_ASSERT_OK(lts_signer_open(&s, uri, &so));
    return s;
}

const char *ct_write(int slot, const char *name, lts_span data)
{
    const char *path = lts_test_tmp_file(slot, name);
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    if (data.n)
        CU_ASSERT_EQUAL(fwrite(data.p, 1, data.n, f), data.n);
    fclose(f);
    return path;
}

int ct_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return st == -1 ? -1 : WEXITSTATUS(st);
}

lts_status ct_sign(lts_buf *out, lts_signer *s, const char *content, const lts_cades_sign_opts *o)
{
    const char *in = ct_write(6, "content.bin", lts_span_of(content, strlen(content)));
    return lts_cades_sign_file(out, s, in, o);
}
