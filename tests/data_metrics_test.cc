// tests/data_metrics_test.cc — metrics against values worked by hand, Keras' rule
// for "accuracy", the tensor dispatcher, and the confusion matrix (counts, table).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "tests/counting_allocator.h"

extern "C" {
#include "data/confusion.h"
#include "data/metrics.h"
}

namespace {

// 4 rows of 3 classes. argmax per row: 1, 0, 2, 1 (row 3 ties 0.4/0.4 at 1 and 2:
// the first maximum, 1).
const float kPred[12] = {0.1f, 0.7f, 0.2f,  //
                         0.5f, 0.3f, 0.2f,  //
                         0.2f, 0.3f, 0.5f,  //
                         0.2f, 0.4f, 0.4f};
const int32_t kLabels[4] = {1, 2, 2, 0};
const float kOneHot[12] = {0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0};

TEST(MetricsTest, AccuraciesByHand) {
  double v = 0;
  tg_error err = {};
  // Hits: row 0 (1 == 1), row 2 (2 == 2); misses rows 1 and 3 -> 2/4.
  ASSERT_EQ(tg_sparse_categorical_accuracy(kPred, kLabels, 4, 3, &v, &err), TG_OK);
  EXPECT_DOUBLE_EQ(v, 0.5);
  ASSERT_EQ(tg_categorical_accuracy(kPred, kOneHot, 4, 3, &v, &err), TG_OK);
  EXPECT_DOUBLE_EQ(v, 0.5);
  // Top 2: row 0 {1, 2} has 1; row 1 {0, 1} lacks 2; row 2 {2, 1} has 2; row 3 {1, 2}
  // lacks 0 -> 2/4. Top 3 is everything -> 1. Top 1 is plain accuracy.
  ASSERT_EQ(tg_sparse_top_k_categorical_accuracy(kPred, kLabels, 4, 3, 2, &v, &err), TG_OK);
  EXPECT_DOUBLE_EQ(v, 0.5);
  ASSERT_EQ(tg_top_k_categorical_accuracy(kPred, kOneHot, 4, 3, 3, &v, &err), TG_OK);
  EXPECT_DOUBLE_EQ(v, 1.0);
  ASSERT_EQ(tg_top_k_categorical_accuracy(kPred, kOneHot, 4, 3, 1, &v, &err), TG_OK);
  EXPECT_DOUBLE_EQ(v, 0.5);
  // Ties straddling the k boundary count as in (tf.math.in_top_k): row 3 with label 2
  // has 0.4 tied with class 1 at the top -> in the top 1.
  const int32_t tie[1] = {2};
  ASSERT_EQ(tg_sparse_top_k_categorical_accuracy(kPred + 9, tie, 1, 3, 1, &v, &err), TG_OK);
  EXPECT_DOUBLE_EQ(v, 1.0);

  // Binary: p > 0.5 -> [0, 1, 1, 0, 0]; targets [0, 1, 0, 0, 1]: hits 0, 1, 3 -> 3/5.
  // (0.5 itself is not above the threshold.)
  const float p[5] = {0.2f, 0.9f, 0.6f, 0.5f, 0.1f};
  const float t[5] = {0, 1, 0, 0, 1};
  ASSERT_EQ(tg_binary_accuracy(p, t, 5, 0.5f, &v, &err), TG_OK);
  EXPECT_DOUBLE_EQ(v, 0.6);
}

TEST(MetricsTest, MaeAndMseByHand) {
  // errors p - t = [1, -2, 0.5, 0]: mae (1 + 2 + 0.5 + 0)/4 = 0.875,
  // mse (1 + 4 + 0.25 + 0)/4 = 1.3125.
  const float p[4] = {2, 0, 1.5f, 3};
  const float t[4] = {1, 2, 1, 3};
  double v = 0;
  tg_error err = {};
  ASSERT_EQ(tg_mae_metric(p, t, 4, &v, &err), TG_OK);
  EXPECT_DOUBLE_EQ(v, 0.875);
  ASSERT_EQ(tg_mse_metric(p, t, 4, &v, &err), TG_OK);
  EXPECT_DOUBLE_EQ(v, 1.3125);
}

TEST(MetricsTest, Errors) {
  double v = 0;
  tg_error err = {};
  const int32_t bad[4] = {1, 2, 3, 0};
  EXPECT_EQ(tg_sparse_categorical_accuracy(kPred, bad, 4, 3, &v, &err), TG_ERR_ARG);
  EXPECT_STREQ(err.message,
               "sparse_categorical_accuracy: label 3 at row 2 out of range for 3 classes");
  EXPECT_EQ(tg_top_k_categorical_accuracy(kPred, kOneHot, 4, 3, 0, &v, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message, "top_k_categorical_accuracy: k 0 must be >= 1");
  EXPECT_EQ(tg_mse_metric(kPred, kPred, 0, &v, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message, "mean_squared_error: 0 rows of 1 classes: nothing to average");
}

TEST(MetricsTest, NamesAndTheAccuracyRule) {
  tg_metric_kind k;
  tg_error err = {};
  ASSERT_EQ(tg_metric_from_name("mae", &k, &err), TG_OK);
  EXPECT_EQ(k, TG_METRIC_MAE);
  ASSERT_EQ(tg_metric_from_name("top_k_categorical_accuracy", &k, &err), TG_OK);
  EXPECT_STREQ(tg_metric_name(k), "top_k_categorical_accuracy");
  EXPECT_EQ(tg_metric_from_name("accuracy", &k, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message,
               "tg_metric_from_name: 'accuracy' depends on the loss and the shapes: use "
               "tg_accuracy_for_loss");
  EXPECT_EQ(tg_metric_from_name("f1", &k, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message, "tg_metric_from_name: unknown metric 'f1'");

  const int64_t out10[2] = {32, 10}, lab[1] = {32}, lab1[2] = {32, 1}, out1[2] = {32, 1};
  struct Case {
    const char* loss;
    int orank;
    const int64_t* oshape;
    int trank;
    const int64_t* tshape;
    tg_metric_kind want;
  } cases[] = {
      {"sparse_categorical_crossentropy", 2, out10, 1, lab, TG_METRIC_SPARSE_CATEGORICAL_ACCURACY},
      {"sparse_categorical_crossentropy", 2, out10, 2, lab1, TG_METRIC_SPARSE_CATEGORICAL_ACCURACY},
      {"categorical_crossentropy", 2, out10, 2, out10, TG_METRIC_CATEGORICAL_ACCURACY},
      {"binary_crossentropy", 2, out10, 2, out10, TG_METRIC_BINARY_ACCURACY},
      {"mean_squared_error", 2, out1, 2, out1, TG_METRIC_BINARY_ACCURACY},
      {"mean_squared_error", 2, out10, 1, lab, TG_METRIC_SPARSE_CATEGORICAL_ACCURACY},
      {nullptr, 2, out10, 2, out10, TG_METRIC_CATEGORICAL_ACCURACY},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.loss ? c.loss : "(no loss)");
    ASSERT_EQ(tg_accuracy_for_loss(c.loss, c.orank, c.oshape, c.trank, c.tshape, &k, &err), TG_OK)
        << err.message;
    EXPECT_EQ(k, c.want);
  }
  EXPECT_EQ(
      tg_accuracy_for_loss("sparse_categorical_crossentropy", 2, out10, 2, out10, &k, &(err = {})),
      TG_ERR_SHAPE);
  EXPECT_STREQ(err.message,
               "tg_accuracy_for_loss: sparse_categorical_crossentropy takes integer labels, but "
               "the targets [32x10] have the output's shape [32x10] (one-hot: use "
               "categorical_crossentropy)");
  EXPECT_EQ(tg_accuracy_for_loss("categorical_crossentropy", 2, out10, 1, lab, &k, &(err = {})),
            TG_ERR_SHAPE);
  EXPECT_STREQ(err.message,
               "tg_accuracy_for_loss: categorical_crossentropy takes one-hot targets of the "
               "output's shape [32x10], got [32] (integer labels: use "
               "sparse_categorical_crossentropy)");
}

TEST(MetricsTest, OnTensors) {
  tg_tensor pred, labels, onehot;
  const int64_t sp[2] = {4, 3}, sl[1] = {4};
  tg_error err = {};
  ASSERT_EQ(
      tg_tensor_init_view(&pred, 2, sp, const_cast<float*>(kPred), nullptr, TG_ROLE_INPUT, &err),
      TG_OK);
  ASSERT_EQ(tg_tensor_init_index_view(&labels, 1, sl, const_cast<int32_t*>(kLabels), &err), TG_OK);
  ASSERT_EQ(tg_tensor_init_view(&onehot, 2, sp, const_cast<float*>(kOneHot), nullptr, TG_ROLE_INPUT,
                                &err),
            TG_OK);
  double v = 0;
  ASSERT_EQ(
      tg_metric_compute(TG_METRIC_SPARSE_CATEGORICAL_ACCURACY, &pred, &labels, 5, 0.5f, &v, &err),
      TG_OK);
  EXPECT_DOUBLE_EQ(v, 0.5);
  ASSERT_EQ(tg_metric_compute(TG_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, &pred, &labels, 2, 0.5f,
                              &v, &err),
            TG_OK);
  EXPECT_DOUBLE_EQ(v, 0.5);
  ASSERT_EQ(tg_metric_compute(TG_METRIC_CATEGORICAL_ACCURACY, &pred, &onehot, 5, 0.5f, &v, &err),
            TG_OK);
  EXPECT_DOUBLE_EQ(v, 0.5);
  // |pred - onehot| summed: row 0 0.1+0.3+0.2, row 1 0.5+0.3+0.8, row 2 0.2+0.3+0.5,
  // row 3 0.8+0.4+0.4 -> 4.8 / 12 = 0.4.
  ASSERT_EQ(tg_metric_compute(TG_METRIC_MAE, &pred, &onehot, 5, 0.5f, &v, &err), TG_OK);
  EXPECT_NEAR(v, 0.4, 1e-7);
  EXPECT_EQ(
      tg_metric_compute(TG_METRIC_CATEGORICAL_ACCURACY, &pred, &labels, 5, 0.5f, &v, &(err = {})),
      TG_ERR_SHAPE);
  EXPECT_STREQ(err.message,
               "categorical_accuracy: predictions [4x3] and int32 targets [4]: shapes differ");
  EXPECT_EQ(tg_metric_compute(TG_METRIC_SPARSE_CATEGORICAL_ACCURACY, &pred, &onehot, 5, 0.5f, &v,
                              &(err = {})),
            TG_ERR_SHAPE);
  EXPECT_STREQ(err.message,
               "sparse_categorical_accuracy: predictions [4x3] need int32 labels of shape [4x3] "
               "without its last axis, got float32 [4x3]");
}

TEST(ConfusionTest, CountsAndTable) {
  tgtest::CountingAllocator counting;
  tg_confusion c;
  tg_error err = {};
  ASSERT_EQ(tg_confusion_init(&c, 3, counting.get(), &err), TG_OK);
  // From the scores: (true, predicted) = (1, 1), (2, 0), (2, 2), (0, 1).
  ASSERT_EQ(tg_confusion_add_predictions(&c, kPred, kLabels, 4, &err), TG_OK);
  // And pairs: (0, 0) x 10, (1, 2) x 1.
  int32_t truth[11], predicted[11];
  for (int i = 0; i < 10; ++i) truth[i] = predicted[i] = 0;
  truth[10] = 1;
  predicted[10] = 2;
  ASSERT_EQ(tg_confusion_add(&c, truth, predicted, 11, &err), TG_OK);
  EXPECT_EQ(c.total, 15);
  const int64_t want[9] = {10, 1, 0,  //
                           0,  1, 1,  //
                           1,  0, 1};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(c.counts[i], want[i]) << i;
  char buf[512];
  const size_t n = tg_confusion_format(&c, nullptr, buf, sizeof buf);
  EXPECT_EQ(n, std::string(buf).size());
  EXPECT_EQ(std::string(buf),
            "true\\pred   0   1   2\n"
            "        0  10   1   0\n"
            "        1   0   1   1\n"
            "        2   1   0   1\n");
  const char* names[3] = {"cat", "dog", "bird"};
  tg_confusion_format(&c, names, buf, sizeof buf);
  EXPECT_EQ(std::string(buf),
            "true\\pred   cat   dog  bird\n"
            "      cat    10     1     0\n"
            "      dog     0     1     1\n"
            "     bird     1     0     1\n");
  // A short buffer gets a truncated, terminated prefix and the full length back.
  char small[8];
  EXPECT_EQ(tg_confusion_format(&c, nullptr, small, sizeof small), n);
  EXPECT_STREQ(small, "true\\pr");
  const int32_t bad_truth[2] = {0, 3};
  EXPECT_EQ(tg_confusion_add(&c, bad_truth, predicted, 2, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message,
               "tg_confusion_add: true class 3 (at position 1) out of range for 3 classes");
  EXPECT_EQ(c.total, 15);  // nothing added
  tg_confusion_free(&c);
  EXPECT_EQ(counting.allocs(), counting.frees());
}

}  // namespace
