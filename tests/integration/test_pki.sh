#!/usr/bin/env bash
# test_pki.sh — checks testdata/pki/make-pki.sh and tests/integration/services.sh with openssl.
# Exit 0 when every check passes; the last line printed is "N passed, N failed".
# Ports: LTS_TEST_HTTP_PORT / LTS_TEST_OCSP_PORT / LTS_TEST_TSA_PORT, default 18180/18181/18182
# (not the suite-wide 18080.. defaults, so this can run beside a suite-wide service set).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
MAKE_PKI=$ROOT/testdata/pki/make-pki.sh
SERVICES=$HERE/services.sh

export LTS_TEST_HTTP_PORT=${LTS_TEST_HTTP_PORT:-18180}
export LTS_TEST_OCSP_PORT=${LTS_TEST_OCSP_PORT:-18181}
export LTS_TEST_TSA_PORT=${LTS_TEST_TSA_PORT:-18182}
HTTP=$LTS_TEST_HTTP_PORT
OCSP=$LTS_TEST_OCSP_PORT
TSA=$LTS_TEST_TSA_PORT
# A stand-in TSA (any process listening on the TSA port) exercises the LTS_TSA_SERVE_CMD hook.
# shellcheck disable=SC2016  # expanded by the shell services.sh starts
export LTS_TSA_SERVE_CMD='exec python3 -m http.server "$LTS_TEST_TSA_PORT" --bind 127.0.0.1 --directory "$LTS_TEST_PKI/www"'
unset LTS_TEST_OCSP_MULTI

