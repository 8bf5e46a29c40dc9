#!/usr/bin/env bash
# softhsm.sh — make a throw-away SoftHSMv2 token for the tests (PKCS#11 backend, ltsigd).
#
#   softhsm.sh create DIR PKIDIR    new token in DIR (wiped first if it was made by this script)
#   softhsm.sh init DIR             new EMPTY token in DIR (no keys, no certificates; same PINs,
#                                   same env.sh), e.g. for ltsigd's key generation tests
#   softhsm.sh destroy DIR          remove DIR (only if it was made by this script)
#   softhsm.sh module               print the SoftHSMv2 module path
#
# `create` writes DIR/softhsm2.conf (tokens in DIR/tokens, nothing under /var/lib/softhsm),
# initialises one token and fills it from the test PKI made by testdata/pki/make-pki.sh:
#   label         id   what
#   signer-rsa    01   private key (imported) + certificate
#   signer-ec     02   private key (imported) + certificate
#   signer-ec384  03   private key (imported) + certificate
#   inter         10   certificate only (the issuing CA)
#   root          11   certificate only
#   gen-ec        20   EC P-256 key pair GENERATED on the token (sensitive, not extractable)
#                      + a certificate for it issued by inter
# and DIR/env.sh, to be sourced, exporting:
#   SOFTHSM2_CONF LTS_P11_MODULE LTS_P11_TOKEN LTS_P11_PIN_FILE LTS_P11_SO_PIN_FILE
# The user PIN is in DIR/user.pin (mode 600), never on a command line of ours except the
# pkcs11-tool/softhsm2-util calls below (test material only).
# Env: LTS_P11_TOKEN (token label, default ltsig-test).
set -euo pipefail

MARKER=.ltsig-softhsm
die() { echo "softhsm.sh: $*" >&2; exit 1; }

find_module() {
    local m
    for m in "${LTS_P11_MODULE:-}" /usr/lib/softhsm/libsofthsm2.so \
        /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so /usr/lib64/pkcs11/libsofthsm2.so \
        /usr/local/lib/softhsm/libsofthsm2.so; do
        if [[ -n "$m" && -f "$m" ]]; then
            echo "$m"
            return 0
        fi
    done
    return 1
}

safe_wipe() {
    local d=$1
    case "$d" in /|"") die "refusing to use '$d'" ;; esac
    if [[ -e "$d" ]]; then
        [[ -d "$d" ]] || die "$d exists and is not a directory"
        if [[ -n "$(ls -A "$d")" && ! -e "$d/$MARKER" ]]; then
            die "$d is not empty and was not made by softhsm.sh; refusing to wipe it"
        fi
        rm -rf "$d"
    fi
}

# Sets dir, mod, token, pin, sopin (globals of this script) and writes env.sh.
init_token() {
    dir=$1
    command -v softhsm2-util >/dev/null || die "softhsm2-util not found (apt-get install softhsm2)"
    mod=$(find_module) || die "libsofthsm2.so not found (apt-get install softhsm2)"
    safe_wipe "$dir"
    mkdir -p "$dir/tokens" "$dir/work"
    dir=$(cd "$dir" && pwd -P)
    touch "$dir/$MARKER"
    token=${LTS_P11_TOKEN:-ltsig-test}
    pin=ltsig-user-7391
    sopin=ltsig-so-8642
    (umask 077; printf '%s\n' "$pin" >"$dir/user.pin"; printf '%s\n' "$sopin" >"$dir/so.pin")
    cat >"$dir/softhsm2.conf" <<EOF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
slots.mechanisms = ALL
library.reset_on_fork = false
EOF
    export SOFTHSM2_CONF=$dir/softhsm2.conf
    softhsm2-util --init-token --free --label "$token" --so-pin "$sopin" --pin "$pin" >/dev/null
    cat >"$dir/env.sh" <<EOF
export SOFTHSM2_CONF='$dir/softhsm2.conf'
export LTS_P11_MODULE='$mod'
export LTS_P11_TOKEN='$token'
export LTS_P11_PIN_FILE='$dir/user.pin'
export LTS_P11_SO_PIN_FILE='$dir/so.pin'
EOF
}

create() {
    local pki=$2 p11
    command -v pkcs11-tool >/dev/null || die "pkcs11-tool not found (apt-get install opensc)"
    [[ -f "$pki/signer-rsa.key" && -f "$pki/inter.key" ]] || die "$pki: not a test PKI (run make-pki.sh)"
    pki=$(cd "$pki" && pwd -P)
    init_token "$1"

    p11() { pkcs11-tool --module "$mod" --token-label "$token" --login --pin "$pin" "$@" >/dev/null 2>"$dir/work/p11.err" \
        || { cat "$dir/work/p11.err" >&2; die "pkcs11-tool $*: failed"; }; }
    put_cert() { # PEM LABEL ID
        openssl x509 -in "$1" -outform DER -out "$dir/work/$2.der"
        p11 --write-object "$dir/work/$2.der" --type cert --label "$2" --id "$3"
    }
    local name id
    for pair in signer-rsa:01 signer-ec:02 signer-ec384:03; do
        name=${pair%%:*}
        id=${pair##*:}
        [[ -f "$pki/$name.key" ]] || continue
        softhsm2-util --import "$pki/$name.key" --token "$token" --label "$name" --id "$id" \
            --pin "$pin" >/dev/null
        put_cert "$pki/$name.pem" "$name" "$id"
    done
    put_cert "$pki/inter.pem" inter 10
    put_cert "$pki/root.pem" root 11

    # A key pair made on the token: the private half never leaves it.
    p11 --keypairgen --key-type EC:prime256v1 --label gen-ec --id 20 --usage-sign --sensitive
    p11 --read-object --type pubkey --id 20 -o "$dir/work/gen-ec.pub.der"
    openssl pkey -pubin -inform DER -in "$dir/work/gen-ec.pub.der" -out "$dir/work/gen-ec.pub.pem"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$dir/work/dummy.key" -subj "/O=ltsig test/CN=Test Signer HSM-generated" \
        -out "$dir/work/gen-ec.csr" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature,nonRepudiation" \
        "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$dir/work/gen-ec.ext"
    openssl x509 -req -in "$dir/work/gen-ec.csr" -force_pubkey "$dir/work/gen-ec.pub.pem" \
        -CA "$pki/inter.pem" -CAkey "$pki/inter.key" -set_serial 0x7e57c0de01 -days 365 \
        -extfile "$dir/work/gen-ec.ext" -out "$dir/work/gen-ec.pem" 2>/dev/null
    rm -f "$dir/work/dummy.key"
    put_cert "$dir/work/gen-ec.pem" gen-ec 20
    cp "$dir/work/gen-ec.pem" "$dir/gen-ec.pem"
}

case "${1:-}" in
create)
    [[ $# -eq 3 ]] || die "usage: softhsm.sh create DIR PKIDIR"
    create "$2" "$3"
    ;;
init)
    [[ $# -eq 2 ]] || die "usage: softhsm.sh init DIR"
    init_token "$2"
    ;;
destroy)
    [[ $# -eq 2 ]] || die "usage: softhsm.sh destroy DIR"
    safe_wipe "$2"
    ;;
module)
    find_module || die "libsofthsm2.so not found"
    ;;
*)
    echo "usage: softhsm.sh create DIR PKIDIR | init DIR | destroy DIR | module" >&2
    exit 2
    ;;
esac
