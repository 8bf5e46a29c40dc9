#!/bin/bash
# ltsigd on PostgreSQL (database = postgresql://...): a throw-away cluster on a Unix socket
# in a temp folder (no TCP), then the same flow as on SQLite: init, user, key, CSR, cert,
# login, authorize, signHash (checked with openssl), SAD replay refused, lockout, audit
# verify, and tampering with the log detected. Skipped when PostgreSQL's initdb/pg_ctl
# are not installed. Ports 18806 (ltsigd) and 18807 (the PostgreSQL socket name).
set -u
: "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
. "$LTS_SRC/tests/integration/ltsigd_common.sh"

PGBIN=
for d in /usr/lib/postgresql/*/bin /usr/local/bin /usr/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { PGBIN=$d; break; }
done
if [ -z "$PGBIN" ]; then
    echo "skip - PostgreSQL server binaries (initdb, pg_ctl) not installed"
    echo "0 passed, 0 failed"
    exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ltsigd-pg.XXXXXX")
chmod 755 "$WORK"
PGDIR=$WORK/pg
mkdir -p "$PGDIR"
# PostgreSQL refuses to run as root: use nobody then
AS=()
if [ "$(id -u)" = 0 ]; then
    chown nobody "$PGDIR"
    AS=(runuser -u nobody --)
fi
SERVER_PID=
cleanup() {
    stop_server
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

"${AS[@]}" "$PGBIN/initdb" -D "$PGDIR/data" --auth=trust -U ltsigd >"$WORK/initdb.log" 2>&1 &&
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
        -o "-k $PGDIR -p 18807 -c listen_addresses=''" start >/dev/null 2>&1 &&
    "${AS[@]}" "$PGBIN/createdb" -h "$PGDIR" -p 18807 -U ltsigd ltsigd 2>>"$WORK/initdb.log" ||
    "${AS[@]}" psql -h "$PGDIR" -p 18807 -U ltsigd -d postgres -c 'CREATE DATABASE ltsigd' \
        >>"$WORK/initdb.log" 2>&1 || {
    echo "PostgreSQL setup failed:"; cat "$WORK/initdb.log"; echo "0 passed, 1 failed"; exit 1; }
PGURI="postgresql://ltsigd@/ltsigd?host=$PGDIR&port=18807"
psqlq() { psql -X -q -t -A -h "$PGDIR" -p 18807 -U ltsigd -d ltsigd -c "$1"; }

# make_env runs init on SQLite; switch the config to PostgreSQL and init again
make_env "$WORK" 18806 || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
sed -i "s|^database = .*|database = ${PGURI//&/\\&}|" "$CONF"
check "init on PostgreSQL" "$LTSIGD" init --config "$CONF"
check "init is idempotent" "$LTSIGD" init --config "$CONF"
check "the schema is in PostgreSQL" test "$(psqlq "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('users','credentials','tokens','sads','audit','audit_head')")" = 6
# auth_gen (backend/server/authcache.c): the PostgreSQL triggers raise it for the changes
# signHash's checks depend on, in the changing transaction, and not for failure counters
g0=$(psqlq "SELECT n FROM auth_gen")
psqlq "INSERT INTO users(name, pw_hash, totp_secret, created) VALUES ('gen-probe', 'x', 'x', 0)" >/dev/null
psqlq "UPDATE users SET failures = 2, totp_last = 7 WHERE name = 'gen-probe'" >/dev/null
g1=$(psqlq "SELECT n FROM auth_gen")
psqlq "UPDATE users SET locked = 1 WHERE name = 'gen-probe'" >/dev/null
g2=$(psqlq "SELECT n FROM auth_gen")
psqlq "DELETE FROM users WHERE name = 'gen-probe'" >/dev/null
g3=$(psqlq "SELECT n FROM auth_gen")
check "auth_gen: unchanged by an insert and failure counters ($g0 $g1), raised by a lock ($g2) and a delete ($g3)" \
    test -n "$g0" -a "$g0" = "$g1" -a "$g2" -gt "$g1" -a "$g3" -gt "$g2"

SEC=$(add_user pat 'pat-password-1')
CID=$(add_key pat rsa2048 2468-pat "/CN=Pat on PostgreSQL")
check "user, key, CSR and certificate on PostgreSQL" test -n "$SEC" -a ${#CID} -eq 32
add_user quinn 'quinn-password-2' >/dev/null

start_server "$CONF" "$WORK/serve.log" || { echo "serve failed"; cat "$WORK/serve.log"; echo "0 passed, 1 failed"; exit 1; }
TOK=$(login pat pat-password-1)
check "login" test ${#TOK} -eq 43
H=$(b64hash "pg document")
printf '{"credentialID":"%s","numSignatures":1,"hashes":["%s"],"hashAlgorithmOID":"2.16.840.1.101.3.4.2.1","authData":[{"id":"PIN","value":"2468-pat"},{"id":"OTP","value":"%s"}]}' \
    "$CID" "$H" "$(totp "$SEC")" >"$WORK/authz.json"
st=$(api credentials/authorize "$WORK/authz.json" "$TOK")
SAD=$(jq -r '.SAD // empty' "$WORK/resp")
check "authorize" test "$st" = 200 -a -n "$SAD"
printf '{"credentialID":"%s","SAD":"%s","hashes":["%s"],"hashAlgorithmOID":"2.16.840.1.101.3.4.2.1","signAlgo":"1.2.840.113549.1.1.11"}' \
    "$CID" "$SAD" "$H" >"$WORK/sign.json"
st=$(api signatures/signHash "$WORK/sign.json" "$TOK")
jq -r '.signatures[0]' "$WORK/resp" | base64 -d >"$WORK/sig.bin"
openssl x509 -in "$WORK/$CID.pem" -pubkey -noout >"$WORK/pub.pem"
check "signHash value verifies with openssl" \
    bash -c "test '$st' = 200 && printf '%s' 'pg document' | openssl dgst -sha256 -verify '$WORK/pub.pem' -signature '$WORK/sig.bin' >/dev/null"
st=$(api signatures/signHash "$WORK/sign.json" "$TOK")
check "SAD replay refused" test "$st" = 400
# group commit on PostgreSQL: 12 concurrent requests for 6 hashes (each asked twice) ->
# 6 values, each hash once, the SAD spent (savepoints roll back only the refused ones)
HL=()
for i in 1 2 3 4 5 6; do HL+=("$(b64hash "pg race $i")"); done
printf '{"credentialID":"%s","numSignatures":6,"hashes":%s,"hashAlgorithmOID":"2.16.840.1.101.3.4.2.1","authData":[{"id":"PIN","value":"2468-pat"},{"id":"OTP","value":"%s"}]}' \
    "$CID" "$(printf '%s\n' "${HL[@]}" | jq -R . | jq -sc .)" "$(totp "$SEC" 1)" >"$WORK/authz2.json"
st=$(api credentials/authorize "$WORK/authz2.json" "$TOK")
SAD2=$(jq -r '.SAD // empty' "$WORK/resp")
pids=()
for k in 1 2; do
    for i in 0 1 2 3 4 5; do
        printf '{"credentialID":"%s","SAD":"%s","hashes":["%s"],"hashAlgorithmOID":"2.16.840.1.101.3.4.2.1","signAlgo":"1.2.840.113549.1.1.11"}' \
            "$CID" "$SAD2" "${HL[$i]}" |
            curl -s -o "$WORK/race.$k.$i" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOK" \
                -H 'Content-Type: application/json' --data-binary @- "$URL/signatures/signHash" \
                >"$WORK/race.$k.$i.st" &
        pids+=($!)
    done
done
wait "${pids[@]}"
n200=0
for f in "$WORK"/race.*.st; do [ "$(cat "$f")" = 200 ] && n200=$((n200 + 1)); done
check "12 concurrent signHash for 6 authorised hashes: 6 values ($n200), SAD spent" \
    test "$st" = 200 -a "$n200" = 6 -a "$(psqlq "SELECT count(*) FROM sad_hashes WHERE sad = '$(sha256hex "$SAD2")'")" = 0
for i in 1 2 3 4 5; do
    curl -s -o /dev/null -X POST -u quinn:wrong$i -d '{}' "$URL/auth/login"
done
check "lockout after five wrong passwords" test -z "$(login quinn quinn-password-2)"
check "tokens and SADs stored hashed" \
    test "$(psqlq "SELECT count(*) FROM tokens WHERE hash = '$TOK'")$(psqlq "SELECT count(*) FROM sads WHERE hash = '$SAD'")" = 00
stop_server
check "SIGTERM: exit 0" test "$SERVER_RC" = 0

# key backup / restore with the credential record in PostgreSQL
(umask 077 && echo 55115511 >"$WORK/so.pin")
echo "token_so_pin_file = $WORK/so.pin" >>"$CONF"
check "init creates the backup key" "$LTSIGD" init --config "$CONF"
CID2=$(add_key pat ec-p256 1357-pat "/CN=Pat EC on PostgreSQL")
check "key backup on PostgreSQL" \
    "$LTSIGD" key backup --config "$CONF" --credential "$CID2" -o "$WORK/pat.blob"
pkcs11-tool --module "$MODULE" --token-label ltsigd-test --login --pin "$TOKEN_PIN" \
    --delete-object --type privkey --id "$CID2" >/dev/null 2>&1
psqlq "DELETE FROM credentials WHERE id = '$CID2'" >/dev/null
out=$("$LTSIGD" key restore --config "$CONF" -i "$WORK/pat.blob")
check "key restore on PostgreSQL re-registers the credential" \
    test "$out" = "$CID2" -a "$(psqlq "SELECT owner FROM credentials WHERE id = '$CID2' AND chain IS NOT NULL")" = pat
check "the restored key signs (CSR checked with openssl req -verify)" \
    bash -c "'$LTSIGD' key csr --config '$CONF' --credential '$CID2' --subject /CN=again -o '$WORK/again.csr' && openssl req -in '$WORK/again.csr' -verify -noout 2>&1 | grep -q 'verify OK'"

check "audit verify passes" "$LTSIGD" audit verify --config "$CONF"
psqlq "UPDATE audit SET detail = 'edited' WHERE seq = 3" >/dev/null
"$LTSIGD" audit verify --config "$CONF" >/dev/null 2>"$WORK/err"
check "audit verify names an edited entry" grep -q "entry 3:" "$WORK/err"
finish
