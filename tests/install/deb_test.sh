#!/usr/bin/env bash
# deb_test.sh — the Debian packages: build them, unpack them into a temporary root
# with `dpkg -x`, and build and run a program against the unpacked files through
# pkg-config, and an MPI program against the unpacked tapegrad-dist on 2 ranks.
set -uo pipefail
JUNIT_SUITE=DebTest
source "$TEST_SRCDIR/tapegrad/tests/install/junit.sh"
source "$TEST_SRCDIR/tapegrad/tests/install/two_ranks.sh"

src="$TEST_SRCDIR/tapegrad/tests/install"
out="$TEST_TMPDIR/deb"
root="$TEST_TMPDIR/root"
work="$TEST_TMPDIR/work"
mkdir -p "$work"
version=$(sed -n 's/^#define TG_VERSION_STRING "\(.*\)"$/\1/p' "$TEST_SRCDIR/tapegrad/core/version.h")
deb="$out/tapegrad_${version}_amd64.deb"
dist_deb="$out/tapegrad-dist_${version}_amd64.deb"

build_deb() {
  RUNFILES_DIR="$TEST_SRCDIR" "$TEST_SRCDIR/tapegrad/deb" "$out" && test -s "$deb" && test -s "$dist_deb"
}
check BuildsTheVersionedPackages build_deb

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

# ---- tapegrad-dist: the MPI module in a package of its own ----
dist_control() {
  dpkg-deb -f "$dist_deb" Package Version Architecture Depends | tee /dev/stderr |
    diff - <(printf 'Package: tapegrad-dist\nVersion: %s\nArchitecture: amd64\nDepends: tapegrad (= %s), libopenmpi-dev\n' "$version" "$version")
}
check DistControlDependsOnTheSameTapegrad dist_control

# tapegrad itself holds nothing of dist/ and does not depend on MPI.
core_package_without_mpi() {
  if dpkg-deb -c "$deb" | grep -E 'tapegrad_dist|/dist/'; then return 1; fi
  ! dpkg-deb -f "$deb" Depends | grep -i mpi
}
check CorePackageHasNoDistAndNoMpi core_package_without_mpi

dist_contents() {
  dpkg -x "$dist_deb" "$root" || return 1
  local f
  for f in usr/lib/libtapegrad_dist.a usr/lib/libtapegrad_dist.so.0 usr/lib/libtapegrad_dist.so \
           usr/include/tapegrad/dist/dist.h usr/lib/pkgconfig/tapegrad-dist.pc; do
    [ -e "$root/$f" ] || { echo "missing $f"; return 1; }
  done
  grep -qx 'prefix=/usr' "$root/usr/lib/pkgconfig/tapegrad-dist.pc" &&
    grep -qx "Requires: tapegrad = $version, ompi-c" "$root/usr/lib/pkgconfig/tapegrad-dist.pc"
}
check DistUnpacksWithLibrariesHeaderAndPcFile dist_contents

# MPI's own flags come from the system (its .pc names /usr, which a sysroot would move).
dist_program() {
  cc -o "$work/dist_consumer" "$src/dist_consumer.c" -I"$root/usr/include/tapegrad" \
    $(pkg-config --cflags --libs ompi-c) -L"$root/usr/lib" -ltapegrad_dist -ltapegrad &&
    run_two_ranks "$root/usr/lib" "$work/dist_consumer"
}
check DistMpiProgramRunsAgainstTheUnpackedPackages dist_program

junit_finish
