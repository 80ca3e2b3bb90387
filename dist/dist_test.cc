// dist/dist_test.cc — data-parallel training against one process. Runs under mpirun
// (dist/mpi_test.sh: 2 and 4 ranks); every rank runs every test and also trains the
// one-process reference itself (a plain tg_model on the whole batch), so each rank
// checks its own replica.
//
// Tolerance: N ranks sum each shard's gradient and then the shards, one process sums
// all rows at once; float addition is not associative, so the gradients differ in
// their last bits (~1e-7 relative) and Adam, which divides by sqrt(v), carries those
// relative differences into its steps. kTol is the bound measured over 100 steps
// with margin (docs/distributed.md has the measured maxima).
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
#include "dist/dist.h"
#include "dist/mpi_gtest.h"
#include "frontends/model.h"
#include "frontends/seed_problem.h"
}

namespace {

constexpr double kTol = 1e-5;  // max |w_N - w_1| / max(1, |w_1|)

tg_model* SeedModel(uint64_t seed) {
  tg_error err = {};
  tg_model* m = tg_seed_model_new(nullptr, seed, nullptr, &err);
  EXPECT_NE(m, nullptr) << err.message;
  return m;
}

// 784-512-512-10 (W2's shape), softmax cross-entropy on logits, Adam.
tg_model* W2Model(uint64_t seed, int64_t hidden = 512) {
  tg_error err = {};
  tg_model_options mo = {};
  mo.input_dim = 784;
  mo.seed = seed;
  tg_model* m = tg_sequential_new(&mo, &err);
  EXPECT_NE(m, nullptr) << err.message;
  tg_dense_options d1 = {};
  d1.units = hidden;
  d1.activation = TG_ACT_RELU;
  tg_dense_options d2 = d1;
  d2.units = 512;
  tg_dense_options d3 = {};
  d3.units = 10;
  EXPECT_EQ(tg_model_add_dense(m, d1), TG_OK);
  EXPECT_EQ(tg_model_add_dense(m, d2), TG_OK);
  EXPECT_EQ(tg_model_add_dense(m, d3), TG_OK);
  tg_loss loss = {TG_LOSS_CATEGORICAL_CROSSENTROPY, true};
  EXPECT_EQ(tg_model_compile(m, loss, nullptr), TG_OK) << tg_model_message(m);
  return m;
}

void W2Data(int64_t n, std::vector<float>* x, std::vector<float>* y) {
  x->resize(n * 784);
  y->assign(n * 10, 0.0f);
  uint64_t s = 12345;
  for (auto& v : *x) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    v = (float)((s >> 40) & 0xffff) / 65536.0f;
  }
  for (int64_t i = 0; i < n; ++i) (*y)[i * 10 + (i * 7) % 10] = 1.0f;
}

// max |a - b| / max(1, |b|) over the parameter blocks.
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

