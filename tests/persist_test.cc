// tests/persist_test.cc — saving and loading models: the documented byte layout,
// round trips (architecture, values, predictions bit for bit), training resumed bit
// for bit with every optimizer, the buffer and stream forms, and atomic file
// replacement (a failed save leaves the old file and no temporary behind).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "tests/persist_test_util.h"

extern "C" {
#include "core/rng.h"
#include "frontends/model.h"
#include "frontends/persist.h"
}

namespace {

using namespace tgtest;

std::vector<uint32_t> Bits(const float* v, int64_t n) {
  std::vector<uint32_t> b(static_cast<size_t>(n));
  std::memcpy(b.data(), v, b.size() * 4);
  return b;
}

std::vector<uint32_t> ParamBits(tg_model* m) {
  return Bits(tg_model_param_values(m), tg_model_param_size(m));
}

tg_model* LoadBytes(const Bytes& b, const tg_model_options* o = nullptr) {
  tg_error err = {};
  tg_model* m = tg_model_load_buffer(b.data(), b.size(), o, &err);
  EXPECT_NE(m, nullptr) << err.message;
  return m;
}

std::vector<float> Predict(tg_model* m, const std::vector<float>& x, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n * tg_model_output_dim(m)));
  EXPECT_EQ(tg_model_predict(m, x.data(), n, out.data(), static_cast<int64_t>(out.size())), TG_OK)
      << tg_model_message(m);
  return out;
}

TEST(PersistCrcTest, TestOracleGivesTheStandardCheckValue) {
  const char* text = "123456789";
  EXPECT_EQ(Crc32(reinterpret_cast<const uint8_t*>(text), 9), 0xCBF43926u);
}

// Every byte of a small compiled model's version-1 file, checked field by field
// against the format documented in frontends/persist.h.
TEST(PersistFormatTest, FileLayoutIsTheDocumentedLittleEndianOne) {
  tg_model* m = SmallModel();
  const Bytes b = SaveBytesV1(m);
  ASSERT_EQ(b.size(), small::kFileSize);
  EXPECT_EQ(std::string(b.begin(), b.begin() + 8), "TAPEGRAD");
  EXPECT_EQ(Get32(b, 8), 1u);
  EXPECT_EQ(Get32(b, 12), Crc32(b.data() + 24, b.size() - 24));
  EXPECT_EQ(Get64(b, 16), small::kFileSize - 24);
  EXPECT_EQ(Get64(b, small::kInputDim), 2u);
  EXPECT_EQ(Get32(b, small::kLayerCount), 2u);
  EXPECT_EQ(Get64(b, small::kUnits1), 3u);
  EXPECT_EQ(Get32(b, small::kActivation1), static_cast<uint32_t>(TG_ACT_RELU));
  EXPECT_EQ(Get32(b, small::kUseBias1), 1u);
  EXPECT_EQ(Get64(b, small::kUnits2), 1u);
  EXPECT_EQ(Get32(b, small::kActivation2), static_cast<uint32_t>(TG_ACT_LINEAR));
  EXPECT_EQ(Get32(b, small::kUseBias2), 1u);
  EXPECT_EQ(Get64(b, small::kParamCount), 13u);
  const std::vector<uint32_t> params = ParamBits(m);
  for (size_t i = 0; i < 13; ++i) EXPECT_EQ(Get32(b, small::kValues + 4 * i), params[i]) << i;
  // Glorot draws 6 + 3 numbers from the initializer stream seeded with 11 (Box-Muller
  // is not involved: one uniform per number).
  tg_rng rng;
  tg_rng_seed(&rng, 11);
  for (int i = 0; i < 9; ++i) tg_rng_uniform(&rng);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Get64(b, small::kInitStream + 8 * i), rng.s[i]) << i;
  EXPECT_NE(Get64(b, small::kShuffleStream) | Get64(b, small::kShuffleStream + 8), 0u);
  EXPECT_EQ(Get32(b, small::kCompiled), 1u);
  EXPECT_EQ(Get32(b, small::kLossKind), static_cast<uint32_t>(TG_LOSS_MSE));
  EXPECT_EQ(Get32(b, small::kFromLogits), 0u);
  EXPECT_EQ(Get32(b, small::kOptimizerKind), static_cast<uint32_t>(TG_OPT_ADAM));
  auto f32 = [](float v) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    return u;
  };
  EXPECT_EQ(Get32(b, small::kLr), f32(0.001f));
  EXPECT_EQ(Get32(b, small::kBeta1), f32(0.9f));
  EXPECT_EQ(Get32(b, small::kBeta2), f32(0.999f));
  EXPECT_EQ(Get32(b, small::kEpsilon), f32(1e-7f));
  EXPECT_EQ(Get32(b, small::kDecay), 0u);
  EXPECT_EQ(Get32(b, small::kMomentum), 0u);
  EXPECT_EQ(Get32(b, small::kRho), 0u);
  EXPECT_EQ(Get32(b, small::kAmsgrad), 0u);
  EXPECT_EQ(Get32(b, small::kNesterov), 0u);
  EXPECT_EQ(Get64(b, small::kIterations), 3u);
  EXPECT_EQ(Get64(b, small::kStateCount), 26u);
  // Adam's m after 3 steps is non-zero wherever a gradient was.
  bool any_moment = false;
  for (size_t i = 0; i < 13; ++i) any_moment = any_moment || Get32(b, small::kState + 4 * i) != 0;
  EXPECT_TRUE(any_moment);
  tg_model_free(m);
}

