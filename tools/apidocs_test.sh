#!/usr/bin/env bash
# apidocs_test.sh HEADER... — the API reference as a test: runs tools/apidocs.sh
# (Doxygen, every warning an error) on the public headers into a temporary directory,
# then checks each header on its own (one JUnit case each): Doxygen said nothing
# about it, it has a page (a header without `@file` would silently get none), and
# every function it declares is on that page.
set -uo pipefail
# The headers; GoogleTest flags CI passes to every test (--gtest_shuffle) are not ours.
headers=()
for a in "$@"; do
  case "$a" in --gtest_*) ;; *) headers+=("$a") ;; esac
done
set -- "${headers[@]}"
JUNIT_SUITE=ApiDocs
source "$TEST_SRCDIR/tapegrad/tests/install/junit.sh"

out="$TEST_TMPDIR/api"
run_doxygen() { "$TEST_SRCDIR/tapegrad/tools/apidocs.sh" --out "$out" "$@"; }
check DoxygenWarnsAboutNothing run_doxygen "$@"

header_documented() {
  local h=$1 page f missing=0
  if grep -F "$h:" "$out/warnings.log"; then return 1; fi
  page=$(grep -lF "<title>tapegrad: $h File Reference</title>" "$out"/html/*_8h.html)
  [ -n "$page" ] || { echo "$h has no page in the reference (no @file comment?)"; return 1; }
  # Declared functions (comments stripped; a call or a field's type is not "tg_x(").
  for f in $(gcc -fpreprocessed -dD -E -P -x c "$h" | grep -oE '\btg_[a-z0-9_]+\(' |
    tr -d '(' | sort -u); do
    grep -qF ">$f<" "$page" || { echo "$h: $f is not in the reference"; missing=1; }
  done
  return $missing
}
for h in "$@"; do
  h=${h#./}
  check "$h" header_documented "$h"
done

junit_finish
