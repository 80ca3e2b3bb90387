#!/usr/bin/env bash
# deb_test.sh — the Debian package: build it, unpack it into a temporary root with
# `dpkg -x`, and build and run a program against the unpacked files through pkg-config.
set -uo pipefail
JUNIT_SUITE=DebTest
source "$TEST_SRCDIR/tapegrad/tests/install/junit.sh"

src="$TEST_SRCDIR/tapegrad/tests/install"
out="$TEST_TMPDIR/deb"
root="$TEST_TMPDIR/root"
work="$TEST_TMPDIR/work"
mkdir -p "$work"
version=$(sed -n 's/^#define TG_VERSION_STRING "\(.*\)"$/\1/p' "$TEST_SRCDIR/tapegrad/core/version.h")
deb="$out/tapegrad_${version}_amd64.deb"

build_deb() { RUNFILES_DIR="$TEST_SRCDIR" "$TEST_SRCDIR/tapegrad/deb" "$out" && test -s "$deb"; }
check BuildsTheVersionedPackage build_deb

control_fields() {
  dpkg-deb -f "$deb" Package Version Architecture | tee /dev/stderr |
    diff - <(printf 'Package: tapegrad\nVersion: %s\nArchitecture: amd64\n' "$version")
}
check ControlNamesPackageVersionAndArchitecture control_fields

unpack() { dpkg -x "$deb" "$root" && test -f "$root/usr/lib/pkgconfig/tapegrad.pc"; }
check UnpacksWithDpkgX unpack

contents() {
  local f
  for f in usr/lib/libtapegrad.a usr/lib/libtapegrad.so.0 usr/lib/libtapegrad.so \
           usr/include/tapegrad/tapegrad.h usr/include/tapegrad/core/tape.h usr/bin/tgdot usr/bin/tgplot; do
    [ -e "$root/$f" ] || { echo "missing $f"; return 1; }
  done
  grep -qx 'prefix=/usr' "$root/usr/lib/pkgconfig/tapegrad.pc"
}
check HoldsLibrariesHeadersToolAndPcFile contents

build_against() {
  PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_LIBDIR="$root/usr/lib/pkgconfig" \
    bash -c 'cc -o "$0/consumer" "$1/consumer.c" $(pkg-config --cflags --libs tapegrad)' \
    "$work" "$src" && LD_LIBRARY_PATH="$root/usr/lib" "$work/consumer"
}
check ProgramBuildsAgainstTheUnpackedPackage build_against

tools_run() {
  "$root/usr/bin/tgdot" --help | grep -q tgdot && "$root/usr/bin/tgplot" --help | grep -q tgplot
}
check PackagedToolsRun tools_run

junit_finish
