// dist/dropout_test.cc — a model with dropout trains on N ranks as on one process.
// Runs under mpirun (dist/mpi_test.sh, 2 and 4 ranks); every rank trains the
// one-process reference itself (a plain tg_model on the whole batch) and checks its
// own replica against it.
//
// Why it can: dropout's mask of an element is a function of the step's key (one draw
// per training step from the layers' stream, alike on every rank), the element's
// global row and its column (ops/nn.h, tg_dropout), and dist tells each replica where
// its shard starts (tg_model_set_row_offset). A rank without rows in a step draws
// the step's key all the same (tg_model_advance_layer_stream), so the streams stay
// alike and a checkpoint from rank 0 resumes every rank.
//
// Tolerance: as dist_test's (kTol, relative 1e-5): the N-rank gradient is the one
// process's sum grouped by shard, so they differ by float rounding, which Adam
// carries into its steps. With every rank drawing for offset 0 (what dist did before
// masks were indexed by global row: rank r's row k got rank 0's row k's mask) the
// first three tests fail, and with a rank without rows not drawing the step's key
// the resume test fails on 4 ranks (both checked by changing dist/step.c).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "dist/dist.h"
#include "dist/mpi_gtest.h"
#include "frontends/fit.h"
#include "frontends/model.h"
#include "frontends/persist.h"
}

namespace {

constexpr double kTol = 1e-5;  // max |w_N - w_1| / max(1, |w_1|)
constexpr int kIn = 8, kOut = 3, kRows = 12;

// 8 -> Dense(32, relu) -> Dropout(0.3) -> Dense(16, tanh) -> Dropout(0.2) -> Dense(3),
// softmax cross-entropy on logits, Adam.
tg_model* DropoutModel(uint64_t seed) {
  tg_error err = {};
  tg_model_options mo = {};
  mo.input_dim = kIn;
  mo.seed = seed;
  tg_model* m = tg_sequential_new(&mo, &err);
  EXPECT_NE(m, nullptr) << err.message;
  tg_dense_options d1 = {};
  d1.units = 32;
  d1.activation = TG_ACT_RELU;
  tg_dense_options d2 = {};
  d2.units = 16;
  d2.activation = TG_ACT_TANH;
  tg_dense_options d3 = {};
  d3.units = kOut;
  tg_dropout_layer_options p1 = {0.3f}, p2 = {0.2f};
  EXPECT_EQ(tg_model_add_dense(m, d1), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_dropout, &p1), TG_OK);
  EXPECT_EQ(tg_model_add_dense(m, d2), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_dropout, &p2), TG_OK);
  EXPECT_EQ(tg_model_add_dense(m, d3), TG_OK);
  tg_loss loss = {TG_LOSS_CATEGORICAL_CROSSENTROPY, true};
  EXPECT_EQ(tg_model_compile(m, loss, nullptr), TG_OK) << tg_model_message(m);
  return m;
}

// kRows random rows in [-1, 1) and one-hot targets, the same on every rank.
void Data(std::vector<float>* x, std::vector<float>* y) {
  tg_rng r;
  tg_rng_seed(&r, 31);
  x->resize(kRows * kIn);
  for (float& v : *x) v = 2.0f * tg_rng_uniform(&r) - 1.0f;
  y->assign(kRows * kOut, 0.0f);
  for (int i = 0; i < kRows; ++i) (*y)[i * kOut + (i * 5) % kOut] = 1.0f;
}

double MaxRelDiff(tg_model* a, tg_model* b) {
  const int64_t n = tg_model_param_size(a);
  EXPECT_EQ(n, tg_model_param_size(b));
  const float* pa = tg_model_param_values(a);
  const float* pb = tg_model_param_values(b);
  double worst = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    double d = std::fabs((double)pa[i] - (double)pb[i]) / std::fmax(1.0, std::fabs((double)pb[i]));
    if (d > worst) worst = d;
  }
  return worst;
}

// FNV-1a of n bytes, equal on every rank of MPI_COMM_WORLD.
bool SameOnEveryRank(const void* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  const unsigned char* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  uint64_t lo = h, hi = h;
  MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  return lo == hi;
}

bool ReplicasIdentical(tg_model* m) {
  return SameOnEveryRank(tg_model_param_values(m),
                         static_cast<size_t>(tg_model_param_size(m)) * sizeof(float));
}

tg_dist* Wrap(tg_model* m, bool overlap) {
  tg_error err = {};
  tg_dist_options o = {};
  o.seed = 7;
  o.no_overlap = !overlap;
  tg_dist* d = tg_dist_new(m, &o, &err);
  EXPECT_NE(d, nullptr) << err.message;
  return d;
}

