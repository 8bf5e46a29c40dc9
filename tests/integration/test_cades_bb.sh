#!/bin/bash
# CAdES B-B end to end (issue 2): our signatures checked by `openssl cms -verify`, other
# tools' CMS checked by `ltsig verify`, tampering detected with the right EN 319 102-1
# sub-indication, untrusted roots INDETERMINATE, bad input rejected cleanly.
# Env: LTSIG, LTS_TEST_PKI (make-pki.sh output); optional TMPDIR.
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}"
P=$LTS_TEST_PKI
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-cades-bb.XXXXXX")
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { # DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@" >"$W/check.out" 2>&1; then ok; else ko "$d"; sed 's/^/    /' "$W/check.out" >&2; fi
}
# json FILE PYEXPR: evaluate PYEXPR with r = the report; true when it holds
json() {
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
sign() { # OUT IN ARGS...
    local out=$1 in=$2; shift 2
    "$LTSIG" sign --format cades --level B-B "$@" -o "$out" "$in"
}
verify_json() { # REPORT FILE ARGS... ; sets $rc
    local rep=$1; shift
    "$LTSIG" verify --report json "$@" >"$rep" 2>"$W/verify.err"
    rc=$?
}
# offset of the value of the last OCTET STRING of at least 64 bytes (the signature value)
sigval_off() {
    openssl asn1parse -inform DER -in "$1" | awk -F: '/prim: OCTET STRING/ {
        split($0, a, /[ =]+/); off=$1+0; for (i in a) { if (a[i] ~ /^hl$/) hl=a[i+1]; if (a[i] ~ /^l$/) l=a[i+1] }
        if (l+0 >= 64) { last=off+hl } } END { print last }'
}
flip() { # FILE OFFSET: xor one byte
    python3 -c 'import sys; p=sys.argv[1]; o=int(sys.argv[2]); b=bytearray(open(p,"rb").read()); b[o]^=0x01; open(p,"wb").write(b)' "$1" "$2"
}

printf 'The quick brown fox jumps over the lazy dog.\n' >"$W/doc.txt"
head -c 300000 /dev/urandom >"$W/big.bin"

# --- 1. our B-B accepted by openssl cms -verify -------------------------------------------
for combo in "rsa sha256" "rsa sha384" "rsa sha512" "ec sha256" "ec sha384" "ec sha512" \
             "ec384 sha256" "ec384 sha384" "ec384 sha512"; do
    set -- $combo
    key=$1 h=$2
    for mode in attached detached; do
        out="$W/$key-$h-$mode.p7s"
        extra=()
        [ "$mode" = detached ] && extra=(--detached)
        if ! sign "$out" "$W/big.bin" --signer "file:$P/signer-$key.p12" --passin pass:test1234 \
            --hash "$h" "${extra[@]}" 2>"$W/sign.err"; then
            ko "sign $key $h $mode: $(cat "$W/sign.err")"
            continue
        fi
        if [ "$mode" = detached ]; then
            check "openssl cms -verify $key $h detached" openssl cms -verify -binary -inform DER \
                -in "$out" -content "$W/big.bin" -CAfile "$P/root.pem" -purpose any -out /dev/null
            check "ltsig verify $key $h detached" "$LTSIG" verify --trust "$P/root.pem" \
                --detached-content "$W/big.bin" "$out"
        else
            check "openssl cms -verify $key $h attached" openssl cms -verify -binary -inform DER \
                -in "$out" -CAfile "$P/root.pem" -purpose any -out "$W/extracted"
            check "attached content round trip $key $h" cmp "$W/extracted" "$W/big.bin"
            check "ltsig verify $key $h attached" "$LTSIG" verify --trust "$P/root.pem" "$out"
        fi
    done
done

