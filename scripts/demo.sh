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
cmake --build "$BUILD" -j"$(nproc)" --target ltsig_cli >/dev/null
LTSIG=$BUILD/cli/ltsig

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

step "long-term: the services go down; the B-LTA files still validate from what they embed"
bash "$ROOT/tests/integration/services.sh" stop "$PKI" >/dev/null
for f in contract-signed.pdf prescription-signed.xml; do
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
