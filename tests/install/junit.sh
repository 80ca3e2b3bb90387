# junit.sh — sourced by shell tests: `check NAME COMMAND...` runs one check, prints
# PASS/FAIL with its output on failure, and `junit_finish` writes the results as
# JUnit XML to $XML_OUTPUT_FILE (so .ci/run counts every check like a GoogleTest
# case) and exits non-zero if any check failed.
JUNIT_CASES=""
JUNIT_TESTS=0
JUNIT_FAILS=0

check() {
  local name=$1
  shift
  local log
  log=$(mktemp)
  JUNIT_TESTS=$((JUNIT_TESTS + 1))
  if "$@" >"$log" 2>&1; then
    echo "PASS $name"
    JUNIT_CASES="$JUNIT_CASES<testcase name=\"$name\" classname=\"${JUNIT_SUITE:-shell}\"/>"
  else
    echo "FAIL $name"
    sed 's/^/    /' "$log" | tail -40
    JUNIT_FAILS=$((JUNIT_FAILS + 1))
    local text
    text=$(tail -40 "$log" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g')
    JUNIT_CASES="$JUNIT_CASES<testcase name=\"$name\" classname=\"${JUNIT_SUITE:-shell}\"><failure message=\"failed\">$text</failure></testcase>"
  fi
  rm -f "$log"
}

junit_finish() {
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="%d" failures="%d" errors="0">\n<testsuite name="%s" tests="%d" failures="%d" errors="0">%s</testsuite>\n</testsuites>\n' \
      "$JUNIT_TESTS" "$JUNIT_FAILS" "${JUNIT_SUITE:-shell}" "$JUNIT_TESTS" "$JUNIT_FAILS" \
      "$JUNIT_CASES" >"$XML_OUTPUT_FILE"
  fi
  echo "$((JUNIT_TESTS - JUNIT_FAILS)) of $JUNIT_TESTS checks passed"
  [ "$JUNIT_FAILS" -eq 0 ]
}
