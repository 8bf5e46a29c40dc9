/* bench_csc: ltsigd signatures/signHash throughput and latency at concurrency C.
 *   bench_csc URL USERS_FILE FIRST C SECONDS BATCH [PER_REQ]
 * USERS_FILE has one line per user: NAME PASSWORD TOTP_SECRET CREDENTIAL_ID PIN (bench
 * material, made by bench/run.sh). Threads 0..C-1 use the users FIRST..FIRST+C-1: each logs
 * in, authorises BATCH random SHA-256 hashes at once (PIN + TOTP: one credentials/authorize
 * per batch), then sends signatures/signHash requests of PER_REQ hashes each (default 1; RSA
 * PKCS#1 v1.5) over a kept-alive connection until SECONDS have passed or a batch is spent.
 * Only the signHash phase is timed. Prints "ops_per_s=<signatures/s> p50_ms=<median request>
 * p99_ms=<99th percentile request> n=<signatures>", then, when the environment variable
 * LTS_BENCH_SERVER_PID names the server process, " srv_cpu_us=<server CPU time per
 * signature, user + system, microseconds> cli_cpu_us=<this client's CPU time per
 * signature>" over the same signHash phase: the rate depends on what else runs on the
 * machine, the CPU time per signature much less (bench/run.sh compares it with the raw
 * token's). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define SHA256_OID "2.16.840.1.101.3.4.2.1"
#define RSA_OID "1.2.840.113549.1.1.1"

/* CPU time (user + system) of process pid so far, in seconds; -1 if unknown */
static double proc_cpu_s(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long ut = 0, st = 0;
    /* after ") ": state(3) ... utime(14) stime(15) */
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                            &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
    char user[64], pw[128], secret[128], cid[80], pin[64];
    const char *url;
    int batch, per_req;
    pthread_barrier_t *ready;
    long srv_pid;
    double *cpu0; /* the server's and this process's CPU time when the timed phase began */
    volatile int *stop;
    double secs, t_start, t_end;
    double *lat;
    long ops, nlat;
    int failed;
} worker;

typedef struct {
    char *p;
    size_t n, cap;
} sbuf;

static size_t on_body(char *d, size_t sz, size_t nm, void *u)
{
    sbuf *b = u;
    size_t n = sz * nm;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
    b->p[b->n] = 0;
    return n;
}

/* POST body to URL/method with the headers hdr; 0 and the body in *resp on HTTP 200. The
 * constant options (write callback, timeout) are set once per handle by the caller, so a
 * request costs the client only what libcurl needs for the transfer itself (the client
 * shares the CPU with the server: what it burns lowers the server's figure). */
static int post(CURL *c, const char *url, const char *method, struct curl_slist *hdr,
                const char *body, sbuf *resp)
{
    char u[512];
    snprintf(u, sizeof u, "%s/%s", url, method);
    resp->n = 0;
    curl_easy_setopt(c, CURLOPT_URL, u);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    long code = 0;
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK || code != 200) {
        fprintf(stderr, "bench_csc: %s: %s %ld %s\n", method, curl_easy_strerror(rc), code,
                resp->p ? resp->p : "");
        return -1;
    }
    return 0;
}

/* the string value of "key":"..." in a flat JSON answer */
static int json_str(const char *js, const char *key, char *out, size_t outsz)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":\"", key);
    const char *p = js ? strstr(js, k) : NULL;
    if (p == NULL)
        return -1;
    p += strlen(k);
    size_t n = strcspn(p, "\"");
    if (n >= outsz)
        return -1;
    memcpy(out, p, n);
    out[n] = 0;
    return 0;
}

