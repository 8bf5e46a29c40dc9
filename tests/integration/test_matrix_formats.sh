#!/usr/bin/env bash
# test_matrix_formats.sh — issue 5's validation acceptance matrix, for CAdES, XAdES and PAdES.
#
# The matrix is data: the CASES table below, one line per (format, case). Each line names a
# builder (a function mk_NAME FORMAT OUT that makes the signed file, with ltsig, openssl,
# xmlsec1, pdfsig or a byte-level edit) and the expected `ltsig verify --report json` result:
#   IND/SUB            the overall indication and sub-indication ("-" = null)
#   !TOTAL_PASSED      anything but TOTAL_PASSED;  *  any overall result
#   extra checks after a ';':  ts:TYPE=IND/SUB  (some time-stamp of that type has IND/SUB, or
#                      !IND/!SUB), same:offline (the --offline verdict equals the online one),
#                      bst:YYYY (best_signature_time starts with YYYY), msg:TEXT (a message of
#                      the signature contains TEXT), with:OPTIONS (verify with these options,
#                      relative paths being in the work folder)
# XFAIL lines are known gaps (docs/validation-matrix.md): still run, printed as XFAIL while
# they fail, and as XPASS (a failure: the line must be updated) once they pass.
# Cases that need a pinned clock (expired signer with a 2020 proof, revoked after the
# signature) are in the unit test tests/unit/matrix/.
# Env: LTSIG, LTS_TEST_PKI (services running), LTS_SRC, LTS_TEST_TSA_PORT. Last line: "N passed, N failed".
set -u

: "${LTSIG:?}" "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
P=$LTS_TEST_PKI
TSA="http://127.0.0.1:${LTS_TEST_TSA_PORT:-18082}"
DOCS=$LTS_SRC/testdata/docs