# digest algorithm and signature algorithm as requested
openssl cms -cmsout -print -inform DER -in "$W/ec384-sha384-attached.p7s" >"$W/print.txt" 2>&1
check "ecdsa-with-SHA384 in the SignerInfo" grep -q "ecdsa-with-SHA384" "$W/print.txt"
check "signing-certificate-v2 attribute present" grep -q "id-smime-aa-signingCertificateV2" "$W/print.txt"
check "signing-time attribute present" grep -q "signingTime" "$W/print.txt"
check "content-type attribute present" grep -q "contentType" "$W/print.txt"
openssl cms -cmsout -print -inform DER -in "$W/rsa-sha512-detached.p7s" >"$W/print2.txt" 2>&1
check "sha512WithRSAEncryption" grep -q "sha512WithRSAEncryption" "$W/print2.txt"
check "detached: no eContent" grep -q "eContent: <ABSENT>" "$W/print2.txt"

# JSON report fields of a good signature
verify_json "$W/good.json" --trust "$P/root.pem" "$W/rsa-sha256-attached.p7s"
check "good: exit 0" test "$rc" -eq 0
check "good: JSON fields" json "$W/good.json" 'r["indication"]=="TOTAL_PASSED" and r["signatures"][0]["format"]=="CAdES" and r["signatures"][0]["level"]=="B-B" and "Test Signer RSA" in r["signatures"][0]["signer"] and r["signatures"][0]["digest_algorithm"]=="SHA-256" and r["signatures"][0]["signature_algorithm"]=="RSA" and r["signatures"][0]["signing_time"] and r["signatures"][0]["best_signature_time"]'

# --- 2. other tools' CMS accepted ----------------------------------------------------------
openssl cms -sign -cades -binary -nodetach -in "$W/doc.txt" -signer "$P/signer-rsa.pem" \
    -inkey "$P/signer-rsa.key" -certfile "$P/chain.pem" -outform DER -out "$W/ossl-att.p7m"
verify_json "$W/ossl-att.json" --trust "$P/root.pem" "$W/ossl-att.p7m"
check "openssl attached: exit 0" test "$rc" -eq 0
check "openssl attached: B-B TOTAL_PASSED" json "$W/ossl-att.json" 'r["signatures"][0]["indication"]=="TOTAL_PASSED" and r["signatures"][0]["level"]=="B-B"'
openssl cms -sign -cades -binary -in "$W/doc.txt" -signer "$P/signer-ec.pem" -inkey "$P/signer-ec.key" \
    -certfile "$P/chain.pem" -outform DER -out "$W/ossl-det.p7s"
verify_json "$W/ossl-det.json" --trust "$P/root.pem" --detached-content "$W/doc.txt" "$W/ossl-det.p7s"
check "openssl detached: exit 0" test "$rc" -eq 0
# PEM and BER (indefinite length, -stream) from openssl
openssl cms -sign -cades -binary -nodetach -in "$W/doc.txt" -signer "$P/signer-rsa.pem" \
    -inkey "$P/signer-rsa.key" -certfile "$P/chain.pem" -outform PEM -out "$W/ossl.pem"
"$LTSIG" verify --trust "$P/root.pem" "$W/ossl.pem" >/dev/null 2>&1
check "openssl PEM: exit 0" test $? -eq 0
openssl cms -sign -cades -binary -nodetach -stream -in "$W/doc.txt" -signer "$P/signer-rsa.pem" \
    -inkey "$P/signer-rsa.key" -certfile "$P/chain.pem" -outform DER -out "$W/ossl-ber.p7m"
"$LTSIG" verify --trust "$P/root.pem" "$W/ossl-ber.p7m" >/dev/null 2>&1
check "openssl BER (indefinite lengths): exit 0" test $? -eq 0
# detached signature without --detached-content: INDETERMINATE SIGNED_DATA_NOT_FOUND
verify_json "$W/nodata.json" --trust "$P/root.pem" "$W/ossl-det.p7s"
check "no detached content: exit 2" test "$rc" -eq 2
check "no detached content: SIGNED_DATA_NOT_FOUND" json "$W/nodata.json" 'r["signatures"][0]["subindication"]=="SIGNED_DATA_NOT_FOUND"'

