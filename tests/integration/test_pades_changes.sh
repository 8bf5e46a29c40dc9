#!/bin/bash
# PAdES: what changed after each signature (ISO 32000-2 §12.8.2.2; the "allowed changes"
# check of DSS). Incremental updates are appended by hand (testdata/pades/append_update.py,
# as an attacker or another tool would): page content changed, the shadow attacks (an
# object hidden in the signed revision and then referenced by the page; content covered by
# a new annotation), a page added, a form value changed, the catalog changed -> the
# signature's bytes stay intact (pdfsig: valid; our message-digest check matches) but
# `ltsig verify` fails it (TOTAL_FAILED / FORMAT_FAILURE) naming the change and revision.
# A second signature, a DSS and document time-stamps are reported as allowed.
# Env: LTSIG, LTS_TEST_PKI (services running), LTS_SRC; LTS_PADES2_TSA_PORT (default 19405)
# for the TSA this test starts.
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
P=$LTS_TEST_PKI
PORT=${LTS_PADES2_TSA_PORT:-19405}
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-pades-chg.XXXXXX")
TSA_PID=
cleanup() {
    [ -n "$TSA_PID" ] && kill "$TSA_PID" 2>/dev/null && wait "$TSA_PID" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { # DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@" >"$W/check.out" 2>&1; then ok; else ko "$d"; sed 's/^/    /' "$W/check.out" | head -20 >&2; fi
}
APPEND="python3 $LTS_SRC/testdata/pades/append_update.py"
DOCS=$LTS_SRC/testdata/docs
sign() { # OUT IN [ARGS...]
    local out=$1 in=$2; shift 2
    "$LTSIG" sign --format pades --level B-B --signer "file:$P/signer-rsa.p12" \
        --passin pass:test1234 "$@" -o "$out" "$in"
}
verify() { # FILE -> $W/rep.json, $rc
    "$LTSIG" verify --report json --trust "$P/root.pem" "$1" >"$W/rep.json" 2>"$W/verify.err"
    rc=$?
    if grep -q "Sanitizer" "$W/verify.err"; then rc=99; cat "$W/verify.err" >&2; fi
}
# sig_is N INDICATION [SUB]: signature N (0-based) of the last report
sig_is() {
    python3 - "$W/rep.json" "$@" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1])); s = r["signatures"][int(sys.argv[2])]
ok = s["indication"] == sys.argv[3] and (len(sys.argv) < 5 or s["subindication"] == sys.argv[4])
if not ok: print(s["indication"], s["subindication"], "\n".join(s["messages"]))
sys.exit(0 if ok else 1)
EOF
}
# sig_says N TEXT: a message of signature N contains TEXT
sig_says() {
    python3 - "$W/rep.json" "$@" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["signatures"][int(sys.argv[2])]
hit = any(sys.argv[3] in m for m in s["messages"])
if not hit: print("\n".join(s["messages"]))
sys.exit(0 if hit else 1)
EOF
}
sig_silent() { ! sig_says "$@" >/dev/null; }
pdfsig_valid() { # FILE N: N signatures whose bytes pdfsig finds valid
    [ "$(pdfsig "$1" 2>&1 | grep -c 'Signature Validation: Signature is Valid.')" -eq "$2" ]
}
# modified FILE TEXT: signature 0 fails naming TEXT, its bytes intact (pdfsig + our digest)
modified() {
    local f=$1 t=$2
    verify "$f"
    check "$t: verify exits non-zero" test "$rc" -ne 0 -a "$rc" -ne 99
    check "$t: TOTAL_FAILED / FORMAT_FAILURE" sig_is 0 TOTAL_FAILED FORMAT_FAILURE
    check "$t: names the change" sig_says 0 "MODIFICATION after signing: $t"
    check "$t: the signed bytes are intact (digest matches)" \
        sig_says 0 "message-digest attribute vs. the /ByteRange digest: matches"
    check "$t: says modified after signing" sig_says 0 "the document was modified after signing"
    check "$t: pdfsig still finds the bytes valid" pdfsig_valid "$f" 1
    check "$t: qpdf --check accepts the attacked file" qpdf --check "$f"
}

# The document: sample.pdf (page 4 0 R, content 5 0 R, font 6 0 R) + a revision with a text
# field "Amount" (7) on the page and a content stream (8) referenced by nothing: the
# shadow attack's hidden content, present (and signed) but invisible.
HIDDEN='BT /F1 24 Tf 72 650 Td (Pay 1000000 EUR to Mallory) Tj ET'
check "prepare: a text field and an unreferenced stream" $APPEND "$DOCS/sample.pdf" "$W/prep.pdf" \
    '7=<< /Type /Annot /Subtype /Widget /FT /Tx /T (Amount) /V (100) /Rect [72 600 272 620] /P 4 0 R >>' \
    "8=@stream:$HIDDEN" \
    '4=<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> >> /Annots [7 0 R] >>' \
    '1=<< /Type /Catalog /Pages 3 0 R /AcroForm << /Fields [7 0 R] >> >>'
