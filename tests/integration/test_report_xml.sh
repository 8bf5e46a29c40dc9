#!/bin/bash
# ltsig verify --report xml: the ETSI TS 119 102-2 validation report for a passing (B-T with
# a TSA), a failing (tampered detached content) and an indeterminate (untrusted root) CAdES
# signature, and for XAdES / PAdES; every document is well-formed (xmllint), the indications
# are read with namespace-aware XPath, the time-stamp token carried in the report is checked
# by `openssl ts -reply -token_in`, and bad options are refused.
# The TSA: the suite's on LTS_TEST_TSA_PORT when it answers, else `ltsig tsa-serve` started
# here on 18901-18903 (the validation-policy engineer's range).
# Env: LTSIG, LTS_TEST_PKI; optional LTS_TEST_TSA_PORT, TMPDIR.
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
P=$LTS_TEST_PKI
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-report-xml.XXXXXX")
TSA_PID=
cleanup() {
    [ -n "$TSA_PID" ] && kill "$TSA_PID" 2>/dev/null && wait "$TSA_PID" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
ko() { fail=$((fail + 1)); echo "FAIL - $1" >&2; [ -z "${2:-}" ] || printf '       %s\n' "$2" >&2; }
VR='//*[local-name()="SignatureValidationReport" and namespace-uri()="http://uri.etsi.org/19102/v1.2.1#"]'
xp() { xmllint --xpath "string($2)" "$1" 2>/dev/null; }
xn() { xmllint --xpath "count($2)" "$1" 2>/dev/null; }
expect() { # NAME GOT WANT
    if [ "$2" = "$3" ]; then ok "$1"; else ko "$1" "got '$2', want '$3'"; fi
}

. "${LTS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/support/tsa.sh"
TSA_URL=
if TSA_URL=$(lts_tsa_suite "$W"); then
    :
else
    lts_tsa_own "$W" "$W/tsa.log" 18901 18902 18903
    TSA_URL=$LTS_TSA_URL TSA_PID=$LTS_TSA_PID
fi
[ -n "$TSA_URL" ] || echo "# no TSA: the B-T cases are skipped"

cd "$W" || exit 1
echo "contract text $$" >doc.txt
sign() { "$LTSIG" sign --signer "file:$P/${SIGNER:-signer-rsa}.p12" --passin pass:test1234 "$@"; }

# --- indeterminate: a signer under a root we do not trust ---------------------------------
SIGNER=untrusted-signer sign --format cades --level B-B -o untrusted.p7s doc.txt
"$LTSIG" verify --trust "$P/root.pem" --report xml untrusted.p7s >u.xml 2>u.err
expect "untrusted root: exit 2" "$?" 2
if xmllint --noout u.xml 2>/dev/null; then ok "untrusted root: well-formed"; else ko "untrusted root: well-formed" "$(head -c 300 u.xml)"; fi
expect "untrusted root: MainIndication" "$(xp u.xml "$VR/*[local-name()='SignatureValidationStatus']/*[local-name()='MainIndication']")" \
    "urn:etsi:019102:mainindication:indeterminate"
expect "untrusted root: SubIndication" "$(xp u.xml "$VR/*[local-name()='SignatureValidationStatus']/*[local-name()='SubIndication']")" \
    "urn:etsi:019102:subindication:NO_CERTIFICATE_CHAIN_FOUND"
expect "untrusted root: root element in the TS 119 102-2 namespace" \
    "$(xp u.xml 'namespace-uri(/*)')" "http://uri.etsi.org/19102/v1.2.1#"
expect "untrusted root: Signer" "$(xp u.xml "$VR/*[local-name()='SignerInformation']/*[local-name()='Signer']")" \
    "$(openssl x509 -in "$P/untrusted-signer.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')"
# the signer certificate object is the signer's certificate, byte for byte
xp u.xml "//*[local-name()='ValidationObject'][*[local-name()='ObjectType']='urn:etsi:019102:validationObject:certificate']/*[local-name()='ValidationObjectRepresentation']/*[local-name()='base64']" |
    base64 -d >u-cert.der 2>/dev/null
if cmp -s u-cert.der <(openssl x509 -in "$P/untrusted-signer.pem" -outform DER); then
    ok "untrusted root: certificate ValidationObject = the signer certificate"
else ko "untrusted root: certificate ValidationObject"; fi

# --- failed: detached signature over changed content --------------------------------------
sign --format cades --level B-B --detached -o det.p7s doc.txt
cp doc.txt changed.txt && echo "one more line" >>changed.txt
"$LTSIG" verify --trust "$P/root.pem" --detached-content changed.txt --report xml -o f.xml det.p7s 2>f.err
expect "tampered: exit 1" "$?" 1
if xmllint --noout f.xml 2>/dev/null; then ok "tampered: well-formed (written with -o)"; else ko "tampered: well-formed"; fi
expect "tampered: MainIndication" "$(xp f.xml "$VR/*[local-name()='SignatureValidationStatus']/*[local-name()='MainIndication']")" \
    "urn:etsi:019102:mainindication:total-failed"
expect "tampered: SubIndication" "$(xp f.xml "$VR/*[local-name()='SignatureValidationStatus']/*[local-name()='SubIndication']")" \
    "urn:etsi:019102:subindication:HASH_FAILURE"
expect "tampered: Basic process (no time-stamp)" "$(xp f.xml "$VR/*[local-name()='SignatureValidationProcess']/*[local-name()='SignatureValidationProcessID']")" \
    "urn:etsi:019102:validationprocess:Basic"
"$LTSIG" verify --trust "$P/root.pem" --detached-content doc.txt --report xml det.p7s >d.xml 2>/dev/null
expect "same signature, right content: exit 0" "$?" 0
expect "same signature, right content: total-passed" "$(xp d.xml "$VR/*[local-name()='SignatureValidationStatus']/*[local-name()='MainIndication']")" \
    "urn:etsi:019102:mainindication:total-passed"

# --- passed: B-T, with its time-stamp as a validation object ------------------------------
if [ -n "$TSA_URL" ]; then
    sign --format cades --level B-T --tsa "$TSA_URL" -o bt.p7s doc.txt
    "$LTSIG" verify --trust "$P/root.pem" --report xml bt.p7s >p.xml 2>p.err
    expect "B-T: exit 0" "$?" 0
    if xmllint --noout p.xml 2>/dev/null; then ok "B-T: well-formed"; else ko "B-T: well-formed"; fi
    expect "B-T: MainIndication" "$(xp p.xml "$VR/*[local-name()='SignatureValidationStatus']/*[local-name()='MainIndication']")" \
        "urn:etsi:019102:mainindication:total-passed"
    expect "B-T: no SubIndication" "$(xn p.xml "$VR/*[local-name()='SignatureValidationStatus']/*[local-name()='SubIndication']")" 0
    expect "B-T: LTVM process" "$(xp p.xml "$VR/*[local-name()='SignatureValidationProcess']/*[local-name()='SignatureValidationProcessID']")" \
        "urn:etsi:019102:validationprocess:LTVM"
    expect "B-T: one timestamp object" "$(xn p.xml "//*[local-name()='ValidationObject'][*[local-name()='ObjectType']='urn:etsi:019102:validationObject:timestamp']")" 1
    expect "B-T: every VOReference resolves" "$(xn p.xml "//@VOReference[not(. = //*[local-name()='ValidationObject']/@id)]")" 0
    ts_id=$(xp p.xml "$VR/*[local-name()='SignatureAttributes']/*[local-name()='SignatureTimeStamp']/*[local-name()='AttributeObject']/@VOReference")
    expect "B-T: BestSignatureTime's POEObject is the time-stamp" \
        "$(xp p.xml "$VR//*[local-name()='BestSignatureTime']/*[local-name()='POEObject']/@VOReference")" "$ts_id"
    xp p.xml "//*[local-name()='ValidationObject'][@id='$ts_id']/*[local-name()='ValidationObjectRepresentation']/*[local-name()='base64']" |
        base64 -d >tok.der 2>/dev/null
    gen=$(openssl ts -reply -token_in -in tok.der -text 2>/dev/null | sed -n 's/^Time stamp: //p')
    if [ -n "$gen" ]; then ok "B-T: the report's token is an RFC 3161 token (openssl ts)"; else ko "B-T: token"; fi
    want=$(date -u -d "$gen" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
    expect "B-T: TimeStampValue = the token's genTime" \
        "$(xp p.xml "$VR/*[local-name()='SignatureAttributes']/*[local-name()='SignatureTimeStamp']/*[local-name()='TimeStampValue']")" "$want"
    expect "B-T: POETime = the token's genTime" \
        "$(xp p.xml "$VR//*[local-name()='BestSignatureTime']/*[local-name()='POETime']")" "$want"
    expect "B-T: timestamp's own status" \
        "$(xp p.xml "//*[local-name()='ValidationObject'][@id='$ts_id']//*[local-name()='MainIndication']")" \
        "urn:etsi:019102:mainindication:total-passed"
    # PAdES and XAdES render too
    sign --format pades --level B-T --tsa "$TSA_URL" -o bt.pdf "$LTS_SRC/testdata/docs/sample.pdf"
    "$LTSIG" verify --trust "$P/root.pem" --report xml bt.pdf >pd.xml 2>/dev/null
    expect "PAdES B-T: exit 0" "$?" 0
    if xmllint --noout pd.xml 2>/dev/null; then ok "PAdES B-T: well-formed"; else ko "PAdES B-T: well-formed"; fi
    expect "PAdES B-T: DAIdentifier = the field name" "$(xp pd.xml "$VR/*[local-name()='SignatureIdentifier']/*[local-name()='DAIdentifier']")" \
        "$("$LTSIG" verify --trust "$P/root.pem" --report json bt.pdf 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["signatures"][0]["id"])')"
    expect "PAdES B-T: SignatureTimeStamp attribute" "$(xn pd.xml "$VR/*[local-name()='SignatureAttributes']/*[local-name()='SignatureTimeStamp']")" 1
fi
printf '<?xml version="1.0"?>\n<r xmlns="urn:t"><v>1</v></r>\n' >doc.xml
sign --format xades --level B-B -o x.xml doc.xml
"$LTSIG" verify --trust "$P/root.pem" --report xml x.xml >xx.xml 2>/dev/null
expect "XAdES B-B: exit 0" "$?" 0
expect "XAdES B-B: total-passed" "$(xp xx.xml "$VR/*[local-name()='SignatureValidationStatus']/*[local-name()='MainIndication']")" \
    "urn:etsi:019102:mainindication:total-passed"
expect "XAdES B-B: SigningTime" "$(xn xx.xml "$VR/*[local-name()='SignatureAttributes']/*[local-name()='SigningTime'][@Signed='true']")" 1

# --- refusals -----------------------------------------------------------------------------
"$LTSIG" verify --report yaml bt.p7s >/dev/null 2>e.txt
expect "--report yaml: usage error (3)" "$?" 3
grep -q "text, json or xml" e.txt && ok "--report yaml: says what is accepted" || ko "--report yaml message" "$(cat e.txt)"
"$LTSIG" verify --report xml -o out.xml doc.txt >/dev/null 2>e.txt
rc=$?
if [ "$rc" -ge 3 ] && [ ! -e out.xml ]; then ok "not a signature: error, no report written"; else ko "not a signature" "rc=$rc"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
