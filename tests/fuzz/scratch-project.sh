#!/bin/bash
# tests/fuzz/scratch-project.sh OUTDIR — write a small CMake project into OUTDIR that builds
# the whole tree plus tests/fuzz, with the LTS_FUZZ option (clang + libFuzzer). For use
# only while the top-level CMakeLists.txt does not have `add_subdirectory(tests/fuzz)` and
# the LTS_FUZZ option yet (docs/fuzzing.md); run-short.sh calls it then.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
SRC=$(cd "$(dirname "$0")/../.." && pwd -P)
mkdir -p "$1"
cat >"$1/CMakeLists.txt" <<EOT
cmake_minimum_required(VERSION 3.20)
project(ltsig_fuzz_scratch C CXX)
option(LTS_FUZZ "libFuzzer targets (clang)" OFF)
option(LTS_SANITIZE "ASan + UBSan" OFF)
if(LTS_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(LTS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
enable_testing()
add_subdirectory($SRC main)
add_subdirectory($SRC/tests/fuzz fuzz)
EOT
