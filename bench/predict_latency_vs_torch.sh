#!/usr/bin/env bash
# bench/predict_latency_vs_torch.sh — inference latency of tapegrad (bench/predict_latency.c)
# beside PyTorch in the same minutes: bench/predict_latency_torch.py (the same three
# models, float32, one thread, inference mode; `eager` and `script`, traced and
# frozen) and bench/predict_latency_libtorch.cc (the same in PyTorch's C++ library,
# no Python: `libtorch`; built here with g++ when libtorch-dev is installed). ROUNDS
# rounds (default 3), each running tapegrad's benchmark and then PyTorch's.
#
#   bench/predict_latency_vs_torch.sh            # ROUNDS=3 BAZEL=bazel
#
# Prints every round's lines as '#' comments, then one line per figure: the medians
# over the rounds of each side's median, p99 and cpu_p99 (µs per call, each call timed
# on its own; cpu_p99 by the thread's CPU clock, which leaves out the time a shared
# machine ran something else) and the ratios tapegrad / PyTorch of the medians, e.g.
#   VS seed rows=1 tapegrad_median=0.210 tapegrad_p99=0.25 tapegrad_cpu_p99=0.42
#      eager_median=30.2 eager_p99=50.6 eager_cpu_p99=52.0 script_median=15.3 ...
#      libtorch_median=10.5 ... tapegrad_vs_eager=0.0070 tapegrad_vs_script=0.0137
#      tapegrad_vs_libtorch=0.0200
# PyTorch is a benchmark-only dependency (Debian's python3-torch, /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
BAZEL=${BAZEL:-bazel}
PYTHON=${PYTHON:-/usr/bin/python3}
"$BAZEL" build -c opt //bench:predict_latency >&2
BIN=$("$BAZEL" info -c opt bazel-bin 2>/dev/null)/bench/predict_latency
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores," \
  "$(grep -o -w -E 'avx2|fma|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "# torch: $("$PYTHON" -c 'import torch; print(torch.__version__)')"
LIBTORCH=""
if [ -r /usr/include/ATen/ATen.h ] && command -v g++ >/dev/null &&
  g++ -O2 -std=c++17 bench/predict_latency_libtorch.cc -o "$TMP/libtorch" -ltorch_cpu -lc10; then
  LIBTORCH="$TMP/libtorch"
else
  echo "# libtorch: not built (libtorch-dev or g++ missing); Python figures only"
fi
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  "$BIN" | sed '/^PREDICT /s/$/ impl=tapegrad/' | tee -a "$TMP/all" | sed "s/^/# round $r: /"
  "$PYTHON" bench/predict_latency_torch.py | sed 's/ torch=\(.*\)$/ impl=\1/' |
    tee -a "$TMP/all" | sed "s/^/# round $r: /"
  if [ -n "$LIBTORCH" ]; then
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$LIBTORCH" | sed '/^PREDICT /s/$/ impl=libtorch/' |
      tee -a "$TMP/all" | sed "s/^/# round $r: /"
  fi
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
# Per figure (name, rows) and side (impl): the median over the rounds of median and p99.
grep '^PREDICT ' "$TMP/all" | awk '
  function med(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    key = $2 " " $3
    for (i = 4; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    impl = f["impl"]
    md[key, impl] = md[key, impl] " " f["median"]
    p99[key, impl] = p99[key, impl] " " f["p99"]
    cp99[key, impl] = cp99[key, impl] " " f["cpu_p99"]
    if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
  }
  END {
    split("tapegrad eager script libtorch", impls, " ")
    for (k = 1; k <= nk; k++) {
      key = order[k]
      tg = med(md[key, "tapegrad"])
      line = "VS " key
      ratios = ""
      for (j = 1; j <= 4; j++) {
        im = impls[j]
        if (!((key, im) in md)) continue
        pt = med(md[key, im])
        line = line sprintf(" %s_median=%.3f %s_p99=%.3f %s_cpu_p99=%.3f", im, pt, im,
                            med(p99[key, im]), im, med(cp99[key, im]))
        if (j > 1) ratios = ratios sprintf(" tapegrad_vs_%s=%.4f", im, tg / pt)
      }
      print line ratios
    }
  }'
