#!/bin/bash
# ltsig info FILE [--report json] [--policy FILE]: what is inside a signed file. Checks the
# level, signer, signing time, each time-stamp's genTime (against `openssl ts -reply
# -token_in`) and TSA certificate notAfter (against `openssl x509 -enddate` of the TSA
# certificate), and the protection end date (the TSA notAfter, or an earlier hash sunset
# from the policy) for CAdES, XAdES and PAdES; a B-B signature has none; bad input is
# refused. Timelines: the validity period of every certificate (signer, CAs, TSA) in the
# JSON and the text of `ltsig info` and `ltsig verify`, each date read independently with
# `openssl x509 -dates`, the events sorted, the protection end among them; `info -q`. Skipped (0 passed) when the ltsig binary has no `info` command.
# Env: LTSIG, LTS_TEST_PKI, LTS_SRC; optional LTS_TEST_TSA_PORT, TMPDIR.
set -u
: "${LTSIG:?}" "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
P=$LTS_TEST_PKI
if ! "$LTSIG" info --help >/dev/null 2>&1; then
    echo "# 'ltsig info' is not in the command table yet (cli/main.c): skipped"
    echo "0 passed, 0 failed"
    exit 0
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-info.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
ko() { fail=$((fail + 1)); echo "FAIL - $1" >&2; [ -z "${2:-}" ] || printf '       %s\n' "$2" >&2; }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else ko "$1" "got '$2', want '$3'"; fi; }
sign() { "$LTSIG" sign --signer "file:$P/signer-rsa.p12" --passin pass:test1234 --trust "$P/root.pem" "$@"; }
jq1() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@" 2>/dev/null; }
rfc3339() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
TSA_END=$(rfc3339 "$(openssl x509 -in "$P/tsa.pem" -noout -enddate | sed 's/^notAfter=//')")
SIGNER=$(openssl x509 -in "$P/signer-rsa.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')

echo "info test $$" >doc.txt
printf '<?xml version="1.0"?>\n<r xmlns="urn:t"><v>1</v></r>\n' >doc.xml

# --- B-B: no time-stamp, no protection date ----------------------------------------------
sign --format cades --level B-B -o bb.p7s doc.txt
"$LTSIG" info --report json bb.p7s >bb.json
expect "B-B: exit 0" "$?" 0
expect "B-B: format, level, signer" "$(jq1 bb.json 'd["format"], d["signatures"][0]["level"], d["signatures"][0]["signer"]')" \
    "('CAdES', 'B-B', '$SIGNER')"
expect "B-B: no time-stamps, no protection date" "$(jq1 bb.json 'd["signatures"][0]["timestamps"], d["signatures"][0]["protection_until"]')" \
    "([], None)"
expect "B-B: signing time is a time" "$(jq1 bb.json 'd["signatures"][0]["signing_time"][-1]')" "Z"
"$LTSIG" info bb.p7s >bb.txt
grep -q "protected until:  - (no time-stamp" bb.txt && ok "B-B: text says there is no protection" || ko "B-B text" "$(cat bb.txt)"

# --- bad input ----------------------------------------------------------------------------
"$LTSIG" info >/dev/null 2>&1
expect "no file: usage error (3)" "$?" 3
"$LTSIG" info --report yaml bb.p7s >/dev/null 2>&1
expect "--report yaml: usage error (3)" "$?" 3
"$LTSIG" info "$W/none.p7s" >/dev/null 2>e.txt
rc=$?
if [ "$rc" -ge 3 ] && grep -q "none.p7s" e.txt; then ok "missing file: error naming it"; else ko "missing file" "rc=$rc $(cat e.txt)"; fi
printf 'hello' >plain.txt
"$LTSIG" info plain.txt >/dev/null 2>e.txt
rc=$?
if [ "$rc" -ge 3 ] && grep -q "plain.txt" e.txt; then ok "not a signature: error naming it"; else ko "not a signature" "rc=$rc $(cat e.txt)"; fi
printf 'sunset.sha256 = whenever\n' >bad.conf
"$LTSIG" info --policy bad.conf bb.p7s >/dev/null 2>e.txt
expect "bad policy: usage error (3)" "$?" 3

TSA=http://127.0.0.1:${LTS_TEST_TSA_PORT:-18082}/
if ! openssl ts -query -data doc.txt -sha256 -cert -out q.tsq 2>/dev/null ||
   ! curl -s -m 5 -H 'Content-Type: application/timestamp-query' --data-binary @q.tsq -o q.tsr "$TSA" ||
   ! openssl ts -reply -in q.tsr -text >/dev/null 2>&1; then
    echo "# no TSA at $TSA: the time-stamped cases are skipped"
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
fi

# --- CAdES B-T ----------------------------------------------------------------------------
sign --format cades --level B-T --tsa "$TSA" -o bt.p7s doc.txt
"$LTSIG" info --report json bt.p7s >bt.json
expect "CAdES B-T: level" "$(jq1 bt.json 'd["signatures"][0]["level"]')" "B-T"
expect "CAdES B-T: one signature-time-stamp" "$(jq1 bt.json '[t["type"] for t in d["signatures"][0]["timestamps"]]')" "['signature-time-stamp']"
expect "CAdES B-T: TSA named" "$(jq1 bt.json 'd["signatures"][0]["timestamps"][0]["tsa"]')" \
    "$(openssl x509 -in "$P/tsa.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')"
expect "CAdES B-T: TSA certificate notAfter (openssl x509)" "$(jq1 bt.json 'd["signatures"][0]["timestamps"][0]["tsa_cert_not_after"]')" "$TSA_END"
# the genTime, from the token itself
python3 - bt.p7s tok.der <<'PY'
import subprocess, sys, re
f, out = sys.argv[1:3]
rows = subprocess.run(["openssl", "asn1parse", "-inform", "DER", "-in", f], capture_output=True,
                      text=True, check=True).stdout.splitlines()
def parse(l):
    m = re.match(r"\s*(\d+):d=\s*\d+\s+hl=\s*(\d+)\s+l=\s*(\d+)(.*)", l)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)) if m else None
