#!/bin/bash
# ltsig verify --profile iso14533: ISO 14533-1 (CAdES), -2 (XAdES), -3 (PAdES) conformance,
# element by element. Each verdict is cross-checked against what an independent tool sees in
# the file (openssl cms -cmsout -print for the CAdES attributes, xmllint for the XAdES
# elements, the /DSS and /DocTimeStamp in the PDF), and a signature that meets no profile is
# INDETERMINATE / SIG_CONSTRAINTS_FAILURE with one line per missing element.
# Needs the suite's TSA, OCSP and HTTP services (LTS_TEST_TSA_PORT ...); without a TSA only
# the B-B and usage cases run.
# Env: LTSIG, LTS_TEST_PKI, LTS_SRC; optional LTS_TEST_TSA_PORT, TMPDIR.
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
P=$LTS_TEST_PKI
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-profile.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
ko() { fail=$((fail + 1)); echo "FAIL - $1" >&2; [ -z "${2:-}" ] || printf '       %s\n' "$2" >&2; }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else ko "$1" "got '$2', want '$3'"; fi; }
sign() { "$LTSIG" sign --signer "file:$P/signer-rsa.p12" --passin pass:test1234 --trust "$P/root.pem" "$@"; }
# profile FILE: "EXIT INDICATION SUB PROFILE CONFORMANT" from --profile iso14533 --report json
profile() {
    "$LTSIG" verify --trust "$P/root.pem" --profile iso14533 --report json "$1" >v.json 2>v.err
    local rc=$?
    echo "$rc $(python3 -c 'import json; s=json.load(open("v.json"))["signatures"][0]; p=s["profile"] or {}; print(s["indication"], s["subindication"], p.get("name"), p.get("conformant"))' 2>/dev/null)"
}
has_msg() { python3 -c 'import json,sys; s=json.load(open("v.json"))["signatures"][0]; sys.exit(0 if any(sys.argv[1] in m for m in s["messages"]) else 1)' "$1"; }
cms_has() { openssl cms -cmsout -print -inform DER -in "$1" 2>/dev/null | grep -q "object: $2"; }
xcount() { xmllint --xpath "count(//*[local-name()='$2'])" "$1" 2>/dev/null; }

echo "profile test $$" >doc.txt
printf '<?xml version="1.0"?>\n<r xmlns="urn:t"><v>1</v></r>\n' >doc.xml

# --- no time-stamp: no profile met -------------------------------------------------------
sign --format cades --level B-B -o bb.p7s doc.txt
expect "CAdES B-B: no ISO 14533 profile" "$(profile bb.p7s)" \
    "2 INDETERMINATE SIG_CONSTRAINTS_FAILURE ISO 14533-1 ES-T False"
