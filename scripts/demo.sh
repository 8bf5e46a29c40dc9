#!/bin/bash
# The ltsig demo: install, build, make a throw-away PKI, start the loopback services
# (CRL/AIA server, OCSP responder, our RFC 3161 TSA), then sign real documents and
# validate them, printing the reports. Everything happens in a scratch folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/deps.sh
BUILD=$ROOT/build-demo
cmake -S "$ROOT" -B "$BUILD" -DLTS_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target ltsig_cli ltsigd >/dev/null
LTSIG=$BUILD/cli/ltsig
LTSIGD=$BUILD/backend/server/ltsigd

DEMO=$(mktemp -d /tmp/ltsig-demo.XXXXXX)
export LTS_TEST_HTTP_PORT=${LTS_DEMO_PORT_BASE:-18980}
export LTS_TEST_OCSP_PORT=$((LTS_TEST_HTTP_PORT + 1))
export LTS_TEST_TSA_PORT=$((LTS_TEST_HTTP_PORT + 2))
PKI=$DEMO/pki
SERVER_PID=
TSA2_PID=
cleanup() {
    [ -n "$TSA2_PID" ] && kill -TERM "$TSA2_PID" 2>/dev/null
    [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    bash "$ROOT/tests/integration/services.sh" stop "$PKI" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "a test PKI in $PKI (root, intermediate, signers, TSA, OCSP responder)"
bash "$ROOT/testdata/pki/make-pki.sh" "$PKI" >/dev/null
HAVE_TSA=0
if "$LTSIG" --help | grep -q tsa-serve; then
    export LTS_TSA_SERVE_CMD="$LTSIG tsa-serve --signer file:$PKI/tsa.p12 --passin pass:test1234 --port $LTS_TEST_TSA_PORT"
    HAVE_TSA=1
fi
bash "$ROOT/tests/integration/services.sh" start "$PKI" >/dev/null
echo "services: CRL/AIA http://127.0.0.1:$LTS_TEST_HTTP_PORT  OCSP http://127.0.0.1:$LTS_TEST_OCSP_PORT$([ $HAVE_TSA = 1 ] && echo "  TSA http://127.0.0.1:$LTS_TEST_TSA_PORT")"

export DEMO_P12_PASS=test1234
DOCS=$ROOT/testdata/docs
OUT=$DEMO/out
mkdir -p "$OUT"

TSA=http://127.0.0.1:$LTS_TEST_TSA_PORT/
SIGN=(--passin env:DEMO_P12_PASS --tsa "$TSA" --trust "$PKI/root.pem")

step "PAdES B-LTA: a contract PDF, signed (RSA), with DSS and a document timestamp"
"$LTSIG" sign --format pades --level B-LTA --signer "file:$PKI/signer-rsa.p12" "${SIGN[@]}" \
    -o "$OUT/contract-signed.pdf" "$DOCS/sample.pdf"
"$LTSIG" verify --trust "$PKI/root.pem" "$OUT/contract-signed.pdf"
if command -v pdfsig >/dev/null; then
    mkdir -p "$DEMO/nss"
    certutil -N -d "sql:$DEMO/nss" --empty-password
    certutil -A -d "sql:$DEMO/nss" -n ltsig-demo-root -t "CT,C,C" -i "$PKI/root.pem"
    echo "independent check (pdfsig):"
    pdfsig -nssdir "sql:$DEMO/nss" "$OUT/contract-signed.pdf" | grep -E "Signature #|Validation" || true
fi

step "XAdES B-LTA: an e-prescription (the signature beside the signed element, by Id; ECDSA)"
"$LTSIG" sign --format xades --level B-LTA --signer "file:$PKI/signer-ec.p12" "${SIGN[@]}" \
    -o "$OUT/prescription-signed.xml" "$DOCS/prescription.xml"
"$LTSIG" verify --trust "$PKI/root.pem" "$OUT/prescription-signed.xml"

step "CAdES B-LTA, detached: any file (ECDSA P-384), then a JSON report"
"$LTSIG" sign --format cades --level B-LTA --signer "file:$PKI/signer-ec384.p12" "${SIGN[@]}" \
    --detached -o "$OUT/sample.bin.p7s" "$DOCS/sample.bin"
"$LTSIG" verify --trust "$PKI/root.pem" --detached-content "$DOCS/sample.bin" \
    --report json "$OUT/sample.bin.p7s"
echo "independent check: $(openssl cms -verify -binary -inform DER -in "$OUT/sample.bin.p7s" \
    -content "$DOCS/sample.bin" -CAfile "$PKI/root.pem" -purpose any -out /dev/null 2>&1)"

step "the archive job: ltsig info says until when each file is protected; ltsig renew renews"
ARCH=$DEMO/archive
mkdir -p "$ARCH"
cp "$OUT/contract-signed.pdf" "$OUT/prescription-signed.xml" "$OUT/sample.bin.p7s" "$ARCH/"
cp "$DOCS/sample.bin" "$ARCH/" # with sample.bin.p7s: a detached pair
echo "not a signature" >"$ARCH/notes.txt"
"$LTSIG" info "$ARCH/prescription-signed.xml"
echo "-- a nightly run with the default window (90 days): nothing is due yet"
"$LTSIG" renew --tsa "$TSA" --trust "$PKI/root.pem" "$ARCH" | tail -2
echo "-- the test TSA's certificate ends in about 3 years; a second TSA's lasts about 9:"
echo "   renew what stops being protected within 1200 days, time-stamped by the second TSA"
TSA2_PORT=$((LTS_TEST_HTTP_PORT + 3))
"$LTSIG" tsa-serve -q --signer "file:$PKI/tsa-next.p12" --passin env:DEMO_P12_PASS \
    --port "$TSA2_PORT" &
TSA2_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$TSA2_PORT/" && break; sleep 0.1; done
"$LTSIG" renew --within 1200 --jobs 2 --tsa "http://127.0.0.1:$TSA2_PORT/" --trust "$PKI/root.pem" \
    --report "$DEMO/renew.json" "$ARCH" | tail -2
kill -TERM "$TSA2_PID"; wait "$TSA2_PID" 2>/dev/null || true; TSA2_PID=
jq -r '.files[] | "\(.path | split("/") | last)\t\(.action)\t\(.protection_until_before // "-") -> \(.protection_until_after // "-")"' \
    "$DEMO/renew.json" | awk -F'\t' '{ printf "%-26s %-16s %s\n", $1, $2, $3 }'
for f in contract-signed.pdf prescription-signed.xml; do
    printf '%-26s ' "$f"
    "$LTSIG" verify --offline --trust "$PKI/root.pem" "$ARCH/$f" | tail -1
done

step "ltsigd: a remote signing service (CSC API v2); the user's key lives in a SoftHSMv2 token"
SRV=$DEMO/ltsigd
mkdir -p "$SRV/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$SRV" > "$SRV/softhsm2.conf"
export SOFTHSM2_CONF=$SRV/softhsm2.conf
MODULE=$(ls /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so 2>/dev/null | head -1)
(umask 077; echo "token-pin-$RANDOM$RANDOM" > "$SRV/token.pin"; echo "alice's password" > "$SRV/alice.pw"; echo 246810 > "$SRV/alice.pin")
softhsm2-util --init-token --free --label ltsigd-demo --pin "$(cat "$SRV/token.pin")" --so-pin "so-$RANDOM$RANDOM" >/dev/null
SRV_PORT=$((LTS_TEST_HTTP_PORT + 5))
cat > "$SRV/ltsigd.conf" <<CONF
listen = 127.0.0.1:$SRV_PORT
database = $SRV/ltsigd.db
pkcs11_module = $MODULE
token_label = ltsigd-demo
token_pin_file = $SRV/token.pin
tsa_url = $TSA
log_level = info
CONF
"$LTSIGD" init --config "$SRV/ltsigd.conf" >/dev/null
echo "operator: ltsigd user add alice  (password + TOTP second factor)"
"$LTSIGD" user add --config "$SRV/ltsigd.conf" --user alice --password-file "$SRV/alice.pw" |
    sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p' > "$SRV/alice.totp"
CID=$("$LTSIGD" key generate --config "$SRV/ltsigd.conf" --user alice --algo ec-p256 --pin-file "$SRV/alice.pin")
echo "operator: key pair generated inside the HSM, credential $CID; CSR -> test CA -> certificate"
"$LTSIGD" key csr --config "$SRV/ltsigd.conf" --credential "$CID" --subject "/O=ltsig demo/CN=Alice Remote" -o "$SRV/alice.csr"
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nauthorityInfoAccess=caIssuers;URI:http://127.0.0.1:%s/inter.der,OCSP;URI:http://127.0.0.1:%s\ncrlDistributionPoints=URI:http://127.0.0.1:%s/inter.crl\n' \
    "$LTS_TEST_HTTP_PORT" "$LTS_TEST_OCSP_PORT" "$LTS_TEST_HTTP_PORT" > "$SRV/ee.ext"
openssl x509 -req -in "$SRV/alice.csr" -CA "$PKI/inter.pem" -CAkey "$PKI/inter.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 365 -sha256 -extfile "$SRV/ee.ext" -out "$SRV/alice.pem" 2>/dev/null
cat "$SRV/alice.pem" "$PKI/inter.pem" "$PKI/root.pem" > "$SRV/alice-chain.pem"
"$LTSIGD" key cert --config "$SRV/ltsigd.conf" --credential "$CID" --chain "$SRV/alice-chain.pem"
"$LTSIGD" serve --config "$SRV/ltsigd.conf" 2> "$SRV/ltsigd.log" &
SERVER_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$SRV_PORT/csc/v2/info" && break; sleep 0.1; done
echo "ltsigd serves http://127.0.0.1:$SRV_PORT/csc/v2 (loopback: plain HTTP; TLS otherwise)"
REMOTE=(--signer "csc:http://127.0.0.1:$SRV_PORT/csc/v2" --csc-user alice --csc-password-file "$SRV/alice.pw"
    --csc-pin-file "$SRV/alice.pin" --csc-totp-secret-file "$SRV/alice.totp" --tsa "$TSA" --trust "$PKI/root.pem")
next_totp() { # a TOTP code authorises once: wait for the next 30 s step
    local left=$((30 - $(date +%s) % 30 + 1))
    echo "(each one-time code authorises once: waiting ${left}s for the next TOTP step)"
    sleep "$left"
}
"$LTSIG" sign --format pades --level B-LTA "${REMOTE[@]}" -o "$OUT/contract-remote.pdf" "$DOCS/sample.pdf"
next_totp
"$LTSIG" sign --format xades --level B-LTA "${REMOTE[@]}" -o "$OUT/prescription-remote.xml" "$DOCS/prescription.xml"
next_totp
"$LTSIG" sign --format cades --level B-LTA "${REMOTE[@]}" -o "$OUT/sample-remote.p7m" "$DOCS/sample.bin"
for f in contract-remote.pdf prescription-remote.xml sample-remote.p7m; do
    printf '%-26s ' "$f"
    "$LTSIG" verify --trust "$PKI/root.pem" --report json "$OUT/$f" |
        jq -r '.signatures[0] | "\(.level) \(.indication)  signer: \(.signer)"'
done
echo "operator: ltsigd user lock --credential (a lost card): the running service refuses at once"
"$LTSIGD" user lock --config "$SRV/ltsigd.conf" --credential "$CID"
if "$LTSIG" sign --format cades --level B-B "${REMOTE[@]}" -o "$OUT/refused.p7m" "$DOCS/sample.bin" 2>"$SRV/refused.err"; then
    echo "UNEXPECTED: a locked credential signed"; exit 1
fi
echo "  ltsig sign: $(head -1 "$SRV/refused.err")"
"$LTSIGD" user unlock --config "$SRV/ltsigd.conf" --credential "$CID"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
echo "signature generation log: $("$LTSIGD" audit verify --config "$SRV/ltsigd.conf" 2>&1 | tail -1)"

step "long-term: the services go down; the B-LTA files still validate from what they embed"
bash "$ROOT/tests/integration/services.sh" stop "$PKI" >/dev/null
for f in contract-signed.pdf prescription-signed.xml contract-remote.pdf prescription-remote.xml; do
    printf '%-26s ' "$f"
    "$LTSIG" verify --offline --trust "$PKI/root.pem" "$OUT/$f" | tail -1
done

step "tampering is caught: one changed byte in the detached content"
cp "$DOCS/sample.bin" "$OUT/tampered.bin"
printf '\xff' | dd of="$OUT/tampered.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
set +e
"$LTSIG" verify --offline --trust "$PKI/root.pem" --detached-content "$OUT/tampered.bin" \
    "$OUT/sample.bin.p7s" | tail -1
echo "exit code: $? (1 = TOTAL_FAILED)"
set -e

step "done: outputs are in $OUT"