# format | case | builder | expected | XFAIL note (empty = must pass)
CASES='
cades | 1 valid B-B            | level:B-B        | TOTAL_PASSED/- |
cades | 1 valid B-T            | level:B-T        | TOTAL_PASSED/- ; ts:signature-time-stamp=TOTAL_PASSED/- |
cades | 1 valid B-LT           | level:B-LT       | TOTAL_PASSED/- |
cades | 1 valid B-LTA          | level:B-LTA      | TOTAL_PASSED/- ; ts:archive-time-stamp-v3=TOTAL_PASSED/- |
cades | 2 tampered content     | tamper_data      | TOTAL_FAILED/HASH_FAILURE |
cades | 3 tampered signing-time| tamper_attr      | TOTAL_FAILED/SIG_CRYPTO_FAILURE |
cades | 4 wrong ESSCertIDv2    | wrong_certid     | INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND |
cades | 5 untrusted root       | untrusted        | INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND |
cades | 6 expired, no PoE      | expired          | INDETERMINATE/OUT_OF_BOUNDS_NO_POE |
cades | 7 revoked before sig   | revoked          | TOTAL_FAILED/REVOKED |
cades | 8 TSA without EKU      | noeku_ts         | * ; ts:signature-time-stamp=INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE |
cades | 9 broken archive ts    | broken_ats       | * ; ts:archive-time-stamp-v3=TOTAL_FAILED/HASH_FAILURE |
cades | 9 ... overall verdict  | broken_ats       | TOTAL_FAILED/HASH_FAILURE |
cades | 10 SHA-1 after sunset  | sha1             | INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE_NO_POE |
cades | 11 B-LTA offline=online| level:B-LTA      | TOTAL_PASSED/- ; same:offline |
cades | 12 openssl cms -cades  | foreign          | TOTAL_PASSED/- |
cades | 13 CA revoked before sig| revca            | INDETERMINATE/REVOKED_CA_NO_POE ; msg:Revoked Intermediate CA: revoked on |
cades | 13 ... --offline --vdata | revca            | INDETERMINATE/REVOKED_CA_NO_POE ; with:--offline --vdata vd-revca |
cades | 13 ... --offline, no data| revca            | TOTAL_PASSED/- ; with:--offline |
cades | 14 CA revoked after B-LTA| late             | TOTAL_PASSED/- ; with:--vdata late-cades/vd2 ; msg:revoked after the proof of existence |
cades | 15 TSA revoked before ts | tsarev           | TOTAL_PASSED/- ; ts:signature-time-stamp=TOTAL_FAILED/REVOKED |
cades | 16 --vdata: signer revoked| revoked         | TOTAL_FAILED/REVOKED ; with:--offline --vdata vd-inter |
cades | 16 --vdata: data required | level:B-B       | TOTAL_PASSED/- ; with:--offline --vdata vd-inter --policy req.pol |
cades | 16 no --vdata: required  | level:B-B        | INDETERMINATE/TRY_LATER ; with:--offline --policy req.pol |
cades | 17 B-LT, max age 1 s    | level:B-LT       | INDETERMINATE/TRY_LATER ; with:--offline --policy age1s.pol ; msg:max_revocation_age |
cades | 17 B-LT, max age 30 d   | level:B-LT       | TOTAL_PASSED/- ; with:--offline --policy age30d.pol |
xades | 1 valid B-B            | level:B-B        | TOTAL_PASSED/- |
xades | 1 valid B-T            | level:B-T        | TOTAL_PASSED/- ; ts:signature-time-stamp=TOTAL_PASSED/- |
xades | 1 valid B-LT           | level:B-LT       | TOTAL_PASSED/- |
xades | 1 valid B-LTA          | level:B-LTA      | TOTAL_PASSED/- ; ts:archive-time-stamp=TOTAL_PASSED/- |
xades | 2 tampered content     | tamper_data      | TOTAL_FAILED/HASH_FAILURE |
xades | 3 tampered SigningTime | tamper_attr      | TOTAL_FAILED/HASH_FAILURE |
xades | 4 wrong CertDigest     | wrong_certid     | INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND |
xades | 5 untrusted root       | untrusted        | INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND |
xades | 6 expired, no PoE      | expired          | INDETERMINATE/OUT_OF_BOUNDS_NO_POE |
xades | 7 revoked before sig   | revoked          | TOTAL_FAILED/REVOKED |
xades | 8 TSA without EKU      | noeku_ts         | * ; ts:signature-time-stamp=INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE |
xades | 9 broken archive ts    | broken_ats       | * ; ts:archive-time-stamp=TOTAL_FAILED/HASH_FAILURE |
xades | 9 ... overall verdict  | broken_ats       | TOTAL_FAILED/HASH_FAILURE |
xades | 10 SHA-1 after sunset  | sha1             | INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE_NO_POE |
xades | 11 B-LTA offline=online| level:B-LTA      | TOTAL_PASSED/- ; same:offline |
xades | 12 xmlsec1 XMLDSig     | foreign          | TOTAL_PASSED/- |
xades | 13 CA revoked before sig| revca            | INDETERMINATE/REVOKED_CA_NO_POE ; msg:Revoked Intermediate CA: revoked on |
xades | 13 ... --offline --vdata | revca            | INDETERMINATE/REVOKED_CA_NO_POE ; with:--offline --vdata vd-revca |
xades | 13 ... --offline, no data| revca            | TOTAL_PASSED/- ; with:--offline |
xades | 14 CA revoked after B-LTA| late             | TOTAL_PASSED/- ; with:--vdata late-xades/vd2 ; msg:revoked after the proof of existence |
xades | 15 TSA revoked before ts | tsarev           | TOTAL_PASSED/- ; ts:signature-time-stamp=TOTAL_FAILED/REVOKED |
xades | 16 --vdata: signer revoked| revoked         | TOTAL_FAILED/REVOKED ; with:--offline --vdata vd-inter |
xades | 16 --vdata: data required | level:B-B       | TOTAL_PASSED/- ; with:--offline --vdata vd-inter --policy req.pol |
xades | 16 no --vdata: required  | level:B-B        | INDETERMINATE/TRY_LATER ; with:--offline --policy req.pol |
xades | 17 B-LT, max age 1 s    | level:B-LT       | INDETERMINATE/TRY_LATER ; with:--offline --policy age1s.pol ; msg:max_revocation_age |
xades | 17 B-LT, max age 30 d   | level:B-LT       | TOTAL_PASSED/- ; with:--offline --policy age30d.pol |
pades | 1 valid B-B            | level:B-B        | TOTAL_PASSED/- |
pades | 1 valid B-T            | level:B-T        | TOTAL_PASSED/- ; ts:signature-time-stamp=TOTAL_PASSED/- |
pades | 1 valid B-LT           | level:B-LT       | TOTAL_PASSED/- |
pades | 1 valid B-LTA          | level:B-LTA      | TOTAL_PASSED/- ; ts:document-time-stamp=TOTAL_PASSED/- |
pades | 2 tampered content     | tamper_data      | TOTAL_FAILED/HASH_FAILURE |
pades | 3 tampered ESS hash    | tamper_attr      | TOTAL_FAILED/SIG_CRYPTO_FAILURE |
pades | 4 wrong ESSCertIDv2    | wrong_certid     | INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND |
pades | 5 untrusted root       | untrusted        | INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND |
pades | 6 expired, no PoE      | expired          | INDETERMINATE/OUT_OF_BOUNDS_NO_POE |
pades | 7 revoked before sig   | revoked          | TOTAL_FAILED/REVOKED |
pades | 8 TSA without EKU      | noeku_ts         | * ; ts:signature-time-stamp=INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE |
pades | 9 broken doc ts        | broken_ats       | * ; ts:document-time-stamp=TOTAL_FAILED/HASH_FAILURE |
pades | 9 ... overall verdict  | broken_ats       | TOTAL_FAILED/HASH_FAILURE |
pades | 10 SHA-1 after sunset  | sha1             | INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE_NO_POE |
pades | 11 B-LTA offline=online| level:B-LTA      | TOTAL_PASSED/- ; same:offline |
pades | 12 pdfsig (NSS)        | foreign          | TOTAL_PASSED/- |
pades | 13 CA revoked before sig| revca            | INDETERMINATE/REVOKED_CA_NO_POE ; msg:Revoked Intermediate CA: revoked on |
pades | 13 ... --offline --vdata | revca            | INDETERMINATE/REVOKED_CA_NO_POE ; with:--offline --vdata vd-revca |
pades | 13 ... --offline, no data| revca            | TOTAL_PASSED/- ; with:--offline |
pades | 14 CA revoked after B-LTA| late             | TOTAL_PASSED/- ; with:--vdata late-pades/vd2 ; msg:revoked after the proof of existence |
pades | 15 TSA revoked before ts | tsarev           | TOTAL_PASSED/- ; ts:signature-time-stamp=TOTAL_FAILED/REVOKED |
pades | 16 --vdata: signer revoked| revoked         | TOTAL_FAILED/REVOKED ; with:--offline --vdata vd-inter |
pades | 16 --vdata: data required | level:B-B       | TOTAL_PASSED/- ; with:--offline --vdata vd-inter --policy req.pol |
pades | 16 no --vdata: required  | level:B-B        | INDETERMINATE/TRY_LATER ; with:--offline --policy req.pol |
pades | 17 B-LT, max age 1 s    | level:B-LT       | INDETERMINATE/TRY_LATER ; with:--offline --policy age1s.pol ; msg:max_revocation_age |
pades | 17 B-LT, max age 30 d   | level:B-LT       | TOTAL_PASSED/- ; with:--offline --policy age30d.pol |
'

