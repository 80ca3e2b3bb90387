// tests/persist_errors_test.cc — every way saving or loading can fail, each with its
// exact message: bad arguments, I/O errors, bad magic, unsupported versions,
// truncation (saying where and what was expected), trailing bytes, checksum
// mismatches, each bad field of a file whose checksum was made to match, absurd
// sizes, options that contradict the file, and out-of-memory at every allocation.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "tests/persist_test_util.h"

extern "C" {
#include "frontends/model.h"
#include "frontends/persist.h"
}

namespace {

using namespace tgtest;

struct Failure {
  tg_status code;
  std::string message;
};

Failure LoadFails(const Bytes& b, const tg_model_options* o = nullptr) {
  tg_error err = {};
  tg_model* m = tg_model_load_buffer(b.data(), b.size(), o, &err);
  EXPECT_EQ(m, nullptr);
  tg_model_free(m);
  return {err.code, err.message};
}

const char kPrefix[] = "tg_model_load_buffer: ";

class PersistErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tg_model* m = SmallModel();
    good_ = SaveBytesV1(m);  // the field offsets below are version 1's
    tg_model_free(m);
    ASSERT_EQ(good_.size(), small::kFileSize);
  }
  // The good file with one 32- or 64-bit field replaced and the header fixed, so that
  // the checksum passes and the field itself is what the loader must refuse.
  Bytes With32(size_t at, uint32_t v) const {
    Bytes b = good_;
    Put32(b, at, v);
    FixHeader(b);
    return b;
  }
  Bytes With64(size_t at, uint64_t v) const {
    Bytes b = good_;
    Put64(b, at, v);
    FixHeader(b);
    return b;
  }
  Bytes good_;
};