TEST(PersistFormatTest, UncompiledModelEndsAfterTheCompiledFlag) {
  tg_model* m = SmallModel(false);
  const Bytes b = SaveBytesV1(m);
  ASSERT_EQ(b.size(), small::kCompiled + 4);
  EXPECT_EQ(Get32(b, small::kCompiled), 0u);
  tg_model_free(m);
}

TEST(PersistRoundTripTest, ArchitectureValuesAndPredictionsAreIdentical) {
  tg_model* m = NewModel(3, 5);
  ASSERT_EQ(tg_model_add_dense(m, Dense(5, TG_ACT_RELU)), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(4, TG_ACT_TANH, /*no_bias=*/true)), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(6, TG_ACT_SIGMOID)), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(3, TG_ACT_SOFTMAX)), TG_OK);
  const std::string path = TempPath("round_trip.tgm");
  tg_error err = {};
  ASSERT_EQ(tg_model_save(m, path.c_str(), &err), TG_OK) << err.message;
  tg_model* back = tg_model_load(path.c_str(), nullptr, &err);
  ASSERT_NE(back, nullptr) << err.message;

  EXPECT_EQ(tg_model_input_dim(back), 3);
  ASSERT_EQ(tg_model_layer_count(back), 4);
  for (int i = 0; i < 4; ++i) {
    tg_layer_info a = {}, b = {};
    ASSERT_EQ(tg_model_layer(m, i, &a), TG_OK);
    ASSERT_EQ(tg_model_layer(back, i, &b), TG_OK);
    EXPECT_STREQ(a.name, b.name);
    EXPECT_EQ(a.input_dim, b.input_dim);
    EXPECT_EQ(a.units, b.units);
    EXPECT_EQ(a.activation, b.activation);
    EXPECT_EQ(a.bias == nullptr, b.bias == nullptr);
  }
  ASSERT_EQ(tg_model_param_count(back), tg_model_param_count(m));
  for (int i = 0; i < tg_model_param_count(m); ++i) {
    EXPECT_STREQ(tg_model_param(back, i)->name, tg_model_param(m, i)->name);
    EXPECT_EQ(tg_model_param(back, i)->role, TG_ROLE_PARAM);
  }
  EXPECT_EQ(ParamBits(back), ParamBits(m));
  EXPECT_EQ(tg_model_optimizer(back), nullptr);  // saved before compile

  std::vector<float> x(7 * 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(1.3f * static_cast<float>(i));
  const std::vector<float> p = Predict(m, x, 7), q = Predict(back, x, 7);
  EXPECT_EQ(Bits(p.data(), 21), Bits(q.data(), 21));
  // Summaries (names, shapes, counts) agree too.
  char sa[2048], sb[2048];
  tg_model_summary_str(m, sa, sizeof sa);
  tg_model_summary_str(back, sb, sizeof sb);
  EXPECT_STREQ(sa, sb);
  // Saving what was loaded gives the same file.
  EXPECT_EQ(SaveBytes(back), SaveBytes(m));
  tg_model_free(back);
  tg_model_free(m);
}