// Whether every rank holds the same parameter bits.
bool ReplicasIdentical(tg_model* m) {
  const int64_t n = tg_model_param_size(m);
  const float* p = tg_model_param_values(m);
  uint64_t h = 1469598103934665603ull;
  const unsigned char* bytes = reinterpret_cast<const unsigned char*>(p);
  for (int64_t i = 0; i < n * 4; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  std::vector<uint64_t> all(Size());
  MPI_Allgather(&h, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD);
  for (uint64_t v : all)
    if (v != all[0]) return false;
  return true;
}

tg_dist* Wrap(tg_model* m, bool overlap, int64_t bucket_bytes = 0, bool thread = false) {
  tg_error err = {};
  tg_dist_options o = {};
  o.seed = 7;
  o.no_overlap = !overlap;
  o.progress_thread = thread;
  o.bucket_bytes = bucket_bytes;
  tg_dist* d = tg_dist_new(m, &o, &err);
  EXPECT_NE(d, nullptr) << err.message;
  return d;
}

// 100 Adam steps of the seed problem's global batch (10 rows: shards of 5 on 2
// ranks, 2/3/2/3 on 4) against one process on all 10.
void SeedAgainstOneProcess(bool overlap, int64_t bucket_bytes, bool thread = false) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * 2];
  tg_seed_data(x, y);
  tg_model* ref = SeedModel(1);
  // Every rank but 0 starts from other weights: the broadcast must replace them.
  tg_model* m = SeedModel(Rank() == 0 ? 1 : 100 + Rank());
  tg_dist* d = Wrap(m, overlap, bucket_bytes, thread);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(MaxRelDiff(m, ref), 0.0) << "rank 0's initial weights everywhere";
  for (int s = 0; s < 100; ++s) {
    float lr = 0, ld = 0;
    ASSERT_EQ(tg_model_train_on_batch(ref, x, TG_SEED_ROWS, y, &lr), TG_OK);
    ASSERT_EQ(tg_dist_train_on_batch(d, x, TG_SEED_ROWS, y, &ld), TG_OK) << tg_dist_message(d);
    ASSERT_NEAR(ld, lr, 1e-5 * std::fmax(1.0f, lr)) << "step " << s;
  }
  const double diff = MaxRelDiff(m, ref);
  ::testing::Test::RecordProperty("max_rel_diff", std::to_string(diff));
  if (Rank() == 0) std::printf("max_rel_diff %.3g on %d ranks\n", diff, Size());
  EXPECT_LE(diff, kTol);
  EXPECT_TRUE(ReplicasIdentical(m));
  tg_dist_free(d);
  tg_model_free(m);
  tg_model_free(ref);
}

TEST(DistTest, SeedModelMatchesOneProcessWithOverlap) { SeedAgainstOneProcess(true, 0); }
TEST(DistTest, SeedModelMatchesOneProcessWithoutOverlap) { SeedAgainstOneProcess(false, 0); }
// 64-byte buckets: one per parameter tensor and more (the kernels of 16x16 split).
TEST(DistTest, SeedModelMatchesOneProcessWithSmallBuckets) { SeedAgainstOneProcess(true, 64); }
TEST(DistTest, SeedModelMatchesOneProcessWithProgressThread) {
  SeedAgainstOneProcess(true, 64, true);
}

TEST(DistTest, OneRankIsTheModelBitForBit) {
  // A communicator of this rank alone: weights 1 and no reduction to round.
  MPI_Comm self;
  MPI_Comm_split(MPI_COMM_WORLD, Rank(), 0, &self);
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * 2];
  tg_seed_data(x, y);
  tg_model* ref = SeedModel(3);
  tg_model* m = SeedModel(3);
  tg_error err = {};
  tg_dist_options o = {};
  o.comm = self;
  tg_dist* d = tg_dist_new(m, &o, &err);
  ASSERT_NE(d, nullptr) << err.message;
  for (int s = 0; s < 20; ++s) {
    ASSERT_EQ(tg_model_train_on_batch(ref, x, TG_SEED_ROWS, y, nullptr), TG_OK);
    ASSERT_EQ(tg_dist_train_on_batch(d, x, TG_SEED_ROWS, y, nullptr), TG_OK);
  }
  EXPECT_EQ(MaxRelDiff(m, ref), 0.0);
  tg_dist_free(d);
  tg_model_free(m);
  tg_model_free(ref);
  MPI_Comm_free(&self);
}

