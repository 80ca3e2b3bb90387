#!/usr/bin/env bash
# deb.sh [OUTDIR] — builds two Debian packages into OUTDIR (default: the directory
# bazel was started in) and prints their paths:
#   tapegrad_<version>_amd64.deb       libtapegrad (.a, .so), headers, tapegrad.pc,
#                                      tgdot and tgplot under /usr
#   tapegrad-dist_<version>_amd64.deb  the MPI module: libtapegrad_dist (.a, .so),
#                                      dist/dist.h, tapegrad-dist.pc
# Two packages so that installing tapegrad never pulls in OpenMPI; tapegrad-dist
# depends on the same version of tapegrad and on OpenMPI's development package
# (dist.h includes mpi.h; tapegrad-dist.pc requires ompi-c).
# Run through Bazel: `bazel run -c opt //:deb -- OUTDIR`.
set -euo pipefail

out=${1:-${BUILD_WORKING_DIRECTORY:-$PWD}}
case "$out" in
  /*) ;;
  *) out="${BUILD_WORKING_DIRECTORY:-$PWD}/$out" ;;
esac
root="${RUNFILES_DIR:-$0.runfiles}/tapegrad"
version=$(sed -n 's/^#define TG_VERSION_STRING "\(.*\)"$/\1/p' "$root/core/version.h")
stage=$(mktemp -d)
dist=$(mktemp -d)
chmod 0755 "$stage" "$dist"
trap 'rm -rf "$stage" "$dist"' EXIT

RUNFILES_DIR="${RUNFILES_DIR:-$0.runfiles}" "$root/install" --prefix /usr --destdir "$stage" >/dev/null
# The MPI module's files move to the second package.
mkdir -p "$dist/usr/lib/pkgconfig" "$dist/usr/include/tapegrad"
mv "$stage"/usr/lib/libtapegrad_dist.* "$dist/usr/lib/"
mv "$stage/usr/lib/pkgconfig/tapegrad-dist.pc" "$dist/usr/lib/pkgconfig/"
mv "$stage/usr/include/tapegrad/dist" "$dist/usr/include/tapegrad/"

# control PACKAGE-ROOT NAME DEPENDS SUMMARY DESCRIPTION
control() {
  mkdir -p "$1/DEBIAN"
  cat >"$1/DEBIAN/control" <<CONTROL
Package: $2
Version: $version
Architecture: amd64
Maintainer: tapegrad developers <tapegrad@localhost>
Section: libdevel
Priority: optional
Installed-Size: $(du -sk "$1/usr" | cut -f1)
Depends: $3
$4
CONTROL
  echo "activate-noawait ldconfig" >"$1/DEBIAN/triggers"
}
control "$stage" tapegrad "libc6, zlib1g" "Suggests: graphviz, tapegrad-dist
Description: reverse-mode autodiff in C with gradient graphs
 A tape records tensor ops and replays them without allocating; Keras-style layers,
 models and optimizers sit on top, and tgdot draws every parameter's gradient as
 Graphviz DOT. Static and shared libraries, headers, pkg-config file and tools."
control "$dist" tapegrad-dist "tapegrad (= $version), libopenmpi-dev" "Description: data-parallel training over MPI for tapegrad
 One model replica per process, gradients averaged over MPI while backward runs,
 the same optimizer step everywhere (dist/dist.h). Static and shared libraries,
 header and pkg-config file (tapegrad-dist)."

mkdir -p "$out"
for p in "$stage:tapegrad" "$dist:tapegrad-dist"; do
  deb="$out/${p#*:}_${version}_amd64.deb"
  dpkg-deb --root-owner-group --build "${p%%:*}" "$deb" >/dev/null
  echo "$deb"
done
