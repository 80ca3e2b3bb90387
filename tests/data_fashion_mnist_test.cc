// tests/data_fashion_mnist_test.cc — the IDX reader on the real Fashion-MNIST files
// (Debian's dataset-fashion-mnist). The expected values were read independently:
//   /usr/bin/python3 -c "import gzip; d='/usr/share/datasets/fashion-mnist/';
//     im = gzip.open(d + 'train-images-idx3-ubyte.gz').read()[16:];
//     lb = gzip.open(d + 'train-labels-idx1-ubyte.gz').read()[8:];
//     print([lb[i] for i in (0, 1, 2, 9999, 59999)],
//           [im[i*784 + 14*28 + 14] for i in (0, 1, 2, 9999)],
//           [sum(im[i*784:(i+1)*784]) for i in (0, 1, 2, 9999, 59999)],
//           [lb[:2000].count(k) for k in range(10)])"
// (and the same for t10k-*). Header fields by struct.unpack('>IIII', ...).
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "data/idx.h"
#include "data/scale.h"
}

namespace {

const std::string kDir = "/usr/share/datasets/fashion-mnist/";

double RowSum(const tg_dataset& ds, int64_t row) {
  double s = 0;
  for (int64_t j = 0; j < ds.row_size; ++j) s += ds.x[row * ds.row_size + j];
  return s;
}

float Pixel(const tg_dataset& ds, int64_t row, int r, int c) {
  return ds.x[row * ds.row_size + r * 28 + c];
}

TEST(FashionMnistFilesTest, TrainingSet) {
  tg_dataset ds;
  tg_error err = {};
  ASSERT_EQ(tg_idx_load((kDir + "train-images-idx3-ubyte.gz").c_str(),
                        (kDir + "train-labels-idx1-ubyte.gz").c_str(), nullptr, &ds, &err),
            TG_OK)
      << err.message;
  EXPECT_EQ(ds.n, 60000);
  EXPECT_EQ(ds.row_rank, 2);
  EXPECT_EQ(ds.row_shape[0], 28);
  EXPECT_EQ(ds.row_shape[1], 28);
  EXPECT_EQ(ds.num_classes, 10);
  EXPECT_EQ(ds.labels[0], 9);
  EXPECT_EQ(ds.labels[1], 0);
  EXPECT_EQ(ds.labels[2], 0);
  EXPECT_EQ(ds.labels[9999], 6);
  EXPECT_EQ(ds.labels[59999], 5);
  EXPECT_EQ(Pixel(ds, 0, 14, 14), 217.0f);
  EXPECT_EQ(Pixel(ds, 1, 14, 14), 204.0f);
  EXPECT_EQ(Pixel(ds, 1, 10, 5), 223.0f);
  EXPECT_EQ(Pixel(ds, 2, 14, 14), 85.0f);
  EXPECT_EQ(Pixel(ds, 9999, 10, 5), 187.0f);
  EXPECT_EQ(RowSum(ds, 0), 76247.0);
  EXPECT_EQ(RowSum(ds, 1), 84598.0);
  EXPECT_EQ(RowSum(ds, 2), 28662.0);
  EXPECT_EQ(RowSum(ds, 9999), 79936.0);
  EXPECT_EQ(RowSum(ds, 59999), 16684.0);
  const int want[10] = {194, 216, 202, 195, 186, 200, 194, 215, 198, 200};
  int count[10] = {};
  for (int i = 0; i < 2000; ++i) count[ds.labels[i]]++;
  for (int k = 0; k < 10; ++k) EXPECT_EQ(count[k], want[k]) << "class " << k;
  // Scaling to [0, 1]: 217 / 255.
  ASSERT_EQ(tg_dataset_scale(&ds, 1.0f / 255.0f, &err), TG_OK);
  EXPECT_FLOAT_EQ(Pixel(ds, 0, 14, 14), 217.0f / 255.0f);
  tg_dataset_free(&ds);
}

TEST(FashionMnistFilesTest, TestSet) {
  tg_dataset ds;
  tg_error err = {};
  ASSERT_EQ(tg_idx_load((kDir + "t10k-images-idx3-ubyte.gz").c_str(),
                        (kDir + "t10k-labels-idx1-ubyte.gz").c_str(), nullptr, &ds, &err),
            TG_OK)
      << err.message;
  EXPECT_EQ(ds.n, 10000);
  EXPECT_EQ(ds.row_size, 784);
  EXPECT_EQ(ds.labels[0], 9);
  EXPECT_EQ(ds.labels[1], 2);
  EXPECT_EQ(ds.labels[2], 1);
  EXPECT_EQ(ds.labels[9999], 5);
  EXPECT_EQ(Pixel(ds, 0, 14, 14), 110.0f);
  EXPECT_EQ(Pixel(ds, 1, 14, 14), 234.0f);
  EXPECT_EQ(Pixel(ds, 1, 10, 5), 255.0f);
  EXPECT_EQ(Pixel(ds, 9999, 10, 5), 5.0f);
  EXPECT_EQ(RowSum(ds, 0), 33456.0);
  EXPECT_EQ(RowSum(ds, 1), 100994.0);
  EXPECT_EQ(RowSum(ds, 2), 51520.0);
  EXPECT_EQ(RowSum(ds, 9999), 24390.0);
  tg_dataset_free(&ds);
}

TEST(FashionMnistFilesTest, TrainImagesWithTestLabelsIsACountError) {
  tg_dataset ds;
  tg_error err = {};
  const std::string labels = kDir + "t10k-labels-idx1-ubyte.gz";
  EXPECT_EQ(tg_idx_load((kDir + "train-images-idx3-ubyte.gz").c_str(), labels.c_str(), nullptr, &ds,
                        &err),
            TG_ERR_PARSE);
  EXPECT_EQ(std::string(err.message),
            "tg_idx_load: " + labels + ": record count 10000 but the image file has 60000");
}

}  // namespace
