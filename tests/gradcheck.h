// tests/gradcheck.h — the shared finite-difference gradient checker.
//
// A graph is a function that records ops on a tape from a list of leaves. The
// checker reduces a non-scalar output with fixed random weights (a plain sum would
// hide transposition bugs), runs backward once, then for every element of every leaf
// that requires a gradient compares the analytic gradient with the central
// difference (f(x+eps) - f(x-eps)) / 2eps, computed by *replaying* the tape, so every
// check also exercises replay.
#ifndef TAPEGRAD_TESTS_GRADCHECK_H_
#define TAPEGRAD_TESTS_GRADCHECK_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "core/tensor.h"
}

namespace tgtest {

struct LeafSpec {
  std::vector<int64_t> shape;
  bool requires_grad = true;
  // Values are uniform in ±[min_abs, max_abs] (keeps ReLU inputs off the kink).
  float min_abs = 0.1f;
  float max_abs = 1.0f;
  bool positive = false;  // only the positive half (e.g. for log)
};

using GraphFn = std::function<tg_tensor*(tg_tape*, const std::vector<tg_tensor*>&)>;

struct GradCheckOptions {
  double eps = 1e-2;
  double atol = 1e-3;
  double rtol = 5e-3;
  uint64_t seed = 1234;
};

struct GradCheckResult {
  bool ok = false;
  int checked = 0;       // number of gradient elements compared
  double max_abs_err = 0.0;
  std::string report;    // first failures, or the tape error
};

// Owns caller-side leaf tensors so tests can also build leaves themselves.
class Leaves {
 public:
  ~Leaves();
  tg_tensor* Add(const LeafSpec& spec, tg_rng* rng);
  const std::vector<tg_tensor*>& all() const { return leaves_; }

 private:
  std::vector<tg_tensor*> leaves_;
};

GradCheckResult CheckGradients(const std::vector<LeafSpec>& specs, const GraphFn& graph,
                               const GradCheckOptions& options = GradCheckOptions());

// Same over leaves the caller already built (values as given).
GradCheckResult CheckGradientsOn(const std::vector<tg_tensor*>& leaves, const GraphFn& graph,
                                 const GradCheckOptions& options = GradCheckOptions());

}  // namespace tgtest

#endif  // TAPEGRAD_TESTS_GRADCHECK_H_
