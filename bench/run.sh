#!/bin/bash
# The benchmark suite: ltsig beside its peers on the same inputs in the same run, printed
# as ratios. Never part of the tests (no timed assertions); run it by hand:
#   bash bench/run.sh [--long] [--quick] [--only cades,xades,pades,p11,csc,renew] [--count N]
# --long: 30 s per ltsigd concurrency level (10 s by default), 5 rounds instead of 3
# --quick: 200 CAdES documents, no 200 MB PDF, 3 s per timed rate (a smoke run)
# Each pair is measured interleaved (ltsig, peer, ltsig, peer, ...) and the best round of
# each is kept, so a loaded machine hurts both sides alike. "ratio" is written so that
# > 1 means ltsig is better for a rate (ltsig/peer) and < 1 is better for a time (ltsig/peer)
# (the "kind" column says which). Peak RSS from /usr/bin/time -v (package `time`).
# Ports 19300-19305 (127.0.0.1 only). Build: build-bench (Release).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COUNT=1000 SECS=10 ROUNDS=3 QUICK=0 ONLY=cades,xades,pades,p11,csc,renew
while [ $# -gt 0 ]; do
    case "$1" in
    --long) SECS=30 ROUNDS=5 ;;
    --quick) QUICK=1 COUNT=200 SECS=3 ;;
    --only) ONLY=$2; shift ;;
    --count) COUNT=$2; shift ;;
    *) echo "usage: bash bench/run.sh [--long] [--quick] [--only LIST] [--count N]" >&2; exit 3 ;;
    esac
    shift
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }
for t in /usr/bin/time openssl xmlsec1 pdfsig qpdf softhsm2-util pkcs11-tool python3; do
    command -v "$t" >/dev/null || { echo "bench: $t not found (apt-get install time xmlsec1 poppler-utils qpdf softhsm2 opensc)" >&2; exit 4; }
done

B=${LTS_BENCH_BUILD:-$ROOT/build-bench}
LTSIG=$B/cli/ltsig
LTSIGD=$B/backend/server/ltsigd
if [ -z "${LTS_BENCH_NO_BUILD:-}" ]; then
    cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
    if ! cmake --build "$B" -j2 --target ltsig_cli ltsigd bench_cades bench_p11 bench_csc >"$B/bench-build.log" 2>&1; then
        [ -x "$LTSIG" ] && [ -x "$LTSIGD" ] && [ -x "$B/bench/bench_csc" ] ||
            { echo "bench: build failed, see $B/bench-build.log" >&2; exit 4; }
        echo "# WARNING: the build failed ($B/bench-build.log); measuring the binaries of the last good build" >&2
    fi
