#!/bin/bash
# CTest fixture: make the test PKI and start the loopback services (setup), stop them
# (cleanup). Env: LTS_TEST_PKI, LTS_SRC, LTSIG (for the TSA responder once it exists).
set -euo pipefail
: "${LTS_TEST_PKI:?}" "${LTS_SRC:?}"
case "${1:-}" in
setup)
    bash "$LTS_SRC/tests/integration/services.sh" stop "$LTS_TEST_PKI" >/dev/null 2>&1 || true
    bash "$LTS_SRC/testdata/pki/make-pki.sh" "$LTS_TEST_PKI"
    if [ -f "$LTS_SRC/tests/support/tsa_cmd.sh" ]; then
        # shellcheck source=/dev/null
        . "$LTS_SRC/tests/support/tsa_cmd.sh"
    fi
    bash "$LTS_SRC/tests/integration/services.sh" start "$LTS_TEST_PKI"
    ;;
cleanup)
    bash "$LTS_SRC/tests/integration/services.sh" stop "$LTS_TEST_PKI"
    ;;
*)
    echo "usage: fixture.sh setup|cleanup" >&2
    exit 2
    ;;
esac
