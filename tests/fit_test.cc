// fit as Keras users expect it: metrics chosen by the loss, sparse labels, validation
// data, the shuffle order continuing across fits and across save/load, initial_epoch,
// sample and class weights, the History, progress lines.
#include "frontends/fit.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/rng.h"
#include "frontends/model.h"
#include "frontends/persist.h"

namespace {

// A 3-class problem: 4 features, class = argmax of the first three features.
struct Blobs {
  std::vector<float> x, labels, onehot;
  int n;
  explicit Blobs(int rows, uint64_t seed = 5) : n(rows) {
    tg_rng r;
    tg_rng_seed(&r, seed);
    for (int i = 0; i < rows; ++i) {
      int best = 0;
      float v[4];
      for (int j = 0; j < 4; ++j) v[j] = tg_rng_uniform(&r);
      for (int j = 1; j < 3; ++j)
        if (v[j] > v[best]) best = j;
      x.insert(x.end(), v, v + 4);
      labels.push_back(static_cast<float>(best));
      for (int c = 0; c < 3; ++c) onehot.push_back(c == best ? 1.0f : 0.0f);
    }
  }
};

tg_model* Classifier(uint64_t seed, bool dropout, tg_activation out = TG_ACT_SOFTMAX) {
  tg_model_options mo = {};
  mo.input_dim = 4;
  mo.seed = seed;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&mo, &err);
  tg_dense_options d = {};
  d.units = 8;
  d.activation = TG_ACT_RELU;
  EXPECT_EQ(tg_model_add_dense(m, d), TG_OK);
  if (dropout) {
    tg_dropout_layer_options o = {};
    o.rate = 0.25f;
    EXPECT_EQ(tg_model_add(m, &tg_layer_dropout, &o), TG_OK) << tg_model_message(m);
  }
  tg_dense_options o = {};
  o.units = 3;
  o.activation = out;
  EXPECT_EQ(tg_model_add_dense(m, o), TG_OK);
  return m;
}

tg_loss Loss(tg_loss_kind k, bool logits = false) {
  tg_loss l = {};
  l.kind = k;
  l.from_logits = logits;
  return l;
}

std::vector<float> Params(tg_model* m) {
  const float* p = tg_model_param_values(m);
  return std::vector<float>(p, p + tg_model_param_size(m));
}

TEST(FitTest, CompileNamesTheAccuracyTheLossCallsFor) {
  const char* acc[] = {"accuracy"};
  tg_model* m = Classifier(1, false);
  ASSERT_EQ(
      tg_model_compile_metrics(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr, acc, 1),
      TG_OK)
      << tg_model_message(m);
  ASSERT_EQ(tg_model_metric_count(m), 1);
  EXPECT_STREQ(tg_model_metric_name(m, 0), "accuracy");
  // The values are those of the sparse accuracy: checked against predict below.
  Blobs b(60);
  tg_evaluation ev = {};
  ASSERT_EQ(tg_model_evaluate_metrics(m, b.x.data(), b.n, b.labels.data(), nullptr, &ev), TG_OK)
      << tg_model_message(m);
  std::vector<float> p(b.n * 3);
  ASSERT_EQ(tg_model_predict(m, b.x.data(), b.n, p.data(), p.size()), TG_OK);
  int right = 0;
  for (int i = 0; i < b.n; ++i) {
    int best = 0;
    for (int c = 1; c < 3; ++c)
      if (p[i * 3 + c] > p[i * 3 + best]) best = c;
    right += best == static_cast<int>(b.labels[i]);
  }
  EXPECT_DOUBLE_EQ(ev.metrics[0], right / 60.0);
  EXPECT_STREQ(ev.names[0], "accuracy");
  float loss = 0;
  ASSERT_EQ(tg_model_evaluate(m, b.x.data(), b.n, b.labels.data(), &loss), TG_OK);
  EXPECT_NEAR(ev.loss, loss, 1e-6);  // batches of 32 and 28 rows, weighted by rows
  tg_model_free(m);
}

