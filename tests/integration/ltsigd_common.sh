#!/bin/bash
# Shared helpers for the ltsigd integration tests (sourced, not a test by itself).
# Needs: LTS_BUILD (or LTSIGD), LTS_TEST_PKI; tools: softhsm2-util, pkcs11-tool, sqlite3,
# curl, jq, python3, openssl.

LTSIGD=${LTSIGD:-${LTS_BUILD:-}/backend/server/ltsigd}
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { # check "name" command...
    local name=$1
    shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}
# contains TEXT PATTERN: TEXT contains PATTERN (glob, e.g. 'a*b'), for check
contains() { [[ "$1" == *$2* ]]; }
finish() {
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
}

softhsm_module() {
    local m
    for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
        /usr/lib64/pkcs11/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
        [ -f "$m" ] && { echo "$m"; return 0; }
    done
    return 1
}

# make_env DIR PORT: a SoftHSMv2 token, a config and an initialised database in DIR.
make_env() {
    local d=$1 port=$2
    mkdir -p "$d/tokens"
    MODULE=$(softhsm_module) || { echo "libsofthsm2.so not found" >&2; return 1; }
    cat >"$d/softhsm2.conf" <<EOF
directories.tokendir = $d/tokens
objectstore.backend = file
log.level = ERROR
EOF
    export SOFTHSM2_CONF=$d/softhsm2.conf
    TOKEN_PIN=71937193
    softhsm2-util --init-token --free --label ltsigd-test --pin "$TOKEN_PIN" \
        --so-pin 55115511 >/dev/null || return 1
    (umask 077 && echo "$TOKEN_PIN" >"$d/token.pin")
    CONF=$d/ltsigd.conf
    cat >"$CONF" <<EOF
# ltsigd test configuration
listen = 127.0.0.1:$port
database = $d/ltsigd.db
pkcs11_module = $MODULE
token_label = ltsigd-test
token_pin_file = $d/token.pin
log_level = info
# fast hashes for the tests (the defaults follow RFC 9106: t=3, 64 MiB)
argon2_t = 1
argon2_m_kib = 8192
EOF
    URL=http://127.0.0.1:$port/csc/v2
    "$LTSIGD" init --config "$CONF" >/dev/null
}

# add_user NAME PASSWORD -> prints the base32 TOTP secret
add_user() {
    local d=$WORK
    (umask 077 && echo "$2" >"$d/$1.pw")
    "$LTSIGD" user add --config "$CONF" --user "$1" --password-file "$d/$1.pw" |
        sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p'
}

# add_key USER ALGO PIN SUBJECT -> prints the credential ID; key, CSR, cert from the test CA
add_key() {
    local user=$1 algo=$2 pin=$3 subj=$4 d=$WORK cid
    (umask 077 && echo "$pin" >"$d/$user.pin")
    cid=$("$LTSIGD" key generate --config "$CONF" --user "$user" --algo "$algo" \
        --pin-file "$d/$user.pin") || return 1
    "$LTSIGD" key csr --config "$CONF" --credential "$cid" --subject "$subj" \
        -o "$d/$cid.csr" || return 1
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n' \
        >"$d/ee.ext"
    openssl x509 -req -in "$d/$cid.csr" -CA "$LTS_TEST_PKI/inter.pem" \
        -CAkey "$LTS_TEST_PKI/inter.key" -set_serial "0x$(openssl rand -hex 8)" -days 30 \
        -sha256 -extfile "$d/ee.ext" -out "$d/$cid.pem" 2>/dev/null || return 1
    cat "$d/$cid.pem" "$LTS_TEST_PKI/inter.pem" "$LTS_TEST_PKI/root.pem" >"$d/$cid-chain.pem"
    "$LTSIGD" key cert --config "$CONF" --credential "$cid" --chain "$d/$cid-chain.pem" ||
        return 1
    echo "$cid"
}

# totp SECRET [STEP_OFFSET]: RFC 6238 SHA-1, 6 digits, 30 s
totp() {
    python3 - "$1" "${2:-0}" <<'EOF'
import base64, hashlib, hmac, struct, sys, time
s, off = sys.argv[1], int(sys.argv[2])
k = base64.b32decode(s + "=" * (-len(s) % 8))
h = hmac.new(k, struct.pack(">Q", int(time.time()) // 30 + off), hashlib.sha1).digest()
o = h[19] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000))
EOF
}

