#!/usr/bin/env bash
# test_xades_verify.sh — ltsig verify on XML signatures: signatures made by xmlsec1 --sign
# (RSA and ECDSA, a template with ds:KeyInfo/X509Data) are accepted; tampering with the
# signed data or SignedProperties gives HASH_FAILURE and with ds:SignatureValue
# SIG_CRYPTO_FAILURE (exit 1); hostile XML (XXE, billion laughs, signature wrapping) is
# refused; SHA-1 reference digests are judged by the policy's SHA-1 sunset; bad input exits
# >= 3 with a message naming the file.
# Env: LTSIG, LTS_TEST_PKI. Last line: "N passed, N failed".
set -u

: "${LTSIG:?}" "${LTS_TEST_PKI:?}"
PKI=$LTS_TEST_PKI
PASS=0
FAIL=0
ok()   { PASS=$((PASS + 1)); echo "ok   - $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [[ -z "${2:-}" ]] || printf '       %s\n' "$2" | head -n 20; }
check() { local n=$1 out; shift; if out=$("$@" 2>&1); then ok "$n"; else fail "$n" "$out"; fi; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ltsig-xades-verify.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

# expect NAME EXIT SUBINDICATION FILE [verify args...]: exit code and JSON subindication
expect() {
    local name=$1 want_rc=$2 want_sub=$3 file=$4 out rc sub
    shift 4
    out=$("$LTSIG" verify --trust "$PKI/root.pem" --report json "$@" "$file" 2>&1)
    rc=$?
    sub=$(printf '%s' "$out" | python3 -c 'import sys,json
try:
    d=json.load(sys.stdin); print(d["signatures"][0]["subindication"] or "")
except Exception: print("?")' 2>/dev/null)
    if [[ $rc -eq $want_rc && "$sub" == "$want_sub" ]]; then ok "$name"
    else fail "$name (exit $rc, sub '$sub'; want $want_rc '$want_sub')" "$out"; fi
}
sign() { local k=$1; shift; "$LTSIG" sign --format xades --level B-B \
         --signer "file:$PKI/signer-$k.p12" --passin pass:test1234 "$@"; }

# --- signatures made by xmlsec1 --sign ---------------------------------------------------
for k in rsa ec; do
    case $k in
    rsa) sm=http://www.w3.org/2001/04/xmldsig-more#rsa-sha256 ;;
    ec) sm=http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256 ;;
    esac
    cat >"tmpl-$k.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="urn:ltsig:test:envelope">
  <Data>Hello, World!</Data>
  <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
    <SignedInfo>
      <CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
      <SignatureMethod Algorithm="$sm"/>
      <Reference URI="">
        <Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></Transforms>
        <DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
        <DigestValue/>
      </Reference>
    </SignedInfo>
    <SignatureValue/>
    <KeyInfo><X509Data/></KeyInfo>
  </Signature>
</Envelope>
EOF
    check "xmlsec1 --sign ($k)" xmlsec1 --sign \
        --privkey-pem "$PKI/signer-$k.key,$PKI/signer-$k.pem,$PKI/inter.pem" \
        --output "xs-$k.xml" "tmpl-$k.xml"
    expect "xmlsec1-made $k signature: TOTAL_PASSED" 0 "" "xs-$k.xml"
    sed 's/Hello, World!/Hello, World?/' "xs-$k.xml" >"xs-$k-data.xml"
    expect "xmlsec1-made $k, data tampered: HASH_FAILURE" 1 HASH_FAILURE "xs-$k-data.xml"
done

# --- our own signature, tampered -----------------------------------------------------------
cat >doc.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<order xmlns="urn:ltsig:test:order"><line sku="A-1">2</line><note>deliver on Monday</note></order>
EOF
sign rsa -o sig.xml doc.xml || fail "sign doc.xml"
expect "ltsig-made signature: TOTAL_PASSED" 0 "" sig.xml
sed 's/Monday/Tuesday/' sig.xml >t-data.xml
expect "signed data tampered: HASH_FAILURE, exit 1" 1 HASH_FAILURE t-data.xml
sed -E 's#(<xades:SigningTime>)([0-9]{4})#\11999#' sig.xml >t-sp.xml
if cmp -s sig.xml t-sp.xml; then fail "SigningTime tamper did not change the file"; fi
expect "SignedProperties tampered: HASH_FAILURE, exit 1" 1 HASH_FAILURE t-sp.xml
python3 - sig.xml t-sv.xml <<'EOF'
import re, sys, base64
s = open(sys.argv[1]).read()
m = re.search(r'(<ds:SignatureValue[^>]*>)([^<]*)<', s)
v = bytearray(base64.b64decode(m.group(2)))
v[10] ^= 0x01
s = s[:m.start(2)] + base64.b64encode(bytes(v)).decode() + s[m.end(2):]
open(sys.argv[2], 'w').write(s)
EOF
expect "SignatureValue tampered: SIG_CRYPTO_FAILURE, exit 1" 1 SIG_CRYPTO_FAILURE t-sv.xml

# --- trust, signer identification, detached content ---------------------------------------
out=$("$LTSIG" verify sig.xml 2>&1); rc=$?
if [[ $rc -eq 2 && "$out" == *NO_CERTIFICATE_CHAIN_FOUND* ]]; then ok "no --trust: INDETERMINATE, exit 2"
else fail "no --trust: INDETERMINATE, exit 2" "rc=$rc $out"; fi
"$LTSIG" sign --format xades --level B-B --signer "file:$PKI/untrusted-signer.p12" \
    --passin pass:test1234 -o untrusted.xml doc.xml || fail "sign with untrusted-signer"
expect "untrusted signer: NO_CERTIFICATE_CHAIN_FOUND, exit 2" 2 NO_CERTIFICATE_CHAIN_FOUND untrusted.xml
python3 - sig.xml t-cert.xml <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
# drop the signer certificate (the first ds:X509Certificate) from ds:KeyInfo
s = re.sub(r'<ds:X509Certificate>[^<]*</ds:X509Certificate>', '', s, count=1)
open(sys.argv[2], 'w').write(s)
EOF
expect "signer certificate removed from KeyInfo: NO_SIGNING_CERTIFICATE_FOUND" 2 \
    NO_SIGNING_CERTIFICATE_FOUND t-cert.xml
printf 'detached content\n' >content.txt
sign ec --detached -o det.xml content.txt || fail "sign detached"
expect "detached without --detached-content: SIGNED_DATA_NOT_FOUND" 2 SIGNED_DATA_NOT_FOUND det.xml
expect "detached with its content: TOTAL_PASSED" 0 "" det.xml --detached-content content.txt
printf 'other content\n' >other.txt
expect "detached with other content: HASH_FAILURE" 1 HASH_FAILURE det.xml --detached-content other.txt

# --- hostile XML ---------------------------------------------------------------------------
cat >xxe.xml <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<r><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">&x;</ds:Signature></r>
EOF
out=$("$LTSIG" verify --trust "$PKI/root.pem" --report json xxe.xml 2>&1); rc=$?
if [[ $rc -ge 3 && "$out" != *root:x:0* && "$out" == *xxe.xml* ]]; then ok "XXE: refused, /etc/passwd not read"
else fail "XXE: refused, /etc/passwd not read" "rc=$rc $out"; fi
out=$(sign rsa -o xxe-signed.xml xxe.xml 2>&1); rc=$?
if [[ $rc -ge 3 && ! -e xxe-signed.xml ]]; then ok "XXE: signing refused"; else fail "XXE: signing refused" "$out"; fi
python3 - <<'EOF'
lines = ['<?xml version="1.0"?>', '<!DOCTYPE lolz [', '<!ENTITY lol "lol">']
for i in range(1, 10):
    prev = 'lol' if i == 1 else 'lol%d' % (i - 1)
    lines.append('<!ENTITY lol%d "%s">' % (i, ('&%s;' % prev) * 10))
lines += [']>', '<lolz>&lol9;</lolz>']
open('bomb.xml', 'w').write('\n'.join(lines) + '\n')
EOF
start=$(date +%s%N)
out=$(timeout 20 "$LTSIG" verify --trust "$PKI/root.pem" bomb.xml 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
# refused, not expanded: a hang would hit the 20 s timeout (124); the time is only reported
if [[ $rc -ge 3 && $rc -ne 124 && "$out" != *"lol"*"lol"*"lol"* ]]; then ok "billion laughs: refused (${ms} ms)"
else fail "billion laughs: refused without expanding" "rc=$rc ${ms}ms $out"; fi
out=$(timeout 20 "$LTSIG" sign --format xades --level B-B --signer "file:$PKI/signer-rsa.p12" \
      --passin pass:test1234 -o bomb-signed.xml bomb.xml 2>&1); rc=$?
if [[ $rc -ge 3 && $rc -ne 124 && ! -e bomb-signed.xml ]]; then ok "billion laughs: signing refused"
else fail "billion laughs: signing refused" "rc=$rc $out"; fi

# signature wrapping: the signed element moved into a wrapper, a forged copy with the same
# Id put where the application looks
sign rsa -o rx.xml "${LTS_SRC:-.}/testdata/docs/prescription.xml" 2>/dev/null ||
    { cat >rxsrc.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Prescription><PrescriptionDocument Id="PrescriptionDocument"><Patient>Hanako</Patient></PrescriptionDocument></Prescription>
EOF
      sign rsa -o rx.xml rxsrc.xml; }
expect "e-prescription signature: TOTAL_PASSED" 0 "" rx.xml
python3 - rx.xml wrap.xml <<'EOF'
import sys
s = open(sys.argv[1], encoding='utf-8').read()
i = s.index('<PrescriptionDocument')
j = s.index('</PrescriptionDocument>') + len('</PrescriptionDocument>')
orig = s[i:j]
forged = orig.replace('<Patient>', '<Patient><Forged/>', 1)
open(sys.argv[2], 'w', encoding='utf-8').write(s[:i] + forged + '<Wrapper>' + orig + '</Wrapper>' + s[j:])
EOF
out=$("$LTSIG" verify --trust "$PKI/root.pem" --report json wrap.xml 2>&1); rc=$?
if [[ $rc -ne 0 && "$out" == *FORMAT_FAILURE* && "$out" == *"more than once"* ]]; then
    ok "signature wrapping (duplicate Id): not accepted"
else fail "signature wrapping (duplicate Id): not accepted" "rc=$rc $out"; fi

# --- checking from one streamed pass (the tree of the signature alone) ----------------------
# Duplicate Ids the signature does not reference do not matter; one it references, copied
# outside the signature, is signature wrapping whichever path checks it.
python3 - sig.xml wrap-sp.xml <<'EOF'
import sys, re
s = open(sys.argv[1], encoding='utf-8').read()
i = s.index('<ds:Signature')
sp = re.search(r'<xades:SignedProperties[^>]*Id="([^"]+)"', s).group(1)
open(sys.argv[2], 'w').write(s[:i] + '<copy Id="%s"/>' % sp + s[i:])
EOF
printf '<?xml version="1.0" encoding="UTF-8"?>\n<order xmlns="urn:ltsig:test:order"><a id="dup"/><b id="dup"/><c Id="dup"/></order>\n' >dupid-doc.xml
sign rsa -o dupid-s.xml dupid-doc.xml || fail "sign a document with duplicate unreferenced Ids"
expect "duplicate Ids the signature does not reference: TOTAL_PASSED" 0 "" dupid-s.xml
out=$("$LTSIG" verify --trust "$PKI/root.pem" --report json wrap-sp.xml 2>&1); rc=$?
if [[ $rc -ne 0 && "$out" == *FORMAT_FAILURE* && "$out" == *"more than once"* ]]; then
    ok "SignedProperties Id copied outside the signature: FORMAT_FAILURE (wrapping)"
else fail "SignedProperties Id copied outside the signature: FORMAT_FAILURE (wrapping)" "rc=$rc $out"; fi

# --- SHA-1 references reach the algorithm policy (issue 5) ------------------------------
# An xmlsec1-made signature with SHA-1 (rsa-sha1 + a sha1 DigestMethod, and rsa-sha256 over a
# sha1 reference) is judged by the policy's SHA-1 sunset, not refused as FORMAT_FAILURE.
for sm in rsa-sha1 rsa-sha256; do
    case $sm in
    rsa-sha1) smu=http://www.w3.org/2000/09/xmldsig#rsa-sha1 ;;
    *) smu=http://www.w3.org/2001/04/xmldsig-more#rsa-sha256 ;;
    esac
    sed -e "s|http://www.w3.org/2001/04/xmldsig-more#rsa-sha256|$smu|" \
        -e 's|http://www.w3.org/2001/04/xmlenc#sha256|http://www.w3.org/2000/09/xmldsig#sha1|' \
        tmpl-rsa.xml >"tmpl-sha1-$sm.xml"
    check "xmlsec1 --sign, sha1 reference ($sm)" xmlsec1 --sign \
        --privkey-pem "$PKI/signer-rsa.key,$PKI/signer-rsa.pem,$PKI/inter.pem" \
        --output "xs-sha1-$sm.xml" "tmpl-sha1-$sm.xml"
    if grep -q 'xmldsig#sha1' "xs-sha1-$sm.xml" 2>/dev/null; then ok "sha1 reference made ($sm)"
    else fail "sha1 reference made ($sm)"; fi
    expect "sha1 reference ($sm), default policy: CRYPTO_CONSTRAINTS_FAILURE_NO_POE" 2 \
        CRYPTO_CONSTRAINTS_FAILURE_NO_POE "xs-sha1-$sm.xml"
    printf 'sunset.sha1 = 2100-01-01\n' >late-sha1.policy
    expect "sha1 reference ($sm), policy with a later SHA-1 sunset: TOTAL_PASSED" 0 "" \
        "xs-sha1-$sm.xml" --policy late-sha1.policy
    sed 's/Hello, World!/Hello, World?/' "xs-sha1-$sm.xml" >"xs-sha1-$sm-data.xml"
    expect "sha1 reference ($sm), data tampered: HASH_FAILURE" 1 HASH_FAILURE \
        "xs-sha1-$sm-data.xml" --policy late-sha1.policy
