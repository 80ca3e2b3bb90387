// tests/data_batcher_test.cc — shuffled mini-batches: every row once per epoch, the
// batch contents, no allocation per step, and an order that continues across epochs
// and across a save / restore of the batcher's state.
#include <gtest/gtest.h>

#include <vector>

#include "tests/counting_allocator.h"

extern "C" {
#include "data/batcher.h"
}

namespace {

// n rows of 3 features (i, -i, 2i) with label i % 4; or float targets (i / 2).
tg_dataset Rows(int64_t n, tg_label_kind kind) {
  tg_dataset d;
  const int64_t row[1] = {3};
  tg_error err = {};
  EXPECT_EQ(tg_dataset_init(&d, n, 1, row, kind, 1, nullptr, &err), TG_OK) << err.message;
  for (int64_t i = 0; i < n; ++i) {
    d.x[3 * i] = static_cast<float>(i);
    d.x[3 * i + 1] = static_cast<float>(-i);
    d.x[3 * i + 2] = static_cast<float>(2 * i);
    if (kind == TG_LABELS_INT) d.labels[i] = static_cast<int32_t>(i % 4);
    if (kind == TG_LABELS_FLOAT) d.y[i] = static_cast<float>(i) / 2;
  }
  d.num_classes = kind == TG_LABELS_INT ? 4 : 0;
  return d;
}

// The row ids of one epoch, checking each batch's contents against its rows.
std::vector<int64_t> Epoch(tg_batcher* b, const tg_dataset& d, int64_t batch_size,
                           std::vector<int64_t>* sizes = nullptr) {
  std::vector<int64_t> ids;
  tg_batch batch;
  int64_t step = 0;
  while (tg_batcher_next(b, &batch)) {
    EXPECT_EQ(batch.step, step++);
    EXPECT_LE(batch.rows, batch_size);
    EXPECT_EQ(batch.x.shape[0], batch.rows);
    EXPECT_EQ(batch.x.shape[1], 3);
    if (sizes) sizes->push_back(batch.rows);
    for (int64_t r = 0; r < batch.rows; ++r) {
      const int64_t id = batch.index[r];
      EXPECT_EQ(batch.x.data[3 * r], static_cast<float>(id));
      EXPECT_EQ(batch.x.data[3 * r + 1], static_cast<float>(-id));
      EXPECT_EQ(batch.x.data[3 * r + 2], static_cast<float>(2 * id));
      if (d.label_kind == TG_LABELS_INT) {
        EXPECT_EQ(batch.target.dtype, TG_INT32);
        EXPECT_EQ(batch.target.idata[r], id % 4);
      } else {
        EXPECT_EQ(batch.target.data[r], static_cast<float>(id) / 2);
      }
      ids.push_back(id);
    }
  }
  return ids;
}

bool IsPermutation(std::vector<int64_t> ids, int64_t n) {
  std::vector<int> seen(static_cast<size_t>(n), 0);
  for (int64_t id : ids) {
    if (id < 0 || id >= n || seen[static_cast<size_t>(id)]++) return false;
  }
  return static_cast<int64_t>(ids.size()) == n;
}

TEST(BatcherTest, EveryRowOncePerEpochInANewOrderEachEpoch) {
  tg_dataset d = Rows(23, TG_LABELS_INT);
  tg_batcher_options o = {};
  o.batch_size = 5;
  o.shuffle = true;
  o.seed = 11;
  tg_error err = {};
  tg_batcher* b = tg_batcher_new(&d, &o, nullptr, &err);
  ASSERT_NE(b, nullptr) << err.message;
  EXPECT_EQ(tg_batcher_steps_per_epoch(b), 5);
  std::vector<std::vector<int64_t>> epochs;
  for (int e = 0; e < 3; ++e) {
    std::vector<int64_t> sizes;
    epochs.push_back(Epoch(b, d, 5, &sizes));
    EXPECT_TRUE(IsPermutation(epochs.back(), 23)) << "epoch " << e;
    EXPECT_EQ(sizes, (std::vector<int64_t>{5, 5, 5, 5, 3}));
  }
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[1], epochs[2]);
  tg_batcher_free(b);
  tg_dataset_free(&d);
}

TEST(BatcherTest, InOrderAndDropRemainder) {
  tg_dataset d = Rows(10, TG_LABELS_FLOAT);
  tg_batcher_options o = {};
  o.batch_size = 4;
  o.drop_remainder = true;
  tg_error err = {};
  tg_batcher* b = tg_batcher_new(&d, &o, nullptr, &err);
  ASSERT_NE(b, nullptr) << err.message;
  EXPECT_EQ(tg_batcher_steps_per_epoch(b), 2);
  std::vector<int64_t> sizes;
  EXPECT_EQ(Epoch(b, d, 4, &sizes), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4}));
  tg_batcher_free(b);
  tg_dataset_free(&d);
}