TEST(PersistRoundTripTest, NanInfinityAndNegativeZeroAreKeptBitForBit) {
  tg_model* m = SmallModel();
  float* v = tg_model_param_values(m);
  uint32_t nan_payload = 0x7fc12345u;  // a quiet NaN with a payload
  std::memcpy(&v[0], &nan_payload, 4);
  v[1] = std::numeric_limits<float>::infinity();
  v[2] = -std::numeric_limits<float>::infinity();
  v[3] = -0.0f;
  v[4] = std::numeric_limits<float>::denorm_min();
  tg_model* back = LoadBytes(SaveBytes(m));
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(ParamBits(back), ParamBits(m));
  tg_model_free(back);
  tg_model_free(m);
}

TEST(PersistRoundTripTest, EmptyModelRoundTrips) {
  tg_model* m = NewModel(4);
  tg_model* back = LoadBytes(SaveBytes(m));
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(tg_model_input_dim(back), 4);
  EXPECT_EQ(tg_model_layer_count(back), 0);
  EXPECT_EQ(tg_model_param_size(back), 0);
  tg_model_free(back);
  tg_model_free(m);
}

TEST(PersistRoundTripTest, LoadedUncompiledModelGrowsAsTheOriginalWould) {
  // The initializer stream is saved: a layer added after loading gets the weights it
  // would have got in the original model.
  tg_model* m = NewModel(2, 99);
  ASSERT_EQ(tg_model_add_dense(m, Dense(4, TG_ACT_TANH)), TG_OK);
  tg_model* back = LoadBytes(SaveBytes(m));
  ASSERT_NE(back, nullptr);
  tg_dense_options d = Dense(3);
  d.bias_init = tg_init_of_kind(TG_INIT_RANDOM_NORMAL);
  ASSERT_EQ(tg_model_add_dense(m, d), TG_OK);
  ASSERT_EQ(tg_model_add_dense(back, d), TG_OK) << tg_model_message(back);
  EXPECT_EQ(ParamBits(back), ParamBits(m));
  tg_model_free(back);
  tg_model_free(m);
}

TEST(PersistRoundTripTest, OptionsChooseAllocatorAndThreadsAndMustAgreeOnInputDim) {
  tg_model* m = SmallModel();
  const Bytes b = SaveBytes(m);
  AllocStats stats;
  tg_allocator a = stats.allocator();
  tg_model_options o = {};
  o.allocator = &a;
  o.threads = 2;
  o.input_dim = 2;  // 0 or the file's
  o.seed = 12345;   // ignored: the streams come from the file
  tg_model* back = LoadBytes(b, &o);
  ASSERT_NE(back, nullptr);
  EXPECT_GT(stats.allocs, 0);
  EXPECT_EQ(SaveBytes(back), b);
  tg_model_free(back);
  EXPECT_EQ(stats.allocs, stats.frees);
  tg_model_free(m);
}

struct ResumeCase {
  const char* name;
  tg_optimizer_options opt;
  tg_loss loss;
};

// Trains `steps` more on four batches in turn; returns every loss's bits.
std::vector<uint32_t> Train(tg_model* m, int steps) {
  std::vector<uint32_t> losses;
  const std::vector<float> x = SmallX(), y = SmallY();
  for (int s = 0; s < steps; ++s) {
    const int64_t rows = 2 + s % 4;  // batch sizes vary: tapes are re-recorded
    float loss = 0.0f;
    EXPECT_EQ(tg_model_train_on_batch(m, x.data(), rows, y.data(), &loss), TG_OK)
        << tg_model_message(m);
    losses.push_back(Bits(&loss, 1)[0]);
  }
  return losses;
}

