#!/bin/bash
# ltsigd time-stamp anchors of the signature generation log: with tsa_url set, the running
# service time-stamps the head hash every audit_anchor_every entries or
# audit_anchor_seconds, and once more when it stops; each anchor's token is checked with
# `openssl ts -verify -digest <head hash>` against the test PKI, `ltsigd audit verify`
# counts the anchors it checked, and a tampered anchor is reported.
# Uses its own `ltsig tsa-serve` on port 19213; ltsigd on 19212.
set -u
: "${LTS_TEST_PKI:?}" "${LTS_SRC:?}" "${LTSIG:?}"
. "$LTS_SRC/tests/integration/ltsigd_common.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ltsigd-anchor.XXXXXX")
SERVER_PID=
TSA_PID=
cleanup() {
    stop_server
    [ -n "$TSA_PID" ] && kill "$TSA_PID" 2>/dev/null && wait "$TSA_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

TSA_PORT=${LTSIGD_TEST_TSA_PORT:-19213}
"$LTSIG" tsa-serve --signer "file:$LTS_TEST_PKI/tsa.p12" --passin pass:test1234 \
    --port "$TSA_PORT" 2>"$WORK/tsa.log" &
TSA_PID=$!
for i in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$TSA_PORT") 2>/dev/null && break
    sleep 0.1
done

make_env "$WORK" "${LTSIGD_TEST_PORT:-19212}" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
cat >>"$CONF" <<EOF
tsa_url = http://127.0.0.1:$TSA_PORT/
audit_anchor_every = 5
audit_anchor_seconds = 3
EOF
SEC=$(add_user alice alice-password-1)
check "setup" test -n "$SEC"

start_server "$CONF" "$WORK/serve.log" || { echo "ltsigd serve did not start"; cat "$WORK/serve.log"; echo "0 passed, 1 failed"; exit 1; }
# 12 logins (12 entries) then a quiet period longer than audit_anchor_seconds
for i in $(seq 1 12); do login alice alice-password-1 >/dev/null; done
sleep 2
for i in $(seq 1 3); do login alice alice-password-1 >/dev/null; done
sleep 5
stop_server
check "ltsigd stopped cleanly" test "$SERVER_RC" = 0

nanch=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM audit WHERE event = 'audit.anchor'")
check "the service wrote anchors ($nanch)" test "$nanch" -ge 3
lastev=$(sqlite3 "$WORK/ltsigd.db" "SELECT event FROM audit ORDER BY seq DESC LIMIT 1")
check "the last entry of the log is an anchor (made at stop)" test "$lastev" = audit.anchor
out=$("$LTSIGD" audit verify --config "$CONF")
echo "# $out"
check "audit verify passes and says how many anchors it checked" \
    contains "$out" "intact* $nanch time-stamp anchors checked"

# every anchor with openssl: the token's imprint is the hash of the entry it names
nok=0
nbad=0
while IFS='|' read -r seq detail; do
    read -r aseq ahash atok <<<"$detail"
    printf '%s' "$atok" | base64 -d >"$WORK/a$seq.tst"
    stored=$(sqlite3 "$WORK/ltsigd.db" "SELECT hash FROM audit WHERE seq = $aseq")
    if [ "$stored" = "$ahash" ] && openssl ts -verify -digest "$ahash" -in "$WORK/a$seq.tst" \
        -token_in -CAfile "$LTS_TEST_PKI/root.pem" -untrusted "$LTS_TEST_PKI/tsa-chain.pem" \
        >/dev/null 2>&1; then
        nok=$((nok + 1))
    else
        nbad=$((nbad + 1))
    fi
done < <(sqlite3 "$WORK/ltsigd.db" "SELECT seq, detail FROM audit WHERE event = 'audit.anchor' ORDER BY seq")
check "each anchor token verifies with openssl ts -verify -digest over the entry's hash ($nok ok)" \
    test "$nok" = "$nanch" -a "$nbad" = 0
first=$(sqlite3 "$WORK/ltsigd.db" "SELECT min(seq) FROM audit WHERE event = 'audit.anchor'")
read -r _ fhash _ <<<"$(sqlite3 "$WORK/ltsigd.db" "SELECT detail FROM audit WHERE seq = $first")"
other=$(sqlite3 "$WORK/ltsigd.db" "SELECT hash FROM audit WHERE seq = 1")
[ "$other" = "$fhash" ] && other=$(sqlite3 "$WORK/ltsigd.db" "SELECT hash FROM audit WHERE seq = 2")
check "openssl ts -verify refuses an anchor token against another hash" \
    bash -c "! openssl ts -verify -digest '$other' -in '$WORK/a$first.tst' -token_in -CAfile '$LTS_TEST_PKI/root.pem' -untrusted '$LTS_TEST_PKI/tsa-chain.pem' >/dev/null 2>&1"
check "no anchor while nothing new is logged (idle: at most one per quiet period)" \
    test "$nanch" -le 5
# tampering: an anchor naming another entry, recomputing its hash and every later hash (an
# insider rewriting the chain) is still caught by the token
cp "$WORK/ltsigd.db" "$WORK/orig.db"
python3 - "$WORK/ltsigd.db" "$first" <<'EOF'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); first = int(sys.argv[2])
rows = db.execute("SELECT seq, ts, event, actor, credential, status, detail, prev, hash FROM audit ORDER BY seq").fetchall()
d = rows[first - 1][6].split(" ")
d[0] = str(int(d[0]) - 1)
d[1] = rows[int(d[0]) - 1][8]
prev = bytes(32)
for r in rows:
    r = list(r)
    if r[0] == first:
        r[6] = " ".join(d)
    canon = b"".join(b"%d:%s," % (len(str(x).encode()), str(x).encode()) for x in r[:7])
    h = hashlib.sha256(prev + canon).hexdigest()
    db.execute("UPDATE audit SET detail = ?, prev = ?, hash = ? WHERE seq = ?", (r[6], prev.hex(), h, r[0]))
    prev = bytes.fromhex(h)
