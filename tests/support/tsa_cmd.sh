# tests/support/tsa_cmd.sh — sourced by tests/support/fixture.sh before the services start.
# Tells tests/integration/services.sh how to run the test TSA: our own responder,
# `ltsig tsa-serve`, on 127.0.0.1:$LTS_TEST_TSA_PORT, signing with the test PKI's tsa.p12.
# services.sh runs the command with `bash -c` after exporting LTS_TEST_PKI and the ports,
# so those stay unexpanded here; $LTSIG is expanded now (quoted for the inner shell).
# Only when the ltsig binary has the tsa-serve command, so the fixture never breaks.
if [ -n "${LTSIG:-}" ] && "$LTSIG" tsa-serve --help >/dev/null 2>&1; then
    LTS_TSA_SERVE_CMD="exec $(printf '%q' "$LTSIG")"' tsa-serve --signer "file:$LTS_TEST_PKI/tsa.p12" --passin pass:test1234 --port "$LTS_TEST_TSA_PORT"'
    export LTS_TSA_SERVE_CMD
fi
