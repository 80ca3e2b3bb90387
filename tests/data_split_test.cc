// tests/data_split_test.cc — seeded splits (disjoint, covering, reproducible),
// slices and gathers, one-hot, and scaling with training-only statistics.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "tests/counting_allocator.h"

extern "C" {
#include "data/dataset.h"
#include "data/scale.h"
#include "data/split.h"
}

namespace {

// n rows of 2 features: row i = (i, 10 i), label i % 3.
tg_dataset Rows(int64_t n, const tg_allocator* a = nullptr) {
  tg_dataset d;
  const int64_t row[1] = {2};
  tg_error err = {};
  EXPECT_EQ(tg_dataset_init(&d, n, 1, row, TG_LABELS_INT, 1, a, &err), TG_OK) << err.message;
  for (int64_t i = 0; i < n; ++i) {
    d.x[2 * i] = static_cast<float>(i);
    d.x[2 * i + 1] = static_cast<float>(10 * i);
    d.labels[i] = static_cast<int32_t>(i % 3);
  }
  d.num_classes = 3;
  return d;
}

// The original row ids of a split part (from feature 0), checking its row is intact.
std::vector<int64_t> Ids(const tg_dataset& d) {
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < d.n; ++i) {
    const int64_t id = static_cast<int64_t>(d.x[2 * i]);
    EXPECT_EQ(d.x[2 * i + 1], 10.0f * id);
    EXPECT_EQ(d.labels[i], id % 3);
    ids.push_back(id);
  }
  return ids;
}

TEST(SplitTest, DisjointCoveringAndReproducible) {
  tg_dataset all = Rows(101);
  tg_split_options o = {};
  o.validation = 0.1;
  o.test = 0.2;
  o.seed = 42;
  tg_dataset tr, va, te;
  tg_error err = {};
  ASSERT_EQ(tg_dataset_split(&all, &o, &tr, &va, &te, &err), TG_OK) << err.message;
  // round(10.1) = 10 validation, round(20.2) = 20 test, 71 training.
  EXPECT_EQ(tr.n, 71);
  EXPECT_EQ(va.n, 10);
  EXPECT_EQ(te.n, 20);
  std::set<int64_t> seen;
  std::vector<int64_t> order;
  for (const tg_dataset* part : {&tr, &va, &te})
    for (int64_t id : Ids(*part)) {
      EXPECT_TRUE(seen.insert(id).second) << "row " << id << " twice";
      order.push_back(id);
    }
  EXPECT_EQ(seen.size(), 101u);
  EXPECT_EQ(*seen.begin(), 0);
  EXPECT_EQ(*seen.rbegin(), 100);
  // Shuffled: not the identity order.
  int in_place = 0;
  for (size_t i = 0; i < order.size(); ++i) in_place += order[i] == static_cast<int64_t>(i);
  EXPECT_LT(in_place, 20);

  // The same seed gives the same split; another seed another one.
  tg_dataset tr2, va2, te2;
  ASSERT_EQ(tg_dataset_split(&all, &o, &tr2, &va2, &te2, &err), TG_OK);
  EXPECT_EQ(Ids(tr2), Ids(tr));
  EXPECT_EQ(Ids(te2), Ids(te));
  tg_dataset_free(&tr2);
  tg_dataset_free(&va2);
  tg_dataset_free(&te2);
  o.seed = 43;
  ASSERT_EQ(tg_dataset_split(&all, &o, &tr2, &va2, &te2, &err), TG_OK);
  EXPECT_NE(Ids(tr2), Ids(tr));
  for (tg_dataset* d : {&tr, &va, &te, &tr2, &va2, &te2, &all}) tg_dataset_free(d);
}

TEST(SplitTest, PermutationIsPinned) {
  // A regression pin, not an independent oracle: the order seed 7 gives 5 rows
  // today (core/rng.h's xoshiro256** and the Fisher-Yates in data/internal/shuffle.h).
  // A saved split must stay the same split, so a change here is a breaking change.
  tg_split_options o = {};
  o.seed = 7;
  int64_t perm[5];
  tg_error err = {};
  ASSERT_EQ(tg_split_permutation(5, &o, perm, &err), TG_OK);
  EXPECT_EQ(std::vector<int64_t>(perm, perm + 5), (std::vector<int64_t>{1, 3, 0, 2, 4}));
}