// 100 Adam steps against one process: global batches of 12 rows (6+6 on 2 ranks,
// 3+3+3+3 on 4), and every fifth step the first 3 rows only (1+2 on 2 ranks; 0+1+1+1
// on 4: rank 0 has none and must still draw the step's key).
void AgainstOneProcess(bool overlap) {
  std::vector<float> x, y;
  Data(&x, &y);
  tg_model* ref = DropoutModel(5);
  tg_model* m = DropoutModel(Rank() == 0 ? 5 : 50 + Rank());  // rank 0's weights win
  tg_dist* d = Wrap(m, overlap);
  ASSERT_NE(d, nullptr);
  for (int s = 0; s < 100; ++s) {
    const int64_t n = s % 5 == 4 ? 3 : kRows;
    float lr = 0, ld = 0;
    ASSERT_EQ(tg_model_train_on_batch(ref, x.data(), n, y.data(), &lr), TG_OK);
    ASSERT_EQ(tg_dist_train_on_batch(d, x.data(), n, y.data(), &ld), TG_OK) << tg_dist_message(d);
    ASSERT_NEAR(ld, lr, 1e-5 * std::fmax(1.0f, lr)) << "step " << s;
  }
  const double diff = MaxRelDiff(m, ref);
  ::testing::Test::RecordProperty("max_rel_diff", std::to_string(diff));
  if (Rank() == 0) std::printf("dropout model: max_rel_diff %.3g on %d ranks\n", diff, Size());
  EXPECT_LE(diff, kTol);
  EXPECT_TRUE(ReplicasIdentical(m));
  const tg_model_rng_state mine = tg_model_rng_state_get(m), one = tg_model_rng_state_get(ref);
  EXPECT_EQ(0, std::memcmp(&mine.layers, &one.layers, sizeof mine.layers))
      << "the layers' stream moved as one process's did";
  EXPECT_TRUE(SameOnEveryRank(&mine.layers, sizeof mine.layers));
  tg_dist_free(d);
  tg_model_free(m);
  tg_model_free(ref);
}

TEST(DistDropoutTest, MatchesOneProcessWithOverlap) { AgainstOneProcess(true); }
TEST(DistDropoutTest, MatchesOneProcessWithoutOverlap) { AgainstOneProcess(false); }

// Gradient accumulation under no_sync: micro-batches of rows 0-4 and 5-11, each a
// training step of its own (its own key) on N ranks and on one process.
TEST(DistDropoutTest, AccumulatedMicroBatchesMatchOneProcessOnTheSameMicroBatches) {
  std::vector<float> x, y;
  Data(&x, &y);
  tg_model* ref = DropoutModel(6);
  tg_model* m = DropoutModel(6);
  tg_dist* d = Wrap(m, true);
  ASSERT_NE(d, nullptr);
  MPI_Comm self;
  MPI_Comm_split(MPI_COMM_WORLD, Rank(), 0, &self);
  tg_error err = {};
  tg_dist_options o = {};
  o.comm = self;
  o.seed = 7;
  tg_dist* one = tg_dist_new(ref, &o, &err);  // one process, the same calls
  ASSERT_NE(one, nullptr) << err.message;
  for (int s = 0; s < 50; ++s) {
    for (tg_dist* dd : {one, d}) {
      tg_dist_set_no_sync(dd, true);
      ASSERT_EQ(tg_dist_train_on_batch(dd, x.data(), 5, y.data(), nullptr), TG_OK);
      tg_dist_set_no_sync(dd, false);
      ASSERT_EQ(tg_dist_train_on_batch(dd, x.data() + 5 * kIn, 7, y.data() + 5 * kOut, nullptr),
                TG_OK)
          << tg_dist_message(dd);
    }
  }
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(m)), 50);
  EXPECT_LE(MaxRelDiff(m, ref), kTol);
  EXPECT_TRUE(ReplicasIdentical(m));
  tg_dist_free(one);
  MPI_Comm_free(&self);
  tg_dist_free(d);
  tg_model_free(m);
  tg_model_free(ref);
}

// tg_dist_fit over 12 rows in shuffled batches of 5 (5, 5, 2: on 4 ranks two have
// no rows in the last batch) for 10 epochs, interrupted after 4 by a checkpoint
// that every rank loads, resumes bit for bit: rank 0's streams are every rank's.
TEST(DistDropoutTest, ResumingFromACheckpointIsBitForBitWithEmptyShards) {
  std::vector<float> x, y;
  Data(&x, &y);
  tg_dist_fit_options fo = {};
  fo.epochs = 10;
  fo.batch_size = 5;
  tg_model* whole = DropoutModel(8);
  tg_dist* d = Wrap(whole, true);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(tg_dist_fit(d, x.data(), kRows, y.data(), &fo), TG_OK) << tg_dist_message(d);
  tg_dist_free(d);
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(whole)), 30);

  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/dist_dropout_ckpt.tgm";
  tg_model* first = DropoutModel(8);
  d = Wrap(first, true);
  ASSERT_NE(d, nullptr);
  fo.epochs = 4;
  fo.checkpoint = path.c_str();
  ASSERT_EQ(tg_dist_fit(d, x.data(), kRows, y.data(), &fo), TG_OK) << tg_dist_message(d);
  tg_dist_free(d);
  tg_model_free(first);

  tg_error err = {};
  tg_model* back = tg_dist_load(0, path.c_str(), nullptr, &err);
  ASSERT_NE(back, nullptr) << err.message;
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(back)), 12);
  d = Wrap(back, true);
  ASSERT_NE(d, nullptr);
  fo.epochs = 10;
  fo.checkpoint = nullptr;
  fo.resume = true;
  ASSERT_EQ(tg_dist_fit(d, x.data(), kRows, y.data(), &fo), TG_OK) << tg_dist_message(d);
  tg_dist_free(d);
  const int64_t n = tg_model_param_size(whole);
  ASSERT_EQ(n, tg_model_param_size(back));
  EXPECT_EQ(0, std::memcmp(tg_model_param_values(whole), tg_model_param_values(back),
                           static_cast<size_t>(n) * sizeof(float)));
  const tg_model_rng_state a = tg_model_rng_state_get(whole), b = tg_model_rng_state_get(back);
  EXPECT_EQ(0, std::memcmp(&a.layers, &b.layers, sizeof a.layers));
  EXPECT_TRUE(ReplicasIdentical(back));
  tg_model_free(back);
  tg_model_free(whole);
  if (Rank() == 0) std::remove(path.c_str());
}

}  // namespace
