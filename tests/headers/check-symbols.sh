#!/bin/bash
# libltsig.so must export only lts_ symbols, and each of them must be declared in a public
# header (-fvisibility=hidden + LTS_API).
set -euo pipefail
lib=$1
inc=$2
bad=0
n=0
while read -r sym; do
    n=$((n + 1))
    case "$sym" in
    lts_*) ;;
    *) echo "exported but not lts_: $sym"; bad=1; continue ;;
    esac
    if ! grep -rqw "$sym" "$inc"; then
        echo "exported but not in include/: $sym"
        bad=1
    fi
done < <(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}')
if [ "$n" -eq 0 ]; then
    echo "no symbols exported from $lib"
    bad=1
fi
if [ $bad -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $bad