static int totp(const char *b32, long step, char out[7])
{
    unsigned char key[128];
    size_t kl = 0;
    unsigned int acc = 0;
    int bits = 0;
    for (const char *p = b32; *p && *p != '='; p++) {
        const char *al = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", *q = strchr(al, *p);
        if (q == NULL || kl >= sizeof key)
            return -1;
        acc = acc << 5 | (unsigned int)(q - al);
        bits += 5;
        if (bits >= 8) {
            key[kl++] = (unsigned char)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    unsigned char msg[8], md[20];
    unsigned int mdl = 0;
    for (int i = 7; i >= 0; i--, step >>= 8)
        msg[i] = (unsigned char)step;
    if (HMAC(EVP_sha1(), key, (int)kl, msg, 8, md, &mdl) == NULL)
        return -1;
    int o = md[19] & 15;
    unsigned long v = ((unsigned long)(md[o] & 0x7f) << 24 | (unsigned long)md[o + 1] << 16 |
                       (unsigned long)md[o + 2] << 8 | md[o + 3]) % 1000000;
    snprintf(out, 7, "%06lu", v);
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void *run(void *arg)
{
    worker *w = arg;
    CURL *c = curl_easy_init();
    sbuf r = { 0 };
    char (*h64)[48] = calloc((size_t)w->batch, sizeof *h64);
    size_t bodysz = (size_t)w->batch * 48 + 1024;
    char *body = malloc(bodysz);
    char tok[128], auth[200], sad[128], otp[7];
    struct curl_slist *json_hdr = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *auth_hdr = NULL;
    int ok = c && h64 && body && json_hdr;
    if (c) {
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    }
    /* login (HTTP Basic) */
    if (ok) {
        char up[200];
        snprintf(up, sizeof up, "%s:%s", w->user, w->pw);
        curl_easy_setopt(c, CURLOPT_USERPWD, up);
        ok = post(c, w->url, "auth/login", json_hdr, "{}", &r) == 0 &&
             json_str(r.p, "access_token", tok, sizeof tok) == 0;
        curl_easy_setopt(c, CURLOPT_USERPWD, NULL);
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
        auth_hdr = curl_slist_append(NULL, "Content-Type: application/json");
        struct curl_slist *t = auth_hdr ? curl_slist_append(auth_hdr, auth) : NULL;
        ok = ok && t;
    }
    /* one authorisation for the whole batch */
    if (ok) {
        size_t n = (size_t)snprintf(body, bodysz, "{\"credentialID\":\"%s\",\"numSignatures\":%d,"
                                    "\"hashes\":[", w->cid, w->batch);
        for (int i = 0; i < w->batch; i++) {
            unsigned char hb[32];
            RAND_bytes(hb, sizeof hb);
            EVP_EncodeBlock((unsigned char *)h64[i], hb, sizeof hb);
            n += (size_t)snprintf(body + n, bodysz - n, "%s\"%s\"", i ? "," : "", h64[i]);
        }
        ok = totp(w->secret, (long)(time(NULL) / 30), otp) == 0;
        snprintf(body + n, bodysz - n, "],\"hashAlgorithmOID\":\"" SHA256_OID "\",\"authData\":"
                 "[{\"id\":\"PIN\",\"value\":\"%s\"},{\"id\":\"OTP\",\"value\":\"%s\"}]}",
                 w->pin, otp);
        ok = ok && post(c, w->url, "credentials/authorize", auth_hdr, body, &r) == 0 &&
             json_str(r.p, "SAD", sad, sizeof sad) == 0;
    }
    w->failed = !ok;
    if (pthread_barrier_wait(w->ready) == PTHREAD_BARRIER_SERIAL_THREAD) {
        w->cpu0[0] = w->srv_pid > 0 ? proc_cpu_s(w->srv_pid) : -1;
        w->cpu0[1] = self_cpu_s();
    }
    w->t_start = now_s();
    long reqs = 0;
    for (int i = 0; ok && i + w->per_req <= w->batch && !*w->stop &&
                    now_s() < w->t_start + w->secs; i += w->per_req) {
        size_t n = (size_t)snprintf(body, bodysz, "{\"credentialID\":\"%s\",\"SAD\":\"%s\","
                                    "\"hashes\":[", w->cid, sad);
        for (int j = 0; j < w->per_req; j++)
            n += (size_t)snprintf(body + n, bodysz - n, "%s\"%s\"", j ? "," : "", h64[i + j]);
        snprintf(body + n, bodysz - n, "],\"hashAlgorithmOID\":\"" SHA256_OID "\",\"signAlgo\":\""
                 RSA_OID "\"}");
        double t0 = now_s();
        if (post(c, w->url, "signatures/signHash", auth_hdr, body, &r) != 0 ||
            strstr(r.p, "\"signatures\"") == NULL) {
            w->failed = 1;
            break;
        }
        w->lat[reqs++] = now_s() - t0;
        w->ops += w->per_req;
    }
    w->nlat = reqs;
    w->t_end = now_s();
    *w->stop = 1; /* a spent batch ends the run for everyone: the rate stays a steady-state one */
    free(r.p);
    curl_slist_free_all(json_hdr);
    curl_slist_free_all(auth_hdr);
    free(h64);
    free(body);
    curl_easy_cleanup(c);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 7 && argc != 8) {
        fprintf(stderr, "usage: bench_csc URL USERS_FILE FIRST C SECONDS BATCH [PER_REQ]\n");
        return 3;
    }
    int first = atoi(argv[3]), nc = atoi(argv[4]), batch = atoi(argv[6]);
    int per_req = argc == 8 ? atoi(argv[7]) : 1;
    double secs = atof(argv[5]);
    if (first < 0 || nc < 1 || nc > 256 || batch < 1 || secs <= 0 || per_req < 1 ||
        per_req > batch) {
        fprintf(stderr, "bench_csc: bad FIRST, C, SECONDS, BATCH or PER_REQ\n");
        return 3;
    }
    FILE *f = fopen(argv[2], "r");
    if (f == NULL) {
        fprintf(stderr, "bench_csc: cannot read %s\n", argv[2]);
        return 4;
    }
    worker *ws = calloc((size_t)nc, sizeof *ws);
    pthread_t *th = calloc((size_t)nc, sizeof *th);
    pthread_barrier_t ready;
    volatile int stop = 0;
    double cpu0[2] = { -1, 0 };
    const char *sp = getenv("LTS_BENCH_SERVER_PID");
    long srv_pid = sp ? atol(sp) : 0;
    char line[1024];
    int line_no = 0, got = 0;
    while (ws && got < nc && fgets(line, sizeof line, f)) {
        if (line_no++ < first)
            continue;
        worker *w = &ws[got];
        if (sscanf(line, "%63s %127s %127s %79s %63s", w->user, w->pw, w->secret, w->cid,
                   w->pin) != 5)
            continue;
        w->url = argv[1];
        w->batch = batch;
        w->per_req = per_req;
        w->secs = secs;
        w->stop = &stop;
        w->ready = &ready;
        w->srv_pid = srv_pid;
        w->cpu0 = cpu0;
        w->lat = calloc((size_t)batch, sizeof *w->lat);
        got++;
    }
    fclose(f);
    if (got < nc) {
        fprintf(stderr, "bench_csc: %s has fewer than %d users after line %d\n", argv[2], nc,
                first);
        return 4;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_barrier_init(&ready, NULL, (unsigned)nc);
    for (int i = 0; i < nc; i++)
        pthread_create(&th[i], NULL, run, &ws[i]);
    long ops = 0;
    int failed = 0;
    double t0 = 1e300, t1 = 0;
    for (int i = 0; i < nc; i++) {
        pthread_join(th[i], NULL);
        ops += ws[i].ops;
        failed |= ws[i].failed;
        t0 = ws[i].t_start < t0 ? ws[i].t_start : t0;
        t1 = ws[i].t_end > t1 ? ws[i].t_end : t1;
    }
    double srv_cpu = srv_pid > 0 && cpu0[0] >= 0 ? proc_cpu_s(srv_pid) - cpu0[0] : -1;
    double cli_cpu = self_cpu_s() - cpu0[1];
    long nl = 0;
    for (int i = 0; i < nc; i++)
        nl += ws[i].nlat;
    double *all = calloc((size_t)(nl ? nl : 1), sizeof *all);
    long k = 0;
    for (int i = 0; i < nc && all; i++)
        for (long j = 0; j < ws[i].nlat; j++)
            all[k++] = ws[i].lat[j];
    if (!failed && nl > 0 && all) {
        qsort(all, (size_t)nl, sizeof *all, cmp_d);
        printf("ops_per_s=%.1f p50_ms=%.1f p99_ms=%.1f n=%ld", ops / (t1 - t0),
               all[nl / 2] * 1e3, all[(long)(nl * 0.99)] * 1e3, ops);
        if (srv_cpu >= 0)
            printf(" srv_cpu_us=%.0f cli_cpu_us=%.0f", srv_cpu * 1e6 / (double)ops,
                   cli_cpu * 1e6 / (double)ops);
        printf("\n");
    } else {
        fprintf(stderr, "bench_csc: failed\n");
        failed = 1;
    }
    for (int i = 0; i < nc; i++)
        free(ws[i].lat);
    free(all);
    free(ws);
    free(th);
    curl_global_cleanup();
    return failed ? 4 : 0;
}
