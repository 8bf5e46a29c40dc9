#!/usr/bin/env bash
# test_tsa_serve.sh — `ltsig tsa-serve`, our RFC 3161 responder, checked from outside with
# openssl ts and curl only, and compared with OpenSSL's own responder (`openssl ts -reply`).
# Env: LTSIG, LTS_TEST_PKI (make-pki.sh output). Ports 18305-18306 (the TSA engineer's range).
set -u

PKI=${LTS_TEST_PKI:?}
LTSIG=${LTSIG:?}
PORT=18305
PORT2=18306
URL=http://127.0.0.1:$PORT/
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-tsa-serve.XXXXXX")
pass=0
fail=0
PIDS=()

ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # DESCRIPTION CMD... — passes when CMD succeeds
    local d=$1
    shift
    if "$@" >"$W/last.out" 2>&1; then ok "$d"; else ko "$d"; sed 's/^/     /' "$W/last.out" | head -20; fi
}
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT

# start_tsa PORT LOG ARGS... — start ltsig tsa-serve in the background and wait until it answers
start_tsa() {
    local port=$1 log=$2 i
    shift 2
    "$LTSIG" tsa-serve --signer "file:$PKI/tsa.p12" --passin pass:test1234 --port "$port" "$@" \
        >"$log" 2>&1 &
    PIDS+=($!)
    for ((i = 0; i < 50; i++)); do
        curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/" && return 0
        sleep 0.1
    done
    return 1
}

post() { # QUERY OUT [URL] — prints "HTTP-code content-type"
    curl -s -m 10 -o "$2" -w '%{http_code} %{content_type}' --data-binary "@$1" \
        -H 'Content-Type: application/timestamp-query' "${3:-$URL}"
}

if ! "$LTSIG" tsa-serve --help >/dev/null 2>&1; then
    ko "ltsig has no tsa-serve command (cli/main.c command table)"
    echo "$pass passed, $fail failed"
    exit 1
fi

# --- a good request, verified by openssl -----------------------------------------------------
printf 'the document to timestamp\n' >"$W/doc.txt"
head -c 300000 /dev/urandom >"$W/big.bin"
check "tsa-serve starts on 127.0.0.1:$PORT" start_tsa "$PORT" "$W/tsa.log"
openssl ts -query -data "$W/doc.txt" -sha256 -cert -out "$W/q.tsq" 2>/dev/null
got=$(post "$W/q.tsq" "$W/r.tsr")
check "POST answers 200 application/timestamp-reply ($got)" \
    test "$got" = "200 application/timestamp-reply"
check "openssl ts -verify with the query: Verification: OK" bash -c \
    "openssl ts -verify -in '$W/r.tsr' -queryfile '$W/q.tsq' -CAfile '$PKI/root.pem' \
     -untrusted '$PKI/tsa-chain.pem' 2>&1 | grep -qx 'Verification: OK'"
openssl ts -reply -in "$W/r.tsr" -text >"$W/r.txt" 2>/dev/null
openssl ts -query -in "$W/q.tsq" -text >"$W/q.txt" 2>/dev/null
check "reply shows status Granted" grep -q '^Status: Granted.' "$W/r.txt"
check "reply shows the default test policy 1.3.6.1.4.1.99999.1" \
    grep -qx 'Policy OID: 1.3.6.1.4.1.99999.1' "$W/r.txt"
qn=$(sed -n 's/^Nonce: //p' "$W/q.txt")
rn=$(sed -n 's/^Nonce: //p' "$W/r.txt")
check "reply echoes the nonce ($qn)" test -n "$qn" -a "$qn" = "$rn"
check "token alone verifies against the data (openssl ts -verify -data -token_in)" bash -c \
    "openssl ts -reply -in '$W/r.tsr' -token_out -out '$W/tok.der' 2>/dev/null &&
     openssl ts -verify -data '$W/doc.txt' -in '$W/tok.der' -token_in -CAfile '$PKI/root.pem' \
     -untrusted '$PKI/tsa-chain.pem' 2>&1 | grep -qx 'Verification: OK'"
