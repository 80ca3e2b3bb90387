// tests/initializers_test.cc — every Keras initializer: bounds, mean and variance on
// large samples against the formulas, determinism per seed, exact error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

extern "C" {
#include "frontends/initializers.h"
}

namespace {

constexpr int64_t kN = 200000;
constexpr double kTrunc = 0.87962566103423978;  // stddev of N(0,1) truncated to ±2

struct Moments {
  double min, max, mean, var;
};

Moments Sample(const tg_initializer& init, int64_t fan_in, int64_t fan_out, uint64_t seed = 7) {
  std::vector<float> v(kN);
  tg_rng rng;
  tg_rng_seed(&rng, seed);
  tg_error err = {};
  EXPECT_EQ(tg_initializer_fill(&init, v.data(), kN, fan_in, fan_out, &rng, &err), TG_OK)
      << err.message;
  Moments m{v[0], v[0], 0.0, 0.0};
  for (float x : v) {
    m.min = std::min(m.min, static_cast<double>(x));
    m.max = std::max(m.max, static_cast<double>(x));
    m.mean += x;
  }
  m.mean /= kN;
  for (float x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= kN - 1;
  return m;
}

// Mean within 5 standard errors, variance within 2% (its relative standard error
// at n = 200000 is about 0.3% for these distributions), and the support.
void ExpectDistribution(const Moments& m, double lo, double hi, double mean, double var) {
  EXPECT_GE(m.min, lo);
  EXPECT_LE(m.max, hi);
  EXPECT_NEAR(m.mean, mean, 5.0 * std::sqrt(var / kN));
  EXPECT_NEAR(m.var, var, 0.02 * var);
}

struct ScalingCase {
  tg_init_kind kind;
  bool uniform;
  double scale;
  bool fan_avg;
};

TEST(InitializersTest, VarianceScalingFamilyMatchesKerasFormulas) {
  const int64_t fan_in = 300, fan_out = 200;
  const ScalingCase cases[] = {
      {TG_INIT_GLOROT_UNIFORM, true, 1.0, true}, {TG_INIT_GLOROT_NORMAL, false, 1.0, true},
      {TG_INIT_HE_UNIFORM, true, 2.0, false},    {TG_INIT_HE_NORMAL, false, 2.0, false},
      {TG_INIT_LECUN_UNIFORM, true, 1.0, false}, {TG_INIT_LECUN_NORMAL, false, 1.0, false},
  };
  for (const ScalingCase& c : cases) {
    SCOPED_TRACE(tg_init_kind_name(c.kind));
    const double fan = c.fan_avg ? (fan_in + fan_out) / 2.0 : fan_in;
    const double var = c.scale / fan;  // what Keras aims for, truncated or not
    Moments m = Sample(tg_init_of_kind(c.kind), fan_in, fan_out);
    if (c.uniform) {
      const double limit = std::sqrt(3.0 * var);
      ExpectDistribution(m, -limit, limit, 0.0, var);
      EXPECT_GT(m.max, 0.99 * limit);  // the whole interval is used
    } else {
      const double stddev = std::sqrt(var) / kTrunc;  // before truncation at 2 stddev
      ExpectDistribution(m, -2.0 * stddev, 2.0 * stddev, 0.0, var);
      EXPECT_GT(m.max, 1.9 * stddev);
    }
  }
}

TEST(InitializersTest, GlorotUniformLimitForTheSeedsFirstLayer) {
  // Dense(16) on 1 input: limit sqrt(6 / 17) = 0.594.
  Moments m = Sample(tg_init_glorot_uniform(), 1, 16);
  EXPECT_LE(m.max, std::sqrt(6.0 / 17.0));
  EXPECT_GT(m.max, 0.59);
  EXPECT_GE(m.min, -std::sqrt(6.0 / 17.0));
}

TEST(InitializersTest, DefaultKindFillsLikeGlorotUniform) {
  std::vector<float> a(64), b(64);
  tg_rng r1, r2;
  tg_rng_seed(&r1, 3);
  tg_rng_seed(&r2, 3);
  tg_initializer d = tg_init_of_kind(TG_INIT_DEFAULT), g = tg_init_glorot_uniform();
  ASSERT_EQ(tg_initializer_fill(&d, a.data(), 64, 8, 8, &r1, nullptr), TG_OK);
  ASSERT_EQ(tg_initializer_fill(&g, b.data(), 64, 8, 8, &r2, nullptr), TG_OK);
  EXPECT_EQ(a, b);
}

TEST(InitializersTest, RandomUniformDefaultsAndRange) {
  ExpectDistribution(Sample(tg_init_of_kind(TG_INIT_RANDOM_UNIFORM), 1, 1), -0.05, 0.05, 0.0,
                     0.1 * 0.1 / 12.0);
  tg_initializer u = {TG_INIT_RANDOM_UNIFORM, 0.0f, 1.0f, 3.0f, 0.0f, 0.0f};
  ExpectDistribution(Sample(u, 1, 1), 1.0, 3.0, 2.0, 4.0 / 12.0);
}

TEST(InitializersTest, RandomNormalDefaultsAndParameters) {
  ExpectDistribution(Sample(tg_init_of_kind(TG_INIT_RANDOM_NORMAL), 1, 1), -1.0, 1.0, 0.0, 0.0025);
  tg_initializer n = {TG_INIT_RANDOM_NORMAL, 0.0f, 0.0f, 0.0f, 2.0f, 0.5f};
  ExpectDistribution(Sample(n, 1, 1), -1.0, 5.0, 2.0, 0.25);
}

TEST(InitializersTest, TruncatedNormalStaysWithinTwoStddev) {
  // Keras' TruncatedNormal keeps stddev as given: the variance shrinks by kTrunc².
  tg_initializer t = {TG_INIT_TRUNCATED_NORMAL, 0.0f, 0.0f, 0.0f, 1.0f, 0.2f};
  ExpectDistribution(Sample(t, 1, 1), 0.6, 1.4, 1.0, 0.04 * kTrunc * kTrunc);
  ExpectDistribution(Sample(tg_init_of_kind(TG_INIT_TRUNCATED_NORMAL), 1, 1), -0.1, 0.1, 0.0,
                     0.0025 * kTrunc * kTrunc);
}

TEST(InitializersTest, ConstantsAreExact) {
  float v[5];
  tg_initializer z = tg_init_zeros(), o = tg_init_ones(), c = tg_init_constant(-0.25f);
  ASSERT_EQ(tg_initializer_fill(&z, v, 5, 1, 1, nullptr, nullptr), TG_OK);  // no rng needed
  for (float x : v) EXPECT_EQ(x, 0.0f);
  ASSERT_EQ(tg_initializer_fill(&o, v, 5, 1, 1, nullptr, nullptr), TG_OK);
  for (float x : v) EXPECT_EQ(x, 1.0f);
  ASSERT_EQ(tg_initializer_fill(&c, v, 5, 0, 0, nullptr, nullptr), TG_OK);  // fans unused
  for (float x : v) EXPECT_EQ(x, -0.25f);
}

TEST(InitializersTest, SameSeedSameValuesOtherSeedOtherValues) {
  for (int k = TG_INIT_RANDOM_UNIFORM; k < TG_INIT_KIND_COUNT; ++k) {
    SCOPED_TRACE(tg_init_kind_name(static_cast<tg_init_kind>(k)));
    tg_initializer init = tg_init_of_kind(static_cast<tg_init_kind>(k));
    std::vector<float> a(100), b(100), c(100);
    tg_rng r;
    tg_rng_seed(&r, 11);
    ASSERT_EQ(tg_initializer_fill(&init, a.data(), 100, 10, 10, &r, nullptr), TG_OK);
    tg_rng_seed(&r, 11);
    ASSERT_EQ(tg_initializer_fill(&init, b.data(), 100, 10, 10, &r, nullptr), TG_OK);
    tg_rng_seed(&r, 12);
    ASSERT_EQ(tg_initializer_fill(&init, c.data(), 100, 10, 10, &r, nullptr), TG_OK);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
  }
}

std::string FillError(tg_initializer init, int64_t n, int64_t fan_in, int64_t fan_out,
                      bool with_rng = true) {
  float v[4];
  tg_rng r;
  tg_rng_seed(&r, 1);
  tg_error err = {};
  EXPECT_NE(tg_initializer_fill(&init, n ? v : nullptr, n, fan_in, fan_out, with_rng ? &r : nullptr,
                                &err),
            TG_OK);
  return err.message;
}

TEST(InitializersTest, ErrorMessages) {
  EXPECT_EQ(FillError(tg_init_glorot_uniform(), 4, 0, 16),
            "tg_initializer_fill: glorot_uniform needs fan_in and fan_out >= 1, got 0 and 16");
  EXPECT_EQ(FillError(tg_init_of_kind(static_cast<tg_init_kind>(99)), 4, 1, 1),
            "tg_initializer_fill: unknown initializer kind 99");
  EXPECT_EQ(FillError({TG_INIT_RANDOM_UNIFORM, 0.0f, 2.0f, 1.0f, 0.0f, 0.0f}, 4, 1, 1),
            "tg_initializer_fill: random_uniform minval 2 > maxval 1");
  EXPECT_EQ(FillError({TG_INIT_RANDOM_NORMAL, 0.0f, 0.0f, 0.0f, 0.0f, -1.0f}, 4, 1, 1),
            "tg_initializer_fill: random_normal stddev must be >= 0, got -1");
  EXPECT_EQ(FillError(tg_init_constant(NAN), 4, 1, 1),
            "tg_initializer_fill: constant parameters must be finite");
  EXPECT_EQ(FillError(tg_init_of_kind(TG_INIT_HE_NORMAL), 4, 1, 1, false),
            "tg_initializer_fill: rng is NULL for he_normal");
  tg_initializer z = tg_init_zeros();
  EXPECT_EQ(tg_initializer_fill(&z, nullptr, 0, 1, 1, nullptr, nullptr),
            TG_OK);  // n = 0: no data needed
}

TEST(InitializersTest, ParseNamesAndConstants) {
  tg_initializer out = {};
  ASSERT_EQ(tg_initializer_parse("he_normal", &out, nullptr), TG_OK);
  EXPECT_EQ(out.kind, TG_INIT_HE_NORMAL);
  ASSERT_EQ(tg_initializer_parse("constant:0.5", &out, nullptr), TG_OK);
  EXPECT_EQ(out.kind, TG_INIT_CONSTANT);
  EXPECT_EQ(out.value, 0.5f);
  for (int k = TG_INIT_ZEROS; k < TG_INIT_KIND_COUNT; ++k) {
    if (k == TG_INIT_CONSTANT) continue;
    ASSERT_EQ(tg_initializer_parse(tg_init_kind_name(static_cast<tg_init_kind>(k)), &out, nullptr),
              TG_OK);
    EXPECT_EQ(out.kind, k);
  }
  tg_error err = {};
  EXPECT_EQ(tg_initializer_parse("constant:abc", &out, &err), TG_ERR_PARSE);
  EXPECT_STREQ(
      err.message,
      "tg_initializer_parse: \"constant:abc\": constant needs a finite number, e.g. constant:0.5");
  err = {};
  EXPECT_EQ(tg_initializer_parse("glorot", &out, &err), TG_ERR_PARSE);
  EXPECT_STREQ(
      err.message,
      "tg_initializer_parse: unknown initializer \"glorot\"; expected zeros, ones, constant:V, "
      "random_uniform, random_normal, truncated_normal, glorot_uniform, glorot_normal, "
      "he_uniform, he_normal, lecun_uniform or lecun_normal");
}

}  // namespace