rows = [r for r in map(parse, rows) if r]
i = next(i for i, r in enumerate(rows) if "id-smime-aa-timeStampToken" in r[3])
off, hl, l, _ = rows[i + 2]
open(out, "wb").write(open(f, "rb").read()[off:off + hl + l])
PY
gen=$(openssl ts -reply -token_in -in tok.der -text 2>/dev/null | sed -n 's/^Time stamp: //p')
expect "CAdES B-T: genTime (openssl ts)" "$(jq1 bt.json 'd["signatures"][0]["timestamps"][0]["gen_time"]')" "$(rfc3339 "$gen")"
expect "CAdES B-T: protected until the TSA certificate expires" "$(jq1 bt.json 'd["signatures"][0]["protection_until"]')" "$TSA_END"
printf 'sunset.sha256 = 2027-03-01\n' >sun.conf
"$LTSIG" info --report json --policy sun.conf bt.p7s >sun.json
expect "CAdES B-T: an earlier hash sunset decides" "$(jq1 sun.json 'd["signatures"][0]["protection_until"]')" "2027-03-01T00:00:00Z"
"$LTSIG" info --policy sun.conf -o bt.txt bt.p7s
grep -q "protected until:  2027-03-01T00:00:00Z" bt.txt && ok "text report written with -o" || ko "text -o" "$(cat bt.txt)"
grep -q "signature-time-stamp at $(rfc3339 "$gen") by" bt.txt && ok "text shows the time-stamp" || ko "text time-stamp"

# --- XAdES ES-A and PAdES B-LTA -----------------------------------------------------------
if sign --format xades --level ES-A --tsa "$TSA" -o xa.xml doc.xml 2>/dev/null; then
    "$LTSIG" info --report json xa.xml >xa.json
    expect "XAdES ES-A: format and level" "$(jq1 xa.json 'd["format"], d["signatures"][0]["level"]')" "('XAdES', 'ES-A')"
    expect "XAdES ES-A: time-stamps" "$(jq1 xa.json '[t["type"] for t in d["signatures"][0]["timestamps"]]')" \
        "['signature-time-stamp', 'archive-time-stamp']"
    expect "XAdES ES-A: every TSA notAfter known" "$(jq1 xa.json 'all(t["tsa_cert_not_after"] == sys.argv[3] for t in d["signatures"][0]["timestamps"])' "$TSA_END")" "True"
    expect "XAdES ES-A: protection" "$(jq1 xa.json 'd["signatures"][0]["protection_until"]')" "$TSA_END"
else ko "XAdES ES-A: sign"; fi
sign --format pades --level B-LTA --tsa "$TSA" -o lta.pdf "$LTS_SRC/testdata/docs/sample.pdf"
# PAdES levels count only the document time-stamps that validate: give the anchors
"$LTSIG" info --trust "$P/root.pem" --report json lta.pdf >lta.json
expect "PAdES B-LTA: format and level" "$(jq1 lta.json 'd["format"], d["signatures"][0]["level"]')" "('PAdES', 'B-LTA')"
expect "PAdES B-LTA: a document time-stamp" "$(jq1 lta.json '"document-time-stamp" in [t["type"] for t in d["signatures"][0]["timestamps"]]')" "True"
expect "PAdES B-LTA: protection" "$(jq1 lta.json 'd["signatures"][0]["protection_until"]')" "$TSA_END"
expect "PAdES B-LTA: the time-stamps are the PDF's (pdfsig counts them)" \
    "$(jq1 lta.json 'len(d["signatures"][0]["timestamps"])')" \
    "$(pdfsig lta.pdf 2>/dev/null | grep -c '^Signature #')"

