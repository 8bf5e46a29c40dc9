#!/bin/bash
# ltsigd administration: configuration errors, token checks, key commands (EC P-384 CSR,
# bad subjects, wrong chains), the signature generation log (audit verify after an entry
# is edited, deleted or reordered), TLS serving, and SIGTERM finishing a request in flight.
# Ports 18802 (plain) and 18803 (TLS).
set -u
: "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
. "$LTS_SRC/tests/integration/ltsigd_common.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ltsigd-admin.XXXXXX")
SERVER_PID=
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

make_env "$WORK" 18802 || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

# ---- configuration ------------------------------------------------------------------------
conf_err() { # conf_err NAME EXPECTED_TEXT <<< extra config lines (replacing the base)
    local f=$WORK/bad.conf
    cat >"$f"
    if "$LTSIGD" init --config "$f" >/dev/null 2>"$WORK/err"; then
        bad "$1 (accepted)"
    elif grep -qF -- "$2" "$WORK/err"; then
        ok "$1"
    else
        bad "$1: $(cat "$WORK/err")"
    fi
}
base() { grep -v -e "^$1" "$CONF"; }
{ base listen; echo "listne = 127.0.0.1:1"; } | conf_err "unknown key named with file:line" "bad.conf:"
{ base database; } | conf_err "missing database" "'database' is required"
{ base listen; echo "listen = 192.0.2.1:18810"; } | conf_err "non-loopback listen without TLS" "tls_cert"
{ base listen; echo "listen = 127.0.0.1"; } | conf_err "listen without a port" "host:port"
{ cat "$CONF"; echo "token_ttl = forever"; } | conf_err "bad number" "'token_ttl' must be a number"
{ cat "$CONF"; echo "log_level = info"; } | conf_err "key given twice" "given twice"
{ base database; echo "database = postgresql://ltsigd:s3cr3t-pw@127.0.0.1:18819/ltsigd?connect_timeout=3"; } |
    conf_err "unreachable PostgreSQL named clearly" "cannot connect to the PostgreSQL database"
check "the database password is not printed" bash -c "! grep -q s3cr3t-pw '$WORK/err'"
{ base token_label; echo "token_label = no-such-token"; } | conf_err "unknown token label" "no-such-token"
echo 00000000 >"$WORK/wrong.pin"
{ base token_pin_file; echo "token_pin_file = $WORK/wrong.pin"; } | conf_err "wrong token PIN names the PIN file" "wrong.pin"
check "the wrong token PIN is not printed" bash -c "! grep -q 00000000 '$WORK/err'"
{ base pkcs11_module; echo "pkcs11_module = /nonexistent/module.so"; } | conf_err "missing PKCS#11 module" "/nonexistent/module.so"
check "a missing config file is an error naming it" \
    bash -c "! '$LTSIGD' init --config '$WORK/none.conf' 2>&1 | grep -q none.conf; test \${PIPESTATUS[0]} != 0"
check "usage error exits 2" bash -c "'$LTSIGD' key generate --config '$CONF' 2>/dev/null; test \$? = 2"

