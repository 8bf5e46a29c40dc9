#!/bin/bash
# ltsig verify --policy FILE: the validation policy (docs/validation.md). Checks that the
# built-in TS 119 312 sunsets refuse a SHA-1 signature and an RSA-1024 signer (made here with
# `openssl cms -sign -cades`) with CRYPTO_CONSTRAINTS_FAILURE_NO_POE, that a policy moving the
# sunsets accepts them, that required_level refuses a lower level, that the policy's trust
# entries replace --trust (one file, or several merged), and that a bad policy file is refused
# with its file and line.
# Env: LTSIG, LTS_TEST_PKI; optional TMPDIR.
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}"
P=$LTS_TEST_PKI
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-policy.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
ko() { fail=$((fail + 1)); echo "FAIL - $1" >&2; [ -z "${2:-}" ] || printf '       %s\n' "$2" >&2; }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else ko "$1" "got '$2', want '$3'"; fi; }
# verdict FILE [verify options...]: "EXIT INDICATION SUBINDICATION"
verdict() {
    local f=$1; shift
    "$LTSIG" verify --report json "$@" "$f" >v.json 2>v.err
    local rc=$?
    echo "$rc $(python3 -c 'import json,sys; s=json.load(open("v.json"))["signatures"][0]; print(s["indication"], s["subindication"])' 2>/dev/null)"
}
has_msg() { python3 -c 'import json,sys; s=json.load(open("v.json"))["signatures"][0]; sys.exit(0 if any(sys.argv[1] in m for m in s["messages"]) else 1)' "$1"; }

echo "policy test $$" >doc.txt
"$LTSIG" sign --format cades --level B-B --signer "file:$P/signer-rsa.p12" --passin pass:test1234 \
    -o bb.p7s doc.txt || ko "sign B-B"

# --- SHA-1: refused by the default sunset (2016-01-01), accepted when the policy moves it ---
openssl cms -sign -cades -md sha1 -binary -nodetach -outform DER -signer "$P/signer-rsa.pem" \
    -inkey "$P/signer-rsa.key" -certfile "$P/inter.pem" -in doc.txt -out sha1.p7s 2>/dev/null
expect "SHA-1 signature, default policy" "$(verdict sha1.p7s --trust "$P/root.pem")" \
    "2 INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
