#!/bin/bash
# Compile each public header alone with -std=c11 -pedantic -Werror (and as C++), so every
# header includes what it needs and nothing leaks non-standard C.
set -euo pipefail
SRC=${LTS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for h in "$SRC"/include/ltsig/*.h "$SRC"/include/ltsig/sys/*.h; do
    rel=${h#"$SRC/include/"}
    printf '#include <%s>\nint main(void) { return 0; }\n' "$rel" > "$tmp/t.c"
    if cc -std=c11 -pedantic -Wall -Wextra -Werror -I"$SRC/include" -c "$tmp/t.c" -o "$tmp/t.o" 2> "$tmp/err"; then
        pass=$((pass + 1))
    else
        echo "FAIL: $rel does not compile alone:"
        head -5 "$tmp/err"
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
