/* bench_cades: CAdES B-B (optionally B-T) signing of many small documents in one process,
 * through the public API. Prints "docs_per_s=<rate>" for bench/run.sh to compare with the
 * peers measured in the same run.
 *   bench_cades SIGNER_URI PASSIN DOC_DIR COUNT [TSA_URL] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ltsig/ltsig.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench_cades SIGNER_URI PASSIN DOC_DIR COUNT [TSA_URL]\n");
        return 3;
    }
    lts_signer_opts so = LTS_SIGNER_OPTS_INIT;
    lts_signer *signer = NULL;
    lts_tsa *tsa = NULL;
    so.passin = argv[2];
    int count = atoi(argv[4]);
    if (lts_signer_open(&signer, argv[1], &so) != LTS_OK) {
        fprintf(stderr, "bench_cades: %s\n", lts_error_last()->message);
        return 4;
    }
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    o.detached = 1;
    if (argc > 5) {
        lts_tsa_opts to = LTS_TSA_OPTS_INIT;
        const char *urls[1] = { argv[5] };
        if (lts_tsa_open_http(&tsa, urls, 1, &to) != LTS_OK) {
            fprintf(stderr, "bench_cades: %s\n", lts_error_last()->message);
            lts_signer_close(signer);
            return 4;
        }
        o.tsa = tsa;
        o.level = LTS_LEVEL_B_T;
    }
    double t0 = now_s();
    int rc = 0;
    for (int i = 0; i < count; i++) {
        char path[4096];
        lts_buf out = LTS_BUF_INIT;
        snprintf(path, sizeof path, "%s/doc%d.txt", argv[3], i);
        if (lts_cades_sign_file(&out, signer, path, &o) != LTS_OK) {
            fprintf(stderr, "bench_cades: %s: %s\n", path, lts_error_last()->message);
            rc = 4;
            break;
        }
        lts_buf_dispose(&out);
    }
    double dt = now_s() - t0;
    if (rc == 0)
        printf("docs_per_s=%.1f\n", count / dt);
    lts_tsa_close(tsa);
    lts_signer_close(signer);
    return rc;
}
