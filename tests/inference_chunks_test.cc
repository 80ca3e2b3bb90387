// tests/inference_chunks_test.cc — tg_model_options.inference_rows: predict and
// evaluate run a batch above the bound in equal chunks through one recording, so
// their memory is that of one chunk. Each chunk predicts what a predict call of its
// rows does (a padded last chunk: what a call of its rows plus zero rows does); the
// loss and metrics are the whole batch's, computed here on a tape of our own.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "frontends/fit.h"
#include "frontends/model.h"
#include "ops/ops.h"
}

namespace {

constexpr int64_t kPixels = 36;  // 6x6x1
constexpr int64_t kClasses = 3;

// Counts the bytes the model holds (live) and its calls (a replay allocates nothing).
class ByteCounter {
 public:
  ByteCounter() : a_{&Alloc, &Free, this} {}
  const tg_allocator* get() const { return &a_; }
  size_t live() const { return live_; }
  int calls() const { return calls_; }

 private:
  static constexpr size_t kHeader = 16;  // keeps malloc's alignment
  static void* Alloc(void* ctx, size_t size) {
    ByteCounter* c = static_cast<ByteCounter*>(ctx);
    unsigned char* p = static_cast<unsigned char*>(std::malloc(size + kHeader));
    if (p == nullptr) return nullptr;
    std::memcpy(p, &size, sizeof size);
    c->live_ += size;
    c->calls_++;
    return p + kHeader;
  }
  static void Free(void* ctx, void* q) {
    if (q == nullptr) return;
    unsigned char* p = static_cast<unsigned char*>(q) - kHeader;
    size_t size = 0;
    std::memcpy(&size, p, sizeof size);
    static_cast<ByteCounter*>(ctx)->live_ -= size;
    std::free(p);
  }
  tg_allocator a_;
  size_t live_ = 0;
  int calls_ = 0;
};

struct Data {
  std::vector<float> x, y;
};

Data MakeData(int64_t n, uint64_t seed) {
  tg_rng rng;
  tg_rng_seed(&rng, seed);
  Data d;
  for (int64_t i = 0; i < n * kPixels; ++i) d.x.push_back(tg_rng_uniform(&rng));
  for (int64_t i = 0; i < n; ++i) d.y.push_back(static_cast<float>(tg_rng_below(&rng, kClasses)));
  return d;
}

// Conv2D(4, relu) -> BatchNormalization -> MaxPooling2D -> Flatten -> Dense(8, relu)
// -> Dense(3, softmax), trained two steps (so batch norm has statistics of its own).
tg_model* Cnn(int64_t inference_rows, const tg_allocator* alloc, float l2 = 0.0f) {
  tg_error err = {};
  tg_model_options mo = {};
  mo.input_shape.rank = 3;
  mo.input_shape.dim[0] = mo.input_shape.dim[1] = 6;
  mo.input_shape.dim[2] = 1;
  mo.seed = 3;
  mo.inference_rows = inference_rows;
  mo.allocator = alloc;
  tg_model* m = tg_sequential_new(&mo, &err);
  EXPECT_NE(nullptr, m) << err.message;
  tg_conv2d_layer_options conv = {};
  conv.filters = 4;
  conv.kernel_size[0] = conv.kernel_size[1] = 3;
  conv.padding = TG_PADDING_SAME;
  conv.activation = TG_ACT_RELU;
  tg_batch_norm_layer_options bn = {};
  bn.momentum = 0.5f;
  tg_pool2d_layer_options pool = {};
  EXPECT_EQ(TG_OK, tg_model_add(m, &tg_layer_conv2d, &conv));
  EXPECT_EQ(TG_OK, tg_model_add(m, &tg_layer_batch_normalization, &bn));
  EXPECT_EQ(TG_OK, tg_model_add(m, &tg_layer_max_pooling2d, &pool));
  EXPECT_EQ(TG_OK, tg_model_add(m, &tg_layer_flatten, nullptr));
  tg_dense_options hidden = {};
  hidden.units = 8;
  hidden.activation = TG_ACT_RELU;
  hidden.kernel_regularizer.l2 = l2;
  EXPECT_EQ(TG_OK, tg_model_add_dense(m, hidden));
  tg_dense_options head = {};
  head.units = kClasses;
  head.activation = TG_ACT_SOFTMAX;
  EXPECT_EQ(TG_OK, tg_model_add_dense(m, head));
  const char* metrics[1] = {"accuracy"};
  tg_loss loss = {};
  loss.kind = TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
  EXPECT_EQ(TG_OK, tg_model_compile_metrics(m, loss, nullptr, metrics, 1)) << tg_model_message(m);
  const Data train = MakeData(16, 1);
  for (int s = 0; s < 2; ++s)
    EXPECT_EQ(TG_OK, tg_model_train_on_batch(m, train.x.data(), 16, train.y.data(), nullptr))
        << tg_model_message(m);
  return m;
}

TEST(InferenceChunksTest, EachChunkPredictsWhatACallOfItsRowsDoes) {
  // 69 rows at a bound of 16: 5 chunks of 14 rows, the last with 13 and a zero row.
  tg_model* chunked = Cnn(16, nullptr);
  tg_model* plain = Cnn(0, nullptr);
  const Data d = MakeData(69, 2);
  std::vector<float> got(69 * kClasses), want(69 * kClasses);
  ASSERT_EQ(TG_OK, tg_model_predict(chunked, d.x.data(), 69, got.data(), got.size()))
      << tg_model_message(chunked);
  ASSERT_EQ(TG_OK, tg_model_predict_batched(plain, d.x.data(), 56, 14, want.data(), 56 * kClasses));
  std::vector<float> last(14 * kPixels, 0.0f), last_out(14 * kClasses);
  std::memcpy(last.data(), d.x.data() + 56 * kPixels, 13 * kPixels * sizeof(float));
  ASSERT_EQ(TG_OK, tg_model_predict(plain, last.data(), 14, last_out.data(), last_out.size()));
  std::memcpy(want.data() + 56 * kClasses, last_out.data(), 13 * kClasses * sizeof(float));
  EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float)));
  // A batch within the bound is one call, as without a bound.
  ASSERT_EQ(TG_OK, tg_model_predict(chunked, d.x.data(), 16, got.data(), got.size()));
  ASSERT_EQ(TG_OK, tg_model_predict(plain, d.x.data(), 16, want.data(), want.size()));
  EXPECT_EQ(0, std::memcmp(got.data(), want.data(), 16 * kClasses * sizeof(float)));
  tg_model_free(chunked);
  tg_model_free(plain);
}