TEST(FitTest, MetricsThatDoNotFitTheLossAreErrors) {
  tg_model* m = Classifier(1, false);
  const char* mae[] = {"mae"};
  EXPECT_EQ(
      tg_model_compile_metrics(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr, mae, 1),
      TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_compile_metrics: metric 'mae' does not fit the loss "
               "sparse_categorical_crossentropy: its targets are class labels, not rows of the "
               "output's 3 values");
  const char* sparse[] = {"sparse_categorical_accuracy"};
  EXPECT_EQ(tg_model_compile_metrics(m, Loss(TG_LOSS_CATEGORICAL_CROSSENTROPY), nullptr, sparse, 1),
            TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_compile_metrics: metric 'sparse_categorical_accuracy' takes class labels "
               "but the loss categorical_crossentropy takes targets of the output's shape (use "
               "categorical_accuracy or sparse_categorical_crossentropy)");
  const char* unknown[] = {"f1"};
  EXPECT_EQ(tg_model_compile_metrics(m, Loss(TG_LOSS_MSE), nullptr, unknown, 1), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_compile_metrics: tg_metric_from_name: unknown metric 'f1'");
  EXPECT_EQ(tg_model_metric_count(m), 0);
  tg_model_free(m);
}

TEST(FitTest, SoftmaxOutputWithFromLogitsIsAnError) {
  tg_model* m = Classifier(1, false);
  EXPECT_EQ(tg_model_compile(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true), nullptr),
            TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_compile: the output layer dense_2 ends with softmax but the loss "
               "sparse_categorical_crossentropy is from_logits: it would apply softmax twice "
               "(drop the softmax or set from_logits = false)");
  tg_model_free(m);
  tg_model* l = Classifier(1, false, TG_ACT_LINEAR);
  EXPECT_EQ(tg_model_compile(l, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true), nullptr),
            TG_OK);
  tg_model_free(l);
}

TEST(FitTest, LabelsOutsideTheClassesAreErrorsNamingTheRow) {
  tg_model* m = Classifier(1, false);
  ASSERT_EQ(tg_model_compile(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr), TG_OK);
  Blobs b(10);
  b.labels[7] = 3.0f;
  tg_fit_options fo = {};
  fo.no_doctor = true;
  const std::vector<float> before = Params(m);
  EXPECT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_fit: y[7] = 3 is not a class of the model's output (3 classes)");
  EXPECT_EQ(before, Params(m));  // nothing trained
  b.labels[7] = 1.5f;
  float loss;
  EXPECT_EQ(tg_model_train_on_batch(m, b.x.data(), b.n, b.labels.data(), &loss), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_train_on_batch: y[7] = 1.5 is not a class of the model's output (3 "
               "classes)");
  tg_model_free(m);
}

TEST(FitTest, SparseLabelsTrainLikeOneHotTargets) {
  // sparse_categorical_crossentropy on labels and categorical_crossentropy on the same
  // labels one-hot give the same loss; both learn the blobs.
  Blobs b(300);
  const char* acc[] = {"accuracy"};
  tg_model* s = Classifier(2, false);
  tg_model* c = Classifier(2, false);
  ASSERT_EQ(
      tg_model_compile_metrics(s, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr, acc, 1),
      TG_OK);
  ASSERT_EQ(tg_model_compile_metrics(c, Loss(TG_LOSS_CATEGORICAL_CROSSENTROPY), nullptr, acc, 1),
            TG_OK);
  float ls = 0, lc = 0;
  ASSERT_EQ(tg_model_evaluate(s, b.x.data(), b.n, b.labels.data(), &ls), TG_OK);
  ASSERT_EQ(tg_model_evaluate(c, b.x.data(), b.n, b.onehot.data(), &lc), TG_OK);
  EXPECT_NEAR(ls, lc, 1e-6);
  tg_history* h = tg_history_new(nullptr);
  tg_fit_options fo = {};
  fo.epochs = 60;
  fo.batch_size = 30;
  fo.history = h;
  tg_optimizer_options adam = {};
  adam.lr = 0.01f;
  ASSERT_EQ(
      tg_model_compile_metrics(s, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), &adam, acc, 1),
      TG_OK);
  ASSERT_EQ(tg_model_fit(s, b.x.data(), b.n, b.labels.data(), &fo), TG_OK) << tg_model_message(s);
  const double* a = tg_history_values(h, "accuracy");
  ASSERT_NE(a, nullptr);
  EXPECT_GT(a[59], 0.9);
  EXPECT_STREQ(tg_history_warnings(h), "");
  tg_history_free(h);
  tg_model_free(s);
  tg_model_free(c);
}

