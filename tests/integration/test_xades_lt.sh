#!/usr/bin/env bash
# test_xades_lt.sh — ltsig sign --format xades --level B-LT / ES-XL / B-LTA / ES-A with the suite's TSA,
# OCSP responder and CRL server: xmlsec1 --verify still accepts the signature; ltsig verify
# reports the level; the embedded values are checked with openssl (the certificates are the
# test PKI's, the OCSP responses say "good" for the signer and verify against the CA, the
# CRLs parse and are the CA's) and, for ES-XL, the Complete*Refs digests match the values;
# B-LTA / ES-A add a xades141:ArchiveTimeStamp whose token verifies (openssl cms) and which
# fails when the validation data it covers is changed.
# When no TSA listens, the test says so and only checks the refusals.
# Env: LTSIG, LTS_TEST_PKI, LTS_TEST_TSA_PORT (the OCSP/CRL URLs are in the certificates). Last line: "N passed, N failed".
set -u

: "${LTSIG:?}" "${LTS_TEST_PKI:?}"
PKI=$LTS_TEST_PKI
TSA_PORT=${LTS_TEST_TSA_PORT:-18082}
PASS=0
FAIL=0
ok()   { PASS=$((PASS + 1)); echo "ok   - $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [[ -z "${2:-}" ]] || printf '       %s\n' "$2" | head -n 20; }
check() { local n=$1 out; shift; if out=$("$@" 2>&1); then ok "$n"; else fail "$n" "$out"; fi; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ltsig-xades-lt.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

cat >doc.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<record xmlns="urn:ltsig:test:record"><id>42</id><keep-until>2036-12-31</keep-until></record>
EOF
sign() { "$LTSIG" sign --format xades --signer "file:$PKI/signer-rsa.p12" --passin pass:test1234 "$@"; }

out=$(sign --level B-LT --tsa http://127.0.0.1:1 --offline -o off.xml doc.xml 2>&1); rc=$?
if [[ $rc -eq 3 && ! -e off.xml ]]; then ok "B-LT --offline without --vdata: usage error"
else fail "B-LT --offline without --vdata: usage error" "rc=$rc $out"; fi
out=$(sign --level B-LTA --tsa http://127.0.0.1:1 -o lta.xml doc.xml 2>&1); rc=$?
if [[ $rc -ge 3 && ! -e lta.xml ]]; then ok "unreachable TSA: exit >= 3, nothing written"
else fail "unreachable TSA: exit >= 3, nothing written" "rc=$rc $out"; fi

# Only the TSA is probed: a bare connection can stall a single-process `openssl ocsp`.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! listening "$TSA_PORT"; then
    echo "# no TSA listens on port $TSA_PORT: the signing checks are skipped"
    echo "$PASS passed, $FAIL failed"
    [[ $FAIL -eq 0 ]]
    exit
fi

for f in root inter signer-rsa tsa; do openssl x509 -in "$PKI/$f.pem" -outform DER -out "$f.der"; done
for lv in B-LT ES-XL; do
    check "$lv: sign" sign --level "$lv" --tsa "http://127.0.0.1:$TSA_PORT" --trust "$PKI/root.pem" \
        -o "$lv.xml" doc.xml
    check "$lv: xmlsec1 --verify" xmlsec1 --verify --trusted-pem "$PKI/root.pem" \
        --untrusted-pem "$PKI/inter.pem" \
        --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" "$lv.xml"
    v=$("$LTSIG" verify --trust "$PKI/root.pem" --report json "$lv.xml" 2>/dev/null |
        python3 -c 'import sys, json; d = json.load(sys.stdin); s = d["signatures"][0]; print(d["indication"], s["level"], s["timestamps"][0]["indication"])')
    if [[ "$v" == "TOTAL_PASSED $lv TOTAL_PASSED" ]]; then ok "$lv: ltsig verify reports $lv, passed"
    else fail "$lv: ltsig verify" "$v"; fi
    rm -rf vals && mkdir vals
    python3 - "$lv.xml" vals <<'EOF'
import sys, base64, xml.etree.ElementTree as ET
ns = {'xa': 'http://uri.etsi.org/01903/v1.3.2#'}
t = ET.parse(sys.argv[1]).getroot()
for kind, path in (('cert', './/xa:CertificateValues/xa:EncapsulatedX509Certificate'),
                   ('ocsp', './/xa:RevocationValues/xa:OCSPValues/xa:EncapsulatedOCSPValue'),
                   ('crl', './/xa:RevocationValues/xa:CRLValues/xa:EncapsulatedCRLValue')):
    for i, e in enumerate(t.findall(path, ns)):
        open('%s/%s%d.der' % (sys.argv[2], kind, i), 'wb').write(base64.b64decode(e.text))
EOF
    missing=""
    for f in root inter signer-rsa tsa; do
        found=0
        for c in vals/cert*.der; do cmp -s "$c" "$f.der" && found=1; done
        [[ $found -eq 1 ]] || missing="$missing $f"
    done
    if [[ -z "$missing" ]]; then ok "$lv: CertificateValues hold the signer, TSA, intermediate and root"
    else fail "$lv: CertificateValues lack:$missing"; fi
    good=0
    for o in vals/ocsp*.der; do
        [[ -e "$o" ]] || continue
        if openssl ocsp -respin "$o" -issuer "$PKI/inter.pem" -cert "$PKI/signer-rsa.pem" \
               -CAfile "$PKI/root.pem" -no_nonce 2>/dev/null | grep -q ': good'; then good=1; fi
    done
    if [[ $good -eq 1 ]]; then ok "$lv: an embedded OCSP response says good for the signer (openssl ocsp)"
    else fail "$lv: no embedded OCSP response verifies as good for the signer"; fi
    crlok=1
    for c in vals/crl*.der; do
        [[ -e "$c" ]] || continue
        openssl crl -inform DER -in "$c" -noout -CAfile "$PKI/chain.pem" 2>&1 | grep -q 'verify OK' || crlok=0
    done
    if [[ $crlok -eq 1 ]]; then ok "$lv: embedded CRLs verify against the CA (openssl crl)"
    else fail "$lv: an embedded CRL does not verify"; fi
done

python3 - ES-XL.xml <<'EOF' && ok "ES-XL: CompleteCertificateRefs / CompleteRevocationRefs digests match the values" || fail "ES-XL refs"
import sys, base64, hashlib, xml.etree.ElementTree as ET
ns = {'ds': 'http://www.w3.org/2000/09/xmldsig#', 'xa': 'http://uri.etsi.org/01903/v1.3.2#'}
t = ET.parse(sys.argv[1]).getroot()
usp = t.find('.//xa:UnsignedSignatureProperties', ns)
order = [c.tag.split('}')[1] for c in usp]
assert order == ['SignatureTimeStamp', 'CompleteCertificateRefs', 'CompleteRevocationRefs',
                 'CertificateValues', 'RevocationValues'], order
d = lambda e: hashlib.sha256(base64.b64decode(e.text)).digest()
certs = {d(e) for e in usp.findall('xa:CertificateValues/xa:EncapsulatedX509Certificate', ns)}
refs = [base64.b64decode(e.text) for e in usp.findall('xa:CompleteCertificateRefs/xa:CertRefs/xa:Cert/xa:CertDigest/ds:DigestValue', ns)]
assert refs and all(r in certs for r in refs) and len(refs) == len(certs) - 1
revs = {d(e) for e in usp.findall('xa:RevocationValues//xa:EncapsulatedOCSPValue', ns)} | \
       {d(e) for e in usp.findall('xa:RevocationValues//xa:EncapsulatedCRLValue', ns)}
rrefs = [base64.b64decode(e.text) for e in usp.findall('xa:CompleteRevocationRefs//xa:DigestAlgAndValue/ds:DigestValue', ns)]
assert rrefs and set(rrefs) == revs
for o in usp.findall('xa:CompleteRevocationRefs/xa:OCSPRefs/xa:OCSPRef', ns):
    assert o.find('xa:OCSPIdentifier/xa:ProducedAt', ns).text.endswith('Z')
EOF

# the embedded revocation values are used by ltsig verify
out=$("$LTSIG" verify --trust "$PKI/root.pem" B-LT.xml 2>&1)
if [[ "$out" == *"not revoked (embedded"* ]]; then ok "B-LT: verify reads the signer's status from the embedded values"
else fail "B-LT: embedded revocation status" "$out"; fi
"$LTSIG" sign \
    --format xades --level B-LT --tsa "http://127.0.0.1:$TSA_PORT" --trust "$PKI/root.pem" \
    --signer "file:$PKI/signer-revoked.p12" --passin pass:test1234 -o revoked.xml doc.xml 2>revoked.err; rc=$?
if [[ $rc -eq 4 && ! -e revoked.xml ]] && grep -q "Test Signer Revoked was revoked on" revoked.err; then
    ok "B-LT with a revoked signer: refused (exit 4), names the revocation, writes nothing"
else fail "B-LT with a revoked signer: refused" "rc=$rc $(cat revoked.err)"; fi

# --- B-LTA / ES-A -------------------------------------------------------------------------
for lv in B-LTA ES-A; do
    check "$lv: sign" sign --level "$lv" --tsa "http://127.0.0.1:$TSA_PORT" --trust "$PKI/root.pem" \
        -o "$lv.xml" doc.xml
    check "$lv: xmlsec1 --verify" xmlsec1 --verify --trusted-pem "$PKI/root.pem" \
        --untrusted-pem "$PKI/inter.pem" \
        --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" "$lv.xml"
    v=$("$LTSIG" verify --trust "$PKI/root.pem" --report json "$lv.xml" 2>/dev/null |
        python3 -c 'import sys, json; d = json.load(sys.stdin); s = d["signatures"][0]; print(d["indication"], s["level"], " ".join(t["type"] + ":" + t["indication"] for t in s["timestamps"]))')
    if [[ "$v" == "TOTAL_PASSED $lv signature-time-stamp:TOTAL_PASSED archive-time-stamp:TOTAL_PASSED" ]]; then
        ok "$lv: ltsig verify reports $lv, both timestamps passed"
    else fail "$lv: ltsig verify" "$v"; fi
    python3 - "$lv.xml" ats.der <<'EOF'
import sys, base64, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot()
usp = t.find('.//{http://uri.etsi.org/01903/v1.3.2#}UnsignedSignatureProperties')
last = list(usp)[-1]
assert last.tag == '{http://uri.etsi.org/01903/v1.4.1#}ArchiveTimeStamp', last.tag
e = last.find('{http://uri.etsi.org/01903/v1.3.2#}EncapsulatedTimeStamp')
open(sys.argv[2], 'wb').write(base64.b64decode(e.text))
EOF
    check "$lv: the xades141:ArchiveTimeStamp token verifies (openssl cms -verify)" \
        openssl cms -verify -inform DER -in ats.der -CAfile "$PKI/root.pem" \
        -certfile "$PKI/tsa-chain.pem" -purpose any -out /dev/null
done
# the archive timestamp covers the validation data: drop one certificate value
python3 - B-LTA.xml bad-ats.xml <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
s2 = re.sub(r'<xades:EncapsulatedX509Certificate>[^<]*</xades:EncapsulatedX509Certificate>', '', s, count=1)
assert s2 != s
open(sys.argv[2], 'w').write(s2)
EOF
v=$("$LTSIG" verify --trust "$PKI/root.pem" --report json bad-ats.xml 2>/dev/null |
    python3 -c 'import sys, json; d = json.load(sys.stdin); s = d["signatures"][0]; print(" ".join(t["type"] + ":" + (t["subindication"] or "") for t in s["timestamps"]))')
if [[ "$v" == "signature-time-stamp: archive-time-stamp:HASH_FAILURE" ]]; then
    ok "CertificateValues changed after the archive timestamp: its imprint fails"
else fail "CertificateValues changed after the archive timestamp" "$v"; fi
printf 'archived content\n' >content.bin
check "B-LTA detached: sign" sign --level B-LTA --tsa "http://127.0.0.1:$TSA_PORT" \
    --trust "$PKI/root.pem" --detached -o lta-det.xml content.bin
v=$("$LTSIG" verify --trust "$PKI/root.pem" --detached-content content.bin --report json lta-det.xml 2>/dev/null |
    python3 -c 'import sys, json; d = json.load(sys.stdin); s = d["signatures"][0]; print(d["indication"], " ".join(t["indication"] for t in s["timestamps"]))')
if [[ "$v" == "TOTAL_PASSED TOTAL_PASSED TOTAL_PASSED" ]]; then ok "B-LTA detached: passed with the content"
else fail "B-LTA detached" "$v"; fi

# --- ltsig extend: B-B -> B-LTA -> renewal ------------------------------------------------
check "extend: B-B sign" sign --level B-B -o ext-bb.xml doc.xml
check "extend: B-B -> B-LTA" "$LTSIG" extend --level B-LTA --tsa "http://127.0.0.1:$TSA_PORT" \
    --trust "$PKI/root.pem" -o ext-lta.xml ext-bb.xml
check "extend: B-LTA -> B-LTA (renewal)" "$LTSIG" extend --level B-LTA \
    --tsa "http://127.0.0.1:$TSA_PORT" --trust "$PKI/root.pem" -o ext-lta2.xml ext-lta.xml
check "extend: renewed file passes xmlsec1 --verify" xmlsec1 --verify --trusted-pem "$PKI/root.pem" \
    --untrusted-pem "$PKI/inter.pem" \
    --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" ext-lta2.xml
v=$("$LTSIG" verify --trust "$PKI/root.pem" --report json ext-lta2.xml 2>/dev/null |
    python3 -c 'import sys, json; d = json.load(sys.stdin); s = d["signatures"][0]; print(d["indication"], s["level"], " ".join(t["type"] + ":" + t["indication"] for t in s["timestamps"]))')
if [[ "$v" == "TOTAL_PASSED B-LTA signature-time-stamp:TOTAL_PASSED archive-time-stamp:TOTAL_PASSED archive-time-stamp:TOTAL_PASSED" ]]; then
    ok "extend: renewed B-LTA verifies with three timestamps"
else fail "extend: renewed B-LTA" "$v"; fi
if grep -q 'xades141:TimeStampValidationData' ext-lta2.xml; then ok "extend: renewal adds TimeStampValidationData"
else fail "extend: renewal adds TimeStampValidationData"; fi
sed 's/keep-until/keep-after/g' ext-bb.xml >ext-bad.xml
out=$("$LTSIG" extend --level B-T --tsa "http://127.0.0.1:$TSA_PORT" -o ext-bad-out.xml ext-bad.xml 2>&1); rc=$?
if [[ $rc -ge 3 && ! -e ext-bad-out.xml && "$out" == *"does not verify"* ]]; then ok "extend: a broken signature is not extended"
else fail "extend: a broken signature is not extended" "rc=$rc $out"; fi

echo "$PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
