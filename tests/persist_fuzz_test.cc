// tests/persist_fuzz_test.cc — a deterministic fuzz of the loader: thousands of
// seeded mutations of valid files (bit flips, byte writes, truncations, extensions,
// size and count fields set to huge values, chunks copied over others), half of them
// with the header's size and checksum made to match again so that the payload parser
// itself is exercised. The loader must never crash, leak or ask for an absurd
// allocation, and must either fail with a message or return a model whose own file
// is exactly the mutated one (a valid model has one encoding) and which can predict
// and train. Both formats are fuzzed: version 2 (layers by type name and
// configuration, the graph, the parameter table) and version 1.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "tests/persist_test_util.h"

extern "C" {
#include "frontends/model.h"
#include "frontends/persist.h"
}

namespace {

using namespace tgtest;

// splitmix64: a fixed, portable sequence (the test must not depend on std's engines).
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }
};

// Each model in both formats: version 2 (what tapegrad writes) and version 1 (what it
// still reads), plus models only version 2 can hold.
std::vector<Bytes> BaseFiles() {
  std::vector<Bytes> files;
  tg_model* m = SmallModel();
  files.push_back(SaveBytes(m));
  files.push_back(SaveBytesV1(m));
  tg_model_free(m);
  // Every activation, a layer without bias, SGD with Nesterov momentum.
  m = NewModel(3, 4);
  EXPECT_EQ(tg_model_add_dense(m, Dense(4, TG_ACT_TANH, true)), TG_OK);
  EXPECT_EQ(tg_model_add_dense(m, Dense(3, TG_ACT_SIGMOID)), TG_OK);
  EXPECT_EQ(tg_model_add_dense(m, Dense(2, TG_ACT_SOFTMAX)), TG_OK);
  tg_optimizer_options sgd = {};
  sgd.kind = TG_OPT_SGD;
  sgd.momentum = 0.5f;
  sgd.nesterov = true;
  tg_loss cce = {TG_LOSS_CATEGORICAL_CROSSENTROPY, false};
  EXPECT_EQ(tg_model_compile(m, cce, &sgd), TG_OK);
  files.push_back(SaveBytes(m));
  files.push_back(SaveBytesV1(m));
  tg_model_free(m);
  m = SmallModel(false);
  files.push_back(SaveBytes(m));
  files.push_back(SaveBytesV1(m));
  tg_model_free(m);
  // Separate Activation layers (Sequential), RMSprop.
  m = NewModel(2, 6);
  EXPECT_EQ(tg_model_add_dense(m, Dense(3)), TG_OK);
  EXPECT_EQ(tg_model_add_activation(m, TG_ACT_RELU), TG_OK);
  EXPECT_EQ(tg_model_add_dense(m, Dense(2)), TG_OK);
  tg_optimizer_options rms = {};
  rms.kind = TG_OPT_RMSPROP;
  tg_loss mse = {TG_LOSS_MSE, false};
  EXPECT_EQ(tg_model_compile(m, mse, &rms), TG_OK);
  files.push_back(SaveBytes(m));
  tg_model_free(m);
  // A functional model: two inputs, a shared layer, Add.
  tg_model_options fo = {};
  fo.seed = 2;
  m = tg_functional_new(&fo, nullptr);
  const int64_t shape[1] = {2};
  tg_sym a = tg_model_input(m, 1, shape), b = tg_model_input(m, 1, shape);
  tg_layer* shared = tg_model_dense(m, Dense(2, TG_ACT_TANH));
  tg_sym uses[2] = {tg_model_call1(m, shared, a), tg_model_call1(m, shared, b)};
  tg_sym out = tg_model_call(m, tg_model_merge_add(m), uses, 2);
  tg_sym ins[2] = {a, b};
  EXPECT_EQ(tg_model_set_io(m, ins, 2, out), TG_OK);
  EXPECT_EQ(tg_model_compile(m, mse, nullptr), TG_OK);
  files.push_back(SaveBytes(m));
  tg_model_free(m);
  // Images: Conv2D, BatchNormalization (non-trainable statistics), pooling, Dropout.
  tg_model_options io = {};
  io.input_shape.rank = 3;
  io.input_shape.dim[0] = io.input_shape.dim[1] = 4;
  io.input_shape.dim[2] = 1;
  m = tg_sequential_new(&io, nullptr);
  tg_conv2d_layer_options conv = {};
  conv.filters = 2;
  conv.kernel_size[0] = conv.kernel_size[1] = 2;
  conv.padding = TG_PADDING_SAME;
  EXPECT_EQ(tg_model_add(m, &tg_layer_conv2d, &conv), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_batch_normalization, nullptr), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_max_pooling2d, nullptr), TG_OK);
  tg_dropout_layer_options drop = {0.5f};
  EXPECT_EQ(tg_model_add(m, &tg_layer_dropout, &drop), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_global_average_pooling2d, nullptr), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_layer_normalization, nullptr), TG_OK);
  EXPECT_EQ(tg_model_compile(m, mse, nullptr), TG_OK);
  files.push_back(SaveBytes(m));
  tg_model_free(m);
  return files;
}