# plain CMS (no ESS signing-certificate attribute): INDETERMINATE NO_SIGNING_CERTIFICATE_FOUND
openssl cms -sign -binary -nodetach -in "$W/doc.txt" -signer "$P/signer-rsa.pem" \
    -inkey "$P/signer-rsa.key" -certfile "$P/chain.pem" -outform DER -out "$W/plain.p7m"
verify_json "$W/plain.json" --trust "$P/root.pem" "$W/plain.p7m"
check "plain CMS: exit 2" test "$rc" -eq 2
check "plain CMS: level CMS, NO_SIGNING_CERTIFICATE_FOUND" json "$W/plain.json" 'r["signatures"][0]["level"]=="CMS" and r["signatures"][0]["subindication"]=="NO_SIGNING_CERTIFICATE_FOUND"'
# no signed attributes at all: not CAdES, FORMAT_FAILURE
openssl cms -sign -binary -nodetach -noattr -in "$W/doc.txt" -signer "$P/signer-rsa.pem" \
    -inkey "$P/signer-rsa.key" -certfile "$P/chain.pem" -outform DER -out "$W/noattr.p7m"
verify_json "$W/noattr.json" --trust "$P/root.pem" "$W/noattr.p7m"
check "no signed attributes: exit 1" test "$rc" -eq 1
check "no signed attributes: FORMAT_FAILURE" json "$W/noattr.json" 'r["signatures"][0]["subindication"]=="FORMAT_FAILURE"'
# two signers (openssl cms -resign): both reported
openssl cms -resign -binary -inform DER -in "$W/ossl-att.p7m" -signer "$P/signer-ec.pem" \
    -inkey "$P/signer-ec.key" -outform DER -out "$W/two.p7m" 2>/dev/null
verify_json "$W/two.json" --trust "$P/root.pem" "$W/two.p7m"
check "two signers: both validated" json "$W/two.json" 'len(r["signatures"])==2 and sorted(s["level"] for s in r["signatures"])==["B-B","CMS"] and any(s["indication"]=="TOTAL_PASSED" for s in r["signatures"])'

# --- 3. tampering -----------------------------------------------------------------------------
python3 - "$W/ossl-att.p7m" "$W/t-content.p7m" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
i = b.index(b"quick")
open(sys.argv[2], "wb").write(b[:i] + b"quicK" + b[i + 5:])
PY
verify_json "$W/t1.json" --trust "$P/root.pem" "$W/t-content.p7m"
check "tampered attached content: exit 1" test "$rc" -eq 1
check "tampered attached content: HASH_FAILURE" json "$W/t1.json" 'r["indication"]=="TOTAL_FAILED" and r["signatures"][0]["subindication"]=="HASH_FAILURE"'

cp "$W/doc.txt" "$W/doc-t.txt"
flip "$W/doc-t.txt" 4
verify_json "$W/t2.json" --trust "$P/root.pem" --detached-content "$W/doc-t.txt" "$W/ossl-det.p7s"
check "tampered detached content: exit 1" test "$rc" -eq 1
check "tampered detached content: HASH_FAILURE" json "$W/t2.json" 'r["indication"]=="TOTAL_FAILED" and r["signatures"][0]["subindication"]=="HASH_FAILURE"'
sign "$W/ours-det.p7s" "$W/doc.txt" --signer "file:$P/signer-rsa.p12" --passin pass:test1234 --detached
verify_json "$W/t2b.json" --trust "$P/root.pem" --detached-content "$W/doc-t.txt" "$W/ours-det.p7s"
check "ours, tampered detached content: HASH_FAILURE" json "$W/t2b.json" 'r["signatures"][0]["subindication"]=="HASH_FAILURE"'

