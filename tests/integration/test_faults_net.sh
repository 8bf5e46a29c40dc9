#!/bin/bash
# Fault injection on the network (issue 8): the TSA, OCSP, CRL and AIA (caIssuers) fetches of
# `ltsig sign --level B-T/B-LT` (CAdES, XAdES, PAdES) and `ltsig extend` (CAdES) against
# servers that refuse the connection, accept and never answer, send a truncated body, drip
# one byte per second, send garbage, or answer 500 (tests/integration/fault_server.py).
# Each must end within its --timeout 2 bound with exit >= 3, a one-line "ltsig: ..."
# error, and no file left in the output folder (listing compared before/after).
# Positive controls first prove that the same commands succeed with working servers.
# Its own PKI (URLs on the hardening ports 19101 HTTP, 19102 OCSP), a good TSA
# (`ltsig tsa-serve`) on 19103, the faulty server on 19104; 19105 stays closed.
# Env: LTSIG, LTS_SRC; optional TMPDIR.
set -u
: "${LTSIG:?}" "${LTS_SRC:?}"
PH=19101 PO=19102 PT=19103 PF=19104 PR=19105
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-faults-net.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in $PH $PO $PT $PF $PR; do
    if ! port_free "$p"; then
        echo "port $p is in use (another run of this test?)" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
done

LTS_TEST_HTTP_PORT=$PH LTS_TEST_OCSP_PORT=$PO LTS_TEST_TSA_PORT=$PT \
    bash "$LTS_SRC/testdata/pki/make-pki.sh" "$W/pki" >/dev/null || {
    echo "make-pki.sh failed"; echo "0 passed, 1 failed"; exit 1; }
P=$W/pki
DOCS=$LTS_SRC/testdata/docs

# start_server PORT MODE [ARG] — sets SRV to its pid once it listens
start_server() {
    python3 "$LTS_SRC/tests/integration/fault_server.py" "$@" >"$W/srv-$1.log" 2>&1 &
    SRV=$!
    PIDS+=("$SRV")
    for _ in $(seq 50); do
        grep -q ready "$W/srv-$1.log" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "fault_server.py $* did not start" >&2
    return 1
}
stop_server() { # PID
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    local i
    for i in "${!PIDS[@]}"; do [ "${PIDS[$i]}" = "$1" ] && unset "PIDS[$i]"; done
    return 0
}

# the good TSA
"$LTSIG" tsa-serve --signer "file:$P/tsa.p12" --passin pass:test1234 --port $PT >"$W/tsa.log" 2>&1 &
TSA_PID=$!
PIDS+=("$TSA_PID")
GOOD_TSA=http://127.0.0.1:$PT/
openssl ts -query -data "$DOCS/sample.txt" -sha256 -cert -out "$W/q.tsq" 2>/dev/null
up=0
for _ in $(seq 50); do
    if curl -s -m 2 -H 'Content-Type: application/timestamp-query' --data-binary @"$W/q.tsq" \
        -o "$W/q.tsr" "$GOOD_TSA" && openssl ts -reply -in "$W/q.tsr" -text >/dev/null 2>&1; then
        up=1
        break
    fi
    sleep 0.1
done
[ $up = 1 ] || { ko "ltsig tsa-serve did not start"; echo "$pass passed, $fail failed"; exit 1; }

SIGNER=(--signer "file:$P/signer-rsa.p12" --passin pass:test1234)
# a signer without its chain: the intermediate must come from the AIA caIssuers URL
LEAF=(--signer "file:$P/signer-rsa.key?cert=$P/signer-rsa.pem")
mkdir -p "$W/out"
"$LTSIG" sign --format cades --level B-B "${SIGNER[@]}" -o "$W/bb.p7m" "$DOCS/sample.txt" ||
    ko "B-B CAdES for extend"
BB_SUM=$(sha256sum <"$W/bb.p7m")
(cd "$DOCS" && sha256sum sample.txt prescription.xml sample.pdf) >"$W/docs.sha256"