W=$(mktemp -d "${TMPDIR:-/tmp}/ltsig-matrix.XXXXXX")
trap '[[ -n "${TSA_REV_PID:-}" ]] && kill "$TSA_REV_PID" 2>/dev/null; rm -rf "$W"' EXIT
cd "$W" || exit 1

printf 'MATRIX-CONTENT-0123456789 signed text\n' >doc.txt
cat >doc.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<record xmlns="urn:ltsig:test:matrix"><id>MATRIX-CONTENT-0123456789</id><keep>2036-12-31</keep></record>
EOF
cp "$DOCS/sample.pdf" doc.pdf
input() { case $1 in cades) echo doc.txt;; xades) echo doc.xml;; pades) echo doc.pdf;; esac; }

# sign FMT LEVEL P12NAME OUT [options]
sign() {
    local fmt=$1 lv=$2 who=$3 out=$4
    shift 4
    "$LTSIG" sign --format "$fmt" --level "$lv" --signer "file:$P/$who.p12" --passin pass:test1234 \
        --tsa "$TSA" --trust "$P/root.pem" "$@" -o "$out" "$(input "$fmt")"
}

# --- byte-level helpers (python3 only, no extra modules) ----------------------------------------
cat >der.py <<'PY'
# Minimal DER walker / editor: the CMS of a .p7s file or of a PDF's first /Contents.
import sys, re, subprocess, hashlib

def tlv(b, i):
    """(tag, header length, value length) of the TLV at i (DER lengths only)."""
    tag = b[i]; l = b[i + 1]; h = 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i + 2:i + 2 + n], 'big'); h += n
    return tag, h, l

def children(b, i):
    tag, h, l = tlv(b, i); j = i + h; out = []
    while j < i + h + l:
        out.append(j); t2, h2, l2 = tlv(b, j); j += h2 + l2
    return out

