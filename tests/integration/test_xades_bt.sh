#!/usr/bin/env bash
# test_xades_bt.sh — ltsig sign --format xades --level B-T / ES-T with the suite's TSA
# (http://127.0.0.1:$LTS_TEST_TSA_PORT): xmlsec1 --verify still accepts the signature,
# ltsig verify reports B-T with a passed signature-time-stamp, and `openssl ts -verify`
# accepts the token against the SHA-256 of the exclusively canonicalised ds:SignatureValue
# (computed here, in Python, from the signed file). When no TSA listens, the test says so
# and checks only that B-T without --tsa is refused.
# Env: LTSIG, LTS_TEST_PKI, LTS_TEST_TSA_PORT. Last line: "N passed, N failed".
set -u

: "${LTSIG:?}" "${LTS_TEST_PKI:?}"
PKI=$LTS_TEST_PKI
PORT=${LTS_TEST_TSA_PORT:-18082}
TSA=http://127.0.0.1:$PORT
PASS=0
FAIL=0
ok()   { PASS=$((PASS + 1)); echo "ok   - $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [[ -z "${2:-}" ]] || printf '       %s\n' "$2" | head -n 20; }
check() { local n=$1 out; shift; if out=$("$@" 2>&1); then ok "$n"; else fail "$n" "$out"; fi; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ltsig-xades-bt.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

cat >doc.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<contract xmlns="urn:ltsig:test:contract"><party>A</party><party>B</party></contract>
EOF

out=$("$LTSIG" sign --format xades --level B-T --signer "file:$PKI/signer-rsa.p12" \
      --passin pass:test1234 -o none.xml doc.xml 2>&1); rc=$?
if [[ $rc -eq 3 && ! -e none.xml ]]; then ok "B-T without --tsa: usage error, nothing written"
else fail "B-T without --tsa: usage error" "rc=$rc $out"; fi

if ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "# no TSA listens on 127.0.0.1:$PORT: the B-T signing checks are skipped"
    echo "$PASS passed, $FAIL failed"
    [[ $FAIL -eq 0 ]]
    exit
fi

xv() { xmlsec1 --verify --trusted-pem "$PKI/root.pem" --untrusted-pem "$PKI/inter.pem" \
       --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" "$@"; }
# ts_verify FILE: openssl ts -verify of the first SignatureTimeStamp against our own digest
ts_verify() {
    python3 - "$1" token.der digest.hex <<'EOF' || return 1
import re, sys, base64, hashlib
s = open(sys.argv[1], encoding='utf-8').read()
m = re.search(r'<ds:SignatureValue( Id="[^"]*")?>([^<]*)</ds:SignatureValue>', s)
# exclusive C14N of the element alone: the visibly used ds namespace, then the attributes
c14n = '<ds:SignatureValue xmlns:ds="http://www.w3.org/2000/09/xmldsig#"%s>%s</ds:SignatureValue>' % (
    m.group(1) or '', m.group(2))
open(sys.argv[3], 'w').write(hashlib.sha256(c14n.encode()).hexdigest())
t = re.search(r'<xades:EncapsulatedTimeStamp[^>]*>([^<]*)<', s).group(1)
open(sys.argv[2], 'wb').write(base64.b64decode(t))
EOF
    openssl ts -verify -token_in -in token.der -digest "$(cat digest.hex)" \
        -CAfile "$PKI/root.pem" -untrusted "$PKI/tsa-chain.pem"
}
# json_get FILE EXPR: a value of ltsig verify's JSON report
json_get() {
    "$LTSIG" verify --trust "$PKI/root.pem" --report json "${@:3}" "$1" 2>/dev/null |
        python3 -c "import sys, json; d = json.load(sys.stdin); print($2)"
}

for lv in B-T ES-T; do
    check "$lv enveloped (RSA): sign" "$LTSIG" sign --format xades --level "$lv" --tsa "$TSA" \
        --trust "$PKI/root.pem" --signer "file:$PKI/signer-rsa.p12" --passin pass:test1234 \
        -o "bt-$lv.xml" doc.xml
    check "$lv enveloped: xmlsec1 --verify" xv "bt-$lv.xml"
    check "$lv enveloped: openssl ts -verify on the token vs C14N(SignatureValue)" ts_verify "bt-$lv.xml"
    v=$(json_get "bt-$lv.xml" 'd["indication"], d["signatures"][0]["level"], len(d["signatures"][0]["timestamps"]), d["signatures"][0]["timestamps"][0]["indication"]')
    if [[ "$v" == "TOTAL_PASSED B-T 1 TOTAL_PASSED" ]]; then ok "$lv enveloped: ltsig verify B-T, timestamp passed"
    else fail "$lv enveloped: ltsig verify" "$v"; fi
done

printf 'detached payload\n' >payload.txt
check "B-T detached (ECDSA): sign" "$LTSIG" sign --format xades --level B-T --tsa "$TSA" \
    --signer "file:$PKI/signer-ec.p12" --passin pass:test1234 --detached -o bt-det.xml payload.txt
check "B-T detached: xmlsec1 --verify" xv bt-det.xml
check "B-T detached: openssl ts -verify" ts_verify bt-det.xml
v=$(json_get bt-det.xml 'd["indication"], d["signatures"][0]["timestamps"][0]["indication"]' --detached-content payload.txt)
if [[ "$v" == "TOTAL_PASSED TOTAL_PASSED" ]]; then ok "B-T detached: ltsig verify passed"
else fail "B-T detached: ltsig verify" "$v"; fi

# the token no longer matches once the SignatureValue changed (and the signature fails)
python3 - bt-B-T.xml bad-sv.xml <<'EOF'
import re, sys, base64
s = open(sys.argv[1]).read()
m = re.search(r'(<ds:SignatureValue[^>]*>)([^<]*)<', s)
v = bytearray(base64.b64decode(m.group(2))); v[0] ^= 1
open(sys.argv[2], 'w').write(s[:m.start(2)] + base64.b64encode(bytes(v)).decode() + s[m.end(2):])
EOF
v=$(json_get bad-sv.xml 'd["signatures"][0]["subindication"], d["signatures"][0]["timestamps"][0]["subindication"]')
if [[ "$v" == "SIG_CRYPTO_FAILURE HASH_FAILURE" ]]; then ok "SignatureValue changed: signature and timestamp imprint fail"
else fail "SignatureValue changed" "$v"; fi
if ts_verify bad-sv.xml >/dev/null 2>&1; then fail "openssl ts -verify rejects the changed SignatureValue"
else ok "openssl ts -verify rejects the changed SignatureValue"; fi

echo "$PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
