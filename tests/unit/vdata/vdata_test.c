/* see vdata_test.h */
#include "vdata_test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/pem.h>

X509 *vt_cert(const char *name)
{
    FILE *f = fopen(lts_test_pki_file(7, name), "r");
    X509 *x = NULL;
    if (f == NULL)
        return NULL;
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

lts_status vt_cert_der(const char *name, lts_buf *out)
{
    X509 *x = vt_cert(name);
    lts_status rc;
    if (x == NULL) {
        fprintf(stderr, "cannot read %s\n", lts_test_pki_file(7, name));
        return LTS_E_IO;
    }
    rc = lts_vdata__x509_to_der(x, out);
    X509_free(x);
    return rc;
}

int vt_free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0
        && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int listening_in(const char *file, int port)
{
    char line[512], want[16];
    FILE *f = fopen(file, "r");
    int found = 0;
    if (f == NULL)
        return 0;
    snprintf(want, sizeof want, ":%04X", port);
    while (fgets(line, sizeof line, f)) {
        char local[128], rem[128], st[8];
        if (sscanf(line, "%*s %127s %127s %7s", local, rem, st) == 3) {
            size_t n = strlen(local);
            if (n >= 5 && strcmp(local + n - 5, want) == 0 && strcmp(st, "0A") == 0)
                found = 1;
        }
    }
    fclose(f);
    return found;
}

int vt_wait_listen(int port)
{
    for (int i = 0; i < 200; i++) {
        if (listening_in("/proc/net/tcp", port) || listening_in("/proc/net/tcp6", port))
            return 1;
        usleep(50000);
    }
    return 0;
}

pid_t vt_spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
        int nul = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (nul >= 0)
            dup2(nul, 0);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

void vt_stop(pid_t pid)
{
    int st;
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 60; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
}

double vt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int vt_phase(const char *name)
{
    const char *p = getenv("LTS_VDATA_PHASE");
    if (p == NULL || *p == '\0')
        return strcmp(name, "all") == 0;
    return strcmp(p, name) == 0;
}

lts_vdata_source *vt_online(long timeout_s)
{
    lts_vdata_online_opts o = LTS_VDATA_ONLINE_OPTS_INIT;
    lts_vdata_source *s = NULL;
    o.timeout_s = timeout_s;
    o.trust_file = lts_test_pki_file(6, "root.pem");
    if (lts_vdata_online_new(&s, &o) != LTS_OK)
        fprintf(stderr, "online source: %s\n", lts_error_last()->message);
    return s;
}

void vt_collect_opts(lts_vdata_collect_opts *o)
{
    lts_vdata_collect_opts d = LTS_VDATA_COLLECT_OPTS_INIT;
    *o = d;
    o->trust_file = lts_test_pki_file(6, "root.pem");
}

static lts_status c_issuer(lts_vdata_source *s, X509 *cert, X509 **out)
{
    vt_counting *c = (vt_counting *)s;
    pthread_mutex_lock(&c->mu);
    c->n_issuer++;
    pthread_mutex_unlock(&c->mu);
    return lts_vdata_get_issuer(c->inner, cert, out);
}

static lts_status c_ocsp(lts_vdata_source *s, X509 *cert, X509 *issuer, lts_buf *out)
{
    vt_counting *c = (vt_counting *)s;
    pthread_mutex_lock(&c->mu);
    c->n_ocsp++;
    pthread_mutex_unlock(&c->mu);
    return lts_vdata_get_ocsp(c->inner, cert, issuer, out);
}

static lts_status c_crl(lts_vdata_source *s, X509 *cert, X509 *issuer, lts_buf *out)
{
    vt_counting *c = (vt_counting *)s;
    pthread_mutex_lock(&c->mu);
    c->n_crl++;
    pthread_mutex_unlock(&c->mu);
    return lts_vdata_get_crl(c->inner, cert, issuer, out);
}

static void c_close(lts_vdata_source *s)
{
    vt_counting *c = (vt_counting *)s;
    lts_vdata_free(c->inner);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static const lts_vdata_ops counting_ops = { LTS_VDATA_OPS_VERSION, "counting", c_issuer, c_ocsp,
                                            c_crl, NULL, c_close };

vt_counting *vt_counting_new(lts_vdata_source *inner)
{
    vt_counting *c = calloc(1, sizeof *c);
    if (c == NULL)
        abort();
    c->base.ops = &counting_ops;
    c->inner = inner;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}
