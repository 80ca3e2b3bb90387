#!/usr/bin/env bash
# tools/apidocs.sh [--out OUTDIR] HEADER... — generates the HTML API reference
# (OUTDIR/html/index.html; default docs/api in the workspace) from the given public
# headers (paths relative to the
# current directory, which is the include root) with the repository's Doxyfile, and
# fails when Doxygen warns about anything (WARN_AS_ERROR): an undocumented public
# declaration, a comment naming a parameter that does not exist, a broken reference.
# Doxygen's warnings are written to OUTDIR/warnings.log as "file:line: text".
#
# Run through Bazel, which passes the headers //:install installs:
#   bazel run //tools:apidocs                    # docs/api/html in the workspace
#   bazel run //tools:apidocs -- --out OUTDIR    # elsewhere
set -uo pipefail
usage() { echo "usage: apidocs.sh [--out OUTDIR] HEADER..." >&2; exit 2; }
out="${BUILD_WORKSPACE_DIRECTORY:-.}/docs/api"
headers=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    -*) usage ;;
    *) headers+=("$1"); shift ;;
  esac
done
[ "${#headers[@]}" -gt 0 ] || usage
case "$out" in
  /*) ;;
  *) out="${BUILD_WORKING_DIRECTORY:-$PWD}/$out" ;;
esac
command -v doxygen >/dev/null || { echo "apidocs: doxygen is not installed (apt-get install doxygen)" >&2; exit 1; }
doxyfile=Doxyfile
[ -f "$doxyfile" ] || { echo "apidocs: no Doxyfile in $PWD" >&2; exit 1; }
version=$(sed -n 's/^#define TG_VERSION_STRING "\(.*\)"$/\1/p' core/version.h 2>/dev/null)
root=$(pwd -P)
mkdir -p "$out"
rm -rf "$out/html"
{
  cat "$doxyfile"
  echo "PROJECT_NUMBER = ${version:-unknown}"
  echo "INPUT = ${headers[*]}"
  echo "OUTPUT_DIRECTORY = $out"
  echo "STRIP_FROM_PATH = $root"
  echo "STRIP_FROM_INC_PATH = $root"
} | doxygen - >"$out/doxygen.log" 2>"$out/warnings.raw"
rc=$?
# Paths relative to the include root (runfiles trees name headers through links).
sed -e "s|^$root/||" -e "s|^$PWD/||" "$out/warnings.raw" >"$out/warnings.log"
rm -f "$out/warnings.raw"
if [ $rc -ne 0 ] || [ -s "$out/warnings.log" ]; then
  echo "apidocs: the API reference has problems (doxygen exit $rc):" >&2
  cat "$out/warnings.log" >&2
  exit 1
fi
echo "apidocs: $out/html/index.html (${#headers[@]} headers, $(find "$out/html" -name '*.html' | wc -l) pages)"
