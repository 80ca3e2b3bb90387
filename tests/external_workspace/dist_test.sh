#!/usr/bin/env bash
# dist_test.sh BINARY — runs the MPI program built against @tapegrad//dist on 2 ranks.
set -uo pipefail
source "$TEST_SRCDIR/tapegrad/tests/install/two_ranks.sh"
run_two_ranks "" "$1"
