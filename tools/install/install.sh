#!/usr/bin/env bash
# install.sh --prefix DIR [--destdir STAGE] — installs tapegrad for programs built
# without Bazel (with --destdir, into STAGE/DIR while the files name DIR, for packages):
#   DIR/lib/libtapegrad.a, DIR/lib/libtapegrad.so.MAJOR.MINOR.PATCH (+ .so.MAJOR and .so links)
#   DIR/lib/libtapegrad_dist.a, DIR/lib/libtapegrad_dist.so.MAJOR.MINOR.PATCH (+ links):
#     the MPI module (dist/), a library of its own so that other programs need no MPI
#   DIR/include/tapegrad/{tapegrad.h, core/, kernels/, ops/, data/, frontends/, tools/, dist/}
#     (public headers only; tapegrad.h does not include dist/dist.h, which needs mpi.h)
#   DIR/bin/tgdot, DIR/bin/tgplot
#   DIR/lib/pkgconfig/tapegrad.pc, DIR/lib/pkgconfig/tapegrad-dist.pc
# Run through Bazel: `bazel run -c opt //:install -- --prefix /usr/local`. A relative
# DIR is taken from the directory bazel was started in. Files are installed with
# `install` (mode 0644/0755); what was there is replaced.
set -euo pipefail

usage() { echo "usage: install.sh --prefix DIR [--destdir STAGE]" >&2; exit 2; }
prefix=""
destdir=""
mode=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --destdir) [ $# -ge 2 ] || usage; destdir=$2; shift 2 ;;
    --compilation-mode) mode=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "install.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -n "$prefix" ] || usage
case "$prefix" in
  /*) ;;
  *) prefix="${BUILD_WORKING_DIRECTORY:-$PWD}/$prefix" ;;
esac
if [ -n "$mode" ] && [ "$mode" != "opt" ]; then
  echo "install.sh: note: this library was built with -c $mode; use 'bazel run -c opt //:install' for an optimised one" >&2
fi

# Inputs: the runfiles tree (bazel run), or the directory of the script's data.
root="${RUNFILES_DIR:-$0.runfiles}/tapegrad"
[ -d "$root" ] || root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n 's/^#define TG_VERSION_STRING "\(.*\)"$/\1/p' "$root/core/version.h")
major=${version%%.*}
[ -n "$version" ] || { echo "install.sh: cannot read the version from core/version.h" >&2; exit 1; }

case "$destdir" in
  "" | /*) ;;
  *) destdir="${BUILD_WORKING_DIRECTORY:-$PWD}/$destdir" ;;
esac
lib="$destdir$prefix/lib"
inc="$destdir$prefix/include/tapegrad"
bin="$destdir$prefix/bin"
command -p install -d "$lib/pkgconfig" "$inc" "$bin"
for name in libtapegrad libtapegrad_dist; do
  command -p install -m 0644 "$root/$name.a" "$lib/$name.a"
  command -p install -m 0755 "$root/$name.so" "$lib/$name.so.$version"
  ln -sfn "$name.so.$version" "$lib/$name.so.$major"
  ln -sfn "$name.so.$major" "$lib/$name.so"
done
command -p install -m 0644 "$root/tapegrad.h" "$inc/tapegrad.h"
# Public headers: every *.h of the installed floors, never an internal/ one.
for dir in core kernels ops frontends tools data dist; do
  [ -d "$root/$dir" ] || continue
  (cd "$root" && find "$dir" -maxdepth 2 -name '*.h' -not -path '*/internal/*') |
    while read -r h; do command -p install -D -m 0644 "$root/$h" "$inc/$h"; done
done
command -p install -m 0755 "$root/tools/tgdot" "$bin/tgdot"
command -p install -m 0755 "$root/tools/tgplot" "$bin/tgplot"
for pc in tapegrad tapegrad-dist; do
  sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" "$root/tools/install/$pc.pc.in" \
    >"$lib/pkgconfig/$pc.pc"
done
echo "installed tapegrad $version into $destdir$prefix"