TEST(InferenceChunksTest, EvaluateGivesTheWholeBatchsLossAndAccuracy) {
  tg_model* m = Cnn(16, nullptr);
  const Data d = MakeData(69, 4);
  tg_evaluate_options o = {};
  o.batch_size = 69;
  tg_evaluation ev = {};
  ASSERT_EQ(TG_OK, tg_model_evaluate_metrics(m, d.x.data(), 69, d.y.data(), &o, &ev))
      << tg_model_message(m);
  std::vector<float> p(69 * kClasses);
  ASSERT_EQ(TG_OK, tg_model_predict(m, d.x.data(), 69, p.data(), p.size()));
  // The loss op over all 69 rows of those predictions, on a tape of our own.
  tg_tape* t = tg_tape_new();
  const int64_t ps[2] = {69, kClasses}, ls[1] = {69};
  std::vector<int32_t> labels;
  int correct = 0;
  for (int64_t r = 0; r < 69; ++r) {
    labels.push_back(static_cast<int32_t>(d.y[r]));
    int best = 0;
    for (int j = 1; j < kClasses; ++j)
      if (p[r * kClasses + j] > p[r * kClasses + best]) best = j;
    correct += best == labels.back();
  }
  tg_tensor* loss =
      tg_sparse_categorical_crossentropy(t, tg_tape_leaf(t, 2, ps, p.data(), false),
                                         tg_tape_index_leaf(t, 1, ls, labels.data()), false);
  ASSERT_NE(nullptr, loss) << tg_tape_message(t);
  EXPECT_EQ(static_cast<double>(loss->data[0]), ev.loss);
  EXPECT_EQ(correct / 69.0, ev.metrics[0]);
  // The same batch again replays every tape: the same numbers.
  tg_evaluation again = {};
  ASSERT_EQ(TG_OK, tg_model_evaluate_metrics(m, d.x.data(), 69, d.y.data(), &o, &again));
  EXPECT_EQ(ev.loss, again.loss);
  tg_tape_free(t);
  tg_model_free(m);
}