check "prepare: qpdf --check" qpdf --check "$W/prep.pdf"
check "sign the prepared document" sign "$W/s.pdf" "$W/prep.pdf"
verify "$W/s.pdf"
check "signed: TOTAL_PASSED" sig_is 0 TOTAL_PASSED
check "signed: no change reported" sig_silent 0 "after signing"
check "the hidden content is inside the signed bytes" grep -aq "Mallory" "$W/s.pdf"
page=$(qpdf --show-object=4 "$W/s.pdf")          # the page as signed (with the widget)
widget=$(grep -o '/Annots \[[^]]*\]' <<<"$page")
check "the signed page has /Annots" test -n "$widget"

# --- 1. page content changed -----------------------------------------------------------------
check "attack: content" $APPEND "$W/s.pdf" "$W/m-content.pdf" '5=@stream:BT /F1 18 Tf 72 720 Td (ltsig sample contract VOID) Tj ET'
modified "$W/m-content.pdf" "page 1 content stream changed in revision 4"

# --- 2. shadow attack, "replace": the page now points at the hidden signed stream --------------
check "attack: overlay" $APPEND "$W/s.pdf" "$W/m-shadow.pdf" "4=${page/\/Contents 5 0 R//Contents 8 0 R}"
check "the overlay reuses the signed object (no new content bytes)" bash -c "! tail -c +$(($(stat -c %s "$W/s.pdf") + 1)) '$W/m-shadow.pdf' | grep -aq Mallory"
modified "$W/m-shadow.pdf" "page 1 content stream changed in revision 4"

# --- 3. shadow attack, "hide": a new opaque annotation covers the text ------------------------
NEWANNOT='/Annots [ {new1} 0 R'
check "attack: hide" $APPEND "$W/s.pdf" "$W/m-hide.pdf" \
    'new=@xstream:/Type /XObject /Subtype /Form /BBox [0 0 400 60]|1 1 1 rg 0 0 400 60 re f' \
    'new=<< /Type /Annot /Subtype /Square /Rect [60 700 460 760] /F 4 /C [1 1 1] /IC [1 1 1] /AP << /N {new0} 0 R >> >>' \
    "4=${page/\/Annots \[/$NEWANNOT}"
modified "$W/m-hide.pdf" "annotation /Square added on page 1 in revision 4"

# --- 3b. "hide" through a new widget of the signed field (its appearance covers text) -------
sigfield=$(grep -o '[0-9]* 0 R' <<<"$widget" | tail -1 | cut -d' ' -f1)
NEWW='/Annots [ {new1} 0 R'
check "attack: a widget for the signed field" $APPEND "$W/s.pdf" "$W/m-widget.pdf" \
    'new=@xstream:/Type /XObject /Subtype /Form /BBox [0 0 400 60]|1 1 1 rg 0 0 400 60 re f' \
    "new=<< /Type /Annot /Subtype /Widget /Parent $sigfield 0 R /Rect [60 700 460 760] /F 4 /AP << /N {new0} 0 R >> /P 4 0 R >>" \
    "4=${page/\/Annots \[/$NEWW}"
modified "$W/m-widget.pdf" "a widget added to the already signed field Signature1 in revision 4"

# --- 4. a page added ---------------------------------------------------------------------------
check "attack: page added" $APPEND "$W/s.pdf" "$W/m-page.pdf" \
    'new=<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] /Contents 8 0 R /Resources << /Font << /F1 6 0 R >> >> >>' \
    '3=<< /Type /Pages /Kids [4 0 R {new0} 0 R] /Count 2 >>'
modified "$W/m-page.pdf" "page added: 1 page signed, 2 now in revision 4"

# --- 5. a form value changed (no DocMDP: not allowed) ----------------------------------------
check "attack: field value" $APPEND "$W/s.pdf" "$W/m-field.pdf" \
    '7=<< /Type /Annot /Subtype /Widget /FT /Tx /T (Amount) /V (1000000) /Rect [72 600 272 620] /P 4 0 R >>'
modified "$W/m-field.pdf" "form field Amount value changed in revision 4"

# --- 6. the catalog: an /OpenAction added ------------------------------------------------------
root=$(qpdf --show-object=1 "$W/s.pdf")
check "attack: catalog" $APPEND "$W/s.pdf" "$W/m-cat.pdf" \
    "1=${root%>>} /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>"
modified "$W/m-cat.pdf" "catalog /OpenAction added in revision 4"

# --- 7. two changes in two revisions: each named with its revision ---------------------------
check "attack: two revisions" $APPEND "$W/m-content.pdf" "$W/m-two.pdf" \
    '7=<< /Type /Annot /Subtype /Widget /FT /Tx /T (Amount) /V (5) /Rect [72 600 272 620] /P 4 0 R >>'
verify "$W/m-two.pdf"
check "two revisions: content change in revision 4" sig_says 0 "page 1 content stream changed in revision 4"
check "two revisions: field change in revision 5" sig_says 0 "form field Amount value changed in revision 5"
check "two revisions: 2 changes counted" sig_says 0 "2 later changes alter"