fi
WORK=$(mktemp -d /tmp/ltsig-bench.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    bash "$ROOT/tests/integration/services.sh" stop "$WORK/pki" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
export LTS_TEST_HTTP_PORT=19300 LTS_TEST_OCSP_PORT=19301 LTS_TEST_TSA_PORT=19302
TSA_PORT=19303 CSC_PORT=19304
bash testdata/pki/make-pki.sh "$WORK/pki" >/dev/null
PKI=$WORK/pki
P12=file:$PKI/signer-rsa.p12

echo "# ltsig benchmarks $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); best of $ROUNDS interleaved rounds"
printf '%-50s %12s %12s %7s %s\n' "benchmark" "ltsig" "peer" "ratio" "kind (peer)"
row() { # row NAME OURS PEER KIND
    printf '%-50s %12s %12s %7s %s\n' "$1" "$2" "$3" \
        "$(awk -v a="$2" -v b="$3" 'BEGIN{ if (b+0>0) printf "%.2f", a/b; else print "-" }')" "$4"
}
best_max() { sort -g | tail -1; }
best_min() { sort -g | head -1; }
# timed OUTVAR_T OUTVAR_M cmd...: wall seconds and peak RSS (MB) of one run
tv() {
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -v -o "$WORK/tv" "$@" >/dev/null 2>"$WORK/tv.err" || true
    t1=$(date +%s.%N)
    awk -F': ' -v a="$t0" -v b="$t1" '/Maximum resident set size/ { m = $2 / 1024 }
                END { printf "%.3f %.1f\n", b - a, m }' "$WORK/tv"
}
# pair NAME_OURS NAME_PEER -- run "ours" and "peer" functions ROUNDS times interleaved;
# sets OT OM PT PM (best time and its peak RSS)
pair() {
    local r o p
    : >"$WORK/o" && : >"$WORK/p"
    for r in $(seq "$ROUNDS"); do
        ours >>"$WORK/o"
        peer >>"$WORK/p"
    done
    o=$(sort -g "$WORK/o" | head -1) p=$(sort -g "$WORK/p" | head -1)
    OT=${o% *} OM=$(sort -g -k2 "$WORK/o" | tail -1 | cut -d' ' -f2)
    PT=${p% *} PM=$(sort -g -k2 "$WORK/p" | tail -1 | cut -d' ' -f2)
}

# ---- CAdES -------------------------------------------------------------------------------
if want cades; then
    mkdir -p "$WORK/docs"
    for i in $(seq 0 $((COUNT - 1))); do echo "document $i $RANDOM$RANDOM" >"$WORK/docs/doc$i.txt"; done
    : >"$WORK/o" && : >"$WORK/p"
    for r in $(seq "$ROUNDS"); do
        "$B/bench/bench_cades" "$P12" pass:test1234 "$WORK/docs" "$COUNT" |
            sed -n 's/docs_per_s=//p' >>"$WORK/o"
        openssl speed -elapsed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}' >>"$WORK/p"
    done
    RAW=$(best_max <"$WORK/p")
    row "CAdES B-B sign, $COUNT docs in one process (docs/s)" "$(best_max <"$WORK/o")" "$RAW" \
        "rate (openssl speed rsa2048 sign/s)"
    # per document, one process each: the CLI vs openssl cms -sign
    n=$((COUNT < 100 ? COUNT : 100))
    ours() {
        local t0 t1
        t0=$(date +%s.%N)
        for i in $(seq 0 $((n - 1))); do
            "$LTSIG" sign --format cades --level B-B --signer "file:$PKI/signer-rsa.key?cert=$PKI/signer-rsa-chain.pem" \
                --detached -o "$WORK/out.p7s" "$WORK/docs/doc$i.txt"
        done
        t1=$(date +%s.%N)
        awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f 0\n", (b-a)/n}'
    }
    peer() {
        local t0 t1
        t0=$(date +%s.%N)
        for i in $(seq 0 $((n - 1))); do
            openssl cms -sign -binary -cades -in "$WORK/docs/doc$i.txt" -signer "$PKI/signer-rsa.pem" \
                -inkey "$PKI/signer-rsa.key" -certfile "$PKI/inter.pem" -outform DER -out /dev/null
        done
        t1=$(date +%s.%N)
        awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f 0\n", (b-a)/n}'
    }
    pair
    row "CAdES B-B sign, CLI, 1 process per doc (s/doc)" "$OT" "$PT" "time (openssl cms -sign -cades)"
    # B-T with the local TSA (ltsig tsa-serve): two RSA signatures per document
    "$LTSIG" tsa-serve --signer "file:$PKI/tsa.p12" --passin pass:test1234 --port "$TSA_PORT" \
        2>"$WORK/tsa.log" &
    PIDS+=($!)
    for i in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$TSA_PORT") 2>/dev/null && break
        sleep 0.1
    done
    nt=$((COUNT < 500 ? COUNT : 500))
    : >"$WORK/o"
    for r in $(seq "$ROUNDS"); do
        "$B/bench/bench_cades" "$P12" pass:test1234 "$WORK/docs" "$nt" "http://127.0.0.1:$TSA_PORT/" |
            sed -n 's/docs_per_s=//p' >>"$WORK/o"
    done
    row "CAdES B-T sign, local TSA, $nt docs (docs/s)" "$(best_max <"$WORK/o")" \
        "$(awk -v r="$RAW" 'BEGIN{printf "%.1f", r/2}')" "rate (openssl speed rsa2048 / 2)"
fi

# ---- XAdES -------------------------------------------------------------------------------
if want xades; then
    X=$WORK/xades
    mkdir -p "$X"
    for sz in 10K 10M; do
        python3 - "$X/doc-$sz.xml" "$sz" <<'EOF'
