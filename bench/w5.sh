#!/usr/bin/env bash
# bench/w5.sh — W5 (data-parallel W2 over MPI) in the three layouts of a 2-core
# machine: 1 rank x 2 threads, 2 ranks x 1 thread, 4 ranks x 1 thread oversubscribed.
# Prints the machine and the W5 lines (bench/README.md, section W5).
set -euo pipefail
cd "$(dirname "$0")/.."
BAZEL=${BAZEL:-bazel}
"$BAZEL" build -c opt //bench:w5_data_parallel >&2
BIN=$("$BAZEL" info -c opt bazel-bin 2>/dev/null)/bench/w5_data_parallel
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
"${MPIRUN[@]}" -np 1 "$BIN" 2
"${MPIRUN[@]}" -np 2 "$BIN" 1
"${MPIRUN[@]}" -np 4 "$BIN" 1
