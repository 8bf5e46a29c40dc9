#!/bin/bash
# ltsig sign with a key on a SoftHSMv2 token (pkcs11: signer, issue 6), checked by
# `openssl cms -verify`; wrong PIN / unknown object / malformed URI rejected cleanly with
# no PIN in the output and no file written.
# SKIPS (exit 0) only when CAdES signing itself reports "not built yet".
# Env: LTSIG, LTS_TEST_PKI (make-pki.sh output), LTS_SRC; optional TMPDIR.
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
P=$LTS_TEST_PKI
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-p11-sign.XXXXXX")
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { # DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@" >"$W/check.out" 2>&1; then ok; else ko "$d"; sed 's/^/    /' "$W/check.out" >&2; fi
}

if ! bash "$LTS_SRC/tests/support/softhsm.sh" create "$W/tok" "$P" >"$W/softhsm.log" 2>&1; then
    cat "$W/softhsm.log" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
# shellcheck source=/dev/null
. "$W/tok/env.sh"
PIN=$(cat "$LTS_P11_PIN_FILE")
MOD=$LTS_P11_MODULE
uri() { echo "pkcs11:token=$LTS_P11_TOKEN;object=$1?module-path=$MOD${2:-}"; }
sign() { # OUT IN SIGNER-URI ARGS...
    local out=$1 in=$2 u=$3; shift 3
    "$LTSIG" sign --format cades --level B-B --signer "$u" "$@" -o "$out" "$in"
}
cms_verify() { # P7S [CONTENT]
    if [ $# -eq 2 ]; then
        openssl cms -verify -binary -inform DER -in "$1" -content "$2" -CAfile "$P/root.pem" \
            -purpose any -out /dev/null
    else
        openssl cms -verify -binary -inform DER -in "$1" -CAfile "$P/root.pem" -purpose any \
            -out "$W/extracted"
    fi
}

printf 'A contract signed with a key that never leaves the token.\n' >"$W/doc.txt"

# --- skip only if CAdES signing is not there yet -------------------------------------------
if ! sign "$W/probe.p7s" "$W/doc.txt" "$(uri signer-rsa)" --passin "file:$LTS_P11_PIN_FILE" \
    2>"$W/probe.err"; then
    if grep -q "not built yet" "$W/probe.err" && ! grep -qi "pkcs11" "$W/probe.err"; then
        echo "SKIP: CAdES signing is not built yet: $(head -1 "$W/probe.err")"
        echo "0 passed, 0 failed, 1 skipped"
        exit 0
    fi
    ko "sign with pkcs11 signer-rsa: $(cat "$W/probe.err")"
else
    ok
    check "openssl cms -verify (rsa, attached)" cms_verify "$W/probe.p7s"
    check "content round trip" cmp "$W/extracted" "$W/doc.txt"
fi

# --- each key on the token, attached and detached ------------------------------------------
for key in signer-rsa signer-ec signer-ec384 gen-ec; do
    for h in sha256 sha384; do
        out="$W/$key-$h.p7s"
        if sign "$out" "$W/doc.txt" "$(uri "$key")" --passin "file:$LTS_P11_PIN_FILE" \
            --hash "$h" --detached 2>"$W/sign.err"; then
            ok
            check "openssl cms -verify $key $h detached" cms_verify "$out" "$W/doc.txt"
            # the certificates in the CMS are the token's ones
            openssl pkcs7 -inform DER -print_certs -in "$out" >"$W/certs" 2>&1
            if [ "$key" = gen-ec ]; then
                check "signer cert of $key" grep -q "subject=.*HSM-generated" "$W/certs"
            fi
        else
            ko "sign $key $h: $(cat "$W/sign.err")"
        fi
    done
done

# id= selects the key without a label; pin-source in the URI instead of --passin
if sign "$W/byid.p7s" "$W/doc.txt" \
    "pkcs11:token=$LTS_P11_TOKEN;id=%02;type=private?module-path=$MOD&pin-source=file:$LTS_P11_PIN_FILE" \
    2>"$W/sign.err"; then
    ok
    check "openssl cms -verify (id=%02, pin-source)" cms_verify "$W/byid.p7s"
else
    ko "sign by id with pin-source: $(cat "$W/sign.err")"
fi

# the module from LTS_PKCS11_MODULE when the URI has no module-path; the PIN from env:
if LTS_PKCS11_MODULE=$MOD LTS_TEST_P11_PIN=$PIN sign "$W/env.p7s" "$W/doc.txt" \
    "pkcs11:token=$LTS_P11_TOKEN;object=signer-ec" --passin "env:LTS_TEST_P11_PIN" \
    2>"$W/sign.err"; then
    ok
    check "openssl cms -verify (module from env)" cms_verify "$W/env.p7s"
else
    ko "sign with LTS_PKCS11_MODULE: $(cat "$W/sign.err")"
fi

# --- failures: clear message, non-zero exit, nothing written, no PIN in the output --------
expect_fail() { # DESCRIPTION NEEDLE SIGNER-URI PASSIN
    local d=$1 needle=$2 u=$3 pin=$4 out="$W/fail.p7s" rc
    rm -f "$out"
    if [ -n "$pin" ]; then
        sign "$out" "$W/doc.txt" "$u" --passin "$pin" >"$W/fail.out" 2>&1
    else
        sign "$out" "$W/doc.txt" "$u" >"$W/fail.out" 2>&1
    fi
    rc=$?
    if [ $rc -eq 0 ]; then ko "$d: exit 0"; return; fi
    if [ -e "$out" ]; then ko "$d: $out was written"; return; fi
    if ! grep -q -- "$needle" "$W/fail.out"; then ko "$d: no '$needle' in: $(cat "$W/fail.out")"; return; fi
    if grep -q -- "$PIN" "$W/fail.out"; then ko "$d: the PIN appears in the output"; return; fi
    if grep -q -- "Wr0ngPIN-4242" "$W/fail.out"; then ko "$d: the wrong PIN appears in the output"; return; fi
    ok
}
expect_fail "wrong PIN" "PIN was refused" "$(uri signer-rsa)" "pass:Wr0ngPIN-4242"
expect_fail "no PIN" "needs a PIN" "$(uri signer-rsa)" ""
expect_fail "unknown object" "no-such-key" "$(uri no-such-key)" "file:$LTS_P11_PIN_FILE"
expect_fail "unknown token" "no-such-token" \
    "pkcs11:token=no-such-token;object=signer-rsa?module-path=$MOD" "file:$LTS_P11_PIN_FILE"
expect_fail "malformed URI" "percent-encoded" \
    "pkcs11:token=$LTS_P11_TOKEN;object=signer rsa?module-path=$MOD" "file:$LTS_P11_PIN_FILE"
expect_fail "pin-value refused" "pin-value is refused" "$(uri signer-rsa "&pin-value=$PIN")" ""
expect_fail "missing module" "/nonexistent/p11.so" \
    "pkcs11:token=$LTS_P11_TOKEN;object=signer-rsa?module-path=/nonexistent/p11.so" \
    "file:$LTS_P11_PIN_FILE"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