// W2's shape: 784-512-512-10 (669,706 parameters, 2.7 MB of gradients; with 1 MiB
// buckets: dense_3 + dense_2 (1.07 MB), then dense_1 (1.6 MB)), global batch 32,
// 10 steps (kept short for CI).
void W2AgainstOneProcess(bool overlap, bool thread = false) {
  std::vector<float> x, y;
  W2Data(32, &x, &y);
  tg_model* ref = W2Model(5);
  tg_model* m = W2Model(5);
  tg_dist* d = Wrap(m, overlap, 0, thread);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(tg_dist_get_stats(d).buckets, 2);
  for (int s = 0; s < 10; ++s) {
    ASSERT_EQ(tg_model_train_on_batch(ref, x.data(), 32, y.data(), nullptr), TG_OK);
    ASSERT_EQ(tg_dist_train_on_batch(d, x.data(), 32, y.data(), nullptr), TG_OK)
        << tg_dist_message(d);
  }
  const double diff = MaxRelDiff(m, ref);
  ::testing::Test::RecordProperty("max_rel_diff", std::to_string(diff));
  if (Rank() == 0) std::printf("max_rel_diff %.3g on %d ranks\n", diff, Size());
  EXPECT_LE(diff, kTol);
  EXPECT_TRUE(ReplicasIdentical(m));
  const tg_dist_stats st = tg_dist_get_stats(d);
  EXPECT_EQ(st.bytes_reduced, 10 * 669706 * 4);
  // The first step records the tape (no hook yet); from then on, with overlap, both
  // buckets start inside backward, dense_3 + dense_2's before dense_1's matmul runs.
  EXPECT_EQ(st.early_buckets, overlap ? 2 * 9 : 0);
  EXPECT_EQ(st.early_before_last, overlap ? 9 : 0);
  tg_dist_free(d);
  tg_model_free(m);
  tg_model_free(ref);
}

TEST(DistTest, W2ModelMatchesOneProcessWithOverlap) { W2AgainstOneProcess(true); }
TEST(DistTest, W2ModelMatchesOneProcessWithoutOverlap) { W2AgainstOneProcess(false); }
TEST(DistTest, W2ModelMatchesOneProcessWithProgressThread) { W2AgainstOneProcess(true, true); }

// Sparse integer labels: one float per row, so rank r's rows of y start at lo, not at
// lo * output_dim. 13 rows (7+6 on 2 ranks, 3+3+3+4 on 4), 3 classes, 30 Adam steps.
TEST(DistTest, SparseLabelsShardAtOneFloatPerRow) {
  std::vector<float> x, unused;
  W2Data(13, &x, &unused);
  std::vector<float> y(13);
  for (int i = 0; i < 13; ++i) y[i] = static_cast<float>((i * 5) % 3);
  tg_model* models[2] = {};
  for (tg_model*& m : models) {
    tg_model_options mo = {};
    mo.input_dim = 784;
    mo.seed = 9;
    m = tg_sequential_new(&mo, nullptr);
    tg_dense_options d = {};
    d.units = 16;
    d.activation = TG_ACT_RELU;
    ASSERT_EQ(tg_model_add_dense(m, d), TG_OK);
    d.units = 3;
    d.activation = TG_ACT_LINEAR;
    ASSERT_EQ(tg_model_add_dense(m, d), TG_OK);
    tg_loss loss = {TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true};
    ASSERT_EQ(tg_model_compile(m, loss, nullptr), TG_OK) << tg_model_message(m);
  }
  tg_model* ref = models[0];
  tg_dist* d = Wrap(models[1], true);
  ASSERT_NE(d, nullptr);
  for (int s = 0; s < 30; ++s) {
    float lr = 0, ld = 0;
    ASSERT_EQ(tg_model_train_on_batch(ref, x.data(), 13, y.data(), &lr), TG_OK);
    ASSERT_EQ(tg_dist_train_on_batch(d, x.data(), 13, y.data(), &ld), TG_OK) << tg_dist_message(d);
    ASSERT_NEAR(ld, lr, 1e-5 * std::fmax(1.0f, lr)) << "step " << s;
  }
  float el = 0, dl = 0;
  ASSERT_EQ(tg_model_evaluate(ref, x.data(), 13, y.data(), &el), TG_OK);
  ASSERT_EQ(tg_dist_evaluate(d, x.data(), 13, y.data(), &dl), TG_OK) << tg_dist_message(d);
  EXPECT_NEAR(dl, el, 1e-5 * std::fmax(1.0f, el));
  EXPECT_LE(MaxRelDiff(models[1], ref), kTol);
  EXPECT_TRUE(ReplicasIdentical(models[1]));
  tg_dist_free(d);
  tg_model_free(models[1]);
  tg_model_free(ref);
}

