#!/bin/bash
# tests/fuzz/make-corpus.sh LTSIG [OUTDIR] — regenerate the seed corpora of the fuzz targets
# (default OUTDIR: tests/fuzz/corpus) from a fresh test PKI (testdata/pki/make-pki.sh) and
# the signing commands (ltsig sign, openssl cms/ts/ocsp/crl). Every seed is a real,
# well-formed input (plus a few cut ones), a few KB at most; no private key is ever put in
# the corpus. Multi-part inputs are made with pack.py (the format of fuzz_common.h).
# Services run on 127.0.0.1 ports 19111-19113 (the hardening range) while it works.
# The seeds change at every run (new keys, times, serials): commit them only when a
# target's input format changed.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 LTSIG [OUTDIR]" >&2; exit 2; }
LTSIG=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
OUT=${2:-$HERE/corpus}
PACK="python3 $HERE/pack.py"
DOCS=$ROOT/testdata/docs
export LTS_TEST_HTTP_PORT=19111 LTS_TEST_OCSP_PORT=19112 LTS_TEST_TSA_PORT=19113
W=$(mktemp -d "${TMPDIR:-/tmp}/lts-corpus.XXXXXX")
P=$W/pki
cleanup() {
    bash "$ROOT/tests/integration/services.sh" stop "$P" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT

bash "$ROOT/testdata/pki/make-pki.sh" "$P" >/dev/null
export LTSIG LTS_TEST_PKI=$P
# shellcheck source=/dev/null
. "$ROOT/tests/support/tsa_cmd.sh"
bash "$ROOT/tests/integration/services.sh" start "$P" >/dev/null
TSA=http://127.0.0.1:$LTS_TEST_TSA_PORT/
cp "$P/root.pem" "$HERE/trust-root.pem" # the anchor of fuzz_xades / fuzz_pades (no key)
# freshness-checking seeds of fuzz_ocsp / fuzz_crl: mode = 2 * days since 2026-11-26 + 1
DAYS=$(( ($(date +%s) - 1795651200) / 86400 + 1 ))
[ "$DAYS" -ge 0 ] && [ "$DAYS" -le 127 ] || DAYS=0
FRESH=$((2 * DAYS + 1))
for t in cades tsa ocsp crl xades pades p11uri validate csc; do
    rm -rf "${OUT:?}/$t"
    mkdir -p "$OUT/$t"
done
der() { openssl x509 -in "$1" -outform DER -out "$2"; }
for n in signer-rsa signer-revoked signer-ec inter root tsa untrusted-signer; do
    der "$P/$n.pem" "$W/$n.der"
done
SIGN=("$LTSIG" sign --signer "file:$P/signer-rsa.p12" --passin pass:test1234 --timeout 10)
SIGN_EC=("$LTSIG" sign --signer "file:$P/signer-ec.p12" --passin pass:test1234 --timeout 10)
cut_half() { head -c $(($(stat -c %s "$1") / 2)) "$1" >"$2"; }

# --- cades: mode byte, content, CMS ------------------------------------------------------
C=$OUT/cades
"${SIGN[@]}" --format cades --level B-B -o "$W/bb.p7m" "$DOCS/sample.txt"
"${SIGN[@]}" --format cades --level B-B --detached -o "$W/bb-det.p7s" "$DOCS/sample.txt"
"${SIGN_EC[@]}" --format cades --level B-B --hash sha384 -o "$W/bb-ec.p7m" "$DOCS/sample.txt"
"${SIGN[@]}" --format cades --level B-T --tsa "$TSA" -o "$W/bt.p7m" "$DOCS/sample.txt"
"${SIGN[@]}" --format cades --level B-LT --tsa "$TSA" --trust "$P/root.pem" \
    -o "$W/blt.p7m" "$DOCS/sample.txt"
"$LTSIG" extend --level B-LTA --tsa "$TSA" --trust "$P/root.pem" --timeout 10 \
    -o "$W/blta.p7m" "$W/blt.p7m"
openssl cms -sign -binary -in "$DOCS/sample.txt" -signer "$P/signer-rsa.pem" \
    -inkey "$P/signer-rsa.key" -outform DER -out "$W/ossl-noattr.p7m" -noattr -nodetach
openssl cms -sign -binary -in "$DOCS/sample.txt" -signer "$P/signer-ec.pem" \
    -inkey "$P/signer-ec.key" -certfile "$P/chain.pem" -outform PEM -out "$W/ossl.pem"
openssl cms -sign -binary -stream -indef -in "$DOCS/sample.txt" -signer "$P/signer-rsa.pem" \
    -inkey "$P/signer-rsa.key" -outform DER -out "$W/ossl-ber.p7m" -nodetach
$PACK "$C/bb-attached" --mode 0 - "$W/bb.p7m"
$PACK "$C/bb-detached-digest" --mode 1 "$DOCS/sample.txt" "$W/bb-det.p7s"
$PACK "$C/bb-detached-file" --mode 2 "$DOCS/sample.txt" "$W/bb-det.p7s"
$PACK "$C/bb-detached-wrong" --mode 1 "@not the content" "$W/bb-det.p7s"
$PACK "$C/bb-ec384" --mode 0 - "$W/bb-ec.p7m"
$PACK "$C/bt" --mode 0 - "$W/bt.p7m"
$PACK "$C/blta" --mode 0 - "$W/blta.p7m"
$PACK "$C/openssl-noattr" --mode 0 - "$W/ossl-noattr.p7m"
$PACK "$C/openssl-pem" --mode 0 - "$W/ossl.pem"
$PACK "$C/openssl-ber-indef" --mode 0 - "$W/ossl-ber.p7m"
cut_half "$W/bt.p7m" "$W/bt-cut.p7m"
$PACK "$C/bt-truncated" --mode 0 - "$W/bt-cut.p7m"
$PACK "$C/empty" --mode 0 - -

# --- tsa: request, response --------------------------------------------------------------
T=$OUT/tsa
tsq() { openssl ts -query -data "$DOCS/sample.txt" "$@" 2>/dev/null; }
post() { curl -s -m 10 -H 'Content-Type: application/timestamp-query' --data-binary @"$1" -o "$2" "$TSA"; }
tsq -sha256 -cert -out "$W/q1.tsq"
post "$W/q1.tsq" "$W/r1.tsr"
tsq -sha384 -no_nonce -out "$W/q2.tsq"
post "$W/q2.tsq" "$W/r2.tsr"
tsq -sha512 -cert -tspolicy 1.2.3.4 -out "$W/q3.tsq"
post "$W/q3.tsq" "$W/r3.tsr" # rejected: unaccepted policy
# openssl's own TSA, signing with the test TSA key
cat >"$W/ts.cnf" <<EOT
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
serial = $W/tsaserial
crypto_device = builtin
signer_cert = $P/tsa.pem
certs = $P/chain.pem
signer_key = $P/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = yes
ess_cert_id_alg = sha256
EOT
echo 01 >"$W/tsaserial"
openssl ts -reply -config "$W/ts.cnf" -queryfile "$W/q1.tsq" -out "$W/r4.tsr" 2>/dev/null
$PACK "$T/ltsig-sha256" "$W/q1.tsq" "$W/r1.tsr"
$PACK "$T/ltsig-sha384-nocert" "$W/q2.tsq" "$W/r2.tsr"
$PACK "$T/ltsig-rejected" "$W/q3.tsq" "$W/r3.tsr"
$PACK "$T/openssl-tsa" "$W/q1.tsq" "$W/r4.tsr"
$PACK "$T/nonce-mismatch" "$W/q2.tsq" "$W/r1.tsr"
$PACK "$T/fixed-request" - "$W/r1.tsr"
cut_half "$W/r1.tsr" "$W/r1-cut.tsr"
$PACK "$T/truncated" "$W/q1.tsq" "$W/r1-cut.tsr"

# --- ocsp: mode, cert, issuer, response --------------------------------------------------
O=$OUT/ocsp
ocsp_resp() { # CERT SIGNER KEY OUT [extra]
    local cert=$1 signer=$2 key=$3 out=$4
    shift 4
    openssl ocsp -issuer "$P/inter.pem" -cert "$cert" -reqout "$W/oreq.der" -no_nonce "$@" \
        >/dev/null 2>&1 || true
    openssl ocsp -index "$P/ca/index.txt" -CA "$P/inter.pem" -rsigner "$signer" -rkey "$key" \
        -reqin "$W/oreq.der" -respout "$out" -ndays 30 "$@" >/dev/null 2>&1
}
ocsp_resp "$P/signer-rsa.pem" "$P/ocsp.pem" "$P/ocsp.key" "$W/o-good.der"
ocsp_resp "$P/signer-revoked.pem" "$P/ocsp.pem" "$P/ocsp.key" "$W/o-revoked.der"
ocsp_resp "$P/signer-rsa.pem" "$P/inter.pem" "$P/inter.key" "$W/o-byca.der"
ocsp_resp "$P/signer-ec.pem" "$P/ocsp.pem" "$P/ocsp.key" "$W/o-ec-resp-id.der" -resp_key_id
openssl ocsp -issuer "$P/inter.pem" -cert "$P/signer-rsa.pem" -reqout "$W/oreq.der" >/dev/null 2>&1
curl -s -m 10 -H 'Content-Type: application/ocsp-request' --data-binary @"$W/oreq.der" \
    -o "$W/o-server.der" "http://127.0.0.1:$LTS_TEST_OCSP_PORT/"
$PACK "$O/good-fresh" --mode "$FRESH" "$W/signer-rsa.der" "$W/inter.der" "$W/o-good.der"
$PACK "$O/good" --mode 0 "$W/signer-rsa.der" "$W/inter.der" "$W/o-good.der"
$PACK "$O/revoked" --mode 0 "$W/signer-revoked.der" "$W/inter.der" "$W/o-revoked.der"
$PACK "$O/signed-by-ca" --mode 0 "$W/signer-rsa.der" "$W/inter.der" "$W/o-byca.der"
$PACK "$O/responder-key-id" --mode 0 "$W/signer-ec.der" "$W/inter.der" "$W/o-ec-resp-id.der"
$PACK "$O/from-server-nonce" --mode "$FRESH" "$W/signer-rsa.der" "$W/inter.der" "$W/o-server.der"
$PACK "$O/wrong-cert" --mode 0 "$W/signer-ec.der" "$W/inter.der" "$W/o-good.der"
$PACK "$O/wrong-issuer" --mode 0 "$W/signer-rsa.der" "$W/root.der" "$W/o-good.der"
printf '\x30\x03\x0a\x01\x01' >"$W/o-malformed.der" # OCSPResponse, status malformedRequest
$PACK "$O/status-malformed" --mode 0 "$W/signer-rsa.der" "$W/inter.der" "$W/o-malformed.der"

# --- crl: mode, cert, issuer, CRL --------------------------------------------------------
R=$OUT/crl
openssl crl -in "$P/inter.crl" -inform DER -outform PEM -out "$W/inter.crl.pem"
$PACK "$R/good" --mode 0 "$W/signer-rsa.der" "$W/inter.der" "$P/inter.crl"
$PACK "$R/good-fresh" --mode "$FRESH" "$W/signer-rsa.der" "$W/inter.der" "$P/inter.crl"
$PACK "$R/revoked" --mode "$FRESH" "$W/signer-revoked.der" "$W/inter.der" "$P/inter.crl"
$PACK "$R/pem" --mode 0 "$W/signer-revoked.der" "$W/inter.der" "$W/inter.crl.pem"
$PACK "$R/root-crl" --mode 0 "$W/inter.der" "$W/root.der" "$P/root.crl"
$PACK "$R/wrong-issuer" --mode 0 "$W/signer-rsa.der" "$W/root.der" "$P/inter.crl"

# --- xades: the XML document --------------------------------------------------------------
X=$OUT/xades
"${SIGN[@]}" --format xades --level B-B -o "$X/enveloped.xml" "$DOCS/prescription.xml"
"${SIGN_EC[@]}" --format xades --level B-B --enveloping -o "$X/enveloping-ec.xml" "$DOCS/sample.txt"
"${SIGN[@]}" --format xades --level B-B --detached -o "$X/detached.xml" "$DOCS/sample.txt"
"${SIGN[@]}" --format xades --level B-T --tsa "$TSA" -o "$X/bt.xml" "$DOCS/prescription.xml"
"${SIGN[@]}" --format xades --level B-LTA --tsa "$TSA" --trust "$P/root.pem" \
    -o "$X/blta.xml" "$DOCS/prescription.xml"
xmlsec1 --sign --privkey-pem "$P/signer-rsa.key,$P/signer-rsa.pem" --output "$W/x-dsig.xml" \
    <(cat <<'EOT'
<?xml version="1.0"?>
<doc><a>plain XML-DSig</a><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature></doc>
EOT
) 2>/dev/null && cp "$W/x-dsig.xml" "$X/xmldsig-only.xml"
printf '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY e "x">]>\n<d>&e;</d>\n' >"$X/entity.xml"
cut_half "$X/bt.xml" "$X/bt-truncated.xml"

# --- pades: the PDF -------------------------------------------------------------------------
D=$OUT/pades
"${SIGN[@]}" --format pades --level B-B -o "$D/bb.pdf" "$DOCS/sample.pdf"
"${SIGN_EC[@]}" --format pades --level B-B -o "$D/bb-objstm-ec.pdf" "$DOCS/sample-objstm.pdf"
"${SIGN[@]}" --format pades --level B-T --tsa "$TSA" -o "$D/bt.pdf" "$DOCS/sample.pdf"
"${SIGN[@]}" --format pades --level B-B -o "$D/two-sigs.pdf" "$D/bb.pdf"
cp "$DOCS/sample.pdf" "$D/unsigned.pdf"

# --- p11uri: the URI text -------------------------------------------------------------------
U=$OUT/p11uri
printf '%s' 'pkcs11:token=ltsig;object=signer-rsa;type=private' >"$U/basic"
printf '%s' 'pkcs11:token=My%20Token;id=%01%02%ff;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/tmp/pin&x-sessions=4' >"$U/query"
printf '%s' 'pkcs11:manufacturer=SoftHSM%20project;serial=0123456789abcdef;model=SoftHSM%20v2;slot-description=s;slot-manufacturer=m;slot-id=7;library-manufacturer=x;library-description=y;library-version=2.6' >"$U/all-path"
printf '%s' 'pkcs11:object=a?pin-value=1234&module-name=softhsm2' >"$U/pin-value"
printf '%s' 'pkcs11:token=a;token=b' >"$U/duplicate"
printf '%s' 'pkcs11:id=%zz' >"$U/bad-escape"
printf '%s' 'pkcs11:' >"$U/empty"

# --- validate: whole files (CAdES mostly) --------------------------------------------------
V=$OUT/validate
cp "$W/bb.p7m" "$V/cades-bb.p7m"
cp "$W/bt.p7m" "$V/cades-bt.p7m"
cp "$W/blta.p7m" "$V/cades-blta.p7m"
cp "$W/bb-ec.p7m" "$V/cades-ec384.p7m"
cp "$W/ossl.pem" "$V/openssl.pem"
cp "$W/ossl-ber.p7m" "$V/openssl-ber.p7m"
cp "$W/bb-det.p7s" "$V/cades-detached.p7s"
cp "$X/enveloping-ec.xml" "$V/xades.xml"
cp "$D/bb.pdf" "$V/pades.pdf"

# --- csc: method path, Authorization ("B" = a valid bearer token, "L" = valid Basic), body ---
S=$OUT/csc
H='"hashes":["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]'
$PACK "$S/login" @auth/login @L -
$PACK "$S/login-bad" @auth/login "@Basic ZnV6ejp4eA==" -
$PACK "$S/info" @info - '@{"lang":"en-US"}'
$PACK "$S/list" @credentials/list @B '@{"maxResults":10,"credInfo":true,"certificates":"chain","authInfo":true}'
$PACK "$S/cred-info" @credentials/info @B '@{"credentialID":"abc","certificates":"single","certInfo":true,"authInfo":true}'
$PACK "$S/authorize" @credentials/authorize @B "@{\"credentialID\":\"abc\",\"numSignatures\":2,$H,\"hashAlgorithmOID\":\"2.16.840.1.101.3.4.2.1\",\"PIN\":\"1234\",\"OTP\":\"123456\"}"
$PACK "$S/signhash" @signatures/signHash @B "@{\"credentialID\":\"abc\",\"SAD\":\"xyz\",$H,\"hashAlgorithmOID\":\"2.16.840.1.101.3.4.2.1\",\"signAlgo\":\"1.2.840.113549.1.1.1\"}"
$PACK "$S/signhash-pss" @signatures/signHash @B "@{\"credentialID\":\"abc\",\"SAD\":\"xyz\",$H,\"signAlgo\":\"1.2.840.113549.1.1.10\",\"signAlgoParams\":\"MDSgDzANBglghkgBZQMEAgEFAKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQMEAgEFAKIDAgEg\"}"
$PACK "$S/timestamp" @signatures/timestamp @B '@{"hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","hashAlgo":"2.16.840.1.101.3.4.2.1","nonce":"1234"}'
$PACK "$S/revoke" @auth/revoke @B '@{"token":"abc","token_type_hint":"access_token"}'
$PACK "$S/bad-json" @credentials/list @B '@{"maxResults":'
$PACK "$S/dup-keys" @credentials/list @B '@{"a":1,"a":2}'
$PACK "$S/no-token" @credentials/list - '@{}'

for t in cades tsa ocsp crl xades pades p11uri validate csc; do
    echo "make-corpus: $t: $(find "$OUT/$t" -type f | wc -l) seeds, $(du -sk "$OUT/$t" | cut -f1) KB"
done