TEST(PersistResumeTest, TrainingContinuesBitForBitWithEveryOptimizer) {
  tg_optimizer_options adam = {}, ams = {}, sgd = {}, rms = {};
  adam.epsilon = 1e-8f;
  ams.amsgrad = true;
  ams.decay = 0.01f;
  sgd.kind = TG_OPT_SGD;
  sgd.momentum = 0.9f;
  sgd.nesterov = true;
  rms.kind = TG_OPT_RMSPROP;
  rms.decay = 0.001f;
  tg_loss mse = {}, bce = {TG_LOSS_BINARY_CROSSENTROPY, true};
  const ResumeCase cases[] = {{"adam", adam, mse},
                              {"adam amsgrad decay", ams, mse},
                              {"sgd nesterov", sgd, bce},
                              {"rmsprop", rms, mse}};
  for (const ResumeCase& c : cases) {
    SCOPED_TRACE(c.name);
    tg_model* a = SmallModel(false);
    ASSERT_EQ(tg_model_compile(a, c.loss, &c.opt), TG_OK) << tg_model_message(a);
    Train(a, 7);
    const std::string path = TempPath(std::string("resume_") + c.name + ".tgm");
    tg_error err = {};
    ASSERT_EQ(tg_model_save(a, path.c_str(), &err), TG_OK) << err.message;
    tg_model* b = tg_model_load(path.c_str(), nullptr, &err);
    ASSERT_NE(b, nullptr) << err.message;
    EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(b)), 7);
    // The model that never stopped and the one loaded from disk see the same losses
    // and end with the same bits.
    EXPECT_EQ(Train(b, 20), Train(a, 20));
    EXPECT_EQ(ParamBits(b), ParamBits(a));
    EXPECT_EQ(SaveBytes(b), SaveBytes(a));
    tg_model_free(b);
    tg_model_free(a);
  }
}

TEST(PersistResumeTest, FitShufflesAsIfTheModelNeverStopped) {
  const std::vector<float> x = SmallX(), y = SmallY();
  tg_fit_options fo = {};
  fo.epochs = 3;
  fo.batch_size = 3;
  tg_model* a = SmallModel();
  ASSERT_EQ(tg_model_fit(a, x.data(), 8, y.data(), &fo), TG_OK) << tg_model_message(a);
  tg_model* b = LoadBytes(SaveBytes(a));
  ASSERT_NE(b, nullptr);
  std::vector<float> ha(3), hb(3);
  fo.history_loss = ha.data();
  ASSERT_EQ(tg_model_fit(a, x.data(), 8, y.data(), &fo), TG_OK);
  fo.history_loss = hb.data();
  ASSERT_EQ(tg_model_fit(b, x.data(), 8, y.data(), &fo), TG_OK);
  EXPECT_EQ(Bits(ha.data(), 3), Bits(hb.data(), 3));
  EXPECT_EQ(ParamBits(b), ParamBits(a));
  tg_model_free(b);
  tg_model_free(a);
}

TEST(PersistStreamTest, BufferStreamAndFileHoldTheSameBytes) {
  tg_model* m = SmallModel();
  const Bytes b = SaveBytes(m);
  tg_error err = {};
  // Too small a buffer: the size is returned and nothing is written.
  Bytes small_buf(10, 0xAB);
  EXPECT_EQ(tg_model_save_buffer(m, small_buf.data(), small_buf.size(), &err), b.size());
  EXPECT_EQ(small_buf, Bytes(10, 0xAB));

  const std::string path = TempPath("same_bytes.tgm");
  ASSERT_EQ(tg_model_save(m, path.c_str(), &err), TG_OK) << err.message;
  EXPECT_EQ(ReadFile(path), std::string(b.begin(), b.end()));

  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(tg_model_write(m, f, &err), TG_OK) << err.message;
  EXPECT_EQ(std::ftell(f), static_cast<long>(b.size()));
  std::fclose(f);
  tg_model_free(m);
}