# a signed attribute: one digit of the signing time
sign "$W/ours.p7m" "$W/doc.txt" --signer "file:$P/signer-rsa.p12" --passin pass:test1234
# (the last UTCTime of the file: the signing-time, after the certificates)
off=$(openssl asn1parse -inform DER -in "$W/ours.p7m" | awk -F: '/prim: UTCTIME/ { split($0,a,/[ =]+/); for(i in a) if (a[i]=="hl") hl=a[i+1]; o=$1+hl+5 } END { print o }')
if [ -n "$off" ]; then
    cp "$W/ours.p7m" "$W/t-attr.p7m"
    flip "$W/t-attr.p7m" "$off"
    verify_json "$W/t3.json" --trust "$P/root.pem" "$W/t-attr.p7m"
    check "tampered signed attribute: exit 1" test "$rc" -eq 1
    check "tampered signed attribute: SIG_CRYPTO_FAILURE" json "$W/t3.json" 'r["indication"]=="TOTAL_FAILED" and r["signatures"][0]["subindication"] in ("SIG_CRYPTO_FAILURE","HASH_FAILURE")'
    check "openssl also rejects the tampered attribute" bash -c "! openssl cms -verify -binary -inform DER -in '$W/t-attr.p7m' -CAfile '$P/root.pem' -purpose any -out /dev/null"
else
    ko "no UTCTIME found in our signature"
fi

# the signature value
for f in ours.p7m ossl-att.p7m; do
    off=$(sigval_off "$W/$f")
    if [ -z "$off" ]; then ko "no signature value found in $f"; continue; fi
    cp "$W/$f" "$W/t-sig-$f"
    flip "$W/t-sig-$f" $((off + 10))
    verify_json "$W/t4.json" --trust "$P/root.pem" "$W/t-sig-$f"
    check "tampered signature value ($f): exit 1" test "$rc" -eq 1
    check "tampered signature value ($f): SIG_CRYPTO_FAILURE" json "$W/t4.json" 'r["indication"]=="TOTAL_FAILED" and r["signatures"][0]["subindication"]=="SIG_CRYPTO_FAILURE"'
done
# the ECDSA signature value (DER inside the OCTET STRING): last byte of s
sign "$W/ours-ec.p7m" "$W/doc.txt" --signer "file:$P/signer-ec.p12" --passin pass:test1234
ecoff=$(openssl asn1parse -inform DER -in "$W/ours-ec.p7m" | awk -F: '/prim: OCTET STRING/ { split($0,a,/[ =]+/); for(i in a){ if(a[i]=="hl") hl=a[i+1]; if(a[i]=="l") l=a[i+1] } if (l>=64 && l<=80) { o=$1+hl+l-1 } } END { print o }')
if [ -n "$ecoff" ]; then
    flip "$W/ours-ec.p7m" "$ecoff"
    verify_json "$W/t5.json" --trust "$P/root.pem" "$W/ours-ec.p7m"
    check "tampered ECDSA value: exit 1 SIG_CRYPTO_FAILURE" json "$W/t5.json" 'r["signatures"][0]["subindication"]=="SIG_CRYPTO_FAILURE"'
else
    ko "no ECDSA value found"
fi

# --- 4. trust ------------------------------------------------------------------------------------
verify_json "$W/u.json" --trust "$P/untrusted-root.pem" "$W/ours.p7m"
check "other root: exit 2" test "$rc" -eq 2
check "other root: INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND" json "$W/u.json" 'r["indication"]=="INDETERMINATE" and r["signatures"][0]["subindication"]=="NO_CERTIFICATE_CHAIN_FOUND"'
sign "$W/untr.p7m" "$W/doc.txt" --signer "file:$P/untrusted-signer.p12" --passin pass:test1234
verify_json "$W/u2.json" --trust "$P/root.pem" "$W/untr.p7m"
check "untrusted signer: exit 2 NO_CERTIFICATE_CHAIN_FOUND" json "$W/u2.json" 'r["indication"]=="INDETERMINATE" and r["signatures"][0]["subindication"]=="NO_CERTIFICATE_CHAIN_FOUND"'
check "untrusted signer: exit code 2" test "$rc" -eq 2
verify_json "$W/u3.json" "$W/ours.p7m"
check "no trust anchors: exit 2" test "$rc" -eq 2
mkdir "$W/trustdir" && cp "$P/root.pem" "$W/trustdir/"
"$LTSIG" verify --trust "$W/trustdir" "$W/ours.p7m" >/dev/null 2>&1
check "trust folder: exit 0" test $? -eq 0
if [ -f "$P/signer-expired.p12" ]; then
    # the expired signer cannot sign any more through the strict backend?  sign with openssl
    openssl cms -sign -cades -binary -nodetach -in "$W/doc.txt" -signer "$P/signer-expired.pem" \
        -inkey "$P/signer-expired.key" -certfile "$P/chain.pem" -outform DER -out "$W/exp.p7m" 2>/dev/null
    verify_json "$W/exp.json" --trust "$P/root.pem" "$W/exp.p7m"
    check "expired signer: INDETERMINATE OUT_OF_BOUNDS_NO_POE" json "$W/exp.json" 'r["indication"]=="INDETERMINATE" and r["signatures"][0]["subindication"]=="OUT_OF_BOUNDS_NO_POE"'
