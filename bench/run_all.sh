#!/usr/bin/env bash
# bench/run_all.sh — builds every benchmark with -c opt and runs them all, printing the
# machine and one machine-readable line per figure (see bench/README.md).
#
#   bench/run_all.sh                  # everything (about three minutes)
#   BAZEL_STARTUP=--output_base=/tmp/ob bench/run_all.sh   # bazel startup options
#
# W2 and W3 run twice: with OpenBLAS as it configures itself, and with
# OPENBLAS_CORETYPE=SkylakeX when the CPU has AVX-512 (OpenBLAS 0.3.21 does not
# recognise newer Xeons and falls back to an SSE3 kernel; the override measures
# tapegrad against the OpenBLAS kernel this CPU deserves).
set -euo pipefail
cd "$(dirname "$0")/.."

BAZEL=${BAZEL:-bazel}
read -r -a STARTUP <<<"${BAZEL_STARTUP:-}"
TARGETS=(//bench:w1_seed //bench:w2_mlp //bench:w3_matmul //bench:w4_conv //bench:seed_train
  //bench:predict_latency //examples:seed)
"$BAZEL" "${STARTUP[@]}" build -c opt "${TARGETS[@]}" >&2
BIN=$("$BAZEL" "${STARTUP[@]}" info -c opt bazel-bin 2>/dev/null)

echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores," \
  "$(grep -o -w -E 'avx2|fma|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

SKX=()
if grep -q -w avx512f /proc/cpuinfo; then SKX=(env OPENBLAS_CORETYPE=SkylakeX); fi

"$BIN/bench/w3_matmul"
if [ ${#SKX[@]} -gt 0 ]; then "${SKX[@]}" "$BIN/bench/w3_matmul" | grep -v '^#'; fi
# W2 one thread count per process (so peak RSS is one model's), alternating 1 and 2
# threads three times so that drifting machine load hits both alike.
for rep in 1 2 3; do
  for threads in 1 2; do
    "$BIN/bench/w2_mlp" "$threads" | grep -v '^#'
    if [ ${#SKX[@]} -gt 0 ]; then "${SKX[@]}" "$BIN/bench/w2_mlp" "$threads" | grep -v '^#'; fi
  done
done
"$BIN/bench/w1_seed" | grep -v '^# \(cpu\|builtin\|blas\)'
# Inference latency (bench/predict_latency_vs_torch.sh puts it beside PyTorch).
"$BIN/bench/predict_latency" | grep -v '^# \(cpu\|builtin\|blas\)'

# W4: the conv layer on both clocks, then alternated with the same layer in PyTorch
# (Debian's python3-torch, when installed) for the tapegrad / PyTorch ratio.
"$BIN/bench/w4_conv" | grep -v '^# \(cpu\|builtin\|blas\)'
"$BIN/bench/w4_conv" 1 cpu | grep -v '^# \(cpu\|builtin\|blas\)'
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 bench/w4_conv_torch.py --tapegrad "$BIN/bench/w4_conv" --rounds 3 |
    grep -v '^W4 \(floor\|chunked_floor\|tapegrad max_pool2d\|tapegrad layer_step\)'
fi

# Process start to exit, 20 runs each: the seed's training alone (both runs, 1000
# steps each), and the whole example (which also writes the DOT graphs and renders
# them with Graphviz's dot when it is installed).
time_runs() {   # name, command...
  local name=$1
  shift
  local tmp
  tmp=$(mktemp -d)
  local ms=()
  for _ in $(seq 20); do
    local t0 t1
    t0=$(date +%s%N)
    (cd "$tmp" && "$@" >/dev/null)
    t1=$(date +%s%N)
    ms+=($(((t1 - t0) / 1000)))
  done
  rm -rf "$tmp"
  printf '%s\n' "${ms[@]}" | sort -n | awk -v name="$name" '
    { v[NR] = $1 }
    END { med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
          printf "SEED %s end_to_end_ms runs=%d median=%.1f min=%.1f\n", name, NR, med / 1000, v[1] / 1000 }'
}
time_runs tapegrad-train "$BIN/bench/seed_train"
time_runs tapegrad-example "$BIN/examples/seed"
