# tests/support/tsa.sh — sourced by integration tests that need an RFC 3161 TSA.
#   lts_tsa_answers URL DIR            0 when URL gives a real RFC 3161 answer to a SHA-256
#                                      query (scratch files q.tsq/q.tsr in DIR)
#   lts_tsa_suite DIR                  prints the suite's TSA URL (LTS_TEST_TSA_PORT) if it answers
#   lts_tsa_own DIR LOG PORT... [-- ARG...]
#                                      starts `$LTSIG tsa-serve` (key: $LTS_TSA_KEY, default
#                                      $P/tsa.p12, password test1234; extra ARGs; stdout and stderr
#                                      to LOG) on the first PORT where it answers; sets LTS_TSA_URL
#                                      and LTS_TSA_PID (empty when none did)
# Needs: $LTSIG, $P (the test PKI), openssl, curl.

lts_tsa_answers() {
    openssl ts -query -data "$P/root.pem" -sha256 -cert -out "$2/q.tsq" 2>/dev/null &&
        curl -s -m 5 -H 'Content-Type: application/timestamp-query' --data-binary @"$2/q.tsq" \
            -o "$2/q.tsr" "$1" && openssl ts -reply -in "$2/q.tsr" -text >/dev/null 2>&1
}

lts_tsa_suite() {
    [ -n "${LTS_TEST_TSA_PORT:-}" ] || return 1
    lts_tsa_answers "http://127.0.0.1:$LTS_TEST_TSA_PORT/" "$1" || return 1
    echo "http://127.0.0.1:$LTS_TEST_TSA_PORT/"
}

lts_tsa_own() {
    local dir=$1 log=$2 port
    local -a ports=() extra=()
    shift 2
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do ports+=("$1"); shift; done
    [ $# -gt 0 ] && { shift; extra=("$@"); }
    LTS_TSA_URL= LTS_TSA_PID=
    for port in "${ports[@]}"; do
        "$LTSIG" tsa-serve "${extra[@]}" --signer "file:${LTS_TSA_KEY:-$P/tsa.p12}" --passin pass:test1234 \
            --port "$port" >"$log" 2>&1 &
        LTS_TSA_PID=$!
        for _ in $(seq 50); do
            lts_tsa_answers "http://127.0.0.1:$port/" "$dir" &&
                { LTS_TSA_URL="http://127.0.0.1:$port/"; return 0; }
            kill -0 "$LTS_TSA_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$LTS_TSA_PID" 2>/dev/null; wait "$LTS_TSA_PID" 2>/dev/null; LTS_TSA_PID=
    done
    return 1
}
