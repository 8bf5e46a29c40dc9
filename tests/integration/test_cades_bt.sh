#!/bin/bash
# CAdES B-T / ES-T (issue 3): signing with a signature-time-stamp, `ltsig extend` of other
# tools' B-B, checked by `openssl cms -verify` and `openssl ts -verify` on the embedded
# token, and by `ltsig verify` (level, time-stamp indication, best signature time).
# The TSA: the suite's one on LTS_TEST_TSA_PORT when it answers, else `ltsig tsa-serve`
# started here on a port of the cades range (18200-18219).
# Env: LTSIG, LTS_TEST_PKI; optional LTS_TEST_TSA_PORT, TMPDIR.
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}"
P=$LTS_TEST_PKI
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-cades-bt.XXXXXX")
TSA_PID=
TSA2_PID=
cleanup() {
    [ -n "$TSA_PID" ] && kill "$TSA_PID" 2>/dev/null && wait "$TSA_PID" 2>/dev/null
    [ -n "$TSA2_PID" ] && kill "$TSA2_PID" 2>/dev/null && wait "$TSA2_PID" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() {
    local d=$1; shift
    if "$@" >"$W/check.out" 2>&1; then ok; else ko "$d"; sed 's/^/    /' "$W/check.out" >&2; fi
}
json() {
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

# --- a TSA ---------------------------------------------------------------------------------
. "${LTS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/support/tsa.sh"
TSA_URL=
if TSA_URL=$(lts_tsa_suite "$W"); then
    :
elif "$LTSIG" tsa-serve --help >/dev/null 2>&1; then
    lts_tsa_own "$W" "$W/tsa.log" 18201 18202 18203
    TSA_URL=$LTS_TSA_URL TSA_PID=$LTS_TSA_PID
fi
if [ -z "$TSA_URL" ]; then
    echo "no TSA (LTS_TEST_TSA_PORT service or ltsig tsa-serve): B-T tests skipped"
    echo "0 passed, 0 failed"
    exit 0
fi

# openssl ts -verify of the (first) signature-time-stamp token of a CMS file
ts_verify() { # FILE
    python3 - "$1" "$W/token.der" "$W/sigval.bin" <<'PY' || return 1
import subprocess, sys
f, tok, sv = sys.argv[1:4]
out = subprocess.run(["openssl", "asn1parse", "-inform", "DER", "-in", f],
                     capture_output=True, text=True, check=True).stdout.splitlines()
import re
def parse(line):
    m = re.match(r"\s*(\d+):d=\s*\d+\s+hl=\s*(\d+)\s+l=\s*(\d+)(.*)", line)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
data = open(f, "rb").read()
rows = [r for r in (parse(l) for l in out) if r]
ts = next(i for i, r in enumerate(rows) if "id-smime-aa-timeStampToken" in r[3])
off, hl, l, _ = rows[ts + 2]            # OBJECT, SET, the token SEQUENCE
open(tok, "wb").write(data[off:off + hl + l])
sig = [r for r in rows[:ts] if "OCTET STRING" in r[3] and r[2] >= 64][-1]
open(sv, "wb").write(data[sig[0] + sig[1]:sig[0] + sig[1] + sig[2]])
PY
    openssl ts -verify -token_in -in "$W/token.der" -data "$W/sigval.bin" -CAfile "$P/root.pem"
}

printf 'time-stamped content\n' >"$W/doc.txt"

# --- 1. sign at B-T --------------------------------------------------------------------------
for key in rsa ec; do
    "$LTSIG" sign --format cades --level B-T --tsa "$TSA_URL" --signer "file:$P/signer-$key.p12" \
        --passin pass:test1234 -o "$W/bt-$key.p7m" "$W/doc.txt" 2>"$W/err"
    check "sign B-T $key" test $? -eq 0
    check "openssl cms -verify B-T $key" openssl cms -verify -binary -inform DER -in "$W/bt-$key.p7m" \
        -CAfile "$P/root.pem" -purpose any -out /dev/null
    check "openssl ts -verify on the token ($key)" ts_verify "$W/bt-$key.p7m"
    "$LTSIG" verify --trust "$P/root.pem" --report json "$W/bt-$key.p7m" >"$W/bt.json" 2>"$W/err"
    check "verify B-T $key: exit 0" test $? -eq 0
    check "verify B-T $key: report" json "$W/bt.json" 'r["signatures"][0]["level"]=="B-T" and r["signatures"][0]["indication"]=="TOTAL_PASSED" and len(r["signatures"][0]["timestamps"])==1 and r["signatures"][0]["timestamps"][0]["indication"]=="TOTAL_PASSED" and r["signatures"][0]["best_signature_time"]==r["signatures"][0]["timestamps"][0]["gen_time"] and "TSA" in (r["signatures"][0]["timestamps"][0]["tsa"] or "")'
done
"$LTSIG" sign --format cades --level ES-T --tsa "$TSA_URL" --signer "file:$P/signer-ec384.p12" \
    --passin pass:test1234 --hash sha512 --detached -o "$W/est.p7s" "$W/doc.txt"
check "sign ES-T detached: exit 0" test $? -eq 0
check "openssl cms -verify ES-T detached" openssl cms -verify -binary -inform DER -in "$W/est.p7s" \
    -content "$W/doc.txt" -CAfile "$P/root.pem" -purpose any -out /dev/null
check "openssl ts -verify ES-T token" ts_verify "$W/est.p7s"

# --- 2. extend another tool's B-B -------------------------------------------------------------
if "$LTSIG" extend --help >/dev/null 2>&1; then
    openssl cms -sign -cades -binary -in "$W/doc.txt" -signer "$P/signer-rsa.pem" \
        -inkey "$P/signer-rsa.key" -certfile "$P/chain.pem" -outform DER -out "$W/bb.p7s"
    cp "$W/bb.p7s" "$W/bb.orig"
    "$LTSIG" extend --level B-T --tsa "$TSA_URL" -o "$W/ext.p7s" "$W/bb.p7s" 2>"$W/err"
    check "extend: exit 0" test $? -eq 0
    check "extend: input unchanged" cmp "$W/bb.p7s" "$W/bb.orig"
    check "extend: openssl cms -verify" openssl cms -verify -binary -inform DER -in "$W/ext.p7s" \
        -content "$W/doc.txt" -CAfile "$P/root.pem" -purpose any -out /dev/null
    check "extend: openssl ts -verify" ts_verify "$W/ext.p7s"
    # the signed attributes and the signature value are the same bytes
    openssl cms -cmsout -print -inform DER -in "$W/bb.p7s" | sed -n '/signedAttrs/,/unsignedAttrs/p' >"$W/a.txt"
    openssl cms -cmsout -print -inform DER -in "$W/ext.p7s" | sed -n '/signedAttrs/,/unsignedAttrs/p' >"$W/b.txt"
    check "extend: signed part unchanged" cmp "$W/a.txt" "$W/b.txt"
    "$LTSIG" verify --trust "$P/root.pem" --detached-content "$W/doc.txt" --report json "$W/ext.p7s" >"$W/ext.json"
    check "extend: verify exit 0" test $? -eq 0
    check "extend: level B-T" json "$W/ext.json" 'r["signatures"][0]["level"]=="B-T" and r["signatures"][0]["timestamps"][0]["indication"]=="TOTAL_PASSED"'
    # a second extend adds nothing
    "$LTSIG" extend --level ES-T --tsa "$TSA_URL" -o "$W/ext2.p7s" "$W/ext.p7s"
    check "extend again: same bytes" cmp "$W/ext.p7s" "$W/ext2.p7s"
    # failures leave nothing behind
    mkdir "$W/out"
    "$LTSIG" extend --level B-T --tsa http://127.0.0.1:18219/ --timeout 3 -o "$W/out/x.p7s" "$W/bb.p7s" 2>"$W/err"
    r=$?
    check "extend, TSA down: exit >= 3" test "$r" -ge 3
    check "extend, TSA down: one-line error" test "$(wc -l <"$W/err")" -eq 1
    check "extend, TSA down: no output" test -z "$(ls -A "$W/out")"
    printf '%%PDF-1.4\n' >"$W/x.pdf"
    "$LTSIG" extend --level B-T --tsa "$TSA_URL" -o "$W/out/x.p7s" "$W/x.pdf" 2>"$W/err"
    check "extend a PDF: exit >= 3" test $? -ge 3
    "$LTSIG" extend --level B-T -o "$W/out/x.p7s" "$W/bb.p7s" 2>"$W/err"
    check "extend without --tsa: usage error" test $? -eq 3
    # a broken signature (one bit of the signature value) is not extended
    cp "$W/bb.p7s" "$W/broken.p7s"
    python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-20]^=1; open(p,"wb").write(b)' "$W/broken.p7s"
    "$LTSIG" extend --level B-T --tsa "$TSA_URL" -o "$W/out/x.p7s" "$W/broken.p7s" 2>"$W/err"
    r=$?; check "extend a broken signature: exit >= 3" test "$r" -ge 3
    check "extend a broken signature: says why" grep -q "broken" "$W/err"
    check "nothing written" test -z "$(ls -A "$W/out")"
else
    echo "ltsig has no extend command yet: extend tests skipped"
fi

# --- 3. B-LT: validation data of the signer and of the TSA in SignedData ------------------------
[ -f "$P/env.sh" ] && HTTP_PORT=$(sed -n 's/^export LTS_TEST_HTTP_PORT=//p' "$P/env.sh")
if [ -n "${HTTP_PORT:-}" ] && curl -s -m 3 -o /dev/null "http://127.0.0.1:$HTTP_PORT/inter.crl"; then
    "$LTSIG" sign --format cades --level B-LT --tsa "$TSA_URL" --trust "$P/root.pem" \
        --signer "file:$P/signer-ec.p12" --passin pass:test1234 -o "$W/lt.p7m" "$W/doc.txt" 2>"$W/err"
    r=$?; check "sign B-LT: exit 0 ($(cat "$W/err"))" test "$r" -eq 0
    check "B-LT: openssl cms -verify" openssl cms -verify -binary -inform DER -in "$W/lt.p7m" \
        -CAfile "$P/root.pem" -purpose any -out /dev/null
    check "B-LT: openssl ts -verify" ts_verify "$W/lt.p7m"
    openssl cms -cmsout -print -inform DER -in "$W/lt.p7m" >"$W/lt.txt"
    check "B-LT: OCSP response as id-ri-ocsp-response" grep -q "1.3.6.1.5.5.7.16.2" "$W/lt.txt"
    check "B-LT: SignedData version 5" grep -q "^    version: 5" "$W/lt.txt"
    check "B-LT: CRLs present" grep -q "d.crl:" "$W/lt.txt"
    check "B-LT: the root certificate is embedded" grep -q "ltsig Test Root CA" "$W/lt.txt"
    "$LTSIG" verify --trust "$P/root.pem" --report json "$W/lt.p7m" >"$W/lt.json"
    check "B-LT: verify exit 0" test $? -eq 0
    check "B-LT: level" json "$W/lt.json" 'r["signatures"][0]["level"]=="B-LT"'
    check "B-LT: embedded revocation data checked" json "$W/lt.json" 'any("not revoked" in m for m in r["signatures"][0]["messages"])'
    # a revoked signer: the collected OCSP response / CRL says so, and nothing is made
    "$LTSIG" sign --format cades --level B-LT --tsa "$TSA_URL" --trust "$P/root.pem" \
        --signer "file:$P/signer-revoked.p12" --passin pass:test1234 -o "$W/rev.p7m" "$W/doc.txt" 2>"$W/err"
    r=$?; check "sign B-LT with a revoked signer refused: exit 4" test "$r" -eq 4
    check "revoked signer: the error names the revocation" grep -q "Test Signer Revoked was revoked on" "$W/err"
    check "revoked signer: no output written" test ! -e "$W/rev.p7m"
    if "$LTSIG" extend --help >/dev/null 2>&1; then
        "$LTSIG" extend --level B-LT --tsa "$TSA_URL" --trust "$P/root.pem" -o "$W/ext-lt.p7s" "$W/bb.p7s" 2>"$W/err"
        r=$?; check "extend to B-LT: exit 0 ($(cat "$W/err"))" test "$r" -eq 0
        check "extend to B-LT: openssl cms -verify" openssl cms -verify -binary -inform DER \
            -in "$W/ext-lt.p7s" -content "$W/doc.txt" -CAfile "$P/root.pem" -purpose any -out /dev/null
        "$LTSIG" verify --trust "$P/root.pem" --detached-content "$W/doc.txt" --report json "$W/ext-lt.p7s" >"$W/elt.json"
        check "extend to B-LT: verify" json "$W/elt.json" 'r["indication"]=="TOTAL_PASSED" and r["signatures"][0]["level"]=="B-LT"'
        # B-T -> B-LT keeps the existing time-stamp
        "$LTSIG" extend --level B-LT --trust "$P/root.pem" --tsa "$TSA_URL" -o "$W/ext-lt2.p7s" "$W/ext.p7s"
        check "B-T to B-LT: one time-stamp" test "$(openssl cms -cmsout -print -inform DER -in "$W/ext-lt2.p7s" | grep -c id-smime-aa-timeStampToken)" -eq 1
        "$LTSIG" extend --level B-LT --offline --tsa "$TSA_URL" -o "$W/out/x.p7s" "$W/bb.p7s" 2>"$W/err"
        check "B-LT --offline without --vdata: usage error" test $? -eq 3
        check "nothing written (B-LT)" test -z "$(ls -A "$W/out")"
    fi
    # --- 4. B-LTA: archive-time-stamp-v3, its index and imprint recomputed independently
    "$LTSIG" sign --format cades --level B-LTA --tsa "$TSA_URL" --trust "$P/root.pem" \
        --signer "file:$P/signer-rsa.p12" --passin pass:test1234 -o "$W/lta.p7m" "$W/doc.txt" 2>"$W/err"
    r=$?; check "sign B-LTA: exit 0 ($(cat "$W/err"))" test "$r" -eq 0
    check "B-LTA: openssl cms -verify" openssl cms -verify -binary -inform DER -in "$W/lta.p7m" \
        -CAfile "$P/root.pem" -purpose any -out /dev/null
    ats_check() { # FILE CONTENT: recompute ats-hash-index-v3 and the imprint, openssl ts -verify
        python3 "${LTS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/support/ats_v3.py" \
            "$1" "$2" "$W/ats.der" first >"$W/ats.hex" || return 1
        openssl ts -verify -token_in -in "$W/ats.der" -digest "$(cat "$W/ats.hex")" -CAfile "$P/root.pem"
    }
    check "B-LTA: index and imprint recomputed, openssl ts -verify" ats_check "$W/lta.p7m" "$W/doc.txt"
    check "B-LTA: openssl ts -verify on the signature time-stamp" ts_verify "$W/lta.p7m"
    "$LTSIG" verify --trust "$P/root.pem" --report json "$W/lta.p7m" >"$W/lta.json"
    check "B-LTA: verify exit 0" test $? -eq 0
    check "B-LTA: level and archive time-stamp" json "$W/lta.json" 'r["signatures"][0]["level"]=="B-LTA" and [t["type"] for t in r["signatures"][0]["timestamps"]]==["signature-time-stamp","archive-time-stamp-v3"] and all(t["indication"]=="TOTAL_PASSED" for t in r["signatures"][0]["timestamps"])'
    if "$LTSIG" extend --help >/dev/null 2>&1; then
        # renewal: extend B-LTA again adds a second archive time-stamp over the first
        "$LTSIG" extend --level B-LTA --tsa "$TSA_URL" --trust "$P/root.pem" -o "$W/lta2.p7m" "$W/lta.p7m" 2>"$W/err"
        r=$?; check "B-LTA renewal: exit 0 ($(cat "$W/err"))" test "$r" -eq 0
        check "B-LTA renewal: two archive time-stamps" test "$(openssl asn1parse -inform DER -in "$W/lta2.p7m" | grep -c ':0.4.0.1733.2.4')" -eq 2
        check "B-LTA renewal: openssl cms -verify" openssl cms -verify -binary -inform DER \
            -in "$W/lta2.p7m" -CAfile "$P/root.pem" -purpose any -out /dev/null
        "$LTSIG" verify --trust "$P/root.pem" --report json "$W/lta2.p7m" >"$W/lta2.json"
        check "B-LTA renewal: verify" json "$W/lta2.json" 'r["indication"]=="TOTAL_PASSED" and len(r["signatures"][0]["timestamps"])==3 and all(t["indication"]=="TOTAL_PASSED" for t in r["signatures"][0]["timestamps"])'
    fi
    # --- 5. ES-XL and ES-A (TS 101 733 / ISO 14533-1) ----------------------------------------
    for lv in ES-XL ES-A; do
        "$LTSIG" sign --format cades --level "$lv" --tsa "$TSA_URL" --trust "$P/root.pem" \
            --signer "file:$P/signer-rsa.p12" --passin pass:test1234 -o "$W/$lv.p7m" "$W/doc.txt" 2>"$W/err"
        r=$?; check "sign $lv: exit 0 ($(cat "$W/err"))" test "$r" -eq 0
        check "$lv: openssl cms -verify" openssl cms -verify -binary -inform DER -in "$W/$lv.p7m" \
            -CAfile "$P/root.pem" -purpose any -out /dev/null
        "$LTSIG" verify --trust "$P/root.pem" --report json "$W/$lv.p7m" >"$W/$lv.json"
        check "$lv: verify exit 0" test $? -eq 0
        check "$lv: level" json "$W/$lv.json" "r['signatures'][0]['level']=='$lv'"
    done
    # the references point at the values; every CRL and OCSP value verifies with openssl
    xl_check() { # FILE
        rm -rf "$W/xl" && mkdir "$W/xl"
        python3 - "$1" "$W/xl" <<'PY' || return 1
import hashlib, sys
data = open(sys.argv[1], "rb").read()
out = sys.argv[2]
def tlv(b, i):
    tag, j = b[i], i + 1
    n = b[j]; j += 1
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(b[j:j + k], "big"); j += k
    return tag, i, j, j + n
def kids(b, t):
    out, i = [], t[2]
    while i < t[3]:
        k = tlv(b, i); out.append(k); i = k[3]
    return out
def raw(t): return data[t[1]:t[3]]
ci = tlv(data, 0); sd = kids(data, kids(data, ci)[1])[0]; sdk = kids(data, sd)
si = kids(data, sdk[-1])[0]
ua = kids(data, [k for k in kids(data, si) if k[0] == 0xa1][0])
def oid_of(a): return raw(kids(data, a)[0])
def value(a): return kids(data, kids(data, a)[1])[0]
OID = lambda last: bytes([6, 11, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 9, 16, 2, last])
attrs = {oid_of(a): value(a) for a in ua}
for last in (21, 22, 23, 24):
    if OID(last) not in attrs:
        sys.exit("missing attribute id-aa-%d" % last)
H = lambda x: hashlib.sha256(x).digest()
certs = [raw(k) for k in kids(data, attrs[OID(23)])]
certs += [raw(k) for k in kids(data, next(k for k in sdk if k[0] == 0xa0))]
rv = {k[0]: [raw(x) for x in kids(data, kids(data, k)[0])] for k in kids(data, attrs[OID(24)])}
crls, ocsps = rv.get(0xa0, []), rv.get(0xa1, [])
if not crls and not ocsps:
    sys.exit("no revocation values")
def other_hash_value(t):   # OtherHashAlgAndValue -> the hash octets
    alg, val = kids(data, t)
    return data[val[2]:val[3]]
for ref in kids(data, attrs[OID(21)]):          # OtherCertID
    if other_hash_value(kids(data, ref)[0]) not in [H(c) for c in certs]:
        sys.exit("a certificate reference matches no certificate value")
nrefs = 0
for ref in kids(data, attrs[OID(22)]):          # CrlOcspRef
    for part in kids(data, ref):
        lst = kids(data, kids(data, kids(data, part)[0])[0])
        for item in lst:
            if part[0] == 0xa0:                 # CrlValidatedID
                ok = other_hash_value(kids(data, item)[0]) in [H(c) for c in crls]
            else:                               # OcspResponsesID
                ok = other_hash_value(kids(data, item)[1]) in [H(o) for o in ocsps]
            if not ok:
                sys.exit("a revocation reference matches no revocation value")
            nrefs += 1
if nrefs == 0:
    sys.exit("no revocation references")
def seq(x, tag=0x30):
    n = len(x)
    if n < 0x80: return bytes([tag, n]) + x
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(ln)]) + ln + x
for n, c in enumerate(crls):
    open("%s/crl%d.der" % (out, n), "wb").write(c)
