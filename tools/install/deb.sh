#!/usr/bin/env bash
# deb.sh [OUTDIR] — builds tapegrad_<version>_amd64.deb (libraries, headers,
# pkg-config file and tgdot under /usr) into OUTDIR (default: the directory bazel was
# started in). Run through Bazel: `bazel run -c opt //:deb -- OUTDIR`.
set -euo pipefail

out=${1:-${BUILD_WORKING_DIRECTORY:-$PWD}}
case "$out" in
  /*) ;;
  *) out="${BUILD_WORKING_DIRECTORY:-$PWD}/$out" ;;
esac
root="${RUNFILES_DIR:-$0.runfiles}/tapegrad"
version=$(sed -n 's/^#define TG_VERSION_STRING "\(.*\)"$/\1/p' "$root/core/version.h")
stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT

RUNFILES_DIR="${RUNFILES_DIR:-$0.runfiles}" "$root/install" --prefix /usr --destdir "$stage" >/dev/null
mkdir -p "$stage/DEBIAN"
size=$(du -sk "$stage/usr" | cut -f1)
cat >"$stage/DEBIAN/control" <<CONTROL
Package: tapegrad
Version: $version
Architecture: amd64
Maintainer: tapegrad developers <tapegrad@localhost>
Section: libdevel
Priority: optional
Installed-Size: $size
Depends: libc6
Suggests: graphviz
Description: reverse-mode autodiff in C with gradient graphs
 A tape records tensor ops and replays them without allocating; Keras-style layers,
 models and optimizers sit on top, and tgdot draws every parameter's gradient as
 Graphviz DOT. Static and shared libraries, headers, pkg-config file and tgdot.
CONTROL
echo "activate-noawait ldconfig" >"$stage/DEBIAN/triggers"
mkdir -p "$out"
deb="$out/tapegrad_${version}_amd64.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "$deb"