# ---- users and keys -----------------------------------------------------------------------
SEC=$(add_user frank 'frank-password')
check "user add prints an otpauth URI with a base32 secret" test ${#SEC} -eq 32
echo short >"$WORK/short.pw"
check "user add refuses a short password" \
    bash -c "! '$LTSIGD' user add --config '$CONF' --user gina --password-file '$WORK/short.pw' 2>/dev/null"
check "user add refuses a bad user name" \
    bash -c "! '$LTSIGD' user add --config '$CONF' --user 'a b' --password-file '$WORK/frank.pw' 2>/dev/null"
echo 246810 >"$WORK/frank.pin"
check "key generate for an unknown user fails" \
    bash -c "! '$LTSIGD' key generate --config '$CONF' --user nobody --algo ec-p256 --pin-file '$WORK/frank.pin' 2>/dev/null"
check "key generate with an unknown algorithm fails" \
    bash -c "! '$LTSIGD' key generate --config '$CONF' --user frank --algo dsa1024 --pin-file '$WORK/frank.pin' 2>/dev/null"
CID=$("$LTSIGD" key generate --config "$CONF" --user frank --algo ec-p384 --pin-file "$WORK/frank.pin")
check "key generate ec-p384 prints a credential ID" test ${#CID} -eq 32
check "the PIN is stored as an Argon2id hash only" \
    bash -c "sqlite3 '$WORK/ltsigd.db' \"SELECT pin_hash FROM credentials WHERE id = '$CID'\" | grep -q '^\\\$argon2id\\\$' && ! sqlite3 '$WORK/ltsigd.db' .dump | grep -q 246810"
"$LTSIGD" key csr --config "$CONF" --credential "$CID" --subject "/CN=Frank/O=ltsig test/C=JP" -o "$WORK/frank.csr"
check "CSR (P-384, signed in the token) verifies with openssl req" \
    bash -c "openssl req -in '$WORK/frank.csr' -verify -noout 2>&1 | grep -q 'verify OK'"
check "CSR subject as asked" \
    bash -c "openssl req -in '$WORK/frank.csr' -noout -subject | grep -q 'CN = Frank, O = ltsig test, C = JP'"
check "CSR signed with ecdsa-with-SHA384" \
    bash -c "openssl req -in '$WORK/frank.csr' -noout -text | grep -q ecdsa-with-SHA384"
check "CSR key is the credential's key (P-384)" \
    bash -c "openssl req -in '$WORK/frank.csr' -noout -text | grep -q 'NIST CURVE: P-384'"
check "a bad subject fails and writes nothing" \
    bash -c "! '$LTSIGD' key csr --config '$CONF' --credential '$CID' --subject 'nonsense' -o '$WORK/x.csr' 2>/dev/null && test ! -e '$WORK/x.csr'"
check "CSR for an unknown credential fails" \
    bash -c "! '$LTSIGD' key csr --config '$CONF' --credential 00 --subject '/CN=x' -o '$WORK/y.csr' 2>/dev/null"
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n' >"$WORK/ee.ext"
openssl x509 -req -in "$WORK/frank.csr" -CA "$LTS_TEST_PKI/inter.pem" -CAkey "$LTS_TEST_PKI/inter.key" \
    -set_serial 0x4711 -days 10 -sha384 -extfile "$WORK/ee.ext" -out "$WORK/frank.pem" 2>/dev/null
cat "$WORK/frank.pem" "$LTS_TEST_PKI/root.pem" >"$WORK/gap.pem"
check "key cert refuses a chain with a gap" \
    bash -c "! '$LTSIGD' key cert --config '$CONF' --credential '$CID' --chain '$WORK/gap.pem' 2>/dev/null"
cat "$LTS_TEST_PKI/inter.pem" "$WORK/frank.pem" >"$WORK/order.pem"
check "key cert accepts the leaf after its issuer (puts it first)" \
    "$LTSIGD" key cert --config "$CONF" --credential "$CID" --chain "$WORK/order.pem"
check "the stored chain starts with the leaf" \
    bash -c "sqlite3 '$WORK/ltsigd.db' \"SELECT chain FROM credentials WHERE id = '$CID'\" | cut -d, -f1 | base64 -d | openssl x509 -inform DER -noout -subject | grep -q Frank"

# ---- the signature generation log -----------------------------------------------------------
check "audit verify passes on the intact log" "$LTSIGD" audit verify --config "$CONF"
tamper() { # tamper NAME EXPECTED_TEXT SQL
    local d=$WORK/t-$RANDOM
    mkdir "$d"
    sqlite3 "$WORK/ltsigd.db" ".backup '$d/ltsigd.db'"
    sed "s|^database = .*|database = $d/ltsigd.db|" "$CONF" >"$d/ltsigd.conf"
    sqlite3 "$d/ltsigd.db" "$3"
    if "$LTSIGD" audit verify --config "$d/ltsigd.conf" >/dev/null 2>"$d/err"; then
        bad "$1 (not detected)"
    elif grep -qF -- "$2" "$d/err"; then
        ok "$1"
    else
        bad "$1: $(cat "$d/err")"
    fi
}
N=$(sqlite3 "$WORK/ltsigd.db" "SELECT max(seq) FROM audit")
check "the log has entries to tamper with" test "$N" -ge 5
tamper "audit verify: an edited entry is named" "entry 3:" \
    "UPDATE audit SET detail = 'rsa2048' WHERE seq = 3"
tamper "audit verify: an edited actor is named" "entry 2:" \
    "UPDATE audit SET actor = 'mallory' WHERE seq = 2"
tamper "audit verify: a deleted entry is named" "entry 4:" "DELETE FROM audit WHERE seq = 4"
tamper "audit verify: reordered entries are named" "entry 2:" \
    "UPDATE audit SET seq = -1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = -1"
tamper "audit verify: deleting the newest entry is noticed" "entry $N:" \
    "DELETE FROM audit WHERE seq = $N"
# an independent implementation of the documented chain (docs/ltsigd.md):
# hash_n = SHA-256(prev_hash_n || netstrings(seq, ts, event, actor, credential, status, detail))
chain_py() { # chain_py DB [rehash SEQ DETAIL]: check every link; optionally rewrite one entry
    python3 - "$@" <<'EOF2'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT seq, ts, event, actor, credential, status, detail, prev, hash "
                  "FROM audit ORDER BY seq").fetchall()
def h(prev, r):
    canon = b"".join(b"%d:%s," % (len(str(f).encode()), str(f).encode()) for f in r[:7])
    return hashlib.sha256(bytes.fromhex(prev) + canon).hexdigest()
if len(sys.argv) > 2:  # forge: edit one entry and give it a correct hash of its own
    seq, detail = int(sys.argv[3]), sys.argv[4]
    r = [x for x in rows if x[0] == seq][0]
    r2 = list(r); r2[6] = detail
    db.execute("UPDATE audit SET detail = ?, hash = ? WHERE seq = ?", (detail, h(r[7], r2), seq))
    db.commit(); sys.exit(0)
prev = "0" * 64
for r in rows:
    if r[7] != prev or h(prev, r) != r[8]:
        print("independent check: entry %d bad" % r[0]); sys.exit(1)
    prev = r[8]
print("independent check: %d entries intact" % len(rows))
EOF2
}
check "an independent recomputation of the chain agrees" chain_py "$WORK/ltsigd.db"
D2=$WORK/forged
mkdir "$D2"
sqlite3 "$WORK/ltsigd.db" ".backup '$D2/ltsigd.db'"
sed "s|^database = .*|database = $D2/ltsigd.db|" "$CONF" >"$D2/ltsigd.conf"
chain_py "$D2/ltsigd.db" rehash 2 forged
"$LTSIGD" audit verify --config "$D2/ltsigd.conf" >/dev/null 2>"$D2/err"
check "audit verify: an edited entry with its own hash recomputed breaks the next link" \
    grep -q "entry 3:" "$D2/err"

# ---- TLS -------------------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/tls.key" -out "$WORK/tls.pem" 2>/dev/null
sed "s|^listen = .*|listen = 127.0.0.1:18803|" "$CONF" >"$WORK/tls.conf"
printf 'tls_cert = %s\ntls_key = %s\n' "$WORK/tls.pem" "$WORK/tls.key" >>"$WORK/tls.conf"
"$LTSIGD" serve --config "$WORK/tls.conf" 2>"$WORK/tls.log" &
TLS_PID=$!
for i in $(seq 1 50); do
    curl -s -o /dev/null --cacert "$WORK/tls.pem" https://127.0.0.1:18803/csc/v2/info && break
    sleep 0.1
done
st=$(curl -s -o "$WORK/resp" -w '%{http_code}' --cacert "$WORK/tls.pem" https://127.0.0.1:18803/csc/v2/info)
check "TLS: info over https with the configured certificate" test "$st" = 200
check "TLS: plain HTTP is not served on the TLS port" \
    bash -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:18803/csc/v2/info)\" != 200"
check "TLS: TLS 1.1 refused" \
    bash -c "! curl -s -o /dev/null --max-time 5 --cacert '$WORK/tls.pem' --tlsv1.1 --tls-max 1.1 https://127.0.0.1:18803/csc/v2/info"
kill -TERM "$TLS_PID"
wait "$TLS_PID"
check "TLS server stops cleanly on SIGTERM" test $? = 0

# ---- SIGTERM while a request is in flight ------------------------------------------------------
# a user whose password hash is deliberately slow to check (Argon2id t=6, 128 MiB)
sed -e 's/^argon2_t = .*/argon2_t = 6/' -e 's/^argon2_m_kib = .*/argon2_m_kib = 131072/' \
    "$CONF" >"$WORK/slow.conf"
echo 'slow-password' >"$WORK/slow.pw"
"$LTSIGD" user add --config "$WORK/slow.conf" --user slow --password-file "$WORK/slow.pw" >/dev/null
start_server "$CONF" "$WORK/serve.log" || bad "serve did not start"
check "a second server on the same port fails clearly" \
    bash -c "! '$LTSIGD' serve --config '$CONF' 2>&1 | grep -q 'cannot serve on 127.0.0.1:18802'; test \${PIPESTATUS[0]} != 0"
curl -s -o "$WORK/slow.out" -w '%{http_code}' -X POST -u slow:slow-password -d '{}' \
    "$URL/auth/login" >"$WORK/slow.status" &
CURL_PID=$!
sleep 0.3
kill -TERM "$SERVER_PID"
wait "$CURL_PID"
wait "$SERVER_PID"
SRC=$?
SERVER_PID=
check "SIGTERM lets the request in flight finish (200 with a token)" \
    bash -c "test \"\$(cat '$WORK/slow.status')\" = 200 && jq -e .access_token '$WORK/slow.out' >/dev/null"
check "the request was still in flight when the signal came (logged after 'stopping')" \
    bash -c "grep -n -e '\"event\":\"stopping\"' -e '\"method\":\"auth/login\"' '$WORK/serve.log' | head -1 | grep -q stopping"
check "then the server exits 0" test "$SRC" = 0
check "and no longer accepts connections" \
    bash -c "! curl -s -o /dev/null --max-time 3 '$URL/info'"
check "the log records start and stop" \
    bash -c "grep -q '\"event\":\"start\"' '$WORK/serve.log' && grep -q '\"event\":\"stopped\"' '$WORK/serve.log'"
check "audit verify still passes after serving" "$LTSIGD" audit verify --config "$CONF"

finish
