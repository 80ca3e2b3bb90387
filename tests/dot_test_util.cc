// tests/dot_test_util.cc — see dot_test_util.h.
#include "tests/dot_test_util.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

extern "C" {
#include "core/rng.h"
#include "ops/ops.h"
}

namespace tgtest {

// Declares dense_<l+1>/kernel [in, units] (unit axis 1) and dense_<l+1>/bias [units]
// (unit axis 0) in the set, so the tools know which axis holds the units.
static void Declare(tg_param_set* ps, size_t l, int in, int units, tg_tensor** k, tg_tensor** b) {
  const std::string layer = "dense_" + std::to_string(l + 1);
  const std::string kn = layer + "/kernel", bn = layer + "/bias";
  tg_param_decl kd{};
  kd.name = kn.c_str();
  kd.rank = 2;
  kd.shape[0] = in;
  kd.shape[1] = units;
  kd.init = tg_init_zeros();
  kd.unit_axis = 1;
  tg_param_decl bd{};
  bd.name = bn.c_str();
  bd.rank = 1;
  bd.shape[0] = units;
  bd.init = tg_init_zeros();
  bd.unit_axis = 0;
  *k = tg_param_set_add(ps, &kd, nullptr);
  *b = tg_param_set_add(ps, &bd, nullptr);
}

HandMlp::HandMlp(int input_dim, const std::vector<DenseSpec>& layers, Init init, float constant,
                 unsigned seed) {
  tg_rng rng;
  tg_rng_seed(&rng, seed);
  set_ = tg_param_set_new(nullptr, seed, nullptr);
  int in = input_dim;
  for (size_t l = 0; l < layers.size(); ++l) {
    const int units = layers[l].units;
    tg_tensor *k = nullptr, *b = nullptr;
    Declare(set_, l, in, units, &k, &b);
    const float limit = std::sqrt(6.0f / static_cast<float>(in + units));  // glorot_uniform
    for (int64_t i = 0; i < k->size; ++i)
      k->data[i] = init == Init::kZeros      ? 0.0f
                   : init == Init::kConstant ? constant
                                             : (2.0f * tg_rng_uniform(&rng) - 1.0f) * limit;
    for (int64_t i = 0; i < b->size; ++i) b->data[i] = init == Init::kConstant ? constant : 0.0f;
    params_.push_back(k);
    params_.push_back(b);
    in = units;
  }
  Build(input_dim, layers, SeedX(), SeedY());
}

HandMlp::HandMlp(int input_dim, const std::vector<DenseSpec>& layers,
                 const std::vector<std::vector<float>>& params, const std::vector<float>& x,
                 const std::vector<float>& y) {
  set_ = tg_param_set_new(nullptr, 1, nullptr);
  int in = input_dim;
  for (size_t l = 0; l < layers.size(); ++l) {
    tg_tensor *k = nullptr, *b = nullptr;
    Declare(set_, l, in, layers[l].units, &k, &b);
    tg_tensor_set_data(k, params[2 * l].data(), static_cast<int64_t>(params[2 * l].size()),
                       nullptr);
    tg_tensor_set_data(b, params[2 * l + 1].data(), static_cast<int64_t>(params[2 * l + 1].size()),
                       nullptr);
    params_.push_back(k);
    params_.push_back(b);
    in = layers[l].units;
  }
  Build(input_dim, layers, x, y);
}

void HandMlp::Build(int input_dim, const std::vector<DenseSpec>& layers,
                    const std::vector<float>& x, const std::vector<float>& y) {
  tape_ = tg_tape_new();
  tg_param_set_attach(set_, tape_);
  const int64_t rows = static_cast<int64_t>(x.size()) / input_dim;
  int64_t sx[2] = {rows, input_dim};
  int64_t sy[2] = {rows, layers.back().units};
  tg_tensor* h = tg_tape_leaf(tape_, 2, sx, x.data(), false);
  tg_tensor* target = tg_tape_leaf(tape_, 2, sy, y.data(), false);
  for (size_t l = 0; l < layers.size(); ++l) {
    const std::string scope = "dense_" + std::to_string(l + 1);
    tg_tape_set_scope(tape_, scope.c_str());
    h = tg_add(tape_, tg_matmul(tape_, h, params_[2 * l]), params_[2 * l + 1]);
    if (layers[l].relu) h = tg_relu(tape_, h);
    tg_tape_set_scope(tape_, "");
  }
  loss_ = tg_mse(tape_, h, target);
  tg_tape_backward(tape_, loss_);
}

HandMlp::~HandMlp() {
  tg_tape_free(tape_);
  tg_param_set_free(set_);
}

std::vector<float> SeedX() {
  std::vector<float> x(10);
  for (int i = 0; i < 10; ++i) x[i] = static_cast<float>(i) / 10.0f;
  return x;
}

std::vector<float> SeedY() {
  std::vector<float> y(20);
  for (int i = 0; i < 10; ++i) {
    y[2 * i] = 0.1f;
    y[2 * i + 1] = 0.01f * static_cast<float>(i);
  }
  return y;
}

std::string DotBinary() {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string d;
    while (std::getline(ss, d, ':'))
      if (!d.empty()) dirs.push_back(d);
  }
  dirs.push_back("/usr/bin");
  dirs.push_back("/usr/local/bin");
  for (const std::string& d : dirs) {
    const std::string p = d + "/dot";
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

std::string RenderProblems(const std::string& dot_path) {
  const std::string dot = DotBinary();
  if (dot.empty()) return "Graphviz dot is not installed";
  const std::string err_path = dot_path + ".stderr";
  const std::string cmd =
      "'" + dot + "' -Tsvg '" + dot_path + "' -o '" + dot_path + ".svg' 2> '" + err_path + "'";
  const int rc = std::system(cmd.c_str());
  const std::string err = ReadFile(err_path);
  if (rc == 0 && err.empty()) return "";
  return "dot exited with status " + std::to_string(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1) +
         ", stderr:\n" + err;
}

}  // namespace tgtest