done
out=$("$LTSIG" sign --format xades --level B-B --hash sha1 --signer "file:$PKI/signer-rsa.p12" \
      --passin pass:test1234 -o sha1-signed.xml doc.xml 2>&1); rc=$?
if [[ $rc -ne 0 && ! -e sha1-signed.xml ]]; then ok "signing with SHA-1 stays refused"
else fail "signing with SHA-1 stays refused" "rc=$rc $out"; fi

# With a proof of existence before the sunset (a SignatureTimeStamp), a SHA-1 reference
# passes; the same signature without it does not (needs the suite's TSA).
TSA_PORT=${LTS_TEST_TSA_PORT:-18082}
if (exec 3<>"/dev/tcp/127.0.0.1/$TSA_PORT") 2>/dev/null; then
    sign rsa -o sha1-bb.xml doc.xml || fail "sign doc.xml (sha1 PoE case)"
    python3 - sha1-bb.xml <<'EOF'
import sys, re
f = sys.argv[1]; d = open(f).read()
d = re.sub(r'(<ds:Reference [^>]*URI=""[^>]*>.*?<ds:DigestMethod Algorithm=")[^"]*("/>\s*'
           r'<ds:DigestValue>)[^<]*(</ds:DigestValue>)',
           r'\1http://www.w3.org/2000/09/xmldsig#sha1\2\3', d, count=1, flags=re.S)
