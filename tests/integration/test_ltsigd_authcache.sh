#!/bin/bash
# signHash checks the access token, the credential and the SAD from memory
# (backend/server/authcache.c), and its group-commit job decides again in the database.
# Here every change that must stop a signature is made from ANOTHER process (the admin
# command `ltsigd user lock`, or sqlite3 on the database) while a session is warm, and the
# next signHash must be refused with the same answer as without a cache, no value leaving
# and nothing logged as signed:
#   round 1: auth_cache_ms = 60000, so the request path keeps trusting its cache and only
#            the job (auth_gen moved -> token and credential read again) can refuse;
#   round 2: the default (50 ms), after a short pause, so the request path sees it first.
# Also: the lock/unlock admin commands, isolation between users through the cache, and
# that the log holds one "ok" entry per value returned, its chain intact.
# Port 18812 (LTSIGD_TEST_PORT overrides it).
set -u
: "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
. "$LTS_SRC/tests/integration/ltsigd_common.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ltsigd-authcache.XXXXXX")
SERVER_PID=
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

make_env "$WORK" "${LTSIGD_TEST_PORT:-18812}" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
LOG=$WORK/serve.log
SHA256=2.16.840.1.101.3.4.2.1
RSA=1.2.840.113549.1.1.1
authz() { # authz TOKEN CID PIN OTP NUM HASHES_JSON
    printf '{"credentialID":"%s","numSignatures":%s,"hashes":%s,"hashAlgorithmOID":"%s","authData":[{"id":"PIN","value":"%s"},{"id":"OTP","value":"%s"}]}' \
        "$2" "$5" "$6" "$SHA256" "$3" "$4" | api credentials/authorize - "$1"
}
signh() { # signh TOKEN CID SAD HASHES_JSON
    printf '{"credentialID":"%s","SAD":"%s","hashes":%s,"hashAlgorithmOID":"%s","signAlgo":"%s"}' \
        "$2" "$3" "$4" "$SHA256" "$RSA" | api signatures/signHash - "$1"
}
desc() { jq -r '.error_description // empty' "$WORK/resp"; }
err() { jq -r '.error // empty' "$WORK/resp"; }
nsigs() { jq -r '.signatures | length' "$WORK/resp" 2>/dev/null; }
hexof() { printf '%s' "$1" | base64 -d | od -An -tx1 | tr -d ' \n'; }
RETURNED=0 # values returned by signHash over the whole test

# one user, key and certificate per scenario (a TOTP code is accepted once per user)
declare -A SEC CID PW
for u in ann ben cid dan eve fay gil; do
    PW[$u]="$u-password-1"
    SEC[$u]=$(add_user "$u" "${PW[$u]}")
    CID[$u]=$(add_key "$u" rsa2048 "4700-$u" "/CN=$u Test")
