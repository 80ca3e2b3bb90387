// dist/fashion_mnist_test.cc — a Fashion-MNIST model trains on N ranks with the same
// result as on one. Runs under mpirun (dist/mpi_test.sh, 2 and 4 ranks). Every rank
// reads the real files (Debian's dataset-fashion-mnist) with data/idx, keeps the
// first 1,024 training and the first 1,000 test images, and trains the example's
// MLP (784-256-128-10, ReLU, softmax, sparse categorical cross-entropy on integer
// labels, Adam) twice with tg_dist_fit: on a communicator of its own rank alone
// (one process; dist's one-rank path is the plain model bit for bit, dist_test's
// OneRankIsTheModelBitForBit) and on all ranks, the same seed, shuffle and global
// batch; once as the example has it, with Dropout(0.2) after each hidden layer, and
// once without. Dropout does not loosen the agreement: a row's mask depends on the
// step's key and its global row only (ops/nn.h, tg_dropout), so every row gets the
// mask one process gives it, whichever rank holds it.
//
// Tolerances. The N-rank gradient is the sum over ranks of (shard rows / batch rows)
// x the shard's mean gradient; one process takes the mean over all rows at once. The
// two are the same sum grouped differently, so they differ by float rounding only
// (a few ulps of each gradient element), and Adam's m / sqrt(v) turns relative
// gradient differences into relative step differences of the same size, times the
// learning rate; over 45 steps these add up. Measured (AMD EPYC, fastbuild): max
// |w_N - w_1| = 4.1e-07 on 2 ranks and 2.8e-07 on 4 over the 235,146 parameters.
// kParamTol = 1e-5 is more than 20x the largest seen and still 100x below one Adam
// step (lr 1e-3), so a wrong shard weighting, a rank training on other rows or a
// missed reduction (differences ~1e-3 after a single step) fails. Accuracy: a test
// image's predicted class changes only if its two largest probabilities lie within
// ~1e-6 of each other; among 1,000 images that happens for none (measured: equal
// accuracy, 0.7580, and test loss to 6 decimals on 1, 2 and 4 ranks) or rarely one,
// so the correct counts may differ by one image (0.001), and must reach 0.70 (the
// model learned: chance is 0.10).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

extern "C" {
#include "data/dataset.h"
#include "data/idx.h"
#include "data/scale.h"
#include "dist/dist.h"
#include "dist/mpi_gtest.h"
#include "frontends/model.h"
}

namespace {

constexpr double kParamTol = 1e-5;  // max |w_N - w_1| over the parameters
constexpr int kTrainRows = 1024, kTestRows = 1000;
const std::string kDir = "/usr/share/datasets/fashion-mnist/";

// The first n images (scaled to [0, 1], 784 floats each) and their labels as floats
// (what fit takes for sparse_categorical_crossentropy).
void LoadFirst(const std::string& prefix, int64_t n, std::vector<float>* x, std::vector<float>* y) {
  tg_dataset all = {}, first = {};
  tg_error err = {};
  ASSERT_EQ(tg_idx_load((kDir + prefix + "-images-idx3-ubyte.gz").c_str(),
                        (kDir + prefix + "-labels-idx1-ubyte.gz").c_str(), nullptr, &all, &err),
            TG_OK)
      << err.message;
  ASSERT_EQ(tg_dataset_slice(&all, 0, n, &first, &err), TG_OK) << err.message;
  tg_dataset_free(&all);
  ASSERT_EQ(tg_dataset_scale(&first, 1.0f / 255.0f, &err), TG_OK) << err.message;
  ASSERT_EQ(first.row_size, 784);
  x->assign(first.x, first.x + n * 784);
  y->resize(n);
  for (int64_t i = 0; i < n; ++i) (*y)[i] = static_cast<float>(first.labels[i]);
  tg_dataset_free(&first);
}

// examples/fashion_mnist.c's MLP, with or without its dropout layers.
tg_model* Mlp(bool dropout) {
  tg_error err = {};
  tg_model_options mo = {};
  mo.input_dim = 784;
  mo.seed = 42;
  mo.threads = 1;
  tg_model* m = tg_sequential_new(&mo, &err);
  EXPECT_NE(m, nullptr) << err.message;
  const int64_t units[3] = {256, 128, 10};
  for (int i = 0; i < 3; ++i) {
    tg_dense_options d = {};
    d.units = units[i];
    d.activation = i < 2 ? TG_ACT_RELU : TG_ACT_SOFTMAX;
    EXPECT_EQ(tg_model_add_dense(m, d), TG_OK) << tg_model_message(m);
    if (dropout && i < 2) {
      tg_dropout_layer_options o = {0.2f};
      EXPECT_EQ(tg_model_add(m, &tg_layer_dropout, &o), TG_OK) << tg_model_message(m);
    }
  }
  tg_loss loss = {};
  loss.kind = TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
  EXPECT_EQ(tg_model_compile(m, loss, nullptr), TG_OK) << tg_model_message(m);
  return m;
}

// Images of the first n whose largest probability is at their label.
int Correct(const std::vector<float>& probs, const std::vector<float>& labels) {
  int right = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    int best = 0;
    for (int c = 1; c < 10; ++c)
      if (probs[i * 10 + c] > probs[i * 10 + best]) best = c;
    right += best == static_cast<int>(labels[i]);
  }
  return right;
}

