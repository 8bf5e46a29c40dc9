#!/bin/bash
# ltsigd end to end over the CSC API v2, on a SoftHSMv2 token and SQLite:
# init -> user add -> key generate -> CSR -> certificate from the test CA -> key cert ->
# login, list, info, authorize (PIN + TOTP), signHash -> values checked with openssl;
# the csc: client through `ltsig sign`; and the refusals EN 419 241-1 / CSC ask for.
# Port 18801 (LTSIGD_TEST_PORT overrides it, to run several copies at once).
set -u
: "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
. "$LTS_SRC/tests/integration/ltsigd_common.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ltsigd-csc.XXXXXX")
SERVER_PID=
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

make_env "$WORK" "${LTSIGD_TEST_PORT:-18801}" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
LOG=$WORK/serve.log
A_SEC=$(add_user alice 'alice pass; DROP TABLE users;--')
B_SEC=$(add_user bob 'bob-password-2')
C_SEC=$(add_user carol 'carol-password-3')
add_user dave 'dave-password-4' >/dev/null
E_SEC=$(add_user erin 'erin-password-5')
A_CID=$(add_key alice rsa2048 4711-alice "/CN=Alice Test/O=ltsig test")
B_CID=$(add_key bob ec-p256 4712-bob "CN=Bob Test, O=ltsig test")
C_CID=$(add_key carol rsa3072 4713-carol "/CN=Carol Test")
E_CID=$(add_key erin ec-p384 4714-erin "/CN=Erin Test")
G_SEC=$(add_user gwen 'gwen-password-7')
G_CID=$(add_key gwen ec-p256 4717-gwen "/CN=Gwen Test")
K_SEC=$(add_user hank 'hank-password-8')
K_CID=$(add_key hank rsa2048 4718-hank "/CN=Hank Test")
check "setup: users, keys and certificates" test -n "$A_SEC" -a -n "$B_SEC" -a -n "$A_CID" \
    -a -n "$B_CID" -a -n "$C_CID" -a -n "$E_CID"
check "user add refuses an existing user" \
    bash -c "! '$LTSIGD' user add --config '$CONF' --user alice --password-file '$WORK/alice.pw' 2>/dev/null"
check "key cert refuses a chain for another key" \
    bash -c "! '$LTSIGD' key cert --config '$CONF' --credential '$A_CID' --chain '$LTS_TEST_PKI/signer-rsa-chain.pem' 2>/dev/null"

# key import: a PKCS#12 from the test PKI goes into the token, sensitive and not extractable
I_SEC=$(add_user ivan 'ivan-password-6')
echo 4716-ivan >"$WORK/ivan.pin"
I_CID=$("$LTSIGD" key import --config "$CONF" --user ivan --p12 "$LTS_TEST_PKI/signer-rsa.p12" \
    --passin pass:test1234 --pin-file "$WORK/ivan.pin")
