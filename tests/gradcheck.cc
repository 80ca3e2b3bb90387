// tests/gradcheck.cc — central differences through tape replay.
#include "tests/gradcheck.h"

#include <cmath>
#include <cstdio>

extern "C" {
#include "ops/ops.h"
}

namespace tgtest {

Leaves::~Leaves() {
  for (tg_tensor* t : leaves_) tg_tensor_free(t);
}

tg_tensor* Leaves::Add(const LeafSpec& spec, tg_rng* rng) {
  tg_error err = {};
  tg_tensor* t = tg_tensor_new(static_cast<int>(spec.shape.size()), spec.shape.data(),
                               spec.requires_grad, &err);
  if (t == nullptr) return nullptr;
  for (int64_t i = 0; i < t->size; ++i) {
    float mag = spec.min_abs + (spec.max_abs - spec.min_abs) * tg_rng_uniform(rng);
    bool negative = !spec.positive && tg_rng_uniform(rng) < 0.5f;
    t->data[i] = negative ? -mag : mag;
  }
  leaves_.push_back(t);
  return t;
}

GradCheckResult CheckGradients(const std::vector<LeafSpec>& specs, const GraphFn& graph,
                               const GradCheckOptions& options) {
  tg_rng rng;
  tg_rng_seed(&rng, options.seed);
  Leaves leaves;
  for (const LeafSpec& s : specs) {
    if (leaves.Add(s, &rng) == nullptr) {
      GradCheckResult r;
      r.report = "could not allocate a leaf";
      return r;
    }
  }
  return CheckGradientsOn(leaves.all(), graph, options);
}

GradCheckResult CheckGradientsOn(const std::vector<tg_tensor*>& leaves, const GraphFn& graph,
                                 const GradCheckOptions& options) {
  GradCheckResult result;
  tg_tape* tape = tg_tape_new();
  tg_tensor* y = graph(tape, leaves);
  tg_tensor* loss = y;
  if (y != nullptr && y->size != 1) {
    // Fixed random weights in [0.5, 1.5) with alternating sign.
    tg_rng rng;
    tg_rng_seed(&rng, options.seed ^ 0x5eedULL);
    std::vector<float> w(static_cast<size_t>(y->size));
    for (size_t i = 0; i < w.size(); ++i)
      w[i] = (0.5f + tg_rng_uniform(&rng)) * ((i % 2) ? -1.0f : 1.0f);
    tg_tensor* wt = tg_tape_leaf(tape, y->rank, y->shape, w.data(), false);
    loss = tg_sum(tape, tg_mul(tape, y, wt));
  }
  for (tg_tensor* leaf : leaves) tg_tensor_zero_grad(leaf);
  if (tg_tape_backward(tape, loss) != TG_OK) {
    result.report = std::string("tape error: ") + tg_tape_message(tape);
    tg_tape_free(tape);
    return result;
  }
  result.ok = true;
  char line[256];
  int failures = 0;
  for (size_t li = 0; li < leaves.size(); ++li) {
    tg_tensor* leaf = leaves[li];
    if (leaf->grad == nullptr) continue;
    for (int64_t i = 0; i < leaf->size; ++i) {
      const float saved = leaf->data[i];
      leaf->data[i] = saved + static_cast<float>(options.eps);
      tg_tape_forward(tape);
      const double up = loss->data[0];
      leaf->data[i] = saved - static_cast<float>(options.eps);
      tg_tape_forward(tape);
      const double down = loss->data[0];
      leaf->data[i] = saved;
      // Use the step actually taken in float32.
      const double h = static_cast<double>(saved + static_cast<float>(options.eps)) -
                       static_cast<double>(saved - static_cast<float>(options.eps));
      const double numeric = (up - down) / h;
      const double analytic = leaf->grad[i];
      const double err = std::fabs(numeric - analytic);
      const double bound = options.atol + options.rtol * std::fmax(std::fabs(numeric), std::fabs(analytic));
      result.checked++;
      if (err > result.max_abs_err) result.max_abs_err = err;
      if (err > bound) {
        result.ok = false;
        if (failures++ < 8) {
          std::snprintf(line, sizeof line, "leaf %zu element %lld: analytic %.6g numeric %.6g\n", li,
                        static_cast<long long>(i), analytic, numeric);
          result.report += line;
        }
      }
    }
  }
  tg_tape_forward(tape);  // restore the recorded values
  tg_tape_free(tape);
  return result;
}

}  // namespace tgtest