// Gradient accumulation: micro-batches of rows 0-3 and 4-9 under no_sync, then...
// the step lands once, as one process's step on all 10 rows.
TEST(DistTest, AccumulatedMicroBatchesMatchOneBigBatch) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * 2];
  tg_seed_data(x, y);
  tg_model* ref = SeedModel(2);
  tg_model* m = SeedModel(2);
  tg_dist* d = Wrap(m, true);
  ASSERT_NE(d, nullptr);
  for (int s = 0; s < 100; ++s) {
    ASSERT_EQ(tg_model_train_on_batch(ref, x, TG_SEED_ROWS, y, nullptr), TG_OK);
    tg_dist_set_no_sync(d, true);
    ASSERT_EQ(tg_dist_train_on_batch(d, x, 3, y, nullptr), TG_OK);
    ASSERT_EQ(tg_dist_train_on_batch(d, x + 3, 3, y + 6, nullptr), TG_OK);
    tg_dist_set_no_sync(d, false);
    ASSERT_EQ(tg_dist_train_on_batch(d, x + 6, 4, y + 12, nullptr), TG_OK) << tg_dist_message(d);
  }
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(m)), 100);
  const double diff = MaxRelDiff(m, ref);
  ::testing::Test::RecordProperty("max_rel_diff", std::to_string(diff));
  if (Rank() == 0) std::printf("max_rel_diff %.3g on %d ranks\n", diff, Size());
  EXPECT_LE(diff, kTol);
  EXPECT_TRUE(ReplicasIdentical(m));
  tg_dist_free(d);
  tg_model_free(m);
  tg_model_free(ref);
}

// fit without shuffling against tg_model_fit without shuffling: 10 rows in batches
// of 4 leave a last batch of 2 (on 4 ranks two of them get no rows).
TEST(DistTest, FitWithUnevenLastBatchMatchesOneProcess) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * 2];
  tg_seed_data(x, y);
  tg_model* ref = SeedModel(4);
  tg_model* m = SeedModel(4);
  tg_dist* d = Wrap(m, true);
  ASSERT_NE(d, nullptr);
  tg_fit_options fo = {};
  fo.epochs = 30;
  fo.batch_size = 4;
  fo.no_shuffle = true;
  std::vector<float> h1(30), hn(30);
  fo.history_loss = h1.data();
  ASSERT_EQ(tg_model_fit(ref, x, TG_SEED_ROWS, y, &fo), TG_OK);
  tg_dist_fit_options dfo = {};
  dfo.epochs = 30;
  dfo.batch_size = 4;
  dfo.no_shuffle = true;
  dfo.history_loss = hn.data();
  ASSERT_EQ(tg_dist_fit(d, x, TG_SEED_ROWS, y, &dfo), TG_OK) << tg_dist_message(d);
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(m)), 90);
  EXPECT_LE(MaxRelDiff(m, ref), kTol);
  for (int e = 0; e < 30; ++e) EXPECT_NEAR(hn[e], h1[e], 1e-5 * std::fmax(1.0f, h1[e])) << e;
  EXPECT_TRUE(ReplicasIdentical(m));
  tg_dist_free(d);
  tg_model_free(m);
  tg_model_free(ref);
}

bool StopAfterFour(void*, int64_t steps, float) { return steps < 4; }

