#!/bin/bash
# ltsigd under valgrind: `ltsigd serve` runs under memcheck
# (--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite) through a short
# session — info, auth/login (and a wrong password), credentials/list, credentials/info,
# credentials/authorize, signatures/signHash (RSA and ECDSA, the value checked with
# openssl), a replayed SAD, a malformed body, an unknown method, auth/revoke — then
# SIGTERM; the test asserts that ltsigd exited 0 (not 99) and that valgrind reported no
# error and no definite leak. The admin commands that set it up (init, user add, key
# generate / csr / cert) run under valgrind too.
# Skipped (exit 0, "SKIP") when valgrind is missing or $LTS_BUILD is a sanitizer build
# (valgrind cannot run ASan binaries). Port 19450 (fixed; LTSIGD_TEST_PORT overrides it).
set -u
: "${LTS_TEST_PKI:?}" "${LTS_SRC:?}" "${LTS_BUILD:?}"
if grep -q "LTS_SANITIZE:BOOL=ON" "$LTS_BUILD/CMakeCache.txt" 2>/dev/null; then
    echo "SKIP - sanitizer build (valgrind cannot run ASan binaries)"
    echo "0 passed, 0 failed"
    exit 0
fi
if ! command -v valgrind >/dev/null; then
    echo "SKIP - valgrind is not installed"
    echo "0 passed, 0 failed"
    exit 0
fi
. "$LTS_SRC/tests/integration/ltsigd_common.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ltsigd-vg.XXXXXX")
SERVER_PID=
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

REAL_LTSIGD=$LTSIGD
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --num-callers=30)
# vg_cmd NAME ARGS...: one admin command under valgrind; its report in $WORK/NAME.vg
vg_cmd() {
    local name=$1
    shift
    "${VG[@]}" --log-file="$WORK/$name.vg" "$REAL_LTSIGD" "$@"
}
vg_clean() { [ -f "$WORK/$1.vg" ] && [ ! -s "$WORK/$1.vg" ]; }