check "token is a CMS SignedData that openssl cms -verify accepts (timestampsign purpose)" \
    openssl cms -verify -inform DER -in "$W/tok.der" -CAfile "$PKI/root.pem" \
    -purpose timestampsign -out "$W/tstinfo.der"
check "the data changed: openssl ts -verify fails" bash -c \
    "printf 'another document\n' >'$W/other.txt';
     ! openssl ts -verify -data '$W/other.txt' -in '$W/tok.der' -token_in \
       -CAfile '$PKI/root.pem' -untrusted '$PKI/tsa-chain.pem' >/dev/null 2>&1"
check "the TSA is not trusted by another root: openssl ts -verify fails" bash -c \
    "! openssl ts -verify -in '$W/r.tsr' -queryfile '$W/q.tsq' \
       -CAfile '$PKI/untrusted-root.pem' -untrusted '$PKI/tsa-chain.pem' >/dev/null 2>&1"

# --- the same query answered by OpenSSL's responder: the same shape -------------------------
cat >"$W/ossl.cnf" <<EOF
[tsa]
default_tsa = t
[t]
serial = $W/serial
signer_cert = $PKI/tsa.pem
certs = $PKI/tsa-chain.pem
signer_key = $PKI/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
ess_cert_id_alg = sha256
EOF
openssl ts -reply -config "$W/ossl.cnf" -queryfile "$W/q.tsq" -out "$W/o.tsr" >/dev/null 2>&1
openssl ts -reply -in "$W/o.tsr" -text >"$W/o.txt" 2>/dev/null
fields() { grep -E '^(Status|Version|Policy OID|Hash Algorithm|Nonce|Ordering|TSA):' "$1"; }
check "same Status/Version/Policy/Hash/Nonce/Ordering/TSA fields as openssl ts -reply" \
    diff <(fields "$W/r.txt") <(fields "$W/o.txt")
check "same message imprint as openssl ts -reply" \
    diff <(sed -n '/^Message data:/,/^Serial/p' "$W/r.txt" | grep -v Serial) \
         <(sed -n '/^Message data:/,/^Serial/p' "$W/o.txt" | grep -v Serial)
check "both tokens carry a 2-certificate-or-more chain" bash -c \
    "openssl ts -reply -in '$W/o.tsr' -token_out -out '$W/otok.der' 2>/dev/null &&
     test \$(openssl pkcs7 -inform DER -in '$W/tok.der' -print_certs | grep -c '^subject') -ge 2"

# --- SHA-384/512 imprints, no certReq, serials --------------------------------------------------
openssl ts -query -data "$W/doc.txt" -sha512 -out "$W/q512.tsq" 2>/dev/null
post "$W/q512.tsq" "$W/r512.tsr" >/dev/null
check "SHA-512 imprint without certReq: verifies with -untrusted chain" bash -c \
    "openssl ts -verify -in '$W/r512.tsr' -queryfile '$W/q512.tsq' -CAfile '$PKI/root.pem' \
     -untrusted '$PKI/tsa-chain.pem' 2>&1 | grep -qx 'Verification: OK'"
check "without certReq the token carries no certificate" bash -c \
    "openssl ts -reply -in '$W/r512.tsr' -token_out -out '$W/t512.der' 2>/dev/null &&
     ! openssl pkcs7 -inform DER -in '$W/t512.der' -print_certs 2>/dev/null | grep -q subject"
s1=$(sed -n 's/^Serial number: //p' "$W/r.txt")
s2=$(openssl ts -reply -in "$W/r512.tsr" -text 2>/dev/null | sed -n 's/^Serial number: //p')
check "serial numbers differ ($s1 / $s2)" test -n "$s1" -a "$s1" != "$s2"

