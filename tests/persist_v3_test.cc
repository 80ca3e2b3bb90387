// tests/persist_v3_test.cc — version 3 of the model file: the metrics a model was
// compiled with travel with it, so a resumed fit reports (and callbacks monitor) what
// the original did; a version-2 file written by the tapegrad of commit dfe9f96
// (tests/fixtures/model_v2.tgm, made by tests/fixtures/make_v2_model.c; the command
// is in that file) still loads, without metrics, trains on exactly as its writer
// would have, and gets its metrics back without losing Adam's state; the version-2
// writer reproduces that file byte for byte; damaged metric sections are refused
// with the byte and the reason.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/persist_test_util.h"

extern "C" {
#include "frontends/fit.h"
#include "frontends/model.h"
#include "frontends/persist.h"
}

namespace {

using namespace tgtest;

// make_v2_model.c's rows: class = which of the first three features is largest.
struct Rows {
  float x[80], y[20];
  Rows() {
    for (int i = 0; i < 20; ++i) {
      int best = 0;
      for (int j = 0; j < 4; ++j) x[i * 4 + j] = static_cast<float>((i * 7 + j * 5) % 11) / 11.0f;
      for (int j = 1; j < 3; ++j)
        if (x[i * 4 + j] > x[i * 4 + best]) best = j;
      y[i] = static_cast<float>(best);
    }
  }
};

// make_v2_model.c's model, compiled (with `metrics`, none in the fixture).
tg_model* Model(const char* const* metrics = nullptr, int n_metrics = 0) {
  tg_model_options mo = {};
  mo.input_dim = 4;
  mo.seed = 4;
  tg_model* m = tg_sequential_new(&mo, nullptr);
  EXPECT_EQ(tg_model_add_dense(m, Dense(8, TG_ACT_RELU)), TG_OK);
  tg_dropout_layer_options drop = {};
  drop.rate = 0.25f;
  EXPECT_EQ(tg_model_add(m, &tg_layer_dropout, &drop), TG_OK);
  EXPECT_EQ(tg_model_add_dense(m, Dense(3, TG_ACT_SOFTMAX)), TG_OK);
  tg_loss loss = {};
  loss.kind = TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
  EXPECT_EQ(tg_model_compile_metrics(m, loss, nullptr, metrics, n_metrics), TG_OK)
      << tg_model_message(m);
  return m;
}

tg_fit_options Epochs(int epochs, tg_history* h = nullptr) {
  tg_fit_options fo = {};
  fo.epochs = epochs;
  fo.batch_size = 8;
  fo.no_doctor = true;
  fo.history = h;
  return fo;
}

std::vector<float> Params(tg_model* m) {
  const float* p = tg_model_param_values(m);
  return std::vector<float>(p, p + tg_model_param_size(m));
}

Bytes SaveBytesV2(const tg_model* m, tg_error* err) {
  Bytes b(tg_model_save_buffer_v2(m, nullptr, 0, err));
  if (!b.empty()) {
    EXPECT_EQ(tg_model_save_buffer_v2(m, b.data(), b.size(), err), b.size());
  }
  return b;
}

tg_model* Load(const Bytes& b, tg_error* err) {
  return tg_model_load_buffer(b.data(), b.size(), nullptr, err);
}

const char* const kMetrics[2] = {"accuracy", "sparse_top_k_categorical_accuracy"};

TEST(PersistV3Test, TheVersion2FixtureLoadsAndTrainsOnAsItsWriterWould) {
  const std::string file = ReadFile("tests/fixtures/model_v2.tgm");
  const Bytes fixture(file.begin(), file.end());
  ASSERT_EQ(fixture.size(), 1534u);
  ASSERT_EQ(Get32(fixture, 8), 2u);
  tg_error err = {};
  tg_model* loaded = Load(fixture, &err);
  ASSERT_NE(loaded, nullptr) << err.message;
  EXPECT_EQ(tg_model_metric_count(loaded), 0);  // version 2 has no place for them
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(loaded)), 9);  // 3 epochs of 3 steps

  // Today's code, the writer's steps: the same model, streams and optimizer state,
  // which the version-2 writer turns into the fixture's bytes.
  const Rows r;
  tg_model* rebuilt = Model();
  tg_fit_options fo = Epochs(3);
  ASSERT_EQ(tg_model_fit(rebuilt, r.x, 20, r.y, &fo), TG_OK) << tg_model_message(rebuilt);
  EXPECT_EQ(SaveBytesV2(rebuilt, &err), fixture) << err.message;
  EXPECT_EQ(SaveBytesV2(loaded, &err), fixture) << err.message;
  EXPECT_EQ(SaveBytes(loaded), SaveBytes(rebuilt));
  EXPECT_EQ(Get32(SaveBytes(loaded), 8), 3u);

  // Shuffles, dropout masks and Adam steps carry on alike.
  fo = Epochs(5);
  fo.initial_epoch = 3;
  ASSERT_EQ(tg_model_fit(loaded, r.x, 20, r.y, &fo), TG_OK) << tg_model_message(loaded);
  ASSERT_EQ(tg_model_fit(rebuilt, r.x, 20, r.y, &fo), TG_OK);
  const std::vector<float> a = Params(loaded), b = Params(rebuilt);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  tg_model_free(rebuilt);
  tg_model_free(loaded);
}