TEST(InferenceChunksTest, EvaluateAddsThePenaltiesOnce) {
  // With an L2 penalty on the hidden kernel: loss = cross-entropy + 0.05 * sum(w^2),
  // the penalty added once for the batch, not once per chunk.
  const float l2 = 0.05f;
  tg_model* m = Cnn(16, nullptr, l2);
  const Data d = MakeData(50, 5);
  tg_evaluate_options o = {};
  o.batch_size = 50;
  tg_evaluation ev = {};
  ASSERT_EQ(TG_OK, tg_model_evaluate_metrics(m, d.x.data(), 50, d.y.data(), &o, &ev))
      << tg_model_message(m);
  std::vector<float> p(50 * kClasses);
  ASSERT_EQ(TG_OK, tg_model_predict(m, d.x.data(), 50, p.data(), p.size()));
  double ce = 0.0;
  for (int64_t r = 0; r < 50; ++r)
    ce -= std::log(static_cast<double>(p[r * kClasses + static_cast<int>(d.y[r])]));
  ce /= 50.0;
  tg_layer_info info = {};
  ASSERT_EQ(TG_OK, tg_model_layer(m, 4, &info));  // dense_1
  ASSERT_NE(nullptr, info.kernel);
  double penalty = 0.0;
  for (int64_t i = 0; i < info.kernel->size; ++i)
    penalty += static_cast<double>(info.kernel->data[i]) * info.kernel->data[i];
  penalty *= l2;
  ASSERT_GT(penalty, 1e-3);
  EXPECT_NEAR(ce + penalty, ev.loss, 1e-5 * (ce + penalty));
  tg_model_free(m);
}

TEST(InferenceChunksTest, MemoryIsThatOfOneChunk) {
  ByteCounter bc, bp;
  tg_model* chunked = Cnn(16, bc.get());
  tg_model* plain = Cnn(0, bp.get());
  const Data d = MakeData(512, 6);
  tg_evaluate_options o = {};
  tg_evaluation ev = {};
  std::vector<float> p(512 * kClasses);
  size_t small[2] = {0, 0}, large[2] = {0, 0};
  int i = 0;
  for (tg_model* m : {chunked, plain}) {
    const ByteCounter& c = m == chunked ? bc : bp;
    o.batch_size = 16;
    ASSERT_EQ(TG_OK, tg_model_evaluate_metrics(m, d.x.data(), 16, d.y.data(), &o, &ev));
    ASSERT_EQ(TG_OK, tg_model_predict(m, d.x.data(), 16, p.data(), p.size()));
    small[i] = c.live();
    o.batch_size = 512;
    ASSERT_EQ(TG_OK, tg_model_evaluate_metrics(m, d.x.data(), 512, d.y.data(), &o, &ev))
        << tg_model_message(m);
    ASSERT_EQ(TG_OK, tg_model_predict(m, d.x.data(), 512, p.data(), p.size()));
    large[i] = c.live();
    ++i;
  }
  // Without a bound both tapes grow with the batch: every value of 512 rows is kept
  // (the conv output alone is 512 x 36 x 4 floats, 288 KiB, in each). With one, only
  // evaluate's loss over the whole batch grows (its predictions, labels and loss).
  const size_t grew_plain = large[1] - small[1], grew_chunked = large[0] - small[0];
  EXPECT_GT(grew_plain, 2u * 512 * 36 * 4 * sizeof(float));
  EXPECT_LT(grew_chunked, grew_plain / 16);
  // Replaying the large batch allocates nothing.
  const int calls = bc.calls();
  ASSERT_EQ(TG_OK, tg_model_evaluate_metrics(chunked, d.x.data(), 512, d.y.data(), &o, &ev));
  ASSERT_EQ(TG_OK, tg_model_predict(chunked, d.x.data(), 512, p.data(), p.size()));
  EXPECT_EQ(calls, bc.calls());
  tg_model_free(chunked);
  tg_model_free(plain);
  EXPECT_EQ(0u, bc.live());
  EXPECT_EQ(0u, bp.live());
}

TEST(InferenceChunksTest, ABadLabelIsNamedByItsRowInTheBatch) {
  tg_model* chunked = Cnn(16, nullptr);
  tg_model* plain = Cnn(0, nullptr);
  Data d = MakeData(40, 7);
  d.y[37] = 9.0f;
  float loss = 0.0f;
  EXPECT_NE(TG_OK, tg_model_evaluate(chunked, d.x.data(), 40, d.y.data(), &loss));
  EXPECT_NE(TG_OK, tg_model_evaluate(plain, d.x.data(), 40, d.y.data(), &loss));
  EXPECT_EQ(std::string(tg_model_message(plain)), tg_model_message(chunked));
  EXPECT_NE(std::string::npos, std::string(tg_model_message(chunked)).find("37"))
      << tg_model_message(chunked);
  tg_model_free(chunked);
  tg_model_free(plain);
}

TEST(InferenceChunksTest, ANegativeBoundIsRefused) {
  tg_error err = {};
  tg_model_options mo = {};
  mo.input_dim = 4;
  mo.inference_rows = -1;
  EXPECT_EQ(nullptr, tg_sequential_new(&mo, &err));
  EXPECT_EQ(TG_ERR_ARG, err.code);
  EXPECT_STREQ("tg_sequential_new: inference_rows must be >= 0 (0: no bound), got -1", err.message);
}

}  // namespace