TEST(SplitTest, KeepOrderTakesTheLastRowsLikeKeras) {
  tg_dataset all = Rows(10);
  tg_split_options o = {};
  o.validation = 0.2;
  o.keep_order = true;
  tg_dataset tr, va;
  tg_error err = {};
  ASSERT_EQ(tg_dataset_split(&all, &o, &tr, &va, nullptr, &err), TG_OK) << err.message;
  EXPECT_EQ(Ids(tr), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(Ids(va), (std::vector<int64_t>{8, 9}));
  for (tg_dataset* d : {&tr, &va, &all}) tg_dataset_free(d);
}

TEST(SplitTest, CountsAndErrors) {
  tg_split_options o = {};
  o.validation = 0.5;
  o.test = 0.5;
  int64_t a, b, c;
  tg_error err = {};
  EXPECT_EQ(tg_split_counts(10, &o, &a, &b, &c, &err), TG_ERR_ARG);
  EXPECT_STREQ(err.message,
               "tg_split_counts: validation 0.5 and test 0.5 must be fractions in [0, 1) that "
               "sum to less than 1");
  // Tiny sets keep a training row: 2 rows at 0.45 + 0.45 would round to 1 + 1.
  o.validation = 0.45;
  o.test = 0.45;
  ASSERT_EQ(tg_split_counts(2, &o, &a, &b, &c, &(err = {})), TG_OK);
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b + c, 1);
  tg_dataset all = Rows(10);
  tg_dataset tr;
  o.validation = 0.2;
  o.test = 0;
  EXPECT_EQ(tg_dataset_split(&all, &o, &tr, nullptr, nullptr, &(err = {})), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_dataset_split: val is NULL but gets 2 rows");
  tg_dataset_free(&all);
}

TEST(DatasetTest, SliceGatherOneHotAndViews) {
  tgtest::CountingAllocator counting;
  tg_dataset all = Rows(6, counting.get());
  tg_dataset s, g, oh;
  tg_error err = {};
  ASSERT_EQ(tg_dataset_slice(&all, 2, 3, &s, &err), TG_OK);
  EXPECT_EQ(Ids(s), (std::vector<int64_t>{2, 3, 4}));
  const int64_t rows[3] = {5, 0, 5};
  ASSERT_EQ(tg_dataset_gather(&all, rows, 3, &g, &err), TG_OK);
  EXPECT_EQ(Ids(g), (std::vector<int64_t>{5, 0, 5}));
  ASSERT_EQ(tg_dataset_one_hot(&g, 0, &oh, &err), TG_OK);
  ASSERT_EQ(oh.label_kind, TG_LABELS_FLOAT);
  const float want[9] = {0, 0, 1, 1, 0, 0, 0, 0, 1};  // labels 2, 0, 2
  for (int i = 0; i < 9; ++i) EXPECT_EQ(oh.y[i], want[i]);
  tg_tensor xv, yv;
  ASSERT_EQ(tg_dataset_x_view(&oh, &xv, &err), TG_OK);
  ASSERT_EQ(tg_dataset_target_view(&oh, &yv, &err), TG_OK);
  EXPECT_EQ(xv.rank, 2);
  EXPECT_EQ(xv.shape[0], 3);
  EXPECT_EQ(xv.shape[1], 2);
  EXPECT_EQ(yv.shape[1], 3);
  EXPECT_EQ(tg_dataset_slice(&all, 4, 3, &s, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message, "tg_dataset_slice: rows [4, 4 + 3) outside the 6 rows");
  const int64_t bad[2] = {1, 6};
  EXPECT_EQ(tg_dataset_gather(&all, bad, 2, &g, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message, "tg_dataset_gather: row 6 (at position 1) outside 0..5");
  EXPECT_EQ(tg_dataset_one_hot(&all, 2, &oh, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message, "tg_dataset_one_hot: label 2 (row 2) out of range for 2 classes");
  for (tg_dataset* d : {&s, &g, &oh, &all}) tg_dataset_free(d);
  EXPECT_EQ(counting.allocs(), counting.frees());
}

TEST(ScaleTest, StandardiseWithTrainingStatisticsOnly) {
  // Training rows (0, 5), (2, 5), (4, 5): feature 0 has mean 2 and population std
  // sqrt(((0-2)² + 0 + (4-2)²) / 3) = sqrt(8/3) = 1.63299316; feature 1 is constant
  // (std 1 by convention, so it is only centred).
  tg_dataset train, test;
  const int64_t row[1] = {2};
  tg_error err = {};
  ASSERT_EQ(tg_dataset_init(&train, 3, 1, row, TG_LABELS_NONE, 0, nullptr, &err), TG_OK);
  ASSERT_EQ(tg_dataset_init(&test, 1, 1, row, TG_LABELS_NONE, 0, nullptr, &err), TG_OK);
  const float tv[6] = {0, 5, 2, 5, 4, 5};
  for (int i = 0; i < 6; ++i) train.x[i] = tv[i];
  test.x[0] = 6;
  test.x[1] = 7;
  tg_standardizer s;
  ASSERT_EQ(tg_standardizer_fit(&s, &train, &err), TG_OK);
  EXPECT_FLOAT_EQ(s.mean[0], 2.0f);
  EXPECT_FLOAT_EQ(s.std[0], 1.63299316f);
  EXPECT_FLOAT_EQ(s.mean[1], 5.0f);
  EXPECT_FLOAT_EQ(s.std[1], 1.0f);
  ASSERT_EQ(tg_standardizer_apply(&s, &train, &err), TG_OK);
  ASSERT_EQ(tg_standardizer_apply(&s, &test, &err), TG_OK);
  EXPECT_FLOAT_EQ(train.x[0], -1.22474487f);  // -2 / 1.63299316
  EXPECT_FLOAT_EQ(train.x[4], 1.22474487f);
  EXPECT_FLOAT_EQ(train.x[1], 0.0f);
  EXPECT_FLOAT_EQ(test.x[0], 2.44948974f);  // (6 - 2) / 1.63299316: the training stats
  EXPECT_FLOAT_EQ(test.x[1], 2.0f);
  tg_dataset wide;
  const int64_t row3[1] = {3};
  ASSERT_EQ(tg_dataset_init(&wide, 1, 1, row3, TG_LABELS_NONE, 0, nullptr, &err), TG_OK);
  EXPECT_EQ(tg_standardizer_apply(&s, &wide, &(err = {})), TG_ERR_SHAPE);
  EXPECT_STREQ(err.message,
               "tg_standardizer_apply: rows of 3 features, but the statistics are for 2");
  ASSERT_EQ(tg_dataset_scale(&wide, 0.5f, &err), TG_OK);
  EXPECT_EQ(tg_dataset_scale(&wide, 1.0f / 0.0f, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message, "tg_dataset_scale: factor inf is not finite");
  tg_standardizer_free(&s);
  for (tg_dataset* d : {&train, &test, &wide}) tg_dataset_free(d);
}

}  // namespace