basic_oid = bytes([6, 9, 0x2b, 6, 1, 5, 5, 7, 48, 1, 1])
for n, o in enumerate(ocsps):   # BasicOCSPResponse -> OCSPResponse for openssl ocsp
    resp = seq(bytes([10, 1, 0]) + seq(seq(basic_oid + seq(o, 4)), 0xa0))
    open("%s/ocsp%d.der" % (out, n), "wb").write(resp)
PY
        local f
        cat "$P/root.pem" "$P/inter.pem" >"$W/xl/ca.pem"
        for f in "$W"/xl/crl*.der; do
            [ -e "$f" ] || continue
            openssl crl -inform DER -in "$f" -CAfile "$W/xl/ca.pem" -noout 2>&1 | grep -q "verify OK" || return 1
        done
        for f in "$W"/xl/ocsp*.der; do
            [ -e "$f" ] || continue
            openssl ocsp -respin "$f" -CAfile "$P/root.pem" -verify_other "$P/chain.pem" 2>&1 |
                grep -q "Response verify OK" || return 1
        done
    }
    check "ES-XL: revocation values checked" json "$W/ES-XL.json" 'any("not revoked" in m for m in r["signatures"][0]["messages"])'
    "$LTSIG" sign --format cades --level ES-XL --tsa "$TSA_URL" --trust "$P/root.pem" \
        --signer "file:$P/signer-revoked.p12" --passin pass:test1234 -o "$W/xlrev.p7m" "$W/doc.txt" 2>"$W/err"
    r=$?; check "sign ES-XL with a revoked signer refused: exit 4" test "$r" -eq 4
    check "ES-XL revoked signer: no output written" test ! -e "$W/xlrev.p7m"
    check "ES-XL: references match values; CRLs and OCSP responses verify" xl_check "$W/ES-XL.p7m"
    check "ES-XL: openssl ts -verify on the signature time-stamp" ts_verify "$W/ES-XL.p7m"
    check "ES-A: openssl ts -verify on the signature time-stamp" ts_verify "$W/ES-A.p7m"
    check "ES-A: archive index and imprint, openssl ts -verify" ats_check "$W/ES-A.p7m" "$W/doc.txt"
    # --- 6. proofs of existence: validation in 2030, after the signer's and the first TSA's
    # certificates expired (2029); an archive time-stamp from a second, longer-lived TSA
    # (made here, issued by the test intermediate) keeps the signature valid
    if [ -f "$P/inter.key" ] && "$LTSIG" tsa-serve --help >/dev/null 2>&1; then
        printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n' >"$W/tsa2.ext"
        openssl req -new -newkey rsa:2048 -nodes -keyout "$W/tsa2.key" -subj "/O=ltsig test/CN=ltsig Test TSA 2" \
            -out "$W/tsa2.csr" 2>/dev/null &&
            openssl x509 -req -in "$W/tsa2.csr" -CA "$P/inter.pem" -CAkey "$P/inter.key" -set_serial 0x7a5a2 \
                -days 2900 -extfile "$W/tsa2.ext" -out "$W/tsa2.pem" 2>/dev/null &&
            openssl pkcs12 -export -inkey "$W/tsa2.key" -in "$W/tsa2.pem" -certfile "$P/chain.pem" \
                -passout pass:test1234 -out "$W/tsa2.p12" 2>/dev/null
        TSA2_URL=
        LTS_TSA_KEY=$W/tsa2.p12 lts_tsa_own "$W" "$W/tsa2.log" 18216 18217
        TSA2_URL=$LTS_TSA_URL TSA2_PID=$LTS_TSA_PID
        if [ -n "$TSA2_URL" ]; then
            "$LTSIG" extend --level B-LTA --tsa "$TSA2_URL" --trust "$P/root.pem" -o "$W/poe.p7m" "$W/lt.p7m" 2>"$W/err"
            r=$?; check "B-LTA with the second TSA ($(cat "$W/err"))" test "$r" -eq 0
            "$LTSIG" verify --trust "$P/root.pem" --at 2030-06-01T00:00:00Z --report json "$W/lt.p7m" >"$W/nopoe.json"
            r=$?; check "B-LT in 2030: exit 2" test "$r" -eq 2
            check "B-LT in 2030: OUT_OF_BOUNDS_NO_POE" json "$W/nopoe.json" 'r["signatures"][0]["subindication"]=="OUT_OF_BOUNDS_NO_POE"'
            "$LTSIG" verify --trust "$P/root.pem" --at 2030-06-01T00:00:00Z --report json "$W/poe.p7m" >"$W/poe.json"
            r=$?; check "B-LTA in 2030: exit 0" test "$r" -eq 0
            check "B-LTA in 2030: passed through the proofs of existence" json "$W/poe.json" 'r["indication"]=="TOTAL_PASSED" and [t["indication"] for t in r["signatures"][0]["timestamps"]]==["TOTAL_PASSED","TOTAL_PASSED"] and any("proof of existence" in (t["message"] or "") for t in r["signatures"][0]["timestamps"])'
            kill "$TSA2_PID" 2>/dev/null; wait "$TSA2_PID" 2>/dev/null; TSA2_PID=
        else
            ko "second TSA did not start: $(tail -1 "$W/tsa2.log")"
        fi
    fi
else
    echo "no HTTP/OCSP services for $P: B-LT, B-LTA, ES-XL and ES-A tests skipped"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
