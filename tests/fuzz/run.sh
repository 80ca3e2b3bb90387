#!/usr/bin/env bash
# tests/fuzz/run.sh — builds the libFuzzer targets with clang (-fsanitize=fuzzer,
# address,undefined) and runs each for SECONDS on a copy of its committed seed
# corpus (tests/fuzz/corpus/<target>/); fails on any crash, leak or broken
# invariant, and prints one line per target with its executions and coverage.
#
#   tests/fuzz/run.sh 60                     # every target, 60 s each
#   tests/fuzz/run.sh 600 model_loader       # one target, 10 minutes
#   tests/fuzz/run.sh --make-corpus          # rewrite the model-file seeds
#
# Build output goes to $TG_FUZZ_BUILD (default: /tmp/tapegrad-fuzz); crashing inputs
# are kept there as crash-* files.
set -uo pipefail
cd "$(dirname "$0")/../.."

build="${TG_FUZZ_BUILD:-/tmp/tapegrad-fuzz}"
mkdir -p "$build/obj"
cc="${CC_FUZZ:-clang}"
targets=(model_loader csv_reader model_spec)

# The library as the targets see it: core, kernels (built-in gemm, no BLAS: the same
# bits every run), ops, data, frontends with its layers, and the two tools parsers.
sources=(core/*.c kernels/*.c ops/*.c ops/internal/*.c data/*.c data/internal/*.c frontends/*.c
         frontends/layers/*.c tools/csv.c tools/model_spec.c)
flags=(-std=c11 -g -O1 -I. -fno-omit-frame-pointer -fsanitize=address,undefined
       -fno-sanitize-recover=undefined)

compile_library() {
  local objs=() s o
  for s in "${sources[@]}"; do
    case "$s" in kernels/gemm_blas.c) continue ;; esac
    o="$build/obj/$(echo "$s" | tr '/' '_').o"
    if [ ! -e "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find core kernels ops data frontends tools -name '*.h' -newer "$o" -print -quit)" ] \
       || [ -n "$(find kernels/internal -name '*.inc' -newer "$o" -print -quit)" ]; then
      case "$s" in
        # The matrix kernels, fully unrolled for three instruction sets, take many
        # minutes to compile instrumented; the parsers never reach them with more
        # than a few rows, so they are built plain.
        kernels/gemm*.c) "$cc" -std=c11 -g -O1 -I. -c "$s" -o "$o" || return 1 ;;
        *) "$cc" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$s" -o "$o" || return 1 ;;
      esac
    fi
    objs+=("$o")
  done
  rm -f "$build/libtapegrad.a"
  ar rcs "$build/libtapegrad.a" "${objs[@]}"
}

if [ "${1:-}" = "--make-corpus" ]; then
  compile_library || exit 1
  "$cc" "${flags[@]}" tests/fuzz/make_corpus.c "$build/libtapegrad.a" -lz -lm -pthread \
    -o "$build/make_corpus" || exit 1
  mkdir -p tests/fuzz/corpus/model_loader
  "$build/make_corpus" tests/fuzz/corpus/model_loader
  exit $?
fi

seconds="${1:?usage: tests/fuzz/run.sh SECONDS [target...]}"
shift
[ "$#" -gt 0 ] && targets=("$@")

compile_library || { echo "fuzz: building the library failed"; exit 1; }
failed=0
for t in "${targets[@]}"; do
  bin="$build/${t}_fuzz"
  "$cc" "${flags[@]}" -fsanitize=fuzzer "tests/fuzz/${t}_fuzz.c" "$build/libtapegrad.a" -lz -lm \
    -pthread -o "$bin" || { echo "fuzz: $t: build failed"; failed=1; continue; }
  work="$build/corpus_$t"
  rm -rf "$work"
  mkdir -p "$work"
  cp tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null
  log="$build/$t.log"
  (cd "$build" && "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
     -print_final_stats=1 -artifact_prefix="$build/crash-$t-" "$work") >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  if [ "$rc" -ne 0 ]; then
    failed=1
    echo "fuzz: $t: FAILED (exit $rc) after ${execs:-?} executions; log $log:"
    grep -m 20 -E 'ERROR|invariant|SUMMARY|fuzz:|Test unit written' "$log"
  else
    echo "fuzz: $t: ${execs:-0} executions in ${seconds}s, coverage ${cov:-0} edges, ${ft:-0} features, corpus $(ls "$work" | wc -l) inputs, no crash"
  fi
done
exit "$failed"
