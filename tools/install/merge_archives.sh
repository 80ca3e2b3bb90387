#!/bin/sh
# merge_archives.sh [--pic] OUT.a INPUT... — one static archive holding the members of
# every input archive (.a; other inputs, such as the shared objects Bazel also lists,
# are skipped). Bazel's cc_library archives hold only their own objects.
#
# With -c opt Bazel lists two archives per library: libx.a (plain objects) and
# libx.pic.a (position-independent ones); fastbuild lists libx.a alone, of PIC
# objects. By default the plain archive is taken (the static library); --pic takes
# libx.pic.a where there is one, for linking a shared library.
set -eu
pic=0
if [ "$1" = "--pic" ]; then
  pic=1
  shift
fi
out=$1
shift
script="CREATE $out"
for f in "$@"; do
  case "$f" in
    *.pic.a) [ $pic -eq 1 ] || continue ;;
    *.a)
      if [ $pic -eq 1 ]; then
        twin="${f%.a}.pic.a"
        for g in "$@"; do [ "$g" = "$twin" ] && continue 2; done
      fi ;;
    *) continue ;;
  esac
  script="$script
ADDLIB $f"
done
printf '%s\nSAVE\nEND\n' "$script" | ar -M
