#!/bin/bash
# PAdES on large files: verifying a 300 MB PDF with two signatures (so the revision
# comparison runs too) keeps the resident size under 64 MB (/usr/bin/time -v), and a
# large stream redefined by a later update with the same dictionary is still caught.
# Not a timing test (it takes a few seconds).
# Env: LTSIG, LTS_TEST_PKI, LTS_SRC; LTS_PADES_LARGE_MB (default 300).
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
P=$LTS_TEST_PKI
MB=${LTS_PADES_LARGE_MB:-300}
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-pades-large.XXXXXX")
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { # DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@" >"$W/check.out" 2>&1; then ok; else ko "$d"; sed 's/^/    /' "$W/check.out" | head -20 >&2; fi
}
sign() { # OUT IN KEY
    "$LTSIG" sign --format pades --level B-B --signer "file:$P/signer-$3.p12" \
        --passin pass:test1234 -o "$1" "$2"
}
MK="python3 $LTS_SRC/testdata/pades/make_large_pdf.py"

if [ ! -x /usr/bin/time ]; then echo "SKIP: /usr/bin/time (package time) is not installed"; echo "0 passed, 0 failed"; exit 0; fi
avail=$(df -Pk "$W" | awk 'NR==2 {print $4}')
if [ "$avail" -lt $((MB * 3 * 1024 + 102400)) ]; then
    echo "SKIP: not enough space in $W for three ${MB} MB files"; echo "0 passed, 0 failed"; exit 0
fi

check "make a ${MB} MB PDF" $MK "$W/big.pdf" "$MB"
check "qpdf --check" qpdf --check "$W/big.pdf"
check "sign it" sign "$W/s1.pdf" "$W/big.pdf" rsa
rm -f "$W/big.pdf"
check "sign it again" sign "$W/s2.pdf" "$W/s1.pdf" ec
rm -f "$W/s1.pdf"
/usr/bin/time -v "$LTSIG" verify --trust "$P/root.pem" "$W/s2.pdf" >"$W/v.out" 2>"$W/v.time"
rc=$?
rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$W/v.time")
secs=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$W/v.time")
echo "verify of $(($(stat -c %s "$W/s2.pdf") >> 20)) MB: max RSS ${rss:-?} kB, wall $secs"
check "verify passes (rc $rc)" test "$rc" -eq 0
check "both signatures TOTAL_PASSED" test "$(grep -c '^Signature .*: TOTAL_PASSED$' "$W/v.out")" -eq 2
check "the second signature is an allowed change for the first" grep -q "allowed change after signing: signature field Signature2 added in revision 3" "$W/v.out"
check "max RSS ${rss:-?} kB < 64 MB" test "${rss:-999999}" -lt 65536
rm -f "$W/s2.pdf"

# a stream over the 16 MiB comparison limit, redefined with the same dictionary and length
check "make a 20 MB PDF" $MK "$W/m.pdf" 20
check "sign it" sign "$W/m1.pdf" "$W/m.pdf" rsa
python3 - "$W/m1.pdf" "$W/m2.pdf" <<'PY'
import re, subprocess, sys
src, dst = sys.argv[1], sys.argv[2]
d = open(src, "rb").read()
i = d.index(b"6 0 obj")
j = d.index(b"stream\n", i) + 7
k = d.index(b"\nendstream", j)
tr = subprocess.run(["qpdf", "--show-object=trailer", src], capture_output=True, text=True).stdout
size = int(re.search(r"/Size (\d+)", tr).group(1)); root = re.search(r"/Root (\d+ \d+ R)", tr).group(1)
prev = int(d[d.rstrip().rfind(b"startxref") + 9:].split()[0])
f = open(dst, "wb"); f.write(d); off = len(d)
f.write(d[i:j] + bytes(255 - b for b in d[j:k]) + b"\nendstream\nendobj\n")   # inverted image
x = f.tell()
f.write(b"xref\n6 1\n%010d 00000 n\r\ntrailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (off, size, root.encode(), prev, x))
PY
check "qpdf --check of the attacked file" qpdf --check "$W/m2.pdf"
"$LTSIG" verify --trust "$P/root.pem" "$W/m2.pdf" >"$W/v2.out" 2>&1
rc=$?
check "large image replaced: verify fails (rc $rc)" test "$rc" -eq 1
check "large image replaced: named" grep -q "MODIFICATION after signing: page 1 /Resources changed in revision 3" "$W/v2.out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
