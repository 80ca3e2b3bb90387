// bench/predict_latency_libtorch.cc — bench/predict_latency.c's three inference figures
// in PyTorch's C++ library (ATen, Debian's libtorch-dev 1.13), with no Python in
// between: what PyTorch's own per-operator dispatch costs. The seed model (1 -> 16 ->
// 16 -> 2) on 1 and 10 rows and W2's MLP (784 -> 512 -> 512 -> 10) on 1 image, as
// at::linear and at::relu calls, float32, one thread (at::set_num_threads(1); run it
// with OPENBLAS_NUM_THREADS=1), c10::InferenceMode; glorot_uniform weights and zero
// biases, the inputs of the C benchmark. For comparison only: built by
// bench/predict_latency_vs_torch.sh with g++ outside Bazel, never part of the build.
//
//   g++ -O2 -std=c++17 bench/predict_latency_libtorch.cc -o /tmp/p -ltorch_cpu -lc10
//
// Lines, in bench/predict_latency.c's format:
//   PREDICT seed rows=1 median=<us> p99=<us> cpu_mean=<us> cpu_p99=<us> out0=<first output>
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace {

constexpr int kWarmup = 1000, kCalls = 20000;

double Now(clockid_t c) {
  timespec ts;
  clock_gettime(c, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Mlp {
  std::vector<at::Tensor> w, b;  // w[i] is [out, in], as torch.nn.Linear keeps it
  at::Tensor operator()(const at::Tensor& x) const {
    at::Tensor h = x;
    for (size_t i = 0; i < w.size(); ++i) {
      h = at::linear(h, w[i], b[i]);
      if (i + 1 < w.size()) h = at::relu(h);
    }
    return h;
  }
};

Mlp Make(const std::vector<int64_t>& sizes) {
  Mlp m;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    const double limit = std::sqrt(6.0 / static_cast<double>(sizes[i] + sizes[i + 1]));
    m.w.push_back((at::rand({sizes[i + 1], sizes[i]}) * 2.0 - 1.0) * limit);
    m.b.push_back(at::zeros({sizes[i + 1]}));
  }
  return m;
}

// kCalls calls, each timed on its own by clock `c`: µs per call.
std::vector<double> TimedCalls(clockid_t c, const Mlp* m, const at::Tensor& x, at::Tensor* y) {
  std::vector<double> us(kCalls);
  for (double& u : us) {
    const double t0 = Now(c);
    if (m) *y = (*m)(x);
    u = (Now(c) - t0) * 1e6;
  }
  return us;
}

// As bench/predict_latency.c: wall median and p99, mean thread CPU, then a pass timing
// each call by the thread's CPU clock (cpu_p99).
void Measure(const char* name, const Mlp& m, const at::Tensor& x) {
  at::Tensor y;
  for (int i = 0; i < kWarmup; ++i) y = m(x);
  const double c0 = Now(CLOCK_THREAD_CPUTIME_ID);
  std::vector<double> us = TimedCalls(CLOCK_MONOTONIC, &m, x, &y);
  const double cpu = (Now(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e6 / kCalls;
  std::vector<double> cus = TimedCalls(CLOCK_THREAD_CPUTIME_ID, &m, x, &y);
  std::sort(us.begin(), us.end());
  std::sort(cus.begin(), cus.end());
  std::printf("PREDICT %s rows=%lld median=%.3f p99=%.3f cpu_mean=%.3f cpu_p99=%.3f out0=%g\n",
              name, static_cast<long long>(x.size(0)), us[kCalls / 2], us[kCalls * 99 / 100], cpu,
              cus[kCalls * 99 / 100], static_cast<double>(y.reshape({-1})[0].item<float>()));
}

}  // namespace

int main() {
  at::set_num_threads(1);
  at::manual_seed(1);
  c10::InferenceMode guard;
  std::printf("# libtorch (ATen) %d thread(s)\n", at::get_num_threads());
  const Mlp seed = Make({1, 16, 16, 2}), mlp = Make({784, 512, 512, 10});
  Measure("seed", seed, at::zeros({1, 1}));
  Measure("seed", seed, (at::arange(10, at::kFloat) / 10.0).reshape({10, 1}));
  Measure("mlp_784_512_512_10", mlp,
          ((at::arange(784) % 17).to(at::kFloat) / 17.0).reshape({1, 784}));
  return 0;
}
