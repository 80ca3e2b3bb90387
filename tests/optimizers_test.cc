// tests/optimizers_test.cc — Adam, SGD and RMSprop against Keras' update rules
// written out independently here in double precision, step by step; defaults,
// validation messages, and no allocation per step.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/counting_allocator.h"

extern "C" {
#include "frontends/optimizers.h"
}

namespace {

constexpr int kN = 6;
constexpr int kSteps = 10;

// Gradients of very different magnitudes and signs, fixed in advance so the
// reference and the optimizer see exactly the same numbers.
float Grad(int step, int i) {
  static const double scale[kN] = {1.0, 0.01, 1e-4, 3.0, 0.3, 1e-6};
  return static_cast<float>(std::sin(1.3 * step + 0.7 * i) * scale[i]);
}

double W0(int i) { return 0.5 + 0.1 * i; }

// Keras 2 (keras/optimizers.py), in double.
struct Reference {
  tg_optimizer_options o;  // resolved
  std::vector<double> w, s1, s2, s3;
  int iterations = 0;
  explicit Reference(const tg_optimizer_options& opt) : o(opt), w(kN), s1(kN), s2(kN), s3(kN) {
    for (int i = 0; i < kN; ++i) w[i] = W0(i);
  }
  void Step(int step) {
    const double lr = o.lr * (1.0 / (1.0 + o.decay * iterations));
    const double t = iterations + 1;
    for (int i = 0; i < kN; ++i) {
      const double g = Grad(step, i);
      if (o.kind == TG_OPT_ADAM) {
        const double lr_t = lr * std::sqrt(1.0 - std::pow((double)o.beta_2, t)) /
                            (1.0 - std::pow((double)o.beta_1, t));
        s1[i] = o.beta_1 * s1[i] + (1.0 - o.beta_1) * g;
        s2[i] = o.beta_2 * s2[i] + (1.0 - o.beta_2) * g * g;
        double v = s2[i];
        if (o.amsgrad) v = s3[i] = std::max(s3[i], s2[i]);
        w[i] -= lr_t * s1[i] / (std::sqrt(v) + o.epsilon);
      } else if (o.kind == TG_OPT_SGD) {
        const double vel = o.momentum * s1[i] - lr * g;
        s1[i] = vel;
        w[i] += o.nesterov ? o.momentum * vel - lr * g : vel;
      } else {
        s1[i] = o.rho * s1[i] + (1.0 - o.rho) * g * g;
        w[i] -= lr * g / (std::sqrt(s1[i]) + o.epsilon);
      }
    }
    ++iterations;
  }
};

void ExpectMatchesReference(const tg_optimizer_options& options) {
  tg_error err = {};
  tg_optimizer* opt = tg_optimizer_new(&options, kN, nullptr, &err);
  ASSERT_NE(opt, nullptr) << err.message;
  Reference ref(tg_optimizer_options_of(opt));
  SCOPED_TRACE(tg_optimizer_kind_name(options.kind));
  std::vector<float> w(kN), g(kN);
  for (int i = 0; i < kN; ++i) w[i] = static_cast<float>(W0(i));
  for (int step = 0; step < kSteps; ++step) {
    for (int i = 0; i < kN; ++i) g[i] = Grad(step, i);
    ASSERT_EQ(tg_optimizer_step(opt, w.data(), g.data(), kN, &err), TG_OK) << err.message;
    ref.Step(step);
    for (int i = 0; i < kN; ++i) {
      SCOPED_TRACE(testing::Message() << "step " << step + 1 << " param " << i);
      // 1e-6 relative to the scale of w (a w that crosses 0 keeps the float32
      // rounding of where it came from, about 6e-8 per step at |w| ~ 1).
      const double scale = std::max(std::fabs(ref.w[i]), std::fabs(W0(i)));
      EXPECT_NEAR(w[i], ref.w[i], 1e-6 * scale);
      // The displacement itself, to 1e-4 relative above that float32 floor.
      EXPECT_NEAR(w[i] - W0(i), ref.w[i] - W0(i),
                  1e-4 * std::fabs(ref.w[i] - W0(i)) + 1e-6 * scale);
    }
  }
  EXPECT_EQ(tg_optimizer_iterations(opt), kSteps);
  tg_optimizer_free(opt);
}

TEST(OptimizersTest, AdamKerasDefaults) { ExpectMatchesReference(tg_optimizer_options{}); }

TEST(OptimizersTest, AdamSeedSettings) {
  tg_optimizer_options o = {};
  o.lr = 0.001f;
  o.beta_1 = 0.9f;
  o.beta_2 = 0.999f;
  o.epsilon = 1e-8f;
  ExpectMatchesReference(o);
}

TEST(OptimizersTest, AdamWithDecayAndOtherBetas) {
  tg_optimizer_options o = {};
  o.lr = 0.01f;
  o.beta_1 = 0.5f;
  o.beta_2 = 0.9f;
  o.decay = 0.1f;
  ExpectMatchesReference(o);
}

TEST(OptimizersTest, AdamAmsgrad) {
  tg_optimizer_options o = {};
  o.amsgrad = true;
  o.beta_2 = 0.5f;  // a fast v so that max(v_hat, v) really differs from v
  ExpectMatchesReference(o);
}

TEST(OptimizersTest, SgdPlainMomentumNesterovDecay) {
  tg_optimizer_options o = {};
  o.kind = TG_OPT_SGD;
  ExpectMatchesReference(o);
  o.momentum = 0.9f;
  ExpectMatchesReference(o);
  o.nesterov = true;
  ExpectMatchesReference(o);
  o.decay = 0.05f;
  o.lr = 0.1f;
  ExpectMatchesReference(o);
}

TEST(OptimizersTest, RmspropDefaultsAndDecay) {
  tg_optimizer_options o = {};
  o.kind = TG_OPT_RMSPROP;
  ExpectMatchesReference(o);
  o.rho = 0.5f;
  o.decay = 0.2f;
  o.epsilon = 1e-3f;
  ExpectMatchesReference(o);
}

TEST(OptimizersTest, AdamFirstStepIsLrTimesSignWorkedByHand) {
  // t = 1: m = 0.1 g, v = 0.001 g², lr_t = lr sqrt(0.001)/0.1, so the step is
  // lr · sqrt(0.001)|g| / (sqrt(0.001)|g| + eps) · sign(g) ≈ lr · sign(g).
  tg_optimizer* opt = tg_optimizer_new(nullptr, 2, nullptr, nullptr);
  float w[2] = {1.0f, 1.0f}, g[2] = {0.5f, -2.0f};
  ASSERT_EQ(tg_optimizer_step(opt, w, g, 2, nullptr), TG_OK);
  EXPECT_NEAR(w[0], 1.0 - 0.001 * (0.0158113883 / (0.0158113883 + 1e-7)), 1e-7);
  EXPECT_NEAR(w[1], 1.0 + 0.001 * (0.0632455532 / (0.0632455532 + 1e-7)), 1e-7);
  tg_optimizer_free(opt);
}

TEST(OptimizersTest, AdamPlacesEpsilonAfterTheBiasCorrectionLikeKeras) {
  // Gradient 1e-8, epsilon 1e-8, first step. Keras: lr_t = lr·sqrt(0.001)/0.1,
  // step = lr_t · 1e-9 / (sqrt(0.001)·1e-8 + 1e-8) = 0.0306 lr. PyTorch would use
  // m_hat / (sqrt(v_hat) + eps) = 1e-8 / 2e-8, a step of 0.5 lr.
  tg_optimizer_options o = {};
  o.epsilon = 1e-8f;
  tg_optimizer* opt = tg_optimizer_new(&o, 1, nullptr, nullptr);
  float w = 0.0f, g = 1e-8f;
  ASSERT_EQ(tg_optimizer_step(opt, &w, &g, 1, nullptr), TG_OK);
  // The same in double from the float32 constants the optimizer really holds.
  const double b1 = 0.9f, b2 = 0.999f, lr = 0.001f, e = 1e-8f, gd = 1e-8f;
  const double r = std::sqrt(1.0 - b2);
  const double keras = lr * r / (1.0 - b1) * ((1.0 - b1) * gd) / (r * gd + e);
  EXPECT_NEAR(-w, keras, 1e-6 * keras);
  EXPECT_LT(-w, 0.1 * 0.0005);  // far from PyTorch's 0.5 lr
  tg_optimizer_free(opt);
}

TEST(OptimizersTest, ZeroMeansKerasDefaults) {
  tg_optimizer_options zero = {};
  tg_optimizer_options adam = tg_optimizer_resolve(&zero);
  EXPECT_EQ(adam.kind, TG_OPT_ADAM);
  EXPECT_FLOAT_EQ(adam.lr, 0.001f);
  EXPECT_FLOAT_EQ(adam.beta_1, 0.9f);
  EXPECT_FLOAT_EQ(adam.beta_2, 0.999f);
  EXPECT_FLOAT_EQ(adam.epsilon, 1e-7f);
  EXPECT_EQ(adam.decay, 0.0f);
  tg_optimizer_options s = {};
  s.kind = TG_OPT_SGD;
  EXPECT_FLOAT_EQ(tg_optimizer_resolve(&s).lr, 0.01f);
  EXPECT_EQ(tg_optimizer_resolve(&s).momentum, 0.0f);
  s.kind = TG_OPT_RMSPROP;
  EXPECT_FLOAT_EQ(tg_optimizer_resolve(&s).lr, 0.001f);
  EXPECT_FLOAT_EQ(tg_optimizer_resolve(&s).rho, 0.9f);
  EXPECT_FLOAT_EQ(tg_optimizer_resolve(&s).epsilon, 1e-7f);
}

std::string NewError(tg_optimizer_options o) {
  tg_error err = {};
  tg_optimizer* opt = tg_optimizer_new(&o, 3, nullptr, &err);
  EXPECT_EQ(opt, nullptr);
  tg_optimizer_free(opt);
  return err.message;
}

TEST(OptimizersTest, ValidationMessages) {
  tg_optimizer_options o = {};
  o.beta_1 = 1.0f;
  EXPECT_EQ(NewError(o), "tg_optimizer_new: adam beta_1 must be in [0, 1), got 1");
  o = {};
  o.lr = -0.1f;
  EXPECT_EQ(NewError(o), "tg_optimizer_new: adam lr must be finite and >= 0, got -0.1");
  o = {};
  o.kind = TG_OPT_RMSPROP;
  o.decay = NAN;
  EXPECT_EQ(NewError(o), "tg_optimizer_new: rmsprop decay must be finite and >= 0, got nan");
  o = {};
  o.kind = static_cast<tg_optimizer_kind>(7);
  EXPECT_EQ(NewError(o), "tg_optimizer_new: unknown optimizer kind 7");
}

TEST(OptimizersTest, StepRejectsAnotherBlockSize) {
  tg_optimizer* opt = tg_optimizer_new(nullptr, 3, nullptr, nullptr);
  float w[4] = {}, g[4] = {};
  tg_error err = {};
  EXPECT_EQ(tg_optimizer_step(opt, w, g, 4, &err), TG_ERR_SHAPE);
  EXPECT_STREQ(err.message, "tg_optimizer_step: 4 parameters given to an optimizer made for 3");
  EXPECT_EQ(tg_optimizer_iterations(opt), 0);
  tg_optimizer_free(opt);
}

TEST(OptimizersTest, StepsAllocateNothingAndResetForgetsState) {
  tgtest::CountingAllocator c;
  const tg_allocator* a = c.get();
  tg_optimizer_options o = {};
  o.amsgrad = true;
  tg_optimizer* opt = tg_optimizer_new(&o, kN, a, nullptr);
  ASSERT_NE(opt, nullptr);
  const int after_new = c.allocs();
  std::vector<float> w(kN, 1.0f), g(kN, 0.5f), w2(kN, 1.0f);
  for (int s = 0; s < 100; ++s)
    ASSERT_EQ(tg_optimizer_step(opt, w.data(), g.data(), kN, nullptr), TG_OK);
  EXPECT_EQ(c.allocs(), after_new);
  tg_optimizer_reset(opt);
  EXPECT_EQ(tg_optimizer_iterations(opt), 0);
  ASSERT_EQ(tg_optimizer_step(opt, w2.data(), g.data(), kN, nullptr), TG_OK);
  tg_optimizer* fresh = tg_optimizer_new(&o, kN, nullptr, nullptr);
  std::vector<float> w3(kN, 1.0f);
  ASSERT_EQ(tg_optimizer_step(fresh, w3.data(), g.data(), kN, nullptr), TG_OK);
  EXPECT_EQ(w2, w3);
  tg_optimizer_free(fresh);
  tg_optimizer_free(opt);
}

}  // namespace
