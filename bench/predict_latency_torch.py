#!/usr/bin/python3
"""bench/predict_latency_torch.py — bench/predict_latency.c's three inference figures in
PyTorch: the seed model (Linear 1->16, ReLU, Linear 16->16, ReLU, Linear 16->2) on 1 row
and on 10 rows, and W2's MLP (784->512->512->10, ReLU) on 1 image; float32, one
thread (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1), torch.inference_mode();
glorot_uniform weights and zero biases (Keras' defaults, as tapegrad's), the same
inputs (seed: x[i] = i/10; the image: (i % 17) / 17). Each call is timed on its own
(time.perf_counter_ns around it), CALLS calls after WARMUP, as the C benchmark does.
Debian's python3-torch; for comparison only (never a dependency of the library or
its tests).

    /usr/bin/python3 bench/predict_latency_torch.py [--mode eager|script|both]

Lines, in bench/predict_latency.c's format plus the PyTorch variant:
    PREDICT seed rows=1 median=<us> p99=<us> cpu_mean=<us> cpu_p99=<us> out0=<first output>
        torch=eager
`eager` calls the nn.Sequential module; `script` calls it traced and frozen
(torch.jit.trace, torch.jit.freeze, optimize_for_inference), PyTorch's own answer
to per-call overhead. Both include the Python interpreter's call overhead, which a
PyTorch user pays on every call (a timed empty region is printed as `# timer:`).
"""
import argparse
import os
import time

# One thread everywhere: Debian's torch calls OpenBLAS (libblas.so.3) for the 1-row
# products, and torch.set_num_threads does not reach OpenBLAS's own pool, which
# otherwise runs W2's products on a second thread (process CPU above thread CPU).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402  (after the thread settings, which it reads when loaded)

WARMUP, CALLS = 1000, 20000


def model(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        torch.nn.init.xavier_uniform_(lin.weight)  # glorot_uniform
        torch.nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).eval()


def percentile(sorted_us, q):
    return sorted_us[len(sorted_us) * q // 100]


def timed_calls(clock, fn, x):
    """CALLS calls, each timed on its own by `clock` (ns): sorted us per call."""
    us = [0.0] * CALLS
    y = None
    for i in range(CALLS):
        t0 = clock()
        if fn is not None:
            y = fn(x)
        us[i] = (clock() - t0) * 1e-3
    return us, y


def measure(name, fn, x, rows):
    """As bench/predict_latency.c: wall median and p99, mean thread CPU, then a pass
    timing each call by the thread's CPU clock (cpu_p99)."""
    with torch.inference_mode():
        for _ in range(WARMUP):
            fn(x)
        c0 = time.thread_time_ns()
        us, y = timed_calls(time.perf_counter_ns, fn, x)
        cpu = (time.thread_time_ns() - c0) * 1e-3 / CALLS
        cus, _ = timed_calls(time.thread_time_ns, fn, x)
    us.sort()
    cus.sort()
    return "PREDICT %s rows=%d median=%.3f p99=%.3f cpu_mean=%.3f cpu_p99=%.3f out0=%.6g" % (
        name, rows, us[CALLS // 2], percentile(us, 99), cpu, percentile(cus, 99),
        float(y.reshape(-1)[0]))


def timer_floor():
    us, _ = timed_calls(time.perf_counter_ns, None, None)
    cus, _ = timed_calls(time.thread_time_ns, None, None)
    us.sort()
    cus.sort()
    print("# timer: an empty timed region takes median=%.3f p99=%.3f us (thread CPU clock: "
          "median=%.3f p99=%.3f)" % (us[CALLS // 2], percentile(us, 99), cus[CALLS // 2],
                                     percentile(cus, 99)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["eager", "script", "both"], default="both")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    print("# torch %s, %d thread(s)" % (torch.__version__, torch.get_num_threads()))
    timer_floor()
    seed = model([1, 16, 16, 2])
    mlp = model([784, 512, 512, 10])
    x1 = torch.zeros(1, 1)
    x10 = (torch.arange(10, dtype=torch.float32) / 10.0).reshape(10, 1)
    img = ((torch.arange(784) % 17).to(torch.float32) / 17.0).reshape(1, 784)
    figures = [("seed", seed, x1, 1), ("seed", seed, x10, 10),
               ("mlp_784_512_512_10", mlp, img, 1)]
    modes = ["eager", "script"] if args.mode == "both" else [args.mode]
    for mode in modes:
        for name, m, x, rows in figures:
            fn = m
            if mode == "script":
                with torch.inference_mode():
                    fn = torch.jit.optimize_for_inference(torch.jit.freeze(
                        torch.jit.trace(m, x)))
            print(measure(name, fn, x, rows) + " torch=" + mode, flush=True)


if __name__ == "__main__":
    main()
