#!/bin/bash
# Run every test: install what is missing, build (warnings are errors), run the CTest
# suite (unit + integration, with the test PKI and loopback services as fixtures), then
# the same suite in an ASan + UBSan build, then each libFuzzer target (clang, ASan + UBSan)
# for a short fixed number of runs on its seed corpus and regressions.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc)

bash scripts/deps.sh

run_suite() { # build-dir, extra cmake flags...
    local dir=$1
    shift
    cmake -S "$ROOT" -B "$dir" -DLTS_WERROR=ON "$@" >/dev/null
    if ! cmake --build "$dir" -j"$JOBS" >"$dir/build.log" 2>&1; then
        grep -E -B2 -A6 "error|Error" "$dir/build.log" | head -80
        echo "build failed in $dir (log: $dir/build.log)"
        return 1
    fi
    if grep -q "warning:" "$dir/build.log"; then
        grep -A4 "warning:" "$dir/build.log" | head -60
        echo "the build has warnings"
        return 1
    fi
    (cd "$dir" && ctest --output-on-failure --timeout 900 -j"$JOBS")
}

echo "== normal build =="
run_suite "$ROOT/build"
echo "== sanitizer build (ASan + UBSan) =="
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite "$ROOT/build-asan" -DLTS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== short fuzz runs (libFuzzer, ${LTS_FUZZ_RUNS:-2000} runs per target) =="
JOBS=$JOBS bash tests/fuzz/run-short.sh "$ROOT/build-fuzz" "${LTS_FUZZ_RUNS:-2000}"
echo "all suites passed"