def enc_len(n):
    if n < 0x80: return bytes([n])
    s = n.to_bytes((n.bit_length() + 7) // 8, 'big'); return bytes([0x80 | len(s)]) + s

def signer_info(b):
    ci = 0
    sd = children(b, children(b, ci)[1])[0]          # ContentInfo.[0].SignedData
    sis = children(b, sd)[-1]                         # SignerInfos SET
    return children(b, sis)[0]

def load(path):
    data = open(path, 'rb').read()
    if data.startswith(b'%PDF'):
        m = list(re.finditer(rb'/Contents\s*<([0-9A-Fa-f]+)>', data))[0]
        raw = bytes.fromhex(m.group(1).decode())
        t, h, l = tlv(raw, 0)
        return data, m, raw[:h + l]
    return data, None, data

def save(path, data, m, cms):
    if m is None:
        open(path, 'wb').write(cms); return
    hexs = cms.hex().encode()
    width = m.end(1) - m.start(1)
    if len(hexs) > width: sys.exit('CMS does not fit the /Contents placeholder')
    hexs += b'0' * (width - len(hexs))
    open(path, 'wb').write(data[:m.start(1)] + hexs + data[m.end(1):])

def replace(b, path, new):
    """Replace the TLV reached by path (list of nested TLV offsets, outermost first) with new
    bytes, re-encoding the lengths of every enclosing TLV."""
    *outer, last = path
    t, h, l = tlv(b, last)
    b = b[:last] + new + b[last + h + l:]
    delta = len(new) - (h + l)
    for o in reversed(outer):
        t, h, l = tlv(b, o)
        nl = l + delta
        nh = bytes([t]) + enc_len(nl)
        b = b[:o] + nh + b[o + h:]
        delta += len(nh) - h
    return b

cmd = sys.argv[1]
if cmd == 'resign-certid':
    # flip a byte of the signer certificate's hash in signing-certificate-v2, then re-sign the
    # signed attributes with the real key (RSA PKCS#1 v1.5, SHA-256): a correct signature over
    # a wrong ESSCertIDv2.
    path, cert_der, key, out = sys.argv[2:6]
    data, m, cms = load(path)
    h = hashlib.sha256(open(cert_der, 'rb').read()).digest()
    k = cms.find(h)
    if k < 0: sys.exit('certificate hash not found in the CMS')
    cms = bytearray(cms); cms[k + 5] ^= 0x01; cms = bytes(cms)
    si = signer_info(cms)
    kids = children(cms, si)
    sa = [c for c in kids if cms[c] == 0xa0][0]
    t, hh, l = tlv(cms, sa)
    tbs = b'\x31' + cms[sa + 1:sa + hh + l]
    sig = subprocess.run(['openssl', 'dgst', '-sha256', '-sign', key], input=tbs,
                         capture_output=True, check=True).stdout
    sv = kids[kids.index(sa) + 2]                    # signatureAlgorithm, then signature
    t, hh, l = tlv(cms, sv)
    if l != len(sig): sys.exit('signature length changed')
    cms = cms[:sv + hh] + sig + cms[sv + hh + l:]
    save(out, data, m, cms)
elif cmd == 'byterange':
    # the bytes a PDF signature covers (its /ByteRange)
    path, out = sys.argv[2:4]
    data = open(path, 'rb').read()
    br = [int(x) for x in re.search(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)', data).groups()]
    open(out, 'wb').write(data[br[0]:br[0] + br[1]] + data[br[2]:br[2] + br[3]])
elif cmd == 'put-cms':
    # put another CMS (DER) into the first /Contents of a PDF
    path, cmsfile, out = sys.argv[2:5]
    data, m, cms = load(path)
    save(out, data, m, open(cmsfile, 'rb').read())
elif cmd == 'flip-signed-attr':
    # flip one byte of the signed attributes (the signing-certificate-v2 hash, or the
    # signing-time seconds) without re-signing
    path, cert_der, out, what = sys.argv[2:6]
    data, m, cms = load(path)
    if what == 'signing-time':
        k = cms.find(bytes.fromhex('06092a864886f70d010905'))
        if k < 0: sys.exit('no signing-time')
        pos = k + 11 + 2 + 2 + 11                    # SET, UTCTime header, YYMMDDHHMMS|S
        c = cms[pos]; cms = cms[:pos] + bytes([ord('0') + (c - ord('0') + 1) % 10]) + cms[pos + 1:]
    else:
        k = cms.find(hashlib.sha256(open(cert_der, 'rb').read()).digest())
        if k < 0: sys.exit('certificate hash not found')
        cms = cms[:k + 3] + bytes([cms[k + 3] ^ 1]) + cms[k + 4:]
    save(out, data, m, cms)
elif cmd == 'token':
    # write the DER of the first signature-time-stamp token of the first signer
    path, out = sys.argv[2:4]
    data, m, cms = load(path)
    si = signer_info(cms)
    ua = [c for c in children(cms, si) if cms[c] == 0xa1][0]
    for a in children(cms, ua):
        oid, vals = children(cms, a)
        t, h, l = tlv(cms, oid)
        if cms[oid + h:oid + h + l] == bytes.fromhex('2a864886f70d010910020e'):
            tok = children(cms, vals)[0]; t, h, l = tlv(cms, tok)
            open(out, 'wb').write(cms[tok:tok + h + l]); break
    else: sys.exit('no signature-time-stamp')
elif cmd == 'splice-token':
    # replace the first signature-time-stamp token with the DER of another one
    path, tokfile, out = sys.argv[2:5]
    data, m, cms = load(path)
    new = open(tokfile, 'rb').read()
    ci = 0; sdw = children(cms, ci)[1]; sd = children(cms, sdw)[0]; sis = children(cms, sd)[-1]
    si = children(cms, sis)[0]
    ua = [c for c in children(cms, si) if cms[c] == 0xa1][0]
    for a in children(cms, ua):
        oid, vals = children(cms, a)
        t, h, l = tlv(cms, oid)
        if cms[oid + h:oid + h + l] == bytes.fromhex('2a864886f70d010910020e'):
            tok = children(cms, vals)[0]
            cms = replace(cms, [ci, sdw, sd, sis, si, ua, a, vals, tok], new); break
    else: sys.exit('no signature-time-stamp')
    save(out, data, m, cms)
PY

der() { python3 der.py "$@"; }
cert_der() { openssl x509 -in "$P/$1.pem" -outform DER -out "$1.der" && echo "$1.der"; }

# flip_text FILE STRING OFFSET: change the character OFFSET bytes into the first STRING
flip_text() {
    python3 - "$@" <<'PY'
import sys
f, s, off = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
d = bytearray(open(f, 'rb').read()); k = d.find(s)
if k < 0: sys.exit('not found: ' + sys.argv[2])
d[k + off] = d[k + off] + 1 if d[k + off] != ord('z') else ord('a')
open(f, 'wb').write(bytes(d))
PY
}

XADES_IDATTR=(--id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties")

# --- builders: mk_NAME FMT OUT ARG; VOPTS gets extra verify options ------------------------------
mk_level() { sign "$1" "$3" signer-rsa "$2"; }
mk_untrusted() { sign "$1" B-B untrusted-signer "$2"; }
mk_expired() { sign "$1" B-B signer-expired "$2"; }
mk_revoked() { sign "$1" B-B signer-revoked "$2"; }

mk_revca() { sign "$1" B-B signer-revca "$2"; }

# Validation data folders for the --vdata rows, and a policy that requires revocation data.
mkdir -p vd-inter vd-revca
cp "$P/inter.crl" "$P/root.crl" vd-inter/
cp "$P/root-revca.crl" "$P/inter-revoked.crl" vd-revca/
printf 'require_revocation = yes\n' >req.pol
# freshness (EN 319 102-1 §5.2.5.4): the CRLs of the PKI were issued when it was made, more
# than a second before any signature here
printf 'max_revocation_age = 1\n' >age1s.pol
printf 'max_revocation_age = 30d\n' >age30d.pol

# A time-stamp by tsa-revoked (revoked when the PKI was made, so before every genTime here),
# served by a second `ltsig tsa-serve` on TSA port + 16.
TSA_REV_PORT=$(( ${LTS_TEST_TSA_PORT:-18082} + 16 ))
TSA_REV_PID=
start_tsa_rev() {
    [[ -n "$TSA_REV_PID" ]] && return 0
    "$LTSIG" tsa-serve --signer "file:$P/tsa-revoked.p12" --passin pass:test1234 \
        --port "$TSA_REV_PORT" >"$W/tsa-rev.log" 2>&1 &
    TSA_REV_PID=$!
    for _ in $(seq 50); do grep -q listening "$W/tsa-rev.log" && return 0; sleep 0.1; done
    return 1
}
mk_tsarev() {
    grep -q listening "$W/tsa-rev.log" 2>/dev/null || return 1
    "$LTSIG" sign --format "$1" --level B-T --signer "file:$P/signer-rsa.p12" --passin pass:test1234 \
        --tsa "http://127.0.0.1:$TSA_REV_PORT" --trust "$P/root.pem" -o "$2" "$(input "$1")"
}

# A CA (late-FMT/late-ca.pem, under the test root) good when a B-LTA is made with its
# validation data from late-FMT/vd1 (--offline --vdata), and revoked by the root one second
# later: late-FMT/vd2 holds the root CRL that says so. Each CA has its own `openssl ca`
# database in late-FMT (the root's key signs; the PKI's own databases are not touched).
late_ca_conf() { # DIR NAME CERT KEY
    mkdir -p "$1/db-$2/new"
    : >"$1/db-$2/index.txt"
    echo 01 >"$1/db-$2/crlnumber"
    echo 1A01 >"$1/db-$2/serial"
    cat >"$1/$2.cnf" <<EOF
[ ca ]
default_ca = d
[ d ]
dir = $1/db-$2
database = $1/db-$2/index.txt
new_certs_dir = $1/db-$2/new
serial = $1/db-$2/serial
crlnumber = $1/db-$2/crlnumber
certificate = $3
private_key = $4
default_md = sha256
default_crl_days = 30
policy = p
[ p ]
commonName = supplied
[ ext_ca ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ ext_ee ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
}
mk_late() {
    local d=$W/late-$1
    rm -rf "$d" && mkdir -p "$d/vd1" "$d/vd2" || return 1
    late_ca_conf "$d" root "$P/root.pem" "$P/root.key"
    openssl req -new -newkey rsa:2048 -nodes -keyout "$d/ca.key" -subj "/O=ltsig test/CN=Late Revoked CA" \
        -out "$d/ca.csr" 2>/dev/null &&
        openssl ca -batch -notext -config "$d/root.cnf" -extensions ext_ca -days 365 -in "$d/ca.csr" \
            -out "$d/ca.pem" 2>/dev/null || return 1
    late_ca_conf "$d" ca "$d/ca.pem" "$d/ca.key"
    openssl req -new -newkey rsa:2048 -nodes -keyout "$d/ee.key" -subj "/O=ltsig test/CN=Late Signer" \
        -out "$d/ee.csr" 2>/dev/null &&
        openssl ca -batch -notext -config "$d/ca.cnf" -extensions ext_ee -days 365 -in "$d/ee.csr" \
            -out "$d/ee.pem" 2>/dev/null || return 1
    cat "$d/ca.pem" "$P/root.pem" >"$d/vd1/late-chain.pem"
    openssl pkcs12 -export -inkey "$d/ee.key" -in "$d/ee.pem" -certfile "$d/vd1/late-chain.pem" \
        -passout pass:test1234 -out "$d/ee.p12" || return 1
    openssl ca -batch -config "$d/root.cnf" -gencrl -out "$d/vd1/root.crl" 2>/dev/null &&
        openssl ca -batch -config "$d/ca.cnf" -gencrl -out "$d/vd1/ca.crl" 2>/dev/null || return 1
    cp "$P/inter.crl" "$P/chain.pem" "$d/vd1/"
    "$LTSIG" sign --format "$1" --level B-LTA --signer "file:$d/ee.p12" --passin pass:test1234 \
        --tsa "$TSA" --trust "$P/root.pem" --offline --vdata "$d/vd1" -o "$2" "$(input "$1")" || return 1
    sleep 1.1 # the revocation comes strictly after every time-stamp of the file
    openssl ca -batch -config "$d/root.cnf" -revoke "$d/ca.pem" -crl_reason keyCompromise 2>/dev/null &&
        openssl ca -batch -config "$d/root.cnf" -gencrl -out "$d/vd2/root.crl" 2>/dev/null
}

mk_tamper_data() {
    sign "$1" B-B signer-rsa "$2" || return 1
    case $1 in
    cades | xades) flip_text "$2" MATRIX-CONTENT 3 ;;
    pades) flip_text "$2" "(ltsig sample contract)" 7 ;;
    esac
}

mk_tamper_attr() {
    sign "$1" B-B signer-rsa "$2" || return 1
    case $1 in
    cades) der flip-signed-attr "$2" "$(cert_der signer-rsa)" "$2" signing-time ;;
    pades) der flip-signed-attr "$2" "$(cert_der signer-rsa)" "$2" ess-hash ;;
    xades) python3 - "$2" <<'PY'
