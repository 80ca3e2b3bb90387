#!/bin/sh
# Regenerates the DOT golden files on purpose, after a deliberate change to the
# exporter's output. Review the diff (and render it: dot -Tsvg FILE) before committing.
#   tools/regen_golden.sh
set -eu
cd "$(dirname "$0")/.."
out_base="${TG_BAZEL_OUTPUT_BASE:-}"
bazel_cmd() {
  if [ -n "$out_base" ]; then bazel --output_base="$out_base" "$@"; else bazel "$@"; fi
}
# Must match tests/dot_golden_test.cc.
bazel_cmd run //tools:tgdot -- 1-16r-16r-2 --init zeros -o tests/golden/seed_zero_init.dot
if command -v dot >/dev/null 2>&1; then
  dot -Tsvg tests/golden/seed_zero_init.dot -o /dev/null
fi
git --no-pager diff --stat -- tests/golden/ || true
