#!/bin/bash
# Install the Debian 12 packages ltsig needs to build, test and run its demo.
# Fast when everything is there already: apt-get runs only for what is missing.
set -euo pipefail

PACKAGES=(
    build-essential cmake pkg-config git
    openssl libssl-dev
    libxml2-dev libxml2-utils libxmlsec1-dev libxmlsec1-openssl xmlsec1
    libqpdf-dev qpdf
    libcurl4-openssl-dev libmicrohttpd-dev libjansson-dev
    libsqlite3-dev sqlite3 libargon2-dev libpq-dev postgresql
    libcunit1-dev
    softhsm2 opensc libp11-kit-dev
    poppler-utils libnss3-tools
    python3 curl jq valgrind time
    clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages (${missing[*]}); run as root or install them" >&2
    exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
