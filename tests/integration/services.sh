#!/usr/bin/env bash
# services.sh start|stop|status PKIDIR — the loopback test services for a PKI made by
# testdata/pki/make-pki.sh:
#   http  python3 -m http.server, bound to 127.0.0.1:$LTS_TEST_HTTP_PORT, serving PKIDIR/www
#   ocsp  openssl ocsp -port $LTS_TEST_OCSP_PORT -index PKIDIR/ca/index.txt (inter's responder)
#   tsa   only when LTS_TSA_SERVE_CMD is set: that command, run by bash in the background
#         (it must stay in the foreground, listen on 127.0.0.1:$LTS_TEST_TSA_PORT, and may use
#         $LTS_TEST_PKI and the port variables, which are exported to it)
# Ports: the LTS_TEST_*_PORT environment variables, else the ones in PKIDIR/env.sh (the ones
# embedded in the certificates), else 18080/18081/18082.
# State: PKIDIR/run/NAME.pid (one pid per line: the process group leader), PKIDIR/run/NAME.log.
# Optional: LTS_TEST_OCSP_MULTI (default 2) = number of `openssl ocsp -multi` workers; 0 runs a
# single process, whose request log then goes to run/ocsp.log (with -multi it goes to syslog).
#
# Notes on OpenSSL 3.0's `openssl ocsp -port` that shape this script:
#  - `-port` takes a number only and binds the wildcard address ([::], dual stack); it cannot be
#    restricted to 127.0.0.1. Clients here only ever use 127.0.0.1.
#  - A connection that closes without sending a request leaves the worker spinning at 100% CPU,
#    serving nothing, forever. So readiness is checked with a real OCSP request, never with a
#    bare connect, and several workers run (-multi) so that one such connection does not take the
#    responder down. -ignore_err keeps it alive after a malformed request (without it, a single
#    bad request makes it exit).
#  - With -multi the supervisor puts itself in its own process group (so it must not be started
#    under setsid) and ignores a SIGTERM sent to it alone; stop signals the whole group.
set -euo pipefail

PROG=services.sh
die() { echo "$PROG: $*" >&2; exit 1; }
usage() { echo "usage: $0 start|stop|status PKIDIR" >&2; exit 2; }

[[ $# -eq 2 ]] || usage
ACTION=$1
if [[ ! -d "$2" ]]; then
    # nothing can be running from a PKI directory that does not exist: stop is a no-op
    [[ "$ACTION" == stop ]] && { echo "$PROG: $2 does not exist; nothing to stop"; exit 0; }
    die "PKIDIR '$2' is not a directory (make it with testdata/pki/make-pki.sh)"
fi
PKI=$(cd "$2" && pwd -P)
RUN=$PKI/run

# --- ports -----------------------------------------------------------------------------------
env_sh_port() { # VAR — the value make-pki.sh recorded in env.sh, if any
    [[ -f "$PKI/env.sh" ]] || return 0
    sed -n "s/^export $1=\\([0-9][0-9]*\\)\$/\\1/p" "$PKI/env.sh" | head -n1
}
pick_port() { # VAR DEFAULT
    local v=${!1:-} rec
    rec=$(env_sh_port "$1")
    if [[ -z "$v" ]]; then v=${rec:-$2}; fi
    [[ "$v" =~ ^[0-9]+$ && "$v" -ge 1 && "$v" -le 65535 ]] || die "bad port $1='$v'"
    if [[ -n "$rec" && "$rec" != "$v" ]]; then
        echo "$PROG: warning: $1=$v but the certificates in $PKI name port $rec" >&2
    fi
    echo "$v"
}
HTTP_PORT=$(pick_port LTS_TEST_HTTP_PORT 18080)
OCSP_PORT=$(pick_port LTS_TEST_OCSP_PORT 18081)
TSA_PORT=$(pick_port LTS_TEST_TSA_PORT 18082)
OCSP_MULTI=${LTS_TEST_OCSP_MULTI:-2}
[[ "$OCSP_MULTI" =~ ^[0-9]+$ ]] || die "bad LTS_TEST_OCSP_MULTI='$OCSP_MULTI'"

SERVICES=(http ocsp tsa)

# --- process helpers ---------------------------------------------------------------------------
proc_start_time() { # PID — field 22 of /proc/PID/stat, to tell a reused pid from ours
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }           # drop "pid (comm) ", comm may contain spaces
    local -a f
    read -r -a f <<<"$stat"
    echo "${f[19]}"
}

# running NAME — true when run/NAME.pid names a live process that we started
running() {
    local pidf=$RUN/$1.pid pid st
    [[ -f "$pidf" ]] || return 1
    pid=$(head -n1 "$pidf")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    st=$(proc_start_time "$pid") || return 1
    [[ ! -f "$RUN/$1.start" || "$(cat "$RUN/$1.start")" == "$st" ]] || return 1
    alive "$pid"
}

record() { # NAME PID
    echo "$2" >"$RUN/$1.pid"
    proc_start_time "$2" >"$RUN/$1.start" || true
}

# listening PORT — is anything in LISTEN state on the port (IPv4 or IPv6)? Reads /proc, so it
# never connects (a bare connect would wedge an openssl ocsp worker, see above).
listening() {
    local hex
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null \
        | awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 }
                            END { exit !found }'
}

