#!/bin/bash
# ltsig renew (issue 7): a generated archive of LTS_RENEW_FILES files (default 300: ~1.5 min
# in the normal build, ~2 min in the ASan build on 2 loaded cores) — CAdES attached/detached at B-B,
# B-T and B-LTA (ltsig sign / ltsig extend against the suite's TSA), CAdES B-T time-stamped
# by a second TSA whose certificate expires in 20 days, PAdES, XAdES, tampered signatures,
# files that are not signatures, symbolic links (one a loop); ~70 files are made by ltsig,
# the rest are copies of them under extra/ (each renewed on its own, like any archive member)
# — renewed with --jobs 2 --within 36500. The first run is killed (SIGKILL) halfway; then:
# every file is either the original or renewed-and-valid; the second run finishes with no
# file lost, renewed twice or half-written, no temp file left; renewed files pass
# ltsig verify --offline, openssl cms -verify and openssl ts -verify of the new archive
# time-stamp (imprint recomputed independently, tests/support/ats_v3.py), xmlsec1 --verify,
# pdfsig and qpdf --check (two at a time); untouched files are byte-identical; the
# JSON report lists every file once with the expected action; a third run changes nothing.
# Also: --dry-run writes nothing, --out DIR leaves the originals alone, usage errors.
# A dry run with --within 60 finds exactly the files close to their TSA certificate's expiry.
# Env: LTSIG, LTS_TEST_PKI; optional LTS_TEST_TSA_PORT, TMPDIR, LTS_RENEW_FILES.
# Own ports: 19003-19005 (the TSA when the suite has none), 19006-19008 (the short-lived TSA).
# Issues one TSA certificate in the PKI's inter CA database (openssl ca, as make-pki.sh does).
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}"
P=$LTS_TEST_PKI
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-renew.XXXXXX")
TSA_PID=
TSA2_PID=
RENEW_PID=
cleanup() {
    [ -n "$RENEW_PID" ] && kill -9 "$RENEW_PID" 2>/dev/null
    [ -n "$TSA2_PID" ] && kill "$TSA2_PID" 2>/dev/null && wait "$TSA2_PID" 2>/dev/null
    [ -n "$TSA_PID" ] && kill "$TSA_PID" 2>/dev/null && wait "$TSA_PID" 2>/dev/null
    [ -n "${LTS_KEEP:-}" ] && echo "kept $W" || rm -rf "$W"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() {
    local d=$1; shift
    if "$@" >"$W/check.out" 2>&1; then ok; else ko "$d"; sed 's/^/    /' "$W/check.out" | head -20 >&2; fi
}
json() { # FILE EXPR (r = the parsed JSON)
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

if ! "$LTSIG" renew --help >/dev/null 2>&1; then
    echo "ltsig has no renew command (not in cli/main.c's table yet): renew tests skipped"
    echo "0 passed, 0 failed"
    exit 0
fi

# --- a TSA: the suite's, else our own on 19003-19005 ---------------------------------------
. "${LTS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/support/tsa.sh"
TSA=
if TSA=$(lts_tsa_suite "$W"); then
    :
else
    lts_tsa_own "$W" "$W/tsa.log" 19003 19004 19005
    TSA=$LTS_TSA_URL TSA_PID=$LTS_TSA_PID
fi
if [ -z "$TSA" ]; then
    echo "no TSA: renew tests skipped"
    echo "0 passed, 0 failed"
    exit 0
fi

# archive size: LTS_RENEW_FILES, else 300 (the ASan build fits it too)
WANT=${LTS_RENEW_FILES:-300}
T0=$(date +%s)

# --- a second TSA whose certificate expires in 20 days -------------------------------------
TSA2=
if (cd "$P" && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/tsa-near.key" &&
    openssl req -new -config inter-ca.cnf -key "$W/tsa-near.key" \
        -subj "/O=ltsig test/CN=ltsig Test TSA near expiry" -out "$W/tsa-near.csr" &&
    openssl ca -batch -notext -config inter-ca.cnf -extensions ext_tsa -days 20 \
        -in "$W/tsa-near.csr" -out "$W/tsa-near.pem" &&
    openssl pkcs12 -export -inkey "$W/tsa-near.key" -in "$W/tsa-near.pem" -certfile chain.pem \
        -passout pass:test1234 -out "$W/tsa-near.p12") >"$W/tsa-near.log" 2>&1; then
    LTS_TSA_KEY=$W/tsa-near.p12 lts_tsa_own "$W" "$W/tsa2.log" 19006 19007 19008
    TSA2=$LTS_TSA_URL TSA2_PID=$LTS_TSA_PID
fi
check "a TSA whose certificate expires in 20 days ($(tail -1 "$W/tsa-near.log"))" test -n "$TSA2"
# `openssl ocsp` re-reads index.txt only when a worker takes its next connection (each worker
# may answer "unknown" once for the new certificate): ask until it says "good" 4 times in a
# row (so that every worker has looked again)
ocsp_good=0
if [ -n "$TSA2" ]; then
    OCSP_URL=$(openssl x509 -noout -ocsp_uri -in "$W/tsa-near.pem")
    for _ in $(seq 60); do
        if openssl ocsp -issuer "$P/inter.pem" -cert "$W/tsa-near.pem" -url "$OCSP_URL" \
            -CAfile "$P/root.pem" -VAfile "$P/ocsp.pem" -timeout 5 2>/dev/null |
            grep -q "tsa-near.pem: good"; then
            ocsp_good=$((ocsp_good + 1))
            [ "$ocsp_good" -ge 4 ] && break
        else
            ocsp_good=0
            sleep 0.2
        fi
    done
fi
check "the OCSP responder knows the new TSA certificate" test "$ocsp_good" -ge 4

SIGNER=(--signer "file:$P/signer-rsa.p12" --passin pass:test1234)
A=$W/archive
mkdir -p "$A/cades/attached" "$A/cades/detached" "$A/pdf" "$A/xml" "$A/misc/deep/er" "$A/bad" "$A/near"
# expected action per file (relative path), filled as the archive is made
declare -A EXPECT
sign_cades() { # OUT IN LEVEL [--detached]
    local out=$1 in=$2 lv=$3; shift 3
    if [ "$lv" = B-LTA ]; then
        "$LTSIG" sign --format cades --level B-T --tsa "$TSA" "${SIGNER[@]}" "$@" -o "$out.bt" "$in" &&
            "$LTSIG" extend --level B-LTA --tsa "$TSA" --trust "$P/root.pem" -o "$out" "$out.bt" &&
            rm -f "$out.bt"
    elif [ "$lv" = B-B ]; then
        "$LTSIG" sign --format cades --level B-B "${SIGNER[@]}" "$@" -o "$out" "$in"
    else
        "$LTSIG" sign --format cades --level "$lv" --tsa "$TSA" "${SIGNER[@]}" "$@" -o "$out" "$in"
    fi
}
made=0
for i in 1 2 3 4 5 6; do
    for lv in B-B B-T B-LTA; do
        d="$A/cades/attached/doc$i-$lv.txt"
        printf 'attached document %s at %s\n' "$i" "$lv" >"$d"
        sign_cades "$A/cades/attached/doc$i-$lv.p7m" "$d" "$lv" && made=$((made + 1))
        rm -f "$d"
        EXPECT[cades/attached/doc$i-$lv.p7m]=renewed
        printf 'attached document %s at %s\n' "$i" "$lv" >"$W/content-doc$i-$lv"
    done
done
for i in 1 2 3 4; do
    for lv in B-B B-T B-LTA; do
        d="$A/cades/detached/data$i-$lv.bin"
        head -c $((1000 + i * 37)) /dev/urandom >"$d"
        sign_cades "$d.p7s" "$d" "$lv" --detached && made=$((made + 1))
        EXPECT[cades/detached/data$i-$lv.bin.p7s]=renewed
        EXPECT[cades/detached/data$i-$lv.bin]=skipped
    done
done
check "archive: $made CAdES signatures made" test "$made" -eq 30
# close to their TSA certificate's expiry (20 days)
nnear=0
for i in 1 2 3 4; do
    printf 'near its TSA certificate expiry %s\n' "$i" >"$W/content-near$i"
    [ -n "$TSA2" ] && "$LTSIG" sign --format cades --level B-T --tsa "$TSA2" "${SIGNER[@]}" \
        -o "$A/near/near$i.p7m" "$W/content-near$i" && EXPECT[near/near$i.p7m]=renewed &&
        nnear=$((nnear + 1))
done
check "archive: $nnear CAdES signatures time-stamped by the short-lived TSA" test "$nnear" -eq 4
# tampered: an attached signature whose content byte changed, a detached one whose data changed
printf 'tamper-me attached\n' >"$W/t1.txt"
sign_cades "$A/bad/t1.p7m" "$W/t1.txt" B-T
off=$(grep -abo "tamper-me" "$A/bad/t1.p7m" | head -1 | cut -d: -f1)
printf 'X' | dd of="$A/bad/t1.p7m" bs=1 seek="$off" conv=notrunc 2>/dev/null
EXPECT[bad/t1.p7m]=failed
printf 'detached data\n' >"$A/bad/t2.dat"
sign_cades "$A/bad/t2.dat.p7s" "$A/bad/t2.dat" B-T --detached
printf 'changed after signing\n' >"$A/bad/t2.dat"
EXPECT[bad/t2.dat.p7s]=failed
EXPECT[bad/t2.dat]=skipped
sign_cades "$A/bad/t3.p7m" "$W/t1.txt" B-B
off=$(grep -abo "tamper-me" "$A/bad/t3.p7m" | head -1 | cut -d: -f1)
printf 'Y' | dd of="$A/bad/t3.p7m" bs=1 seek="$off" conv=notrunc 2>/dev/null
EXPECT[bad/t3.p7m]=failed
# PAdES
DOCS=${LTS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/testdata/docs
npdf=0
if [ -f "$DOCS/sample.pdf" ]; then
    for lv in B-B B-T B-LTA; do
        extra=()
        [ "$lv" != B-B ] && extra=(--tsa "$TSA" --trust "$P/root.pem")
        if "$LTSIG" sign --format pades --level "$lv" "${extra[@]}" "${SIGNER[@]}" \
            -o "$A/pdf/signed-$lv.pdf" "$DOCS/sample.pdf" 2>"$W/err"; then
            EXPECT[pdf/signed-$lv.pdf]=renewed
            npdf=$((npdf + 1))
        else
            echo "note: PAdES $lv signing failed: $(cat "$W/err")"
        fi
    done
    cp "$DOCS/sample.pdf" "$A/pdf/unsigned.pdf"
    EXPECT[pdf/unsigned.pdf]=not-a-signature
fi
# XAdES
printf '<invoice><total>42</total></invoice>\n' >"$W/inv.xml"
nxml=0
for n in 1 2; do
    if "$LTSIG" sign --format xades --level B-T --tsa "$TSA" "${SIGNER[@]}" -o "$A/xml/inv$n.xml" \
        "$W/inv.xml" 2>"$W/err"; then
        EXPECT[xml/inv$n.xml]=renewed
        nxml=$((nxml + 1))
    else
        echo "note: XAdES signing failed: $(cat "$W/err")"
    fi
done
printf '<plain>no signature here</plain>\n' >"$A/xml/plain.xml"
EXPECT[xml/plain.xml]=not-a-signature
# not signatures
for i in $(seq 1 8); do
    head -c $((i * 100)) /dev/urandom >"$A/misc/random$i.bin"
    EXPECT[misc/random$i.bin]=not-a-signature
done
printf 'just text\n' >"$A/misc/deep/er/notes.txt"
EXPECT[misc/deep/er/notes.txt]=not-a-signature
: >"$A/misc/empty.p7s"
EXPECT[misc/empty.p7s]=not-a-signature
printf 'not DER at all' >"$A/misc/junk.p7m"
EXPECT[misc/junk.p7m]=not-a-signature
cp "$P/root.pem" "$A/misc/root.pem"
EXPECT[misc/root.pem]=not-a-signature
ln -s ../cades/attached/doc1-B-B.p7m "$A/misc/link.p7m"
EXPECT[misc/link.p7m]=skipped
ln -s .. "$A/misc/deep/loop"
EXPECT[misc/deep/loop]=skipped
# up to $WANT files: copies of the regular files above (a detached signature with its data)
# under extra/N/, each an archive member of its own with the original's expected action
srcs=()
while read -r f; do
    [ -L "$A/$f" ] || [ ! -f "$A/$f" ] && continue
    [ -n "${EXPECT[$f.p7s]:-}" ] && continue # detached data: copied with its signature
    srcs+=("$f")
done < <(printf '%s\n' "${!EXPECT[@]}" | sort)
k=0
while [ "${#EXPECT[@]}" -lt "$WANT" ]; do
    f=${srcs[$((k % ${#srcs[@]}))]}
    d=extra/$((k / 50))
    b=c$k-$(basename "$f")
    mkdir -p "$A/$d"
    k=$((k + 1))
    if [ "${f%.p7s}" != "$f" ] && [ -f "$A/${f%.p7s}" ]; then
        [ $((${#EXPECT[@]} + 2)) -le "$WANT" ] || continue
        cp "$A/${f%.p7s}" "$A/$d/${b%.p7s}"
        EXPECT[$d/${b%.p7s}]=skipped
    fi
    cp "$A/$f" "$A/$d/$b"
    EXPECT[$d/$b]=${EXPECT[$f]}
    [ "$k" -gt $((WANT * 4)) ] && break
done
NFILES=${#EXPECT[@]}
NREN=0
for f in "${!EXPECT[@]}"; do [ "${EXPECT[$f]}" = renewed ] && NREN=$((NREN + 1)); done
echo "archive: $NFILES files ($made CAdES, $nnear near expiry, $npdf PAdES, $nxml XAdES signatures made;" \
    "$k copies; $NREN to renew), made in $(($(date +%s) - T0)) s"
check "archive: $WANT files" test "$NFILES" -eq "$WANT"

# sha256 of every file (links not followed)
snapshot() { # OUT
    (cd "$A" && find . \( -type f -o -type l \) ! -name '.ltsig-renew.journal' -printf '%P\n' |
        sort | while read -r f; do
            if [ -L "$f" ]; then echo "link:$(readlink "$f")  $f"; else sha256sum "$f"; fi
        done) >"$1"
}
snapshot "$W/before.sha"
count_ats() { openssl asn1parse -inform DER -in "$1" 2>/dev/null | grep -c ':0.4.0.1733.2.4'; }
count_dts() { grep -ac '/DocTimeStamp' "$1"; }
count_xats() { grep -oE '<([A-Za-z0-9]+:)?ArchiveTimeStamp[ >]' "$1" | grep -c .; }
declare -A ATS0
for f in "${!EXPECT[@]}"; do
    case "$f" in
    *.p7m | *.p7s) [ "${EXPECT[$f]}" = renewed ] && ATS0[$f]=$(count_ats "$A/$f") ;;
    *.pdf) [ "${EXPECT[$f]}" = renewed ] && ATS0[$f]=$(count_dts "$A/$f") ;;
    *.xml) [ "${EXPECT[$f]}" = renewed ] && ATS0[$f]=$(count_xats "$A/$f") ;;
    esac
done

# --- usage errors and a dry run ------------------------------------------------------------
"$LTSIG" renew "$A" >/dev/null 2>"$W/err"
check "no --tsa: usage error (3)" test $? -eq 3
"$LTSIG" renew --tsa "$TSA" --jobs 0 "$A" >/dev/null 2>&1
check "--jobs 0: usage error" test $? -eq 3
"$LTSIG" renew --tsa "$TSA" --within soon "$A" >/dev/null 2>&1
check "--within soon: usage error" test $? -eq 3
"$LTSIG" renew --tsa "$TSA" --offline "$A" >/dev/null 2>&1
check "--offline without --vdata: usage error" test $? -eq 3
"$LTSIG" renew --tsa "$TSA" >/dev/null 2>&1
check "no PATH: usage error" test $? -eq 3
"$LTSIG" renew --bogus "$A" >/dev/null 2>&1
check "unknown option: usage error" test $? -eq 3
"$LTSIG" renew --dry-run --trust "$P/root.pem" --within 36500 --report "$W/dry.json" "$A" \
    >"$W/dry.out" 2>&1
r=$?
check "dry run: exit 1 (the tampered files fail)" test "$r" -eq 1
snapshot "$W/dry.sha"
check "dry run: nothing modified" cmp "$W/before.sha" "$W/dry.sha"
check "dry run: no journal written" test ! -e "$A/.ltsig-renew.journal"
check "dry run: every signature to renew is due" json "$W/dry.json" \
    "sum(1 for f in r['files'] if f['action']=='due') == $NREN"
# --within 60: the files time-stamped by the TSA whose certificate ends in 20 days are due, and
# their protection ends then; those time-stamped by the suite's TSA (years left) are ok
"$LTSIG" renew --dry-run --no-journal --trust "$P/root.pem" --within 60 --report "$W/near.json" "$A" \
    >/dev/null 2>&1
near_ok() {
    python3 - "$W/near.json" "$(openssl x509 -enddate -noout -in "$W/tsa-near.pem" | cut -d= -f2)" <<'PY'
import json, re, sys, calendar, time, os
r = json.load(open(sys.argv[1]))
end = calendar.timegm(time.strptime(sys.argv[2], "%b %d %H:%M:%S %Y GMT"))
bad = near = far = 0
for f in r["files"]:
    n = os.path.basename(f["path"])
    if re.search(r"near\d\.p7m$", n):
        near += 1
        u = f["protection_until_before"]
        t = calendar.timegm(time.strptime(u, "%Y-%m-%dT%H:%M:%SZ")) if u else None
        if f["action"] != "due" or t is None or abs(t - end) > 1:
            print("near expiry:", n, f["action"], u, "TSA notAfter", sys.argv[2], f["reason"]); bad = 1
    elif re.search(r"-B-(T|LTA)\.(p7m|bin\.p7s|pdf)$", n) and not n.startswith("t"):
        far += 1
        if f["action"] != "ok":
            print("years left:", n, f["action"], f["reason"]); bad = 1
print(near, "near expiry,", far, "with years left")
sys.exit(bad or near < 4 or far < 20)
PY
}
check "dry run --within 60: exactly the files near their TSA's expiry are due" near_ok
# progress: a line rewritten in place on a terminal, plain lines otherwise
if command -v script >/dev/null 2>&1; then
    script -qec "$(printf '%q ' "$LTSIG" renew --dry-run --no-journal --within 36500 \
        --trust "$P/root.pem" "$A/cades/attached")" /dev/null >"$W/tty.out" 2>&1
    check "terminal: a progress line with counts, rate and ETA" \
        grep -qE '\[18/18\] due 18 ok 0 skipped 0 failed 0 .* files/s  ETA' "$W/tty.out"
fi
check "not a terminal: no progress line, one line per file" sh -c \
    "! grep -q 'files/s' '$W/dry.out' && test \$(grep -c '^due ' '$W/dry.out') -eq $NREN"
"$LTSIG" renew --tsa "$TSA" --dry-run "$A/does-not-exist" >"$W/ne.out" 2>&1
r=$?
check "missing PATH: exit 1, named" sh -c "test $r -eq 1 && grep -q 'does-not-exist' '$W/ne.out'"

# --- run 1, killed (SIGKILL) halfway: once half the renewals are in its journal ----------------
START=$(date -u +%s)
RUN=(--jobs 2 --within 36500 --tsa "$TSA" --trust "$P/root.pem")
"$LTSIG" renew "${RUN[@]}" --report "$W/r1.json" "$A" >"$W/run1.out" 2>&1 &
RENEW_PID=$!
HALF=$((NREN / 2))
for _ in $(seq 6000); do
    n=$(grep -c $'\trenewed\t' "$A/.ltsig-renew.journal" 2>/dev/null)
    [ "${n:-0}" -ge "$HALF" ] && break
    kill -0 "$RENEW_PID" 2>/dev/null || break
    sleep 0.02
done
if kill -9 "$RENEW_PID" 2>/dev/null; then
    wait "$RENEW_PID" 2>/dev/null
    ok
else
    ko "run 1 finished before it could be killed"
fi
RENEW_PID=
n1=$(grep -c $'\trenewed\t' "$A/.ltsig-renew.journal")
echo "run 1 killed after $n1 renewals"
check "run 1: killed halfway ($n1 of $NREN renewed)" test "$n1" -ge "$HALF" -a "$n1" -lt "$NREN"
# after the kill: every file is the original or a renewed file that validates
after_kill_ok() {
    local bad=0
    while read -r sum f; do
        [ "${sum#link:}" != "$sum" ] && continue
        [ "$(sha256sum "$A/$f" | cut -d' ' -f1)" = "$sum" ] && continue
        local dc=()
        [ "${f%.p7s}" != "$f" ] && dc=(--detached-content "$A/${f%.p7s}")
        if ! "$LTSIG" verify --trust "$P/root.pem" "${dc[@]}" "$A/$f" >/dev/null 2>&1; then
            echo "$f changed and does not validate"; bad=1
        fi
    done <"$W/before.sha"
    return $bad
}
check "after the kill: every file original or renewed-and-valid" after_kill_ok

# --- run 2: finishes -----------------------------------------------------------------------
"$LTSIG" renew "${RUN[@]}" --report "$W/r2.json" "$A" >"$W/run2.out" 2>&1
r=$?
check "run 2: exit 1 (the tampered files fail)" test "$r" -eq 1
check "run 2: no temp file left" test -z "$(find "$A" -name '*ltsig-renew*' ! -name '.ltsig-renew.journal')"
snapshot "$W/after.sha"
check "run 2: no file lost or added" cmp <(awk '{print $2}' "$W/before.sha") <(awk '{print $2}' "$W/after.sha")
# report of run 2: every file once; actions as expected (files renewed in run 1 are "ok",
# known from the journal)
for f in "${!EXPECT[@]}"; do echo "$f ${EXPECT[$f]}"; done | sort >"$W/expect.txt"
report_ok() {
    python3 - "$W/r2.json" "$A" "$W/expect.txt" <<'PY'
import json, sys, os
r = json.load(open(sys.argv[1]))
root = sys.argv[2]
exp = dict(l.split() for l in open(sys.argv[3]))
got = {}
for f in r["files"]:
    rel = os.path.relpath(f["path"], root)
    if rel in got:
        sys.exit("listed twice: " + rel)
    got[rel] = f
bad = 0
for rel, want in exp.items():
    f = got.get(rel)
    if f is None:
        print("missing from the report:", rel); bad = 1; continue
    a = f["action"]
    if want == "renewed":
        good = a == "renewed" or (a == "ok" and f["journal"] and "renewed" in f["reason"])
        good = good and f["protection_until_after"] is not None
    else:
        good = a == want
    if not good:
        print("unexpected:", rel, "want", want, "got", a, f["reason"]); bad = 1
for rel in got:
    if rel not in exp:
        print("not in the archive:", rel); bad = 1
sys.exit(bad)
PY
}
check "run 2 report: every file once, expected actions" report_ok
check "run 2 report: summary counts add up" json "$W/r2.json" "sum(r['summary'].values()) == len(r['files']) == $NFILES"
check "run 2 report: renewed files have a later protection" json "$W/r2.json" \
    "all(f['protection_until_after'] and (f['protection_until_before'] is None or f['protection_until_after'] >= f['protection_until_before']) for f in r['files'] if f['action']=='renewed')"

# untouched files are byte-identical; renewed ones changed exactly once
while read -r sum f; do
    want=${EXPECT[$f]}
    now=$(grep -F "  $f" "$W/after.sha" | awk -v f="$f" '$2==f {print $1}')
    if [ "$want" = renewed ]; then
        [ "$now" != "$sum" ] || ko "$f: not renewed"
    else
        [ "$now" = "$sum" ] || ko "$f: $want but modified"
    fi
done <"$W/before.sha"
ok

# --- the renewed files, checked by independent verifiers ------------------------------------
SUPPORT=${LTS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/support
ats_check() { # FILE CONTENT TMP: the newest archive-time-stamp-v3, imprint recomputed (tests/support/ats_v3.py), ts -verify
    python3 "$SUPPORT/ats_v3.py" "$1" "$2" "$3.ats.der" last >"$3.ats.hex" || return 1
    openssl ts -verify -token_in -in "$3.ats.der" -digest "$(cat "$3.ats.hex")" -CAfile "$P/root.pem"
}
dts_check() { # PDF TMP: the last document time-stamp, digest of its /ByteRange, ts -verify
    python3 - "$1" "$2.dts.der" >"$2.dts.hex" <<'PY' || return 1
import hashlib, re, sys
d = open(sys.argv[1], "rb").read()
i = d.rfind(b"/DocTimeStamp")
if i < 0: sys.exit("no document time-stamp")
# the signature dictionary around it: its /ByteRange and /Contents
start = d.rfind(b"obj", 0, i); end = d.find(b"endobj", i)
dic = d[start:end]
br = [int(x) for x in re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", dic).groups()]
hexs = re.search(rb"/Contents\s*<([0-9A-Fa-f]+)>", dic).group(1)
tok = bytes.fromhex(hexs.decode())
# strip the zero padding: the DER length says where the token ends
n = tok[1]
if n & 0x80:
    k = n & 0x7f; n = 2 + k + int.from_bytes(tok[2:2 + k], "big")
else:
    n += 2
open(sys.argv[2], "wb").write(tok[:n])
print(hashlib.sha256(d[br[0]:br[0] + br[1]] + d[br[2]:br[2] + br[3]]).hexdigest())
PY
    openssl ts -verify -token_in -in "$2.dts.der" -digest "$(cat "$2.dts.hex")" -CAfile "$P/root.pem"
}
xats_check() { # XML TMP: the last ArchiveTimeStamp token is a TSA-signed token, made now
    python3 - "$1" "$2.xats.der" <<'PY' || return 1
import base64, re, sys
d = open(sys.argv[1]).read()
blocks = re.findall(r"<(?:\w+:)?ArchiveTimeStamp\b.*?</(?:\w+:)?ArchiveTimeStamp>", d, re.S)
if not blocks: sys.exit("no ArchiveTimeStamp")
tok = re.search(r"<(?:\w+:)?EncapsulatedTimeStamp[^>]*>(.*?)</", blocks[-1], re.S).group(1)
open(sys.argv[2], "wb").write(base64.b64decode("".join(tok.split())))
PY
    openssl cms -verify -inform DER -in "$2.xats.der" -CAfile "$P/root.pem" -purpose any \
        -out /dev/null || return 1
    openssl ts -reply -token_in -in "$2.xats.der" -text | python3 -c '
import re, sys, calendar, time
t = re.search(r"Time stamp: (.*?) GMT", sys.stdin.read()).group(1)
g = calendar.timegm(time.strptime(re.sub(r"\.\d+", "", t), "%b %d %H:%M:%S %Y"))
sys.exit(0 if g >= int(sys.argv[1]) - 5 else "genTime %s is before the run" % t)' "$START"
}
# verify_one REL N: every check of one renewed file; failures as "FAIL: ..." lines in $V/N.log
verify_one() {
    local f=$1 t=$V/$2 file=$A/$1 dc=() r base
    local log=$V/$2.res
    : >"$log"
    bad() { echo "FAIL: $f: $*" >>"$log"; }
    case "$f" in
    *.p7s) dc=(--detached-content "${file%.p7s}") ;;
    esac
    "$LTSIG" verify --offline --trust "$P/root.pem" "${dc[@]}" --report json "$file" >"$t.json" 2>&1
    r=$?
    [ $r -eq 0 ] && json "$t.json" 'r["signatures"][0]["level"] in ("B-LTA","ES-A")' ||
        bad "ltsig verify --offline after renewal (exit $r)"
    case "$f" in
    *.p7m)
        base=$(basename "$f" .p7m | sed 's/^c[0-9]*-//')
        openssl cms -verify -binary -inform DER -in "$file" -CAfile "$P/root.pem" -purpose any \
            -out "$t.content" >/dev/null 2>&1 || bad "openssl cms -verify"
        cmp -s "$t.content" "$W/content-$base" || bad "content changed"
        ats_check "$file" "$W/content-$base" "$t" >"$t.ats.log" 2>&1 ||
            bad "archive time-stamp (openssl ts -verify): $(tail -3 "$t.ats.log")"
        [ "$(count_ats "$file")" -eq $((ATS0[$f] + 1)) ] || bad "$(count_ats "$file") archive time-stamps, want $((ATS0[$f] + 1)) (renewed twice?)"
        ;;
    *.p7s)
        openssl cms -verify -binary -inform DER -in "$file" -content "${file%.p7s}" \
            -CAfile "$P/root.pem" -purpose any -out /dev/null >/dev/null 2>&1 ||
            bad "openssl cms -verify (detached)"
        ats_check "$file" "${file%.p7s}" "$t" >"$t.ats.log" 2>&1 ||
            bad "archive time-stamp (openssl ts -verify): $(tail -3 "$t.ats.log")"
        [ "$(count_ats "$file")" -eq $((ATS0[$f] + 1)) ] || bad "$(count_ats "$file") archive time-stamps, want $((ATS0[$f] + 1)) (renewed twice?)"
        ;;
    *.xml)
        xmlsec1 --verify --trusted-pem "$P/root.pem" --untrusted-pem "$P/inter.pem" "$file" \
            >/dev/null 2>&1 || bad "xmlsec1 --verify"
        [ "$(count_xats "$file")" -eq $((ATS0[$f] + 1)) ] ||
            bad "$(count_xats "$file") archive time-stamps, want $((ATS0[$f] + 1)) (renewed twice?)"
        xats_check "$file" "$t" >"$t.xats.log" 2>&1 ||
            bad "archive time-stamp token (openssl): $(tail -3 "$t.xats.log")"
        ;;
    *.pdf)
        qpdf --check "$file" >/dev/null 2>&1 || bad "qpdf --check"
        if command -v pdfsig >/dev/null 2>&1; then
            pdfsig "$file" >"$t.pdfsig" 2>&1
            grep -q 'Signature Validation: Signature is Valid' "$t.pdfsig" || bad "pdfsig: no valid signature"
        fi
        dts_check "$file" "$t" >"$t.dts.log" 2>&1 ||
            bad "document time-stamp (openssl ts -verify): $(tail -3 "$t.dts.log")"
        local c
        c=$(count_dts "$file")
        [ "$c" -ge $((ATS0[$f] + 1)) ] && [ "$c" -le $((ATS0[$f] + 2)) ] ||
            bad "$c document time-stamps after renewal, had ${ATS0[$f]}"
        ;;
    esac
    echo "checked" >>"$log"
}
V=$W/verify
mkdir -p "$V"
nv=0
TV=$(date +%s)
VPIDS=()
for f in "${!EXPECT[@]}"; do
    [ "${EXPECT[$f]}" = renewed ] || continue
    # two at a time (the TSAs keep running in the background: count our own)
    if [ "${#VPIDS[@]}" -ge 2 ]; then
        wait "${VPIDS[0]}"
        VPIDS=("${VPIDS[@]:1}")
    fi
    verify_one "$f" "$nv" &
    VPIDS+=($!)
    nv=$((nv + 1))
done
for p in "${VPIDS[@]}"; do wait "$p"; done
nchecked=$(cat "$V"/*.res 2>/dev/null | grep -c '^checked$')
nfail=$(cat "$V"/*.res 2>/dev/null | grep -c '^FAIL: ')
if [ "$nfail" -gt 0 ]; then
    cat "$V"/*.res | grep '^FAIL: ' | head -40 >&2
    fail=$((fail + nfail))
else
    ok
fi
echo "renewed files checked by the independent verifiers in $(($(date +%s) - TV)) s"
check "renewed files checked: $nchecked" test "$nchecked" -eq "$NREN"

# --- run 3: nothing to do -------------------------------------------------------------------
"$LTSIG" renew "${RUN[@]}" --report "$W/r3.json" "$A" >"$W/run3.out" 2>&1
snapshot "$W/third.sha"
check "run 3: no file modified" cmp "$W/after.sha" "$W/third.sha"
check "run 3: journal says nothing to do" grep -q "nothing to do" "$W/run3.out"
check "run 3: every entry from the journal, none renewed" json "$W/r3.json" \
    "all(f['journal'] or f['action']=='skipped' and 'symbolic link' in f['reason'] for f in r['files']) and r['summary']['renewed'] == 0 and len(r['files']) == $NFILES"
check "run 3: same failures as run 2" json "$W/r3.json" \
    "r['summary']['failed'] == json.load(open('$W/r2.json'))['summary']['failed']"

# --- --retry-failed looks again, still changes nothing --------------------------------------
"$LTSIG" renew "${RUN[@]}" --retry-failed --quiet "$A" >"$W/run4.out" 2>&1
snapshot "$W/fourth.sha"
check "--retry-failed: the failures are checked again, nothing modified" cmp "$W/after.sha" "$W/fourth.sha"
check "--quiet: only failures and the summary" test "$(grep -Evc 'files in|unchanged since|nothing to do|^ltsig renew: ' "$W/run4.out")" -eq 0
check "--quiet: the failures are still named" grep -q '^ltsig renew: .*t1.p7m' "$W/run4.out"

# --- SIGTERM: the workers finish their files, the rest is reported, all consistent ---------
cp -a "$A" "$W/sig"
rm -f "$W/sig/.ltsig-renew.journal"
snapshot_of() { (cd "$1" && find . -type f ! -name '.ltsig-renew.journal' -printf '%P\n' | sort |
    while read -r f; do sha256sum "$f"; done); }
snapshot_of "$W/sig" >"$W/sig.before"
"$LTSIG" renew "${RUN[@]}" --report "$W/sig.json" "$W/sig" >"$W/sig.out" 2>"$W/sig.err" &
RENEW_PID=$!
for _ in $(seq 500); do
    n=$(grep -c '^renewed ' "$W/sig.out" 2>/dev/null)
    [ "${n:-0}" -ge 3 ] && break
    kill -0 "$RENEW_PID" 2>/dev/null || break
    sleep 0.02
done
kill -TERM "$RENEW_PID" 2>/dev/null
wait "$RENEW_PID"
r=$?
RENEW_PID=
check "SIGTERM: exit 1" test "$r" -eq 1
check "SIGTERM: said so" grep -q 'interrupted (signal 15)' "$W/sig.err"
check "SIGTERM: report written, every file listed, the rest 'not looked at'" json "$W/sig.json" \
    "len(r['files']) == $NFILES and any('interrupted' in f['reason'] for f in r['files']) and sum(r['summary'].values()) == $NFILES"
check "SIGTERM: no temp file left" test -z "$(find "$W/sig" -name '*ltsig-renew*' ! -name '.ltsig-renew.journal')"
sig_consistent() {
    python3 - "$W/sig.json" "$W/sig.before" "$W/sig" <<'PY'
import json, sys, hashlib, os
r = json.load(open(sys.argv[1])); before = dict(reversed(l.split()) for l in open(sys.argv[2]))
bad = 0
for f in r["files"]:
    rel = os.path.relpath(f["path"], sys.argv[3])
    if rel not in before: continue
    now = hashlib.sha256(open(f["path"], "rb").read()).hexdigest()
    changed = now != before[rel]
    if changed != (f["action"] == "renewed"):
        print(rel, f["action"], "changed" if changed else "unchanged"); bad = 1
sys.exit(bad)
PY
}
check "SIGTERM: exactly the files reported renewed changed" sig_consistent

# --- the validation policy's hash sunset sets the protection date --------------------------
C=$W/policy
mkdir -p "$C"
printf 'policy test\n' >"$C/p.txt"
sign_cades "$C/p.txt.p7s" "$C/p.txt" B-T --detached
printf 'sunset.sha256 = %s\n' "$(date -u -d '+10 days' +%F)" >"$W/policy.conf"
pol() { # WITHIN [--policy]: the action the dry run reports for p.txt.p7s
    "$LTSIG" renew --dry-run --no-journal --within "$1" --trust "$P/root.pem" "${@:2}" \
        --report "$W/pol.json" "$C" >/dev/null 2>&1
    python3 -c 'import json,sys; print([f["action"] for f in json.load(open(sys.argv[1]))["files"] if f["path"].endswith(".p7s")][0])' "$W/pol.json"
}
check "policy: SHA-256 sunset in 10 days, --within 5: ok" test "$(pol 5 --policy "$W/policy.conf")" = ok
check "policy: SHA-256 sunset in 10 days, --within 30: due" test "$(pol 30 --policy "$W/policy.conf")" = due
check "no policy, --within 30: ok (the TSA certificate lasts years)" test "$(pol 30)" = ok
"$LTSIG" renew --dry-run --policy "$W/missing.conf" "$C" >/dev/null 2>"$W/err"
r=$?
check "missing policy file: error naming it" sh -c "test $r -ge 3 && grep -q missing.conf '$W/err'"

# --- --out DIR: the originals stay -----------------------------------------------------------
B=$W/small
mkdir -p "$B/in"
printf 'out test\n' >"$B/in/o.txt"
sign_cades "$B/in/o.txt.p7s" "$B/in/o.txt" B-T --detached
sha0=$(sha256sum "$B/in/o.txt.p7s" | cut -d' ' -f1)
"$LTSIG" renew --tsa "$TSA" --trust "$P/root.pem" --within 36500 --out "$B/out" "$B/in" >"$W/out.out" 2>&1
check "--out: exit 0" test $? -eq 0
check "--out: original unchanged" test "$(sha256sum "$B/in/o.txt.p7s" | cut -d' ' -f1)" = "$sha0"
check "--out: renewed copy validates" "$LTSIG" verify --trust "$P/root.pem" \
    --detached-content "$B/in/o.txt" "$B/out/o.txt.p7s"
check "--out: renewed copy has an archive time-stamp" test "$(count_ats "$B/out/o.txt.p7s")" -eq 1

# --- --offline --vdata DIR: validation data from a folder ------------------------------------
V=$W/vdata
mkdir -p "$V" "$W/off"
cp "$P/chain.pem" "$P/tsa-chain.pem" "$P/inter.crl" "$P/root.crl" "$V/"
printf 'offline renewal\n' >"$W/off.txt"
sign_cades "$W/off/o.p7m" "$W/off.txt" B-T
"$LTSIG" renew --offline --vdata "$V" --tsa "$TSA" --trust "$P/root.pem" --within 36500 \
    --no-journal "$W/off" >"$W/off.out" 2>&1
check "--offline --vdata: exit 0 ($(tail -1 "$W/off.out"))" test $? -eq 0
"$LTSIG" verify --offline --trust "$P/root.pem" --report json "$W/off/o.p7m" >"$W/off.json" 2>&1
check "--offline --vdata: renewed to B-LTA, validates offline" json "$W/off.json" \
    'r["indication"]=="TOTAL_PASSED" and r["signatures"][0]["level"]=="B-LTA"'
check "--offline --vdata: the CRLs from the folder are embedded" sh -c \
    "openssl asn1parse -inform DER -in '$W/off/o.p7m' | grep -q ':X509v3 CRL Number'"
check "--no-journal: no journal written" test ! -e "$W/off/.ltsig-renew.journal"
"$LTSIG" renew --offline --vdata "$W/no-such-dir" --tsa "$TSA" "$W/off" >"$W/off2.out" 2>&1
check "--vdata missing folder: error (4) naming it" sh -c "test $? -eq 4 && grep -q no-such-dir '$W/off2.out'"

# --- the TSA down: every renewal fails, nothing is touched, nothing left behind ------------
mkdir -p "$W/down"
cp "$W/off/o.p7m" "$W/down/" 2>/dev/null || sign_cades "$W/down/o.p7m" "$W/off.txt" B-T
sum0=$(sha256sum "$W/down/o.p7m" | cut -d' ' -f1)
"$LTSIG" renew --tsa http://127.0.0.1:19009/ --timeout 3 --trust "$P/root.pem" --within 36500 \
    --report "$W/down.json" "$W/down" >"$W/down.out" 2>&1
check "TSA down: exit 1" test $? -eq 1
check "TSA down: file untouched" test "$(sha256sum "$W/down/o.p7m" | cut -d' ' -f1)" = "$sum0"
check "TSA down: no temp file left" test -z "$(find "$W/down" -name '*ltsig-renew*' ! -name '.ltsig-renew.journal')"
check "TSA down: reported failed with the reason" json "$W/down.json" \
    "r['files'][0]['action']=='failed' and '19009' in r['files'][0]['reason']"

# --- a journal cut short by a crash is tolerated --------------------------------------------
printf 'L1\t123\trenewed\t1\t5' >>"$B/in/.ltsig-renew.journal"
"$LTSIG" renew --tsa "$TSA" --trust "$P/root.pem" --within 36500 --out "$B/out2" "$B/in" >"$W/cut.out" 2>&1
check "journal with a torn last line: run goes on (exit 0)" test $? -eq 0

# --- a journal of garbage is ignored line by line, never trusted --------------------------
head -c 30000 /dev/urandom >"$B/in/.ltsig-renew.journal"
printf 'L1\tx\trenewed\t1\t2\t3\t%064d\t-\t%s\t\n' 0 "$B/in/o.txt.p7s" >>"$B/in/.ltsig-renew.journal"
"$LTSIG" renew --tsa "$TSA" --trust "$P/root.pem" --within 36500 --out "$B/out3" "$B/in" \
    --report "$W/garbage.json" >"$W/garbage.out" 2>&1
check "garbage journal: run goes on (exit 0)" test $? -eq 0
check "garbage journal: the signature is renewed, not taken from the garbage" json "$W/garbage.json" \
    "[f['action'] for f in r['files'] if f['path'].endswith('.p7s')] == ['renewed']"

# --- file names are bytes: a name that is not UTF-8 still gives a JSON report -----------------
mkdir -p "$W/names"
echo "not a signature" >"$W/names/$(printf 'caf\xe9.txt')"
cp "$W/down/o.p7m" "$W/names/$(printf 'r\xe9sum\xe9.p7m')"
"$LTSIG" renew --dry-run --no-journal --trust "$P/root.pem" --within 36500 \
    --report "$W/names.json" "$W/names" >"$W/names.out" 2>&1
check "non-UTF-8 names: exit 0" test $? -eq 0
check "non-UTF-8 names: the report is JSON and lists both, bytes replaced by U+FFFD" json \
    "$W/names.json" "sorted(f['path'].rsplit('/', 1)[1] for f in r['files']) == ['caf\\ufffd.txt', 'r\\ufffdsum\\ufffd.p7m'] and sorted(f['action'] for f in r['files']) == ['due', 'not-a-signature']"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
