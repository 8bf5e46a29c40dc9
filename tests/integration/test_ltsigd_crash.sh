#!/bin/bash
# ltsigd crash safety on SQLite: 4 users sign in parallel (one SAD of 50 hashes each, one
# signHash per hash: 200 requests), ltsigd is killed with SIGKILL in the middle, restarted,
# and then: the signature generation log verifies, the database passes PRAGMA
# integrity_check, and every signature a client received is in the log (matched by hash),
# so no value ever left the service without its log entry committed first.
# Port 19211 (LTSIGD_TEST_PORT overrides it).
set -u
: "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
. "$LTS_SRC/tests/integration/ltsigd_common.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ltsigd-crash.XXXXXX")
SERVER_PID=
LOOPS=()
cleanup() {
    local p
    for p in "${LOOPS[@]}"; do kill "$p" 2>/dev/null; done
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT

make_env "$WORK" "${LTSIGD_TEST_PORT:-19211}" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
SHA256=2.16.840.1.101.3.4.2.1
ECDSA256=1.2.840.10045.4.3.2
N=50
USERS="u1 u2 u3 u4"
declare -A SEC CID TOK SAD
for u in $USERS; do
    SEC[$u]=$(add_user "$u" "password-of-$u")
    CID[$u]=$(add_key "$u" ec-p256 "pin-$u" "/CN=Crash $u")
done
check "setup: 4 users with certified keys" test -n "${CID[u1]}" -a -n "${CID[u4]}"

start_server "$CONF" "$WORK/serve1.log" || { echo "ltsigd serve did not start"; echo "0 passed, 1 failed"; exit 1; }
for u in $USERS; do
    : >"$WORK/$u.hashes"
    for i in $(seq 1 $N); do openssl rand -hex 32 >>"$WORK/$u.hashes"; done
    hl=$(while read -r h; do printf '%s' "$h" | xxd -r -p | base64 -w0; echo; done <"$WORK/$u.hashes" |
        jq -R . | jq -sc .)
    TOK[$u]=$(login "$u" "password-of-$u")
    st=$(printf '{"credentialID":"%s","numSignatures":%d,"hashes":%s,"hashAlgorithmOID":"%s","authData":[{"id":"PIN","value":"pin-%s"},{"id":"OTP","value":"%s"}]}' \
        "${CID[$u]}" $N "$hl" "$SHA256" "$u" "$(totp "${SEC[$u]}" 0)" | api credentials/authorize - "${TOK[$u]}")
    SAD[$u]=$(jq -r '.SAD // empty' "$WORK/resp")
    [ "$st" = 200 ] || echo "authorize $u: $st $(cat "$WORK/resp")"
done
check "each user authorised $N hashes" test -n "${SAD[u1]}" -a -n "${SAD[u2]}" -a -n "${SAD[u3]}" -a -n "${SAD[u4]}"

# one loop per user: signHash each hash; a success is recorded (hash, value) only after
# the whole answer arrived
sign_loop() {
    local u=$1 h b64 st
    while read -r h; do
        b64=$(printf '%s' "$h" | xxd -r -p | base64 -w0)
        st=$(printf '{"credentialID":"%s","SAD":"%s","hashes":["%s"],"hashAlgorithmOID":"%s","signAlgo":"%s"}' \
            "${CID[$u]}" "${SAD[$u]}" "$b64" "$SHA256" "$ECDSA256" |
            curl -s -o "$WORK/$u.resp" -w '%{http_code}' -X POST -H "Authorization: Bearer ${TOK[$u]}" \
                -H 'Content-Type: application/json' --data-binary @- "$URL/signatures/signHash")
        if [ "$st" = 200 ] && v=$(jq -er '.signatures[0]' "$WORK/$u.resp" 2>/dev/null); then
            echo "$h $v" >>"$WORK/$u.seen"
        fi
    done <"$WORK/$u.hashes"
}
for u in $USERS; do
    : >"$WORK/$u.seen"
    sign_loop "$u" &
    LOOPS+=($!)
done
# kill -9 once about a third of the 200 requests succeeded
for i in $(seq 1 300); do
    n=$(cat "$WORK"/u?.seen | wc -l)
    [ "$n" -ge 60 ] && break
    sleep 0.05
done
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
for p in "${LOOPS[@]}"; do wait "$p" 2>/dev/null; done
LOOPS=()
seen=$(cat "$WORK"/u?.seen | wc -l)
echo "# signatures seen by the clients before the crash: $seen"
check "the clients saw signatures succeed before the kill" test "$seen" -ge 1
check "the kill interrupted the run (not every hash was signed)" test "$seen" -lt $((4 * N))

# ltsigd starts again on the same database and token
start_server "$CONF" "$WORK/serve2.log"
check "ltsigd restarts after SIGKILL" test -n "$SERVER_PID"
st=$(curl -s -o /dev/null -w '%{http_code}' "$URL/info")
check "the restarted service answers" test "$st" = 200
stop_server
check "audit verify passes after the crash" "$LTSIGD" audit verify --config "$CONF"
ic=$(sqlite3 "$WORK/ltsigd.db" "PRAGMA integrity_check")
check "PRAGMA integrity_check: ok" test "$ic" = ok

# every value a client received has its signature entry in the log
sqlite3 "$WORK/ltsigd.db" "SELECT detail FROM audit WHERE event = 'signatures/signHash' AND status = 'ok'" |
    awk '{print $2}' | sort >"$WORK/logged"
cut -d' ' -f1 "$WORK"/u?.seen | sort >"$WORK/seen"
missing=$(comm -23 "$WORK/seen" "$WORK/logged" | wc -l)
check "every signature a client saw is in the log ($seen seen, $missing missing)" test "$missing" -eq 0
# and each recorded value is a real signature over its hash by that user's key
badv=0
for u in $USERS; do
    openssl x509 -in "$WORK/${CID[$u]}.pem" -pubkey -noout >"$WORK/$u.pub"
    while read -r h v; do
        printf '%s' "$h" | xxd -r -p >"$WORK/h.bin"
        printf '%s' "$v" | base64 -d >"$WORK/s.bin"
        openssl pkeyutl -verify -pubin -inkey "$WORK/$u.pub" -in "$WORK/h.bin" \
            -sigfile "$WORK/s.bin" >/dev/null 2>&1 || badv=$((badv + 1))
    done <"$WORK/$u.seen"
done
check "every recorded value verifies with openssl pkeyutl against the certificate" test "$badv" -eq 0
# a hash signed once is never signed twice, even across the crash
dups=$(sort "$WORK/logged" | uniq -d | wc -l)
check "no hash has two signature entries" test "$dups" -eq 0

finish
