#!/bin/bash
# The ltsig demo: install, build, make a throw-away PKI, start the loopback services
# (CRL/AIA server, OCSP responder, our RFC 3161 TSA), then sign real documents and
# validate them, printing the reports. Everything happens in a scratch folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/deps.sh
cmake -S "$ROOT" -B "$ROOT/build" >/dev/null
cmake --build "$ROOT/build" -j"$(nproc)" >/dev/null
LTSIG=$ROOT/build/cli/ltsig

DEMO=$(mktemp -d /tmp/ltsig-demo.XXXXXX)
export LTS_TEST_HTTP_PORT=${LTS_DEMO_PORT_BASE:-18980}
export LTS_TEST_OCSP_PORT=$((LTS_TEST_HTTP_PORT + 1))
export LTS_TEST_TSA_PORT=$((LTS_TEST_HTTP_PORT + 2))
PKI=$DEMO/pki
cleanup() {
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

step "CAdES B-B, attached: sign $DOCS/sample.txt with an RSA key (PKCS#12)"
"$LTSIG" sign --format cades --level B-B --signer "file:$PKI/signer-rsa.p12" \
    --passin env:DEMO_P12_PASS -o "$OUT/sample.txt.p7m" "$DOCS/sample.txt"
"$LTSIG" verify --trust "$PKI/root.pem" "$OUT/sample.txt.p7m"
echo "independent check: $(openssl cms -verify -binary -inform DER -in "$OUT/sample.txt.p7m" \
    -CAfile "$PKI/root.pem" -purpose any -out /dev/null 2>&1)"

step "CAdES B-B, detached: sign $DOCS/sample.bin with an ECDSA P-256 key"
"$LTSIG" sign --format cades --level B-B --signer "file:$PKI/signer-ec.p12" \
    --passin env:DEMO_P12_PASS --detached -o "$OUT/sample.bin.p7s" "$DOCS/sample.bin"
"$LTSIG" verify --trust "$PKI/root.pem" --detached-content "$DOCS/sample.bin" \
    --report json "$OUT/sample.bin.p7s"

step "tampering is caught: one changed byte in the content"
cp "$DOCS/sample.bin" "$OUT/tampered.bin"
printf '\xff' | dd of="$OUT/tampered.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
set +e
"$LTSIG" verify --trust "$PKI/root.pem" --detached-content "$OUT/tampered.bin" "$OUT/sample.bin.p7s"
echo "exit code: $? (1 = TOTAL_FAILED)"
set -e

step "done: outputs are in $OUT"