import sys
n = {"10K": 10 * 1024, "10M": 10 * 1024 * 1024}[sys.argv[2]]
with open(sys.argv[1], "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<ledger xmlns="urn:ltsig:bench">\n')
    i, size = 0, 60
    while size < n:
        line = '<entry id="e%d" amount="%d">payment %d to account %08d</entry>\n' % (i, i * 7 % 1000, i, i * 31)
        f.write(line); size += len(line); i += 1
    f.write('</ledger>\n')
EOF
        # the xmlsec1 template: the same document with an empty enveloped ds:Signature
        python3 - "$X/doc-$sz.xml" "$X/tmpl-$sz.xml" <<'EOF'
import sys
d = open(sys.argv[1]).read()
sig = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
       '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
       '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
       '<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
       '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
       '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>'
       '</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>')
open(sys.argv[2], "w").write(d.replace('</ledger>', sig + '</ledger>'))
EOF
        ours() { tv "$LTSIG" sign --format xades --level B-B --signer "$P12" --passin pass:test1234 \
                     -o "$X/signed-$sz.xml" "$X/doc-$sz.xml"; }
        peer() { tv xmlsec1 --sign --privkey-pem "$PKI/signer-rsa.key,$PKI/signer-rsa.pem" \
                     --output "$X/xmlsec-$sz.xml" "$X/tmpl-$sz.xml"; }
        pair
        row "XAdES B-B sign $sz (s)" "$OT" "$PT" "time (xmlsec1 --sign)"
        row "XAdES B-B sign $sz peak RSS (MB)" "$OM" "$PM" "memory (xmlsec1 --sign)"
        [ -s "$X/signed-$sz.xml" ] || echo "bench: ltsig did not sign $X/doc-$sz.xml" >&2
        ours() { tv "$LTSIG" verify --offline --trust "$PKI/root.pem" "$X/signed-$sz.xml"; }
        peer() { tv xmlsec1 --verify --trusted-pem "$PKI/root.pem" --untrusted-pem "$PKI/inter.pem" \
                     --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" "$X/signed-$sz.xml"; }
        pair
        row "XAdES verify $sz, same file (s)" "$OT" "$PT" "time (xmlsec1 --verify)"
        row "XAdES verify $sz peak RSS (MB)" "$OM" "$PM" "memory (xmlsec1 --verify)"
    done
    echo "# XAdES 10M document: $(($(stat -c %s "$X/doc-10M.xml") / 1048576)) MB"
    rm -rf "$X"
fi

# ---- PAdES -------------------------------------------------------------------------------
if want pades; then
    P=$WORK/pades
    mkdir -p "$P"
    SIZES="100K 10M 200M"
    [ "$QUICK" = 1 ] && SIZES="100K 10M"
    for sz in $SIZES; do
        # one page and an embedded file of random bytes (incompressible), written by qpdf
        python3 - "$P/body-$sz.pdf" "$sz" <<'EOF'
import os, sys
n = {"100K": 100 * 1024, "10M": 10 * 1024 * 1024, "200M": 200 * 1024 * 1024}[sys.argv[2]]
objs = [b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(data.bin) 5 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        None, b"<< /Type /Filespec /F (data.bin) /EF << /F 6 0 R >> >>", None]
page = b"BT /F1 12 Tf 72 770 Td (ltsig benchmark) Tj ET"
with open(sys.argv[1], "wb") as f:
    f.write(b"%PDF-1.7\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(f.tell())
        f.write(b"%d 0 obj\n" % i)
        if i == 4:
            f.write(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(page), page))
        elif i == 6:
            f.write(b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % n)
            left = n
            while left:
                k = min(left, 1 << 20); f.write(os.urandom(k)); left -= k
            f.write(b"\nendstream")
        else:
            f.write(o)
        f.write(b"\nendobj\n")
    x = f.tell()
    f.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for o in offs:
        f.write(b"%010d 00000 n \n" % o)
    f.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x))
