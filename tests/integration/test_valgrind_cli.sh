#!/bin/bash
# The CLI paths under valgrind: no invalid access, no definite leak, on success and on the
# usual failures. Skipped in the sanitizer build (valgrind cannot run ASan binaries).
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}" "${LTS_SRC:?}" "${LTS_BUILD:?}"
pass=0
fail=0
if grep -q "LTS_SANITIZE:BOOL=ON" "$LTS_BUILD/CMakeCache.txt" 2>/dev/null || ! command -v valgrind >/dev/null; then
    echo "sanitizer build or no valgrind: skipped"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-vg.XXXXXX")
trap 'rm -rf "$W"' EXIT
PKI=$LTS_TEST_PKI
DOC=$LTS_SRC/testdata/docs/sample.bin

vg() { # expected-exit name args...
    local want=$1 name=$2
    shift 2
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --log-file="$W/$name.vg" "$LTSIG" "$@" >"$W/$name.out" 2>"$W/$name.err"
    local got=$?
    if [ "$got" = "$want" ] && [ ! -s "$W/$name.vg" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $name: exit $got (want $want)"
        head -30 "$W/$name.vg" "$W/$name.err"
    fi
}

vg 0 sign_attached sign --format cades --level B-B --signer "file:$PKI/signer-rsa.p12" --passin pass:test1234 -o "$W/a.p7m" "$DOC"
vg 0 sign_detached_ec sign --format cades --level B-B --signer "file:$PKI/signer-ec.p12" --passin pass:test1234 --detached -o "$W/d.p7s" "$DOC"
vg 0 verify_text verify --trust "$PKI/root.pem" "$W/a.p7m"
vg 0 verify_json verify --trust "$PKI/root.pem" --detached-content "$DOC" --report json "$W/d.p7s"
vg 2 verify_untrusted verify --trust "$PKI/untrusted-root.pem" "$W/a.p7m"
vg 4 sign_wrong_password sign --format cades --level B-B --signer "file:$PKI/signer-rsa.p12" --passin pass:wrong -o "$W/x.p7m" "$DOC"
vg 4 verify_missing verify "$W/does-not-exist.p7s"
vg 3 usage sign --format cades
vg 0 help verify --help

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
