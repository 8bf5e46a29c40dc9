#!/bin/bash
# PAdES certification signatures (DocMDP, ISO 32000-2 §12.8.2.2) and visible signatures.
# `ltsig sign --certify 1|2|3`: /Reference with /TransformMethod /DocMDP /P n /V /1.2 and
# /Perms /DocMDP in the catalog; pdfsig finds the signature valid; verification honours
# /P: 1 no change (a form fill fails), 2 form filling and signing, 3 also annotations.
# `--visible PAGE,X1,Y1,X2,Y2`: a widget with an /AP /N appearance (Helvetica, signer name
# and time), qpdf --check clean, pdfsig valid, and pdftoppm renders dark pixels in the box
# where the unsigned page is white.
# Env: LTSIG, LTS_TEST_PKI, LTS_SRC.
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
P=$LTS_TEST_PKI
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-pades-cert.XXXXXX")
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { # DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@" >"$W/check.out" 2>&1; then ok; else ko "$d"; sed 's/^/    /' "$W/check.out" | head -20 >&2; fi
}
check_not() { # DESCRIPTION COMMAND... (must fail with an error, not crash)
    local d=$1 r; shift
    "$@" >"$W/check.out" 2>&1
    r=$?
    cp "$W/check.out" "$W/last.out"
    if [ $r -eq 0 ]; then ko "$d (unexpectedly succeeded)"; sed 's/^/    /' "$W/check.out" >&2
    elif [ $r -ge 128 ]; then ko "$d (crashed, status $r)"; sed 's/^/    /' "$W/check.out" >&2
    elif grep -q "Sanitizer" "$W/check.out"; then ko "$d (sanitizer report)"; head -30 "$W/check.out" >&2
    else ok; fi
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
sig_is() { # N INDICATION [SUB]
    python3 - "$W/rep.json" "$@" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["signatures"][int(sys.argv[2])]
ok = s["indication"] == sys.argv[3] and (len(sys.argv) < 5 or s["subindication"] == sys.argv[4])
if not ok: print(s["indication"], s["subindication"], "\n".join(s["messages"]))
sys.exit(0 if ok else 1)
EOF
}
sig_says() { # N TEXT
    python3 - "$W/rep.json" "$@" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["signatures"][int(sys.argv[2])]
hit = any(sys.argv[3] in m for m in s["messages"])
if not hit: print("\n".join(s["messages"]))
sys.exit(0 if hit else 1)
EOF
}
pdfsig_valid() { # FILE N
    local out
    out=$(pdfsig "$1" 2>&1)
    [ "$(grep -c 'Signature Validation: Signature is Valid.' <<<"$out")" -eq "$2" ] || { echo "$out"; return 1; }
}
update_has() { # FILE ORIGSIZE PATTERN: the bytes after ORIGSIZE contain PATTERN
    tail -c +"$(($2 + 1))" "$1" | grep -aq -- "$3"
}

# a document with a text field "Amount" (object 7) on page 1
check "prepare a form" $APPEND "$DOCS/sample.pdf" "$W/form.pdf" \
    '7=<< /Type /Annot /Subtype /Widget /FT /Tx /T (Amount) /V (100) /Rect [72 600 272 620] /P 4 0 R >>' \
    '4=<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> >> /Annots [7 0 R] >>' \
    '1=<< /Type /Catalog /Pages 3 0 R /AcroForm << /Fields [7 0 R] >> >>'
fsize=$(stat -c %s "$W/form.pdf")
FILL='7=<< /Type /Annot /Subtype /Widget /FT /Tx /T (Amount) /V (250) /Rect [72 600 272 620] /P 4 0 R >>'
NOTE=('new=<< /Type /Annot /Subtype /Text /Rect [400 700 420 720] /Contents (reviewed) >>')

for p in 1 2 3; do
    c=$W/cert$p.pdf
    check "certify P=$p" sign "$c" "$W/form.pdf" --certify "$p"
    check "P=$p: /TransformMethod /DocMDP" update_has "$c" "$fsize" "/TransformMethod /DocMDP"
    check "P=$p: /TransformParams /P $p /V /1.2" update_has "$c" "$fsize" "/P $p /V /1.2"
    check "P=$p: catalog /Perms /DocMDP" bash -c "qpdf --show-object=1 '$c' | grep -q '/Perms << /DocMDP [0-9]* 0 R >>'"
    check "P=$p: qpdf --check" qpdf --check "$c"
    check "P=$p: pdfsig: valid" pdfsig_valid "$c" 1
    verify "$c"
    check "P=$p: TOTAL_PASSED" sig_is 0 TOTAL_PASSED
    check "P=$p: reported as a certification signature" sig_says 0 "certification signature: DocMDP /P $p"
    # a form fill after certification
    check "P=$p: fill the form" $APPEND "$c" "$W/fill$p.pdf" "$FILL"
    verify "$W/fill$p.pdf"
    if [ "$p" -eq 1 ]; then
        check "P=1: form fill is a modification" sig_is 0 TOTAL_FAILED FORMAT_FAILURE
        check "P=1: named, DocMDP mentioned" sig_says 0 "MODIFICATION after signing: form field Amount value changed in revision 4 (not allowed by the DocMDP permissions)"
    else
        check "P=$p: form fill allowed" sig_is 0 TOTAL_PASSED
        check "P=$p: form fill reported as allowed" sig_says 0 "allowed change after signing: form field Amount value changed in revision 4"
    fi
    # an annotation after certification
    check "P=$p: add a note" $APPEND "$c" "$W/note$p.pdf" "${NOTE[0]}" \
        "4=$(qpdf --show-object=4 "$c" | sed 's|/Annots \[|/Annots [ {new0} 0 R|')"
    verify "$W/note$p.pdf"
    if [ "$p" -eq 3 ]; then
        check "P=3: annotation allowed" sig_is 0 TOTAL_PASSED
        check "P=3: annotation reported as allowed" sig_says 0 "allowed change after signing: annotation /Text added on page 1"
    else
        check "P=$p: annotation is a modification" sig_is 0 TOTAL_FAILED FORMAT_FAILURE
        check "P=$p: annotation named" sig_says 0 "MODIFICATION after signing: annotation /Text added on page 1"
    fi
done
# P=2 and 3 allow signing; P=1 refuses it
check "P=2: a second signature" sign "$W/cert2-2.pdf" "$W/cert2.pdf"
verify "$W/cert2-2.pdf"
check "P=2 + signature: certification still passes" sig_is 0 TOTAL_PASSED
check "P=2 + signature: allowed" sig_says 0 "allowed change after signing: signature field Signature2 added"
check "P=2 + signature: pdfsig: 2 valid" pdfsig_valid "$W/cert2-2.pdf" 2
check_not "P=1: signing again refused" sign "$W/cert1-2.pdf" "$W/cert1.pdf"
check "P=1: refusal names DocMDP" grep -q "DocMDP /P 1" "$W/last.out"
check_not "P=1: nothing written" test -e "$W/cert1-2.pdf"
check_not "certify a signed document: refused" sign "$W/cc.pdf" "$W/cert2.pdf" --certify 2
check "certify a signed document: says why" grep -q "must be the first signature" "$W/last.out"
check_not "--certify 4 refused" sign "$W/c4.pdf" "$W/form.pdf" --certify 4
check_not "--certify with CAdES refused" "$LTSIG" sign --format cades --level B-B \
    --signer "file:$P/signer-rsa.p12" --passin pass:test1234 --certify 2 -o "$W/x.p7s" "$DOCS/sample.txt"

# a DocMDP claimed by a later signature does not loosen an approval signature
check "approval signature" sign "$W/appr.pdf" "$DOCS/sample.pdf"
p4=$(qpdf --show-object=4 "$W/appr.pdf")
cat1=$(qpdf --show-object=1 "$W/appr.pdf")
ANN='/Annots [ {new1} 0 R {new2} 0 R'
FLD='/Fields [ {new1} 0 R'
check "attack: a later 'certification' with /P 3 and a note" $APPEND "$W/appr.pdf" "$W/loosen.pdf" \
    'new=<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /Reference [ << /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P 3 /V /1.2 >> >> ] /ByteRange [0 10 20 30] /Contents <3003020105> >>' \
    'new=<< /Type /Annot /Subtype /Widget /FT /Sig /T (Loosen) /V {new0} 0 R /F 132 /Rect [0 0 0 0] /P 4 0 R >>' \
    'new=<< /Type /Annot /Subtype /Text /Rect [400 700 420 720] /Contents (note) >>' \
    "4=${p4/\/Annots \[/$ANN}" "1=${cat1/\/Fields \[/$FLD}"
verify "$W/loosen.pdf"
check "late DocMDP ignored: the approval signature fails" sig_is 0 TOTAL_FAILED FORMAT_FAILURE
check "late DocMDP ignored: the note is a modification" sig_says 0 "MODIFICATION after signing: annotation /Text added on page 1"

# --- visible signature ---------------------------------------------------------------------
V=$W/visible.pdf
ssize=$(stat -c %s "$DOCS/sample.pdf")
check "visible signature" sign "$V" "$DOCS/sample.pdf" --visible 1,300,40,560,100
check "visible: qpdf --check" qpdf --check "$V"
check "visible: pdfsig valid" pdfsig_valid "$V" 1
verify "$V"
check "visible: TOTAL_PASSED" sig_is 0 TOTAL_PASSED
check "visible: widget /Rect" update_has "$V" "$ssize" "/Rect \[300.00 40.00 560.00 100.00\]"
check "visible: /AP /N" update_has "$V" "$ssize" "/AP << /N [0-9]* 0 R >>"
check "visible: Helvetica WinAnsi" update_has "$V" "$ssize" "/BaseFont /Helvetica /Encoding /WinAnsiEncoding"
check "visible: signer name in the appearance" update_has "$V" "$ssize" "(Digitally signed by Test Signer RSA) Tj"
check "visible: signing time in the appearance" update_has "$V" "$ssize" "(Date: 20[0-9-]* [0-9:]* UTC) Tj"
# render both at 50 dpi (gray PGM) and compare the box
pdftoppm -r 50 -gray -f 1 -l 1 "$DOCS/sample.pdf" "$W/before" >/dev/null 2>&1
pdftoppm -r 50 -gray -f 1 -l 1 "$V" "$W/after" >/dev/null 2>&1
check "visible: pdftoppm rendered both" test -s "$W/after-1.pgm" -a -s "$W/before-1.pgm"
check "visible: pdftoppm -png -r 50 renders it" pdftoppm -png -r 50 -f 1 -l 1 "$V" "$W/png"
check "visible: a PNG came out" bash -c "head -c 8 '$W/png-1.png' | od -An -c | grep -q 'P   N   G'"
box_dark() { # PGM: number of pixels darker than 128 inside the box (300,40)-(560,100) pt
    python3 - "$1" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read()
tok, pos = [], 0
while len(tok) < 4:  # P5 width height maxval, comments skipped
    while d[pos:pos+1].isspace(): pos += 1
    if d[pos:pos+1] == b"#":
        while d[pos:pos+1] != b"\n": pos += 1
        continue
    s = pos
    while not d[pos:pos+1].isspace(): pos += 1
    tok.append(d[s:pos])
pos += 1
assert tok[0] == b"P5", tok
w, h = int(tok[1]), int(tok[2])
px = d[pos:pos + w * h]
k = 50 / 72
x1, x2 = int(300 * k) + 1, int(560 * k) - 1
y1, y2 = int((842 - 100) * k) + 1, int((842 - 40) * k) - 1
print(sum(1 for y in range(y1, y2) for x in range(x1, x2) if px[y * w + x] < 128))
EOF
}
before=$(box_dark "$W/before-1.pgm")
after=$(box_dark "$W/after-1.pgm")
check "visible: the box is white on the unsigned page ($before dark pixels)" test "${before:-1}" -eq 0
check "visible: the box has text after signing ($after dark pixels)" test "${after:-0}" -gt 30
check_not "visible: rectangle off the page refused" sign "$W/v2.pdf" "$DOCS/sample.pdf" --visible 1,500,800,700,900
check "visible: off the page says so" grep -q "outside page 1" "$W/last.out"
check_not "visible: off the page: nothing written" test -e "$W/v2.pdf"
check_not "visible: page 2 of 1 refused" sign "$W/v3.pdf" "$DOCS/sample.pdf" --visible 2,10,10,200,60
check_not "visible: bad syntax refused" sign "$W/v4.pdf" "$DOCS/sample.pdf" --visible 1,10,10,200
check_not "visible: reversed corners refused" sign "$W/v5.pdf" "$DOCS/sample.pdf" --visible 1,200,60,10,10
# a signer name that needs escaping and WinAnsi mapping: "Müller (Test) \ Ω"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/odd.key" -out "$W/odd.pem" -days 30 \
    -subj "/CN=Müller (Test) \\\\ Ω" -utf8 >/dev/null 2>&1
check "odd name: certificate made" grep -q "BEGIN CERTIFICATE" "$W/odd.pem"
check "odd name: visible signature" "$LTSIG" sign --format pades --level B-B \
    --signer "file:$W/odd.key?cert=$W/odd.pem" --visible 1,300,40,560,100 -o "$W/odd.pdf" "$DOCS/sample.pdf"
check "odd name: escaped, u-umlaut as WinAnsi \\374, omega as ?" grep -aqF 'Digitally signed by M\374ller \(Test\) \\ ?) Tj' "$W/odd.pdf"
check "odd name: qpdf --check" qpdf --check "$W/odd.pdf"
check "odd name: pdfsig valid" pdfsig_valid "$W/odd.pdf" 1

# visible + certify + a second visible signature: all valid
check "visible certification" sign "$W/vc.pdf" "$DOCS/sample.pdf" --certify 2 --visible 1,40,40,280,100
check "second visible signature" sign "$W/vc2.pdf" "$W/vc.pdf" --visible 1,300,40,560,100
check "two visible: qpdf --check" qpdf --check "$W/vc2.pdf"
check "two visible: pdfsig 2 valid" pdfsig_valid "$W/vc2.pdf" 2
verify "$W/vc2.pdf"
check "two visible: first passes" sig_is 0 TOTAL_PASSED
check "two visible: second passes" sig_is 1 TOTAL_PASSED

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
