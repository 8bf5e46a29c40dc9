#!/bin/bash
# ltsigd credentials/extendTransaction (CSC v2): a valid SAD with hashes left is exchanged
# for a new one (same remaining hashes, a new lifetime); the old SAD stops working; another
# user's SAD, an expired or spent SAD, a hash the SAD does not cover are refused.
# Port 19216 (LTSIGD_TEST_PORT overrides it).
set -u
: "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
. "$LTS_SRC/tests/integration/ltsigd_common.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ltsigd-extend.XXXXXX")
SERVER_PID=
cleanup() { stop_server; [ -n "${KEEP:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT

make_env "$WORK" "${LTSIGD_TEST_PORT:-19216}" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
# timing: authorised at t0 (expires t0+8), extended at ~t0+4 (expires ~t0+12), the new SAD
# used at ~t0+10 (the old one has expired), the new one expired at ~t0+15: 2 s margins
echo "sad_ttl = 8" >>"$CONF"
A_SEC=$(add_user alice alice-password-1)
A_CID=$(add_key alice ec-p256 4711-alice "/CN=Alice Extend")
B_SEC=$(add_user bob bob-password-2)
B_CID=$(add_key bob ec-p256 4712-bob "/CN=Bob Extend")
start_server "$CONF" "$WORK/serve.log" || { echo "ltsigd serve did not start"; echo "0 passed, 1 failed"; exit 1; }
SHA256=2.16.840.1.101.3.4.2.1
ECDSA=1.2.840.10045.4.3.2
A_TOK=$(login alice alice-password-1)
B_TOK=$(login bob bob-password-2)
H1=$(b64hash one)
H2=$(b64hash two)
H3=$(b64hash three)
H9=$(b64hash nine)

st=$(echo '{}' | curl -s -o "$WORK/resp" -w '%{http_code}' "$URL/info")
check "info lists credentials/extendTransaction" \
    test "$(jq -r '.methods | index("credentials/extendTransaction") != null' "$WORK/resp")" = true

st=$(printf '{"credentialID":"%s","numSignatures":3,"hashes":["%s","%s","%s"],"hashAlgorithmOID":"%s","authData":[{"id":"PIN","value":"4711-alice"},{"id":"OTP","value":"%s"}]}' \
    "$A_CID" "$H1" "$H2" "$H3" "$SHA256" "$(totp "$A_SEC" 0)" | api credentials/authorize - "$A_TOK")
SAD=$(jq -r '.SAD // empty' "$WORK/resp")
check "authorize 3 hashes" test "$st" = 200 -a -n "$SAD"
signh() { # signh TOKEN CID SAD HASH
    printf '{"credentialID":"%s","SAD":"%s","hashes":["%s"],"hashAlgorithmOID":"%s","signAlgo":"%s"}' \
        "$2" "$3" "$4" "$SHA256" "$ECDSA" | api signatures/signHash - "$1"
}
ext() { # ext TOKEN CID SAD [HASHES_JSON]
    if [ -n "${4:-}" ]; then
        printf '{"credentialID":"%s","SAD":"%s","hashes":%s,"hashAlgorithmOID":"%s"}' "$2" "$3" "$4" "$SHA256"
    else
        printf '{"credentialID":"%s","SAD":"%s"}' "$2" "$3"
    fi | api credentials/extendTransaction - "$1"
}
st=$(signh "$A_TOK" "$A_CID" "$SAD" "$H1")
check "the SAD signs its first hash" test "$st" = 200

st=$(ext "$B_TOK" "$A_CID" "$SAD")
check "bob cannot extend alice's SAD (credential unknown to him)" test "$st" = 400
st=$(ext "$A_TOK" "$A_CID" "$SAD" "[\"$H9\"]")
check "extend naming a hash the SAD does not cover: 400" \
    test "$st" = 400 -a "$(jq -r .error_description "$WORK/resp")" = "Hash is not authorized by the SAD"
st=$(ext "$A_TOK" "$A_CID" "$SAD" "[\"$H1\"]")
check "extend naming a hash already signed: 400" test "$st" = 400
st=$(ext "$A_TOK" "$A_CID" "not-a-sad")
check "extend of an unknown SAD: 400" test "$st" = 400

sleep 4
st=$(ext "$A_TOK" "$A_CID" "$SAD" "[\"$H2\",\"$H3\"]")
SAD2=$(jq -r '.SAD // empty' "$WORK/resp")
check "extend gives a new SAD with expiresIn" \
    test "$st" = 200 -a ${#SAD2} -eq 43 -a "$SAD2" != "$SAD" -a "$(jq -r .expiresIn "$WORK/resp")" = 8
st=$(signh "$A_TOK" "$A_CID" "$SAD" "$H2")
check "the old SAD no longer works" test "$st" = 400
sleep 6
st=$(signh "$A_TOK" "$A_CID" "$SAD2" "$H2")
check "the new SAD signs after the old one's lifetime ended" test "$st" = 200
st=$(signh "$A_TOK" "$A_CID" "$SAD2" "$H1")
check "the new SAD does not sign an already-signed hash" test "$st" = 400
sleep 5
st=$(ext "$A_TOK" "$A_CID" "$SAD2")
check "an expired SAD cannot be extended" \
    test "$st" = 400 -a "$(jq -r .error_description "$WORK/resp")" = "SAD expired"

st=$(printf '{"credentialID":"%s","numSignatures":1,"hashes":["%s"],"hashAlgorithmOID":"%s","authData":[{"id":"PIN","value":"4711-alice"},{"id":"OTP","value":"%s"}]}' \
    "$A_CID" "$H9" "$SHA256" "$(totp "$A_SEC" 1)" | api credentials/authorize - "$A_TOK")
SAD3=$(jq -r '.SAD // empty' "$WORK/resp")
st=$(signh "$A_TOK" "$A_CID" "$SAD3" "$H9")
st=$(ext "$A_TOK" "$A_CID" "$SAD3")
check "a spent SAD cannot be extended" test "$st" = 400
st=$(ext "$A_TOK" "$A_CID" "")
check "an empty SAD: 400" test "$st" = 400
st=$(printf '{"credentialID":"%s"}' "$A_CID" | api credentials/extendTransaction - "$A_TOK")
check "no SAD: 400" test "$st" = 400
st=$(printf '{"credentialID":"%s","SAD":"%s"}' "$A_CID" "$SAD3" | api credentials/extendTransaction -)
check "no access token: 401" test "$st" = 401
stop_server

check "audit verify passes" "$LTSIGD" audit verify --config "$CONF"
n=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM audit WHERE event = 'credentials/extendTransaction' AND status = 'ok'")
r=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM audit WHERE event = 'credentials/extendTransaction' AND status = 'refused'")
check "extensions and refusals are in the log ($n ok, $r refused)" test "$n" = 1 -a "$r" -ge 4

finish