# --- 8. allowed: a second signature -----------------------------------------------------------
check "second signature" sign "$W/s2.pdf" "$W/s.pdf"
verify "$W/s2.pdf"
check "second signature: both TOTAL_PASSED (rc $rc)" test "$rc" -eq 0
check "second signature: first TOTAL_PASSED" sig_is 0 TOTAL_PASSED
check "second signature: reported as allowed" sig_says 0 "allowed change after signing: signature field Signature2 added in revision 4"
check "second signature: no modification" sig_silent 0 "MODIFICATION"

# --- 9. a modification, then a legitimate signature over it: only the first fails -------------
check "sign the attacked file" sign "$W/m-then-sig.pdf" "$W/m-content.pdf"
verify "$W/m-then-sig.pdf"
check "attack then signature: first signature fails" sig_is 0 TOTAL_FAILED FORMAT_FAILURE
check "attack then signature: names revision 4" sig_says 0 "page 1 content stream changed in revision 4"
check "attack then signature: the signature added after is allowed for the first" sig_says 0 "allowed change after signing: signature field Signature2 added in revision 5"
check "attack then signature: second signature passes" sig_is 1 TOTAL_PASSED
check "attack then signature: second signature sees no change" sig_silent 1 "after signing"

# --- 9b. allowed: XMP metadata and the form's /DR updated (as signing tools do) -------------
cat=$(qpdf --show-object=1 "$W/s.pdf")
DR='/SigFlags 3 /DR << /Font << /Helv {new1} 0 R >> >>'
cat=${cat/\/SigFlags 3/$DR}
check "tool-like update: metadata + /DR" $APPEND "$W/s.pdf" "$W/meta.pdf" \
    'new=@xstream:/Type /Metadata /Subtype /XML|<x:xmpmeta xmlns:x="adobe:ns:meta/"/>' \
    'new=<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>' \
    "1=${cat%>>} /Metadata {new0} 0 R >>"
verify "$W/meta.pdf"
check "metadata + /DR: TOTAL_PASSED" sig_is 0 TOTAL_PASSED
check "metadata: allowed" sig_says 0 "allowed change after signing: XMP metadata (/Metadata) added in revision 4"
check "/DR: allowed" sig_says 0 "allowed change after signing: /AcroForm /DR (default resources) updated in revision 4"

# --- 9c. a change nested deeper than the comparison goes: INDETERMINATE, not PASSED --------
deep() { local d="" i; for i in $(seq 80); do d="[$d"; done; d="$d($1)"; for i in $(seq 80); do d="$d]"; done; echo "$d"; }
PG='<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> /X %s >> >>'
check "prepare: deep structure in the page resources" $APPEND "$DOCS/sample.pdf" "$W/deep.pdf" "4=$(printf "$PG" "$(deep a)")"
check "sign the deep document" sign "$W/deep-s.pdf" "$W/deep.pdf"
check "attack: change the deepest value" $APPEND "$W/deep-s.pdf" "$W/deep-m.pdf" \
    "4=$(qpdf --show-object=4 "$W/deep-s.pdf" | sed 's/(a)/(b)/')"
verify "$W/deep-m.pdf"
check "deep change: not TOTAL_PASSED (INDETERMINATE)" sig_is 0 INDETERMINATE GENERIC
check "deep change: says not fully compared" sig_says 0 "not fully compared: objects nested deeper than 64"

# --- 10. allowed: DSS and document time-stamps (extend to B-LTA) -----------------------------
for _ in $(seq 10); do # a free port from PORT up (another suite may hold one)
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || break
    PORT=$((PORT + 1))
done
"$LTSIG" tsa-serve --signer "file:$P/tsa.p12" --passin pass:test1234 --port "$PORT" \
    >"$W/tsa.log" 2>&1 &
TSA_PID=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
check "TSA (pid $TSA_PID) listening on $PORT" kill -0 "$TSA_PID"
check "extend to B-LTA" "$LTSIG" extend --level B-LTA --tsa "http://127.0.0.1:$PORT/" \
    --trust "$P/root.pem" -o "$W/lta.pdf" "$W/s.pdf"
verify "$W/lta.pdf"
check "B-LTA: TOTAL_PASSED (rc $rc)" sig_is 0 TOTAL_PASSED
check "B-LTA: document time-stamp allowed" sig_says 0 "allowed change after signing: document time-stamp field DocTimeStamp1 added"
check "B-LTA: DSS allowed" sig_says 0 "allowed change after signing: DSS added"
check "B-LTA: no modification" sig_silent 0 "MODIFICATION"
# an attack after the B-LTA: still caught, though timestamps follow the signature
check "attack after B-LTA" $APPEND "$W/lta.pdf" "$W/m-lta.pdf" '5=@stream:BT /F1 18 Tf 72 720 Td (changed) Tj ET'
verify "$W/m-lta.pdf"
check "attack after B-LTA: TOTAL_FAILED" sig_is 0 TOTAL_FAILED FORMAT_FAILURE
check "attack after B-LTA: named" sig_says 0 "MODIFICATION after signing: page 1 content stream changed"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
