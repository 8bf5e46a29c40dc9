#!/bin/bash
# Docs and command-line surface: the man pages render with groff and `man -l` without a
# warning; `ltsig --help` and every command's --help exit 0; every flag a --help lists is
# accepted by that command's parser (and a made-up flag is refused, so the check can fail);
# every command and every flag is in ltsig(1); the bash completion sources cleanly and
# completes commands, flags and values; the docs the guide points to exist.
# Env: LTSIG, LTS_SRC; optional LTS_BUILD (for ltsigd), TMPDIR.
set -u
: "${LTSIG:?}"
SRC=${LTS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-docs.XXXXXX")
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() {
    local d=$1; shift
    if "$@" >"$W/check.out" 2>&1; then ok; else ko "$d"; sed 's/^/    /' "$W/check.out" | head -20 >&2; fi
}
MAN1=$SRC/docs/man/ltsig.1
MAN8=$SRC/docs/man/ltsigd.8

# --- man pages ---------------------------------------------------------------------------
for m in "$MAN1" "$MAN8"; do
    b=$(basename "$m")
    groff -man -Tutf8 -ww -z "$m" >"$W/groff.err" 2>&1
    r=$?
    check "$b: groff -man -ww exit 0" test "$r" -eq 0
    check "$b: groff -man -ww says nothing" test ! -s "$W/groff.err"
    if command -v man >/dev/null 2>&1; then
        MANWIDTH=80 man -l "$m" >"$W/man.out" 2>"$W/man.err"
        r=$?
        check "$b: man -l exit 0" test "$r" -eq 0
        check "$b: man -l without warnings" test ! -s "$W/man.err"
        check "$b: man -l renders the NAME section" grep -q "NAME" "$W/man.out"
    fi
done
# a broken page is noticed (the check above can fail)
printf '.TH X 1\n.SH NAME\n.BOGUSMACRO x\n\\fQ\n' >"$W/bad.1"
groff -man -Tutf8 -ww -z "$W/bad.1" >"$W/bad.err" 2>&1
check "a broken man page makes groff warn" test -s "$W/bad.err"

# --- ltsig --help and the commands -------------------------------------------------------
"$LTSIG" --help >"$W/help" 2>&1
check "ltsig --help exits 0" test $? -eq 0
check "ltsig --help lists commands" grep -q '^commands:' "$W/help"
check "ltsig --help documents the exit codes" grep -q 'exit codes' "$W/help"
"$LTSIG" --version >/dev/null 2>&1
check "ltsig --version exits 0" test $? -eq 0
"$LTSIG" no-such-command >/dev/null 2>&1
check "unknown command: exit 3" test $? -eq 3
CMDS=$(awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}' "$W/help")
check "commands found in ltsig --help" test -n "$CMDS"
accepted() { # CMD FLAG: the parser knows FLAG (with or without an argument)
    "$LTSIG" "$1" "$2" x --help >"$W/o" 2>"$W/e"
    ! grep -Eqi 'unrecognized option|unknown option|invalid option' "$W/e"
}
for c in $CMDS; do
    "$LTSIG" "$c" --help >"$W/h.$c" 2>&1
    check "ltsig $c --help exits 0" test $? -eq 0
    check "ltsig $c --help starts with usage" grep -q "^usage: ltsig $c" "$W/h.$c"
    check "ltsig(1) documents the command $c" grep -q "^\.B ltsig $(printf '%s' "$c" | sed 's/-/\\\\-/g')\$" "$MAN1"
    # the options part of the help (the examples may quote other tools' flags)
    awk '/^examples?:/ {exit} {print}' "$W/h.$c" >"$W/opts.$c"
    flags=$(grep -o -- '--[a-z][a-z0-9-]*' "$W/opts.$c" | sort -u)
    for f in $flags; do
        if accepted "$c" "$f"; then ok; else ko "ltsig $c: --help lists $f but the parser refuses it"; fi
        esc=$(printf '%s' "$f" | sed 's/-/\\\\-/g')
        grep -q -- "$esc" "$MAN1" || ko "ltsig(1) does not mention $c's $f"
    done
    # -o, -q, -v as listed
    for s in $(grep -oE '(^|[[ ])-[a-z]( |,|$)' "$W/opts.$c" | grep -oE -- '-[a-z]' | sort -u); do
        if accepted "$c" "$s"; then ok; else ko "ltsig $c: --help lists $s but the parser refuses it"; fi
    done
    if accepted "$c" --no-such-flag-xyz; then ko "ltsig $c: a made-up flag was accepted"; else ok; fi
done
check "ltsig(1) documents the exit codes" grep -q '^\.SH EXIT STATUS' "$MAN1"

# --- ltsigd ------------------------------------------------------------------------------
LTSIGD=${LTSIGD:-}
[ -z "$LTSIGD" ] && [ -n "${LTS_BUILD:-}" ] && [ -x "$LTS_BUILD/backend/server/ltsigd" ] &&
    LTSIGD=$LTS_BUILD/backend/server/ltsigd
if [ -n "$LTSIGD" ]; then
    "$LTSIGD" --help >"$W/dh" 2>&1
    check "ltsigd --help exits 0" test $? -eq 0
    for c in init serve "user add" "user lock" "user unlock" "key generate" "key csr" "key cert" "audit verify"; do
        grep -q "ltsigd $c" "$W/dh" || ko "ltsigd --help does not list '$c'"
        check "ltsigd(8) documents '$c'" grep -q "^\.B ltsigd $c\$" "$MAN8"
    done
fi

# --- bash completion ---------------------------------------------------------------------
COMP=$SRC/contrib/bash-completion/ltsig
bash -n "$COMP"
check "completion: bash -n" test $? -eq 0
complete_words() { # WORD... (the last is the one being completed): prints COMPREPLY
    bash -c '
        source "$1" || exit 9
        shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        case ${COMP_WORDS[0]} in *ltsigd) _ltsigd ;; *) _ltsig ;; esac
        printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$@"
}
bash -c 'source "$1" 2>&1 && complete -p ltsig && complete -p ltsigd' _ "$COMP" >"$W/src.out" 2>&1
check "completion sources cleanly and registers ltsig and ltsigd" sh -c "test \$(wc -l <'$W/src.out') -eq 2"
out=$(complete_words "$LTSIG" "")
check "completion: offers commands" test -n "$out"
for c in $CMDS; do
    echo "$out" | grep -qx -- "$c" || ko "completion does not offer the command $c"
done
out=$(complete_words "$LTSIG" sign --le)
check "completion: sign --le -> --level" test "$out" = "--level"
out=$(complete_words "$LTSIG" sign --level "B-L")
check "completion: --level values" test "$(echo $out)" = "B-LT B-LTA"
out=$(complete_words "$LTSIG" verify --report "")
check "completion: verify --report values" test "$(echo $out)" = "text json xml"
out=$(complete_words ltsigd key "")
check "completion: ltsigd key subcommands" test "$(echo $out)" = "generate csr cert"

# --- the docs the guide and the man pages point to ---------------------------------------
for d in docs/guide.md docs/iso14533-levels.md docs/troubleshooting.md docs/ltsigd.md; do
    check "$d exists" test -s "$SRC/$d"
done
check "guide covers renewal" grep -q '^## 8. Renewing an archive' "$SRC/docs/guide.md"
check "ISO mapping names every --level" sh -c "for l in B-B B-T B-LT B-LTA ES-T ES-XL ES-A; do grep -q \"\\\`\$l\\\`\" '$SRC/docs/iso14533-levels.md' || exit 1; done"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