fi

# --- 5. bad input -------------------------------------------------------------------------------
mkdir "$W/out"
bad_verify() { # DESCRIPTION FILE
    "$LTSIG" verify --trust "$P/root.pem" "$2" >"$W/bad.out" 2>"$W/bad.err"
    local r=$?
    check "$1: exit >= 3" test "$r" -ge 3
    check "$1: one-line error" test "$(wc -l <"$W/bad.err")" -eq 1
    check "$1: nothing on stdout" test ! -s "$W/bad.out"
}
bad_verify "verify missing file" "$W/nope.p7s"
: >"$W/empty.p7s"
bad_verify "verify empty file" "$W/empty.p7s"
head -c 200 "$W/ours.p7m" >"$W/trunc.p7s"
bad_verify "verify truncated CMS" "$W/trunc.p7s"
{ printf '\x30\x82'; head -c 500 /dev/urandom; } >"$W/random30.p7s"
bad_verify "verify random bytes starting 0x30" "$W/random30.p7s"
{ printf '\x07'; head -c 500 /dev/urandom; } >"$W/random.p7s"
bad_verify "verify random binary" "$W/random.p7s"
cat "$W/ours.p7m" "$W/doc.txt" >"$W/trailing.p7s"
bad_verify "verify CMS with trailing bytes" "$W/trailing.p7s"
check "error names the file" grep -q "trailing.p7s" "$W/bad.err"

bad_sign() { # DESCRIPTION ARGS...
    local d=$1; shift
    local before
    before=$(ls -A "$W/out" | sort | tr '\n' ' ')
    "$LTSIG" sign --format cades --level B-B "$@" -o "$W/out/sig.p7s" >"$W/bad.out" 2>"$W/bad.err"
    local r=$?
    check "$d: exit >= 3" test "$r" -ge 3
    check "$d: one-line error" test "$(wc -l <"$W/bad.err")" -eq 1
    check "$d: output folder unchanged" test "$(ls -A "$W/out" | sort | tr '\n' ' ')" = "$before"
    check "$d: password never shown" bash -c "! grep -q SECRETWORD '$W/bad.out' '$W/bad.err'"
}
bad_sign "wrong PKCS#12 password" --signer "file:$P/signer-rsa.p12" --passin pass:SECRETWORD "$W/doc.txt"
bad_sign "unknown signer scheme" --signer "nosuch:$P/signer-rsa.p12" --passin pass:SECRETWORD "$W/doc.txt"
bad_sign "missing input" --signer "file:$P/signer-rsa.p12" --passin pass:test1234 "$W/nope.txt"
check "missing input: the error names the file" grep -q "nope.txt" "$W/bad.err"
bad_sign "missing key file" --signer "file:$W/nope.p12" --passin pass:SECRETWORD "$W/doc.txt"
bad_sign "B-LTA with an unreachable TSA" --signer "file:$P/signer-rsa.p12" --passin pass:test1234 --tsa http://127.0.0.1:1/ --level B-LTA "$W/doc.txt"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