db.execute("UPDATE audit_head SET hash = ? WHERE id = 1", (prev.hex(),))
db.commit()
EOF
err=$("$LTSIGD" audit verify --config "$CONF" 2>&1)
check "an anchor moved to another entry (chain recomputed) is refused, naming the entry" \
    contains "$err" "entry $first: anchor"
echo "# $err"
cp "$WORK/orig.db" "$WORK/ltsigd.db"
rm -f "$WORK/ltsigd.db-wal" "$WORK/ltsigd.db-shm"
# an edit of an early entry with the whole chain recomputed: the chain verifies, the anchor
# over the old head does not
python3 - "$WORK/ltsigd.db" <<'EOF'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT seq, ts, event, actor, credential, status, detail, prev, hash FROM audit ORDER BY seq").fetchall()
prev = bytes(32)
for r in rows:
    r = list(r)
    if r[0] == 2:
        r[3] = "mallory"
    canon = b"".join(b"%d:%s," % (len(str(x).encode()), str(x).encode()) for x in r[:7])
    h = hashlib.sha256(prev + canon).hexdigest()
    db.execute("UPDATE audit SET actor = ?, prev = ?, hash = ? WHERE seq = ?", (r[3], prev.hex(), h, r[0]))
    prev = bytes.fromhex(h)
db.execute("UPDATE audit_head SET hash = ? WHERE id = 1", (prev.hex(),))
db.commit()
EOF
err=$("$LTSIGD" audit verify --config "$CONF" 2>&1)
echo "# $err"
check "an early entry edited with every hash recomputed is caught by the first anchor" \
    contains "$err" "entry $first: anchor: the time-stamped head hash is not the hash of that entry"