// fit(50) then fit(1) trains exactly as fit(51): the same shuffles (minibatches with
// a smaller last one), the same dropout masks, the same optimizer steps.
TEST(FitTest, FitThenFitIsOneFitBitForBit) {
  Blobs b(50);
  std::vector<float> one, two, three;
  for (int run = 0; run < 3; ++run) {
    tg_model* m = Classifier(3, true);
    ASSERT_EQ(tg_model_compile(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr), TG_OK);
    tg_fit_options fo = {};
    fo.batch_size = 16;
    fo.no_doctor = true;
    if (run == 0) {
      fo.epochs = 51;
      ASSERT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_OK);
      one = Params(m);
    } else {
      fo.epochs = 50;
      ASSERT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_OK);
      if (run == 1) {
        fo.epochs = 1;
      } else {  // Keras' form: epochs is where to stop, initial_epoch where to begin
        fo.epochs = 51;
        fo.initial_epoch = 50;
      }
      ASSERT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_OK);
      (run == 1 ? two : three) = Params(m);
    }
    tg_model_free(m);
  }
  ASSERT_EQ(one.size(), two.size());
  EXPECT_EQ(0, memcmp(one.data(), two.data(), one.size() * sizeof(float)));
  EXPECT_EQ(0, memcmp(one.data(), three.data(), one.size() * sizeof(float)));
}

// Across save/load: the file holds everything fit draws from and updates (the
// shuffle stream, the layers' stream that dropout's masks come from, Adam's moments
// and step count), so fit(50) + save + load into a new model + fit(1) trains as
// fit(51) did, bit for bit, through a file and through a buffer, with either way
// of asking for the 51st epoch.
TEST(FitTest, ResumeAfterSaveAndLoadIsBitForBit) {
  Blobs b(50);
  tg_fit_options fo = {};
  fo.batch_size = 16;  // 4 steps an epoch, the last of 2 rows
  fo.no_doctor = true;
  fo.epochs = 51;
  tg_model* m = Classifier(4, true);
  ASSERT_EQ(tg_model_compile(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr), TG_OK);
  ASSERT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_OK);
  const std::vector<float> want = Params(m);
  tg_model_free(m);

  m = Classifier(4, true);
  ASSERT_EQ(tg_model_compile(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr), TG_OK);
  fo.epochs = 50;
  ASSERT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_OK);
  const std::vector<float> after50 = Params(m);
  ASSERT_NE(0, memcmp(want.data(), after50.data(), want.size() * sizeof(float)));
  tg_error err = {};
  std::vector<unsigned char> file(1 << 16);
  const size_t size = tg_model_save_buffer(m, file.data(), file.size(), &err);
  ASSERT_GT(size, 0u) << err.message;
  ASSERT_LE(size, file.size());
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/fit_resume.tgm";
  ASSERT_EQ(tg_model_save(m, path.c_str(), &err), TG_OK) << err.message;
  tg_model_free(m);

  for (int how = 0; how < 2; ++how) {
    tg_model* back = how == 0 ? tg_model_load_buffer(file.data(), size, nullptr, &err)
                              : tg_model_load(path.c_str(), nullptr, &err);
    ASSERT_NE(back, nullptr) << err.message;
    if (how == 0) {
      fo.epochs = 1;
    } else {  // Keras' form: epochs is where to stop, initial_epoch where to begin
      fo.epochs = 51;
      fo.initial_epoch = 50;
    }
    ASSERT_EQ(tg_model_fit(back, b.x.data(), b.n, b.labels.data(), &fo), TG_OK)
        << tg_model_message(back);
    const std::vector<float> got = Params(back);
    ASSERT_EQ(want.size(), got.size());
    EXPECT_EQ(0, memcmp(want.data(), got.data(), want.size() * sizeof(float))) << how;
    tg_model_free(back);
  }
  std::remove(path.c_str());
}

