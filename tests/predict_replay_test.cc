// tests/predict_replay_test.cc — tg_model_predict replaying its recording
// (frontends/training.c): a call for the recorded number of rows skips the checks
// the recording passed, so these tests pin down that it still rejects every bad
// argument with the message a fresh model gives, that changing the model after a
// predict records again, that a replay failing on its data reports it and leaves the
// model usable, and that replayed predictions equal freshly recorded ones bit for
// bit (two inputs, every activation, values sharing buffers).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "frontends/model.h"
#include "frontends/seed_problem.h"
}

namespace {

tg_model* Seed() {
  tg_error err = {};
  tg_model* m = tg_seed_model_new(nullptr, 3, nullptr, &err);
  EXPECT_NE(m, nullptr) << err.message;
  return m;
}

struct Outcome {
  tg_status status;
  std::string message;
};

// What each bad call gives on a model `m` (1 input, 2 outputs).
std::vector<Outcome> BadCalls(tg_model* m) {
  float x[2] = {0.5f, 0.25f}, out[4] = {0};
  const float* xs[2] = {x, x};
  const float* none[1] = {nullptr};
  std::vector<Outcome> r;
  auto keep = [&](tg_status st) { r.push_back({st, tg_model_message(m)}); };
  keep(tg_model_predict(m, nullptr, 1, out, 2));
  keep(tg_model_predict(m, x, 1, nullptr, 2));
  keep(tg_model_predict(m, x, 1, out, 1));
  keep(tg_model_predict(m, x, 0, out, 2));
  keep(tg_model_predict_multi(m, xs, 2, 1, out, 2));
  keep(tg_model_predict_multi(m, none, 1, 1, out, 2));
  keep(tg_model_predict_multi(m, nullptr, 1, 1, out, 2));
  return r;
}

TEST(PredictReplayTest, BadArgumentsAfterARecordedPredictGetTheErrorsOfAFreshModel) {
  tg_model* fresh = Seed();
  tg_model* used = Seed();
  float x[1] = {0.5f}, out[2], again[2];
  ASSERT_EQ(tg_model_predict(used, x, 1, out, 2), TG_OK) << tg_model_message(used);
  const std::vector<Outcome> a = BadCalls(fresh), b = BadCalls(used);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NE(a[i].status, TG_OK) << i;
    EXPECT_EQ(a[i].status, b[i].status) << i;
    EXPECT_EQ(a[i].message, b[i].message) << i;
  }
  EXPECT_EQ(a[0].message, "tg_model_predict: x is NULL");
  EXPECT_EQ(a[1].message, "tg_model_predict: out is NULL");
  EXPECT_EQ(a[2].message, "tg_model_predict: out holds 1 floats but 1 rows of 2 outputs need 2");
  EXPECT_EQ(a[3].message, "tg_model_predict: n must be >= 1, got 0");
  EXPECT_EQ(a[4].message, "tg_model_predict: the model takes 1 input but 2 were given");
  EXPECT_EQ(a[5].message, "tg_model_predict: x is NULL");
  EXPECT_EQ(a[6].message, "tg_model_predict: x is NULL");
  // The rejected calls left the recording usable: the same row gives the same bits.
  ASSERT_EQ(tg_model_predict(used, x, 1, again, 2), TG_OK);
  EXPECT_EQ(std::memcmp(out, again, sizeof out), 0);
  tg_model_free(fresh);
  tg_model_free(used);
}

TEST(PredictReplayTest, AddingALayerAfterAPredictRecordsAgain) {
  tg_model_options o = {};
  o.input_dim = 1;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&o, &err);
  ASSERT_NE(m, nullptr) << err.message;
  tg_dense_options d = {};
  d.units = 2;
  d.kernel_init = tg_init_constant(2.0f);
  d.bias_init = tg_init_constant(1.0f);
  ASSERT_EQ(tg_model_add_dense(m, d), TG_OK);
  float x[1] = {0.5f}, out[3] = {0, 0, 0};
  ASSERT_EQ(tg_model_predict(m, x, 1, out, 2), TG_OK);
  EXPECT_EQ(out[0], 2.0f);  // 0.5 * 2 + 1
  EXPECT_EQ(out[1], 2.0f);
  d.units = 3;
  d.kernel_init = tg_init_constant(0.5f);
  d.bias_init = tg_init_constant(-1.0f);
  ASSERT_EQ(tg_model_add_dense(m, d), TG_OK);
  // The same row count as the recorded predict, but the output is now 3 wide.
  EXPECT_EQ(tg_model_predict(m, x, 1, out, 2), TG_ERR_SHAPE);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_predict: out holds 2 floats but 1 rows of 3 outputs need 3");
  ASSERT_EQ(tg_model_predict(m, x, 1, out, 3), TG_OK) << tg_model_message(m);
  for (int j = 0; j < 3; ++j) EXPECT_EQ(out[j], 1.0f) << j;  // (2 + 2) * 0.5 - 1
  tg_model_free(m);
}