check "key import of a PKCS#12 prints a credential ID" test ${#I_CID} -eq 32
ncred=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM credentials")
check "key import with a wrong password fails and adds nothing" \
    bash -c "! '$LTSIGD' key import --config '$CONF' --user ivan --p12 '$LTS_TEST_PKI/signer-rsa.p12' --passin pass:wrong --pin-file '$WORK/ivan.pin' 2>/dev/null && test \"\$(sqlite3 '$WORK/ltsigd.db' 'SELECT count(*) FROM credentials')\" = $ncred"
check "the imported key cannot be read from the token" \
    p11_private_unreadable "$MODULE" ltsigd-test "$TOKEN_PIN" "$I_CID"

# the test TSA (tests/integration/services.sh), when it runs, for signatures/timestamp
TSA_PORT=${LTS_TEST_TSA_PORT:-$(sed -n 's/^export LTS_TEST_TSA_PORT=//p' "$LTS_TEST_PKI/env.sh" 2>/dev/null)}
HAVE_TSA=0
if [ -n "$TSA_PORT" ] && (exec 3<>"/dev/tcp/127.0.0.1/$TSA_PORT") 2>/dev/null; then
    echo "tsa_url = http://127.0.0.1:$TSA_PORT/" >>"$CONF"
    HAVE_TSA=1
fi

start_server "$CONF" "$LOG" || { echo "ltsigd serve did not start"; cat "$LOG"; echo "0 passed, 1 failed"; exit 1; }

# ---- info, login -------------------------------------------------------------------------
st=$(curl -s -o "$WORK/resp" -w '%{http_code}' "$URL/info")
check "info answers 200 with specs and methods" \
    test "$st" = 200 -a "$(jq -r '.methods | index("signatures/signHash") != null' "$WORK/resp")" = true
A_TOK=$(login alice 'alice pass; DROP TABLE users;--')
B_TOK=$(login bob bob-password-2)
check "login with HTTP Basic gives a 256-bit token" test ${#A_TOK} -eq 43 -a ${#B_TOK} -eq 43
st=$(curl -s -o "$WORK/resp" -w '%{http_code}' -X POST -u alice:wrong -d '{}' "$URL/auth/login")
check "login with a wrong password: 401 authentication_error" \
    test "$st" = 401 -a "$(jq -r .error "$WORK/resp")" = authentication_error
st=$(curl -s -o "$WORK/resp" -w '%{http_code}' -X POST -u "nobody' OR '1'='1:x" -d '{}' "$URL/auth/login")
check "login with SQL in the user name: 401" test "$st" = 401
check "users table intact after SQL metacharacters" \
    test "$(sqlite3 "$WORK/ltsigd.db" 'SELECT count(*) FROM users')" = 8

# ---- list, info --------------------------------------------------------------------------
st=$(echo '{}' | api credentials/list - "$A_TOK")
check "credentials/list shows alice her credential only" \
    test "$st" = 200 -a "$(jq -c .credentialIDs "$WORK/resp")" = "[\"$A_CID\"]"
st=$(echo "{\"userID\":\"bob\"}" | api credentials/list - "$A_TOK")
check "credentials/list refuses another userID" test "$st" = 400
st=$(echo "{\"credentialID\":\"$A_CID\",\"certificates\":\"chain\",\"certInfo\":true}" |
    api credentials/info - "$A_TOK")
check "credentials/info: explicit, SCAL 2, PIN and OTP, chain of 3" \
    test "$st" = 200 -a "$(jq -r '[.authMode, .SCAL, .PIN.presence, .OTP.presence, (.cert.certificates|length), .key.len] | join(" ")' "$WORK/resp")" = "explicit 2 true true 3 2048"
jq -r '.cert.certificates[0]' "$WORK/resp" | base64 -d | openssl x509 -inform DER -out "$WORK/alice-leaf.pem" 2>/dev/null
check "credentials/info: the leaf is the certificate registered" \
    cmp -s <(openssl x509 -in "$WORK/alice-leaf.pem" -outform DER) <(openssl x509 -in "$WORK/$A_CID.pem" -outform DER)
st=$(echo "{\"credentialID\":\"$A_CID\"}" | api credentials/info - "$B_TOK")
check "another user's credential is invisible (info: 400)" \
    test "$st" = 400 -a "$(jq -r .error_description "$WORK/resp")" = "Invalid parameter credentialID"
st=$(echo "{\"credentialID\":\"x' OR '1'='1\"}" | api credentials/info - "$A_TOK")
check "SQL metacharacters in credentialID: 400" test "$st" = 400

# ---- authorize + signHash (RSA) -----------------------------------------------------------
H1=$(b64hash "document one")
H2=$(b64hash "document two")
H3=$(b64hash "document three")
SHA256=2.16.840.1.101.3.4.2.1
authz() { # authz TOKEN CID PIN OTP NUM HASHES_JSON [hashalg]
    printf '{"credentialID":"%s","numSignatures":%s,"hashes":%s,"hashAlgorithmOID":"%s","authData":[{"id":"PIN","value":"%s"},{"id":"OTP","value":"%s"}]}' \
        "$2" "$5" "$6" "${7:-$SHA256}" "$3" "$4" | api credentials/authorize - "$1"
}
signh() { # signh TOKEN CID SAD HASHES_JSON SIGNALGO
    printf '{"credentialID":"%s","SAD":"%s","hashes":%s,"hashAlgorithmOID":"%s","signAlgo":"%s"}' \
        "$2" "$3" "$4" "$SHA256" "$5" | api signatures/signHash - "$1"
}
RSA=1.2.840.113549.1.1.1
ECDSA256=1.2.840.10045.4.3.2

# TOTP codes: offsets 0 and +1 only, so a step boundary between computing a code and the
# server checking it never pushes the code out of the server's window (+-1 step)
st=$(authz "$A_TOK" "$A_CID" 4711-alice "$(totp "$A_SEC" 0)" 1 "[\"$H1\"]")
SAD1=$(jq -r '.SAD // empty' "$WORK/resp")
check "authorize with PIN + TOTP gives a SAD" test "$st" = 200 -a ${#SAD1} -eq 43
st=$(signh "$A_TOK" "$A_CID" "$SAD1" "[\"$H1\"]" "$RSA")
jq -r '.signatures[0]' "$WORK/resp" | base64 -d >"$WORK/sig1.bin"
openssl x509 -in "$WORK/$A_CID.pem" -pubkey -noout >"$WORK/alice-pub.pem"
check "signHash RSA value verifies with openssl against the certificate" \
    bash -c "test '$st' = 200 && printf '%s' 'document one' | openssl dgst -sha256 -verify '$WORK/alice-pub.pem' -signature '$WORK/sig1.bin' >/dev/null"
st=$(signh "$A_TOK" "$A_CID" "$SAD1" "[\"$H1\"]" "$RSA")
check "SAD replayed beyond numSignatures: 400" test "$st" = 400

st=$(authz "$A_TOK" "$A_CID" 4711-alice "$(totp "$A_SEC" 1)" 2 "[\"$H1\",\"$H2\"]")
SAD2=$(jq -r '.SAD // empty' "$WORK/resp")
check "authorize two hashes" test "$st" = 200 -a -n "$SAD2"
st=$(signh "$A_TOK" "$A_CID" "$SAD2" "[\"$H3\"]" "$RSA")
check "SAD used for a hash it does not cover: 400" \
    test "$st" = 400 -a "$(jq -r .error_description "$WORK/resp")" = "Hash is not authorized by the SAD"
st=$(signh "$A_TOK" "$A_CID" "$SAD2" "[\"$H2\",\"$H2\"]" "$RSA")
check "a hash authorised once, asked twice in one request: 400" \
    test "$st" = 400 -a "$(jq -r .error_description "$WORK/resp")" = "Hash is not authorized by the SAD"
st=$(signh "$A_TOK" "$A_CID" "$SAD2" "[\"$H2\"]" "$RSA")
check "SAD signs its second hash alone (nothing consumed by the refused request)" test "$st" = 200
st=$(signh "$A_TOK" "$A_CID" "$SAD2" "[\"$H2\"]" "$RSA")
check "an authorised hash signs only once" test "$st" = 400
st=$(signh "$B_TOK" "$A_CID" "$SAD2" "[\"$H1\"]" "$RSA")
check "another user cannot use alice's credential and SAD" test "$st" = 400
st=$(signh "$B_TOK" "$B_CID" "$SAD2" "[\"$H1\"]" "$ECDSA256")
check "a SAD is bound to its user and credential" test "$st" = 400
st=$(signh "$A_TOK" "$A_CID" "$SAD2" "[\"$H1\"]" "$RSA")
check "SAD signs its first hash (unaffected by the refusals)" test "$st" = 200

# SAD expiry (carol): the SAD is stored only as its SHA-256; age it in the database
C_TOK=$(login carol carol-password-3)
OTP3=$(totp "$C_SEC" 0)
st=$(authz "$C_TOK" "$C_CID" 4713-carol "$OTP3" 1 "[\"$H3\"]")
SAD3=$(jq -r '.SAD // empty' "$WORK/resp")
sql "UPDATE sads SET expires = 1 WHERE hash = '$(sha256hex "$SAD3")'"
st=$(signh "$C_TOK" "$C_CID" "$SAD3" "[\"$H3\"]" "$RSA")
check "expired SAD: 400 SAD expired" \
    test "$st" = 400 -a "$(jq -r .error_description "$WORK/resp")" = "SAD expired"
st=$(authz "$C_TOK" "$C_CID" 4713-carol "$OTP3" 1 "[\"$H3\"]")
check "a TOTP code is accepted once only" test "$st" = 400

# request checks that come before the PIN (no OTP spent)
st=$(authz "$A_TOK" "$A_CID" 4711-alice 000000 2 "[\"$H1\"]")
check "numSignatures different from the number of hashes: 400" test "$st" = 400
st=$(authz "$A_TOK" "$A_CID" 4711-alice 000000 1 "[\"$(b64hash x sha1)\"]" 1.3.14.3.2.26)
check "SHA-1 refused: 400" test "$st" = 400
st=$(authz "$A_TOK" "$A_CID" 4711-alice 000000 1 "[\"$(b64hash x sha384)\"]")
check "digest of the wrong length: 400 Invalid digest value length" \
    test "$st" = 400 -a "$(jq -r .error_description "$WORK/resp")" = "Invalid digest value length"
st=$(authz "$A_TOK" "$A_CID" 4711-alice 000000 101 "[\"$H1\"]")
check "numSignatures over multisign: 400" test "$st" = 400

# ---- RSA-PSS (ivan, the imported RSA key) ------------------------------------------------------------
cat >"$WORK/pss.cnf" <<'EOC'
asn1 = SEQUENCE:pss
[pss]
hash = EXP:0,SEQUENCE:sha256
mgf = EXP:1,SEQUENCE:mgf1
salt = EXP:2,INTEGER:32
[sha256]
oid = OID:sha256
[mgf1]
oid = OID:mgf1
params = SEQUENCE:sha256
EOC
openssl asn1parse -genconf "$WORK/pss.cnf" -out "$WORK/pss.der" >/dev/null
sed 's/INTEGER:32/INTEGER:20/' "$WORK/pss.cnf" >"$WORK/pss20.cnf"
openssl asn1parse -genconf "$WORK/pss20.cnf" -out "$WORK/pss20.der" >/dev/null
PSSP=$(base64 -w0 "$WORK/pss.der")
PSS20=$(base64 -w0 "$WORK/pss20.der")
H4=$(b64hash "document four")
I_TOK=$(login ivan ivan-password-6)
st=$(authz "$I_TOK" "$I_CID" 4716-ivan "$(totp "$I_SEC" 0)" 1 "[\"$H4\"]")
SADS=$(jq -r '.SAD // empty' "$WORK/resp")
openssl x509 -in "$LTS_TEST_PKI/signer-rsa.pem" -pubkey -noout >"$WORK/ivan-pub.pem"
pss_req() { # pss_req PARAMS_B64
    printf '{"credentialID":"%s","SAD":"%s","hashes":["%s"],"hashAlgorithmOID":"%s","signAlgo":"1.2.840.113549.1.1.10","signAlgoParams":"%s"}' \
        "$I_CID" "$SADS" "$H4" "$SHA256" "$1" | api signatures/signHash - "$I_TOK"
}
st=$(pss_req "$PSS20")
check "RSA-PSS with a salt other than the hash length: 400 (nothing spent)" test "$st" = 400
st=$(pss_req "$PSSP")
jq -r '.signatures[0]' "$WORK/resp" | base64 -d >"$WORK/sigpss.bin"
check "RSA-PSS value verifies with openssl (MGF1-SHA256, salt 32)" \
    bash -c "test '$st' = 200 && printf '%s' 'document four' | openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 -verify '$WORK/ivan-pub.pem' -signature '$WORK/sigpss.bin' >/dev/null"

# ---- ECDSA (bob) ---------------------------------------------------------------------------
st=$(authz "$B_TOK" "$B_CID" 4712-bob "$(totp "$B_SEC" 0)" 1 "[\"$H1\"]")
SADB=$(jq -r '.SAD // empty' "$WORK/resp")
st=$(signh "$B_TOK" "$B_CID" "$SADB" "[\"$H1\"]" "$ECDSA256")
jq -r '.signatures[0]' "$WORK/resp" | base64 -d >"$WORK/sigb.bin"
openssl x509 -in "$WORK/$B_CID.pem" -pubkey -noout >"$WORK/bob-pub.pem"
check "signHash ECDSA P-256 value (DER) verifies with openssl" \
    bash -c "test '$st' = 200 && printf '%s' 'document one' | openssl dgst -sha256 -verify '$WORK/bob-pub.pem' -signature '$WORK/sigb.bin' >/dev/null"

# ---- concurrency: one SAD for 16 hashes, 32 parallel signHash (each hash twice) ------------
HS=()
for i in $(seq 1 16); do HS+=("$(b64hash "parallel $i")"); done
HJ=$(printf '"%s",' "${HS[@]}")
st=$(authz "$B_TOK" "$B_CID" 4712-bob "$(totp "$B_SEC" 1)" 16 "[${HJ%,}]")
SADP=$(jq -r '.SAD // empty' "$WORK/resp")
check "authorize 16 hashes" test "$st" = 200
mkdir -p "$WORK/par"
PIDS=()
for i in $(seq 0 31); do
    h=${HS[$((i % 16))]}
    printf '{"credentialID":"%s","SAD":"%s","hashes":["%s"],"hashAlgorithmOID":"%s","signAlgo":"%s"}' \
        "$B_CID" "$SADP" "$h" "$SHA256" "$ECDSA256" >"$WORK/par/req$i"
    curl -s -o "$WORK/par/resp$i" -w '%{http_code}\n' -X POST -H "Authorization: Bearer $B_TOK" \
        --data-binary "@$WORK/par/req$i" "$URL/signatures/signHash" >"$WORK/par/st$i" &
    PIDS+=($!)
done
wait "${PIDS[@]}"
n200=$(cat "$WORK/par"/st* | grep -c '^200$')
n400=$(cat "$WORK/par"/st* | grep -c '^400$')
check "32 parallel signHash on 16 authorised hashes: exactly 16 signed, 16 refused" \
    test "$n200" = 16 -a "$n400" = 16
vok=0
for i in $(seq 0 31); do
    if grep -q '^200$' "$WORK/par/st$i"; then
        jq -r '.signatures[0]' "$WORK/par/resp$i" | base64 -d >"$WORK/par/sig"
        printf '%s' "parallel $((i % 16 + 1))" | openssl dgst -sha256 -verify "$WORK/bob-pub.pem" \
            -signature "$WORK/par/sig" >/dev/null && vok=$((vok + 1))
    fi
done
check "every parallel value verifies with openssl" test "$vok" = 16

# the imported key signs, and the value verifies against the PKCS#12's certificate
I_TOK=$(login ivan ivan-password-6)
st=$(authz "$I_TOK" "$I_CID" 4716-ivan "$(totp "$I_SEC" 1)" 1 "[\"$H1\"]")
SADI=$(jq -r '.SAD // empty' "$WORK/resp")
st=$(signh "$I_TOK" "$I_CID" "$SADI" "[\"$H1\"]" "$RSA")
jq -r '.signatures[0]' "$WORK/resp" | base64 -d >"$WORK/sigi.bin"
openssl x509 -in "$LTS_TEST_PKI/signer-rsa.pem" -pubkey -noout >"$WORK/ivan-pub.pem"
check "signHash with the imported key verifies against signer-rsa.pem" \
    bash -c "test '$st' = 200 && printf '%s' 'document one' | openssl dgst -sha256 -verify '$WORK/ivan-pub.pem' -signature '$WORK/sigi.bin' >/dev/null"

# ---- signatures/timestamp ----------------------------------------------------------------------
HEXD=$(printf '%s' "document one" | openssl dgst -sha256 -r | cut -d' ' -f1)
if [ "$HAVE_TSA" = 1 ]; then
    st=$(printf '{"hash":"%s","hashAlgorithmOID":"%s"}' "$H1" "$SHA256" | api signatures/timestamp - "$A_TOK")
    jq -r '.timestamp // empty' "$WORK/resp" | base64 -d >"$WORK/ts.der"
    check "signatures/timestamp: the token verifies with openssl ts" \
        bash -c "test '$st' = 200 && openssl ts -verify -digest '$HEXD' -in '$WORK/ts.der' -token_in -CAfile '$LTS_TEST_PKI/root.pem' -untrusted '$LTS_TEST_PKI/tsa-chain.pem' >/dev/null 2>&1"
    st=$(printf '{"hash":"%s","hashAlgorithmOID":"%s"}' "$(b64hash x sha384)" "$SHA256" | api signatures/timestamp - "$A_TOK")
    check "signatures/timestamp: wrong digest length 400" test "$st" = 400
    st=$(printf '{"hash":"%s","hashAlgorithmOID":"%s"}' "$H1" "$SHA256" | api signatures/timestamp -)
    check "signatures/timestamp: needs an access token" test "$st" = 401
else
    st=$(printf '{"hash":"%s","hashAlgorithmOID":"%s"}' "$H1" "$SHA256" | api signatures/timestamp - "$A_TOK")
    check "signatures/timestamp without tsa_url: 501" test "$st" = 501
    echo "skip - no test TSA running: signatures/timestamp not checked with openssl ts"
fi

# ---- tokens ---------------------------------------------------------------------------------
st=$(echo '{}' | api credentials/list -)
check "no access token: 401" test "$st" = 401
st=$(echo '{}' | api credentials/list - "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
check "unknown access token: 401 invalid_token" \
    test "$st" = 401 -a "$(jq -r .error "$WORK/resp")" = invalid_token
T2=$(login bob bob-password-2)
sql "UPDATE tokens SET expires = 1 WHERE hash = '$(sha256hex "$T2")'"
st=$(echo '{}' | api credentials/list - "$T2")
check "expired access token: 401 expired_token" \
    test "$st" = 401 -a "$(jq -r .error "$WORK/resp")" = expired_token
T3=$(login bob bob-password-2)
st=$(echo "{\"token\":\"$T3\"}" | api auth/revoke - "$T3")
st2=$(echo '{}' | api credentials/list - "$T3")
check "auth/revoke: 204, then the token is refused" test "$st" = 204 -a "$st2" = 401
check "tokens are stored hashed only" \
    test "$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM tokens WHERE hash = '$A_TOK'")" = 0

# ---- lockout ---------------------------------------------------------------------------------
C_TOK=$(login carol carol-password-3)
for i in 1 2 3 4 5; do
    authz "$C_TOK" "$C_CID" wrong-pin-$i "$(totp "$C_SEC" 0)" 1 "[\"$H1\"]" >/dev/null
done
st=$(authz "$C_TOK" "$C_CID" 4713-carol "$(totp "$C_SEC" 0)" 1 "[\"$H1\"]")
check "five wrong PINs lock the credential, even against the right PIN" \
    test "$st" = 400 -a "$(jq -r .error_description "$WORK/resp")" = "Credential locked"
for i in 1 2 3 4 5; do
    curl -s -o /dev/null -X POST -u dave:wrong$i -d '{}' "$URL/auth/login"
done
check "five wrong passwords lock the account, even against the right one" \
    test -z "$(login dave dave-password-4)"
"$LTSIGD" user unlock --config "$CONF" --user dave
check "user unlock lets dave log in again" test -n "$(login dave dave-password-4)"

# ---- malformed requests ------------------------------------------------------------------------
st=$(echo '{"credentialID": ' | api credentials/info - "$A_TOK")
check "malformed JSON: 400 invalid_request" \
    test "$st" = 400 -a "$(jq -r .error "$WORK/resp")" = invalid_request
st=$(echo '[1,2]' | api credentials/info - "$A_TOK")
check "JSON that is not an object: 400" test "$st" = 400
st=$(echo '{"credentialID":"a","credentialID":"b"}' | api credentials/info - "$A_TOK")
check "duplicate JSON keys: 400" test "$st" = 400
head -c 2000000 /dev/zero | tr '\0' 'a' >"$WORK/big.json"
st=$(api credentials/info "$WORK/big.json" "$A_TOK")
check "body over 1 MiB: 413" test "$st" = 413
st=$(echo '{}' | api signatures/signDoc - "$A_TOK")
check "unimplemented method: 501" test "$st" = 501
st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $A_TOK" "$URL/credentials/list")
check "GET on a POST method: 405" test "$st" = 405

# ---- the csc: client in ltsig -----------------------------------------------------------------
echo "a document to sign through the CSC API" >"$WORK/doc.txt"
echo "$E_SEC" >"$WORK/erin.totp"
if "$LTSIG" sign --format cades --level B-B --signer "csc:$URL" --csc-user erin \
    --csc-password-file "$WORK/erin.pw" --csc-pin-file "$WORK/erin.pin" \
    --csc-totp-secret-file "$WORK/erin.totp" -o "$WORK/out.p7s" "$WORK/doc.txt" 2>"$WORK/sign.err"; then
    check "ltsig sign through csc: verifies with openssl cms" \
        openssl cms -verify -binary -inform DER -in "$WORK/out.p7s" -content "$WORK/doc.txt" \
        -CAfile "$LTS_TEST_PKI/root.pem" -purpose any -out /dev/null
    check "the CMS signer is erin's certificate" \
        bash -c "openssl cms -cmsout -print -inform DER -in '$WORK/out.p7s' | grep -q 'CN=Erin Test'"
elif grep -q "not built yet" "$WORK/sign.err"; then
    echo "skip - ltsig sign --format cades is not built yet"
else
    bad "ltsig sign through csc: $(cat "$WORK/sign.err")"
fi
# XAdES and PAdES through the csc: client (gwen: EC P-256, hank: RSA), independent verifiers
csc_sign() { # csc_sign USER FORMAT IN OUT TOTP_SECRET
    echo "$5" >"$WORK/$1.totp"
    "$LTSIG" sign --format "$2" --level B-B --signer "csc:$URL" --csc-user "$1" \
        --csc-password-file "$WORK/$1.pw" --csc-pin-file "$WORK/$1.pin" \
        --csc-totp-secret-file "$WORK/$1.totp" -o "$4" "$3" 2>"$WORK/sign.err"
}
printf '<?xml version="1.0"?>\n<doc><item>signed through ltsigd</item></doc>\n' >"$WORK/doc.xml"
if csc_sign gwen xades "$WORK/doc.xml" "$WORK/out.xml" "$G_SEC"; then
    check "XAdES through csc: xmlsec1 --verify" \
        bash -c "xmlsec1 --verify --trusted-pem '$LTS_TEST_PKI/root.pem' --untrusted-pem '$LTS_TEST_PKI/inter.pem' '$WORK/out.xml' 2>&1 | grep -q '^OK'"
elif grep -q "not built yet" "$WORK/sign.err"; then
    echo "skip - ltsig sign --format xades is not built yet"
else
    bad "XAdES through csc: $(cat "$WORK/sign.err")"
fi
if csc_sign hank pades "$LTS_SRC/testdata/docs/sample.pdf" "$WORK/out.pdf" "$K_SEC"; then
    check "PAdES through csc: pdfsig says the signature is valid, signer Hank" \
        bash -c "pdfsig '$WORK/out.pdf' 2>&1 | grep -q 'Signature is Valid' && pdfsig '$WORK/out.pdf' 2>&1 | grep -q 'Hank Test'"
elif grep -q "not built yet" "$WORK/sign.err"; then
    echo "skip - ltsig sign --format pades is not built yet"
else
    bad "PAdES through csc: $(cat "$WORK/sign.err")"
fi
echo 1234567 >"$WORK/wrong.pin"
check "csc client with a wrong PIN fails with a clear message, no output" \
    bash -c "! '$LTSIG' sign --format cades --level B-B --signer 'csc:$URL' --csc-user erin \
        --csc-password-file '$WORK/erin.pw' --csc-pin-file '$WORK/wrong.pin' \
        --csc-totp-secret-file '$WORK/erin.totp' -o '$WORK/out2.p7s' '$WORK/doc.txt' 2>'$WORK/e2' \
        && grep -q 'PIN or OTP' '$WORK/e2' && ! grep -q 1234567 '$WORK/e2' && test ! -e '$WORK/out2.p7s'"

# ---- secrets never at rest or in the logs ----------------------------------------------------
stop_server
check "SIGTERM: clean exit 0" test "$SERVER_RC" = 0
check "logs are JSON lines" bash -c "jq -e . '$LOG' >/dev/null"
leak=0
for s in "$A_TOK" "$B_TOK" "$SAD1" "$SAD2" 4711-alice 4712-bob bob-password-2 "$A_SEC" "$TOKEN_PIN"; do
    grep -qF -- "$s" "$LOG" && leak=1
    sqlite3 "$WORK/ltsigd.db" .dump | grep -qF -- "$s" && [ "$s" != "$A_SEC" ] && leak=1
done
check "no password, PIN, token or SAD in the log or the database" test "$leak" = 0

# ---- the key cannot be read out of the token -------------------------------------------------
check "the RSA private key cannot be read (C_GetAttributeValue: sensitive)" \
    p11_private_unreadable "$MODULE" ltsigd-test "$TOKEN_PIN" "$A_CID"
check "the EC private key cannot be read (CKA_VALUE sensitive)" \
    p11_private_unreadable "$MODULE" ltsigd-test "$TOKEN_PIN" "$B_CID"
pkcs11-tool --module "$MODULE" --token-label ltsigd-test --login --pin "$TOKEN_PIN" --list-objects --type privkey --id "$A_CID" >"$WORK/objs" 2>/dev/null
check "pkcs11-tool: the private key is sensitive, always sensitive" \
    bash -c "grep -q 'always sensitive' '$WORK/objs'"
probe=$(p11_probe "$MODULE" ltsigd-test "$TOKEN_PIN" "$A_CID")
echo "# $probe"
check "the generated key is extractable only wrapped by a trusted key (CKA_WRAP_WITH_TRUSTED)" \
    contains "$probe" "sensitive=1 always_sensitive=1 * wrap_with_trusted=1 "
check "an untrusted key of the user cannot wrap it out (CKR_KEY_NOT_WRAPPABLE)" \
    contains "$probe" "untrusted_wrap=0x69"
probe=$(p11_probe "$MODULE" ltsigd-test "$TOKEN_PIN" "$I_CID")
echo "# imported: $probe"
check "the imported key is not extractable at all (CKR_KEY_UNEXTRACTABLE)" \
    contains "$probe" "extractable=0 *untrusted_wrap=0x6a"

check "audit verify: the signature generation log is intact" "$LTSIGD" audit verify --config "$CONF"
n=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM audit WHERE event = 'signatures/signHash' AND status = 'ok'")
check "each signature is in the log (5 from the tests + 1 from ltsig sign)" test "$n" -ge 5
n=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM audit WHERE status = 'refused'")
check "refusals are in the log" test "$n" -ge 10
n=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM audit WHERE status = 'refused' AND detail = 'Missing or invalid access token'")
check "a request without an access token is in the log too" test "$n" -ge 1
n=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM audit WHERE status = 'refused' AND detail = 'The request body is not a JSON object'")
check "a malformed request is in the log too" test "$n" -ge 2

finish
