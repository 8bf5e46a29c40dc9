#!/usr/bin/env bash
# make-pki.sh OUTDIR — build the ltsig test PKI into OUTDIR (wiped and recreated).
#
# Uses only the `openssl` command. Every CA keeps an `openssl ca` database so that
# `openssl ocsp -index OUTDIR/ca/index.txt` can answer for the intermediate's certificates.
# Ports for the URLs embedded in the certificates come from the environment:
#   LTS_TEST_HTTP_PORT (18080)  caIssuers + CRL distribution point
#   LTS_TEST_OCSP_PORT (18081)  OCSP responder (AIA)
#   LTS_TEST_TSA_PORT  (18082)  only recorded in env.sh
# See testdata/pki/README.md for the list of files. Test material only: keys are unencrypted.
set -euo pipefail

usage() { echo "usage: $0 OUTDIR" >&2; exit 2; }
die() { echo "make-pki.sh: $*" >&2; exit 1; }

[[ $# -eq 1 && -n "$1" ]] || usage

HTTP_PORT=${LTS_TEST_HTTP_PORT:-18080}
OCSP_PORT=${LTS_TEST_OCSP_PORT:-18081}
TSA_PORT=${LTS_TEST_TSA_PORT:-18082}
for p in "$HTTP_PORT" "$OCSP_PORT" "$TSA_PORT"; do
    [[ "$p" =~ ^[0-9]+$ && "$p" -ge 1 && "$p" -le 65535 ]] || die "bad port '$p'"
done

command -v openssl >/dev/null || die "openssl not found"

# --- OUTDIR: refuse to wipe anything that is not a previous test PKI --------------------------
MARKER=.ltsig-test-pki
OUT=$1
case "$OUT" in /) die "refusing to use / as OUTDIR" ;; esac
if [[ -e "$OUT" ]]; then
    [[ -d "$OUT" ]] || die "$OUT exists and is not a directory"
    if [[ -n "$(ls -A "$OUT")" && ! -e "$OUT/$MARKER" ]]; then
        die "$OUT is not empty and was not made by make-pki.sh (no $MARKER); refusing to wipe it"
    fi
    rm -rf "$OUT"
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
[[ "$OUT" != *[[:space:]\$]* ]] || die "OUTDIR must not contain whitespace or '\$': $OUT"
touch "$OUT/$MARKER"
cd "$OUT"
mkdir -p ca ca/newcerts ca-root ca-root/newcerts ca-untrusted ca-untrusted/newcerts www work

HTTP_BASE="http://127.0.0.1:${HTTP_PORT}"
OCSP_URL="http://127.0.0.1:${OCSP_PORT}"

# --- dates ----------------------------------------------------------------------------------
# The CAs start on 2019-01-01 so that signer-expired (2020-01-01 .. 2021-01-01) was issued
# within its issuers' lifetime (useful for validation "at" a past time). Certificates that are
# meant to be valid now start one day ago, so fresh signatures never precede notBefore.
utc() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
CA_START=20190101000000Z
ROOT_END=$(utc '+3650 days')
INTER_END=$(utc '+3285 days')
EE_START=$(utc '-1 day')
EE_END=$(utc '+1095 days')
EXPIRED_START=20200101000000Z
EXPIRED_END=20210101000000Z

# --- openssl configuration -------------------------------------------------------------------
# write_ca_conf FILE DBDIR CERT KEY
write_ca_conf() {
    cat >"$1" <<EOF
# Written by make-pki.sh — the CA database and extension profiles of the ltsig test PKI.
[ ca ]
default_ca = CA_default

[ CA_default ]
dir              = $2
database         = $2/index.txt
new_certs_dir    = $2/newcerts
serial           = $2/serial
crlnumber        = $2/crlnumber
certificate      = $3
private_key      = $4
default_md       = sha256
default_days     = 1095
default_crl_days = 30
policy           = policy_any
unique_subject   = no
copy_extensions  = none
email_in_dn      = no
preserve         = yes
name_opt         = ca_default
cert_opt         = ca_default
crl_extensions   = crl_ext

[ policy_any ]
countryName            = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = placeholder

[ crl_ext ]
authorityKeyIdentifier = keyid:always

[ ext_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ ext_inter ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess    = caIssuers;URI:${HTTP_BASE}/root.der
crlDistributionPoints  = URI:${HTTP_BASE}/root.crl

[ ext_signer ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess    = caIssuers;URI:${HTTP_BASE}/inter.der, OCSP;URI:${OCSP_URL}
crlDistributionPoints  = URI:${HTTP_BASE}/inter.crl

[ ext_tsa ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = critical, timeStamping
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess    = caIssuers;URI:${HTTP_BASE}/inter.der, OCSP;URI:${OCSP_URL}
crlDistributionPoints  = URI:${HTTP_BASE}/inter.crl

[ ext_tsa_noeku ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess    = caIssuers;URI:${HTTP_BASE}/inter.der, OCSP;URI:${OCSP_URL}
crlDistributionPoints  = URI:${HTTP_BASE}/inter.crl

[ ext_ocsp ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = OCSPSigning
noCheck                = ignored
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess    = caIssuers;URI:${HTTP_BASE}/inter.der

[ ext_untrusted_signer ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
}

init_db() { # DBDIR FIRST_SERIAL
    : >"$1/index.txt"
    echo "unique_subject = no" >"$1/index.txt.attr"
    echo "$2" >"$1/serial"
    echo 01 >"$1/crlnumber"
}

write_ca_conf "$OUT/root-ca.cnf" "$OUT/ca-root" "$OUT/root.pem" "$OUT/root.key"
write_ca_conf "$OUT/inter-ca.cnf" "$OUT/ca" "$OUT/inter.pem" "$OUT/inter.key"
write_ca_conf "$OUT/untrusted-ca.cnf" "$OUT/ca-untrusted" "$OUT/untrusted-root.pem" "$OUT/untrusted-root.key"
init_db ca-root 01
init_db ca 1001

# --- helpers ---------------------------------------------------------------------------------
# genkey NAME rsa|p256|p384 — unencrypted PKCS#8 PEM in NAME.key
genkey() {
    case "$2" in
        rsa)  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null ;;
        p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
                  -pkeyopt ec_param_enc:named_curve -out "$1.key" ;;
        p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
                  -pkeyopt ec_param_enc:named_curve -out "$1.key" ;;
        *) die "genkey: unknown key type $2" ;;
    esac
}

# csr NAME SUBJECT CNF
csr() { openssl req -new -config "$3" -key "$1.key" -subj "$2" -out "work/$1.csr"; }

# issue NAME CNF EXT START END  (NAME.key and work/NAME.csr exist)
issue() {
    openssl ca -batch -notext -config "$2" -extensions "$3" -startdate "$4" -enddate "$5" \
        -in "work/$1.csr" -out "$1.pem" 2>"work/$1.ca.log" \
        || { cat "work/$1.ca.log" >&2; die "openssl ca failed for $1"; }
}

# p12 NAME EXTRA_CERTS_FILE — key + cert + extra certs, password test1234, OpenSSL 3 defaults
p12() {
    openssl pkcs12 -export -name "$1" -inkey "$1.key" -in "$1.pem" -certfile "$2" \
        -passout pass:test1234 -out "$1.p12"
}

# ee NAME KEYTYPE SUBJECT EXT [START END] — end-entity issued by the intermediate
ee() {
    local name=$1 kt=$2 subj=$3 ext=$4 start=${5:-$EE_START} end=${6:-$EE_END}
    genkey "$name" "$kt"
    csr "$name" "$subj" inter-ca.cnf
    issue "$name" inter-ca.cnf "$ext" "$start" "$end"
    cat "$name.pem" chain.pem >"$name-chain.pem"
    p12 "$name" chain.pem
}

# --- root CA (self-signed, recorded in its own database) --------------------------------------
genkey root rsa
csr root "/O=ltsig test/CN=ltsig Test Root CA" root-ca.cnf
openssl ca -batch -notext -selfsign -config root-ca.cnf -keyfile root.key -extensions ext_root \
    -startdate "$CA_START" -enddate "$ROOT_END" -in work/root.csr -out root.pem 2>work/root.ca.log \
    || { cat work/root.ca.log >&2; die "openssl ca -selfsign failed for root"; }

# --- intermediate CA (pathlen 0) --------------------------------------------------------------
genkey inter rsa
csr inter "/O=ltsig test/CN=ltsig Test Intermediate CA" root-ca.cnf
issue inter root-ca.cnf ext_inter "$CA_START" "$INTER_END"
cat inter.pem root.pem >chain.pem

# --- end entities ----------------------------------------------------------------------------
ee signer-rsa     rsa  "/O=ltsig test/CN=Test Signer RSA"         ext_signer
ee signer-ec      p256 "/O=ltsig test/CN=Test Signer EC P-256"    ext_signer
ee signer-ec384   p384 "/O=ltsig test/CN=Test Signer EC P-384"    ext_signer
ee signer-revoked rsa  "/O=ltsig test/CN=Test Signer Revoked"     ext_signer
ee signer-expired rsa  "/O=ltsig test/CN=Test Signer Expired"     ext_signer \
    "$EXPIRED_START" "$EXPIRED_END"
ee tsa            rsa  "/O=ltsig test/CN=ltsig Test TSA"          ext_tsa
ee tsa-noeku      rsa  "/O=ltsig test/CN=ltsig Test TSA no EKU"   ext_tsa_noeku

genkey ocsp rsa
csr ocsp "/O=ltsig test/CN=ltsig Test OCSP Responder" inter-ca.cnf
issue ocsp inter-ca.cnf ext_ocsp "$EE_START" "$EE_END"

# --- revocation and CRLs ---------------------------------------------------------------------
openssl ca -batch -config inter-ca.cnf -revoke signer-revoked.pem -crl_reason keyCompromise \
    2>work/revoke.log || { cat work/revoke.log >&2; die "revoking signer-revoked failed"; }
openssl ca -batch -config inter-ca.cnf -gencrl -crldays 30 -out work/inter.crl.pem 2>work/crl.log \
    || { cat work/crl.log >&2; die "inter CRL failed"; }
openssl ca -batch -config root-ca.cnf -gencrl -crldays 30 -out work/root.crl.pem 2>work/crl.log \
    || { cat work/crl.log >&2; die "root CRL failed"; }
openssl crl -in work/inter.crl.pem -outform DER -out inter.crl
openssl crl -in work/root.crl.pem -outform DER -out root.crl

# --- an unrelated root and a signer issued directly by it -------------------------------------
init_db ca-untrusted 51
genkey untrusted-root rsa
csr untrusted-root "/O=ltsig untrusted/CN=Untrusted Test Root CA" untrusted-ca.cnf
openssl ca -batch -notext -selfsign -config untrusted-ca.cnf -keyfile untrusted-root.key \
    -extensions ext_root -startdate "$CA_START" -enddate "$ROOT_END" \
    -in work/untrusted-root.csr -out untrusted-root.pem 2>work/uroot.log \
    || { cat work/uroot.log >&2; die "untrusted root failed"; }
genkey untrusted-signer rsa
csr untrusted-signer "/O=ltsig untrusted/CN=Untrusted Test Signer" untrusted-ca.cnf
issue untrusted-signer untrusted-ca.cnf ext_untrusted_signer "$EE_START" "$EE_END"
cat untrusted-signer.pem untrusted-root.pem >untrusted-signer-chain.pem
p12 untrusted-signer untrusted-root.pem

# --- what the HTTP server serves -------------------------------------------------------------
openssl x509 -in inter.pem -outform DER -out www/inter.der
openssl x509 -in root.pem -outform DER -out www/root.der
cp inter.crl root.crl www/

# --- revocation of CAs and TSAs (appended; nothing above changes) ---------------------------
# inter-revoked: a second intermediate under root, revoked by root (keyCompromise); its CRL
# distribution point .../root-revca.crl is a later root CRL that lists it (root.crl, made
# above, stays empty). signer-revca: a signer issued by inter-revoked.
# tsa-revoked: a TSA issued by inter and revoked in inter's database (the OCSP responder says
# so); its CRL distribution point .../inter-tsarev.crl is a later inter CRL listing it and
# signer-revoked (inter.crl stays as it was).
# The new extension profiles live in extra-*.cnf (same databases as root-ca.cnf/inter-ca.cnf).
write_extra_conf() { # FILE DBDIR CERT KEY
    write_ca_conf "$@"
    cat >>"$1" <<EOF

[ ext_inter_revoked ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess    = caIssuers;URI:${HTTP_BASE}/root.der
crlDistributionPoints  = URI:${HTTP_BASE}/root-revca.crl

[ ext_signer_revca ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess    = caIssuers;URI:${HTTP_BASE}/inter-revoked.der
crlDistributionPoints  = URI:${HTTP_BASE}/inter-revoked.crl

[ ext_tsa_revoked ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = critical, timeStamping
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess    = caIssuers;URI:${HTTP_BASE}/inter.der, OCSP;URI:${OCSP_URL}
crlDistributionPoints  = URI:${HTTP_BASE}/inter-tsarev.crl
EOF
}
write_extra_conf "$OUT/extra-root-ca.cnf" "$OUT/ca-root" "$OUT/root.pem" "$OUT/root.key"
write_extra_conf "$OUT/extra-inter-ca.cnf" "$OUT/ca" "$OUT/inter.pem" "$OUT/inter.key"
mkdir -p ca-revoked ca-revoked/newcerts
init_db ca-revoked 2001

genkey inter-revoked rsa
csr inter-revoked "/O=ltsig test/CN=ltsig Test Revoked Intermediate CA" extra-root-ca.cnf
issue inter-revoked extra-root-ca.cnf ext_inter_revoked "$CA_START" "$INTER_END"
write_extra_conf "$OUT/inter-revoked-ca.cnf" "$OUT/ca-revoked" "$OUT/inter-revoked.pem" \
    "$OUT/inter-revoked.key"
cat inter-revoked.pem root.pem >inter-revoked-chain.pem
genkey signer-revca rsa
csr signer-revca "/O=ltsig test/CN=Test Signer under Revoked CA" inter-revoked-ca.cnf
issue signer-revca inter-revoked-ca.cnf ext_signer_revca "$EE_START" "$EE_END"
cat signer-revca.pem inter-revoked-chain.pem >signer-revca-chain.pem
p12 signer-revca inter-revoked-chain.pem

genkey tsa-revoked rsa
csr tsa-revoked "/O=ltsig test/CN=ltsig Test TSA Revoked" extra-inter-ca.cnf
issue tsa-revoked extra-inter-ca.cnf ext_tsa_revoked "$EE_START" "$EE_END"
cat tsa-revoked.pem chain.pem >tsa-revoked-chain.pem
p12 tsa-revoked chain.pem

openssl ca -batch -config extra-root-ca.cnf -revoke inter-revoked.pem -crl_reason keyCompromise \
    2>work/revoke-ca.log || { cat work/revoke-ca.log >&2; die "revoking inter-revoked failed"; }
openssl ca -batch -config extra-inter-ca.cnf -revoke tsa-revoked.pem -crl_reason keyCompromise \
    2>work/revoke-tsa.log || { cat work/revoke-tsa.log >&2; die "revoking tsa-revoked failed"; }
openssl ca -batch -config extra-root-ca.cnf -gencrl -crldays 30 -out work/root-revca.crl.pem \
    2>work/crl.log || { cat work/crl.log >&2; die "root-revca CRL failed"; }
openssl ca -batch -config extra-inter-ca.cnf -gencrl -crldays 30 -out work/inter-tsarev.crl.pem \
    2>work/crl.log || { cat work/crl.log >&2; die "inter-tsarev CRL failed"; }
openssl ca -batch -config inter-revoked-ca.cnf -gencrl -crldays 30 \
    -out work/inter-revoked.crl.pem 2>work/crl.log \
    || { cat work/crl.log >&2; die "inter-revoked CRL failed"; }
openssl crl -in work/root-revca.crl.pem -outform DER -out root-revca.crl
openssl crl -in work/inter-tsarev.crl.pem -outform DER -out inter-tsarev.crl
openssl crl -in work/inter-revoked.crl.pem -outform DER -out inter-revoked.crl
openssl x509 -in inter-revoked.pem -outform DER -out www/inter-revoked.der
cp root-revca.crl inter-tsarev.crl inter-revoked.crl www/

# --- tsa-next: a second TSA whose certificate ends with the intermediate (about 9 years) ----
# A renewal (ltsig renew) with it moves a file's protection date; with `tsa` it cannot.
ee tsa-next       rsa  "/O=ltsig test/CN=ltsig Test TSA Next"     ext_tsa "$EE_START" "$INTER_END"

# --- env.sh ----------------------------------------------------------------------------------
cat >env.sh <<EOF
# Written by make-pki.sh. Source it: . $OUT/env.sh
export LTS_TEST_PKI=$OUT
export LTS_TEST_HTTP_PORT=$HTTP_PORT
export LTS_TEST_OCSP_PORT=$OCSP_PORT
export LTS_TEST_TSA_PORT=$TSA_PORT
EOF

rm -f work/*.csr
echo "make-pki.sh: test PKI written to $OUT (http $HTTP_PORT, ocsp $OCSP_PORT, tsa $TSA_PORT)"