import sys, re
f = sys.argv[1]; d = open(f).read()
m = re.search(r'(SigningTime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d)(\d)', d)
d = d[:m.start(2)] + str((int(m.group(2)) + 1) % 10) + d[m.end(2):]
open(f, 'w').write(d)
PY
    ;;
    esac
}

mk_wrong_certid() {
    sign "$1" B-B signer-rsa "$2" || return 1
    case $1 in
    cades | pades) der resign-certid "$2" "$(cert_der signer-rsa)" "$P/signer-rsa.key" "$2" ;;
    xades)
        # change CertDigest's DigestValue (base64 of the SHA-256 of the certificate), then have
        # xmlsec1 recompute every Reference digest and the SignatureValue with the real key
        python3 - "$2" <<'PY' || return 1
import sys, re
f = sys.argv[1]; d = open(f).read()
m = re.search(r'CertDigest>.*?DigestValue>([A-Za-z0-9+/]{4})', d, re.S)
if not m: sys.exit('no CertDigest')
s = m.start(1)
d = d[:s] + ('B' if d[s] != 'B' else 'C') + d[s + 1:]
d = re.sub(r'(<ds:SignatureValue[^>]*>)[^<]*(</ds:SignatureValue>)', r'\1\2', d)
d = re.sub(r'(<ds:DigestValue>)[^<]*(</ds:DigestValue>)(?=\s*</ds:Reference>)', r'\1\2', d)
open(f, 'w').write(d)
PY
        xmlsec1 --sign --privkey-pem "$P/signer-rsa.key" "${XADES_IDATTR[@]}" --output "$2.re" "$2" \
            >/dev/null 2>&1 || return 1
        mv "$2.re" "$2"
        ;;
    esac
}