d = re.sub(r'(<ds:SignatureValue[^>]*>)[^<]*(</ds:SignatureValue>)', r'\1\2', d)
open(f, 'w').write(d)
EOF
    check "our B-B with a sha1 data reference, re-signed by xmlsec1" xmlsec1 --sign \
        --privkey-pem "$PKI/signer-rsa.key" \
        --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" \
        --output sha1-bb1.xml sha1-bb.xml
    check "extend it to B-T" "$LTSIG" extend --level B-T --tsa "http://127.0.0.1:$TSA_PORT" \
        -o sha1-bt.xml sha1-bb1.xml
    gt=$("$LTSIG" verify --trust "$PKI/root.pem" --report json sha1-bt.xml 2>/dev/null |
         python3 -c 'import sys,json,datetime
s=json.load(sys.stdin)["signatures"][0]["best_signature_time"]
t=datetime.datetime.strptime(s,"%Y-%m-%dT%H:%M:%SZ")+datetime.timedelta(seconds=1)
print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))' 2>/dev/null)
    printf 'sunset.sha1 = %s\n' "$gt" >poe-sha1.policy
    sleep 2 # the validation time is now after the sunset
    expect "sha1 reference, time-stamped before the SHA-1 sunset: TOTAL_PASSED" 0 "" \
        sha1-bt.xml --policy poe-sha1.policy
    expect "sha1 reference, no proof of existence before the sunset: NO_POE" 2 \
        CRYPTO_CONSTRAINTS_FAILURE_NO_POE sha1-bb1.xml --policy poe-sha1.policy