T0=$SECONDS
make_env "$WORK" "${LTSIGD_TEST_PORT:-19450}" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
vg_cmd init init --config "$CONF" >/dev/null
rc=$?
check "ltsigd init under valgrind: exit 0 ($rc), no error, no definite leak" test "$rc" = 0
check "ltsigd init: valgrind report empty" vg_clean init
(umask 077 && echo 'vg-password-1' >"$WORK/vera.pw" && echo 8642-vera >"$WORK/vera.pin")
SEC=$(vg_cmd useradd user add --config "$CONF" --user vera --password-file "$WORK/vera.pw" |
    sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p')
check "ltsigd user add under valgrind: a TOTP secret" test -n "$SEC"
check "ltsigd user add: valgrind report empty" vg_clean useradd
CID=$(vg_cmd keygen key generate --config "$CONF" --user vera --algo rsa2048 --pin-file "$WORK/vera.pin")
vg_cmd csr key csr --config "$CONF" --credential "$CID" --subject "/CN=Vera Valgrind" -o "$WORK/$CID.csr"
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n' >"$WORK/ee.ext"
openssl x509 -req -in "$WORK/$CID.csr" -CA "$LTS_TEST_PKI/inter.pem" -CAkey "$LTS_TEST_PKI/inter.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 -extfile "$WORK/ee.ext" \
    -out "$WORK/$CID.pem" 2>/dev/null
cat "$WORK/$CID.pem" "$LTS_TEST_PKI/inter.pem" "$LTS_TEST_PKI/root.pem" >"$WORK/chain.pem"
vg_cmd cert key cert --config "$CONF" --credential "$CID" --chain "$WORK/chain.pem"
check "key generate, csr and cert under valgrind: a certified credential" \
    test ${#CID} = 32 -a -s "$WORK/$CID.pem"
check "key generate, csr, cert: valgrind reports empty" \
    bash -c "for n in keygen csr cert; do [ -f '$WORK/'\$n.vg ] && [ ! -s '$WORK/'\$n.vg ] || exit 1; done"
# a second user with an EC key, made without valgrind (only the service is under test here)
W_SEC=$(add_user walt 'vg-password-2')
W_CID=$(add_key walt ec-p256 8643-walt "/CN=Walt Valgrind")

# the service under valgrind: start_server runs $LTSIGD, so point it at a wrapper
cat >"$WORK/ltsigd-vg" <<EOF
#!/bin/bash
exec ${VG[*]} --log-file="$WORK/serve.vg" "$REAL_LTSIGD" "\$@"
EOF
chmod +x "$WORK/ltsigd-vg"
LTSIGD=$WORK/ltsigd-vg
# valgrind is slow to start: give start_server's 15 s a margin by waiting here too
for i in $(seq 1 3); do
    start_server "$CONF" "$WORK/serve.log" && break
    stop_server
done
check "ltsigd serve starts under valgrind" test -n "$SERVER_PID"
echo "# setup took $((SECONDS - T0)) s"
LTSIGD=$REAL_LTSIGD

SHA256=2.16.840.1.101.3.4.2.1
st=$(curl -s -o "$WORK/resp" -w '%{http_code}' "$URL/info")
check "info: 200" test "$st" = 200
st=$(curl -s -o /dev/null -w '%{http_code}' -X POST -u vera:wrong -d '{}' "$URL/auth/login")
check "login with a wrong password: 401" test "$st" = 401
TOK=$(login vera vg-password-1)
W_TOK=$(login walt vg-password-2)
check "login: a token" test ${#TOK} -eq 43 -a ${#W_TOK} -eq 43
st=$(echo '{"credentialInfo":true,"certInfo":true,"certificates":"chain"}' | api credentials/list - "$TOK")
check "credentials/list: vera's credential" \
    test "$st" = 200 -a "$(jq -r '.credentialIDs[0]' "$WORK/resp")" = "$CID"
st=$(echo "{\"credentialID\":\"$CID\",\"certInfo\":true}" | api credentials/info - "$TOK")
check "credentials/info: 200" test "$st" = 200
H1=$(b64hash "valgrind one")
H2=$(b64hash "valgrind two")
authz() { # authz TOKEN CID PIN SECRET HASHES_JSON N
    printf '{"credentialID":"%s","numSignatures":%s,"hashes":%s,"hashAlgorithmOID":"%s","authData":[{"id":"PIN","value":"%s"},{"id":"OTP","value":"%s"}]}' \
        "$2" "$6" "$5" "$SHA256" "$3" "$(totp "$4" 0)" | api credentials/authorize - "$1"
}
st=$(authz "$TOK" "$CID" 8642-vera "$SEC" "[\"$H1\",\"$H2\"]" 2)
SAD=$(jq -r '.SAD // empty' "$WORK/resp")
check "credentials/authorize (PIN + TOTP): a SAD" test "$st" = 200 -a ${#SAD} -eq 43
st=$(printf '{"credentialID":"%s","SAD":"%s","hashes":["%s","%s"],"hashAlgorithmOID":"%s","signAlgo":"1.2.840.113549.1.1.1"}' \
    "$CID" "$SAD" "$H1" "$H2" "$SHA256" | api signatures/signHash - "$TOK")
check "signatures/signHash (RSA, 2 hashes): 200" test "$st" = 200
jq -r '.signatures[0]' "$WORK/resp" | base64 -d >"$WORK/sig1.bin"
openssl x509 -in "$WORK/$CID.pem" -pubkey -noout >"$WORK/vera.pub"
printf '%s' "valgrind one" | openssl dgst -sha256 -binary >"$WORK/h1.bin"
check "the RSA value verifies with openssl pkeyutl" \
    openssl pkeyutl -verify -pubin -inkey "$WORK/vera.pub" -in "$WORK/h1.bin" -sigfile "$WORK/sig1.bin" \
    -pkeyopt digest:sha256
st=$(printf '{"credentialID":"%s","SAD":"%s","hashes":["%s"],"hashAlgorithmOID":"%s","signAlgo":"1.2.840.113549.1.1.1"}' \
    "$CID" "$SAD" "$H1" "$SHA256" | api signatures/signHash - "$TOK")
check "the spent SAD replayed: 400" test "$st" = 400
st=$(authz "$W_TOK" "$W_CID" 8643-walt "$W_SEC" "[\"$H1\"]" 1)
W_SAD=$(jq -r '.SAD // empty' "$WORK/resp")
st=$(printf '{"credentialID":"%s","SAD":"%s","hashes":["%s"],"hashAlgorithmOID":"%s","signAlgo":"1.2.840.10045.4.3.2"}' \
    "$W_CID" "$W_SAD" "$H1" "$SHA256" | api signatures/signHash - "$W_TOK")
check "signatures/signHash (ECDSA P-256): 200" test "$st" = 200
st=$(printf '{"credentialID": "%s", "hashes": [' "$CID" | api signatures/signHash - "$TOK")
check "a malformed JSON body: 400" test "$st" = 400
st=$(echo '{}' | api signatures/signDoc - "$TOK")
check "an unknown method: 4xx/501" bash -c "[ '$st' -ge 400 ]"
st=$(echo "{\"token\":\"$TOK\"}" | api auth/revoke - "$TOK")
check "auth/revoke: 204" test "$st" = 204
st=$(echo '{}' | api credentials/list - "$TOK")
check "the revoked token: 401" test "$st" = 401

echo "# the session took $((SECONDS - T0)) s so far"
stop_server
check "SIGTERM: ltsigd exits 0 under valgrind (99 = valgrind found errors)" test "${SERVER_RC:-1}" = 0
check "valgrind: no error and no definite leak in the service" \
    bash -c "[ -f '$WORK/serve.vg' ] && [ ! -s '$WORK/serve.vg' ]"
for f in "$WORK"/*.vg; do
    [ -s "$f" ] && { echo "--- $f"; head -60 "$f"; }
done
check "audit verify after the session" "$LTSIGD" audit verify --config "$CONF"

finish
