#!/bin/bash
# tests/custom_op_example_test.sh — examples/custom_op runs, its gradient checks pass
# (exit 0), and a wrong backward makes it fail (exit 1) with the failing elements.
set -u
bin="$TEST_SRCDIR/$TEST_WORKSPACE/examples/custom_op"
out="$("$bin")" || { echo "custom_op failed:"; echo "$out"; exit 1; }
echo "$out"
grep -q '^gradient check, swish_beta alone:  ok' <<<"$out" || { echo "no ok line"; exit 1; }
grep -q '^gradient check, in a layer:        ok' <<<"$out" || { echo "no layer line"; exit 1; }
grep -q '^swish_beta(beta=inf): swish_beta: beta inf is not finite$' <<<"$out" ||
  { echo "no error line"; exit 1; }
if broken="$("$bin" --broken)"; then
  echo "--broken passed the check:"; echo "$broken"; exit 1
fi
grep -q 'FAILED' <<<"$broken" || { echo "no FAILED line"; exit 1; }
grep -q '^leaf 0 element 0: analytic' <<<"$broken" || { echo "no element line"; exit 1; }
echo "PASS"
