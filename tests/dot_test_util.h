// tests/dot_test_util.h — helpers for the DOT and analysis tests: hand-built Dense
// tapes (core + ops only, following the Dense recording contract), the seed's data,
// temporary paths, and rendering a DOT file with the real Graphviz `dot`.
#ifndef TAPEGRAD_TESTS_DOT_TEST_UTIL_H_
#define TAPEGRAD_TESTS_DOT_TEST_UTIL_H_

#include <string>
#include <vector>

#include "tests/test_files.h"

extern "C" {
#include "core/tape.h"
#include "core/tensor.h"
#include "frontends/params.h"
}

namespace tgtest {

enum class Init { kZeros, kConstant, kRandom };

struct DenseSpec {
  int units;
  bool relu;  // relu activation, or linear
};

// A Sequential-like MLP recorded on a tape by hand: "dense_i" scopes, parameters
// declared in a parameter set as "dense_i/kernel" [in, units] (unit axis 1) and
// "dense_i/bias" [units] (unit axis 0) and attached to the tape, mse loss with scope "".
// Forward and backward have run when the constructor returns.
class HandMlp {
 public:
  HandMlp(int input_dim, const std::vector<DenseSpec>& layers, Init init, float constant = 0.5f,
          unsigned seed = 1);
  // Explicit parameter values, in order kernel_1, bias_1, kernel_2, ...
  HandMlp(int input_dim, const std::vector<DenseSpec>& layers,
          const std::vector<std::vector<float>>& params, const std::vector<float>& x,
          const std::vector<float>& y);
  ~HandMlp();
  HandMlp(const HandMlp&) = delete;
  HandMlp& operator=(const HandMlp&) = delete;

  tg_tape* tape() const { return tape_; }
  tg_tensor* param(size_t i) const { return params_[i]; }
  tg_tensor* loss() const { return loss_; }

 private:
  void Build(int input_dim, const std::vector<DenseSpec>& layers, const std::vector<float>& x,
             const std::vector<float>& y);
  tg_tape* tape_ = nullptr;
  tg_tensor* loss_ = nullptr;
  std::vector<tg_tensor*> params_;
  tg_param_set* set_ = nullptr;
};

// The seed problem: x[i] = i/10 (10x1), y[i] = [0.1, 0.01 i] (10x2).
std::vector<float> SeedX();
std::vector<float> SeedY();

// Path of Graphviz' dot, or "" when it is not installed.
std::string DotBinary();
// Renders `dot_path` to SVG; returns "" on success with an empty stderr, otherwise
// the exit status and everything dot printed.
std::string RenderProblems(const std::string& dot_path);

}  // namespace tgtest

#endif  // TAPEGRAD_TESTS_DOT_TEST_UTIL_H_