// The metrics section of a compiled model: after the optimizer state, at the end.
TEST(PersistV3Test, TheMetricNamesEndTheFile) {
  tg_model* m = Model(kMetrics, 2);
  const Bytes b = SaveBytes(m);
  tg_model* bare = Model();
  const Bytes without = SaveBytes(bare);
  // The same payload up to the metric count, then the count and the two names.
  const std::string tail = std::string("\x02\0\0\0", 4) + std::string("\x08\0", 2) + "accuracy" +
                           std::string("\x21\0", 2) + "sparse_top_k_categorical_accuracy";
  ASSERT_EQ(b.size(), without.size() + tail.size() - 4);
  EXPECT_EQ(Get32(without, without.size() - 4), 0u);
  EXPECT_EQ(std::string(b.end() - tail.size(), b.end()), tail);
  EXPECT_TRUE(std::equal(without.begin() + 24, without.end() - 4, b.begin() + 24));
  tg_model_free(bare);
  tg_model_free(m);
}

// fit(2) + save + load + fit(2 more) is fit(4), History included: the same keys (the
// metrics came back from the file) and the same values, bit for bit.
TEST(PersistV3Test, AResumedFitReportsTheSavedMetrics) {
  const Rows r;
  tg_history* whole = tg_history_new(nullptr);
  tg_model* m = Model(kMetrics, 2);
  tg_fit_options fo = Epochs(4, whole);
  ASSERT_EQ(tg_model_fit(m, r.x, 20, r.y, &fo), TG_OK) << tg_model_message(m);
  tg_model_free(m);

  m = Model(kMetrics, 2);
  fo = Epochs(2);
  ASSERT_EQ(tg_model_fit(m, r.x, 20, r.y, &fo), TG_OK);
  tg_error err = {};
  tg_model* back = Load(SaveBytes(m), &err);
  ASSERT_NE(back, nullptr) << err.message;
  tg_model_free(m);
  ASSERT_EQ(tg_model_metric_count(back), 2);
  EXPECT_STREQ(tg_model_metric_name(back, 0), "accuracy");
  EXPECT_STREQ(tg_model_metric_name(back, 1), "sparse_top_k_categorical_accuracy");
  tg_history* rest = tg_history_new(nullptr);
  fo = Epochs(4, rest);
  fo.initial_epoch = 2;
  ASSERT_EQ(tg_model_fit(back, r.x, 20, r.y, &fo), TG_OK) << tg_model_message(back);
  ASSERT_EQ(tg_history_epochs(rest), 2);
  ASSERT_EQ(tg_history_key_count(rest), 3);
  for (const char* key : {"loss", "accuracy", "sparse_top_k_categorical_accuracy"}) {
    const double* w = tg_history_values(whole, key);
    const double* g = tg_history_values(rest, key);
    ASSERT_NE(w, nullptr) << key;
    ASSERT_NE(g, nullptr) << key;
    EXPECT_EQ(std::memcmp(w + 2, g, 2 * sizeof(double)), 0) << key;
  }
  tg_history_free(rest);
  tg_history_free(whole);
  tg_model_free(back);
}

