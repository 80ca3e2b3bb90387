#!/usr/bin/env bash
# install_test.sh — tapegrad used from outside Bazel: install into a temporary prefix,
# then build and run a program with plain `cc $(pkg-config ...)` (shared and static)
# and with CMake's pkg_check_modules; check the shared library's exports and soname,
# and that every installed header compiles alone as C11, C99 and C++17. The MPI
# module's library (libtapegrad_dist): an MPI program built with
# `cc $(pkg-config --cflags --libs tapegrad-dist)` runs on 2 ranks, the library exports
# tg_ symbols only and links libtapegrad.so.0 and libmpi, and libtapegrad has no MPI.
set -uo pipefail
JUNIT_SUITE=InstallTest
source "$TEST_SRCDIR/tapegrad/tests/install/junit.sh"
source "$TEST_SRCDIR/tapegrad/tests/install/two_ranks.sh"

src="$TEST_SRCDIR/tapegrad/tests/install"
prefix="$TEST_TMPDIR/prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
work="$TEST_TMPDIR/work"
mkdir -p "$work"

install_it() { RUNFILES_DIR="$TEST_SRCDIR" "$TEST_SRCDIR/tapegrad/install" --prefix "$prefix"; }
check Installs install_it

check PkgConfigKnowsTheVersion bash -c '
  v=$(pkg-config --modversion tapegrad) &&
  h=$(sed -n "s/^#define TG_VERSION_STRING \"\(.*\)\"$/\1/p" "'"$prefix"'/include/tapegrad/core/version.h") &&
  echo "pc $v header $h" && [ -n "$v" ] && [ "$v" = "$h" ]'

check NoInternalHeadersInstalled bash -c '! find "'"$prefix"'/include" -path "*internal*" | grep .'

shared_consumer() {
  cc -o "$work/consumer" "$src/consumer.c" $(pkg-config --cflags --libs tapegrad) &&
    LD_LIBRARY_PATH="$prefix/lib" "$work/consumer"
}
check PlainCcSharedBuildsAndRuns shared_consumer

static_consumer() {
  cc -o "$work/consumer_static" "$src/consumer.c" $(pkg-config --cflags tapegrad) \
    "$prefix/lib/libtapegrad.a" -lz -lm -lpthread -ldl &&
    ! readelf -d "$work/consumer_static" | grep -q libtapegrad && "$work/consumer_static"
}
check PlainCcStaticBuildsAndRuns static_consumer

cmake_consumer() {
  command -v cmake >/dev/null || { echo "cmake is not installed"; return 1; }
  cp "$src/consumer.c" "$src/CMakeLists.txt" "$work/" &&
    cmake -S "$work" -B "$work/build" >/dev/null && cmake --build "$work/build" &&
    LD_LIBRARY_PATH="$prefix/lib" "$work/build/consumer"
}
check CMakePkgCheckModulesBuildsAndRuns cmake_consumer

exports_only_tg() {
  local so="$prefix/lib/libtapegrad.so"
  local all others
  all=$(nm -D --defined-only "$so" | awk '$2 != "A" {print $3}')
  others=$(echo "$all" | grep -v '^tg_' || true)
  echo "$(echo "$all" | wc -l) exported symbols"
  [ -z "$others" ] || { echo "exported without the tg_ prefix:"; echo "$others"; return 1; }
}
check SharedLibraryExportsOnlyTgSymbols exports_only_tg

soname_has_major() {
  local major
  major=$(sed -n 's/^#define TG_VERSION_MAJOR \([0-9]*\)$/\1/p' "$prefix/include/tapegrad/core/version.h")
  readelf -d "$prefix/lib/libtapegrad.so" | grep -F "[libtapegrad.so.$major]"
}
check SonameCarriesTheMajorVersion soname_has_major

# A program linked against another major version is refused by the loader.
other_major_refused() {
  mkdir -p "$work/other" &&
    cc -shared -o "$work/other/libtapegrad.so" -Wl,-soname,libtapegrad.so.99 -x c /dev/null &&
    cp "$work/consumer" "$work/consumer_copy" &&
    ! LD_LIBRARY_PATH="$work/other" "$work/consumer_copy" 2>"$work/other/err" || return 1
  grep -q "libtapegrad.so.0" "$work/other/err"
}
check ProgramRefusesAnotherMajorVersion other_major_refused