# expect_fail NAME OUT -- CMD... : exit >= 3 within 30 s, one "ltsig:" line on stderr,
# OUT absent and the output folder unchanged
expect_fail() {
    local name=$1 out=$2 before after rc t0 dt lines
    shift 3
    before=$(ls -A "$W/out")
    t0=$(date +%s)
    "$@" >"$W/stdout" 2>"$W/stderr"
    rc=$?
    dt=$(($(date +%s) - t0))
    after=$(ls -A "$W/out")
    lines=$(grep -c . "$W/stderr")
    if [ $rc -ge 3 ] && [ $rc -lt 126 ]; then ok; else ko "$name: exit $rc (want >= 3)"; fi
    if [ "$lines" = 1 ] && grep -q '^ltsig: ' "$W/stderr"; then ok; else
        ko "$name: not a one-line error:"; sed 's/^/    /' "$W/stderr" >&2
    fi
    if [ ! -e "$out" ] && [ "$before" = "$after" ]; then ok; else
        ko "$name: left files: $(ls -A "$W/out" | tr '\n' ' ')"
        rm -f "$W"/out/* "$W"/out/.[!.]* 2>/dev/null
    fi
    if [ $dt -le 30 ]; then ok; else ko "$name: took $dt s with --timeout 2"; fi
    echo "  $name: exit $rc in $dt s: $(head -c 300 "$W/stderr")"
}
expect_ok() { # NAME OUT -- CMD...
    local name=$1 out=$2
    shift 3
    if "$@" >"$W/stdout" 2>"$W/stderr" && [ -s "$out" ]; then ok; else
        ko "$name (control) failed:"; sed 's/^/    /' "$W/stderr" >&2
    fi
    rm -f "$out"
}

# --- positive controls: the commands work when the servers do ----------------------------
start_server $PH serve "$P/www"
HTTP_PID=$SRV
expect_ok "sign cades B-T" "$W/out/c.p7m" -- "$LTSIG" sign --format cades --level B-T "${SIGNER[@]}" \
    --tsa "$GOOD_TSA" --timeout 2 -o "$W/out/c.p7m" "$DOCS/sample.txt"
# OCSP refused, CRLs served: B-LT is made from the CRLs (a failed fetch is tolerated when
# the other kind of revocation data was obtained, ltsig/vdata.h)
expect_ok "sign cades B-LT (CRL only)" "$W/out/c.p7m" -- "$LTSIG" sign --format cades --level B-LT \
    "${SIGNER[@]}" --tsa "$GOOD_TSA" --trust "$P/root.pem" --timeout 2 -o "$W/out/c.p7m" "$DOCS/sample.txt"
expect_ok "sign cades B-LT, leaf-only signer (AIA, CRL)" "$W/out/c.p7m" -- "$LTSIG" sign --format cades \
    --level B-LT "${LEAF[@]}" --tsa "$GOOD_TSA" --trust "$P/root.pem" --timeout 2 \
    -o "$W/out/c.p7m" "$DOCS/sample.txt"
expect_ok "extend cades B-LT (CRL only)" "$W/out/c.p7m" -- "$LTSIG" extend --level B-LT \
    --tsa "$GOOD_TSA" --trust "$P/root.pem" --timeout 2 -o "$W/out/c.p7m" "$W/bb.p7m"
stop_server "$HTTP_PID"

# --- the faults ------------------------------------------------------------------------------
for mode in refused hang truncated drip garbage error500; do
    echo "== $mode"
    if [ $mode = refused ]; then
        BAD_TSA=http://127.0.0.1:$PR/
        S1= S2= S3=
    else
        BAD_TSA=http://127.0.0.1:$PF/
        start_server $PF $mode application/timestamp-reply || ko "server $mode"
        S1=$SRV
        start_server $PH $mode application/pkix-crl || ko "server $mode"
        S2=$SRV
        start_server $PO $mode application/ocsp-response || ko "server $mode"
        S3=$SRV
    fi
    for fmt in cades xades pades; do
        case $fmt in
        cades) in=$DOCS/sample.txt ext=p7m ;;
        xades) in=$DOCS/prescription.xml ext=xml ;;
        pades) in=$DOCS/sample.pdf ext=pdf ;;
        esac
        o=$W/out/s.$ext
        expect_fail "$mode: sign $fmt B-T (TSA)" "$o" -- "$LTSIG" sign --format $fmt --level B-T \
            "${SIGNER[@]}" --tsa "$BAD_TSA" --timeout 2 -o "$o" "$in"
        expect_fail "$mode: sign $fmt B-LT (OCSP, CRL)" "$o" -- "$LTSIG" sign --format $fmt \
            --level B-LT "${SIGNER[@]}" --tsa "$GOOD_TSA" --trust "$P/root.pem" --timeout 2 -o "$o" "$in"
    done
    expect_fail "$mode: sign cades B-LT, leaf-only signer (AIA)" "$W/out/s.p7m" -- "$LTSIG" sign \
        --format cades --level B-LT "${LEAF[@]}" --tsa "$GOOD_TSA" --trust "$P/root.pem" \
        --timeout 2 -o "$W/out/s.p7m" "$DOCS/sample.txt"
    o=$W/out/e.p7m
    expect_fail "$mode: extend cades B-T (TSA)" "$o" -- "$LTSIG" extend --level B-T \
        --tsa "$BAD_TSA" --timeout 2 -o "$o" "$W/bb.p7m"
    expect_fail "$mode: extend cades B-LT (OCSP, CRL)" "$o" -- "$LTSIG" extend --level B-LT \
        --tsa "$GOOD_TSA" --trust "$P/root.pem" --timeout 2 -o "$o" "$W/bb.p7m"
    for s in $S1 $S2 $S3; do stop_server "$s"; done
done

# the inputs were never touched
if [ "$(sha256sum <"$W/bb.p7m")" = "$BB_SUM" ]; then ok; else ko "bb.p7m changed"; fi
if (cd "$DOCS" && sha256sum -c --quiet "$W/docs.sha256"); then ok; else ko "an input in testdata/docs changed"; fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