else
    echo "# no TSA listens on 127.0.0.1:$TSA_PORT: the SHA-1 proof-of-existence checks are skipped"
fi

# --- bad input -----------------------------------------------------------------------------
printf '<a><b></a>' >broken.xml
out=$("$LTSIG" verify broken.xml 2>&1); rc=$?
if [[ $rc -ge 3 && "$out" == *broken.xml* ]]; then ok "not well-formed: exit >= 3, names the file"
else fail "not well-formed: exit >= 3, names the file" "rc=$rc $out"; fi
printf '<a xmlns="urn:x"><b/></a>' >nosig.xml
out=$("$LTSIG" verify nosig.xml 2>&1); rc=$?
if [[ $rc -ge 3 && "$out" == *"no ds:Signature"* ]]; then ok "no signature: exit >= 3, clear message"
else fail "no signature: exit >= 3" "rc=$rc $out"; fi
out=$("$LTSIG" verify --detached-content missing.bin det.xml 2>&1); rc=$?
if [[ $rc -ge 3 && "$out" == *missing.bin* ]]; then ok "missing detached content: exit >= 3"
else fail "missing detached content: exit >= 3" "rc=$rc $out"; fi
head -c 300 sig.xml >truncated.xml
out=$("$LTSIG" verify truncated.xml 2>&1); rc=$?
if [[ $rc -ge 3 ]]; then ok "truncated signature file: exit >= 3"; else fail "truncated: exit >= 3" "rc=$rc $out"; fi

echo "$PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
