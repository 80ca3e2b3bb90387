// tests/symmetry_model_test.cc — the analysis on real Sequential models (frontends):
// the seed model at zero, constant and Keras-default initialisation, and symmetry
// that survives training.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

extern "C" {
#include "frontends/seed_problem.h"
#include "tools/analysis.h"
#include "tools/dot_export.h"
}

namespace {

// The seed model after one forward+backward at `init` (NULL: Keras' defaults) and
// `steps` Adam steps before it.
class SeedAnalysis {
 public:
  SeedAnalysis(const tg_initializer* init, int steps = 0, float tolerance = 1e-6f) {
    float x[TG_SEED_ROWS], y[TG_SEED_ROWS * TG_SEED_OUTPUTS];
    tg_seed_data(x, y);
    tg_error err = {};
    model_ = tg_seed_model_new(init, 1, nullptr, &err);
    EXPECT_NE(model_, nullptr) << err.message;
    if (model_ == nullptr) return;
    for (int s = 0; s < steps; ++s)
      EXPECT_EQ(tg_model_train_on_batch(model_, x, TG_SEED_ROWS, y, nullptr), TG_OK);
    // The analysis reads every value and gradient of the step: keep them for it.
    tg_model_set_keep_gradients(model_, true);
    EXPECT_EQ(tg_model_compute_gradients(model_, x, TG_SEED_ROWS, y, &loss_), TG_OK)
        << tg_model_message(model_);
    analysis_ = tg_analysis_new(tg_model_tape(model_), tolerance, &err);
    EXPECT_NE(analysis_, nullptr) << err.message;
  }
  ~SeedAnalysis() {
    tg_analysis_free(analysis_);
    tg_model_free(model_);
  }
  const tg_analysis* a() const { return analysis_; }
  float loss() const { return loss_; }

 private:
  tg_model* model_ = nullptr;
  tg_analysis* analysis_ = nullptr;
  float loss_ = 0.0f;
};

TEST(SymmetryModelTest, ZeroInitOneGroupPerHiddenLayerAndZeroKernelGradients) {
  const tg_initializer zero = tg_init_zeros();
  SeedAnalysis s(&zero);
  ASSERT_NE(s.a(), nullptr);
  ASSERT_EQ(s.a()->n_layers, 3);
  for (int i = 0; i < 2; ++i) {
    const tg_analysis_layer& l = s.a()->layers[i];
    EXPECT_EQ(l.units, 16);
    EXPECT_EQ(l.groups, 1) << l.name;
    EXPECT_TRUE(l.symmetric) << l.name;
    EXPECT_EQ(l.dead_units, 16) << l.name;
  }
  for (int i = 0; i < 3; ++i) {
    const tg_analysis_layer& l = s.a()->layers[i];
    EXPECT_TRUE(s.a()->leaves[l.kernel_leaf].grad_all_zero) << l.name;
    EXPECT_EQ(s.a()->leaves[l.kernel_leaf].grad.zeros, s.a()->leaves[l.kernel_leaf].grad.count);
  }
  EXPECT_TRUE(s.a()->leaves[s.a()->layers[0].bias_leaf].grad_all_zero);
  EXPECT_TRUE(s.a()->leaves[s.a()->layers[1].bias_leaf].grad_all_zero);
  EXPECT_FALSE(s.a()->leaves[s.a()->layers[2].bias_leaf].grad_all_zero);
  EXPECT_NEAR(s.loss(), 0.006425f, 1e-7f);
}

TEST(SymmetryModelTest, ConstantHalfIsOneGroupWithLiveGradients) {
  const tg_initializer half = tg_init_constant(0.5f);
  SeedAnalysis s(&half);
  ASSERT_NE(s.a(), nullptr);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(s.a()->layers[i].groups, 1);
    EXPECT_TRUE(s.a()->layers[i].symmetric);
    EXPECT_EQ(s.a()->layers[i].dead_units, 0);
  }
  for (int i = 0; i < s.a()->n_leaves; ++i) EXPECT_FALSE(s.a()->leaves[i].grad_all_zero);
}