struct Outcome {
  std::vector<float> params, history, probs;
  float test_loss = 0;
  int64_t steps = 0;
  bool identical = false;  // every rank of the communicator holds the same bits
};

// Five epochs of 1,024 rows in global batches of 125 (eight full batches and one
// of 24: 45 Adam steps), then the test images' loss and probabilities.
void Train(MPI_Comm comm, bool dropout, const std::vector<float>& x, const std::vector<float>& y,
           const std::vector<float>& tx, const std::vector<float>& ty, Outcome* out) {
  tg_model* m = Mlp(dropout);
  ASSERT_NE(m, nullptr);
  tg_error err = {};
  tg_dist_options o = {};
  o.comm = comm;
  o.seed = 11;
  tg_dist* d = tg_dist_new(m, &o, &err);
  ASSERT_NE(d, nullptr) << err.message;
  tg_dist_fit_options fo = {};
  fo.epochs = 5;
  fo.batch_size = 125;  // odd: 2 ranks take 62 and 63 rows, so the shard weights matter
  out->history.assign(5, 0.0f);
  fo.history_loss = out->history.data();
  ASSERT_EQ(tg_dist_fit(d, x.data(), kTrainRows, y.data(), &fo), TG_OK) << tg_dist_message(d);
  out->steps = tg_optimizer_iterations(tg_model_optimizer(m));
  ASSERT_EQ(tg_dist_evaluate(d, tx.data(), kTestRows, ty.data(), &out->test_loss), TG_OK)
      << tg_dist_message(d);
  out->probs.assign(kTestRows * 10, 0.0f);
  ASSERT_EQ(tg_dist_predict(d, tx.data(), kTestRows, out->probs.data(), kTestRows * 10), TG_OK)
      << tg_dist_message(d);
  const float* p = tg_model_param_values(m);
  out->params.assign(p, p + tg_model_param_size(m));
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the parameter bits
  const unsigned char* bytes = reinterpret_cast<const unsigned char*>(p);
  for (size_t i = 0; i < out->params.size() * sizeof(float); ++i)
    h = (h ^ bytes[i]) * 1099511628211ull;
  uint64_t lo = h, hi = h;
  MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, comm);
  MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, comm);
  out->identical = lo == hi;
  tg_dist_free(d);
  tg_model_free(m);
}

void AllRanksAgainstOne(bool dropout) {
  std::vector<float> x, y, tx, ty;
  ASSERT_NO_FATAL_FAILURE(LoadFirst("train", kTrainRows, &x, &y));
  ASSERT_NO_FATAL_FAILURE(LoadFirst("t10k", kTestRows, &tx, &ty));
  MPI_Comm self;
  MPI_Comm_split(MPI_COMM_WORLD, Rank(), 0, &self);
  Outcome one, all;
  ASSERT_NO_FATAL_FAILURE(Train(self, dropout, x, y, tx, ty, &one));
  ASSERT_NO_FATAL_FAILURE(Train(MPI_COMM_WORLD, dropout, x, y, tx, ty, &all));
  MPI_Comm_free(&self);

  EXPECT_EQ(one.steps, 45);
  EXPECT_EQ(all.steps, 45);
  EXPECT_TRUE(all.identical) << "the replicas drifted apart";
  ASSERT_EQ(one.params.size(), 235146u);
  ASSERT_EQ(all.params.size(), one.params.size());
  double worst = 0.0;
  for (size_t i = 0; i < one.params.size(); ++i)
    worst = std::fmax(worst, std::fabs((double)all.params[i] - (double)one.params[i]));
  const int right_one = Correct(one.probs, ty), right_all = Correct(all.probs, ty);
  if (Rank() == 0)
    std::printf(
        "fashion_mnist%s on %d ranks: max |w_N - w_1| = %.3g; test_accuracy %.4f (1 rank) "
        "%.4f (%d ranks); test_loss %.6f / %.6f\n",
        dropout ? " with dropout" : "", Size(), worst, right_one / (double)kTestRows,
        right_all / (double)kTestRows, Size(), one.test_loss, all.test_loss);
  ::testing::Test::RecordProperty("max_abs_param_diff", std::to_string(worst));
  EXPECT_LE(worst, kParamTol);
  EXPECT_LE(std::abs(right_all - right_one), 1);
  EXPECT_GE(right_one, 700);
  // Losses: means over the same rows of the same per-row values, to rounding.
  EXPECT_NEAR(all.test_loss, one.test_loss, 1e-4);
  for (int e = 0; e < 5; ++e) EXPECT_NEAR(all.history[e], one.history[e], 1e-4) << "epoch " << e;
  EXPECT_LT(one.history[4], one.history[0]);
}

TEST(DistFashionMnistTest, TrainsOnAllRanksAsOnOne) { AllRanksAgainstOne(false); }
TEST(DistFashionMnistTest, TrainsWithDropoutOnAllRanksAsOnOne) { AllRanksAgainstOne(true); }

}  // namespace