has_msg "ISO 14533-1 ES-T: missing signature-time-stamp" && ok "CAdES B-B: the missing element is named" || ko "B-B message"
cms_has bb.p7s id-smime-aa-timeStampToken && ko "openssl sees no signature-time-stamp in B-B" || ok "openssl sees no signature-time-stamp in B-B"
"$LTSIG" verify --trust "$P/root.pem" bb.p7s >/dev/null 2>&1
expect "CAdES B-B without --profile: still passes" "$?" 0
"$LTSIG" verify --trust "$P/root.pem" --profile iso14533 --report xml bb.p7s >bb.xml 2>/dev/null
expect "XML report carries the profile verdict" \
    "$(xmllint --xpath "string(//*[local-name()='ReportData'][*[local-name()='Type']='urn:ltsig:validation:profile']/*[local-name()='Value'])" bb.xml)" \
    "ISO 14533-1 ES-T: not conformant"

# --- usage ---------------------------------------------------------------------------------
"$LTSIG" verify --profile iso99999 bb.p7s >/dev/null 2>e.txt
expect "unknown profile: usage error (3)" "$?" 3
grep -q "unknown profile 'iso99999'" e.txt && ok "unknown profile: named" || ko "unknown profile message" "$(cat e.txt)"

TSA=http://127.0.0.1:${LTS_TEST_TSA_PORT:-18082}/
if ! openssl ts -query -data doc.txt -sha256 -cert -out q.tsq 2>/dev/null ||
   ! curl -s -m 5 -H 'Content-Type: application/timestamp-query' --data-binary @q.tsq -o q.tsr "$TSA" ||
   ! openssl ts -reply -in q.tsr -text >/dev/null 2>&1; then
    echo "# no TSA at $TSA: the time-stamped cases are skipped"
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
fi

# --- CAdES ---------------------------------------------------------------------------------
sign --format cades --level B-T --tsa "$TSA" -o bt.p7s doc.txt
expect "CAdES B-T: ES-T" "$(profile bt.p7s)" "0 TOTAL_PASSED None ISO 14533-1 ES-T True"
cms_has bt.p7s id-smime-aa-timeStampToken && ok "openssl sees the signature-time-stamp" || ko "openssl signature-time-stamp"
for e in complete-certificate-references complete-revocation-references certificate-values revocation-values; do
    has_msg "ISO 14533-1 ES-XL: missing $e" && ok "CAdES B-T: ES-XL lacks $e" || ko "CAdES B-T: $e message"
done
cms_has bt.p7s id-smime-aa-ets-certValues && ko "openssl sees no certificate-values" || ok "openssl sees no certificate-values"
if sign --format cades --level B-LT --tsa "$TSA" -o lt.p7s doc.txt 2>/dev/null; then
    expect "CAdES B-LT: still ES-T (values in SignedData, not attributes)" "$(profile lt.p7s)" \
        "0 TOTAL_PASSED None ISO 14533-1 ES-T True"
    has_msg "baseline B-LT form" && ok "CAdES B-LT: explains the baseline form" || ko "B-LT explanation"
fi

# ES-XL / ES-A (refs and values as unsigned attributes, TS 101 733), when this build signs them
for lv in ES-XL ES-A; do
    if ! sign --format cades --level "$lv" --tsa "$TSA" -o "c-$lv.p7s" doc.txt 2>/dev/null; then
        echo "# CAdES $lv signing not available: skipped"
        continue
    fi
    expect "CAdES $lv: ISO 14533-1 $lv" "$(profile "c-$lv.p7s")" "0 TOTAL_PASSED None ISO 14533-1 $lv True"
    for o in id-smime-aa-ets-CertificateRefs id-smime-aa-ets-RevocationRefs \
             id-smime-aa-ets-certValues id-smime-aa-ets-revocationValues; do
        cms_has "c-$lv.p7s" "$o" && ok "CAdES $lv: openssl sees $o" || ko "CAdES $lv: openssl $o"
    done
done
if [ -f c-ES-A.p7s ]; then
    cms_has c-ES-A.p7s "undefined (0.4.0.1733.2.4)" || cms_has c-ES-A.p7s "id-aa-ets-archiveTimestampV2" &&
        ok "CAdES ES-A: openssl sees an archive-time-stamp" || ko "CAdES ES-A: archive-time-stamp"
    has_msg "missing" && ko "CAdES ES-A: nothing missing" || ok "CAdES ES-A: nothing missing"
fi

# --- XAdES ---------------------------------------------------------------------------------
for lv in ES-XL ES-A B-LTA; do
    if ! sign --format xades --level "$lv" --tsa "$TSA" -o "x-$lv.xml" doc.xml 2>e.txt; then
        ko "XAdES $lv: sign" "$(cat e.txt)"
        continue
    fi
    case $lv in
    ES-XL) want="ISO 14533-2 ES-XL" ;;
    ES-A) want="ISO 14533-2 ES-A" ;;
    B-LTA) want="ISO 14533-2 ES-T" ;; # baseline: values, archive time-stamp, but no refs
    esac
    expect "XAdES $lv: $want" "$(profile "x-$lv.xml")" "0 TOTAL_PASSED None $want True"
done
expect "xmllint: ES-A has CompleteCertificateRefs(V2)" \
    "$(( $(xcount x-ES-A.xml CompleteCertificateRefs) + $(xcount x-ES-A.xml CompleteCertificateRefsV2) ))" 1
expect "xmllint: ES-A has an ArchiveTimeStamp" "$(xcount x-ES-A.xml ArchiveTimeStamp)" 1
profile x-B-LTA.xml >/dev/null
has_msg "ISO 14533-2 ES-XL: missing xades:CompleteCertificateRefs(V2)" && ok "XAdES B-LTA: lacks the refs" || ko "B-LTA refs message"
expect "xmllint: B-LTA has no CompleteCertificateRefs" "$(xcount x-B-LTA.xml CompleteCertificateRefs)" 0

# --- PAdES ---------------------------------------------------------------------------------
sign --format pades --level B-T --tsa "$TSA" -o p-bt.pdf "$LTS_SRC/testdata/docs/sample.pdf"
expect "PAdES B-T: PAdES-T" "$(profile p-bt.pdf)" "0 TOTAL_PASSED None ISO 14533-3 PAdES-T True"
has_msg "PAdES-A: missing a DSS" && ok "PAdES B-T: lacks the DSS" || ko "PAdES B-T DSS message"
grep -aq "/DSS" p-bt.pdf && ko "the B-T PDF has no /DSS" || ok "the B-T PDF has no /DSS"
sign --format pades --level B-LTA --tsa "$TSA" -o p-lta.pdf "$LTS_SRC/testdata/docs/sample.pdf"
expect "PAdES B-LTA: PAdES-A" "$(profile p-lta.pdf)" "0 TOTAL_PASSED None ISO 14533-3 PAdES-A True"
grep -aq "/DSS" p-lta.pdf && grep -aq "/DocTimeStamp" p-lta.pdf && ok "the B-LTA PDF has /DSS and /DocTimeStamp" ||
    ko "B-LTA PDF contents"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