TEST(PersistStreamTest, ReadsModelsOneAfterAnotherFromOneStream) {
  tg_model* first = SmallModel();
  tg_model* second = NewModel(1, 3);
  ASSERT_EQ(tg_model_add_dense(second, Dense(2, TG_ACT_SIGMOID)), TG_OK);
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  tg_error err = {};
  ASSERT_EQ(tg_model_write(first, f, &err), TG_OK);
  ASSERT_EQ(tg_model_write(second, f, &err), TG_OK);
  std::fputs("tail", f);
  std::rewind(f);
  tg_model* a = tg_model_read(f, nullptr, &err);
  ASSERT_NE(a, nullptr) << err.message;
  tg_model* b = tg_model_read(f, nullptr, &err);
  ASSERT_NE(b, nullptr) << err.message;
  char tail[8] = {};
  EXPECT_EQ(std::fread(tail, 1, sizeof tail, f), 4u);  // left just after the second model
  EXPECT_STREQ(tail, "tail");
  EXPECT_EQ(SaveBytes(a), SaveBytes(first));
  EXPECT_EQ(SaveBytes(b), SaveBytes(second));
  std::fclose(f);
  for (tg_model* m : {first, second, a, b}) tg_model_free(m);
}

TEST(PersistStreamTest, ForgedHugePayloadSizeAllocatesOnlyWhatArrives) {
  tg_model* m = SmallModel();
  Bytes b = SaveBytesV1(m);
  Put64(b, 16, uint64_t{1} << 60);  // the header claims an exabyte
  const std::string path = TempPath("forged_size.tgm");
  WriteFile(path, b);
  AllocStats stats;
  tg_allocator a = stats.allocator();
  tg_model_options o = {};
  o.allocator = &a;
  tg_error err = {};
  EXPECT_EQ(tg_model_load(path.c_str(), &o, &err), nullptr);
  EXPECT_EQ(err.code, TG_ERR_PARSE);
  EXPECT_EQ(std::string(err.message),
            "tg_model_load: '" + path +
                "': truncated at byte 24: expected 1152921504606846976 payload bytes (as the "
                "header says) but the file ends at byte 364");
  EXPECT_LE(stats.largest, size_t{1} << 16);
  EXPECT_EQ(stats.allocs, stats.frees);
  tg_model_free(m);
}

TEST(PersistSaveTest, ReplacesTheFileKeepingItsModeAndLeavesNoTemporary) {
  const std::string dir = TempPath("replace_dir");
  mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/m.tgm";
  WriteFile(path, Bytes{'o', 'l', 'd'});
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  tg_model* m = SmallModel();
  tg_error err = {};
  ASSERT_EQ(tg_model_save(m, path.c_str(), &err), TG_OK) << err.message;
  const Bytes b = SaveBytes(m);
  EXPECT_EQ(ReadFile(path), std::string(b.begin(), b.end()));
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"m.tgm"});
  // A fresh file is readable by everyone (mkstemp alone would make it 0600).
  const std::string fresh = dir + "/fresh.tgm";
  ASSERT_EQ(tg_model_save(m, fresh.c_str(), &err), TG_OK) << err.message;
  ASSERT_EQ(stat(fresh.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  tg_model_free(m);
}

TEST(PersistSaveTest, FailedWriteLeavesTheOldFileAndNoTemporary) {
  // A file-size limit makes the temporary file's writes fail with EFBIG part way,
  // in a child process so that the limit does not touch the test's own files.
  const std::string dir = TempPath("failed_write_dir");
  mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/m.tgm";
  const Bytes old = {'o', 'l', 'd', ' ', 'm', 'o', 'd', 'e', 'l'};
  WriteFile(path, old);
  tg_model* m = SmallModel();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {100, 100};
    setrlimit(RLIMIT_FSIZE, &lim);
    tg_error err = {};
    const tg_status st = tg_model_save(m, path.c_str(), &err);
    const ssize_t w = write(fds[1], err.message, std::strlen(err.message));
    _exit(st == TG_ERR_IO && w >= 0 ? 0 : 1);
  }
  close(fds[1]);
  char msg[512] = {};
  ssize_t got = 0, n = 0;
  while ((n = read(fds[0], msg + got, sizeof msg - 1 - static_cast<size_t>(got))) > 0) got += n;
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << msg;
  EXPECT_EQ(std::string(msg), "tg_model_save: writing '" + path + "' failed: File too large");
  EXPECT_EQ(ReadFile(path), std::string(old.begin(), old.end()));
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"m.tgm"});
  tg_model_free(m);
}