TEST_F(PersistErrorsTest, NullArguments) {
  tg_model* m = SmallModel(false);
  tg_error err = {};
  EXPECT_EQ(tg_model_save(nullptr, "x.tgm", &err), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_model_save: model is NULL");
  err = {};
  EXPECT_EQ(tg_model_save(m, nullptr, &err), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_model_save: path is NULL or empty");
  err = {};
  EXPECT_EQ(tg_model_save(m, "", &err), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_model_save: path is NULL or empty");
  err = {};
  EXPECT_EQ(tg_model_write(nullptr, stdout, &err), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_model_write: model is NULL");
  err = {};
  EXPECT_EQ(tg_model_write(m, nullptr, &err), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_model_write: stream is NULL");
  err = {};
  EXPECT_EQ(tg_model_save_buffer(nullptr, nullptr, 0, &err), 0u);
  EXPECT_STREQ(err.message, "tg_model_save_buffer: model is NULL");
  err = {};
  EXPECT_EQ(tg_model_load(nullptr, nullptr, &err), nullptr);
  EXPECT_STREQ(err.message, "tg_model_load: path is NULL or empty");
  err = {};
  EXPECT_EQ(tg_model_read(nullptr, nullptr, &err), nullptr);
  EXPECT_STREQ(err.message, "tg_model_read: stream is NULL");
  err = {};
  EXPECT_EQ(tg_model_load_buffer(nullptr, 5, nullptr, &err), nullptr);
  EXPECT_STREQ(err.message, "tg_model_load_buffer: data is NULL");
  // err itself may be NULL.
  EXPECT_EQ(tg_model_load_buffer(nullptr, 0, nullptr, nullptr), nullptr);
  tg_model_free(m);
}

TEST_F(PersistErrorsTest, FilesThatCannotBeOpenedReadOrCreated) {
  tg_error err = {};
  EXPECT_EQ(tg_model_load("/nonexistent-dir/m.tgm", nullptr, &err), nullptr);
  EXPECT_EQ(err.code, TG_ERR_IO);
  EXPECT_STREQ(err.message,
               "tg_model_load: cannot open '/nonexistent-dir/m.tgm': No such file or directory");
  const std::string dir = TempPath("a_directory");
  mkdir(dir.c_str(), 0755);
  err = {};
  EXPECT_EQ(tg_model_load(dir.c_str(), nullptr, &err), nullptr);
  EXPECT_EQ(err.code, TG_ERR_IO);
  EXPECT_EQ(std::string(err.message), "tg_model_load: cannot read '" + dir + "': Is a directory");

  tg_model* m = SmallModel(false);
  err = {};
  EXPECT_EQ(tg_model_save(m, "/nonexistent-dir/m.tgm", &err), TG_ERR_IO);
  EXPECT_STREQ(err.message,
               "tg_model_save: cannot create a temporary file beside '/nonexistent-dir/m.tgm': No "
               "such file or directory");
  // Streams opened the wrong way round.
  const std::string path = TempPath("wrong_way.tgm");
  WriteFile(path, good_);
  FILE* ro = std::fopen(path.c_str(), "rb");
  err = {};
  EXPECT_EQ(tg_model_write(m, ro, &err), TG_ERR_IO);
  EXPECT_STREQ(err.message, "tg_model_write: writing the model failed: Bad file descriptor");
  std::fclose(ro);
  FILE* wo = std::fopen(path.c_str(), "ab");
  err = {};
  EXPECT_EQ(tg_model_read(wo, nullptr, &err), nullptr);
  EXPECT_EQ(err.code, TG_ERR_IO);
  EXPECT_STREQ(err.message, "tg_model_read: reading the stream failed: Bad file descriptor");
  std::fclose(wo);
  tg_model_free(m);
}

TEST_F(PersistErrorsTest, EmptyFileAndBadMagic) {
  Failure f = LoadFails(Bytes{});
  EXPECT_EQ(f.code, TG_ERR_PARSE);
  EXPECT_EQ(f.message, std::string(kPrefix) + "the file is empty, not a tapegrad model");
  const Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
  f = LoadFails(png);
  EXPECT_EQ(f.code, TG_ERR_PARSE);
  EXPECT_EQ(f.message, std::string(kPrefix) +
                           "not a tapegrad model: it starts with bytes 89 50 4e 47 0d 0a 1a 0a, "
                           "not \"TAPEGRAD\"");
  f = LoadFails(Bytes{'{', '}'});
  EXPECT_EQ(f.message, std::string(kPrefix) +
                           "not a tapegrad model: it starts with bytes 7b 7d, not \"TAPEGRAD\"");
}

TEST_F(PersistErrorsTest, TruncatedHeaderSaysWhatWasExpectedWhere) {
  struct Case {
    size_t size;
    const char* message;
  } cases[] = {
      {5,
       "truncated at byte 0: expected the magic \"TAPEGRAD\" (8 bytes) but the file ends at "
       "byte 5"},
      {10,
       "truncated at byte 8: expected the format version (4 bytes) but the file ends at byte "
       "10"},
      {14,
       "truncated at byte 12: expected the payload's CRC-32 (4 bytes) but the file ends at "
       "byte 14"},
      {20,
       "truncated at byte 16: expected the payload size (8 bytes) but the file ends at byte "
       "20"},
      {24,
       "truncated at byte 24: expected 340 payload bytes (as the header says) but the file "
       "ends at byte 24"},
      {100,
       "truncated at byte 24: expected 340 payload bytes (as the header says) but the file "
       "ends at byte 100"},
      {363,
       "truncated at byte 24: expected 340 payload bytes (as the header says) but the file "
       "ends at byte 363"},
  };
  for (const Case& c : cases) {
    const Failure f = LoadFails(Bytes(good_.begin(), good_.begin() + c.size));
    EXPECT_EQ(f.code, TG_ERR_PARSE) << c.size;
    EXPECT_EQ(f.message, std::string(kPrefix) + c.message) << c.size;
  }
}

TEST_F(PersistErrorsTest, UnsupportedVersion) {
  for (uint32_t v : {0u, 4u, 0xFFFFFFFFu}) {
    Bytes b = good_;
    Put32(b, 8, v);
    const Failure f = LoadFails(b);
    EXPECT_EQ(f.code, TG_ERR_PARSE);
    EXPECT_EQ(f.message, std::string(kPrefix) + "unsupported format version " + std::to_string(v) +
                             " (this tapegrad reads versions 1 to 3)");
  }
}

// The three loaders on the same bytes: the message after each one's prefix, which
// must agree ("" for a load that succeeded).
std::string LoadEveryWay(const Bytes& b, tg_status* code) {
  tg_error buf_err = {}, path_err = {}, stream_err = {};
  tg_model* m = tg_model_load_buffer(b.data(), b.size(), nullptr, &buf_err);
  tg_model_free(m);
  const std::string path = TempPath("every_way.tgm");
  WriteFile(path, b);
  m = tg_model_load(path.c_str(), nullptr, &path_err);
  tg_model_free(m);
  FILE* f = std::fopen(path.c_str(), "rb");
  EXPECT_NE(nullptr, f);
  m = f ? tg_model_read(f, nullptr, &stream_err) : nullptr;
  if (f) std::fclose(f);
  tg_model_free(m);
  const std::string from_buffer = std::string(buf_err.message).substr(std::strlen(kPrefix));
  const std::string path_prefix = "tg_model_load: '" + path + "': ";
  const std::string stream_prefix = "tg_model_read: ";
  EXPECT_EQ(std::string(path_err.message), path_prefix + from_buffer);
  EXPECT_EQ(std::string(stream_err.message), stream_prefix + from_buffer);
  EXPECT_EQ(buf_err.code, path_err.code);
  EXPECT_EQ(buf_err.code, stream_err.code);
  *code = buf_err.code;
  return from_buffer;
}

// Magic and version come first on every path: a foreign file is named by its first
// bytes and a newer version by its number, never by a size read from its header.
TEST_F(PersistErrorsTest, MagicAndVersionFirstOnEveryPath) {
  tg_status code = TG_OK;
  const std::string readme =
      "# tapegrad\n\nReverse-mode autodiff in C11, with a Keras-style "
      "API and a DOT exporter.\n";
  EXPECT_EQ(LoadEveryWay(Bytes(readme.begin(), readme.end()), &code),
            "not a tapegrad model: it starts with bytes 23 20 74 61 70 65 67 72, not "
            "\"TAPEGRAD\"");
  EXPECT_EQ(code, TG_ERR_PARSE);
  for (uint32_t v : {0u, 4u, 0xFFFFFFFFu}) {
    Bytes b = good_;
    Put32(b, 8, v);
    b.insert(b.end(), 28, 0);  // what a version-4 file might carry past this one's size
    EXPECT_EQ(LoadEveryWay(b, &code), "unsupported format version " + std::to_string(v) +
                                          " (this tapegrad reads versions 1 to 3)");
    EXPECT_EQ(code, TG_ERR_PARSE);
  }
  // The checks after them agree across the loaders too.
  EXPECT_EQ(LoadEveryWay(Bytes(good_.begin(), good_.begin() + 20), &code),
            "truncated at byte 16: expected the payload size (8 bytes) but the file ends at byte "
            "20");
  EXPECT_EQ(LoadEveryWay(Bytes{}, &code), "the file is empty, not a tapegrad model");
}

TEST_F(PersistErrorsTest, TrailingBytes) {
  Bytes b = good_;
  b.insert(b.end(), {1, 2, 3});
  Failure f = LoadFails(b);
  EXPECT_EQ(f.code, TG_ERR_PARSE);
  EXPECT_EQ(f.message, std::string(kPrefix) +
                           "3 unexpected bytes after the payload, which ends at byte 364 (as the "
                           "header says)");
  const std::string path = TempPath("trailing.tgm");
  b.insert(b.end(), {4, 5});
  WriteFile(path, b);
  tg_error err = {};
  EXPECT_EQ(tg_model_load(path.c_str(), nullptr, &err), nullptr);
  EXPECT_EQ(std::string(err.message),
            "tg_model_load: '" + path +
                "': 5 unexpected bytes after the payload, which ends at byte 364 (as the header "
                "says)");
}

TEST_F(PersistErrorsTest, ChecksumMismatch) {
  Bytes b = good_;
  b[small::kValues + 5] ^= 0x10;  // one bit of one weight
  char expected[160];
  std::snprintf(expected, sizeof expected,
                "checksum mismatch: the payload's CRC-32 is 0x%08x but the header says 0x%08x "
                "(the file is corrupt)",
                Crc32(b.data() + 24, b.size() - 24), Get32(good_, 12));
  const Failure f = LoadFails(b);
  EXPECT_EQ(f.code, TG_ERR_PARSE);
  EXPECT_EQ(f.message, std::string(kPrefix) + expected);
  // Through a file: the path names the file.
  const std::string path = TempPath("flipped.tgm");
  WriteFile(path, b);
  tg_error err = {};
  EXPECT_EQ(tg_model_load(path.c_str(), nullptr, &err), nullptr);
  EXPECT_EQ(std::string(err.message), "tg_model_load: '" + path + "': " + expected);
}

TEST_F(PersistErrorsTest, BadFieldsBehindAMatchingChecksum) {
  using namespace small;
  const uint32_t nan_bits = 0x7fc00000u, one_bits = 0x3f800000u;
  struct Case {
    Bytes file;
    tg_status code;
    const char* message;
  } cases[] = {
      {With64(kInputDim, 0), TG_ERR_PARSE, "byte 24: input_dim must be 1..2^63-1, got 0"},
      {With64(kInputDim, uint64_t{1} << 63), TG_ERR_PARSE,
       "byte 24: input_dim must be 1..2^63-1, got 9223372036854775808"},
      {With32(kLayerCount, 1u << 30), TG_ERR_OVERFLOW,
       "byte 32: 1073741824 layers do not fit in the 328 payload bytes left"},
      {With64(kUnits1, 0), TG_ERR_PARSE, "byte 36: layer 1: units must be >= 1, got 0"},
      {With64(kUnits1, uint64_t{1} << 40), TG_ERR_OVERFLOW,
       "byte 36: layer 1: a [2x1099511627776] kernel does not fit in the payload"},
      {With64(kUnits2, ~uint64_t{0}), TG_ERR_OVERFLOW,
       "byte 52: layer 2: a [3x18446744073709551615] kernel does not fit in the payload"},
      {With64(kUnits1, 30), TG_ERR_OVERFLOW,
       "byte 36: layer 1: a [2x30] kernel and its bias do not fit in the payload"},
      {With32(kActivation1, 9), TG_ERR_PARSE, "byte 44: layer 1: unknown activation 9"},
      {With32(kUseBias1, 2), TG_ERR_PARSE, "byte 48: layer 1's use_bias must be 0 or 1, got 2"},
      {With64(kUnits2, 2), TG_ERR_PARSE,
       "byte 68: the parameter count is 13 but the layers need 17"},
      {With32(kUseBias2, 0), TG_ERR_PARSE,
       "byte 68: the parameter count is 13 but the layers need 12"},
      {With32(kCompiled, 2), TG_ERR_PARSE, "byte 192: the compiled flag must be 0 or 1, got 2"},
      {With32(kCompiled, 0), TG_ERR_PARSE,
       "byte 196: 168 unexpected bytes at the end of the payload"},
      {With32(kLossKind, 9), TG_ERR_PARSE, "byte 196: unknown loss kind 9"},
      {With32(kFromLogits, 3), TG_ERR_PARSE, "byte 200: from_logits must be 0 or 1, got 3"},
      {With32(kOptimizerKind, 5), TG_ERR_PARSE, "byte 204: unknown optimizer kind 5"},
      {With32(kLr, nan_bits), TG_ERR_PARSE,
       "byte 208: tg_optimizer_new: adam lr must be finite and >= 0, got nan"},
      {With32(kBeta2, one_bits), TG_ERR_PARSE,
       "byte 208: tg_optimizer_new: adam beta_2 must be in [0, 1), got 1"},
      {With32(kBeta1, 0), TG_ERR_PARSE,
       "byte 212: adam beta_1 is 0, which stands for a default; a saved model holds the value "
       "it used"},
      {With32(kAmsgrad, 7), TG_ERR_PARSE, "byte 236: amsgrad must be 0 or 1, got 7"},
      {With32(kNesterov, 7), TG_ERR_PARSE, "byte 240: nesterov must be 0 or 1, got 7"},
      {With64(kIterations, uint64_t{1} << 63), TG_ERR_PARSE,
       "byte 244: the iteration count 9223372036854775808 is above 2^63 - 1"},
      {With32(kAmsgrad, 1), TG_ERR_PARSE,
       "byte 252: the optimizer state holds 26 floats but adam needs 39 for 13 parameters"},
      {With64(kStateCount, uint64_t{1} << 62), TG_ERR_PARSE,
       "byte 252: the optimizer state holds 4611686018427387904 floats but adam needs 26 for 13 "
       "parameters"},
  };
  for (const Case& c : cases) {
    const Failure f = LoadFails(c.file);
    EXPECT_EQ(f.code, c.code) << c.message;
    EXPECT_EQ(f.message, std::string(kPrefix) + c.message);
  }
  // A whole stream state of zeros is refused (xoshiro would only ever return 0).
  Bytes b = good_;
  for (size_t i = 0; i < 32; ++i) b[kShuffleStream + i] = 0;
  FixHeader(b);
  EXPECT_EQ(LoadFails(b).message,
            std::string(kPrefix) + "byte 160: the shuffling stream's state is all zero");
}

TEST_F(PersistErrorsTest, TruncatedPayloadBehindAMatchingHeader) {
  // A header that agrees with a payload cut short: the loader names the field.
  struct Case {
    size_t size;
    const char* message;
  } cases[] = {
      {28, "truncated at byte 24: expected input_dim (8 bytes) but the payload ends at byte 28"},
      {34,
       "truncated at byte 32: expected the layer count (4 bytes) but the payload ends at byte "
       "34"},
      {140,
       "truncated at byte 136: expected the initializer stream (8 bytes) but the payload "
       "ends at byte 140"},
      {300,
       "truncated at byte 260: expected the optimizer state (104 bytes) but the payload "
       "ends at byte 300"},
      {small::kCompiled + 2,
       "truncated at byte 192: expected the compiled flag (4 bytes) but the payload ends at "
       "byte 194"},
  };
  for (const Case& c : cases) {
    Bytes b(good_.begin(), good_.begin() + c.size);
    FixHeader(b);
    const Failure f = LoadFails(b);
    EXPECT_EQ(f.code, TG_ERR_PARSE) << c.size;
    EXPECT_EQ(f.message, std::string(kPrefix) + c.message) << c.size;
  }
}

TEST_F(PersistErrorsTest, OptionsThatContradictTheFile) {
  tg_model_options o = {};
  o.input_dim = 3;
  Failure f = LoadFails(good_, &o);
  EXPECT_EQ(f.code, TG_ERR_ARG);
  EXPECT_EQ(f.message,
            std::string(kPrefix) + "the saved model takes 2 inputs but options->input_dim is 3");
  o = {};
  o.threads = -1;
  f = LoadFails(good_, &o);
  EXPECT_EQ(f.code, TG_ERR_ARG);
  EXPECT_EQ(f.message,
            std::string(kPrefix) + "tg_sequential_new: threads must be 0..64 (0: one), got -1");
}

TEST_F(PersistErrorsTest, OutOfMemoryAtEveryAllocationLeaksNothing) {
  const std::string path = TempPath("oom.tgm");
  WriteFile(path, good_);
  for (int from_file = 0; from_file < 2; ++from_file) {
    int failures = 0;
    for (long k = 0;; ++k) {
      AllocStats stats;
      stats.fail_after = k;
      tg_allocator a = stats.allocator();
      tg_model_options o = {};
      o.allocator = &a;
      tg_error err = {};
      tg_model* m = from_file ? tg_model_load(path.c_str(), &o, &err)
                              : tg_model_load_buffer(good_.data(), good_.size(), &o, &err);
      if (m != nullptr) {
        EXPECT_EQ(SaveBytesV1(m), good_);
        tg_model_free(m);
        EXPECT_EQ(stats.allocs, stats.frees);
        break;
      }
      ++failures;
      EXPECT_EQ(err.code, TG_ERR_NOMEM) << err.message;
      EXPECT_NE(std::string(err.message).find("out of memory"), std::string::npos) << err.message;
      EXPECT_EQ(stats.allocs, stats.frees) << "after " << k << " allocations";
      ASSERT_LT(k, 100);
    }
    EXPECT_GE(failures, 5);  // model, layers, blocks, optimizer, (file buffer)
  }
  // Saving allocates only the temporary file's name, through the model's allocator.
  AllocStats stats;
  tg_allocator a = stats.allocator();
  tg_model* m = SmallModel(true, &a);
  stats.fail_after = stats.allocs;
  tg_error err = {};
  EXPECT_EQ(tg_model_save(m, TempPath("never.tgm").c_str(), &err), TG_ERR_NOMEM);
  EXPECT_STREQ(err.message, "tg_model_save: out of memory");
  tg_model_free(m);
}

}  // namespace