TEST(SymmetryModelTest, KerasDefaultInitHasSixteenGroups) {
  SeedAnalysis s(nullptr);
  ASSERT_NE(s.a(), nullptr);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(s.a()->layers[i].groups, 16);
    EXPECT_EQ(s.a()->layers[i].groups_tol, 16);
    EXPECT_FALSE(s.a()->layers[i].symmetric);
  }
}

TEST(SymmetryModelTest, GlorotUniformEverywhereHasSixteenGroups) {
  const tg_initializer glorot = tg_init_glorot_uniform();
  SeedAnalysis s(&glorot);
  ASSERT_NE(s.a(), nullptr);
  EXPECT_EQ(s.a()->layers[0].groups, 16);
  EXPECT_EQ(s.a()->layers[1].groups, 16);
}

TEST(SymmetryModelTest, SymmetryOfAConstantInitSurvivesTraining) {
  // Identical units get identical updates: after 200 Adam steps at 0.1 everywhere
  // both hidden layers are still one group, exactly.
  const tg_initializer c = tg_init_constant(0.1f);
  SeedAnalysis s(&c, 200, 0.0f);
  ASSERT_NE(s.a(), nullptr);
  EXPECT_EQ(s.a()->layers[0].groups, 1);
  EXPECT_EQ(s.a()->layers[1].groups, 1);
  EXPECT_LT(s.loss(), 0.006f);  // and it is learning (0.1 everywhere starts far above)
}

// A model's training tape shares the memory of its values and gradients by liveness
// unless told to keep them: the analysis (and so the DOT picture) refuses such a tape
// instead of reading what later steps left there, and a step recorded keeping them
// has the very gradients of the step that did not.
TEST(SymmetryModelTest, ATapeSharingItsMemoryIsRefusedUntilTheModelKeepsGradients) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * TG_SEED_OUTPUTS];
  tg_seed_data(x, y);
  tg_error err = {};
  tg_model* m = tg_seed_model_new(nullptr, 1, nullptr, &err);
  ASSERT_NE(m, nullptr) << err.message;
  EXPECT_FALSE(tg_model_keeps_gradients(m));
  ASSERT_EQ(tg_model_compute_gradients(m, x, TG_SEED_ROWS, y, nullptr), TG_OK);
  const int64_t n = tg_model_param_size(m);
  const std::vector<float> shared(tg_model_param_grads(m), tg_model_param_grads(m) + n);
  EXPECT_EQ(tg_analysis_new(tg_model_tape(m), 1e-6f, &err), nullptr);
  EXPECT_EQ(err.code, TG_ERR_STATE);
  EXPECT_STREQ(err.message,
               "tg_analysis_new: the tape does not keep every value and gradient of its last step "
               "(it shares their memory by liveness, as a model's training tape does unless "
               "tg_model_set_keep_gradients is on): keep them for the step to analyse");
  tg_error dot_err = {};
  EXPECT_EQ(tg_dot_write(tg_model_tape(m), nullptr, stdout, &dot_err), TG_ERR_STATE);

  tg_model_set_keep_gradients(m, true);
  EXPECT_TRUE(tg_model_keeps_gradients(m));
  ASSERT_EQ(tg_model_compute_gradients(m, x, TG_SEED_ROWS, y, nullptr), TG_OK);
  EXPECT_EQ(0, std::memcmp(shared.data(), tg_model_param_grads(m), n * sizeof(float)));
  tg_analysis* a = tg_analysis_new(tg_model_tape(m), 1e-6f, &err);
  EXPECT_NE(a, nullptr) << err.message;
  tg_analysis_free(a);

  tg_model_set_keep_gradients(m, false);
  ASSERT_EQ(tg_model_compute_gradients(m, x, TG_SEED_ROWS, y, nullptr), TG_OK);
  EXPECT_EQ(0, std::memcmp(shared.data(), tg_model_param_grads(m), n * sizeof(float)));
  EXPECT_EQ(tg_analysis_new(tg_model_tape(m), 1e-6f, &err), nullptr);
  tg_model_set_keep_gradients(nullptr, true);  // ignored
  EXPECT_FALSE(tg_model_keeps_gradients(nullptr));
  tg_model_free(m);
}

}  // namespace