cp "$WORK/orig.db" "$WORK/ltsigd.db"
# a token with one byte of its messageImprint changed
python3 - "$WORK/ltsigd.db" "$first" <<'EOF'
import base64, hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); first = int(sys.argv[2])
rows = db.execute("SELECT seq, ts, event, actor, credential, status, detail, prev, hash FROM audit ORDER BY seq").fetchall()
prev = bytes(32)
for r in rows:
    r = list(r)
    if r[0] == first:
        s, h0, t = r[6].split(" ")
        b = bytearray(base64.b64decode(t)); i = b.find(bytes.fromhex(h0)); b[i + 5] ^= 1
        r[6] = " ".join([s, h0, base64.b64encode(bytes(b)).decode()])
    canon = b"".join(b"%d:%s," % (len(str(x).encode()), str(x).encode()) for x in r[:7])
    h = hashlib.sha256(prev + canon).hexdigest()
    db.execute("UPDATE audit SET detail = ?, prev = ?, hash = ? WHERE seq = ?", (r[6], prev.hex(), h, r[0]))
    prev = bytes.fromhex(h)
db.execute("UPDATE audit_head SET hash = ? WHERE id = 1", (prev.hex(),))
db.commit()
EOF
err=$("$LTSIGD" audit verify --config "$CONF" 2>&1)
echo "# $err"
check "an anchor whose token was altered is refused" \
    contains "$err" "entry $first: anchor: its time-stamp token is invalid"
cp "$WORK/orig.db" "$WORK/ltsigd.db"

# without a TSA the service still runs and logs the failure; no anchor is written
kill "$TSA_PID" 2>/dev/null
wait "$TSA_PID" 2>/dev/null
TSA_PID=
start_server "$CONF" "$WORK/serve2.log"
login alice alice-password-1 >/dev/null
sleep 4
stop_server
n2=$(sqlite3 "$WORK/ltsigd.db" "SELECT count(*) FROM audit WHERE event = 'audit.anchor'")
check "TSA down: the service keeps running, no anchor added" test "$SERVER_RC" = 0 -a "$n2" = "$nanch"
check "TSA down: the failure is in the service log" grep -q '"audit.anchor"' "$WORK/serve2.log"
check "audit verify still passes" "$LTSIGD" audit verify --config "$CONF"

# ltsigd audit anchor: the entries written while no service ran are anchored on demand
"$LTSIGD" user add --config "$CONF" --user zed --password-file "$WORK/alice.pw" >/dev/null
check "audit anchor with the TSA down fails" \
    bash -c "! '$LTSIGD' audit anchor --config '$CONF' >/dev/null 2>&1"
"$LTSIG" tsa-serve --signer "file:$LTS_TEST_PKI/tsa.p12" --passin pass:test1234 \
    --port "$TSA_PORT" 2>"$WORK/tsa2.log" &
TSA_PID=$!
for i in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$TSA_PORT") 2>/dev/null && break
    sleep 0.1
done
out=$("$LTSIGD" audit anchor --config "$CONF")
check "audit anchor with the TSA up: the head is time-stamped" contains "$out" "head of the log time-stamped"
out=$("$LTSIGD" audit anchor --config "$CONF")
check "a second audit anchor: nothing to anchor" contains "$out" "nothing to anchor"
lastev=$(sqlite3 "$WORK/ltsigd.db" "SELECT event FROM audit ORDER BY seq DESC LIMIT 1")
out=$("$LTSIGD" audit verify --config "$CONF")
check "the on-demand anchor is the newest entry" test "$lastev" = audit.anchor
check "... and audit verify checks it too" contains "$out" "intact* $((n2 + 1)) time-stamp anchors checked"

# configuration: bad values are refused
sed 's/^audit_anchor_every = 5/audit_anchor_every = 0/' "$CONF" >"$WORK/bad.conf"
check "audit_anchor_every = 0 is refused naming the line" \
    bash -c "'$LTSIGD' audit verify --config '$WORK/bad.conf' 2>&1 | grep -q 'bad.conf:.*audit_anchor_every'"

finish