# A token of our TSA's data re-signed by tsa-noeku (no timeStamping EKU): the imprint and
# genTime are right, only the TSA certificate is wrong. openssl ts and our responder both
# refuse such a TSA, so the token is made with openssl cms (eContentType id-ct-TSTInfo,
# -cades for the ESS signing-certificate-v2 attribute) and spliced in.
noeku_token() { # GOODTOKEN.der OUT.der
    openssl cms -verify -noverify -inform DER -in "$1" -out tstinfo.der -binary 2>/dev/null || return 1
    openssl cms -sign -in tstinfo.der -binary -nodetach -econtent_type 1.2.840.113549.1.9.16.1.4 \
        -cades -md sha256 -signer "$P/tsa-noeku.pem" -inkey "$P/tsa-noeku.key" \
        -certfile "$P/chain.pem" -outform DER -out "$2" 2>/dev/null
}
mk_noeku_ts() {
    # the responder must refuse the key first: tsa-serve with tsa-noeku does not start
    local rc=0
    timeout 5 "$LTSIG" tsa-serve --signer "file:$P/tsa-noeku.p12" --passin pass:test1234 \
        --port 19519 >tsa-serve.out 2>&1 || rc=$?
    if [[ $rc -eq 0 || $rc -eq 124 ]] || ! grep -qi "timestamping\|eku\|keyusage\|key usage" tsa-serve.out; then
        echo "tsa-serve did not refuse a TSA without the EKU (rc=$rc): $(cat tsa-serve.out)"; return 1
    fi
    sign "$1" B-T signer-rsa "$2" || return 1
    case $1 in
    cades | pades)
        der token "$2" good.tsr.der && noeku_token good.tsr.der bad.der &&
            der splice-token "$2" bad.der "$2"
        ;;
    xades)
        python3 - "$2" <<'PY' || return 1
import sys, re, base64
f = sys.argv[1]; d = open(f).read()
m = re.search(r'(<xades:EncapsulatedTimeStamp[^>]*>)([^<]*)<', d)
open('good.tsr.der', 'wb').write(base64.b64decode(m.group(2)))
PY
        noeku_token good.tsr.der bad.der || return 1
        python3 - "$2" <<'PY'
import sys, re, base64
f = sys.argv[1]; d = open(f).read()
m = re.search(r'(<xades:EncapsulatedTimeStamp[^>]*>)([^<]*)<', d)
d = d[:m.start(2)] + base64.b64encode(open('bad.der', 'rb').read()).decode() + d[m.end(2):]
open(f, 'w').write(d)
PY
        ;;
    esac
}

mk_broken_ats() {
    sign "$1" B-LTA signer-rsa "$2" || return 1
    case $1 in
    cades)
        # a byte of an embedded CRL's signature: covered by the archive-time-stamp-v3 only
        python3 - "$2" "$P/inter.crl" <<'PY'
import sys
f = sys.argv[1]; d = bytearray(open(f, 'rb').read()); crl = open(sys.argv[2], 'rb').read()
k = d.find(crl[-40:])
if k < 0: sys.exit('CRL not embedded')
d[k + 10] ^= 1; open(f, 'wb').write(bytes(d))
PY
        ;;
    xades)
        # a character of an embedded CRL (RevocationValues), covered by the ArchiveTimeStamp
        python3 - "$2" <<'PY'
import sys, re
f = sys.argv[1]; d = open(f).read()
m = re.search(r'EncapsulatedCRLValue[^>]*>([A-Za-z0-9+/]{400})', d)
if not m: sys.exit('no EncapsulatedCRLValue')
s = m.start(1) + 390
d = d[:s] + ('A' if d[s] != 'A' else 'B') + d[s + 1:]
open(f, 'w').write(d)
PY
        ;;
    pades)
        # a byte of the DSS (an embedded CRL), inside the document time-stamp's byte range
        python3 - "$2" "$P/inter.crl" <<'PY'
import sys
f = sys.argv[1]; d = bytearray(open(f, 'rb').read()); crl = open(sys.argv[2], 'rb').read()
k = d.find(crl[-40:])
if k < 0: sys.exit('CRL not embedded as a raw stream')
d[k + 10] ^= 1; open(f, 'wb').write(bytes(d))
PY
        ;;
    esac
}