TEST(PersistSaveTest, ADirectoryIsRefusedAndNothingIsLeft) {
  const std::string dir = TempPath("rename_dir");
  mkdir(dir.c_str(), 0755);
  const std::string target = dir + "/occupied";
  mkdir(target.c_str(), 0755);
  WriteFile(target + "/keep", Bytes{'k'});
  tg_model* m = SmallModel();
  tg_error err = {};
  EXPECT_EQ(tg_model_save(m, target.c_str(), &err), TG_ERR_IO);
  EXPECT_EQ(std::string(err.message),
            "tg_model_save: '" + target + "' is a directory: nothing written");
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"occupied"});
  EXPECT_EQ(ListDir(target), std::vector<std::string>{"keep"});
  tg_model_free(m);
}

// Saving through a symbolic link replaces the file it points at and keeps the link.
TEST(PersistSaveTest, FollowsASymlinkAndKeepsIt) {
  const std::string dir = TempPath("save_link");
  std::system(("rm -rf '" + dir + "'").c_str());
  mkdir(dir.c_str(), 0755);
  const std::string link = dir + "/link.tgm";
  ASSERT_EQ(0, symlink("real.tgm", link.c_str()));
  tg_model* m = SmallModel();
  tg_error err = {};
  ASSERT_EQ(TG_OK, tg_model_save(m, link.c_str(), &err)) << err.message;
  struct stat st;
  ASSERT_EQ(0, lstat(link.c_str(), &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  const std::string bytes = ReadFile(dir + "/real.tgm");
  const Bytes want = SaveBytes(m);
  EXPECT_EQ(bytes, std::string(want.begin(), want.end()));
  tg_model_free(m);
}

// A FIFO is written as a stream (a reader gets the model), not replaced by a file.
TEST(PersistSaveTest, WritesIntoAFifo) {
  const std::string fifo = TempPath("save_fifo");
  unlink(fifo.c_str());
  ASSERT_EQ(0, mkfifo(fifo.c_str(), 0600));
  tg_model* m = SmallModel();
  tg_model* back = nullptr;
  tg_error read_err = {};
  std::thread reader([&] {
    FILE* f = std::fopen(fifo.c_str(), "rb");
    if (f == nullptr) return;
    back = tg_model_read(f, nullptr, &read_err);
    std::fclose(f);
  });
  tg_error err = {};
  const tg_status s = tg_model_save(m, fifo.c_str(), &err);
  reader.join();
  ASSERT_EQ(TG_OK, s) << err.message;
  ASSERT_NE(nullptr, back) << read_err.message;
  EXPECT_EQ(SaveBytes(m), SaveBytes(back));
  struct stat st;
  ASSERT_EQ(0, lstat(fifo.c_str(), &st));
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  tg_model_free(back);
  tg_model_free(m);
}

// A character device is written in place; it stays a device.
TEST(PersistSaveTest, WritesIntoACharacterDevice) {
  tg_model* m = SmallModel();
  tg_error err = {};
  EXPECT_EQ(TG_OK, tg_model_save(m, "/dev/null", &err)) << err.message;
  struct stat st;
  ASSERT_EQ(0, lstat("/dev/null", &st));
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  if (access("/dev/full", W_OK) == 0) {
    err = {};
    EXPECT_EQ(TG_ERR_IO, tg_model_save(m, "/dev/full", &err));
    EXPECT_STREQ("tg_model_save: writing '/dev/full' failed: No space left on device", err.message);
  }
  tg_model_free(m);
}

// A 254-byte file name is valid; its temporary's name is shortened to fit NAME_MAX.
TEST(PersistSaveTest, ANameNearNameMaxSaves) {
  const std::string dir = TempPath("save_long");
  std::system(("rm -rf '" + dir + "'").c_str());
  mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/" + std::string(254, 'm');
  tg_model* m = SmallModel();
  tg_error err = {};
  ASSERT_EQ(TG_OK, tg_model_save(m, path.c_str(), &err)) << err.message;
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{std::string(254, 'm')});
  tg_model* back = tg_model_load(path.c_str(), nullptr, &err);
  ASSERT_NE(nullptr, back) << err.message;
  tg_model_free(back);
  tg_model_free(m);
}

}  // namespace
