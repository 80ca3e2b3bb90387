// tests/fashion_mnist_small_test.cc — end to end on the real Fashion-MNIST files: a
// 784-64-10 MLP built directly from ops (matmul, add, relu, sparse categorical
// cross-entropy from logits), recorded once and replayed on the batcher's buffers,
// trained with a hand-written Adam on the first 2,000 training images, must reach
// >= 0.75 accuracy on the first 1,000 test images.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "data/batcher.h"
#include "data/confusion.h"
#include "data/idx.h"
#include "data/metrics.h"
#include "data/scale.h"
#include "ops/ops.h"
}

namespace {

const std::string kDir = "/usr/share/datasets/fashion-mnist/";

// The first n rows of an IDX pair, scaled to [0, 1] and flattened to 784 features.
tg_dataset LoadFirst(const std::string& prefix, int64_t n) {
  tg_dataset all, first;
  tg_error err = {};
  EXPECT_EQ(tg_idx_load((kDir + prefix + "-images-idx3-ubyte.gz").c_str(),
                        (kDir + prefix + "-labels-idx1-ubyte.gz").c_str(), nullptr, &all, &err),
            TG_OK)
      << err.message;
  EXPECT_EQ(tg_dataset_slice(&all, 0, n, &first, &err), TG_OK) << err.message;
  tg_dataset_free(&all);
  EXPECT_EQ(tg_dataset_scale(&first, 1.0f / 255.0f, &err), TG_OK);
  first.row_rank = 1;  // [28, 28] rows as [784]: the same contiguous floats
  first.row_shape[0] = 784;
  first.row_shape[1] = 1;
  return first;
}

// A parameter with Glorot-uniform values (Keras' default kernel init) or zeros.
tg_tensor* Param(int rank, std::vector<int64_t> shape, tg_rng* rng, bool glorot) {
  tg_error err = {};
  tg_tensor* p = tg_tensor_new(rank, shape.data(), true, &err);
  EXPECT_NE(p, nullptr) << err.message;
  if (glorot) {
    const float limit = std::sqrt(6.0f / static_cast<float>(shape[0] + shape[1]));
    for (int64_t i = 0; i < p->size; ++i) p->data[i] = (2 * tg_rng_uniform(rng) - 1) * limit;
  }
  return p;
}

// Adam as Keras: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²;
// w -= lr · sqrt(1-b2^t)/(1-b1^t) · m / (sqrt(v) + eps).
struct Adam {
  std::vector<std::vector<float>> m, v;
  int t = 0;
  void Step(const std::vector<tg_tensor*>& params, float lr) {
    if (m.empty())
      for (tg_tensor* p : params) {
        m.emplace_back(static_cast<size_t>(p->size), 0.0f);
        v.emplace_back(static_cast<size_t>(p->size), 0.0f);
      }
    ++t;
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-7f;
    const float a = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    for (size_t k = 0; k < params.size(); ++k) {
      tg_tensor* p = params[k];
      for (int64_t i = 0; i < p->size; ++i) {
        const float g = p->grad[i];
        float& mi = m[k][static_cast<size_t>(i)];
        float& vi = v[k][static_cast<size_t>(i)];
        mi = b1 * mi + (1 - b1) * g;
        vi = b2 * vi + (1 - b2) * g * g;
        p->data[i] -= a * mi / (std::sqrt(vi) + eps);
      }
    }
  }
};

// logits = relu(x·W1 + b1)·W2 + b2
tg_tensor* Logits(tg_tape* t, tg_tensor* x, const std::vector<tg_tensor*>& p) {
  tg_tensor* h = tg_relu(t, tg_add(t, tg_matmul(t, x, p[0]), p[1]));
  return tg_add(t, tg_matmul(t, h, p[2]), p[3]);
}

TEST(FashionMnistSmallTest, MlpFromOpsReachesThreeQuartersOnTestImages) {
  tg_dataset train = LoadFirst("train", 2000);
  tg_dataset test = LoadFirst("t10k", 1000);
  ASSERT_EQ(train.n, 2000);
  ASSERT_EQ(test.n, 1000);

  tg_rng rng;
  tg_rng_seed(&rng, 2024);
  std::vector<tg_tensor*> params = {Param(2, {784, 64}, &rng, true), Param(1, {64}, &rng, false),
                                    Param(2, {64, 10}, &rng, true), Param(1, {10}, &rng, false)};

  // Record one step on the batcher's buffers; every later step replays it.
  tg_batcher_options bo = {};
  bo.batch_size = 50;  // divides 2,000: every batch has the recorded shape
  bo.shuffle = true;
  bo.seed = 1;
  tg_error err = {};
  tg_batcher* batcher = tg_batcher_new(&train, &bo, nullptr, &err);
  ASSERT_NE(batcher, nullptr) << err.message;
  tg_batch batch;
  ASSERT_TRUE(tg_batcher_next(batcher, &batch));
  tg_tape* tape = tg_tape_new();
  tg_tensor* loss =
      tg_sparse_categorical_crossentropy(tape, Logits(tape, &batch.x, params), &batch.target, true);
  ASSERT_NE(loss, nullptr) << tg_tape_message(tape);
  const float first_loss = loss->data[0];

  Adam adam;
  float epoch_loss = 0;
  for (int epoch = 0; epoch < 8; ++epoch) {
    double sum = 0;
    int steps = 0;
    do {
      if (steps > 0 || epoch > 0) {  // the recording already ran the first forward
        ASSERT_EQ(tg_tape_forward(tape), TG_OK) << tg_tape_message(tape);
      }
      for (tg_tensor* p : params) tg_tensor_zero_grad(p);
      ASSERT_EQ(tg_tape_backward(tape, loss), TG_OK) << tg_tape_message(tape);
      adam.Step(params, 1e-3f);
      sum += loss->data[0];
      ++steps;
    } while (tg_batcher_next(batcher, &batch));
    EXPECT_EQ(steps, 40);
    epoch_loss = static_cast<float>(sum / steps);
    ASSERT_TRUE(tg_batcher_next(batcher, &batch));  // the next epoch's first batch
  }
  // ln 10 = 2.30 at the start (about); well below after training.
  EXPECT_GT(first_loss, 1.5f);
  EXPECT_LT(epoch_loss, 0.6f);

  // Evaluate the first 1,000 test images in one forward pass.
  tg_tape* eval = tg_tape_new();
  tg_tensor xt;
  ASSERT_EQ(tg_dataset_x_view(&test, &xt, &err), TG_OK);
  tg_tensor* logits = Logits(eval, &xt, params);
  ASSERT_NE(logits, nullptr) << tg_tape_message(eval);
  double accuracy = 0;
  ASSERT_EQ(tg_sparse_categorical_accuracy(logits->data, test.labels, 1000, 10, &accuracy, &err),
            TG_OK)
      << err.message;
  tg_confusion cm;
  ASSERT_EQ(tg_confusion_init(&cm, 10, nullptr, &err), TG_OK);
  ASSERT_EQ(tg_confusion_add_predictions(&cm, logits->data, test.labels, 1000, &err), TG_OK);
  std::printf("test accuracy on 1,000 images: %.4f (last epoch's loss %.4f)\n", accuracy,
              epoch_loss);
  tg_confusion_print(&cm, nullptr, stdout);
  int64_t diagonal = 0;
  for (int k = 0; k < 10; ++k) diagonal += cm.counts[k * 10 + k];
  EXPECT_EQ(diagonal, static_cast<int64_t>(std::lround(accuracy * 1000)));
  EXPECT_GE(accuracy, 0.75);

  tg_confusion_free(&cm);
  tg_tape_free(eval);
  tg_tape_free(tape);
  tg_batcher_free(batcher);
  for (tg_tensor* p : params) tg_tensor_free(p);
  tg_dataset_free(&train);
  tg_dataset_free(&test);
}

}  // namespace