uint64_t EdgeValue(Rng& r) {
  static const uint64_t kEdges[] = {0,
                                    1,
                                    2,
                                    3,
                                    0x7F,
                                    0xFFFFFFFFull,
                                    0x80000000ull,
                                    0x100000000ull,
                                    uint64_t{1} << 40,
                                    uint64_t{1} << 62,
                                    uint64_t{1} << 63,
                                    ~uint64_t{0},
                                    ~uint64_t{0} / 4};
  return r.Below(4) == 0 ? r.Next() : kEdges[r.Below(sizeof kEdges / sizeof kEdges[0])];
}

void Mutate(Bytes& b, Rng& r) {
  using namespace small;
  static const size_t kFields64[] = {16,          kInputDim,   kUnits1,    kUnits2,
                                     kParamCount, kIterations, kStateCount};
  static const size_t kFields32[] = {8,         kLayerCount,    kActivation1, kUseBias1, kCompiled,
                                     kLossKind, kOptimizerKind, kLr,          kAmsgrad};
  switch (r.Below(7)) {
    case 0:  // flip one bit
      if (!b.empty()) b[r.Below(b.size())] ^= static_cast<uint8_t>(1u << r.Below(8));
      break;
    case 1:  // overwrite one byte
      if (!b.empty()) b[r.Below(b.size())] = static_cast<uint8_t>(r.Next());
      break;
    case 2:  // truncate
      b.resize(r.Below(b.size() + 1));
      break;
    case 3:  // extend
      for (size_t n = 1 + r.Below(16); n > 0; --n) b.push_back(static_cast<uint8_t>(r.Next()));
      break;
    case 4: {  // a size or count field (of the small model's layout) set to an edge value
      const size_t at = kFields64[r.Below(sizeof kFields64 / sizeof kFields64[0])];
      if (at + 8 <= b.size()) Put64(b, at, EdgeValue(r));
      break;
    }
    case 5: {  // a 32-bit field, or any aligned word of the payload
      const size_t at = r.Below(2) ? kFields32[r.Below(sizeof kFields32 / sizeof kFields32[0])]
                                   : 24 + 4 * r.Below(b.size() / 4);
      if (at + 4 <= b.size()) Put32(b, at, static_cast<uint32_t>(EdgeValue(r)));
      break;
    }
    default: {  // copy a chunk over another place
      if (b.size() < 2) break;
      const size_t n = 1 + r.Below(16), from = r.Below(b.size()), to = r.Below(b.size());
      for (size_t i = 0; i < n && from + i < b.size() && to + i < b.size(); ++i)
        b[to + i] = b[from + i];
    }
  }
}

// "byte 52: layer 2: unknown activation 9" -> "byte # layer # unknown activation #":
// words holding a digit and NaNs become '#', and the bytes after a bad magic go.
std::string Template(const std::string& message) {
  std::string t, word;
  auto flush = [&] {
    bool number = word == "nan" || word == "-nan" || word == "inf" || word == "-inf";
    for (char c : word) number = number || std::isdigit(static_cast<unsigned char>(c));
    t += number ? "#" : word;
    word.clear();
  };
  const std::string text = message.substr(0, message.find("starts with bytes"));
  for (char c : text) {
    if (c == ' ' || c == ':' || c == ',') {
      flush();
      t += c;
    } else {
      word += c;
    }
  }
  flush();
  return t;
}

