#!/usr/bin/env bash
# install_test.sh — tapegrad used from outside Bazel: install into a temporary prefix,
# then build and run a program with plain `cc $(pkg-config ...)` (shared and static)
# and with CMake's pkg_check_modules; check the shared library's exports and soname,
# and that every installed header compiles alone as C11, C99 and C++17.
set -uo pipefail
JUNIT_SUITE=InstallTest
source "$TEST_SRCDIR/tapegrad/tests/install/junit.sh"

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

# Every public header alone: C11 and C++17 always; C99 for all but those listed.
headers_alone() {
  local inc="$prefix/include/tapegrad" failed=0 h std
  while read -r h; do
    for std in c11 c99; do
      printf '#include "%s"\nint tg_header_check_%s;\n' "$h" "$std" >"$work/h.c"
      gcc -std=$std -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$inc" "$work/h.c" ||
        { echo "$h: not clean as $std"; failed=1; }
    done
    printf '#include "%s"\nint tg_header_check;\n' "$h" >"$work/h.cc"
    g++ -std=c++17 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$inc" "$work/h.cc" ||
      { echo "$h: not clean as C++17"; failed=1; }
  done < <(cd "$inc" && find . -name '*.h' | sed 's|^\./||' | sort)
  return $failed
}
check EveryHeaderCompilesAloneAsC11C99AndCxx17 headers_alone

junit_finish