TEST(PredictReplayTest, AReplayThatFailsOnItsDataReportsItAndTheNextCallRecordsAgain) {
  tg_model_options o = {};
  o.input_dim = 1;
  o.seed = 4;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&o, &err);
  ASSERT_NE(m, nullptr) << err.message;
  tg_embedding_options e = {};
  e.input_dim = 4;
  e.output_dim = 3;
  ASSERT_EQ(tg_model_add(m, &tg_layer_embedding, &e), TG_OK) << tg_model_message(m);
  float id = 1.0f, row1[3], bad = 7.0f, junk[3], two = 2.0f, row2[3];
  ASSERT_EQ(tg_model_predict(m, &id, 1, row1, 3), TG_OK) << tg_model_message(m);
  // The replay's forward finds the id outside the table.
  EXPECT_EQ(tg_model_predict(m, &bad, 1, junk, 3), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_predict: gather: index 7 out of range for 4 rows (at position 0)");
  // The next call records afresh and gives the rows a fresh model gives.
  ASSERT_EQ(tg_model_predict(m, &two, 1, row2, 3), TG_OK) << tg_model_message(m);
  ASSERT_EQ(tg_model_predict(m, &id, 1, junk, 3), TG_OK);
  EXPECT_EQ(std::memcmp(junk, row1, sizeof row1), 0);
  tg_model* f = tg_sequential_new(&o, &err);
  ASSERT_NE(f, nullptr) << err.message;
  ASSERT_EQ(tg_model_add(f, &tg_layer_embedding, &e), TG_OK);
  ASSERT_EQ(tg_model_predict(f, &two, 1, junk, 3), TG_OK);
  EXPECT_EQ(std::memcmp(junk, row2, sizeof row2), 0);
  EXPECT_NE(std::memcmp(row1, row2, sizeof row1), 0);  // two different rows of the table
  tg_model_free(f);
  tg_model_free(m);
}

std::vector<float> Uniform(tg_rng* rng, int n) {
  std::vector<float> v(n);
  for (float& f : v) f = tg_rng_uniform(rng) * 2.0f - 1.0f;
  return v;
}

// Two inputs through a shared Dense, Add, every activation as its own layer, and a
// ReLU Dense: a predict tape whose values share buffers in many ways.
tg_model* EveryActivation() {
  tg_model_options mo = {};
  mo.seed = 6;
  tg_error err = {};
  tg_model* m = tg_functional_new(&mo, &err);
  EXPECT_NE(m, nullptr) << err.message;
  const int64_t shape[1] = {6};
  tg_sym a = tg_model_input(m, 1, shape), b = tg_model_input(m, 1, shape);
  tg_dense_options d = {};
  d.units = 8;
  tg_layer* shared = tg_model_dense(m, d);
  tg_sym uses[2] = {tg_model_call1(m, shared, a), tg_model_call1(m, shared, b)};
  tg_sym h = tg_model_call(m, tg_model_merge_add(m), uses, 2);
  for (int act = 0; act < TG_ACT_COUNT; ++act)
    h = tg_model_call1(m, tg_model_activation(m, static_cast<tg_activation>(act)), h);
  d.units = 3;
  d.activation = TG_ACT_RELU;
  h = tg_model_call1(m, tg_model_dense(m, d), h);
  tg_sym ins[2] = {a, b};
  EXPECT_EQ(tg_model_set_io(m, ins, 2, h), TG_OK) << tg_model_message(m);
  return m;
}

// Model r replays: every call has the recorded row count. Model f records afresh
// before each call (a call with another row count in between). Same weights.
void ExpectReplaysEqualFreshRecordings(tg_model* r, tg_model* f, int n_inputs, int64_t width,
                                       int64_t outs) {
  tg_rng rng;
  tg_rng_seed(&rng, 11);
  const std::vector<float> other = Uniform(&rng, static_cast<int>(2 * width));
  for (int call = 0; call < 20; ++call) {
    const int64_t rows = call < 10 ? 1 : 5;
    std::vector<std::vector<float>> x;
    const float* xs[2];
    const float* os[2];
    for (int k = 0; k < n_inputs; ++k) {
      x.push_back(Uniform(&rng, static_cast<int>(rows * width)));
      xs[k] = x[k].data();
      os[k] = other.data();
    }
    std::vector<float> pr(rows * outs), pf(rows * outs), junk(2 * outs);
    ASSERT_EQ(tg_model_predict_multi(r, xs, n_inputs, rows, pr.data(), rows * outs), TG_OK)
        << tg_model_message(r);
    ASSERT_EQ(tg_model_predict_multi(f, os, n_inputs, 2, junk.data(), 2 * outs), TG_OK);
    ASSERT_EQ(tg_model_predict_multi(f, xs, n_inputs, rows, pf.data(), rows * outs), TG_OK);
    EXPECT_EQ(std::memcmp(pr.data(), pf.data(), pr.size() * sizeof(float)), 0) << call;
  }
}

TEST(PredictReplayTest, ReplayedPredictionsEqualFreshRecordingsBitForBit) {
  tg_model* r = Seed();
  tg_model* f = Seed();
  ExpectReplaysEqualFreshRecordings(r, f, 1, 1, TG_SEED_OUTPUTS);
  tg_model_free(r);
  tg_model_free(f);
  r = EveryActivation();
  f = EveryActivation();
  ExpectReplaysEqualFreshRecordings(r, f, 2, 6, 3);
  tg_model_free(r);
  tg_model_free(f);
}

}  // namespace
