#!/bin/bash
# ltsigd key backup / restore: `init` makes the trusted AES-256 backup key with the SO PIN;
# `key backup` wraps a credential's key under it (CKM_AES_KEY_WRAP_PAD) with the
# credential's record and an HMAC tag made in the token; the key object is deleted from the
# token with pkcs11-tool; `key restore` unwraps it (sensitive, not extractable) and the
# same credential signs again over the CSC API, checked with openssl. Tampered files,
# double restores and the API are refused; everything is in the signature generation log.
# Port 19214 (LTSIGD_TEST_PORT overrides it).
set -u
: "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
. "$LTS_SRC/tests/integration/ltsigd_common.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ltsigd-backup.XXXXXX")
SERVER_PID=
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

make_env "$WORK" "${LTSIGD_TEST_PORT:-19214}" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
p11() { pkcs11-tool --module "$MODULE" --token-label ltsigd-test --login --pin "$TOKEN_PIN" "$@" 2>/dev/null; }

# without token_so_pin_file there is no backup key: backup says how to get one
A_SEC=$(add_user alice alice-password-1)
A_CID=$(add_key alice ec-p256 4711-alice "/CN=Alice Backup")
out=$("$LTSIGD" key backup --config "$CONF" --credential "$A_CID" -o "$WORK/none.blob" 2>&1)
check "backup without a backup key writes nothing" test ! -e "$WORK/none.blob"
check "... and says how to make one" contains "$out" "no backup key*token_so_pin_file"

(umask 077 && echo 55115511 >"$WORK/so.pin")
echo "token_so_pin_file = $WORK/so.pin" >>"$CONF"
echo 00000000 >"$WORK/bad-so.pin"
sed "s|^token_so_pin_file = .*|token_so_pin_file = $WORK/bad-so.pin|" "$CONF" >"$WORK/badso.conf"
out=$("$LTSIGD" init --config "$WORK/badso.conf" 2>&1)
check "init with a wrong SO PIN fails naming the file" contains "$out" "refused the PIN from $WORK/bad-so.pin"
check "... but not the PIN" bash -c '! grep -q 00000000 <<<"$1"' _ "$out"
out=$("$LTSIGD" init --config "$CONF")
check "init creates the backup key" contains "$out" "backup key 'ltsigd-backup' created"
out=$("$LTSIGD" init --config "$CONF")
check "a second init finds it" contains "$out" "backup key 'ltsigd-backup' present"
p11 --list-objects --type secrkey >"$WORK/secr"
check "the backup key: AES-256, wrap/unwrap only, sensitive, never extractable" \
    bash -c "grep -A3 'label: *ltsigd-backup\$' '$WORK/secr' | grep -q 'Usage: *wrap, unwrap\$' && grep -A3 'label: *ltsigd-backup\$' '$WORK/secr' | grep -q 'never extractable'"