mk_sha1() {
    case $1 in
    cades)
        openssl cms -sign -in doc.txt -binary -nodetach -cades -md sha1 -signer "$P/signer-rsa.pem" \
            -inkey "$P/signer-rsa.key" -certfile "$P/chain.pem" -outform DER -out "$2" 2>/dev/null ;;
    xades)
        # our XAdES B-B, SignatureMethod changed to rsa-sha1 and SignedInfo re-signed by xmlsec1
        # (the references stay SHA-256: only the signature algorithm is SHA-1)
        sign xades B-B signer-rsa "$2" || return 1
        python3 - "$2" <<'PY' || return 1
import sys, re
f = sys.argv[1]; d = open(f).read()
d = re.sub(r'SignatureMethod Algorithm="[^"]*"',
           'SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"', d)
d = re.sub(r'(<ds:SignatureValue[^>]*>)[^<]*(</ds:SignatureValue>)', r'\1\2', d)
open(f, 'w').write(d)
PY
        xmlsec1 --sign --privkey-pem "$P/signer-rsa.key" "${XADES_IDATTR[@]}" --output "$2.re" "$2" \
            >/dev/null 2>&1 && mv "$2.re" "$2" ;;
    pades)
        # ltsig refuses to sign with SHA-1: the /ByteRange of our PAdES B-B signed again by
        # openssl cms -md sha1 (detached, ETSI.CAdES.detached attributes) into its /Contents
        sign pades B-B signer-rsa "$2" && der byterange "$2" br.bin &&
            openssl cms -sign -in br.bin -binary -cades -md sha1 -signer "$P/signer-rsa.pem" \
                -inkey "$P/signer-rsa.key" -certfile "$P/chain.pem" -outform DER -out sha1.cms \
                2>/dev/null && der put-cms "$2" sha1.cms "$2" ;;
    esac
}

mk_foreign() {
    case $1 in
    cades)
        openssl cms -sign -in doc.txt -binary -nodetach -cades -md sha256 -signer "$P/signer-rsa.pem" \
            -inkey "$P/signer-rsa.key" -certfile "$P/chain.pem" -outform DER -out "$2" 2>/dev/null ;;
    xades)
        cat >tmpl.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<record xmlns="urn:ltsig:test:matrix"><id>MATRIX-CONTENT-0123456789</id><keep>2036-12-31</keep>
<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>
<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></Transforms>
<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference>
</SignedInfo><SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature></record>
EOF
        xmlsec1 --sign --privkey-pem "$P/signer-rsa.key,$P/signer-rsa.pem,$P/inter.pem" --output "$2" \
            tmpl.xml >/dev/null 2>&1 ;;
    pades)
        rm -rf nss && mkdir nss && certutil -N -d sql:nss --empty-password >/dev/null 2>&1 &&
            pk12util -i "$P/signer-rsa.p12" -d sql:nss -W test1234 >/dev/null 2>&1 || return 1
        local nick
        nick=$(certutil -L -d sql:nss | awk '/u,u,u/ {print $1}' | head -1)
        # pdfsig 22.12 now and then fails with "unable update signature": retry
        for _ in 1 2 3 4 5 6; do
            rm -f "$2"
            pdfsig -nssdir sql:nss -add-signature -nick "$nick" doc.pdf "$2" >pdfsig.err 2>&1 &&
                ! grep -q unable pdfsig.err && [ -s "$2" ] && return 0
        done
        return 1 ;;
    esac
}

# --- the walker ----------------------------------------------------------------------------------
verify() { # OUTJSON FILE [opts]
    local out=$1
    shift
    "$LTSIG" verify --trust "$P/root.pem" --report json "$@" >"$out" 2>verify.err
}

# check_json JSON EXPECTED ONLINE_JSON → prints what was got; exit 0 when it matches
check_json() {
    python3 - "$@" <<'PY'
import sys, json
path, exp = sys.argv[1], sys.argv[2]
try:
    r = json.load(open(path))
except Exception as e:
    print('no JSON report'); sys.exit(1)
def fmt(i, s): return '%s/%s' % (i, s or '-')
got = fmt(r['indication'], r.get('subindication'))
sig = r['signatures'][0] if r.get('signatures') else {}
parts = [p.strip() for p in exp.split(';')]
ok = True
main = parts[0]
if main == '*':
    ok = True
elif main.startswith('!'):
    ok = r['indication'] != main[1:]
else:
    ok = got == main
notes = [got]
for p in parts[1:]:
    if p.startswith('ts:'):
        typ, want = p[3:].split('=')
        wi, ws = want.split('/')
        tss = [t for t in sig.get('timestamps', []) if t['type'] == typ]
        def match(t):
            a = (t['indication'] != wi[1:]) if wi.startswith('!') else t['indication'] == wi
            b = ws == '-' and not wi.startswith('!') and t.get('subindication') is None \
                or ws == '-' and wi.startswith('!') or t.get('subindication') == ws
            return a and b
        hit = [t for t in tss if match(t)]
        notes.append('%s:%s' % (typ, ','.join(fmt(t['indication'], t.get('subindication')) for t in tss) or 'none'))
        ok = ok and bool(hit)
    elif p == 'same:offline':
        o = json.load(open(path + '.offline'))
        og = fmt(o['indication'], o.get('subindication'))
        os_ = [fmt(s['indication'], s.get('subindication')) for s in o['signatures']]
        ns_ = [fmt(s['indication'], s.get('subindication')) for s in r['signatures']]
        notes.append('offline:' + og)
        ok = ok and og == got and os_ == ns_
    elif p.startswith('with:'):
        pass
    elif p.startswith('msg:'):
        hit = any(p[4:] in m for m in sig.get('messages', []))
        notes.append('msg:%s' % ('found' if hit else 'missing'))
        ok = ok and hit
    elif p.startswith('bst:'):
        ok = ok and str(sig.get('best_signature_time', '')).startswith(p[4:])
print(' '.join(notes)); sys.exit(0 if ok else 1)
PY
}

