#!/usr/bin/env bash
# test_vdata_online.sh — the validation data sources end to end, against real services of
# our own (a PKI made on ports 18400-18402, its python http.server and `openssl ocsp`,
# started here and stopped by a trap):
#   1. the online suites of test_vdata (OCSP, CRL, AIA, collect, faults), saving bundles;
#   2. the saved OCSP responses, CRLs and chains checked by openssl (independent verifier);
#   3. the cache: the HTTP server's request log shows each CRL and caIssuers fetched once
#      per cache, however many leaves and threads asked;
#   4. the services stopped (and proven down), the offline source answers from the saved
#      folder alone, byte for byte the same as the online collector did.
# Env: LTS_BUILD (test_vdata is $LTS_BUILD/tests/test_vdata), LTS_SRC. LTS_TEST_PKI is not
# used: this test makes its own PKI so the URLs in the certificates name our ports.
set -u

: "${LTS_BUILD:?}" "${LTS_SRC:?}"
BIN=$LTS_BUILD/tests/test_vdata
HTTP_PORT=${LTS_VDATA_HTTP_PORT:-18400}
OCSP_PORT=${LTS_VDATA_OCSP_PORT:-18401}
TSA_PORT=${LTS_VDATA_TSA_PORT:-18402}

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
check() { # DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$d"; else bad "$d"; fi
}

