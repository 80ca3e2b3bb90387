#!/usr/bin/python3
"""bench/w4_conv_torch.py — W4's layer in PyTorch: conv2d 3x3, 32 -> 64 channels, 14x14,
batch 64, 'same' (padding=1), no bias, forward + backward (dX and dW), then a 2x2
max-pool, with torch.set_num_threads(n). Debian's python3-torch; for comparison only.

    /usr/bin/python3 bench/w4_conv_torch.py                 # 1 and 2 threads
    /usr/bin/python3 bench/w4_conv_torch.py --threads 1
    /usr/bin/python3 bench/w4_conv_torch.py --tapegrad bazel-bin/bench/w4_conv
        # alternates runs of tapegrad's w4_conv and this script (same minute) and
        # prints the ratio tapegrad / PyTorch per thread count

Lines (medians, milliseconds), in the format of bench/w4_conv.c:
    W4 pytorch conv2d threads=<t> layout=<nchw|channels_last> fwd_ms= bwd_ms= total_ms= gflops=
    W4 pytorch max_pool2d threads=<t> layout=... total_ms=
    W4 ratio conv2d threads=<t> tapegrad_vs_pytorch=<tapegrad total / PyTorch total, the layout
       with the lower wall time>
       (at 1 thread also cpu_ratio: the same from the calling thread's CPU time, which
       other processes' load does not inflate; medians over the alternating rounds)
The conv's backward is timed alone (y.backward(dy) on a fresh forward); PyTorch's
conv backward computes dX and dW together, as tapegrad's does.
"""
import argparse
import re
import statistics
import subprocess
import time

import torch
import torch.nn.functional as F

N, H, W, C, FILTERS, REPS = 64, 14, 14, 32, 64, 25


def bench(threads, layout):
    torch.set_num_threads(threads)
    torch.manual_seed(4)
    fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    x = torch.rand(N, C, H, W).sub_(0.5).contiguous(memory_format=fmt).requires_grad_()
    w = torch.rand(FILTERS, C, 3, 3).sub_(0.5).contiguous(memory_format=fmt).requires_grad_()
    dy = torch.rand(N, FILTERS, H, W).contiguous(memory_format=fmt)
    fwd, bwd, tot, pool, cpu = [], [], [], [], []
    for r in range(REPS + 2):
        c0 = time.thread_time()
        t0 = time.perf_counter()
        y = F.conv2d(x, w, padding=1)
        t1 = time.perf_counter()
        y.backward(dy)
        t2 = time.perf_counter()
        c1 = time.thread_time()
        yd = y.detach().requires_grad_()
        p0 = time.perf_counter()
        p = F.max_pool2d(yd, 2)
        p.backward(torch.ones_like(p))
        p1 = time.perf_counter()
        x.grad = None
        w.grad = None
        if r < 2:
            continue
        fwd.append((t1 - t0) * 1e3)
        bwd.append((t2 - t1) * 1e3)
        tot.append((t2 - t0) * 1e3)
        cpu.append((c1 - c0) * 1e3)
        pool.append((p1 - p0) * 1e3)
    gflop = 3 * 2.0 * N * H * W * 9 * C * FILTERS / 1e9
    total = statistics.median(tot)
    print("W4 pytorch conv2d threads=%d layout=%s fwd_ms=%.3f bwd_ms=%.3f total_ms=%.3f "
          "gflops=%.1f cpu_ms=%.3f" % (threads, layout, statistics.median(fwd),
                                         statistics.median(bwd), total, gflop / (total * 1e-3),
                                         statistics.median(cpu)))
    print("W4 pytorch max_pool2d threads=%d layout=%s total_ms=%.3f"
          % (threads, layout, statistics.median(pool)), flush=True)
    return total, statistics.median(cpu)


def run_tapegrad(binary, threads):
    """tapegrad's conv2d total (wall) and calling-thread CPU milliseconds."""
    out = subprocess.run([binary, str(threads)], check=True, capture_output=True,
                         text=True).stdout
    print("".join(l + "\n" for l in out.splitlines() if not l.startswith("#")), end="")
    wall = re.search(r"W4 tapegrad conv2d threads=%d .*total_ms=([0-9.]+)" % threads, out)
    cpu = re.search(r"W4 ratio conv2d threads=%d .*cpu_tapegrad_ms=([0-9.]+)" % threads, out)
    return float(wall.group(1)), float(cpu.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--tapegrad", help="path of bench/w4_conv, run alternately with this script")
    ap.add_argument("--rounds", type=int, default=2, help="alternations with --tapegrad")
    args = ap.parse_args()
    print("# pytorch %s, %s" % (torch.__version__, torch.backends.mkldnn.is_available() and
                                "mkldnn" or "no mkldnn"))
    for threads in args.threads:
        rounds = args.rounds if args.tapegrad else 1
        tg, pt = [], []
        for _ in range(rounds):
            if args.tapegrad:
                tg.append(run_tapegrad(args.tapegrad, threads))
            pt.append(min(bench(threads, "nchw"), bench(threads, "channels_last")))
        if args.tapegrad:
            med = lambda runs, i: statistics.median(r[i] for r in runs)
            line = ("W4 ratio conv2d threads=%d tapegrad_vs_pytorch=%.3f tapegrad_ms=%.3f "
                    "pytorch_ms=%.3f" % (threads, med(tg, 0) / med(pt, 0), med(tg, 0), med(pt, 0)))
            if threads == 1:  # one thread: all the work is the calling thread's CPU time
                line += " cpu_ratio=%.3f cpu_tapegrad_ms=%.3f cpu_pytorch_ms=%.3f" % (
                    med(tg, 1) / med(pt, 1), med(tg, 1), med(pt, 1))
            print(line + " rounds=%d" % rounds, flush=True)


if __name__ == "__main__":
    main()