done
check "setup: seven users with keys and certificates" test ${#CID[gil]} -eq 32 -a -n "${SEC[ann]}"

# ---- the admin commands ------------------------------------------------------------------
check "user lock of an unknown user fails and names it" \
    bash -c "'$LTSIGD' user lock --config '$CONF' --user nobody 2>&1 >/dev/null | grep -q \"no user 'nobody'\""
check "user lock of an unknown credential fails" \
    bash -c "! '$LTSIGD' user lock --config '$CONF' --credential 00 2>/dev/null"
check "user lock needs a user or a credential" \
    bash -c "'$LTSIGD' user lock --config '$CONF' >/dev/null 2>&1; test \$? -eq 2"

# session USER: login, authorize 4 hashes of "USER-i", sign H[0] and H[1]: the second
# request is checked at the generation the first one's job saw (the changes of the scenario
# before are then behind it), so the cache holds this token, credential and SAD at the
# current generation and a change made now is seen by the next request only through its
# job (round 1). Sets TOK, SAD and H[0..4); the scenario uses H[2].
session() {
    local u=$1 n=4 i list=
    H=()
    for i in $(seq 0 $((n - 1))); do
        H[$i]=$(b64hash "$u-$ROUND-$i")
        list="$list${list:+,}\"${H[$i]}\""
    done
    TOK=$(login "$u" "${PW[$u]}")
    local st
    st=$(authz "$TOK" "${CID[$u]}" "4700-$u" "$(totp "${SEC[$u]}" "$ROUND_STEP")" "$n" "[$list]")
    SAD=$(jq -r '.SAD // empty' "$WORK/resp")
    for i in 0 1; do
        st=$(signh "$TOK" "${CID[$u]}" "$SAD" "[\"${H[$i]}\"]")
        [ "$st" = 200 ] || return 1
        RETURNED=$((RETURNED + 1))
    done
    [ -n "$SAD" ]
}

# refused NAME STATUS ERROR DESCRIPTION -- signh args: the request is refused with exactly
# that answer, no signature in the body, and the hash is not in the log as signed
refused() {
    local name=$1 want_st=$2 want_err=$3 want_desc=$4
    shift 4
    local st hex
    st=$(signh "$@")
    hex=$(hexof "$(jq -r '.[0]' <<<"$4")")
    local logged
    logged=$(sql "SELECT COUNT(*) FROM audit WHERE event = 'signatures/signHash' AND status = 'ok' AND detail LIKE '%$hex'")
    check "$name: $want_st $want_err \"$want_desc\"" test "$st" = "$want_st" -a "$(err)" = "$want_err" \
        -a "$(desc)" = "$want_desc" -a "$(nsigs)" != 1 -a "$logged" = 0
}

signs() { # signs NAME -- signh args
    local name=$1 st
    shift
    st=$(signh "$@")
    [ "$st" = 200 ] && RETURNED=$((RETURNED + 1))
    check "$name" test "$st" = 200 -a "$(nsigs)" = 1
}

for ROUND in 1 2; do
    if [ $ROUND = 1 ]; then
        echo "auth_cache_ms = 60000" >>"$CONF"
        ROUND_STEP=0
        pause() { :; }
        what="job decides (auth_cache_ms 60000)"
    else
        sed -i '/^auth_cache_ms/d' "$CONF"
        ROUND_STEP=1
        pause() { sleep 0.2; }
        what="default auth_cache_ms"
    fi
    start_server "$CONF" "$LOG.$ROUND" || { bad "ltsigd serve did not start"; cat "$LOG.$ROUND"; break; }

    # a credential locked by the admin command, then unlocked: nothing consumed meanwhile
    check "[$what] ann: warm session" session ann
    "$LTSIGD" user lock --config "$CONF" --credential "${CID[ann]}" && pause
    refused "[$what] credential locked from another process" 400 invalid_request "Credential locked" \
        "$TOK" "${CID[ann]}" "$SAD" "[\"${H[2]}\"]"
    "$LTSIGD" user unlock --config "$CONF" --credential "${CID[ann]}" && pause
    signs "[$what] unlocked: the same SAD signs the hash the refusal did not consume" \
        "$TOK" "${CID[ann]}" "$SAD" "[\"${H[2]}\"]"

    # the account locked
    check "[$what] ben: warm session" session ben
    "$LTSIGD" user lock --config "$CONF" --user ben && pause
    refused "[$what] user locked from another process" 401 invalid_token "The account is locked" \
        "$TOK" "${CID[ben]}" "$SAD" "[\"${H[2]}\"]"
    "$LTSIGD" user unlock --config "$CONF" --user ben

    # the access token revoked in the database by another program
    check "[$what] cid: warm session" session cid
    sql "UPDATE tokens SET revoked = 1 WHERE hash = '$(sha256hex "$TOK")'" && pause
    refused "[$what] token revoked in the database" 401 invalid_token "Invalid or revoked access token" \
        "$TOK" "${CID[cid]}" "$SAD" "[\"${H[2]}\"]"

    # the credential's certificate removed
    check "[$what] dan: warm session" session dan
    sql "UPDATE credentials SET chain = NULL WHERE id = '${CID[dan]}'" && pause
    refused "[$what] certificate removed in the database" 400 invalid_request \
        "The credential has no certificate yet" "$TOK" "${CID[dan]}" "$SAD" "[\"${H[2]}\"]"
    "$LTSIGD" key cert --config "$CONF" --credential "${CID[dan]}" --chain "$WORK/${CID[dan]}-chain.pem"

    # the credential handed to another user (owner changed in the database)
    check "[$what] eve: warm session" session eve
    sql "UPDATE credentials SET owner = 'fay' WHERE id = '${CID[eve]}'" && pause
    refused "[$what] credential no longer the caller's" 400 invalid_request \
        "Invalid parameter credentialID" "$TOK" "${CID[eve]}" "$SAD" "[\"${H[2]}\"]"
    sql "UPDATE credentials SET owner = 'eve' WHERE id = '${CID[eve]}'"

    # isolation through the cache: fay's token with gil's cached credential and SAD
    FAY_TOK=$(login fay "${PW[fay]}")
    check "[$what] gil: warm session" session gil
    GIL_TOK=$TOK GIL_SAD=$SAD GIL_H2=${H[2]}
    refused "[$what] another user's cached credential" 400 invalid_request \
        "Invalid parameter credentialID" "$FAY_TOK" "${CID[gil]}" "$GIL_SAD" "[\"$GIL_H2\"]"
    check "[$what] fay: warm session" session fay
    refused "[$what] another user's cached SAD" 400 invalid_request "Invalid parameter SAD" \
        "$TOK" "${CID[fay]}" "$GIL_SAD" "[\"$GIL_H2\"]"
    signs "[$what] gil still signs with his SAD" "$GIL_TOK" "${CID[gil]}" "$GIL_SAD" \
        "[\"$GIL_H2\"]"

    stop_server
    check "[$what] ltsigd stopped cleanly" test "${SERVER_RC:-1}" = 0
done

# ---- the log -----------------------------------------------------------------------------
logged=$(sql "SELECT COUNT(*) FROM audit WHERE event = 'signatures/signHash' AND status = 'ok'")
check "the log has one ok entry per value returned ($RETURNED)" test "$logged" = "$RETURNED"
check "ltsigd audit verify: the chain is intact" "$LTSIGD" audit verify --config "$CONF"
check "the lock and unlock commands are in the log" \
    test "$(sql "SELECT COUNT(*) FROM audit WHERE event IN ('credential.lock', 'user.lock', 'credential.unlock', 'user.unlock')")" = 8

finish