EOF
        qpdf "$P/body-$sz.pdf" "$P/doc-$sz.pdf"
        rm -f "$P/body-$sz.pdf"
        if [ "$sz" = 200M ]; then
            ours() { tv "$LTSIG" sign --format pades --level B-B --signer "$P12" --passin pass:test1234 \
                         -o "$P/signed-$sz.pdf" "$P/doc-$sz.pdf"; }
            peer() { tv openssl dgst -sha256 "$P/doc-$sz.pdf"; }
            pair
            row "PAdES B-B sign $sz (s)" "$OT" "$PT" "time (openssl dgst -sha256)"
            row "PAdES B-B sign $sz peak RSS (MB)" "$OM" "$PM" "memory (openssl dgst -sha256)"
        else
            "$LTSIG" sign --format pades --level B-B --signer "$P12" --passin pass:test1234 \
                -o "$P/signed-$sz.pdf" "$P/doc-$sz.pdf"
        fi
        ours() { tv "$LTSIG" verify --offline --trust "$PKI/root.pem" "$P/signed-$sz.pdf"; }
        peer() { tv pdfsig "$P/signed-$sz.pdf"; }
        pair
        LT=$OT LM=$OM
        row "PAdES verify $sz (s)" "$OT" "$PT" "time (pdfsig)"
        row "PAdES verify $sz peak RSS (MB)" "$OM" "$PM" "memory (pdfsig)"
        peer() { tv openssl dgst -sha256 "$P/signed-$sz.pdf"; }
        pair
        row "PAdES verify $sz (s)" "$OT" "$PT" "time (openssl dgst -sha256)"
        rm -f "$P/doc-$sz.pdf" "$P/signed-$sz.pdf"
    done
    rm -rf "$P"
fi

# ---- PKCS#11 -----------------------------------------------------------------------------
if want p11; then
    bash tests/support/softhsm.sh create "$WORK/hsm" "$PKI" >/dev/null
    (
        . "$WORK/hsm/env.sh"
        URI="pkcs11:token=$LTS_P11_TOKEN;object=signer-rsa?module-path=$LTS_P11_MODULE"
        S=$((SECS < 5 ? SECS : 5))
        for th in 1 4; do
            : >"$WORK/o" && : >"$WORK/p"
            for r in $(seq "$ROUNDS"); do
                "$B/bench/bench_p11" ltsig "$URI" "file:$LTS_P11_PIN_FILE" "$th" "$S" |
                    sed -n 's/ops_per_s=//p' >>"$WORK/o"
                "$B/bench/bench_p11" raw "$LTS_P11_MODULE" "$LTS_P11_TOKEN" "$LTS_P11_PIN_FILE" 01 "$th" "$S" |
                    sed -n 's/ops_per_s=//p' >>"$WORK/p"
            done
            row "PKCS#11 RSA-2048 sign, $th thread(s) (sig/s)" "$(best_max <"$WORK/o")" \
                "$(best_max <"$WORK/p")" "rate (SoftHSMv2 C_Sign)"
        done
    )
    bash tests/support/softhsm.sh destroy "$WORK/hsm"
fi

# ---- ltsigd signHash ---------------------------------------------------------------------
if want csc; then
    C=$WORK/csc
    mkdir -p "$C/tokens"
    MOD=$(bash tests/support/softhsm.sh module)
    printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$C" \
        >"$C/softhsm2.conf"
    export SOFTHSM2_CONF=$C/softhsm2.conf
    softhsm2-util --init-token --free --label ltsigd-bench --pin 24682468 --so-pin 13571357 >/dev/null
    (umask 077 && echo 24682468 >"$C/token.pin")
    cat >"$C/ltsigd.conf" <<EOF