TEST(DistTest, FitPrintsAndCheckpointsOnRankZeroOnly) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * 2];
  tg_seed_data(x, y);
  tg_model* m = SeedModel(4);
  tg_dist* d = Wrap(m, true);
  ASSERT_NE(d, nullptr);
  const char* dir = std::getenv("TEST_TMPDIR");
  // A different name per rank: only rank 0's may appear.
  const std::string ckpt =
      std::string(dir ? dir : "/tmp") + "/fit_ckpt_" + std::to_string(Rank()) + ".tgm";
  std::remove(ckpt.c_str());
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  tg_dist_fit_options fo = {};
  fo.epochs = 2;
  fo.batch_size = 5;
  fo.verbose = 2;
  fo.out = out;
  fo.checkpoint = ckpt.c_str();
  ASSERT_EQ(tg_dist_fit(d, x, TG_SEED_ROWS, y, &fo), TG_OK) << tg_dist_message(d);
  std::rewind(out);
  char text[512] = {};
  const size_t got = std::fread(text, 1, sizeof text - 1, out);
  std::fclose(out);
  FILE* saved = std::fopen(ckpt.c_str(), "rb");
  if (Rank() == 0) {
    EXPECT_NE(std::strstr(text, "Epoch 1/2 - loss: "), nullptr) << text;
    EXPECT_NE(std::strstr(text, "Epoch 2/2 - loss: "), nullptr) << text;
    EXPECT_NE(saved, nullptr);
  } else {
    EXPECT_EQ(got, 0u) << text;
    EXPECT_EQ(saved, nullptr);
  }
  if (saved) std::fclose(saved);
  // after_step stops the run early on every rank alike.
  fo.verbose = 0;
  fo.checkpoint = nullptr;
  fo.after_step = StopAfterFour;
  ASSERT_EQ(tg_dist_fit(d, x, TG_SEED_ROWS, y, &fo), TG_OK);
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(m)), 4 + 4);
  tg_dist_free(d);
  tg_model_free(m);
}

TEST(DistTest, EvaluateAndPredictGiveTheGlobalValuesOnEveryRank) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * 2];
  tg_seed_data(x, y);
  tg_model* m = SeedModel(6);
  tg_dist* d = Wrap(m, true);
  ASSERT_NE(d, nullptr);
  float want = 0, got = 0;
  ASSERT_EQ(tg_model_evaluate(m, x, TG_SEED_ROWS, y, &want), TG_OK);
  ASSERT_EQ(tg_dist_evaluate(d, x, TG_SEED_ROWS, y, &got), TG_OK) << tg_dist_message(d);
  EXPECT_NEAR(got, want, 1e-6 * std::fmax(1.0f, want));
  float p1[TG_SEED_ROWS * 2], pn[TG_SEED_ROWS * 2];
  ASSERT_EQ(tg_model_predict(m, x, TG_SEED_ROWS, p1, 20), TG_OK);
  std::memset(pn, 0, sizeof pn);
  ASSERT_EQ(tg_dist_predict(d, x, TG_SEED_ROWS, pn, 20), TG_OK) << tg_dist_message(d);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(pn[i], p1[i]) << i;  // row by row: same products
  EXPECT_EQ(tg_dist_predict(d, x, TG_SEED_ROWS, pn, 19), TG_ERR_SHAPE);
  EXPECT_STREQ(tg_dist_message(d), "tg_dist_predict: out holds 19 floats but 10 rows need 20");
  tg_dist_free(d);
  tg_model_free(m);
}

std::string Describe(tg_model* m, uint64_t seed) {
  std::vector<char> buf(tg_dist_describe(m, seed, nullptr, 0) + 1);
  tg_dist_describe(m, seed, buf.data(), buf.size());
  return buf.data();
}

// The error tg_dist_new gives when `bad` holds `theirs` and rank 0 `ours`.
std::string Expected(const std::string& ours, const std::string& theirs, int bad) {
  size_t first = 0;
  while (first < ours.size() && first < theirs.size() && ours[first] == theirs[first]) ++first;
  const size_t from = first > 40 ? first - 40 : 0;
  const std::string dots = from ? "..." : "";
  return "tg_dist_new: rank " + std::to_string(bad) +
         " differs from rank 0 (model or seed): rank 0 has \"" + dots + ours.substr(from, 100) +
         "\", rank " + std::to_string(bad) + " has \"" + dots + theirs.substr(from, 100) + "\"";
}