# Every public header alone: C11, C99 and C++17. dist/ headers include <mpi.h> and
# get MPI's flags; as C++ with OMPI_SKIP_MPICXX, since OpenMPI's deprecated C++
# bindings are not -Wextra clean themselves.
headers_alone() {
  local inc="$prefix/include/tapegrad" failed=0 h std extra mpi
  mpi=$(pkg-config --cflags ompi-c) || return 1
  while read -r h; do
    extra=""
    case "$h" in dist/*) extra="$mpi" ;; esac
    for std in c11 c99; do
      printf '#include "%s"\nint tg_header_check_%s;\n' "$h" "$std" >"$work/h.c"
      gcc -std=$std -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$inc" $extra "$work/h.c" ||
        { echo "$h: not clean as $std"; failed=1; }
    done
    printf '#include "%s"\nint tg_header_check;\n' "$h" >"$work/h.cc"
    g++ -std=c++17 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$inc" \
      ${extra:+$extra -DOMPI_SKIP_MPICXX} "$work/h.cc" ||
      { echo "$h: not clean as C++17"; failed=1; }
  done < <(cd "$inc" && find . -name '*.h' | sed 's|^\./||' | sort)
  return $failed
}
check EveryHeaderCompilesAloneAsC11C99AndCxx17 headers_alone

# ---- the MPI module: libtapegrad_dist ----
check DistInstalled bash -c '
  for f in lib/libtapegrad_dist.a lib/libtapegrad_dist.so.0 lib/libtapegrad_dist.so \
           include/tapegrad/dist/dist.h lib/pkgconfig/tapegrad-dist.pc; do
    [ -e "'"$prefix"'/$f" ] || { echo "missing $f"; exit 1; }
  done'

dist_pkg_config() {
  local v cflags libs
  v=$(pkg-config --modversion tapegrad-dist) && [ "$v" = "$(pkg-config --modversion tapegrad)" ] ||
    { echo "tapegrad-dist version '$v'"; return 1; }
  cflags=$(pkg-config --cflags tapegrad-dist) && libs=$(pkg-config --libs tapegrad-dist) || return 1
  echo "cflags: $cflags"; echo "libs: $libs"
  [[ "$cflags" == *openmpi* ]] && [[ "$libs" == *-ltapegrad_dist* ]] &&
    [[ "$libs" == *-ltapegrad\ * || "$libs" == *-ltapegrad ]] && [[ "$libs" == *-lmpi* ]]
}
check DistPkgConfigHasTapegradAndMpi dist_pkg_config

# An MPI program outside Bazel: shared libraries through pkg-config, then static ones.
dist_consumer() {
  cc -o "$work/dist_consumer" "$src/dist_consumer.c" $(pkg-config --cflags --libs tapegrad-dist) &&
    run_two_ranks "$prefix/lib" "$work/dist_consumer"
}
check DistMpiProgramBuildsAndRunsOnTwoRanks dist_consumer

dist_consumer_static() {
  cc -o "$work/dist_consumer_static" "$src/dist_consumer.c" $(pkg-config --cflags tapegrad-dist) \
    "$prefix/lib/libtapegrad_dist.a" "$prefix/lib/libtapegrad.a" $(pkg-config --libs ompi-c) \
    -lz -lm -lpthread -ldl &&
    ! readelf -d "$work/dist_consumer_static" | grep -q libtapegrad &&
    run_two_ranks "$prefix/lib" "$work/dist_consumer_static"
}
check DistStaticMpiProgramBuildsAndRunsOnTwoRanks dist_consumer_static

exports_only_tg_dist() {
  local so="$prefix/lib/libtapegrad_dist.so" all others
  all=$(nm -D --defined-only "$so" | awk '$2 != "A" {print $3}')
  others=$(echo "$all" | grep -v '^tg_' || true)
  echo "$(echo "$all" | wc -l) exported symbols"
  [ -n "$all" ] || return 1
  [ -z "$others" ] || { echo "exported without the tg_ prefix:"; echo "$others"; return 1; }
  # tapegrad's own API stays in libtapegrad.so.0: nothing but tg_dist_* is defined here.
  others=$(echo "$all" | grep -v '^tg_dist_' || true)
  [ -z "$others" ] || { echo "defined here, not in libtapegrad:"; echo "$others"; return 1; }
}
check DistSharedLibraryExportsOnlyTgSymbols exports_only_tg_dist

dist_links_core_and_mpi() {
  local major d
  major=$(sed -n 's/^#define TG_VERSION_MAJOR \([0-9]*\)$/\1/p' "$prefix/include/tapegrad/core/version.h")
  d=$(readelf -d "$prefix/lib/libtapegrad_dist.so") || return 1
  echo "$d" | grep -E 'NEEDED|SONAME'
  grep -qF "Library soname: [libtapegrad_dist.so.$major]" <<<"$d" &&
    grep -qF "Shared library: [libtapegrad.so.$major]" <<<"$d" &&
    grep -qE 'Shared library: \[libmpi\.so' <<<"$d"
}
check DistSonameAndNeedsLibtapegradAndLibmpi dist_links_core_and_mpi

# Non-MPI users link libtapegrad alone: it neither holds dist/ nor needs libmpi.
core_has_no_mpi() {
  local so="$prefix/lib/libtapegrad.so" a="$prefix/lib/libtapegrad.a" bad
  if readelf -d "$so" | grep -E 'NEEDED.*(mpi|open-rte|open-pal)'; then return 1; fi
  if ldd "$so" | grep -E 'mpi|open-rte|open-pal'; then return 1; fi
  bad=$( (nm -D --defined-only "$so"; nm "$a" 2>/dev/null) | grep -E ' (tg_dist_|MPI_|PMPI_)' || true)
  [ -z "$bad" ] || { echo "MPI or dist symbols in libtapegrad:"; echo "$bad" | head; return 1; }
  # ... and a program using it links without MPI (consumer.c above, checked here).
  ! ldd "$work/consumer" | grep -E 'mpi'
}
check CoreLibraryHasNoMpi core_has_no_mpi

junit_finish
