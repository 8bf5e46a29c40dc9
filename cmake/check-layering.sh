#!/bin/bash
# Checks the dependency direction of DESIGN.md on every #include "..." of the library:
#   cli -> validation -> formats -> (tsa, backend) -> core;  backend/server -> backend, tsa, core
# and that no module includes another module's private *_int.h. Exit 1 listing violations.
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

allowed() { # module of the including file -> modules it may include from
    case "$1" in
    core) echo "core" ;;
    backend) echo "backend core" ;;
    tsa) echo "tsa backend core" ;;
    cades | xades | pades) echo "$1 cades tsa backend core" ;;
    validation) echo "validation cades xades pades tsa backend core" ;;
    server) echo "server backend tsa core" ;;
    cli) echo "cli validation cades xades pades tsa backend core" ;;
    *) echo "" ;;
    esac
}

module_of() {
    case "$1" in
    core/*) echo core ;;
    backend/server/*) echo server ;;
    backend/*) echo backend ;;
    tsa/*) echo tsa ;;
    formats/cades/*) echo cades ;;
    formats/xades/*) echo xades ;;
    formats/pades/*) echo pades ;;
    validation/*) echo validation ;;
    cli/*) echo cli ;;
    *) echo "" ;;
    esac
}

bad=0
while IFS= read -r f; do
    from=$(module_of "$f")
    [ -z "$from" ] && continue
    while IFS= read -r inc; do
        [ -z "$inc" ] && continue
        to=""
        case "$inc" in
        core/*) to=core ;;
        backend/server/*) to=server ;;
        backend/*) to=backend ;;
        tsa/*) to=tsa ;;
        formats/cades/*) to=cades ;;
        formats/xades/*) to=xades ;;
        formats/pades/*) to=pades ;;
        validation/*) to=validation ;;
        cli/*) to=cli ;;
        *_int.h) # a private header without a path: must live in the same folder
            d=$(dirname "$f")
            while [ "$d" != "." ] && [ ! -f "$d/$inc" ]; do d=$(dirname "$d"); done
            if [ ! -f "$d/$inc" ] || [ "$(module_of "$d/$inc")" != "$from" ]; then
                echo "$f: includes $inc from another module"
                bad=1
            fi
            continue ;;
        *) continue ;;
        esac
        if ! allowed "$from" | tr ' ' '\n' | grep -qx "$to"; then
            echo "$f: $from must not include $inc ($to)"
            bad=1
        fi
        if [[ "$inc" == *_int.h ]] && [ "$from" != "$to" ]; then
            echo "$f: includes another module's private header $inc"
            bad=1
        fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(git ls-files 'core/*.[ch]' 'backend/*.[ch]' 'tsa/*.[ch]' 'formats/*.[ch]' \
    'validation/*.[ch]' 'cli/*.[ch]' 2>/dev/null || find core backend tsa formats validation cli -name '*.[ch]')

if [ $bad -ne 0 ]; then
    echo "layering check: violations found"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "layering check: ok"
echo "1 passed, 0 failed"