# --- refusals ---------------------------------------------------------------------------------
openssl ts -query -data "$W/doc.txt" -sha1 -out "$W/q1.tsq" 2>/dev/null
post "$W/q1.tsq" "$W/r1.tsr" >/dev/null
check "SHA-1 imprint: rejected with badAlg" bash -c \
    "openssl ts -reply -in '$W/r1.tsr' -text 2>/dev/null | grep -q '^Status: Rejected' &&
     openssl ts -reply -in '$W/r1.tsr' -text 2>/dev/null | grep -q 'unrecognized or unsupported algorithm'"
openssl ts -query -data "$W/doc.txt" -sha256 -tspolicy 1.2.3.4 -out "$W/qp.tsq" 2>/dev/null
post "$W/qp.tsq" "$W/rp.tsr" >/dev/null
check "unknown policy: rejected (unacceptedPolicy)" bash -c \
    "openssl ts -reply -in '$W/rp.tsr' -text 2>/dev/null | grep -q 'policy is not supported'"
printf 'not DER' >"$W/garbage"
check "garbage body: 200 with a rejection (badDataFormat)" bash -c \
    "test \"\$(curl -s -m 10 -o '$W/rg.tsr' -w '%{http_code}' --data-binary @'$W/garbage' \
       -H 'Content-Type: application/timestamp-query' $URL)\" = 200 &&
     openssl ts -reply -in '$W/rg.tsr' -text 2>/dev/null | grep -q 'wrong format'"
check "GET: 405" test "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$URL")" = 405
check "POST with another content type: 400" test "$(curl -s -m 10 -o /dev/null -w '%{http_code}' \
    --data-binary @"$W/q.tsq" -H 'Content-Type: application/octet-stream' "$URL")" = 400
check "POST of 300 KB (over the 64 KiB cap): 400" test "$(curl -s -m 10 -o /dev/null \
    -w '%{http_code}' --data-binary @"$W/big.bin" -H 'Content-Type: application/timestamp-query' "$URL")" = 400

# --- concurrency --------------------------------------------------------------------------------
CPIDS=()
for i in $(seq 1 16); do post "$W/q.tsq" "$W/c$i.tsr" >"$W/c$i.code" & CPIDS+=($!); done
for p in "${CPIDS[@]}"; do wait "$p"; done
wait_curls() { local i; for i in $(seq 1 16); do grep -q '^200 ' "$W/c$i.code" || return 1; done; }
check "16 concurrent requests all answered 200" wait_curls
check "and every answer verifies" bash -c \
    "for i in \$(seq 1 16); do openssl ts -verify -in '$W'/c\$i.tsr -queryfile '$W/q.tsq' \
       -CAfile '$PKI/root.pem' -untrusted '$PKI/tsa-chain.pem' 2>&1 | grep -qx 'Verification: OK' || exit 1; done"

