#!/usr/bin/env bash
# bench/fashion_mnist_vs_torch.sh — examples/fashion_mnist.c (tapegrad) beside
# bench/fashion_mnist_torch.py (the same two models in PyTorch), timed in the same run:
# seconds per training epoch and test accuracy, at 1 and 2 threads.
#
#   bench/fashion_mnist_vs_torch.sh            # 1 epoch, threads 1 and 2, mlp and cnn
#   EPOCHS=2 THREADS="2" MODELS="cnn" bench/fashion_mnist_vs_torch.sh
#
# Both: batch 128, Adam 1e-3 (epsilon 1e-7) with the per-step cosine decay to 1 %
# over the run, the last 10 % of the training rows for validation, glorot_uniform
# kernels, batch norm at momentum 0.9 and epsilon 1e-3 (as the example), evaluation
# on the 10,000 test images. The runs alternate tapegrad, PyTorch for each thread count
# and model, so both see the same minutes of a shared machine. `epoch_s` is the
# training epoch's wall time (tapegrad: the progress line's steps x ms/step; PyTorch:
# its own timer), `cpu_s` the whole process's user + system CPU seconds (loading,
# every epoch, evaluation), which other processes' load does not inflate.
set -euo pipefail
cd "$(dirname "$0")/.."

EPOCHS=${EPOCHS:-1}
THREADS=${THREADS:-"1 2"}
MODELS=${MODELS:-"mlp cnn"}
BAZEL=${BAZEL:-bazel}
"$BAZEL" build -c opt //examples:fashion_mnist >&2
BIN=$("$BAZEL" info -c opt bazel-bin 2>/dev/null)/examples/fashion_mnist
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores," \
  "$(grep -o -w -E 'avx2|fma|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "# torch: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| model | threads | epochs | tapegrad epoch_s | PyTorch epoch_s | tapegrad/PyTorch |" \
  "tapegrad cpu_s | PyTorch cpu_s | tapegrad test_accuracy | PyTorch test_accuracy |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for t in $THREADS; do
  for m in $MODELS; do
    /usr/bin/time -f '%U %S' -o "$TMP/tg.time" "$BIN" --model "$m" --epochs "$EPOCHS" \
      --threads "$t" --out "$TMP/out" >"$TMP/tg.log" 2>&1
    /usr/bin/time -f '%U %S' -o "$TMP/pt.time" /usr/bin/python3 bench/fashion_mnist_torch.py \
      --model "$m" --epochs "$EPOCHS" --threads "$t" --bn-momentum 0.9 >"$TMP/pt.log" 2>&1
    # "422/422 [====] - 56s 133ms/step - loss: ..." -> 422 * 0.133 seconds, per epoch
    tg_epoch=$(sed -n 's|^\([0-9]*\)/\1 \[=*\] - [0-9.]*m*s \([0-9.]*\)ms/step - loss.*|\1 \2|p' \
      "$TMP/tg.log" | head -n "$EPOCHS" | awk '{s += $1 * $2 / 1000} END {printf "%.1f", s / NR}')
    pt_epoch=$(sed -n 's/^epoch=[0-9]* seconds=\([0-9.]*\).*/\1/p' "$TMP/pt.log" |
      awk '{s += $1} END {printf "%.1f", s / NR}')
    tg_acc=$(sed -n 's/^test_accuracy=//p' "$TMP/tg.log")
    pt_acc=$(sed -n 's/^test_accuracy=//p' "$TMP/pt.log")
    tg_cpu=$(awk '{printf "%.1f", $1 + $2}' "$TMP/tg.time")
    pt_cpu=$(awk '{printf "%.1f", $1 + $2}' "$TMP/pt.time")
    ratio=$(awk -v a="$tg_epoch" -v b="$pt_epoch" 'BEGIN {printf "%.2f", a / b}')
    echo "| $m | $t | $EPOCHS | $tg_epoch | $pt_epoch | $ratio | $tg_cpu | $pt_cpu | $tg_acc | $pt_acc |"
  done
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
