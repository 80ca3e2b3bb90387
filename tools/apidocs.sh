#!/usr/bin/env bash
# tools/apidocs.sh — generates the HTML API reference (docs/api/html/index.html) from
# the public headers with Doxygen, and fails when a header's documentation is wrong:
# an undocumented public function, type, macro or file, a comment naming a parameter
# the function does not have, a broken reference. (Struct fields are documented by
# their trailing comments where they need it; an uncommented field is not an error.)
#
#   tools/apidocs.sh            # exit 0: docs/api/html is up to date and clean
#
# Not yet part of CI: the headers' comments are plain C comments, which Doxygen does
# not read; they become Doxygen comments (and this a CI step) in a change of its own.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v doxygen >/dev/null || { echo "apidocs: doxygen is not installed (apt-get install doxygen)" >&2; exit 1; }
inputs="tapegrad.h"
for d in core ops data frontends tools dist testing; do [ -d "$d" ] && inputs="$inputs $d"; done
mkdir -p docs/api
(cat Doxyfile; echo "INPUT = $inputs") | doxygen - >/dev/null 2>docs/api/stderr.log
rc=$?
# Everything Doxygen reports is an error, except an undocumented struct field or enum value.
errors=$(cat docs/api/warnings.log docs/api/stderr.log 2>/dev/null | grep -v '^$' |
  grep -v -E '\((variable|enumvalue)\) of (struct|union|enum|file) .* is not documented' || true)
if [ $rc -ne 0 ] || [ -n "$errors" ]; then
  echo "apidocs: the API reference has problems:" >&2
  printf '%s\n' "$errors" | sed 's|^'"$PWD"'/||' >&2
  exit 1
fi
echo "apidocs: docs/api/html/index.html ($(find docs/api/html -name '*.html' | wc -l) pages)"