# --- our client (lts_tsa_stamp, through ltsig sign --level B-T) against our responder -----------
# The signature timestamp token is cut out of the CAdES signature with asn1parse offsets and
# checked by `openssl ts -verify -digest SHA256(signature value) -token_in`.
cades_token() {
    "$LTSIG" sign --format cades --level B-T --signer "file:$PKI/signer-rsa.p12" \
        --passin pass:test1234 --tsa "$URL" --trust "$PKI/root.pem" -o "$W/sig.p7s" \
        "$W/doc.txt" || return 1
    local A ts toff thl tl soff shl sl dg
    A=$(openssl asn1parse -inform DER -in "$W/sig.p7s") || return 1
    ts=$(awk '/:id-smime-aa-timeStampToken/ { sub(":.*", "", $1); print $1; exit }' <<<"$A")
    [[ -n "$ts" ]] || { echo "no signature-time-stamp attribute"; return 1; }
    # the token: the first SEQUENCE after the attribute's OID; the signature: the SignerInfo's
    # OCTET STRING (depth 5) just before the unsigned attributes
    read -r toff thl tl < <(awk -v t="$ts" '{ split($1, a, ":"); o = a[1] + 0 }
        o > t && /cons: SEQUENCE/ { h = $0; sub(/.*hl=/, "", h); split(h, b, " ");
            l = $0; sub(/.*l= */, "", l); split(l, c, " "); print o, b[1], c[1]; exit }' <<<"$A")
    read -r soff shl sl < <(awk -v t="$ts" '{ split($1, a, ":"); o = a[1] + 0 }
        o < t && /d=5 / && /prim: OCTET STRING/ { h = $0; sub(/.*hl=/, "", h); split(h, b, " ");
            l = $0; sub(/.*l= */, "", l); split(l, c, " "); r = o " " b[1] " " c[1] }
        END { print r }' <<<"$A")
    dd if="$W/sig.p7s" of="$W/ctok.der" bs=1 skip="$toff" count=$((thl + tl)) 2>/dev/null
    dg=$(dd if="$W/sig.p7s" bs=1 skip=$((soff + shl)) count="$sl" 2>/dev/null | sha256sum | cut -d' ' -f1)
    openssl ts -verify -digest "$dg" -in "$W/ctok.der" -token_in -CAfile "$PKI/root.pem" \
        -untrusted "$PKI/tsa-chain.pem" 2>&1 | grep -qx 'Verification: OK' || return 1
    openssl ts -reply -in "$W/ctok.der" -token_in -text 2>/dev/null \
        | grep -qx 'Policy OID: 1.3.6.1.4.1.99999.1'
}
check "CAdES B-T via lts_tsa_stamp: the token verifies with openssl ts -verify -digest -token_in" \
    cades_token

# --- --policy, --accuracy, --hash; SIGINT -----------------------------------------------------
check "second instance with --policy 1.3.6.1.4.1.99999.42 --accuracy 2 --hash sha384" \
    start_tsa "$PORT2" "$W/tsa2.log" --policy 1.3.6.1.4.1.99999.42 --accuracy 2 --hash sha384
post "$W/q.tsq" "$W/r2.tsr" "http://127.0.0.1:$PORT2/" >/dev/null
openssl ts -reply -in "$W/r2.tsr" -text >"$W/r2.txt" 2>/dev/null
check "its policy is 1.3.6.1.4.1.99999.42" grep -qx 'Policy OID: 1.3.6.1.4.1.99999.42' "$W/r2.txt"
check "its accuracy is 2 seconds" grep -q '^Accuracy: 0x02 seconds' "$W/r2.txt"
check "its token verifies" bash -c \
    "openssl ts -verify -in '$W/r2.tsr' -queryfile '$W/q.tsq' -CAfile '$PKI/root.pem' \
     -untrusted '$PKI/tsa-chain.pem' 2>&1 | grep -qx 'Verification: OK'"
pid2=${PIDS[1]}
kill -INT "$pid2"
st=0
timeout 10 tail --pid="$pid2" -f /dev/null || st=1
wait "$pid2"
code=$?
check "SIGINT stops it cleanly (exit 0, 'stopping' logged)" bash -c \
    "test $st -eq 0 -a $code -eq 0 && grep -q 'SIGINT, stopping' '$W/tsa2.log'"
PIDS=("${PIDS[0]}")

# --- any lts_signer: the TSA key on a SoftHSMv2 token (pkcs11:) -------------------------------
p11_tsa() {
    bash "$LTS_SRC_DIR/tests/support/softhsm.sh" create "$W/hsm" "$PKI" >/dev/null || return 1
    # shellcheck source=/dev/null
    . "$W/hsm/env.sh"
    local pin
    pin=$(cat "$LTS_P11_PIN_FILE")
    softhsm2-util --import "$PKI/tsa.key" --token "$LTS_P11_TOKEN" --label tsa --id 30 \
        --pin "$pin" >/dev/null || return 1
    openssl x509 -in "$PKI/tsa.pem" -outform DER -out "$W/tsa.der"
    pkcs11-tool --module "$LTS_P11_MODULE" --token-label "$LTS_P11_TOKEN" --login --pin "$pin" \
        --write-object "$W/tsa.der" --type cert --label tsa --id 30 >/dev/null 2>&1 || return 1
    "$LTSIG" tsa-serve --signer "pkcs11:token=$LTS_P11_TOKEN;object=tsa?module-path=$LTS_P11_MODULE" \
        --passin "file:$LTS_P11_PIN_FILE" --port "$PORT2" >"$W/tsa-p11.log" 2>&1 &
    local pid=$! i rc=1
    for ((i = 0; i < 50; i++)); do
        curl -s -o /dev/null -m 1 "http://127.0.0.1:$PORT2/" && break
        sleep 0.1
    done
    post "$W/q.tsq" "$W/rp11.tsr" "http://127.0.0.1:$PORT2/" >/dev/null
    openssl ts -verify -in "$W/rp11.tsr" -queryfile "$W/q.tsq" -CAfile "$PKI/root.pem" \
        -untrusted "$PKI/tsa-chain.pem" 2>&1 | grep -qx 'Verification: OK' && rc=0
    kill -TERM "$pid"
    wait "$pid" || rc=1
    return $rc
}
LTS_SRC_DIR=${LTS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
if command -v softhsm2-util >/dev/null && command -v pkcs11-tool >/dev/null; then
    check "pkcs11: signer (SoftHSMv2): the token verifies with openssl ts -verify" p11_tsa
else
    ko "softhsm2-util / pkcs11-tool missing (apt-get install softhsm2 opensc)"
fi

# --- bad command lines -------------------------------------------------------------------------
run_bad() { # EXPECTED-EXIT NEEDLE ARGS...
    local want=$1 needle=$2 got
    shift 2
    timeout 10 "$LTSIG" tsa-serve "$@" >"$W/bad.out" 2>&1
    got=$?
    [[ $got -eq $want ]] || { echo "exit $got, wanted $want"; cat "$W/bad.out"; return 1; }
    grep -q -- "$needle" "$W/bad.out" || { echo "no '$needle' in:"; cat "$W/bad.out"; return 1; }
    ! grep -q 'wrongpass123' "$W/bad.out" || { echo "the password was printed"; return 1; }
}
check "no --port: usage error (3)" run_bad 3 "port" --signer "file:$PKI/tsa.p12"
check "no --signer: usage error (3)" run_bad 3 "signer" --port "$PORT2"
check "--port 70000: usage error" run_bad 3 "port" --signer "file:$PKI/tsa.p12" --port 70000
check "wrong password: error, password not printed" \
    run_bad 4 "signer" --signer "file:$PKI/tsa.p12" --passin pass:wrongpass123 --port "$PORT2"
check "signer without the timeStamping EKU is refused" \
    run_bad 3 "extendedKeyUsage" --signer "file:$PKI/tsa-noeku.p12" --passin pass:test1234 --port "$PORT2"
check "port already in use: error" \
    run_bad 4 "cannot listen" --signer "file:$PKI/tsa.p12" --passin pass:test1234 --port "$PORT"
check "--bind not an address: error" \
    run_bad 3 "bind" --signer "file:$PKI/tsa.p12" --passin pass:test1234 --port "$PORT2" --bind nowhere

# --- SIGTERM ------------------------------------------------------------------------------------
pid=${PIDS[0]}
kill -TERM "$pid"
st=0
timeout 10 tail --pid="$pid" -f /dev/null || st=1
wait "$pid"
code=$?
PIDS=()
check "SIGTERM stops it cleanly (exit 0)" test "$st" -eq 0 -a "$code" -eq 0
check "and the port is closed" bash -c "! curl -s -m 2 -o /dev/null '$URL'"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
