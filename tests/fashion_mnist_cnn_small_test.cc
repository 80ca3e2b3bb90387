// tests/fashion_mnist_cnn_small_test.cc — the CNN path end to end on the real
// Fashion-MNIST files, through the layer API: a small version of
// examples/fashion_mnist.c's CNN (Conv2D -> BatchNormalization -> MaxPooling2D twice,
// Flatten, Dropout, Dense, Dropout, Dense softmax; 8 and 16 filters instead of 32 and
// 64, 64 hidden units instead of 128 and lighter dropout (0.1, 0.25) so that 4 epochs
// train it in seconds under ASan), fit on the first 2,000 training images,
// evaluated (batch norm on its moving statistics, dropout off) on the first 1,000
// test images.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

extern "C" {
#include "data/idx.h"
#include "data/scale.h"
#include "frontends/fit.h"
#include "frontends/model.h"
}

namespace {

const std::string kDir = "/usr/share/datasets/fashion-mnist/";

// The first n rows of an IDX pair, scaled to [0, 1]; rows stay [28, 28].
tg_dataset LoadFirst(const std::string& prefix, int64_t n) {
  tg_dataset all = {}, first = {};
  tg_error err = {};
  EXPECT_EQ(tg_idx_load((kDir + prefix + "-images-idx3-ubyte.gz").c_str(),
                        (kDir + prefix + "-labels-idx1-ubyte.gz").c_str(), nullptr, &all, &err),
            TG_OK)
      << err.message;
  EXPECT_EQ(tg_dataset_slice(&all, 0, n, &first, &err), TG_OK) << err.message;
  tg_dataset_free(&all);
  EXPECT_EQ(tg_dataset_scale(&first, 1.0f / 255.0f, &err), TG_OK) << err.message;
  return first;
}

tg_model* SmallCnn(float bn_momentum) {
  tg_model_options mo = {};
  mo.input_shape.rank = 3;
  mo.input_shape.dim[0] = 28;
  mo.input_shape.dim[1] = 28;
  mo.input_shape.dim[2] = 1;
  mo.seed = 7;
  mo.threads = 1;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&mo, &err);
  EXPECT_NE(m, nullptr) << err.message;
  if (m == nullptr) return nullptr;
  tg_conv2d_layer_options c1 = {};
  c1.filters = 8;
  c1.kernel_size[0] = c1.kernel_size[1] = 3;
  c1.padding = TG_PADDING_SAME;
  c1.activation = TG_ACT_RELU;
  tg_conv2d_layer_options c2 = c1;
  c2.filters = 16;
  tg_pool2d_layer_options pool = {};
  pool.pool_size[0] = pool.pool_size[1] = 2;
  tg_batch_norm_layer_options bn = {};
  bn.momentum = bn_momentum;
  tg_dropout_layer_options d1 = {}, d2 = {};
  d1.rate = 0.1f;
  d2.rate = 0.25f;
  tg_dense_options hidden = {}, out = {};
  hidden.units = 64;
  hidden.activation = TG_ACT_RELU;
  out.units = 10;
  out.activation = TG_ACT_SOFTMAX;
  EXPECT_EQ(tg_model_add(m, &tg_layer_conv2d, &c1), TG_OK) << tg_model_message(m);
  EXPECT_EQ(tg_model_add(m, &tg_layer_batch_normalization, &bn), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_max_pooling2d, &pool), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_conv2d, &c2), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_batch_normalization, &bn), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_max_pooling2d, &pool), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_flatten, nullptr), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_dropout, &d1), TG_OK);
  EXPECT_EQ(tg_model_add_dense(m, hidden), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_dropout, &d2), TG_OK);
  EXPECT_EQ(tg_model_add_dense(m, out), TG_OK) << tg_model_message(m);
  const char* metrics[] = {"accuracy"};
  tg_loss loss = {};
  loss.kind = TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
  EXPECT_EQ(tg_model_compile_metrics(m, loss, nullptr, metrics, 1), TG_OK) << tg_model_message(m);
  return m;
}

TEST(FashionMnistCnnSmallTest, SmallCnnThroughLayersLearnsTheRealImages) {
  tg_dataset train = LoadFirst("train", 2000);
  tg_dataset test = LoadFirst("t10k", 1000);
  ASSERT_EQ(train.n, 2000);
  ASSERT_EQ(test.n, 1000);
  // Batch-norm momentum 0.9, as examples/fashion_mnist.c: at Keras' 0.99 the moving
  // variance still holds 0.99^252 = 8 % of its initial 1 after the 252 steps below,
  // far above the first block's true variance (~1e-3), and inference normalises
  // wrongly: the same training (the same losses) then gives 0.666 test accuracy.
  tg_model* m = SmallCnn(0.9f);
  ASSERT_NE(m, nullptr);
  tg_history* h = tg_history_new(nullptr);
  tg_fit_options fo = {};
  fo.epochs = 4;
  fo.batch_size = 32;
  fo.history = h;
  ASSERT_EQ(tg_model_fit_dataset(m, &train, nullptr, &fo), TG_OK) << tg_model_message(m);
  const double* loss = tg_history_values(h, "loss");
  ASSERT_NE(loss, nullptr);
  tg_evaluate_options eo = {};
  eo.batch_size = 500;
  tg_evaluation ev = {};
  ASSERT_EQ(tg_model_evaluate_dataset(m, &test, &eo, &ev), TG_OK) << tg_model_message(m);
  std::printf("training loss per epoch: %.4f %.4f %.4f %.4f; test accuracy %.4f (loss %.4f)\n",
              loss[0], loss[1], loss[2], loss[3], ev.metrics[0], ev.loss);
  // Measured (seed 7, one thread): epoch losses 1.179 0.650 0.557 0.456, test accuracy
  // 0.813 (guessing among 10 classes: 0.10). Thresholds leave 0.14 and 0.033 of margin.
  EXPECT_LT(loss[3], loss[0]);
  EXPECT_LT(loss[3], 0.6);
  EXPECT_GE(ev.metrics[0], 0.78);
  EXPECT_STREQ(tg_history_warnings(h), "");  // the doctor found nothing wrong
  tg_history_free(h);
  tg_model_free(m);
  tg_dataset_free(&train);
  tg_dataset_free(&test);
}

}  // namespace
