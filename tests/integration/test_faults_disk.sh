#!/bin/bash
# Fault injection on the output file system (issue 8): `ltsig sign` (CAdES, XAdES, PAdES)
# and `ltsig extend` writing into
#   - a full file system (a 64 KiB tmpfs filled up),
#   - a file system with too little room for the output (the write fails half way),
#   - a read-only folder (the tmpfs remounted read-only);
# each must exit >= 3 with a one-line "ltsig: ..." error, leave neither the output nor a
# temporary file (the folder listing is compared before/after), and never modify the
# input (sha256 before/after, also with the input inside the full folder).
# When mounting is not allowed (not root, no CAP_SYS_ADMIN), the full-disk cases fall back
# to a file-size limit (ulimit -f, SIGXFSZ ignored: write() then fails with EFBIG) and the
# read-only case to chattr +i (or chmod for a non-root user); a case whose mechanism the
# sandbox forbids is skipped and counted as such.
# Env: LTSIG, LTS_SRC; optional TMPDIR, LTS_FAULTS_NO_MOUNT=1 (try the fallbacks). A TSA (`ltsig tsa-serve`) on port 19106 for extend.
set -u
: "${LTSIG:?}" "${LTS_SRC:?}"
PT=19106
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-faults-disk.XXXXXX")
MNT=$W/fs
MOUNTED=0
IMMUTABLE=
TSA_PID=
cleanup() {
    [ -n "$TSA_PID" ] && kill "$TSA_PID" 2>/dev/null && wait "$TSA_PID" 2>/dev/null
    [ -n "$IMMUTABLE" ] && chattr -i "$IMMUTABLE" 2>/dev/null
    [ $MOUNTED = 1 ] && umount "$MNT" 2>/dev/null
    chmod -R u+w "$W" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
pass=0
fail=0
skip=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

bash "$LTS_SRC/testdata/pki/make-pki.sh" "$W/pki" >/dev/null || {
    echo "make-pki.sh failed"; echo "0 passed, 1 failed"; exit 1; }
P=$W/pki
DOCS=$LTS_SRC/testdata/docs
SIGNER=(--signer "file:$P/signer-rsa.p12" --passin pass:test1234)
mkdir -p "$W/in" "$MNT"
# inputs big enough that their signed output cannot fit in 8 KiB
for _ in 1 2 3 4 5; do cat "$DOCS/sample.bin"; done >"$W/in/big.bin"
python3 -c 'import sys; sys.stdout.write("<doc>" + "<p>ltsig disk full test</p>\n" * 800 + "</doc>\n")' \
    >"$W/in/big.xml"
cp "$DOCS/sample.pdf" "$W/in/doc.pdf"
"$LTSIG" sign --format cades --level B-B "${SIGNER[@]}" -o "$W/in/bb.p7m" "$W/in/big.bin" ||
    ko "B-B CAdES for extend"

# a TSA for extend
"$LTSIG" tsa-serve --signer "file:$P/tsa.p12" --passin pass:test1234 --port $PT >"$W/tsa.log" 2>&1 &
TSA_PID=$!
TSA_URL=http://127.0.0.1:$PT/
openssl ts -query -data "$DOCS/sample.txt" -sha256 -cert -out "$W/q.tsq" 2>/dev/null
for _ in $(seq 50); do
    curl -s -m 2 -H 'Content-Type: application/timestamp-query' --data-binary @"$W/q.tsq" \
        -o "$W/q.tsr" "$TSA_URL" && openssl ts -reply -in "$W/q.tsr" -text >/dev/null 2>&1 && break
    sleep 0.1
done

sums() { (cd "$W/in" && sha256sum -- * 2>/dev/null); [ -f "$MNT/in.txt" ] && sha256sum "$MNT/in.txt"; }

# expect_fail NAME OUT [RUN_PREFIX...] -- CMD...   (OUT's folder is compared before/after)
expect_fail() {
    local name=$1 out=$2 dir before after sb sa rc lines
    dir=$(dirname "$2")
    shift 2
    local -a pre=()
    while [ "$1" != "--" ]; do pre+=("$1"); shift; done
    shift
    before=$(ls -A "$dir")
    sb=$(sums)
    "${pre[@]}" "$@" >"$W/stdout" 2>"$W/stderr"
    rc=$?
    after=$(ls -A "$dir")
    sa=$(sums)
    lines=$(grep -c . "$W/stderr")
    if [ $rc -ge 3 ] && [ $rc -lt 126 ]; then ok; else ko "$name: exit $rc (want >= 3)"; fi
    if [ "$lines" = 1 ] && grep -q '^ltsig: ' "$W/stderr"; then ok; else
        ko "$name: not a one-line error:"; sed 's/^/    /' "$W/stderr" >&2
    fi
    if [ ! -e "$out" ] && [ "$before" = "$after" ]; then ok; else
        ko "$name: left files: $(echo "$after" | tr '\n' ' ') (before: $(echo "$before" | tr '\n' ' '))"
        rm -f "$out" 2>/dev/null
    fi
    if [ "$sb" = "$sa" ]; then ok; else ko "$name: an input changed"; fi
    echo "  $name: exit $rc: $(head -c 300 "$W/stderr")"
}

# run_all NAME-PREFIX DIR [RUN_PREFIX...]: every command, output into DIR
run_all() {
    local pfx=$1 dir=$2
    shift 2
    expect_fail "$pfx: sign cades" "$dir/o.p7m" "$@" -- "$LTSIG" sign --format cades --level B-B \
        "${SIGNER[@]}" -o "$dir/o.p7m" "$W/in/big.bin"
    expect_fail "$pfx: sign xades" "$dir/o.xml" "$@" -- "$LTSIG" sign --format xades --level B-B \
        "${SIGNER[@]}" -o "$dir/o.xml" "$W/in/big.xml"
    expect_fail "$pfx: sign pades" "$dir/o.pdf" "$@" -- "$LTSIG" sign --format pades --level B-B \
        "${SIGNER[@]}" -o "$dir/o.pdf" "$W/in/doc.pdf"
    expect_fail "$pfx: extend cades B-T" "$dir/e.p7m" "$@" -- "$LTSIG" extend --level B-T \
        --tsa "$TSA_URL" --timeout 5 -o "$dir/e.p7m" "$W/in/bb.p7m"
}

# controls: the same commands work on a normal folder
mkdir -p "$W/okdir"
if "$LTSIG" sign --format pades --level B-B "${SIGNER[@]}" -o "$W/okdir/o.pdf" "$W/in/doc.pdf" &&
    "$LTSIG" extend --level B-T --tsa "$TSA_URL" --timeout 5 -o "$W/okdir/e.p7m" "$W/in/bb.p7m" &&
    [ -s "$W/okdir/o.pdf" ] && [ -s "$W/okdir/e.p7m" ]; then ok; else ko "controls failed"; fi

if [ -z "${LTS_FAULTS_NO_MOUNT:-}" ] && mount -t tmpfs -o size=64k,mode=0755 tmpfs "$MNT" 2>/dev/null; then
    MOUNTED=1
    echo "== a 64 KiB tmpfs"
    # completely full
    dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
    cp "$DOCS/sample.txt" "$MNT/in.txt" 2>/dev/null # may not fit: then the next line says so
    run_all "full" "$MNT"
    if [ -f "$MNT/in.txt" ]; then
        expect_fail "full: sign cades, input in the full folder" "$MNT/o2.p7m" -- "$LTSIG" sign \
            --format cades --level B-B "${SIGNER[@]}" -o "$MNT/o2.p7m" "$MNT/in.txt"
    fi
    # 8 KiB left: the outputs start being written and fail half way
    rm -f "$MNT/filler" "$MNT/in.txt"
    dd if=/dev/zero of="$MNT/filler" bs=4k count=14 2>/dev/null
    run_all "8 KiB left" "$MNT"
    # read-only
    rm -f "$MNT/filler"
    if mount -o remount,ro "$MNT" 2>/dev/null; then
        echo "== read-only tmpfs"
        run_all "read-only" "$MNT"
    else
        echo "cannot remount read-only: read-only case skipped"
        skip=$((skip + 1))
    fi
else
    echo "== no mount allowed: file-size limit (ulimit -f 8, SIGXFSZ ignored)"
    mkdir -p "$MNT"
    run_all "ulimit -f 8" "$MNT" bash -c 'ulimit -f 8; trap "" XFSZ; exec "$@"' limit
    if chattr +i "$MNT" 2>/dev/null; then
        IMMUTABLE=$MNT
        echo "== chattr +i folder"
        run_all "immutable" "$MNT"
    elif [ "$(id -u)" != 0 ]; then
        chmod a-w "$MNT"
        echo "== read-only folder (chmod)"
        run_all "read-only" "$MNT"
    else
        echo "neither mount nor chattr +i allowed: read-only case skipped"
        skip=$((skip + 1))
    fi
fi

# the inputs were never changed (also compared around every command above)
if cmp -s "$W/in/doc.pdf" "$DOCS/sample.pdf"; then ok; else ko "doc.pdf changed"; fi
if [ $skip -gt 0 ]; then
    echo "$pass passed, $fail failed, $skip skipped"
else
    echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
