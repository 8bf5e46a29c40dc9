#!/bin/bash
# tests/fuzz/run-short.sh BUILDDIR [RUNS] — build the clang/libFuzzer fuzz targets in
# BUILDDIR (cmake -DLTS_FUZZ=ON, CC=clang) and run each for RUNS inputs (default 2000)
# starting from its seed corpus and regressions, with ASan + UBSan. Exit 0 when no target
# crashed, leaked or timed out. The new inputs libFuzzer finds go to a scratch folder, never
# into the committed corpus. Prints the time each target took.
# Env: FUZZ_TIME=S runs each target for S seconds instead (what `make fuzz` does); the
# inputs it finds are then kept in BUILDDIR/fuzz-corpus/<target>/ for the next run.
# FUZZ_TARGETS="cades tsa" limits the targets. JOBS (default 2) for the build.
# A crash leaves its input in BUILDDIR/fuzz-artifacts/art-<target>/ (docs/fuzzing.md says
# how to turn it into a regression input).
# Needs: clang, libclang-rt-14-dev (the libFuzzer runtime).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BUILDDIR [RUNS]" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
BUILD=$1
RUNS=${2:-2000}
JOBS=${JOBS:-2}
TARGETS=${FUZZ_TARGETS:-cades tsa ocsp crl xades pades p11uri validate csc}

command -v clang >/dev/null || { echo "run-short: clang is not installed" >&2; exit 1; }
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd -P)
if grep -q "LTS_FUZZ" "$ROOT/CMakeLists.txt" && grep -q "tests/fuzz" "$ROOT/CMakeLists.txt"; then
    SRC=$ROOT
    FUZZDIR=$BUILD/tests/fuzz
else
    # the top-level CMakeLists.txt does not know tests/fuzz yet: a scratch wrapper project
    SRC=$BUILD/scratch-src
    bash "$HERE/scratch-project.sh" "$SRC"
    FUZZDIR=$BUILD/fuzz
fi
if [ -f "$BUILD/CMakeCache.txt" ] &&
    ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$SRC" "$BUILD/CMakeCache.txt"; then
    rm -rf "$BUILD/CMakeCache.txt" "$BUILD/CMakeFiles" # configured from the other source tree
fi
t0=$(date +%s)
CC=clang CXX=clang++ cmake -S "$SRC" -B "$BUILD" -DLTS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >"$BUILD/cmake.log" 2>&1 || { tail -20 "$BUILD/cmake.log"; exit 1; }
if ! cmake --build "$BUILD" -j"$JOBS" --target fuzz_all >"$BUILD/build.log" 2>&1; then
    grep -E -B2 -A6 "error" "$BUILD/build.log" | head -60
    echo "run-short: build failed (log: $BUILD/build.log)"
    exit 1
fi
t1=$(date +%s)
echo "run-short: build took $((t1 - t0)) s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/lts-fuzz-short.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
fail=0
if [ -n "${FUZZ_TIME:-}" ]; then
    LIMIT=(-max_total_time="$FUZZ_TIME")
    WHAT="$FUZZ_TIME s"
else
    LIMIT=(-runs="$RUNS")
    WHAT="$RUNS runs"
fi
for t in $TARGETS; do
    mkdir -p "$SCRATCH/$t" "$SCRATCH/art-$t"
    new=$SCRATCH/$t
    if [ -n "${FUZZ_TIME:-}" ]; then
        new=$BUILD/fuzz-corpus/$t
        mkdir -p "$new"
    fi
    dirs=("$new" "$HERE/corpus/$t")
    [ -d "$HERE/regressions/$t" ] && dirs+=("$HERE/regressions/$t")
    s=$(date +%s)
    if (cd "$SCRATCH" && "$FUZZDIR/fuzz_$t" "${LIMIT[@]}" -max_len=65536 -timeout=20 \
        -rss_limit_mb=2048 -seed=1 -artifact_prefix="$SCRATCH/art-$t/" "${dirs[@]}") \
        >"$SCRATCH/$t.log" 2>&1; then
        echo "run-short: fuzz_$t: $WHAT ok ($(($(date +%s) - s)) s)"
    else
        echo "run-short: fuzz_$t FAILED ($(($(date +%s) - s)) s):"
        grep -E "ERROR|SUMMARY|==[0-9]+==|runtime error" "$SCRATCH/$t.log" | head -20
        ls "$SCRATCH/art-$t" 2>/dev/null | sed 's/^/  artifact: /'
        mkdir -p "$BUILD/fuzz-artifacts"
        cp -r "$SCRATCH/art-$t" "$BUILD/fuzz-artifacts/" 2>/dev/null || true
        cp "$SCRATCH/$t.log" "$BUILD/fuzz-artifacts/" 2>/dev/null || true
        fail=1
    fi
done
echo "run-short: total $(($(date +%s) - t0)) s"
exit $fail
