#!/bin/bash
# PAdES above B-B (issue 4): B-T with a document time-stamp, B-LT with a DSS (/Certs /OCSPs
# /CRLs /VRI), B-LTA with a document time-stamp over the DSS. Checked with pdfsig (the
# signature), openssl ts -verify (each document time-stamp against the /ByteRange digest),
# qpdf --check, and ltsig verify (levels, proofs of existence, tampering).
# Env: LTSIG, LTS_TEST_PKI (make-pki.sh output, HTTP/OCSP services running), LTS_SRC;
# LTS_PADES_TSA_PORT (default 18705) for the TSA this test starts (ltsig tsa-serve).
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
P=$LTS_TEST_PKI
PORT=${LTS_PADES_TSA_PORT:-18705}
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-pades-lv.XXXXXX")
TSA_PID=
cleanup() {
    [ -n "$TSA_PID" ] && kill "$TSA_PID" 2>/dev/null && wait "$TSA_PID" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() {
    local d=$1; shift
    if "$@" >"$W/check.out" 2>&1; then ok; else ko "$d"; sed 's/^/    /' "$W/check.out" | head -20 >&2; fi
}
check_not() {
    local d=$1 r; shift
    "$@" >"$W/check.out" 2>&1
    r=$?
    cp "$W/check.out" "$W/last.out"
    if [ $r -eq 0 ]; then ko "$d (unexpectedly succeeded)"; sed 's/^/    /' "$W/check.out" >&2
    elif [ $r -ge 128 ]; then ko "$d (crashed, status $r)"; sed 's/^/    /' "$W/check.out" >&2
    elif grep -q "Sanitizer" "$W/check.out"; then ko "$d (sanitizer report)"; head -30 "$W/check.out" >&2
    else ok; fi
}
json() { # FILE PYEXPR over r (the report) and s (its first signature)
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); s=(r.get("signatures") or [None])[0]; sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
sign() { # OUT IN KEY LEVEL [ARGS...]
    local out=$1 in=$2 key=$3 level=$4 r; shift 4
    "$LTSIG" sign --format pades --level "$level" --signer "file:$P/signer-$key.p12" \
        --passin pass:test1234 --trust "$P/root.pem" "$@" -o "$out" "$in" 2>"$W/sign.stderr"
    r=$?
    cat "$W/sign.stderr" >&2
    grep -q "Sanitizer" "$W/sign.stderr" && return 99
    return $r
}
verify_json() {
    local rep=$1; shift
    "$LTSIG" verify --report json "$@" >"$rep" 2>"$W/verify.err"
    rc=$?
    if grep -q "Sanitizer" "$W/verify.err"; then rc=99; cat "$W/verify.err" >&2; fi
}
# ts_verify FILE FIELD: openssl ts -verify of the document time-stamp FIELD
ts_verify() {
    python3 - "$1" "$2" "$W/tok.der" "$W/digest.hex" <<'PY' || return 1
import re, sys, hashlib
b = open(sys.argv[1], 'rb').read()
field = sys.argv[2].encode()
# the widget names the field and points at its value: /T (field) /V n 0 R
m = re.search(rb'/T \(' + re.escape(field) + rb'\) /V (\d+) 0 R', b)
num = m.group(1)
objs = list(re.finditer(rb'(?<![0-9])' + num + rb' 0 obj', b))
o = objs[-1].start()
d = b[o:o + 200000]
br = [int(x) for x in re.search(rb'/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]', d).groups()]
hexs = re.search(rb'/Contents <([0-9A-Fa-f]+)>', d).group(1)
tok = bytes.fromhex(hexs.decode())
# trim the zero padding: DER length of the outer SEQUENCE
l = tok[1]
n = 2 + l if l < 0x80 else 2 + (l & 0x7f) + int.from_bytes(tok[2:2 + (l & 0x7f)], 'big')
open(sys.argv[3], 'wb').write(tok[:n])
h = hashlib.sha256(b[br[0]:br[0] + br[1]] + b[br[2]:br[2] + br[3]]).hexdigest()
open(sys.argv[4], 'w').write(h)
PY
    openssl ts -verify -digest "$(cat "$W/digest.hex")" -in "$W/tok.der" -token_in \
        -CAfile "$P/root.pem" -untrusted "$P/tsa-chain.pem" 2>&1 | grep -q "Verification: OK"
}
# cms_verify FILE: openssl cms -verify of the first signature over its /ByteRange
cms_verify() {
    python3 - "$1" "$W/cms.der" "$W/signed.bin" <<'PY' || return 1
import re, sys
b = open(sys.argv[1], 'rb').read()
m = re.search(rb'/SubFilter /ETSI.CAdES.detached .*?/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]\s*/Contents <([0-9A-F]+)>', b, re.S)
br = [int(x) for x in m.groups()[:4]]
tok = bytes.fromhex(m.group(5).decode())
l = tok[1]
n = 2 + l if l < 0x80 else 2 + (l & 0x7f) + int.from_bytes(tok[2:2 + (l & 0x7f)], 'big')
open(sys.argv[2], 'wb').write(tok[:n])
open(sys.argv[3], 'wb').write(b[br[0]:br[0] + br[1]] + b[br[2]:br[2] + br[3]])
PY
    openssl cms -verify -binary -inform DER -in "$W/cms.der" -content "$W/signed.bin" \
        -CAfile "$P/root.pem" -purpose any -out /dev/null
}
pdfsig_sig_ok() { # FILE: signature #1 valid and trusted
    local out
    out=$(pdfsig -nssdir "sql:$W/nss" "$1" 2>&1)
    grep -A12 "Signature #1:" <<<"$out" | grep -q "Signature Validation: Signature is Valid." &&
        grep -A12 "Signature #1:" <<<"$out" | grep -q "Certificate Validation: Certificate is Trusted." ||
        { echo "$out"; return 1; }
}
flip_at() {
    python3 -c 'import sys; p=sys.argv[1]; o=int(sys.argv[2]); b=bytearray(open(p,"rb").read()); b[o]^=0x01; open(p,"wb").write(b)' "$1" "$2"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

mkdir -p "$W/nss"
certutil -N -d "sql:$W/nss" --empty-password >/dev/null 2>&1
certutil -A -d "sql:$W/nss" -n root -t "CT,C,C" -i "$P/root.pem"
DOCS=$LTS_SRC/testdata/docs

# --- our TSA -------------------------------------------------------------------------------
# a free port from PORT up (another suite may hold one)
for _ in $(seq 15); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || break
    PORT=$((PORT + 1))
done
TSA=http://127.0.0.1:$PORT/
"$LTSIG" tsa-serve --signer "file:$P/tsa.p12" --passin pass:test1234 --port "$PORT" \
    >"$W/tsa.log" 2>&1 &
TSA_PID=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
check "TSA listening on $PORT" bash -c "(exec 3<>/dev/tcp/127.0.0.1/$PORT)"
check "our TSA (pid $TSA_PID) is the one listening" kill -0 "$TSA_PID"

# --- 1. B-T: signature-time-stamp in the CMS ------------------------------------------------
in=$DOCS/sample.pdf
before=$(sha "$in")
if sign "$W/bt.pdf" "$in" rsa B-T --tsa "$TSA"; then
    check "B-T: qpdf --check clean" qpdf --check "$W/bt.pdf"
    check "B-T: pdfsig signature valid" pdfsig_sig_ok "$W/bt.pdf"
    check_not "B-T: no document time-stamp needed" grep -aq "/DocTimeStamp" "$W/bt.pdf"
    check "B-T: openssl cms -verify over the /ByteRange" cms_verify "$W/bt.pdf"
    verify_json "$W/r.json" "$W/bt.pdf" --trust "$P/root.pem"
    if [ $rc -eq 0 ] && json "$W/r.json" \
        's["level"]=="B-T" and s["indication"]=="TOTAL_PASSED" and len(s["timestamps"])==1 and s["timestamps"][0]["type"]=="signature-time-stamp" and s["timestamps"][0]["indication"]=="TOTAL_PASSED"'; then
        ok
    else
        ko "B-T: ltsig verify (rc=$rc)"; cat "$W/r.json" "$W/verify.err" >&2
    fi
else
    ko "B-T sign"
fi
[ "$(sha "$in")" = "$before" ] && ok || ko "B-T: input modified"

# --- 2. B-LT and B-LTA on the xref-stream sample ---------------------------------------------
in=$DOCS/sample-objstm.pdf
size=$(stat -c %s "$in")
for lv in B-LT B-LTA; do
    out=$W/$lv.pdf
    if ! sign "$out" "$in" ec $lv --tsa "$TSA"; then ko "$lv sign"; continue; fi
    check "$lv: qpdf --check clean" qpdf --check "$out"
    check "$lv: pdfsig signature valid" pdfsig_sig_ok "$out"
    check "$lv: no xref table added to an xref-stream file" \
        bash -c "! tail -c +$((size + 1)) '$out' | grep -aq '^xref'"
    check "$lv: DSS with certificates, OCSP responses, CRLs and VRI" python3 - "$out" "$P" <<'PY'
import re, sys, hashlib, subprocess
b = open(sys.argv[1], 'rb').read()
dss = re.search(rb'<< /Type /DSS /Certs \[ ([0-9 R]+)\] /OCSPs \[ ([0-9 R]+)\] /CRLs \[ ([0-9 R]+)\] /VRI << /([0-9A-F]{40}) ', b)
assert dss, "no DSS"
def stream(num):
    m = list(re.finditer(rb'(?<![0-9])' + num + rb' 0 obj\n<< /Length (\d+) >>\nstream\n', b))[-1]
    return b[m.end():m.end() + int(m.group(1))]
certs = [stream(n) for n in re.findall(rb'(\d+) 0 R', dss.group(1))]
for name in ('root', 'inter', 'signer-ec', 'tsa'):
    der = subprocess.run(['openssl', 'x509', '-in', sys.argv[2] + '/' + name + '.pem', '-outform', 'DER'],
                         capture_output=True).stdout
    assert der in certs, name + " not in /Certs"
for n in re.findall(rb'(\d+) 0 R', dss.group(2)):
    r = subprocess.run(['openssl', 'ocsp', '-respin', '/dev/stdin', '-resp_text', '-noverify'],
                       input=stream(n), capture_output=True)
    assert b'Response Status: successful' in r.stdout, "bad OCSP response"
for n in re.findall(rb'(\d+) 0 R', dss.group(3)):
    r = subprocess.run(['openssl', 'crl', '-inform', 'DER', '-noout', '-issuer'], input=stream(n), capture_output=True)
    assert r.returncode == 0, "bad CRL"
# the VRI key of the signature: SHA-1 of its /Contents
m = re.search(rb'/SubFilter /ETSI.CAdES.detached .*?/Contents <([0-9A-F]+)>', b, re.S)
key = hashlib.sha1(bytes.fromhex(m.group(1).decode())).hexdigest().upper().encode()
assert b'/' + key + b' <<' in b, "no VRI entry for the signature"
PY
    check "$lv: openssl cms -verify over the /ByteRange" cms_verify "$out"
    verify_json "$W/r.json" "$out" --trust "$P/root.pem"
    if [ $rc -eq 0 ] && json "$W/r.json" "r['signatures'][0]['level']=='$lv' and r['indication']=='TOTAL_PASSED'"; then
        ok
    else
        ko "$lv: ltsig verify level (rc=$rc)"; cat "$W/r.json" "$W/verify.err" >&2
    fi
done
if [ -f "$W/B-LTA.pdf" ]; then
    check "B-LTA: openssl ts -verify DocTimeStamp1 (over the DSS)" ts_verify "$W/B-LTA.pdf" DocTimeStamp1
    check "B-LTA: a signature- and a document time-stamp reported" json "$W/r.json" \
        '[t["type"] for t in s["timestamps"]]==["signature-time-stamp","document-time-stamp"]'
    # B-LTA on top of B-LTA (renewal): a second signature is not needed, sign again adds one;
    # here: tamper a byte of the DSS (covered only by DocTimeStamp1)
    cp "$W/B-LTA.pdf" "$W/dss-tampered.pdf"
    off=$(grep -abo "/Type /DSS" "$W/dss-tampered.pdf" | tail -1 | cut -d: -f1)
    flip_at "$W/dss-tampered.pdf" $((off + 2))
    verify_json "$W/r.json" "$W/dss-tampered.pdf" --trust "$P/root.pem"
    if json "$W/r.json" \
        's["level"]!="B-LTA" and any(t["indication"]=="TOTAL_FAILED" and t["subindication"]=="HASH_FAILURE" for t in s["timestamps"])'; then
        ok
    else
        ko "B-LTA with a changed DSS byte: the last time-stamp must fail with HASH_FAILURE"; cat "$W/r.json" >&2
    fi
    # a byte of the signed revision: the signature and every time-stamp fail
    cp "$W/B-LTA.pdf" "$W/sig-tampered.pdf"
    off=$(grep -abo "/Type /Pages" "$W/sig-tampered.pdf" | head -1 | cut -d: -f1)
    if [ -n "$off" ]; then
        flip_at "$W/sig-tampered.pdf" $((off + 3))
        verify_json "$W/r.json" "$W/sig-tampered.pdf" --trust "$P/root.pem"
        if [ $rc -eq 1 ] && json "$W/r.json" 'r["signatures"][0]["subindication"]=="HASH_FAILURE"'; then ok; else
            ko "B-LTA with a changed signed byte: want exit 1 HASH_FAILURE (rc=$rc)"; cat "$W/r.json" "$W/verify.err" >&2; fi
    fi
fi

# --- 3. Revocation from the DSS -----------------------------------------------------------------
if [ -f "$W/B-LT.pdf" ]; then
    verify_json "$W/r.json" "$W/B-LT.pdf" --trust "$P/root.pem"
    check "B-LT: signer status good from the DSS" grep -q "revocation (DSS OCSP response): the signer certificate is good" "$W/r.json"
fi
sign "$W/revoked.pdf" "$DOCS/sample.pdf" revoked B-LT --tsa "$TSA" 2>/dev/null; r=$?
if [ $r -eq 4 ] && [ ! -e "$W/revoked.pdf" ] && grep -q "Test Signer Revoked was revoked on" "$W/sign.stderr"; then ok; else
    ko "revoked signer B-LT: want a refusal (exit 4, no output, the revocation named), got $r"; fi

# --- 4. A second signature over a B-LTA file keeps everything valid ---------------------------
if [ -f "$W/B-LTA.pdf" ] && sign "$W/two.pdf" "$W/B-LTA.pdf" rsa B-T --tsa "$TSA"; then
    check "second signature over B-LTA: qpdf --check" qpdf --check "$W/two.pdf"
    check "second signature over B-LTA: field Signature2" grep -aq "/T (Signature2)" "$W/two.pdf"
    verify_json "$W/r.json" "$W/two.pdf" --trust "$P/root.pem"
    if [ $rc -eq 0 ] && json "$W/r.json" \
        'len(r["signatures"])==2 and r["signatures"][0]["level"]=="B-LTA" and r["signatures"][1]["level"] in ("B-T","B-LT")'; then
        ok
    else
        ko "second signature over B-LTA: ltsig verify (rc=$rc)"; cat "$W/r.json" >&2
    fi
fi

# --- 5. ltsig extend: B-B -> B-T (document time-stamp) -> B-LTA -> renewal ----------------------
if sign "$W/ext-bb.pdf" "$DOCS/sample-objstm.pdf" rsa B-B; then
    before=$(sha "$W/ext-bb.pdf")
    check "extend B-B -> B-T" "$LTSIG" extend --level B-T --tsa "$TSA" --trust "$P/root.pem" \
        -o "$W/ext-bt.pdf" "$W/ext-bb.pdf"
    check "extend B-T -> B-LTA" "$LTSIG" extend --level B-LTA --tsa "$TSA" --trust "$P/root.pem" \
        -o "$W/ext-lta.pdf" "$W/ext-bt.pdf"
    check "renewal: extend B-LTA -> B-LTA" "$LTSIG" extend --level B-LTA --tsa "$TSA" \
        --trust "$P/root.pem" -o "$W/ext-lta2.pdf" "$W/ext-lta.pdf"
    [ "$(sha "$W/ext-bb.pdf")" = "$before" ] && ok || ko "extend modified its input"
    check "renewed: qpdf --check" qpdf --check "$W/ext-lta2.pdf"
    check "renewed: pdfsig signature still valid" pdfsig_sig_ok "$W/ext-lta2.pdf"
    for f in DocTimeStamp1 DocTimeStamp2 DocTimeStamp3; do
        check "renewed: openssl ts -verify $f" ts_verify "$W/ext-lta2.pdf" $f
    done
    check "renewed: the original bytes are a prefix" cmp -n "$(stat -c %s "$W/ext-bb.pdf")" \
        "$W/ext-bb.pdf" "$W/ext-lta2.pdf"
    check "renewed: every revision is an xref stream" \
        bash -c "! tail -c +$(($(stat -c %s "$DOCS/sample-objstm.pdf") + 1)) '$W/ext-lta2.pdf' | grep -aq '^xref'"
    verify_json "$W/r.json" "$W/ext-lta2.pdf" --trust "$P/root.pem"
    if [ $rc -eq 0 ] && json "$W/r.json" \
        's["level"]=="B-LTA" and len(s["timestamps"])==3 and all(t["indication"]=="TOTAL_PASSED" for t in s["timestamps"])'; then
        ok
    else
        ko "renewed: ltsig verify B-LTA with three time-stamps (rc=$rc)"; cat "$W/r.json" >&2
    fi
    check_not "extend B-LT --offline without --vdata refused" "$LTSIG" extend --level B-LT \
        --offline -o "$W/ext-x.pdf" "$W/ext-bt.pdf"
    check_not "extend of an unsigned PDF refused" "$LTSIG" extend --level B-T --tsa "$TSA" \
        -o "$W/ext-y.pdf" "$DOCS/sample.pdf"
    check "extend of an unsigned PDF: message" grep -qi "no signature" "$W/last.out"
    check_not "extend of an unsigned PDF: nothing written" test -e "$W/ext-y.pdf"
else
    ko "extend: B-B sign"
fi

# --- 6. Refusals -------------------------------------------------------------------------------
check_not "B-T without --tsa refused" sign "$W/n1.pdf" "$DOCS/sample.pdf" rsa B-T
check_not "B-T without --tsa: nothing written" test -e "$W/n1.pdf"
check_not "B-LT --offline without --vdata refused" sign "$W/n2.pdf" "$DOCS/sample.pdf" rsa B-LT --tsa "$TSA" --offline
check_not "B-LT --offline: nothing written" test -e "$W/n2.pdf"
check_not "TSA not listening: sign fails" sign "$W/n3.pdf" "$DOCS/sample.pdf" rsa B-T --tsa http://127.0.0.1:1/ --timeout 5
check_not "TSA not listening: nothing written" test -e "$W/n3.pdf"
check "TSA not listening: no temporary file left" bash -c "! ls -A '$W' | grep -q '^\.n3'"
check_not "ES-XL is not a PAdES level" sign "$W/n4.pdf" "$DOCS/sample.pdf" rsa ES-XL --tsa "$TSA"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