TEST(BatcherTest, AllocatesNothingPerStep) {
  tg_dataset d = Rows(50, TG_LABELS_INT);
  tgtest::CountingAllocator counting;
  tg_batcher_options o = {};
  o.batch_size = 8;
  o.shuffle = true;
  tg_error err = {};
  tg_batcher* b = tg_batcher_new(&d, &o, counting.get(), &err);
  ASSERT_NE(b, nullptr) << err.message;
  const int after_new = counting.allocs();
  EXPECT_GT(after_new, 0);
  tg_batch batch;
  int steps = 0;
  for (int i = 0; i < 100; ++i) steps += tg_batcher_next(b, &batch);  // several epochs
  EXPECT_GT(steps, 80);
  tg_batcher_state s = tg_batcher_state_get(b);
  ASSERT_EQ(tg_batcher_state_set(b, &s, &err), TG_OK);  // a restore allocates nothing either
  for (int i = 0; i < 10; ++i) tg_batcher_next(b, &batch);
  EXPECT_EQ(counting.allocs(), after_new);
  tg_batcher_free(b);
  EXPECT_EQ(counting.frees(), counting.allocs());
  tg_dataset_free(&d);
}

// The next `count` batches' row ids, across epoch ends (marked by -1).
std::vector<int64_t> Stream(tg_batcher* b, int count) {
  std::vector<int64_t> out;
  tg_batch batch;
  for (int i = 0; i < count; ++i) {
    if (!tg_batcher_next(b, &batch)) {
      out.push_back(-1);
      continue;
    }
    out.insert(out.end(), batch.index, batch.index + batch.rows);
  }
  return out;
}

TEST(BatcherTest, OrderContinuesAcrossSaveAndRestore) {
  tg_dataset d = Rows(17, TG_LABELS_INT);
  tg_batcher_options o = {};
  o.batch_size = 4;
  o.shuffle = true;
  o.seed = 5;
  tg_error err = {};
  tg_batcher* a = tg_batcher_new(&d, &o, nullptr, &err);
  ASSERT_NE(a, nullptr);
  // Save in the middle of epoch 2 (2 epochs of 5 batches + the end marker each, then 2).
  Stream(a, 14);
  const tg_batcher_state mid = tg_batcher_state_get(a);
  EXPECT_EQ(mid.epoch, 2);
  EXPECT_EQ(mid.position, 8);
  // A batcher made with another seed, given the state, continues exactly as `a`.
  tg_batcher_options other = o;
  other.seed = 999;
  tg_batcher* b = tg_batcher_new(&d, &other, nullptr, &err);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(tg_batcher_state_set(b, &mid, &err), TG_OK) << err.message;
  EXPECT_EQ(Stream(b, 20), Stream(a, 20));

  // Saved at an epoch boundary: a fresh batcher resumes with the next epoch's order,
  // as an uninterrupted one would (fit(50) + fit(1) == fit(51)).
  tg_batcher* whole = tg_batcher_new(&d, &o, nullptr, &err);
  tg_batcher* first = tg_batcher_new(&d, &o, nullptr, &err);
  ASSERT_NE(whole, nullptr);
  ASSERT_NE(first, nullptr);
  const std::vector<int64_t> all = Stream(whole, 18);   // 3 epochs of 5 batches + markers
  const std::vector<int64_t> head = Stream(first, 12);  // 2 epochs
  const tg_batcher_state boundary = tg_batcher_state_get(first);
  EXPECT_EQ(boundary.epoch, 2);
  EXPECT_EQ(boundary.position, 0);
  tg_batcher* resumed = tg_batcher_new(&d, &other, nullptr, &err);
  ASSERT_EQ(tg_batcher_state_set(resumed, &boundary, &err), TG_OK);
  std::vector<int64_t> joined = head;
  const std::vector<int64_t> tail = Stream(resumed, 6);
  joined.insert(joined.end(), tail.begin(), tail.end());
  EXPECT_EQ(joined, all);

  tg_batcher_state bad = mid;
  bad.position = 18;
  EXPECT_EQ(tg_batcher_state_set(b, &bad, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message,
               "tg_batcher_state_set: epoch 2, position 18: outside an epoch of 17 rows");
  for (tg_batcher* x : {a, b, whole, first, resumed}) tg_batcher_free(x);
  tg_dataset_free(&d);
}

TEST(BatcherTest, Errors) {
  tg_dataset d = Rows(3, TG_LABELS_INT);
  tg_batcher_options o = {};
  tg_error err = {};
  EXPECT_EQ(tg_batcher_new(&d, &o, nullptr, &err), nullptr);
  EXPECT_STREQ(err.message, "tg_batcher_new: batch_size 0 must be >= 1");
  tg_dataset empty = {};
  o.batch_size = 2;
  EXPECT_EQ(tg_batcher_new(&empty, &o, nullptr, &(err = {})), nullptr);
  EXPECT_STREQ(err.message, "tg_batcher_new: the data set has no rows");
  tg_dataset_free(&d);
}

}  // namespace