TEST(PersistV3Test, SetMetricsGivesALoadedModelItsMetricsAndKeepsAdamsState) {
  const Rows r;
  tg_model* m = Model();
  tg_fit_options fo = Epochs(2);
  ASSERT_EQ(tg_model_fit(m, r.x, 20, r.y, &fo), TG_OK);
  tg_error err = {};
  tg_model* back = Load(SaveBytesV2(m, &err), &err);
  ASSERT_NE(back, nullptr) << err.message;
  ASSERT_EQ(tg_model_set_metrics(back, kMetrics, 1), TG_OK) << tg_model_message(back);
  ASSERT_EQ(tg_model_set_metrics(m, kMetrics, 1), TG_OK);
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(back)), 6);
  EXPECT_EQ(SaveBytes(back), SaveBytes(m));
  // Twice is a replacement, not an addition; a bad list leaves the metrics as they were.
  ASSERT_EQ(tg_model_set_metrics(back, kMetrics, 1), TG_OK);
  EXPECT_EQ(tg_model_metric_count(back), 1);
  const char* bad[2] = {"accuracy", "mae"};
  EXPECT_EQ(tg_model_set_metrics(back, bad, 2), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(back),
               "tg_model_set_metrics: metric 'mae' does not fit the loss "
               "sparse_categorical_crossentropy: its targets are class labels, not rows of the "
               "output's 3 values");
  EXPECT_EQ(tg_model_metric_count(back), 1);
  EXPECT_EQ(tg_model_set_metrics(back, nullptr, 0), TG_OK);
  EXPECT_EQ(tg_model_metric_count(back), 0);

  tg_model_options mo = {};
  mo.input_dim = 4;
  tg_model* raw = tg_sequential_new(&mo, nullptr);
  ASSERT_EQ(tg_model_add_dense(raw, Dense(3, TG_ACT_SOFTMAX)), TG_OK);
  EXPECT_EQ(tg_model_set_metrics(raw, kMetrics, 1), TG_ERR_STATE);
  EXPECT_STREQ(tg_model_message(raw),
               "tg_model_set_metrics: compile the model first (the metrics depend on its loss)");
  EXPECT_EQ(tg_model_set_metrics(nullptr, kMetrics, 1), TG_ERR_NULL_ARG);
  tg_model_free(raw);
  tg_model_free(back);
  tg_model_free(m);
}

TEST(PersistV3Test, TheVersion2WriterRefusesMetrics) {
  tg_model* m = Model(kMetrics, 2);
  tg_error err = {};
  EXPECT_EQ(tg_model_save_buffer_v2(m, nullptr, 0, &err), 0u);
  EXPECT_EQ(err.code, TG_ERR_ARG);
  EXPECT_STREQ(err.message,
               "tg_model_save_buffer_v2: version 2 holds no metrics, and the model is compiled "
               "with 2 ('accuracy', ...)");
  err = {};
  EXPECT_EQ(tg_model_save_buffer_v2(nullptr, nullptr, 0, &err), 0u);
  EXPECT_STREQ(err.message, "tg_model_save_buffer_v2: model is NULL");
  tg_model_free(m);
}

TEST(PersistV3Test, DamagedMetricsAreRefusedWithTheByteAndTheReason) {
  tg_model* m = Model(kMetrics, 1);
  const Bytes good = SaveBytes(m);
  tg_model_free(m);
  const size_t count_at = good.size() - 14;  // u32 count, u16 length, "accuracy"
  ASSERT_EQ(Get32(good, count_at), 1u);
  struct Case {
    const char* name;  // replaces "accuracy" (the same length)
    uint32_t count;
    tg_status code;
    std::string message;
  } cases[] = {
      {"accuracx", 1, TG_ERR_ARG,
       "byte " + std::to_string(count_at + 4) +
           ": the saved metrics: tg_metric_from_name: unknown metric 'accuracx'"},
      {"mse\0\0\0\0\0", 1, TG_ERR_PARSE,
       "byte " + std::to_string(count_at + 4) + ": a metric's name holds a NUL byte"},
      {"accuracy", 9, TG_ERR_PARSE,
       "byte " + std::to_string(count_at) +
           ": the metric count is 9, more than this tapegrad supports"},
      {"accuracy", 2, TG_ERR_PARSE,
       "truncated at byte " + std::to_string(good.size()) +
           ": expected a metric's name (2 bytes) but the payload ends at byte " +
           std::to_string(good.size())},
  };
  for (const Case& c : cases) {
    Bytes b = good;
    Put32(b, count_at, c.count);
    std::memcpy(&b[count_at + 6], c.name, 8);
    FixHeader(b);
    tg_error err = {};
    tg_model* x = Load(b, &err);
    EXPECT_EQ(x, nullptr) << c.message;
    tg_model_free(x);
    EXPECT_EQ(err.code, c.code) << c.message;
    EXPECT_EQ(std::string(err.message), "tg_model_load_buffer: " + c.message);
  }
}

}  // namespace
