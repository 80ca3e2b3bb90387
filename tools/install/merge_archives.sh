#!/bin/sh
# merge_archives.sh OUT.a INPUT... — one static archive holding the members of every
# input archive (.a; other inputs, such as the shared objects Bazel also lists, are
# skipped). Bazel's cc_library archives hold only their own objects.
set -eu
out=$1
shift
script="CREATE $out"
for f in "$@"; do
  case "$f" in
    *.pic.a) ;;           # the PIC twin of an archive listed too
    *.a) script="$script
ADDLIB $f" ;;
  esac
done
printf '%s\nSAVE\nEND\n' "$script" | ar -M
