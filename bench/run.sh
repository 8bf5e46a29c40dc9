#!/bin/bash
# The benchmark suite: ltsig beside its peers on the same inputs in the same run, printed
# as ratios. Never part of the tests (no timed assertions); run it by hand:
#   bash bench/run.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COUNT=${1:-1000}
cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" >/dev/null
WORK=$(mktemp -d /tmp/ltsig-bench.XXXXXX)
trap 'bash "$ROOT/tests/integration/services.sh" stop "$WORK/pki" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
export LTS_TEST_HTTP_PORT=18990 LTS_TEST_OCSP_PORT=18991 LTS_TEST_TSA_PORT=18992
bash testdata/pki/make-pki.sh "$WORK/pki" >/dev/null
PKI=$WORK/pki
mkdir -p "$WORK/docs"
for i in $(seq 0 $((COUNT - 1))); do echo "document $i $(date +%N)" > "$WORK/docs/doc$i.txt"; done

printf '%-52s %12s %12s %8s\n' "benchmark" "ltsig" "peer" "ratio"
row() { printf '%-52s %12s %12s %8s\n' "$1" "$2" "$3" "$(awk -v a="$2" -v b="$3" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')"; }

# CAdES B-B, RSA-2048, one process for all documents vs the raw RSA sign rate of openssl speed
ours=$(build/bench/bench_cades "file:$PKI/signer-rsa.p12" pass:test1234 "$WORK/docs" "$COUNT" | sed -n 's/docs_per_s=//p')
raw=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')
row "CAdES B-B sign/s vs openssl speed rsa2048 sign/s" "$ours" "$raw"
# the same documents through openssl cms -sign, one process per document (its CLI's only mode)
n=$((COUNT < 200 ? COUNT : 200))
t0=$(date +%s.%N)
for i in $(seq 0 $((n - 1))); do
    openssl cms -sign -binary -cades -in "$WORK/docs/doc$i.txt" -signer "$PKI/signer-rsa.pem" \
        -inkey "$PKI/signer-rsa.key" -outform DER -out /dev/null
done
t1=$(date +%s.%N)
peer=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", n/(b-a)}')
t0=$(date +%s.%N)
for i in $(seq 0 $((n - 1))); do
    build/cli/ltsig sign --format cades --level B-B --signer "file:$PKI/signer-rsa.p12" \
        --passin pass:test1234 --detached -o "$WORK/out.p7s" "$WORK/docs/doc$i.txt"
done
t1=$(date +%s.%N)
cli=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", n/(b-a)}')
row "CAdES B-B CLI sign/s vs openssl cms -sign -cades" "$cli" "$peer"