listen = 127.0.0.1:$CSC_PORT
database = $C/ltsigd.db
pkcs11_module = $MOD
token_label = ltsigd-bench
token_pin_file = $C/token.pin
log_level = warn
max_signatures = 10000
max_body = 8388608
argon2_t = 1
argon2_m_kib = 8192
# LTS_BENCH_SRV_CONF: one more line, to try a setting (docs/performance.md)
${LTS_BENCH_SRV_CONF:-}
EOF
    "$LTSIGD" init --config "$C/ltsigd.conf" >/dev/null
    # 82 users (2 x (1 + 8 + 32): a TOTP code is accepted once, so each run has its own
    # users), each with the signer-rsa key imported into the token
    : >"$C/users"
    for i in $(seq 0 81); do
        (umask 077 && echo "bench-pw-$i" >"$C/u$i.pw" && echo "9900$i" >"$C/u$i.pin")
        sec=$("$LTSIGD" user add --config "$C/ltsigd.conf" --user "u$i" --password-file "$C/u$i.pw" |
            sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p')
        cid=$("$LTSIGD" key import --config "$C/ltsigd.conf" --user "u$i" --p12 "$PKI/signer-rsa.p12" \
            --passin pass:test1234 --pin-file "$C/u$i.pin")
        echo "u$i bench-pw-$i $sec $cid 9900$i" >>"$C/users"
    done
    CID0=$(awk 'NR==1 {print $4}' "$C/users")
    # LTS_BENCH_WRAP_SERVER="perf record -g -o /tmp/ltsigd.perf --" profiles the server (the
    # CPU figures are then perf's own, not the server's)
    ${LTS_BENCH_WRAP_SERVER:-} "$LTSIGD" serve --config "$C/ltsigd.conf" 2>"$C/serve.log" &
    SRV=$!
    PIDS+=($SRV)
    for i in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$CSC_PORT/csc/v2/info" && break
        sleep 0.1
    done
    first=0
    # The raw rate swings on a loaded machine (1,250 to 2,800/s between runs), so it is
    # measured immediately before AND after each ltsigd run and the row compares with the
    # mean of the two (the "after" of one run is the "before" of the next at that level).
    # The CPU time per signature (user + system: ltsigd and the client over the signHash
    # phase, bench_p11 over its run) depends much less on what else runs: the comment line
    # prints it and "cpu ratio" = raw CPU per signature / (server + client CPU per signature).
    rawrate() { # sets RAW_RATE (signatures/s) and RAW_CPU (microseconds per signature)
        /usr/bin/time -f '%U %S' -o "$C/raw.time" \
            "$B/bench/bench_p11" raw "$MOD" ltsigd-bench "$C/token.pin" "$CID0" "$1" "$SECS" \
            >"$C/raw.out" || true
        RAW_RATE=$(sed -n 's/ops_per_s=//p' "$C/raw.out")
        RAW_CPU=$(awk -v r="$RAW_RATE" -v s="$SECS" 'NR == 1 && r > 0 {
                      printf "%.0f", ($1 + $2) * 1e6 / (r * s) }' "$C/raw.time")
    }
    for conc in ${LTS_BENCH_LEVELS:-1 8 32}; do
        rawrate "$conc"
        raw_b=$RAW_RATE cpu_b=$RAW_CPU
        # enough authorised hashes per client for the period (a spent batch ends the run), at
        # most 2000: the cost of a signHash grows with the size of its SAD (docs/performance.md)
        batch=$(awk -v r="$raw_b" -v s="$SECS" -v c="$conc" 'BEGIN{ b = int(r * s * 1.5 / c) + 10;
                    if (b < 100) b = 100; if (b > 2000) b = 2000; print b - b % 10 }')
        for per in ${LTS_BENCH_PER:-1 10}; do
            res=$(LTS_BENCH_SERVER_PID=$SRV "$B/bench/bench_csc" "http://127.0.0.1:$CSC_PORT/csc/v2" \
                "$C/users" "$first" "$conc" "$SECS" "$batch" "$per") ||
                res="ops_per_s=0 p50_ms=- p99_ms=- n=0"
            rawrate "$conc"
            raw_a=$RAW_RATE cpu_a=$RAW_CPU
            first=$((first + conc))
            ops=$(sed -n 's/.*ops_per_s=\([^ ]*\).*/\1/p' <<<"$res")
            raw=$(awk -v a="$raw_b" -v b="$raw_a" 'BEGIN{ printf "%.1f", (a + b) / 2 }')
            row "ltsigd signHash, $per hash/req, concurrency $conc (sig/s)" "$ops" "$raw" \
                "rate (SoftHSMv2 C_Sign, $conc threads, mean of before/after)"
            srv=$(sed -n 's/.*srv_cpu_us=\([0-9]*\).*/\1/p' <<<"$res")
            cli=$(sed -n 's/.*cli_cpu_us=\([0-9]*\).*/\1/p' <<<"$res")
            echo "#   request latency: $(sed 's/ops_per_s=[^ ]* //; s/ srv_cpu_us=.*//' <<<"$res")," \
                "batch $batch; raw before $raw_b, after $raw_a"
            echo "#   CPU us/signature: ltsigd ${srv:--} + client ${cli:--}, raw ${cpu_b:--} before," \
                "${cpu_a:--} after; cpu ratio $(awk -v s="$srv" -v c="$cli" -v a="$cpu_b" -v b="$cpu_a" \
                'BEGIN{ if (s + c > 0 && a + b > 0) printf "%.2f", (a + b) / 2 / (s + c); else print "-" }')"
            raw_b=$raw_a cpu_b=$cpu_a
        done
    done
fi
# ---- renewal (ltsig renew) ---------------------------------------------------------------
# N CAdES B-T signatures (copies of a few signed files: each is renewed on its own) renewed
# to B-LTA with the local TSA (ltsig tsa-serve) and the test PKI's CRL/OCSP services, by
# `ltsig renew --jobs 1` and `--jobs 2`; the peer is what an archivist would script without
# renew: `ltsig extend --level B-LTA` once per file in a shell loop (then mv over the
# original). Rate = files/s; a fresh copy of the archive for every round.
if want renew; then
    RTSA_PORT=19305
    bash "$ROOT/tests/integration/services.sh" start "$PKI" >/dev/null
    "$LTSIG" tsa-serve --signer "file:$PKI/tsa.p12" --passin pass:test1234 --port "$RTSA_PORT" \
        2>"$WORK/rtsa.log" &
    PIDS+=($!)
    for i in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$RTSA_PORT") 2>/dev/null && break
        sleep 0.1
    done
    RTSA=http://127.0.0.1:$RTSA_PORT/
    nr=$((COUNT < 200 ? COUNT : 200))
    mkdir -p "$WORK/rsrc"
    for k in 0 1 2 3; do
        echo "renewal bench document $k $RANDOM" >"$WORK/rsrc/d$k.txt"
        "$LTSIG" sign --format cades --level B-T --tsa "$RTSA" --signer "$P12" --passin pass:test1234 \
            -o "$WORK/rsrc/d$k.p7m" "$WORK/rsrc/d$k.txt"
    done
    fresh() { # a new archive of $nr files in $WORK/ra
        rm -rf "$WORK/ra" && mkdir -p "$WORK/ra"
        for i in $(seq 0 $((nr - 1))); do cp "$WORK/rsrc/d$((i % 4)).p7m" "$WORK/ra/f$i.p7m"; done
    }
    rate() { awk -v n="$nr" -v a="$1" -v b="$2" 'BEGIN{printf "%.2f 0\n", n/(b-a)}'; }
    peer() {
        local t0 t1 f
        fresh
        t0=$(date +%s.%N)
        for f in "$WORK"/ra/*.p7m; do
            "$LTSIG" extend --level B-LTA --tsa "$RTSA" --trust "$PKI/root.pem" -o "$f.new" "$f" &&
                mv "$f.new" "$f"
        done
        t1=$(date +%s.%N)
        rate "$t0" "$t1"
    }
    for jobs in 1 2; do
        ours() {
            local t0 t1
            fresh
            t0=$(date +%s.%N)
            "$LTSIG" renew --jobs "$jobs" --within 36500 --no-journal --tsa "$RTSA" \
                --trust "$PKI/root.pem" "$WORK/ra" >"$WORK/renew.out" 2>&1 ||
                echo "# renew --jobs $jobs: $(tail -1 "$WORK/renew.out")" >&2
            t1=$(date +%s.%N)
            rate "$t0" "$t1"
        }
        : >"$WORK/o" && : >"$WORK/p"
        for r in $(seq "$ROUNDS"); do
            ours >>"$WORK/o"
            peer >>"$WORK/p"
        done
        row "renew $nr CAdES B-T -> B-LTA, --jobs $jobs (files/s)" \
            "$(cut -d' ' -f1 "$WORK/o" | best_max)" "$(cut -d' ' -f1 "$WORK/p" | best_max)" \
            "rate (ltsig extend per file, shell loop)"
    done
    # the same checks as renew in the loop: validate, extend, validate the result offline
    peer() {
        local t0 t1 f
        fresh
        t0=$(date +%s.%N)
        for f in "$WORK"/ra/*.p7m; do
            "$LTSIG" verify -q --trust "$PKI/root.pem" "$f" &&
                "$LTSIG" extend --level B-LTA --tsa "$RTSA" --trust "$PKI/root.pem" -o "$f.new" "$f" &&
                "$LTSIG" verify -q --offline --trust "$PKI/root.pem" "$f.new" && mv "$f.new" "$f"
        done
        t1=$(date +%s.%N)
        rate "$t0" "$t1"
    }
    : >"$WORK/o" && : >"$WORK/p"
    for r in $(seq "$ROUNDS"); do
        ours >>"$WORK/o"
        peer >>"$WORK/p"
    done
    row "renew $nr CAdES B-T -> B-LTA, --jobs 2 (files/s)" \
        "$(cut -d' ' -f1 "$WORK/o" | best_max)" "$(cut -d' ' -f1 "$WORK/p" | best_max)" \
        "rate (verify + extend + verify --offline per file)"
fi
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