TEST(DistTest, DifferentSeedIsAnErrorOnEveryRank) {
  tg_model* m = SeedModel(1);
  const int bad = Size() - 1;
  tg_error err = {};
  tg_dist_options o = {};
  o.seed = Rank() == bad ? 8 : 7;
  EXPECT_EQ(tg_dist_new(m, &o, &err), nullptr);
  EXPECT_EQ(err.code, TG_ERR_ARG);
  EXPECT_EQ(std::string(err.message), Expected(Describe(m, 7), Describe(m, 8), bad));
  EXPECT_NE(std::string(err.message).find("rank 0 has \"seed 7; Dense dense_1"), std::string::npos);
  tg_model_free(m);
}

TEST(DistTest, DifferentArchitectureIsAnErrorOnEveryRank) {
  const int bad = Size() - 1;
  tg_model* ours = W2Model(1);
  tg_model* theirs = W2Model(1, 256);  // dense_1 has 256 units on the last rank
  tg_error err = {};
  tg_dist_options o = {};
  o.seed = 7;
  EXPECT_EQ(tg_dist_new(Rank() == bad ? theirs : ours, &o, &err), nullptr);
  EXPECT_EQ(err.code, TG_ERR_ARG);
  EXPECT_EQ(std::string(err.message), Expected(Describe(ours, 7), Describe(theirs, 7), bad));
  EXPECT_NE(std::string(err.message).find("256"), std::string::npos) << err.message;
  tg_model_free(ours);
  tg_model_free(theirs);
}

TEST(DistTest, CheckpointFromRankZeroLoadsOnEveryRank) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * 2];
  tg_seed_data(x, y);
  tg_model* m = SeedModel(9);
  tg_dist* d = Wrap(m, true);
  ASSERT_NE(d, nullptr);
  for (int s = 0; s < 5; ++s) ASSERT_EQ(tg_dist_train_on_batch(d, x, 10, y, nullptr), TG_OK);
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/dist_ckpt.tgm";
  ASSERT_EQ(tg_dist_save(d, path.c_str()), TG_OK) << tg_dist_message(d);
  tg_error err = {};
  tg_model* back = tg_dist_load(0, path.c_str(), nullptr, &err);
  ASSERT_NE(back, nullptr) << err.message;
  EXPECT_EQ(MaxRelDiff(back, m), 0.0);
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(back)), 5);
  EXPECT_EQ(tg_dist_load(0, "/nonexistent/x.tgm", nullptr, &err), nullptr);
  EXPECT_STREQ(err.message, "tg_dist_load: cannot open '/nonexistent/x.tgm'");
  EXPECT_EQ(tg_dist_save(d, "/nonexistent/dir/x.tgm"), TG_ERR_IO);
  tg_model_free(back);
  tg_dist_free(d);
  tg_model_free(m);
}

TEST(DistTest, BadArgumentsAreErrorsNotCrashes) {
  tg_model* m = SeedModel(1);
  tg_error err = {};
  tg_dist_options o = {};
  o.bucket_bytes = 2;
  EXPECT_EQ(tg_dist_new(m, &o, &err), nullptr);
  EXPECT_STREQ(err.message, "tg_dist_new: bucket_bytes must be 0 or >= 4, got 2");
  tg_dist* d = Wrap(m, true);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(tg_dist_train_on_batch(d, nullptr, 10, nullptr, nullptr), TG_ERR_NULL_ARG);
  EXPECT_STREQ(tg_dist_message(d), "tg_dist_train_on_batch: x is NULL");
  float x[1] = {0}, y[2] = {0, 0};
  EXPECT_EQ(tg_dist_train_on_batch(d, x, 0, y, nullptr), TG_ERR_ARG);
  EXPECT_STREQ(tg_dist_message(d), "tg_dist_train_on_batch: n must be >= 1, got 0");
  tg_dist_free(d);
  tg_model_free(m);
}

}  // namespace