// Without the file's streams the 51st epoch would differ: a loaded model whose
// streams are reset to a fresh model's shuffles and drops other rows (what the test
// above rules out is therefore observable).
TEST(FitTest, ResumeWithoutTheSavedStreamsDiffers) {
  Blobs b(50);
  tg_fit_options fo = {};
  fo.batch_size = 16;
  fo.no_doctor = true;
  fo.epochs = 51;
  tg_model* m = Classifier(4, true);
  ASSERT_EQ(tg_model_compile(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr), TG_OK);
  ASSERT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_OK);
  const std::vector<float> want = Params(m);
  tg_model_free(m);

  m = Classifier(4, true);
  ASSERT_EQ(tg_model_compile(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr), TG_OK);
  const tg_model_rng_state fresh = tg_model_rng_state_get(m);
  fo.epochs = 50;
  ASSERT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_OK);
  std::vector<unsigned char> file(1 << 16);
  tg_error err = {};
  const size_t size = tg_model_save_buffer(m, file.data(), file.size(), &err);
  ASSERT_GT(size, 0u) << err.message;
  tg_model_free(m);
  tg_model* back = tg_model_load_buffer(file.data(), size, nullptr, &err);
  ASSERT_NE(back, nullptr) << err.message;
  tg_model_rng_state_set(back, &fresh);
  fo.epochs = 1;
  ASSERT_EQ(tg_model_fit(back, b.x.data(), b.n, b.labels.data(), &fo), TG_OK);
  const std::vector<float> got = Params(back);
  EXPECT_NE(0, memcmp(want.data(), got.data(), want.size() * sizeof(float)));
  tg_model_free(back);
}