pgid_of() { ps -o pgid= -p "$1" 2>/dev/null | tr -d ' '; }

# alive TARGET — TARGET is a pid, or -PGID for a whole process group. Zombies do not count
# (our services are reparented when this script exits, and the new parent may reap late).
alive() {
    if [[ "$1" == -* ]]; then
        ps -e -o pgid=,stat= | awk -v g="${1#-}" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
    else
        ps -o stat= -p "$1" 2>/dev/null | grep -q '^[^Z]'
    fi
}

# stop_one NAME
stop_one() {
    local name=$1 pidf=$RUN/$1.pid pid target i
    [[ -f "$pidf" ]] || return 0
    if ! running "$name"; then
        rm -f "$pidf" "$RUN/$name.start"
        return 0
    fi
    pid=$(head -n1 "$pidf")
    # Every service runs as the leader of its own process group: signal the group, so
    # `openssl ocsp -multi` workers and whatever the TSA command spawned go too.
    if [[ "$(pgid_of "$pid")" == "$pid" ]]; then target=-$pid; else target=$pid; fi
    kill -TERM -- "$target" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        alive "$target" || break
        sleep 0.1
    done
    if alive "$target"; then
        echo "$PROG: $name (pid $pid) did not stop on SIGTERM; sending SIGKILL" >&2
        kill -KILL -- "$target" 2>/dev/null || true
        for ((i = 0; i < 20; i++)); do
            alive "$target" || break
            sleep 0.1
        done
    fi
    rm -f "$pidf" "$RUN/$name.start"
    echo "$PROG: stopped $name (pid $pid)"
}

stop_all() {
    local s
    [[ -d "$RUN" ]] || return 0
    for s in "${SERVICES[@]}"; do stop_one "$s"; done
}

# --- readiness probes (each returns at once; the caller retries) -------------------------------
probe_http() {
    if command -v curl >/dev/null; then
        curl -fsS --noproxy '*' -m 2 -o /dev/null "http://127.0.0.1:$HTTP_PORT/root.der" 2>/dev/null
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null
    fi
}
probe_ocsp() { # a real request (for the responder's own certificate); never a bare connect
    listening "$OCSP_PORT" || return 1
    openssl ocsp -issuer "$PKI/inter.pem" -cert "$PKI/ocsp.pem" -no_nonce -noverify \
        -url "http://127.0.0.1:$OCSP_PORT" -timeout 2 2>/dev/null | grep -q ': good'
}
probe_tsa() { listening "$TSA_PORT"; }

# wait_ready NAME PORT — bounded: 10 s
wait_ready() {
    local name=$1 port=$2 i
    for ((i = 0; i < 100; i++)); do
        if ! running "$name"; then
            echo "$PROG: $name exited during start-up (port $port); last lines of $RUN/$name.log:" >&2
            tail -n 20 "$RUN/$name.log" >&2 || true
            return 1
        fi
        if "probe_$name"; then return 0; fi
        sleep 0.1
    done
    echo "$PROG: $name did not come up on 127.0.0.1:$port within 10 s; last lines of $RUN/$name.log:" >&2
    tail -n 20 "$RUN/$name.log" >&2 || true
    return 1
}

# spawn_group NAME CMD... — run CMD in the background as the leader of a new session/process
# group; the pid written is the real leader even if setsid had to fork.
spawn_group() {
    local name=$1 i
    shift
    rm -f "$RUN/$name.pid.tmp"
    # shellcheck disable=SC2016  # expanded by the inner bash
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$RUN/$name.pid.tmp" "$@" \
        </dev/null >>"$RUN/$name.log" 2>&1 &
    for ((i = 0; i < 50; i++)); do
        [[ -s "$RUN/$name.pid.tmp" ]] && break
        sleep 0.05
    done
    [[ -s "$RUN/$name.pid.tmp" ]] || die "could not start $name"
    record "$name" "$(cat "$RUN/$name.pid.tmp")"
    rm -f "$RUN/$name.pid.tmp"
}