B_SEC=$(add_user bob bob-password-2)
R_CID=$(add_key alice rsa2048 4712-alice "/CN=Alice RSA Backup")
check "setup: EC and RSA credentials" test ${#A_CID} -eq 32 -a ${#R_CID} -eq 32

# backups (operator command: any credential, here alice's)
check "key backup of an EC credential" \
    "$LTSIGD" key backup --config "$CONF" --credential "$A_CID" -o "$WORK/a.blob"
check "key backup of an RSA credential" \
    "$LTSIGD" key backup --config "$CONF" --credential "$R_CID" -o "$WORK/r.blob"
check "the backup file is private (0600)" test "$(stat -c %a "$WORK/a.blob")" = 600
check "the backup holds the wrapped key, the record, the chain and a tag" \
    bash -c "grep -q '^credential $A_CID\$' '$WORK/a.blob' && grep -q '^owner alice\$' '$WORK/a.blob' && grep -q '^chain MII' '$WORK/a.blob' && grep -q '^wrapped ' '$WORK/a.blob' && grep -Eq '^tag [0-9a-f]{64}\$' '$WORK/a.blob'"
check "no PIN in the backup file" bash -c "! grep -q 4711-alice '$WORK/a.blob'"
check "the private key is still unreadable after the backup" \
    p11_private_unreadable "$MODULE" ltsigd-test "$TOKEN_PIN" "$A_CID"
out=$("$LTSIGD" key backup --config "$CONF" --credential 00000000000000000000000000000000 -o "$WORK/x.blob" 2>&1)
check "backup of an unknown credential: clear error" \
    bash -c "[[ '$out' == *'no credential'* ]] && test ! -e '$WORK/x.blob'"

# someone with the token files and the backup file but no PIN cannot unwrap a readable copy
# (the backup key is public — only the SO may make it trusted, and an SO session only
# makes public objects — so its CKA_UNWRAP_TEMPLATE forces sensitive, private, not
# extractable)
att=$(p11_unwrap_attack "$MODULE" ltsigd-test "$WORK/a.blob")
echo "# $att"
check "no PIN: unwrapping the backup into a readable key is refused (CKR_TEMPLATE_INCONSISTENT)" \
    test "$att" = unwrap=0xd1

# the keys disappear from the token
p11 --delete-object --type privkey --id "$A_CID" >/dev/null
p11 --delete-object --type privkey --id "$R_CID" >/dev/null
check "the private keys are gone from the token" \
    bash -c "! pkcs11-tool --module '$MODULE' --token-label ltsigd-test --login --pin '$TOKEN_PIN' --list-objects --type privkey 2>/dev/null | grep -q -e '$A_CID' -e '$R_CID'"

# tampered files are refused and change nothing
sed "s/^owner alice\$/owner bob/" "$WORK/a.blob" >"$WORK/t1.blob"
out=$("$LTSIGD" key restore --config "$CONF" -i "$WORK/t1.blob" 2>&1)
check "a backup moved to another owner is refused (integrity tag)" \
    contains "$out" "t1.blob: the integrity tag does not match"
python3 - "$WORK/a.blob" "$WORK/t2.blob" <<'EOF'
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
for i, l in enumerate(lines):
    if l.startswith("wrapped "):
        b = bytearray(base64.b64decode(l[8:])); b[10] ^= 1
        lines[i] = "wrapped " + base64.b64encode(bytes(b)).decode()
open(sys.argv[2], "w").write("\n".join(lines))
EOF
check "a backup with one bit of the wrapped key flipped is refused" \
    bash -c "! '$LTSIGD' key restore --config '$CONF' -i '$WORK/t2.blob' 2>/dev/null"
head -c 200 "$WORK/a.blob" >"$WORK/t3.blob"
check "a truncated backup is refused" \
    bash -c "! '$LTSIGD' key restore --config '$CONF' -i '$WORK/t3.blob' 2>/dev/null"
check "a file that is not a backup is refused naming it" \
    bash -c "'$LTSIGD' key restore --config '$CONF' -i '$LTS_TEST_PKI/root.pem' 2>&1 | grep -q 'root.pem: not an ltsigd backup file'"
check "nothing was put into the token by the refused restores" \
    bash -c "! pkcs11-tool --module '$MODULE' --token-label ltsigd-test --login --pin '$TOKEN_PIN' --list-objects --type privkey 2>/dev/null | grep -q '$A_CID'"

# restore
out=$("$LTSIGD" key restore --config "$CONF" -i "$WORK/a.blob")
check "key restore prints the credential ID" test "$out" = "$A_CID"
out=$("$LTSIGD" key restore --config "$CONF" -i "$WORK/r.blob")
check "key restore of the RSA credential" test "$out" = "$R_CID"
check "a second restore is refused (the key is in the token)" \
    bash -c "'$LTSIGD' key restore --config '$CONF' -i '$WORK/a.blob' 2>&1 | grep -q 'still has its key in the token'"
check "the restored key cannot be read (CKA_VALUE sensitive)" \
    p11_private_unreadable "$MODULE" ltsigd-test "$TOKEN_PIN" "$A_CID"
probe=$(p11_probe "$MODULE" ltsigd-test "$TOKEN_PIN" "$A_CID")
echo "# restored: $probe"
check "the restored key is sensitive and not extractable" \
    contains "$probe" "sensitive=1 *extractable=0 *untrusted_wrap=0x6a"

# the same credentials sign again over the CSC API
start_server "$CONF" "$WORK/serve.log" || { echo "ltsigd serve did not start"; cat "$WORK/serve.log"; echo "0 passed, 1 failed"; exit 1; }
SHA256=2.16.840.1.101.3.4.2.1
A_TOK=$(login alice alice-password-1)
sign_check() { # sign_check CID PIN SIGNALGO OTP_OFFSET NAME
    local cid=$1 h st sad
    h=$(b64hash "restored $cid")
    st=$(printf '{"credentialID":"%s","numSignatures":1,"hashes":["%s"],"hashAlgorithmOID":"%s","authData":[{"id":"PIN","value":"%s"},{"id":"OTP","value":"%s"}]}' \
        "$cid" "$h" "$SHA256" "$2" "$(totp "$A_SEC" "$4")" | api credentials/authorize - "$A_TOK")
    sad=$(jq -r '.SAD // empty' "$WORK/resp")
    [ "$st" = 200 ] || { echo "# authorize: $st $(cat "$WORK/resp")"; return 1; }
    st=$(printf '{"credentialID":"%s","SAD":"%s","hashes":["%s"],"hashAlgorithmOID":"%s","signAlgo":"%s"}' \
        "$cid" "$sad" "$h" "$SHA256" "$3" | api signatures/signHash - "$A_TOK")
    [ "$st" = 200 ] || { echo "# signHash: $st $(cat "$WORK/resp")"; return 1; }
    jq -r '.signatures[0]' "$WORK/resp" | base64 -d >"$WORK/$cid.sig"
    openssl x509 -in "$WORK/$cid.pem" -pubkey -noout >"$WORK/$cid.pub"
    printf '%s' "restored $cid" | openssl dgst -sha256 -verify "$WORK/$cid.pub" \
        -signature "$WORK/$cid.sig" >/dev/null
}
check "the restored EC credential signs again (openssl dgst -verify with its certificate)" \
    sign_check "$A_CID" 4711-alice 1.2.840.10045.4.3.2 0
check "the restored RSA credential signs again (openssl dgst -verify)" \
    sign_check "$R_CID" 4712-alice 1.2.840.113549.1.1.11 1

# the API has no backup: another user (or the owner) cannot ask for one
B_TOK=$(login bob bob-password-2)
for m in credentials/backup keys/backup credentials/export; do
    st=$(printf '{"credentialID":"%s"}' "$A_CID" | api "$m" - "$B_TOK")
    check "API $m from another user: 501, no key material" \
        bash -c "test '$st' = 501 && ! grep -q wrapped '$WORK/resp'"
done
st=$(printf '{"credentialID":"%s"}' "$A_CID" | api credentials/backup - "$A_TOK")
check "API credentials/backup from the owner: 501 too" test "$st" = 501
stop_server

# restore into a fresh database (the credential record comes from the file)
"$LTSIGD" key backup --config "$CONF" --credential "$R_CID" -o "$WORK/r2.blob" 2>"$WORK/err"
check "a restored key cannot be backed up again (not extractable), said clearly" \
    grep -q 'not extractable' "$WORK/err"
sqlite3 -cmd ".timeout 10000" "$WORK/ltsigd.db" "DELETE FROM credentials WHERE id = '$A_CID'"
p11 --delete-object --type privkey --id "$A_CID" >/dev/null
out=$("$LTSIGD" key restore --config "$CONF" -i "$WORK/a.blob")
check "restore re-registers a credential missing from the database" \
    bash -c "test '$out' = '$A_CID' && test \"\$(sqlite3 '$WORK/ltsigd.db' \"SELECT owner FROM credentials WHERE id = '$A_CID' AND chain IS NOT NULL\")\" = alice"

check "audit verify passes" "$LTSIGD" audit verify --config "$CONF"
nb=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM audit WHERE event = 'key.backup' AND status = 'ok'")
nr=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM audit WHERE event = 'key.restore' AND status = 'ok'")
nx=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM audit WHERE event = 'key.restore' AND status = 'refused'")
check "backups, restores and refused restores are in the log ($nb/$nr/$nx)" \
    test "$nb" -ge 2 -a "$nr" -ge 3 -a "$nx" -ge 4

finish
