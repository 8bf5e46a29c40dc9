#!/bin/bash
# ltsigd group commit (backend/server/db.c srv_db_group): concurrent signHash requests
# share one transaction and one flush, and still
#  - a SAD hash signs once: 16 requests racing for the one hash of a SAD -> exactly one
#    value, the others refused; 24 requests for 12 hashes (each asked twice) -> 12 values,
#    each hash once;
#  - requests for different hashes of one SAD all succeed, and every value verifies
#    (openssl pkeyutl) against the certificate;
#  - a refused request in a group does not undo the others (the savepoint per job);
#  - the log holds exactly one entry per value returned and `audit verify` passes;
#  - the service reports how many commits the jobs shared (the "stopped" log line);
#  - a key deleted and restored (new PKCS#11 handle) while the service runs still signs
#    (the cached handle fails with CKR_OBJECT_HANDLE_INVALID and is looked up again).
# Port 19451 (LTSIGD_TEST_PORT overrides it).
set -u
: "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
. "$LTS_SRC/tests/integration/ltsigd_common.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ltsigd-group.XXXXXX")
SERVER_PID=
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

make_env "$WORK" "${LTSIGD_TEST_PORT:-19451}" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
# enough HTTP workers that many requests are in the server at once
echo "threads = 16" >>"$CONF"
SHA256=2.16.840.1.101.3.4.2.1
ECDSA256=1.2.840.10045.4.3.2
declare -A SEC CID TOK
for u in g1 g2 g3; do
    SEC[$u]=$(add_user "$u" "password-of-$u")
    CID[$u]=$(add_key "$u" ec-p256 "pin-$u" "/CN=Group $u")
done
check "setup: 3 users with certified keys" test -n "${CID[g1]}" -a -n "${CID[g2]}" -a -n "${CID[g3]}"
# a backup key, for the stale-key-handle case at the end
(umask 077 && echo 55115511 >"$WORK/so.pin")
echo "token_so_pin_file = $WORK/so.pin" >>"$CONF"
"$LTSIGD" init --config "$CONF" >/dev/null
start_server "$CONF" "$WORK/serve.log" || { echo "ltsigd serve did not start"; cat "$WORK/serve.log"; echo "0 passed, 1 failed"; exit 1; }