# --- timelines: every certificate's validity, dates from openssl x509 ---------------------
dates() { # PEM -> "notBefore notAfter" as RFC 3339
    echo "$(rfc3339 "$(openssl x509 -in "$1" -noout -startdate | sed 's/^notBefore=//')")" \
        "$(rfc3339 "$(openssl x509 -in "$1" -noout -enddate | sed 's/^notAfter=//')")"
}
subj() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'; }
cert_row() { # JSON ROLE PEM: the row of that certificate in .certificates, or "missing"
    jq1 "$1" '[(c["role"], c["not_before"], c["not_after"]) for c in d["signatures"][0]["certificates"] if c["subject"] == sys.argv[3]] or "missing"' "$(subj "$3")"
}
want_row() { set -- "$1" $(dates "$2"); echo "[('$1', '$2', '$3')]"; }
for pair in "signer signer-rsa" "CA inter" "CA root" "TSA tsa"; do
    set -- $pair
    expect "timeline (CAdES B-T, info json): $1 certificate $2 validity" "$(cert_row bt.json "$1" "$P/$2.pem")" \
        "$(want_row "$1" "$P/$2.pem")"
done
expect "timeline (CAdES B-B, info json): the signer's validity (no time-stamp)" \
    "$(cert_row bb.json signer "$P/signer-rsa.pem")" "$(want_row signer "$P/signer-rsa.pem")"
for pair in "signer signer-rsa" "CA inter" "TSA tsa"; do
    set -- $pair
    expect "timeline (XAdES ES-A, info json): $1 certificate $2 validity" "$(cert_row xa.json "$1" "$P/$2.pem")" \
        "$(want_row "$1" "$P/$2.pem")"
    expect "timeline (PAdES B-LTA, info json): $1 certificate $2 validity" "$(cert_row lta.json "$1" "$P/$2.pem")" \
        "$(want_row "$1" "$P/$2.pem")"
done
expect "timeline (info json): events sorted by time" \
    "$(jq1 bt.json '[e["time"] for e in d["signatures"][0]["timeline"]] == sorted(e["time"] for e in d["signatures"][0]["timeline"])')" "True"
expect "timeline (info json): signing, time-stamp, TSA expiry and protection end are events" \
    "$(jq1 bt.json '[e["time"] for e in d["signatures"][0]["timeline"] if e["event"].startswith(("signed", "signature-time-stamp", "TSA certificate expires", "protection ends"))] == [d["signatures"][0]["signing_time"], d["signatures"][0]["timestamps"][0]["gen_time"], sys.argv[3], sys.argv[3]]' "$TSA_END")" "True"
"$LTSIG" info bt.p7s >bt-tl.txt
read -r SNB SNA <<<"$(dates "$P/signer-rsa.pem")"
read -r RNB RNA <<<"$(dates "$P/root.pem")"
grep -Eq "^    signer \[[.=|]{40}\] ${SNB:0:10}\.\.${SNA:0:10} Test Signer RSA\$" bt-tl.txt &&
    ok "timeline (info text): the signer's bar and dates" || ko "info text: signer bar" "$(cat bt-tl.txt)"
grep -Eq "^    CA     \[[.=|]{40}\] ${RNB:0:10}\.\.${RNA:0:10} ltsig Test Root CA\$" bt-tl.txt &&
    ok "timeline (info text): the root CA's bar and dates" || ko "info text: root bar" "$(cat bt-tl.txt)"
grep -q "^    $TSA_END  TSA certificate expires: ltsig Test TSA\$" bt-tl.txt &&
    grep -q "^    $TSA_END  protection ends" bt-tl.txt &&
    ok "timeline (info text): TSA expiry and protection end, dated" || ko "info text: events" "$(cat bt-tl.txt)"
# the events of the text are in time order
python3 -c '
import re, sys
t = [l.split()[0] for l in open(sys.argv[1]) if re.match(r"    \d{4}-\d\d-\d\dT", l)]
sys.exit(0 if t == sorted(t) and len(t) >= 8 else 1)' bt-tl.txt &&
    ok "timeline (info text): events sorted" || ko "info text: events sorted" "$(cat bt-tl.txt)"
"$LTSIG" verify --trust "$P/root.pem" bt.p7s >bt-verify.txt
read -r TNB TNA <<<"$(dates "$P/tsa.pem")"
grep -Eq "^    TSA    \[[.=|]{40}\] ${TNB:0:10}\.\.${TNA:0:10} ltsig Test TSA\$" bt-verify.txt &&
    grep -q "^  timeline:" bt-verify.txt &&
    ok "timeline (verify text): the TSA certificate's bar and dates" || ko "verify text: TSA bar" "$(cat bt-verify.txt)"
"$LTSIG" verify --trust "$P/root.pem" --report json bt.p7s >bt-verify.json
for pair in "signer signer-rsa" "CA inter" "TSA tsa"; do
    set -- $pair
    expect "verify --report json: $1 certificate $2 validity" "$(cert_row bt-verify.json "$1" "$P/$2.pem")" \
        "$(want_row "$1" "$P/$2.pem")"
done
# info -q: one line per signature for scripts
expect "info -q: ID LEVEL PROTECTION-END" "$("$LTSIG" info -q bt.p7s)" "S1 B-T $TSA_END"
expect "info -q on B-B: no protection end" "$("$LTSIG" -q info bb.p7s)" "S1 B-B -"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