start_tsa_rev || echo "tsa-serve with tsa-revoked did not start: $(cat "$W/tsa-rev.log")"
PASS=0
FAIL=0
XFAIL=0
SUMMARY=()
n=0
while IFS='|' read -r fmt case builder expected xfail; do
    fmt=$(echo "$fmt" | xargs)
    [[ -z "$fmt" ]] && continue
    case=$(echo "$case" | xargs)
    builder=$(echo "$builder" | xargs)
    expected=$(echo "$expected" | sed 's/^ *//; s/ *$//')
    xfail=$(echo "$xfail" | sed 's/^ *//; s/ *$//')
    n=$((n + 1))
    ext=$(case $fmt in cades) echo p7s;; xades) echo xml;; pades) echo pdf;; esac)
    f=case$n.$ext
    name=${builder%%:*}
    arg=${builder#*:}
    [[ "$arg" == "$builder" ]] && arg=""
    if ! build_out=$("mk_$name" "$fmt" "$f" "$arg" 2>&1) || [[ ! -s $f ]]; then
        got="BUILD FAILED: $(echo "$build_out" | tail -n 2 | tr '\n' ' ')"
        res=1
    else
        vopts=()
        if [[ "$expected" == *with:* ]]; then
            w=${expected#*with:}
            read -r -a vopts <<<"${w%%;*}"
        fi
        verify "$f.json" "$f" "${vopts[@]}"
        if [[ "$expected" == *same:offline* ]]; then verify "$f.json.offline" "$f" --offline; fi
        got=$(check_json "$f.json" "$expected")
        res=$?
        # a sanitizer build reports leaks and errors on stderr: that fails the case too
        if grep -q "Sanitizer\|runtime error:" verify.err; then
            got="$got; $(grep -m1 "Sanitizer\|runtime error:" verify.err)"; res=1
        fi
    fi
    if [[ $res -eq 0 && -z "$xfail" ]]; then verdict=ok; PASS=$((PASS + 1))
    elif [[ $res -ne 0 && -n "$xfail" ]]; then verdict=XFAIL; XFAIL=$((XFAIL + 1)); PASS=$((PASS + 1))
    elif [[ $res -eq 0 ]]; then verdict=XPASS; FAIL=$((FAIL + 1))
    else verdict=FAIL; FAIL=$((FAIL + 1)); fi
    echo "$verdict - $fmt $case: got $got, expected $expected${xfail:+ (XFAIL: $xfail)}"
    SUMMARY+=("$(printf '%-6s %-5s %-24s %-60s %s' "$verdict" "$fmt" "$case" "${got:0:60}" "$expected")")
done <<<"$CASES"

# Case 7 at B-LT: the signing side refuses to embed validation data that shows the signer
# revoked before the signature's first proof of existence (so a B-LT/B-LTA with a revoked
# signer and no earlier PoE is never produced); nothing is written.
for fmt in cades xades pades; do
    out=refused-$fmt.$(case $fmt in cades) echo p7s;; xades) echo xml;; pades) echo pdf;; esac)
    rc=0
    sign "$fmt" B-LT signer-revoked "$out" >refuse.err 2>&1 || rc=$?
    if [[ $rc -ne 0 && ! -e $out ]] && grep -qi revoked refuse.err; then
        verdict=ok; PASS=$((PASS + 1)); got="refused (exit $rc)"
    else
        verdict=FAIL; FAIL=$((FAIL + 1)); got="exit $rc: $(head -c 120 refuse.err)"
    fi
    echo "$verdict - $fmt 7 B-LT by signer-revoked: got $got, expected a refusal naming the revocation"
    SUMMARY+=("$(printf '%-6s %-5s %-24s %-60s %s' "$verdict" "$fmt" "7 B-LT signer-revoked" "${got:0:60}" "sign refuses")")
done

# --vdata with a bad folder: an error (exit 4) naming it, no report
mkdir -p vd-bad && echo garbage >vd-bad/x.crl
for vd in "$W/no-such-folder" vd-bad; do
    rc=0
    "$LTSIG" verify --trust "$P/root.pem" --offline --vdata "$vd" --report json -o bad.json \
        case1.p7s >vdbad.out 2>vdbad.err || rc=$?
    want=$([[ $vd == vd-bad ]] && echo "vd-bad/x.crl" || echo "$vd")
    if [[ $rc -eq 4 && ! -s bad.json ]] && grep -qF "$want" vdbad.err; then
        verdict=ok; PASS=$((PASS + 1))
    else
        verdict=FAIL; FAIL=$((FAIL + 1))
    fi
    echo "$verdict - --vdata $vd: exit $rc, $(head -c 150 vdbad.err)"
    SUMMARY+=("$(printf '%-6s %-5s %-24s %-60s %s' "$verdict" "cades" "--vdata bad folder" "exit $rc" "exit 4 naming it")")
    rm -f bad.json
done

echo
echo "# validation matrix: verdict format case got expected"
printf '%s\n' "${SUMMARY[@]}"
echo "# $XFAIL expected failures (known gaps, docs/validation-matrix.md)"
echo "$PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