T=$(mktemp -d "${TMPDIR:-/tmp}/lts-vdata-it.XXXXXX")
PKI=$T/pki
cleanup() {
    LTS_TEST_HTTP_PORT=$HTTP_PORT LTS_TEST_OCSP_PORT=$OCSP_PORT LTS_TEST_TSA_PORT=$TSA_PORT \
        bash "$LTS_SRC/tests/integration/services.sh" stop "$PKI" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT

if [[ ! -x "$BIN" ]]; then
    echo "test_vdata not built at $BIN"
    echo "0 passed, 1 failed"
    exit 1
fi

export LTS_TEST_HTTP_PORT=$HTTP_PORT LTS_TEST_OCSP_PORT=$OCSP_PORT LTS_TEST_TSA_PORT=$TSA_PORT
unset LTS_TSA_SERVE_CMD
if ! bash "$LTS_SRC/testdata/pki/make-pki.sh" "$PKI" >"$T/make-pki.log" 2>&1; then
    cat "$T/make-pki.log"
    echo "0 passed, 1 failed"
    exit 1
fi
if ! bash "$LTS_SRC/tests/integration/services.sh" start "$PKI" >"$T/services.log" 2>&1; then
    cat "$T/services.log"
    echo "0 passed, 1 failed"
    exit 1
fi
ok "services up on 127.0.0.1:$HTTP_PORT (http) and :$OCSP_PORT (ocsp)"
export LTS_TEST_PKI=$PKI

# --- 1. online suites ---------------------------------------------------------------------
SAVED=$T/saved
if LTS_VDATA_PHASE=online LTS_VDATA_SAVE_DIR=$SAVED "$BIN" >"$T/online.log" 2>&1; then
    ok "test_vdata online suites ($(grep -c 'passed$' "$T/online.log") tests passed)"
else
    bad "test_vdata online suites:"
    grep -B2 -A6 FAILED "$T/online.log" | head -40
fi

# --- 2. independent checks of what was saved ------------------------------------------------
for leaf in signer-rsa tsa signer-revoked; do
    d=$SAVED/$leaf.pem
    n_ocsp=$(ls "$d"/*.ocsp 2>/dev/null | wc -l)
    n_crl=$(ls "$d"/*.crl 2>/dev/null | wc -l)
    n_crt=$(ls "$d"/*.crt 2>/dev/null | wc -l)
    if [[ $n_ocsp -eq 1 && $n_crl -eq 2 && $n_crt -eq 4 ]]; then
        ok "$leaf: 4 certificates, 1 OCSP response, 2 CRLs saved"
    else
        bad "$leaf: saved $n_crt certificates, $n_ocsp OCSP responses, $n_crl CRLs"
    fi
    want=good
    [[ $leaf == signer-revoked ]] && want=revoked
    for f in "$d"/*.ocsp; do
        out=$(openssl ocsp -respin "$f" -issuer "$PKI/inter.pem" -cert "$PKI/$leaf.pem" \
            -CAfile "$PKI/root.pem" -verify_other "$PKI/inter.pem" -no_nonce 2>&1)
        if grep -q "Response verify OK" <<<"$out" && grep -q ": $want" <<<"$out"; then
            ok "$leaf: openssl ocsp verifies the saved response and reads '$want'"
        else
            bad "$leaf: openssl ocsp on the saved response: $out"
        fi
        if [[ $want == revoked ]]; then
            check "$leaf: openssl reads the reason keyCompromise" grep -q "Reason: keyCompromise" <<<"$out"
        fi
    done
    for f in "$d"/*.crl; do
        check "$leaf: openssl crl verifies $(basename "$f")" \
            bash -c "openssl crl -inform DER -in '$f' -CAfile '$PKI/chain.pem' -noout 2>&1 | grep -q 'verify OK'"
    done
    # the leaf certificate chains to the root with the saved certificates only
    chain=$T/$leaf-untrusted.pem
    : >"$chain"
    for c in "$d"/*.crt; do openssl x509 -inform DER -in "$c" >>"$chain" 2>/dev/null; done
    check "$leaf: openssl verify builds the chain from the saved certificates" \
        openssl verify -CAfile "$PKI/root.pem" -untrusted "$chain" "$PKI/$leaf.pem"
done
# signer-revoked is on the saved inter CRL
crl=$(for f in "$SAVED"/signer-revoked.pem/*.crl; do
    openssl crl -inform DER -in "$f" -noout -issuer 2>/dev/null | grep -q Intermediate && echo "$f"; done)
serial=$(openssl x509 -in "$PKI/signer-revoked.pem" -noout -serial | cut -d= -f2)
check "the saved inter CRL lists signer-revoked (serial $serial)" \
    bash -c "openssl crl -inform DER -in '$crl' -noout -text | grep -qi 'Serial Number: $serial'"

# --- 3. the cache, seen from the HTTP server's log ----------------------------------------
log=$PKI/run/http.log
before_crl=$(grep -c 'GET /inter.crl ' "$log")
before_root=$(grep -c 'GET /root.crl ' "$log")
before_aia=$(grep -c 'GET /inter.der ' "$log")
if LTS_VDATA_PHASE=cache "$BIN" >"$T/cache.log" 2>&1; then
    ok "test_vdata cache suite"
else
    bad "test_vdata cache suite:"
    grep -B2 -A6 FAILED "$T/cache.log" | head -30
fi
sleep 0.3
d_crl=$(($(grep -c 'GET /inter.crl ' "$log") - before_crl))
d_root=$(($(grep -c 'GET /root.crl ' "$log") - before_root))
d_aia=$(($(grep -c 'GET /inter.der ' "$log") - before_aia))
# two caches (one sequential batch of 6 leaves, one of 12 threads): once each per cache
if [[ $d_crl -eq 2 && $d_root -eq 2 && $d_aia -eq 2 ]]; then
    ok "cache: inter.crl, root.crl and inter.der fetched once per cache (18 collects)"
else
    bad "cache: HTTP GETs inter.crl=$d_crl root.crl=$d_root inter.der=$d_aia (want 2 each)"
fi

# --- 4. offline, with the services down ------------------------------------------------------
bash "$LTS_SRC/tests/integration/services.sh" stop "$PKI" >/dev/null 2>&1
if curl -s -m 2 -o /dev/null "http://127.0.0.1:$HTTP_PORT/inter.crl"; then
    bad "the HTTP server still answers after stop"
else
    ok "services stopped: http://127.0.0.1:$HTTP_PORT no longer answers"
fi
if LTS_VDATA_PHASE=offline LTS_VDATA_DIR=$SAVED LTS_VDATA_RESAVE_DIR=$T/resaved "$BIN" \
    >"$T/offline.log" 2>&1; then
    ok "test_vdata offline suite with the services down"
else
    bad "test_vdata offline suite:"
    grep -B2 -A6 FAILED "$T/offline.log" | head -30
fi
for leaf in signer-rsa tsa signer-revoked; do
    check "$leaf: the offline source gives the same bytes as the online collector" \
        diff -r "$SAVED/$leaf.pem" "$T/resaved/$leaf.pem"
done
# and the online collector now fails with a clear error, naming the URL
if LTS_VDATA_PHASE=online "$BIN" >"$T/down.log" 2>&1; then
    bad "the online suites pass with the services down"
else
    check "with the services down the errors name the responder" \
        grep -q "OCSP responder http://127.0.0.1:$OCSP_PORT" "$T/down.log"
fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