# start_server CONF LOG: start ltsigd and wait until IT serves. Waiting for the "start"
# line of its own log (written once its socket is bound) and not just for an answer on the
# port matters: when another test run (another build folder's ctest) holds the same port,
# the answers would come from that other server and fail in confusing ways (the "43
# failures" once seen in ctest -j2); instead this fails at once, naming the port.
start_server() {
    "$LTSIGD" serve --config "$1" 2>"$2" &
    SERVER_PID=$!
    local i
    for i in $(seq 1 150); do
        if grep -q '"event":"start"' "$2" 2>/dev/null && curl -s -o /dev/null "$URL/info"; then
            return 0
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "ltsigd serve exited: $(head -c 300 "$2")" >&2
            wait "$SERVER_PID" 2>/dev/null
            SERVER_PID=
            return 1
        fi
        sleep 0.1
    done
    return 1
}

stop_server() {
    [ -n "${SERVER_PID:-}" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_RC=$?
    SERVER_PID=
}

# api METHOD BODYFILE|- [TOKEN] -> prints the HTTP status; the body is in $WORK/resp
api() {
    local m=$1 body=$2 tok=${3:-}
    local auth=()
    [ -n "$tok" ] && auth=(-H "Authorization: Bearer $tok")
    if [ "$body" = - ]; then body=/dev/stdin; fi
    curl -s -o "$WORK/resp" -w '%{http_code}' -X POST "${auth[@]}" \
        -H 'Content-Type: application/json' --data-binary "@$body" "$URL/$m"
}

# login USER PASSWORD -> prints the access token
login() {
    curl -s -X POST -u "$1:$2" -H 'Content-Type: application/json' -d '{}' \
        "$URL/auth/login" | jq -r '.access_token // empty'
}

b64hash() { printf '%s' "$1" | openssl dgst -"${2:-sha256}" -binary | base64 -w0; }
sha256hex() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
# sql STATEMENT: change the test database while ltsigd may be writing to it
sql() { sqlite3 -cmd ".timeout 10000" "$WORK/ltsigd.db" "$1"; }

# p11_private_readable MODULE LABEL PIN IDHEX: asks the token directly (ctypes, not our
# code) for the secret parts of the private key with CKA_ID IDHEX. Prints one line per
# attribute; exits 0 when every one is refused (CKR_ATTRIBUTE_SENSITIVE or absent) and at
# least one was refused as sensitive, 1 when anything could be read, 2 on setup errors.
p11_private_unreadable() {
    python3 - "$@" <<'EOF2'
import ctypes, sys
mod, label, pin, idhex = sys.argv[1:5]
L = ctypes.CDLL(mod)
UL = ctypes.c_ulong
class A(ctypes.Structure):
    _fields_ = [("type", UL), ("p", ctypes.c_void_p), ("n", UL)]
def ck(rv, what):
    if rv not in (0, 0x100, 0x191):  # OK, USER_ALREADY_LOGGED_IN, ALREADY_INITIALIZED
        print("setup: %s -> 0x%x" % (what, rv)); sys.exit(2)
ck(L.C_Initialize(None), "C_Initialize")
n = UL(0)
ck(L.C_GetSlotList(UL(1), None, ctypes.byref(n)), "C_GetSlotList")
slots = (UL * n.value)()
ck(L.C_GetSlotList(UL(1), slots, ctypes.byref(n)), "C_GetSlotList")
slot = None
for s in slots:
    info = ctypes.create_string_buffer(1024)
    if L.C_GetTokenInfo(UL(s), info) == 0 and info.raw[:32].rstrip(b" ") == label.encode():
        slot = s
if slot is None:
    print("setup: no token"); sys.exit(2)
h = UL(0)
ck(L.C_OpenSession(UL(slot), UL(6), None, None, ctypes.byref(h)), "C_OpenSession")
ck(L.C_Login(h, UL(1), pin.encode(), UL(len(pin))), "C_Login")
cls = UL(3)  # CKO_PRIVATE_KEY
idb = ctypes.create_string_buffer(bytes.fromhex(idhex), len(idhex) // 2)
t = (A * 2)(A(0, ctypes.cast(ctypes.pointer(cls), ctypes.c_void_p), ctypes.sizeof(UL)),
            A(0x102, ctypes.cast(idb, ctypes.c_void_p), len(idhex) // 2))
o, cnt = UL(0), UL(0)
ck(L.C_FindObjectsInit(h, t, UL(2)), "C_FindObjectsInit")
ck(L.C_FindObjects(h, ctypes.byref(o), UL(1), ctypes.byref(cnt)), "C_FindObjects")
L.C_FindObjectsFinal(h)
if cnt.value != 1:
    print("setup: private key not found"); sys.exit(2)
readable, sensitive = 0, 0
# CKA_VALUE, CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2
for attr in (0x11, 0x123, 0x124, 0x125):
    a = A(attr, None, 0)
    rv = L.C_GetAttributeValue(h, o, ctypes.byref(a), UL(1))
    print("attribute 0x%x -> rv 0x%x len %d" % (attr, rv, a.n))
    if rv == 0 and a.n not in (0, 2 ** 64 - 1):
        readable = 1
    if rv == 0x11:
        sensitive = 1
sys.exit(1 if readable or not sensitive else 0)
EOF2
}

# p11_probe MODULE LABEL PIN IDHEX: asks the token directly (ctypes) about the private key
# with CKA_ID IDHEX and prints "sensitive=0|1 always_sensitive=.. extractable=..
# wrap_with_trusted=.. untrusted_wrap=0xRV": the last is what C_WrapKey answers when a
# fresh, untrusted AES key of the user tries to wrap it (CKR_KEY_NOT_WRAPPABLE = 0x69,
# CKR_KEY_UNEXTRACTABLE = 0x6a; 0x0 would mean the key can be exported).
p11_probe() {
    python3 - "$@" <<'EOF2'
import ctypes, sys
mod, label, pin, idhex = sys.argv[1:5]
L = ctypes.CDLL(mod)
UL = ctypes.c_ulong
class A(ctypes.Structure):
    _fields_ = [("type", UL), ("p", ctypes.c_void_p), ("n", UL)]
class M(ctypes.Structure):
    _fields_ = [("m", UL), ("p", ctypes.c_void_p), ("n", UL)]
def ck(rv, what):
    if rv not in (0, 0x100, 0x191):
        print("setup: %s -> 0x%x" % (what, rv)); sys.exit(2)
def a(t, v): return A(t, ctypes.cast(ctypes.pointer(v), ctypes.c_void_p), ctypes.sizeof(v))
ck(L.C_Initialize(None), "C_Initialize")
n = UL(0)
ck(L.C_GetSlotList(UL(1), None, ctypes.byref(n)), "C_GetSlotList")
slots = (UL * n.value)()
ck(L.C_GetSlotList(UL(1), slots, ctypes.byref(n)), "C_GetSlotList")
slot = None
for s in slots:
    info = ctypes.create_string_buffer(1024)
    if L.C_GetTokenInfo(UL(s), info) == 0 and info.raw[:32].rstrip(b" ") == label.encode():
        slot = s
h = UL(0)
ck(L.C_OpenSession(UL(slot), UL(6), None, None, ctypes.byref(h)), "C_OpenSession")
ck(L.C_Login(h, UL(1), pin.encode(), UL(len(pin))), "C_Login")
cls = UL(3)
idb = ctypes.create_string_buffer(bytes.fromhex(idhex), len(idhex) // 2)
t = (A * 2)(a(0, cls), A(0x102, ctypes.cast(idb, ctypes.c_void_p), len(idhex) // 2))
o, cnt = UL(0), UL(0)
ck(L.C_FindObjectsInit(h, t, UL(2)), "C_FindObjectsInit")
ck(L.C_FindObjects(h, ctypes.byref(o), UL(1), ctypes.byref(cnt)), "C_FindObjects")
L.C_FindObjectsFinal(h)
if cnt.value != 1:
    print("setup: private key not found"); sys.exit(2)
out = []
for name, attr in (("sensitive", 0x103), ("always_sensitive", 0x165), ("extractable", 0x162),
                   ("wrap_with_trusted", 0x210)):
    v = ctypes.c_ubyte(0)
    x = a(attr, v)
    rv = L.C_GetAttributeValue(h, o, ctypes.byref(x), UL(1))
    out.append("%s=%d" % (name, v.value if rv == 0 else -1))
# a session AES key of the user, not trusted, allowed to wrap
T, F, vl = ctypes.c_ubyte(1), ctypes.c_ubyte(0), UL(32)
kt = (A * 4)(a(1, F), a(0x161, vl), a(0x106, T), a(0x107, T))
k = UL(0)
ck(L.C_GenerateKey(h, ctypes.byref(M(0x1080, None, 0)), kt, UL(4), ctypes.byref(k)), "C_GenerateKey")
buf = ctypes.create_string_buffer(8192)
ln = UL(8192)
rv = L.C_WrapKey(h, ctypes.byref(M(0x210a, None, 0)), k, o, buf, ctypes.byref(ln))
out.append("untrusted_wrap=0x%x" % rv)
print(" ".join(out))
EOF2
}

# p11_unwrap_attack MODULE LABEL BLOB: plays someone who has the token files and a backup
# file but no PIN: in a session without login, C_UnwrapKey of the blob's wrapped key under
# the public backup key into a session object that is NOT sensitive and extractable, then
# reading CKA_VALUE. Prints "unwrap=0xRV" (and "value=LEN" when it worked).
p11_unwrap_attack() {
    python3 - "$@" <<'EOF2'
import base64, ctypes, sys
mod, label, blob = sys.argv[1:4]
wrapped = None
for l in open(blob):
    if l.startswith("wrapped "):
        wrapped = base64.b64decode(l[8:].strip())
L = ctypes.CDLL(mod)
UL = ctypes.c_ulong
class A(ctypes.Structure):
    _fields_ = [("type", UL), ("p", ctypes.c_void_p), ("n", UL)]
class M(ctypes.Structure):
    _fields_ = [("m", UL), ("p", ctypes.c_void_p), ("n", UL)]
def a(t, v): return A(t, ctypes.cast(ctypes.pointer(v), ctypes.c_void_p), ctypes.sizeof(v))
L.C_Initialize(None)
n = UL(0)
L.C_GetSlotList(UL(1), None, ctypes.byref(n))
slots = (UL * n.value)()
L.C_GetSlotList(UL(1), slots, ctypes.byref(n))
slot = None
for s in slots:
    info = ctypes.create_string_buffer(1024)
    if L.C_GetTokenInfo(UL(s), info) == 0 and info.raw[:32].rstrip(b" ") == label.encode():
        slot = s
h = UL(0)
L.C_OpenSession(UL(slot), UL(6), None, None, ctypes.byref(h))
cls, lab = UL(4), ctypes.create_string_buffer(b"ltsigd-backup", 13)
t = (A * 2)(a(0, cls), A(3, ctypes.cast(lab, ctypes.c_void_p), 13))
wk, cnt = UL(0), UL(0)
L.C_FindObjectsInit(h, t, UL(2))
L.C_FindObjects(h, ctypes.byref(wk), UL(1), ctypes.byref(cnt))
L.C_FindObjectsFinal(h)
if cnt.value != 1:
    print("setup: no public backup key"); sys.exit(2)
T, F, pcls, kt = ctypes.c_ubyte(1), ctypes.c_ubyte(0), UL(3), UL(3)
at = (A * 6)(a(0, pcls), a(0x100, kt), a(1, F), a(2, F), a(0x103, F), a(0x162, T))
wb = ctypes.create_string_buffer(wrapped, len(wrapped))
nk = UL(0)
rv = L.C_UnwrapKey(h, ctypes.byref(M(0x210a, None, 0)), wk, wb, UL(len(wrapped)), at, UL(6), ctypes.byref(nk))
out = "unwrap=0x%x" % rv
if rv == 0:
    x = A(0x11, None, 0)
    if L.C_GetAttributeValue(h, nk, ctypes.byref(x), UL(1)) == 0:
        out += " value=%d" % x.n
print(out)
EOF2
}