has_msg "SHA-1 is not reliable after its sunset 2016-01-01" && ok "SHA-1: the report says why" || ko "SHA-1 message"
"$LTSIG" verify --trust "$P/root.pem" --report xml sha1.p7s >sha1.xml 2>/dev/null
expect "SHA-1: the XML report says the algorithm is not secure" \
    "$(xmllint --xpath "concat(//*[local-name()='CryptoInformation']/*[local-name()='Algorithm'], ' ', //*[local-name()='CryptoInformation']/*[local-name()='SecureAlgorithm'])" sha1.xml 2>/dev/null)" \
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1 false"
printf 'sunset.sha1 = 2100-01-01   # a lenient archive policy\n' >lenient.conf
expect "SHA-1 signature, sunset moved to 2100" \
    "$(verdict sha1.p7s --trust "$P/root.pem" --policy lenient.conf)" "0 TOTAL_PASSED None"

# --- RSA-1024 signer: refused after sunset.rsa1024 (2019-01-01) --------------------------
openssl req -new -newkey rsa:1024 -nodes -keyout k1024.key -subj "/O=ltsig test/CN=Legacy 1024" \
    -out r.csr 2>/dev/null
openssl x509 -req -in r.csr -CA "$P/inter.pem" -CAkey "$P/inter.key" -set_serial 0x7a11 \
    -days 30 -out c1024.pem 2>/dev/null
openssl cms -sign -cades -md sha256 -binary -nodetach -outform DER -signer c1024.pem \
    -inkey k1024.key -certfile "$P/inter.pem" -in doc.txt -out r1024.p7s 2>/dev/null
expect "RSA-1024 signer, default policy" "$(verdict r1024.p7s --trust "$P/root.pem")" \
    "2 INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
expect "RSA-1024: key size in the report" \
    "$(python3 -c 'import json; print(json.load(open("v.json"))["signatures"][0]["key_bits"])')" 1024
printf 'sunset.rsa1024 = 2100-01-01\n' >rsa.conf
expect "RSA-1024 signer, sunset moved" "$(verdict r1024.p7s --trust "$P/root.pem" --policy rsa.conf)" \
    "0 TOTAL_PASSED None"
printf 'legacy_rsa_bits = 2048\n' >strict.conf
expect "RSA-1024 signer, no legacy sizes at all" \
    "$(verdict r1024.p7s --trust "$P/root.pem" --policy strict.conf)" \
    "2 INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE"
expect "RSA-2048 signer, default policy" "$(verdict bb.p7s --trust "$P/root.pem")" "0 TOTAL_PASSED None"
printf 'sunset.sha256 = 2020-01-01\n' >sha256.conf
expect "SHA-256 past a (hypothetical) sunset" "$(verdict bb.p7s --trust "$P/root.pem" --policy sha256.conf)" \
    "2 INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE_NO_POE"

# --- required_level ------------------------------------------------------------------------
printf 'required_level = B-LT\n' >lt.conf
expect "B-B under required_level B-LT" "$(verdict bb.p7s --trust "$P/root.pem" --policy lt.conf)" \
    "2 INDETERMINATE SIG_CONSTRAINTS_FAILURE"
has_msg "level B-B is below the required B-LT" && ok "required_level: the report says why" || ko "level message"
printf 'required_level = B-B\n' >b.conf
expect "B-B under required_level B-B" "$(verdict bb.p7s --trust "$P/root.pem" --policy b.conf)" "0 TOTAL_PASSED None"

# --- trust from the policy -----------------------------------------------------------------
printf 'trust = %s\n' "$P/root.pem" >trust1.conf
expect "policy trust (one file), no --trust" "$(verdict bb.p7s --policy trust1.conf)" "0 TOTAL_PASSED None"
mkdir anchors && cp "$P/root.pem" anchors/ && echo "not a certificate" >anchors/notes.txt
printf 'trust = %s\ntrust = %s/anchors\n' "$P/untrusted-root.pem" "$W" >trust2.conf
expect "policy trust (file + folder merged)" "$(verdict bb.p7s --policy trust2.conf)" "0 TOTAL_PASSED None"
if ls "${TMPDIR:-/tmp}"/ltsig-trust.* >/dev/null 2>&1; then ko "the temporary trust bundle was removed"; else ok "the temporary trust bundle was removed"; fi
printf 'trust = %s\n' "$P/untrusted-root.pem" >trust3.conf
expect "policy trust without the signer's root" "$(verdict bb.p7s --policy trust3.conf)" \
    "2 INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND"
expect "--trust wins over the policy's trust" "$(verdict bb.p7s --policy trust3.conf --trust "$P/root.pem")" \
    "0 TOTAL_PASSED None"
printf 'allow_online = no\ntrust = %s\n' "$P/root.pem" >offline.conf
expect "allow_online = no" "$(verdict bb.p7s --policy offline.conf)" "0 TOTAL_PASSED None"

# --- bad policies ----------------------------------------------------------------------------
printf '# ok\nmin_rsa_bits = 2048\nfrobnicate = yes\n' >bad.conf
"$LTSIG" verify --trust "$P/root.pem" --policy bad.conf bb.p7s >/dev/null 2>e.txt
rc=$?
expect "unknown key: usage error (3)" "$rc" 3
grep -q "bad.conf:3: unknown key 'frobnicate'" e.txt && ok "unknown key: file and line named" || ko "unknown key message" "$(cat e.txt)"
printf 'sunset.sha1 = soon\n' >bad2.conf
"$LTSIG" verify --policy bad2.conf bb.p7s >/dev/null 2>e.txt
expect "bad date: usage error (3)" "$?" 3
grep -q "bad2.conf:1: sunset.sha1 takes a date" e.txt && ok "bad date: message" || ko "bad date message" "$(cat e.txt)"
printf 'trust = %s/missing.pem\ntrust = %s\n' "$W" "$P/root.pem" >bad3.conf
"$LTSIG" verify --policy bad3.conf bb.p7s >/dev/null 2>e.txt
rc=$?
if [ "$rc" -ge 3 ] && grep -q "missing.pem" e.txt; then ok "missing trust entry: error naming it"; else ko "missing trust entry" "rc=$rc $(cat e.txt)"; fi
"$LTSIG" verify --policy "$W/nope.conf" bb.p7s >/dev/null 2>e.txt
rc=$?
if [ "$rc" -ge 3 ] && grep -q "nope.conf" e.txt; then ok "missing policy file: error naming it"; else ko "missing policy file" "rc=$rc $(cat e.txt)"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
