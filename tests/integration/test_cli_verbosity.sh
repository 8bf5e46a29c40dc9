#!/bin/bash
# -q/--quiet and -v/--verbose for every ltsig command, before or after the command name.
# -q: nothing but errors and the requested output (verify -q prints no report and the exit
# status alone speaks, unless --report or -o asks for one; tsa-serve -q has no
# "listening" line); -v: progress and detail lines on stderr (sign/extend: backend, TSA,
# level reached, checked by reading the output back; verify: one line per check; info:
# how the file was read; tsa-serve: its settings). Both at once is a usage error (3).
# Errors are still printed with -q. stdout is the same with and without -v.
# Env: LTSIG, LTS_TEST_PKI; optional LTS_TEST_TSA_PORT, TMPDIR. Own ports: 19610-19612.
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}"
P=$LTS_TEST_PKI
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-verbosity.XXXXXX")
TSA_PID=
cleanup() {
    [ -n "$TSA_PID" ] && kill "$TSA_PID" 2>/dev/null && wait "$TSA_PID" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
ko() { fail=$((fail + 1)); echo "FAIL - $1" >&2; [ -z "${2:-}" ] || printf '       %s\n' "$2" | head -20 >&2; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else ko "$d"; fi; }
empty() { [ ! -s "$1" ]; }
SIGNER=(--signer "file:$P/signer-rsa.p12" --passin pass:test1234)
echo "verbosity test $$" >doc.txt

# --- a TSA of our own (tsa-serve -q and -v are tested on it) -------------------------------
. "${LTS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/support/tsa.sh"
lts_tsa_own "$W" tsa-v.log 19610 19611 19612 -- -v
TSA=$LTS_TSA_URL TSA_PID=$LTS_TSA_PID
if [ -z "$TSA" ]; then
    ko "no port free for tsa-serve in 19610-19612" "$(cat tsa-v.log)"
    echo "$pass passed, $fail failed"
    exit 1
fi
grep -q "^ltsig tsa-serve: signer: file backend; token signature hash SHA-256" tsa-v.log &&
    grep -q "^ltsig tsa-serve: listening on $TSA" tsa-v.log &&
    ok "tsa-serve -v: its settings, then the listening line" || ko "tsa-serve -v" "$(cat tsa-v.log)"
QPORT=19612
[ "$TSA" = http://127.0.0.1:19612/ ] && QPORT=19611
"$LTSIG" tsa-serve -q --signer "file:$P/tsa.p12" --passin pass:test1234 --port "$QPORT" >tsa-q.out 2>tsa-q.log &
QPID=$!
sleep 1
kill -TERM "$QPID" 2>/dev/null
wait "$QPID"
rc=$?
check "tsa-serve -q: stopped cleanly by SIGTERM (exit 0)" test "$rc" -eq 0
empty tsa-q.log && empty tsa-q.out && ok "tsa-serve -q: no listening / stopping lines" ||
    ko "tsa-serve -q printed" "$(cat tsa-q.log)"

# --- sign -----------------------------------------------------------------------------------
"$LTSIG" sign --format cades --level B-T --tsa "$TSA" "${SIGNER[@]}" -o n.p7m doc.txt >n.out 2>n.err
check "sign: exit 0" test $? -eq 0
empty n.out && empty n.err && ok "sign: silent by default" || ko "sign default output" "$(cat n.out n.err)"
"$LTSIG" sign -q --format cades --level B-T --tsa "$TSA" "${SIGNER[@]}" -o q.p7m doc.txt >q.out 2>q.err
check "sign -q: exit 0" test $? -eq 0
empty q.out && empty q.err && ok "sign -q: silent" || ko "sign -q output" "$(cat q.out q.err)"
"$LTSIG" -v sign --format cades --level B-T --tsa "$TSA" "${SIGNER[@]}" -o v.p7m doc.txt >v.out 2>v.err
check "ltsig -v sign: exit 0" test $? -eq 0
empty v.out && ok "sign -v: nothing on stdout" || ko "sign -v stdout" "$(cat v.out)"
grep -q "^ltsig sign: signer: file backend$" v.err && ok "sign -v: the backend" || ko "sign -v backend" "$(cat v.err)"
grep -q "^ltsig sign: time-stamp authority: $TSA$" v.err && ok "sign -v: the TSA" || ko "sign -v TSA" "$(cat v.err)"
grep -q "^ltsig sign: wrote v.p7m: CAdES S1, level reached B-T, signer CN=Test Signer RSA" v.err &&
    ok "sign -v: the level reached (read back)" || ko "sign -v level" "$(cat v.err)"
grep -q "^ltsig sign:   signature-time-stamp at .* by CN=ltsig Test TSA" v.err &&
    ok "sign -v: the time-stamp made" || ko "sign -v time-stamp" "$(cat v.err)"
! grep -q test1234 v.err && ok "sign -v: no secret printed" || ko "sign -v printed the password"
"$LTSIG" sign --verbose --format cades --level B-B "${SIGNER[@]}" -o vb.p7m doc.txt 2>vb.err
grep -q "level reached B-B" vb.err && ok "sign --verbose after the command name" || ko "sign --verbose" "$(cat vb.err)"
openssl cms -verify -binary -inform DER -in v.p7m -CAfile "$P/root.pem" -purpose any -out /dev/null 2>/dev/null &&
    ok "sign -v: the signature made is good (openssl cms -verify)" || ko "sign -v signature"
"$LTSIG" -q sign --format cades --level B-B --signer "file:$P/signer-rsa.p12" --passin pass:Bad-Pw-4711 \
    -o x.p7m doc.txt >x.out 2>x.err
rc=$?
[ "$rc" -ge 3 ] && [ -s x.err ] && empty x.out && ! grep -q Bad-Pw-4711 x.err && ok "sign -q: the error is still printed (exit $rc)" ||
    ko "sign -q error" "rc=$rc $(cat x.err)"
check "sign -q: nothing written on error" test ! -e x.p7m

# --- verify ---------------------------------------------------------------------------------
"$LTSIG" verify --trust "$P/root.pem" n.p7m >vn.out 2>vn.err
check "verify: exit 0" test $? -eq 0
grep -q "^Result: TOTAL_PASSED" vn.out && empty vn.err && ok "verify: the report on stdout" || ko "verify default" "$(cat vn.out vn.err)"
"$LTSIG" verify -q --trust "$P/root.pem" n.p7m >vq.out 2>vq.err
check "verify -q: exit 0 (TOTAL_PASSED)" test $? -eq 0
empty vq.out && empty vq.err && ok "verify -q: prints nothing" || ko "verify -q output" "$(cat vq.out vq.err)"
cp n.p7m bad.p7m
off=$(grep -abo "verbosity test" bad.p7m | head -1 | cut -d: -f1)
printf 'X' | dd of=bad.p7m bs=1 seek="$off" conv=notrunc 2>/dev/null
"$LTSIG" --quiet verify --trust "$P/root.pem" bad.p7m >bq.out 2>bq.err
rc=$?
check "verify -q on a tampered file: exit 1 (TOTAL_FAILED)" test "$rc" -eq 1
empty bq.out && empty bq.err && ok "verify -q on a tampered file: prints nothing" || ko "verify -q tampered" "$(cat bq.out bq.err)"
"$LTSIG" verify -q --trust "$P/root.pem" --report json n.p7m >vqj.out
python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["indication"]=="TOTAL_PASSED" else 1)' vqj.out &&
    ok "verify -q --report json: the report asked for is printed" || ko "verify -q --report json" "$(cat vqj.out)"
"$LTSIG" verify -q --trust "$P/root.pem" -o rep.txt n.p7m >vqo.out
grep -q "^Result: TOTAL_PASSED" rep.txt && empty vqo.out && ok "verify -q -o: the report file is written" ||
    ko "verify -q -o" "$(cat vqo.out)"
"$LTSIG" verify -v --trust "$P/root.pem" n.p7m >vv.out 2>vv.err
check "verify -v: exit 0" test $? -eq 0
same() { cmp -s <(grep -v -e 'alidation time' -e 'best signature time' "$1") <(grep -v -e 'alidation time' -e 'best signature time' "$2"); } # but the clock (a B-B's best signature time is now)
same vn.out vv.out && ok "verify -v: stdout is the same report" || ko "verify -v stdout differs" "$(diff vn.out vv.out)"
grep -q "^ltsig verify: S1: CAdES B-T, signer CN=Test Signer RSA.*: TOTAL_PASSED$" vv.err &&
    grep -Eq "^ltsig verify: S1: signature-time-stamp at .* by CN=ltsig Test TSA.*: TOTAL_PASSED( - .*)?$" vv.err &&
    [ "$(grep -c '^ltsig verify: S1: check: ' vv.err)" -ge 4 ] &&
    grep -q "^ltsig verify: result: TOTAL_PASSED$" vv.err &&
    ok "verify -v: a line per signature, time-stamp and check" || ko "verify -v lines" "$(cat vv.err)"
"$LTSIG" verify -v --trust "$P/root.pem" bad.p7m >/dev/null 2>bv.err
grep -q "^ltsig verify: result: TOTAL_FAILED" bv.err && ok "verify -v on a tampered file: the failure named" ||
    ko "verify -v tampered" "$(cat bv.err)"
"$LTSIG" -q verify "$W/missing.p7m" >m.out 2>m.err
rc=$?
[ "$rc" -ge 3 ] && grep -q missing.p7m m.err && empty m.out && ok "verify -q: an error is still printed (exit $rc)" ||
    ko "verify -q missing" "rc=$rc $(cat m.err)"

# --- extend ---------------------------------------------------------------------------------
"$LTSIG" sign --format cades --level B-B "${SIGNER[@]}" -o bb.p7m doc.txt
"$LTSIG" extend -q --level B-T --tsa "$TSA" -o eq.p7m bb.p7m >eq.out 2>eq.err
check "extend -q: exit 0" test $? -eq 0
empty eq.out && empty eq.err && ok "extend -q: silent" || ko "extend -q output" "$(cat eq.out eq.err)"
"$LTSIG" extend -v --level B-T --tsa "$TSA" -o ev.p7m bb.p7m >ev.out 2>ev.err
check "extend -v: exit 0" test $? -eq 0
grep -q "^ltsig extend: bb.p7m: CAdES signature, to B-T$" ev.err &&
    grep -q "^ltsig extend: time-stamp authority: $TSA$" ev.err &&
    grep -q "^ltsig extend: wrote ev.p7m: CAdES S1, level reached B-T" ev.err &&
    ok "extend -v: format, TSA, level reached" || ko "extend -v" "$(cat ev.err)"
"$LTSIG" verify -q --trust "$P/root.pem" ev.p7m
check "extend -v: the result verifies" test $? -eq 0

# --- info -----------------------------------------------------------------------------------
"$LTSIG" info n.p7m >in.out 2>in.err
"$LTSIG" info -v n.p7m >iv.out 2>iv.err
same in.out iv.out && empty in.err && ok "info -v: stdout unchanged, nothing on stderr without -v" ||
    ko "info -v stdout" "$(diff in.out iv.out; cat in.err)"
grep -q "^ltsig info: n.p7m: 1 signature(s), read offline; sunsets from the built-in" iv.err &&
    ok "info -v: how the file was read" || ko "info -v" "$(cat iv.err)"
"$LTSIG" info -q n.p7m >iq.out 2>iq.err
grep -Eq '^S1 B-T [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' iq.out && [ "$(wc -l <iq.out)" -eq 1 ] && empty iq.err &&
    ok "info -q: one line for the signature" || ko "info -q" "$(cat iq.out iq.err)"

# --- renew ------------------------------------------------------------------------------------
mkdir -p arch && cp n.p7m arch/
"$LTSIG" -q renew --dry-run --no-journal --trust "$P/root.pem" arch >rq.out 2>rq.err
rc=$?
check "ltsig -q renew --dry-run: exit 0" test "$rc" -eq 0
! grep -q "^ok \|^due " rq.out && ok "renew -q: no per-file line" || ko "renew -q" "$(cat rq.out)"
"$LTSIG" -v renew --dry-run --no-journal --trust "$P/root.pem" arch >rv.out 2>&1
grep -q "n.p7m" rv.out && ok "renew -v: a line for the file" || ko "renew -v" "$(cat rv.out)"

# --- -q and -v together: usage error, for every command ---------------------------------------
for cmd in "sign --format cades --level B-B ${SIGNER[*]} -o z.p7m doc.txt" \
    "verify n.p7m" "extend --level B-T --tsa $TSA -o z.p7m bb.p7m" "info n.p7m" \
    "renew --dry-run arch" "tsa-serve --signer file:$P/tsa.p12 --port 19612"; do
    name=${cmd%% *}
    # shellcheck disable=SC2086
    "$LTSIG" -q $cmd -v >z.out 2>z.err
    rc=$?
    [ "$rc" -eq 3 ] && grep -q "exclude each other" z.err && ok "$name: -q with -v is a usage error" ||
        ko "$name -q -v" "rc=$rc $(cat z.err)"
done
"$LTSIG" -q -v verify n.p7m >/dev/null 2>z.err
check "ltsig -q -v: usage error (3)" test $? -eq 3
check "nothing written by the refused commands" test ! -e z.p7m

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