TEST(FitTest, ValidationDataAndHistoryHoldEveryQuantityPerEpoch) {
  Blobs train(64, 7), val(20, 8);
  tg_model* m = Classifier(5, false);
  const char* metrics[] = {"accuracy", "sparse_top_k_categorical_accuracy"};
  ASSERT_EQ(tg_model_compile_metrics(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr,
                                     metrics, 2),
            TG_OK)
      << tg_model_message(m);
  tg_history* h = tg_history_new(nullptr);
  std::vector<float> loss(4), val_loss(4);
  tg_fit_options fo = {};
  fo.epochs = 4;
  fo.batch_size = 16;
  fo.validation_x = val.x.data();
  fo.validation_y = val.labels.data();
  fo.validation_n = val.n;
  fo.history = h;
  fo.history_loss = loss.data();
  fo.history_val_loss = val_loss.data();
  ASSERT_EQ(tg_model_fit(m, train.x.data(), train.n, train.labels.data(), &fo), TG_OK)
      << tg_model_message(m);
  ASSERT_EQ(tg_history_epochs(h), 4);
  const char* keys[] = {"loss",     "accuracy",     "sparse_top_k_categorical_accuracy",
                        "val_loss", "val_accuracy", "val_sparse_top_k_categorical_accuracy"};
  ASSERT_EQ(tg_history_key_count(h), 6);
  for (int i = 0; i < 6; ++i) EXPECT_STREQ(tg_history_key(h, i), keys[i]);
  for (int e = 0; e < 4; ++e) {
    EXPECT_EQ(tg_history_epoch(h, e), e);
    EXPECT_EQ(static_cast<float>(tg_history_values(h, "loss")[e]), loss[e]);
    EXPECT_EQ(static_cast<float>(tg_history_values(h, "val_loss")[e]), val_loss[e]);
    EXPECT_DOUBLE_EQ(tg_history_values(h, "sparse_top_k_categorical_accuracy")[e], 1.0);  // k=5 > 3
  }
  // The last epoch's validation values are an evaluation of the trained model.
  tg_evaluation ev = {};
  tg_evaluate_options eo = {};
  eo.batch_size = 16;
  ASSERT_EQ(tg_model_evaluate_metrics(m, val.x.data(), val.n, val.labels.data(), &eo, &ev), TG_OK);
  EXPECT_DOUBLE_EQ(tg_history_values(h, "val_loss")[3], ev.loss);
  EXPECT_DOUBLE_EQ(tg_history_values(h, "val_accuracy")[3], ev.metrics[0]);
  EXPECT_EQ(tg_history_values(h, "nope"), nullptr);
  // Both kinds of validation at once are refused.
  fo.validation_split = 0.2f;
  EXPECT_EQ(tg_model_fit(m, train.x.data(), train.n, train.labels.data(), &fo), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_fit: give validation_split or validation data, not both");
  tg_history_free(h);
  tg_model_free(m);
}

TEST(FitTest, InitialEpochNumbersTheEpochsAsKeras) {
  Blobs b(20);
  tg_model* m = Classifier(6, false);
  ASSERT_EQ(tg_model_compile(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr), TG_OK);
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  tg_history* h = tg_history_new(nullptr);
  tg_fit_options fo = {};
  fo.epochs = 8;
  fo.initial_epoch = 5;
  fo.batch_size = 20;
  fo.verbose = 2;
  fo.out = f;
  fo.history = h;
  ASSERT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_OK);
  fclose(f);
  std::string out(buf, len);
  free(buf);
  EXPECT_EQ(out.find("Epoch 6/8\n1/1 - "), 0u) << out;
  EXPECT_NE(out.find("Epoch 8/8\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("Epoch 9"), std::string::npos);
  ASSERT_EQ(tg_history_epochs(h), 3);
  EXPECT_EQ(tg_history_epoch(h, 0), 5);
  EXPECT_EQ(tg_history_epoch(h, 2), 7);
  tg_history_free(h);
  tg_model_free(m);
}

TEST(FitTest, SampleWeightsScaleEachRowsGradientAndLoss) {
  // SGD, one full batch: weights of 2 everywhere step exactly as twice the learning
  // rate (up to the rounding of one product), and report twice the loss.
  Blobs b(24);
  std::vector<float> w(b.n, 2.0f);
  std::vector<float> got, want;
  float loss_w = 0, loss_1 = 0;
  for (int run = 0; run < 2; ++run) {
    tg_model* m = Classifier(7, false);
    tg_optimizer_options sgd = {};
    sgd.kind = TG_OPT_SGD;
    sgd.lr = run == 0 ? 0.1f : 0.2f;
    ASSERT_EQ(tg_model_compile(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), &sgd), TG_OK);
    tg_fit_options fo = {};
    fo.batch_size = b.n;
    fo.no_shuffle = true;
    fo.no_doctor = true;
    float hist = 0;
    fo.history_loss = &hist;
    if (run == 0) fo.sample_weight = w.data();
    ASSERT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_OK) << tg_model_message(m);
    (run == 0 ? got : want) = Params(m);
    (run == 0 ? loss_w : loss_1) = hist;
    tg_model_free(m);
  }
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << i;
  EXPECT_NEAR(loss_w, 2.0f * loss_1, 1e-5);
}