# authorize USER HEXFILE -> prints the SAD for every hash of HEXFILE (one hex per line)
authorize() {
    local u=$1 hl n st
    hl=$(while read -r h; do printf '%s' "$h" | xxd -r -p | base64 -w0; echo; done <"$2" | jq -R . | jq -sc .)
    n=$(wc -l <"$2")
    st=$(printf '{"credentialID":"%s","numSignatures":%d,"hashes":%s,"hashAlgorithmOID":"%s","authData":[{"id":"PIN","value":"pin-%s"},{"id":"OTP","value":"%s"}]}' \
        "${CID[$u]}" "$n" "$hl" "$SHA256" "$u" "$(totp "${SEC[$u]}" 0)" | api credentials/authorize - "${TOK[$u]}")
    [ "$st" = 200 ] || echo "authorize $u: $st $(cat "$WORK/resp")" >&2
    jq -r '.SAD // empty' "$WORK/resp"
}
# race USER SAD NAME HEX...: one signHash per HEX, all started at once; each answer goes
# to $WORK/NAME.<i>.{st,body}
race() {
    local u=$1 sad=$2 name=$3 i=0 h
    shift 3
    for h in "$@"; do
        i=$((i + 1))
        printf '{"credentialID":"%s","SAD":"%s","hashes":["%s"],"hashAlgorithmOID":"%s","signAlgo":"%s"}' \
            "${CID[$u]}" "$sad" "$(printf '%s' "$h" | xxd -r -p | base64 -w0)" "$SHA256" "$ECDSA256" \
            >"$WORK/$name.$i.req"
    done
    local pids=()
    for i in $(seq 1 $#); do
        curl -s -o "$WORK/$name.$i.body" -w '%{http_code}' -X POST \
            -H "Authorization: Bearer ${TOK[$u]}" -H 'Content-Type: application/json' \
            --data-binary "@$WORK/$name.$i.req" "$URL/signatures/signHash" >"$WORK/$name.$i.st" &
        pids+=($!)
    done
    wait "${pids[@]}" # not a bare wait: the server is a child too
}
count_status() { # count_status NAME CODE: how many answers of the race had HTTP status CODE
    local f n=0
    for f in "$WORK/$1".*.st; do [ "$(cat "$f")" = "$2" ] && n=$((n + 1)); done
    echo "$n"
}
# seen NAME HEX...: "hex value" of every 200 answer, in $WORK/NAME.seen
seen() {
    local name=$1 i=0 h
    shift
    : >"$WORK/$name.seen"
    for h in "$@"; do
        i=$((i + 1))
        if [ "$(cat "$WORK/$name.$i.st")" = 200 ]; then
            echo "$h $(jq -r '.signatures[0]' "$WORK/$name.$i.body")" >>"$WORK/$name.seen"
        fi
    done
}
verify_seen() { # verify_seen USER NAME -> number of values that do NOT verify
    local u=$1 bad=0 h v
    openssl x509 -in "$WORK/${CID[$u]}.pem" -pubkey -noout >"$WORK/$u.pub"
    while read -r h v; do
        printf '%s' "$h" | xxd -r -p >"$WORK/h.bin"
        printf '%s' "$v" | base64 -d >"$WORK/s.bin"
        openssl pkeyutl -verify -pubin -inkey "$WORK/$u.pub" -in "$WORK/h.bin" \
            -sigfile "$WORK/s.bin" >/dev/null 2>&1 || bad=$((bad + 1))
    done <"$WORK/$2.seen"
    echo "$bad"
}
for u in g1 g2 g3; do TOK[$u]=$(login "$u" "password-of-$u"); done
check "login of the 3 users" test ${#TOK[g1]} -eq 43 -a ${#TOK[g2]} -eq 43 -a ${#TOK[g3]} -eq 43

# 1. 16 requests race for the single hash of a SAD: one value, 15 refusals
openssl rand -hex 32 >"$WORK/one.hex"
SAD1=$(authorize g1 "$WORK/one.hex")
H=$(cat "$WORK/one.hex")
args=()
for i in $(seq 1 16); do args+=("$H"); done
race g1 "$SAD1" one "${args[@]}"
n200=$(count_status one 200)
n400=$(count_status one 400)
check "16 racing requests for one authorised hash: exactly one value ($n200), 15 refused ($n400)" \
    test "$n200" = 1 -a "$n400" = 15
seen one "${args[@]}"
check "the one value verifies" test "$(verify_seen g1 one)" = 0
reasons=$(cat "$WORK"/one.*.body | jq -r 'select(.error) | .error_description' | sort -u | tr '\n' '|')
check "the refusals name the spent SAD or hash ($reasons)" \
    bash -c "[[ '$reasons' =~ ^((Hash\ is\ not\ authorized\ by\ the\ SAD|The\ SAD\ has\ been\ used\ for\ every\ signature\ it\ authorised)\\|)+\$ ]]"

# 2. 24 requests for 12 hashes, each hash asked twice at once: 12 values, each hash once
: >"$WORK/twelve.hex"
for i in $(seq 1 12); do openssl rand -hex 32 >>"$WORK/twelve.hex"; done
SAD2=$(authorize g2 "$WORK/twelve.hex")
mapfile -t T <"$WORK/twelve.hex"
race g2 "$SAD2" twice "${T[@]}" "${T[@]}"
n200=$(count_status twice 200)
check "24 requests for 12 hashes (each twice): 12 values ($n200)" test "$n200" = 12
seen twice "${T[@]}" "${T[@]}"
check "each of the 12 hashes was signed exactly once" \
    test "$(cut -d' ' -f1 "$WORK/twice.seen" | sort -u | wc -l)" = 12 -a "$(wc -l <"$WORK/twice.seen")" = 12
check "the 12 values verify" test "$(verify_seen g2 twice)" = 0

# 3. 20 different hashes of one SAD, 20 requests at once, mixed with 4 requests carrying
#    a hash the SAD does not hold (refused inside the same groups): the 20 all succeed
: >"$WORK/twenty.hex"
for i in $(seq 1 20); do openssl rand -hex 32 >>"$WORK/twenty.hex"; done
SAD3=$(authorize g3 "$WORK/twenty.hex")
mapfile -t W <"$WORK/twenty.hex"
X=()
for i in 1 2 3 4; do X+=("$(openssl rand -hex 32)"); done
race g3 "$SAD3" mixed "${W[@]:0:5}" "${X[0]}" "${W[@]:5:5}" "${X[1]}" "${W[@]:10:5}" "${X[2]}" \
    "${W[@]:15:5}" "${X[3]}"
ALL=("${W[@]:0:5}" "${X[0]}" "${W[@]:5:5}" "${X[1]}" "${W[@]:10:5}" "${X[2]}" "${W[@]:15:5}" "${X[3]}")
seen mixed "${ALL[@]}"
n200=$(count_status mixed 200)
n400=$(count_status mixed 400)
check "20 authorised hashes signed at once beside 4 unauthorised ones: 20 values ($n200), 4 refused ($n400)" \
    test "$n200" = 20 -a "$n400" = 4
check "the values are for the 20 authorised hashes" \
    test "$(cut -d' ' -f1 "$WORK/mixed.seen" | sort | comm -3 - <(printf '%s\n' "${W[@]}" | sort) | wc -l)" = 0
check "the 20 values verify" test "$(verify_seen g3 mixed)" = 0
left=$(sql "SELECT count(*) FROM sad_hashes WHERE sad = '$(sha256hex "$SAD3")'")
check "the SAD has no hash left" test "$left" = 0

# 4. the service keeps private-key handles; the key of g1 (used above) is deleted from the
#    token and restored from a backup by another process while the service runs (a new
#    object, a new handle): the next signHash must look the key up again and succeed
"$LTSIGD" key backup --config "$CONF" --credential "${CID[g1]}" -o "$WORK/g1.blob"
pkcs11-tool --module "$MODULE" --token-label ltsigd-test --login --pin "$TOKEN_PIN" \
    --delete-object --type privkey --id "${CID[g1]}" >/dev/null 2>&1
rest=$("$LTSIGD" key restore --config "$CONF" -i "$WORK/g1.blob")
check "g1's key deleted and restored while the service runs" test "$rest" = "${CID[g1]}"
openssl rand -hex 32 >"$WORK/again.hex"
hl=$(printf '%s' "$(cat "$WORK/again.hex")" | xxd -r -p | base64 -w0)
# (the TOTP step used for race 1 is spent: offset +1, the next one)
st=$(printf '{"credentialID":"%s","numSignatures":1,"hashes":["%s"],"hashAlgorithmOID":"%s","authData":[{"id":"PIN","value":"pin-g1"},{"id":"OTP","value":"%s"}]}' \
    "${CID[g1]}" "$hl" "$SHA256" "$(totp "${SEC[g1]}" 1)" | api credentials/authorize - "${TOK[g1]}")
SAD4=$(jq -r '.SAD // empty' "$WORK/resp")
race g1 "$SAD4" again "$(cat "$WORK/again.hex")"
seen again "$(cat "$WORK/again.hex")"
check "signHash with the restored key (new handle) succeeds and verifies" \
    test "$(count_status again 200)" = 1 -a "$(verify_seen g1 again)" = 0

stop_server
check "SIGTERM: exit 0" test "${SERVER_RC:-1}" = 0

# the log: one ok entry per value returned, none for a dropped value, chain intact
cat "$WORK"/one.seen "$WORK"/twice.seen "$WORK"/mixed.seen "$WORK"/again.seen | cut -d' ' -f1 | sort >"$WORK/returned"
sqlite3 "$WORK/ltsigd.db" "SELECT detail FROM audit WHERE event = 'signatures/signHash' AND status = 'ok'" |
    awk '{print $2}' | sort >"$WORK/logged"
check "the log holds exactly the values returned ($(wc -l <"$WORK/returned") returned, $(wc -l <"$WORK/logged") logged)" \
    cmp -s "$WORK/returned" "$WORK/logged"
nref=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM audit WHERE event = 'signatures/signHash' AND status = 'refused'")
check "every refusal is logged (15 + 12 + 4 = 31: $nref)" test "$nref" = 31
check "audit verify passes" "$LTSIGD" audit verify --config "$CONF"
stats=$(grep '"event":"stopped"' "$WORK/serve.log" | tail -1)
gc=$(jq -r '.group_commits // empty' <<<"$stats")
gj=$(jq -r '.group_jobs // empty' <<<"$stats")
echo "# group commits: $gc for $gj signHash jobs"
# a job per request that passed the check before signing: the 34 values and the racers
# refused inside the transaction
check "the service reports its group commits (0 < commits <= jobs, 34 <= jobs <= 61)" \
    bash -c "[ -n '$gc' ] && [ '$gc' -gt 0 ] && [ '$gj' -ge '$gc' ] && [ '$gj' -ge 34 ] && [ '$gj' -le 61 ]"

finish