PASS=0
FAIL=0
ok()   { PASS=$((PASS + 1)); echo "ok   - $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [[ -z "${2:-}" ]] || printf '       %s\n' "$2" | head -n 20; }
# check NAME CMD... — passes when CMD exits 0
check() { local n=$1 out; shift; if out=$("$@" 2>&1); then ok "$n"; else fail "$n" "$out"; fi; }
# check_not NAME CMD... — passes when CMD exits non-zero
check_not() { local n=$1 out; shift; if out=$("$@" 2>&1); then fail "$n (unexpectedly succeeded)" "$out"; else ok "$n"; fi; }
finish() { echo "$PASS passed, $FAIL failed"; [[ $FAIL -eq 0 ]]; exit $?; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ltsig-test-pki.XXXXXX")
PKI=$TMP/pki
# shellcheck disable=SC2317  # called by the trap
cleanup() {
    [[ -d "$PKI/run" ]] && "$SERVICES" stop "$PKI" >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- make-pki.sh -------------------------------------------------------------------------------
start=$(date +%s%N)
if out=$("$MAKE_PKI" "$PKI" 2>&1); then ok "make-pki.sh runs"; else fail "make-pki.sh runs" "$out"; finish; fi
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "make-pki.sh took ${ms} ms"   # reported, never asserted: speed belongs to bench/
check "make-pki.sh is idempotent (second run over the same OUTDIR)" "$MAKE_PKI" "$PKI"
mkdir -p "$TMP/notpki" && touch "$TMP/notpki/precious"
check_not "make-pki.sh refuses to wipe a foreign non-empty dir" "$MAKE_PKI" "$TMP/notpki"
check "foreign dir left intact" test -f "$TMP/notpki/precious"

cd "$PKI" || { fail "cd $PKI"; finish; }
missing=()
for f in root.pem root.key inter.pem inter.key chain.pem \
         ocsp.pem ocsp.key untrusted-root.pem untrusted-root.key \
         inter.crl root.crl ca/index.txt env.sh \
         www/inter.der www/root.der www/inter.crl www/root.crl; do
    [[ -s $f ]] || missing+=("$f")
done
for n in signer-rsa signer-ec signer-ec384 signer-revoked signer-expired tsa tsa-noeku untrusted-signer; do
    for e in .pem .key .p12 -chain.pem; do [[ -s $n$e ]] || missing+=("$n$e"); done
done
if [[ ${#missing[@]} -eq 0 ]]; then ok "all files present"; else fail "all files present" "missing: ${missing[*]}"; fi

check "env.sh exports the PKI dir and ports" bash -c \
    ". ./env.sh && [[ \$LTS_TEST_PKI == '$PKI' && \$LTS_TEST_HTTP_PORT == $HTTP && \$LTS_TEST_OCSP_PORT == $OCSP && \$LTS_TEST_TSA_PORT == $TSA ]]"

# --- chains --------------------------------------------------------------------------------------
for n in signer-rsa signer-ec signer-ec384 tsa tsa-noeku ocsp; do
    check "openssl verify $n" openssl verify -CAfile root.pem -untrusted inter.pem $n.pem
done
check "openssl verify -purpose timestampsign tsa" \
    openssl verify -purpose timestampsign -CAfile root.pem -untrusted inter.pem tsa.pem
check_not "openssl verify -purpose timestampsign tsa-noeku fails" \
    openssl verify -purpose timestampsign -CAfile root.pem -untrusted inter.pem tsa-noeku.pem
check "openssl verify inter (pathlen 0 CA)" openssl verify -CAfile root.pem inter.pem
out=$(openssl verify -CAfile root.pem -untrusted inter.pem signer-expired.pem 2>&1)
if [[ $? -ne 0 && $out == *"certificate has expired"* ]]; then ok "signer-expired fails: expired"
else fail "signer-expired fails: expired" "$out"; fi
out=$(openssl verify -CAfile root.pem -untrusted inter.pem untrusted-signer.pem 2>&1)
if [[ $? -ne 0 && $out == *"unable to get local issuer certificate"* ]]; then ok "untrusted-signer fails: no chain to root.pem"
else fail "untrusted-signer fails: no chain to root.pem" "$out"; fi
check "untrusted-signer verifies against its own root" \
    openssl verify -CAfile untrusted-root.pem untrusted-signer.pem
check "signer-expired verifies at 2020-06-01 (-attime)" \
    openssl verify -attime "$(date -u -d 2020-06-01 +%s)" -CAfile root.pem -untrusted inter.pem signer-expired.pem
check "signer-rsa-chain.pem = cert + inter + root" \
    bash -c "[[ \$(grep -c 'BEGIN CERTIFICATE' signer-rsa-chain.pem) == 3 ]] && cmp -s <(cat signer-rsa.pem inter.pem root.pem) signer-rsa-chain.pem"
check "chain.pem = inter + root" cmp -s <(cat inter.pem root.pem) chain.pem

# --- certificate contents ----------------------------------------------------------------------
txt=$(openssl x509 -in signer-rsa.pem -noout -text)
check "signer-rsa: RSA 2048" grep -q 'Public-Key: (2048 bit)' <<<"$txt"
check "signer-rsa: subject O + CN" \
    grep -q 'Subject: O = ltsig test, CN = Test Signer RSA' <<<"$txt"
check "signer-rsa: key usage critical digitalSignature,nonRepudiation" \
    grep -q 'X509v3 Key Usage: critical' <<<"$txt"
check "signer-rsa: digitalSignature + nonRepudiation" grep -q 'Digital Signature, Non Repudiation' <<<"$txt"
check "signer-rsa: AIA caIssuers" grep -q "CA Issuers - URI:http://127.0.0.1:$HTTP/inter.der" <<<"$txt"
check "signer-rsa: AIA OCSP" grep -q "OCSP - URI:http://127.0.0.1:$OCSP\$" <<<"$txt"
check "signer-rsa: CDP" grep -q "URI:http://127.0.0.1:$HTTP/inter.crl" <<<"$txt"
check "signer-ec: P-256" grep -q 'NIST CURVE: P-256' <<<"$(openssl x509 -in signer-ec.pem -noout -text)"
check "signer-ec384: P-384" grep -q 'NIST CURVE: P-384' <<<"$(openssl x509 -in signer-ec384.pem -noout -text)"
check "signer-expired: 2020-01-01 .. 2021-01-01" test \
    "$(openssl x509 -in signer-expired.pem -noout -startdate -enddate | tr '\n' ' ')" \
    = "notBefore=Jan  1 00:00:00 2020 GMT notAfter=Jan  1 00:00:00 2021 GMT "
check "inter: CA pathlen 0" grep -q 'CA:TRUE, pathlen:0' <<<"$(openssl x509 -in inter.pem -noout -text)"
tsa_eku=$(openssl x509 -in tsa.pem -noout -ext extendedKeyUsage)
check "tsa.pem: extendedKeyUsage critical timeStamping (only)" \
    test "$(tr -s ' \n' ' ' <<<"$tsa_eku")" = "X509v3 Extended Key Usage: critical Time Stamping "
check_not "tsa-noeku.pem: no extendedKeyUsage" grep -q 'Extended Key Usage' <<<"$(openssl x509 -in tsa-noeku.pem -noout -text)"
otxt=$(openssl x509 -in ocsp.pem -noout -text)
check "ocsp.pem: EKU OCSPSigning" grep -q 'OCSP Signing' <<<"$otxt"
check "ocsp.pem: id-pkix-ocsp-nocheck" grep -q 'OCSP No Check' <<<"$otxt"
for n in signer-rsa signer-ec signer-ec384 tsa ocsp; do
    check "$n.key is unencrypted PKCS#8 PEM matching $n.pem" bash -c \
        "head -n1 $n.key | grep -qx -- '-----BEGIN PRIVATE KEY-----' && \
         cmp -s <(openssl pkey -in $n.key -pubout) <(openssl x509 -in $n.pem -noout -pubkey)"
done

# --- PKCS#12 -----------------------------------------------------------------------------------
check "signer-rsa.p12 opens with test1234" openssl pkcs12 -in signer-rsa.p12 -passin pass:test1234 -noout
check_not "signer-rsa.p12 does not open with a wrong password" \
    openssl pkcs12 -in signer-rsa.p12 -passin pass:wrong -noout
for n in signer-rsa signer-ec tsa untrusted-signer; do
    want=3; [[ $n == untrusted-signer ]] && want=2
    check "$n.p12 holds the key and $want certificates" bash -c \
        "[[ \$(openssl pkcs12 -in $n.p12 -passin pass:test1234 -nokeys | grep -c 'BEGIN CERTIFICATE') == $want ]] && \
         openssl pkcs12 -in $n.p12 -passin pass:test1234 -nocerts -nodes | grep -q 'BEGIN PRIVATE KEY'"
done
check "signer-rsa.p12 uses the OpenSSL 3 defaults (PBES2/AES-256-CBC, SHA-256 MAC)" bash -c \
    "openssl pkcs12 -in signer-rsa.p12 -passin pass:test1234 -info -noout 2>&1 | grep -q 'MAC: sha256' && \
     openssl pkcs12 -in signer-rsa.p12 -passin pass:test1234 -info -noout 2>&1 | grep -q 'PBES2, PBKDF2, AES-256-CBC'"

# --- CRLs and the CA database ------------------------------------------------------------------
revoked_serial=$(openssl x509 -in signer-revoked.pem -noout -serial | cut -d= -f2)
check "index.txt marks signer-revoked R, keyCompromise" \
    grep -qE "^R	[0-9]+Z	[0-9]+Z,keyCompromise	$revoked_serial	" ca/index.txt
check "inter.crl verifies with inter.pem" openssl crl -inform DER -in inter.crl -CAfile chain.pem -noout
check "root.crl is empty" grep -q 'No Revoked Certificates' <<<"$(openssl crl -inform DER -in root.crl -noout -text)"
next=$(openssl crl -inform DER -in inter.crl -noout -nextupdate | cut -d= -f2)
days=$(( ($(date -u -d "$next" +%s) - $(date -u +%s)) / 86400 ))
if [[ $days -ge 29 && $days -le 30 ]]; then ok "inter.crl nextUpdate in 30 days"; else fail "inter.crl nextUpdate in 30 days" "got $next ($days days)"; fi

# --- services ----------------------------------------------------------------------------------
# a port already taken: start must fail cleanly and leave nothing behind
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("ready", flush=True); time.sleep(30)' "$OCSP" \
    >"$TMP/squatter.out" 2>&1 &
squatter=$!
for _ in $(seq 50); do grep -q ready "$TMP/squatter.out" && break; sleep 0.1; done
out=$("$SERVICES" start "$PKI" 2>&1); rc=$?
if [[ $rc -ne 0 && $out == *"$OCSP"*"already in use"* ]]; then ok "services.sh start fails when a port is taken"
else fail "services.sh start fails when a port is taken" "rc=$rc $out"; fi
kill "$squatter" 2>/dev/null; wait "$squatter" 2>/dev/null
rc=0; "$SERVICES" status "$PKI" >/dev/null 2>&1 || rc=$?
if [[ $rc -eq 3 ]]; then ok "nothing left running after the failed start"; else fail "nothing left running after the failed start" "status rc=$rc"; fi

if out=$("$SERVICES" start "$PKI" 2>&1); then ok "services.sh start"; else fail "services.sh start" "$out"; finish; fi
check "services.sh status" "$SERVICES" status "$PKI"
check_not "services.sh start refuses to start twice" "$SERVICES" start "$PKI"
check "pid files recorded" test -s run/http.pid -a -s run/ocsp.pid -a -s run/tsa.pid

out=$(openssl ocsp -issuer inter.pem -cert signer-rsa.pem -url "http://127.0.0.1:$OCSP" -CAfile root.pem 2>&1)
if [[ $out == *"signer-rsa.pem: good"* && $out == *"Response verify OK"* ]]; then ok "OCSP: signer-rsa good"
else fail "OCSP: signer-rsa good" "$out"; fi
out=$(openssl ocsp -issuer inter.pem -cert signer-revoked.pem -url "http://127.0.0.1:$OCSP" -CAfile root.pem 2>&1)
if [[ $out == *"signer-revoked.pem: revoked"* && $out == *"Reason: keyCompromise"* && $out == *"Response verify OK"* ]]; then
    ok "OCSP: signer-revoked revoked (keyCompromise)"
else fail "OCSP: signer-revoked revoked (keyCompromise)" "$out"; fi
# several requests in a row and in parallel (the responder must keep serving)
out=$(for _ in 1 2 3 4 5 6; do
          openssl ocsp -issuer inter.pem -cert signer-ec.pem -url "http://127.0.0.1:$OCSP" \
              -CAfile root.pem -timeout 10 2>&1 &
      done; wait)
if [[ $(grep -c 'signer-ec.pem: good' <<<"$out") == 6 ]]; then ok "OCSP: 6 parallel requests answered"
else fail "OCSP: 6 parallel requests answered" "$out"; fi

if curl -fsS --noproxy '*' -m 5 -o "$TMP/inter.crl" "http://127.0.0.1:$HTTP/inter.crl" 2>"$TMP/curl.err"; then
    ok "HTTP: GET /inter.crl"
    crl_txt=$(openssl crl -inform DER -in "$TMP/inter.crl" -noout -text 2>&1)
    check "HTTP: fetched inter.crl lists signer-revoked's serial ($revoked_serial)" \
        grep -q "Serial Number: $revoked_serial\$" <<<"$crl_txt"
else
    fail "HTTP: GET /inter.crl" "$(cat "$TMP/curl.err")"
fi
check "HTTP: caIssuers URL serves inter.der" bash -c \
    "curl -fsS --noproxy '*' -m 5 http://127.0.0.1:$HTTP/inter.der | cmp -s - <(openssl x509 -in inter.pem -outform DER)"
hexport=$(printf %04X "$HTTP")
listeners=$(awk -v p=":$hexport" '$4 == "0A" && substr($2, length($2) - 4) == p { print $2 }' \
                /proc/net/tcp /proc/net/tcp6 2>/dev/null)
check "HTTP: bound to 127.0.0.1 only" test "$listeners" = "0100007F:$hexport"
check "TSA hook: LTS_TSA_SERVE_CMD listening on $TSA" \
    curl -fsS --noproxy '*' -m 5 -o /dev/null "http://127.0.0.1:$TSA/root.der"

pids=$(cat run/*.pid)
check "services.sh stop" "$SERVICES" stop "$PKI"
check "services.sh stop again (idempotent)" "$SERVICES" stop "$PKI"
left=""
for p in $pids; do ps -o stat= -p "$p" 2>/dev/null | grep -q '^[^Z]' && left+=" $p"; done
if [[ -z $left ]]; then ok "no service process left"; else fail "no service process left" "still running:$left"; fi
check_not "OCSP port closed after stop" \
    openssl ocsp -issuer inter.pem -cert signer-rsa.pem -url "http://127.0.0.1:$OCSP" -noverify -timeout 2
rc=0; "$SERVICES" status "$PKI" >/dev/null 2>&1 || rc=$?
if [[ $rc -eq 3 ]]; then ok "services.sh status says nothing is running (3)"; else fail "services.sh status says nothing is running (3)" "rc=$rc"; fi

finish