TEST(PersistFuzzTest, MutatedFilesNeverCrashLeakOrOverAllocate) {
  const std::vector<Bytes> bases = BaseFiles();
  Rng r{20240531};
  int loaded = 0, failed = 0, parser_reached = 0;
  std::map<std::string, int> templates;
  const int kRounds = 6000;
  for (int round = 0; round < kRounds; ++round) {
    const Bytes& base = bases[r.Below(bases.size())];
    Bytes b = base;
    for (size_t k = 1 + r.Below(3); k > 0; --k) Mutate(b, r);
    const uint64_t fix = r.Below(8);
    if (fix < 4) {
      FixHeader(b);  // size and CRC agree with whatever payload there is
    } else if (fix == 4 && b.size() >= 24) {
      Put32(b, 12, Crc32(b.data() + 24, b.size() - 24));  // only the checksum
    }
    AllocStats stats;
    stats.max_request = size_t{1} << 20;  // the files are < 1 KiB: nothing needs a MiB
    tg_allocator a = stats.allocator();
    tg_model_options o = {};
    o.allocator = &a;
    tg_error err = {};
    tg_model* m = tg_model_load_buffer(b.data(), b.size(), &o, &err);
    ASSERT_EQ(stats.refused, 0) << "round " << round << " asked for " << stats.largest << " bytes";
    if (m == nullptr) {
      ++failed;
      ASSERT_NE(err.code, TG_OK) << "round " << round;
      const std::string msg = err.message;
      ASSERT_EQ(msg.rfind("tg_model_load_buffer: ", 0), 0u) << msg;
      ASSERT_GT(msg.size(), std::strlen("tg_model_load_buffer: ") + 10) << msg;
      templates[Template(msg)]++;
      parser_reached += msg.find(": byte ") != std::string::npos;
    } else {
      ++loaded;
      // One encoding per model, in the version it was read in.
      const Bytes again = b[8] == 1 ? SaveBytesV1(m) : SaveBytes(m);
      size_t at = 24;  // past the header, whose size and checksum follow the payload
      while (at < again.size() && at < b.size() && again[at] == b[at]) ++at;
      ASSERT_EQ(again, b) << "round " << round << ": first difference at byte " << at;
      const int64_t in = tg_model_input_dim(m), out = tg_model_output_dim(m);
      if (tg_model_layer_count(m) > 0 && tg_model_input_count(m) == 1 && in <= 16 && out > 0) {
        std::vector<float> x(static_cast<size_t>(2 * in), 0.5f), y(static_cast<size_t>(2 * out));
        std::vector<float> pred(y.size());
        ASSERT_EQ(tg_model_predict(m, x.data(), 2, pred.data(), static_cast<int64_t>(pred.size())),
                  TG_OK)
            << tg_model_message(m);
        if (tg_model_optimizer(m) != nullptr) {
          ASSERT_EQ(tg_model_train_on_batch(m, x.data(), 2, y.data(), nullptr), TG_OK)
              << tg_model_message(m);
        }
      }
      tg_model_free(m);
    }
    ASSERT_EQ(stats.allocs, stats.frees) << "round " << round << ": " << err.message;
  }
  // The fuzz reached deep: many loads succeed (values and states are free), many
  // failures come from the payload's fields, and the failures are of many kinds.
  EXPECT_GT(loaded, kRounds / 20);
  EXPECT_GT(parser_reached, kRounds / 10);
  EXPECT_GE(templates.size(), 25u);
  std::string kinds;
  for (const auto& t : templates) kinds += std::to_string(t.second) + "  " + t.first + "\n";
  // The tally goes to the test log: which checks the mutations ran into, how often.
  std::printf("%d loaded, %d refused (%d by a payload field); refusals by kind:\n%s", loaded,
              failed, parser_reached, kinds.c_str());
}

}  // namespace