start_fail() {
    echo "$PROG: start failed: $*; stopping what was started" >&2
    stop_all >&2
    exit 1
}

start_all() {
    local f s pid
    for f in www/root.der www/inter.der www/inter.crl ca/index.txt inter.pem ocsp.pem ocsp.key; do
        [[ -f "$PKI/$f" ]] || die "$PKI/$f is missing; is $PKI a PKI made by make-pki.sh?"
    done
    command -v python3 >/dev/null || die "python3 not found"
    mkdir -p "$RUN"
    for s in "${SERVICES[@]}"; do
        if running "$s"; then
            die "$s is already running (pid $(head -n1 "$RUN/$s.pid")); run '$0 stop $PKI' first"
        fi
        rm -f "$RUN/$s.pid" "$RUN/$s.start"
    done
    for s in http ocsp; do
        local var=${s^^}_PORT
        listening "${!var}" && die "port ${!var} ($s) is already in use"
    done
    if [[ -n "${LTS_TSA_SERVE_CMD:-}" ]] && listening "$TSA_PORT"; then
        die "port $TSA_PORT (tsa) is already in use"
    fi
    : >"$RUN/http.log"; : >"$RUN/ocsp.log"

    export LTS_TEST_PKI=$PKI LTS_TEST_HTTP_PORT=$HTTP_PORT LTS_TEST_OCSP_PORT=$OCSP_PORT \
        LTS_TEST_TSA_PORT=$TSA_PORT

    # HTTP: caIssuers and CRL distribution points
    spawn_group http python3 -u -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$PKI/www"

    # OCSP responder for the intermediate's certificates
    local ocsp_cmd=(openssl ocsp -index "$PKI/ca/index.txt" -port "$OCSP_PORT"
        -rsigner "$PKI/ocsp.pem" -rkey "$PKI/ocsp.key" -CA "$PKI/inter.pem" -ndays 7 -ignore_err)
    if [[ "$OCSP_MULTI" -gt 0 ]]; then
        # The -multi supervisor calls setpgid(0,0) itself (which fails for a session leader),
        # so start it directly; $! is the openssl process.
        "${ocsp_cmd[@]}" -multi "$OCSP_MULTI" </dev/null >>"$RUN/ocsp.log" 2>&1 &
        pid=$!
        record ocsp "$pid"
    else
        spawn_group ocsp "${ocsp_cmd[@]}"
    fi

    # TSA hook
    if [[ -n "${LTS_TSA_SERVE_CMD:-}" ]]; then
        : >"$RUN/tsa.log"
        echo "$PROG: tsa command: $LTS_TSA_SERVE_CMD" >>"$RUN/tsa.log"
        spawn_group tsa bash -c "$LTS_TSA_SERVE_CMD"
    fi

    wait_ready http "$HTTP_PORT" || start_fail "http"
    wait_ready ocsp "$OCSP_PORT" || start_fail "ocsp"
    if [[ -n "${LTS_TSA_SERVE_CMD:-}" ]]; then
        wait_ready tsa "$TSA_PORT" || start_fail "tsa"
    fi
    echo "$PROG: http 127.0.0.1:$HTTP_PORT (pid $(head -n1 "$RUN/http.pid")), ocsp 127.0.0.1:$OCSP_PORT (pid $(head -n1 "$RUN/ocsp.pid"))$(
        [[ -n "${LTS_TSA_SERVE_CMD:-}" ]] && echo ", tsa 127.0.0.1:$TSA_PORT (pid $(head -n1 "$RUN/tsa.pid"))")"
}

status_all() {
    local s rc=0 any=0 port var
    for s in "${SERVICES[@]}"; do
        var=${s^^}_PORT
        port=${!var}
        if running "$s"; then
            any=1
            echo "$s: running (pid $(head -n1 "$RUN/$s.pid"), port $port)"
        elif [[ -f "$RUN/$s.pid" ]]; then
            rc=1
            echo "$s: dead (stale $RUN/$s.pid, port $port)"
        else
            echo "$s: stopped"
        fi
    done
    # 0: everything that was started is running; 1: something died; 3: nothing is running
    if [[ $rc -eq 0 && $any -eq 0 ]]; then rc=3; fi
    return $rc
}

case "$ACTION" in
    start)  start_all ;;
    stop)   stop_all ;;
    status) status_all ;;
    *)      usage ;;
esac