TEST(FitTest, ClassWeightsAreSampleWeightsByClass) {
  Blobs b(30);
  const float cw[3] = {1.0f, 3.0f, 0.5f};
  std::vector<float> sw(b.n);
  for (int i = 0; i < b.n; ++i) sw[i] = cw[static_cast<int>(b.labels[i])];
  std::vector<float> a, c;
  for (int run = 0; run < 2; ++run) {
    tg_model* m = Classifier(8, false);
    ASSERT_EQ(tg_model_compile(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr), TG_OK);
    tg_fit_options fo = {};
    fo.epochs = 3;
    fo.batch_size = 8;
    fo.no_doctor = true;
    if (run == 0) {
      fo.class_weight = cw;
      fo.class_weight_count = 3;
    } else {
      fo.sample_weight = sw.data();
    }
    ASSERT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_OK) << tg_model_message(m);
    (run == 0 ? a : c) = Params(m);
    tg_model_free(m);
  }
  EXPECT_EQ(a, c);
  // A class without a weight is an error naming the row.
  tg_model* m = Classifier(8, false);
  ASSERT_EQ(tg_model_compile(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr), TG_OK);
  tg_fit_options fo = {};
  fo.class_weight = cw;
  fo.class_weight_count = 2;
  int row = 0;
  while (b.labels[row] != 2.0f) ++row;
  EXPECT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_ERR_ARG);
  char want[128];
  snprintf(want, sizeof want, "tg_model_fit: row %d is of class 2 but class_weight has 2 entries",
           row);
  EXPECT_STREQ(tg_model_message(m), want);
  tg_model_free(m);
}

TEST(FitTest, ProgressBarLineAsKeras) {
  Blobs b(100);
  tg_model* m = Classifier(9, false);
  const char* acc[] = {"accuracy"};
  ASSERT_EQ(
      tg_model_compile_metrics(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr, acc, 1),
      TG_OK);
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  tg_history* h = tg_history_new(nullptr);
  tg_fit_options fo = {};
  fo.batch_size = 32;
  fo.validation_split = 0.2f;
  fo.verbose = 1;
  fo.out = f;
  fo.history = h;
  ASSERT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_OK);
  fclose(f);
  std::string out(buf, len);
  free(buf);
  // Not a terminal: one finished line, 80 rows in 3 steps.
  const std::string bar = "Epoch 1/1\n3/3 [==============================] - ";
  ASSERT_EQ(out.compare(0, bar.size(), bar), 0) << out;
  char tail[200];
  snprintf(tail, sizeof tail,
           "/step - loss: %.4f - accuracy: %.4f - val_loss: %.4f - val_accuracy: %.4f\n",
           tg_history_values(h, "loss")[0], tg_history_values(h, "accuracy")[0],
           tg_history_values(h, "val_loss")[0], tg_history_values(h, "val_accuracy")[0]);
  EXPECT_EQ(out.substr(out.size() - strlen(tail)), tail) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos);
  tg_history_free(h);
  tg_model_free(m);
}

TEST(FitTest, ProgressBarRedrawsInPlaceOnATerminal) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  FILE* tty = fdopen(slave, "w");
  Blobs b(40);
  tg_model* m = Classifier(10, false);
  ASSERT_EQ(tg_model_compile(m, Loss(TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY), nullptr), TG_OK);
  tg_fit_options fo = {};
  fo.batch_size = 10;
  fo.verbose = 1;
  fo.out = tty;
  ASSERT_EQ(tg_model_fit(m, b.x.data(), b.n, b.labels.data(), &fo), TG_OK);
  fflush(tty);
  std::string out;
  char buf[4096];
  fcntl(master, F_SETFL, O_NONBLOCK);
  for (ssize_t k; (k = read(master, buf, sizeof buf)) > 0;) out.append(buf, k);
  fclose(tty);
  close(master);
  // The first step's bar (Keras: 7 of 30 cells, the last one '>'), then the finished
  // bar drawn over it after a carriage return.
  EXPECT_NE(out.find("\r1/4 [======>.......................] - ETA: "), std::string::npos) << out;
  EXPECT_NE(out.find("\r4/4 [==============================] - "), std::string::npos) << out;
  tg_model_free(m);
}

}  // namespace
