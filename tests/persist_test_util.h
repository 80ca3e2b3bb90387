// tests/persist_test_util.h — helpers for the save/load tests: a small trained model
// with a known byte layout, an independent CRC-32, little-endian field access,
// temporary paths and a counting (optionally failing) allocator.
#ifndef TAPEGRAD_TESTS_PERSIST_TEST_UTIL_H_
#define TAPEGRAD_TESTS_PERSIST_TEST_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/test_files.h"

extern "C" {
#include "frontends/model.h"
#include "frontends/persist.h"
}

namespace tgtest {

using Bytes = std::vector<uint8_t>;

// The small model most tests use: 2 inputs -> Dense(3, relu) -> Dense(1), glorot
// kernels, seed 11; compiled with Adam (Keras defaults) and trained 3 steps on
// SmallX/SmallY, so that its optimizer state is not zero. Its version-1 file layout
// (offsets from the start of the file, SaveBytesV1) is fixed by that format:
namespace small {
constexpr size_t kInputDim = 24, kLayerCount = 32;
constexpr size_t kUnits1 = 36, kActivation1 = 44, kUseBias1 = 48;
constexpr size_t kUnits2 = 52, kActivation2 = 60, kUseBias2 = 64;
constexpr size_t kParamCount = 68, kValues = 76;  // 13 floats
constexpr size_t kInitStream = 128, kShuffleStream = 160, kCompiled = 192;
constexpr size_t kLossKind = 196, kFromLogits = 200, kOptimizerKind = 204;
constexpr size_t kLr = 208, kBeta1 = 212, kBeta2 = 216, kEpsilon = 220, kDecay = 224;
constexpr size_t kMomentum = 228, kRho = 232, kAmsgrad = 236, kNesterov = 240;
constexpr size_t kIterations = 244, kStateCount = 252, kState = 260;  // 26 floats
constexpr size_t kFileSize = 364;
}  // namespace small

// 8 rows of 2 inputs and 1 target.
std::vector<float> SmallX();
std::vector<float> SmallY();

// New model with the given input width and seed; nullptr (and a test failure) on error.
tg_model* NewModel(int64_t input_dim, uint64_t seed = 11, const tg_allocator* alloc = nullptr);
tg_dense_options Dense(int64_t units, tg_activation act = TG_ACT_LINEAR, bool no_bias = false);
// The small model above (compiled and trained when `train` is true, else bare).
tg_model* SmallModel(bool train = true, const tg_allocator* alloc = nullptr);

// tg_model_save_buffer into a vector (the current format, version 3).
Bytes SaveBytes(const tg_model* m);
// The version-1 file (tg_model_save_buffer_v1): the layout the small:: offsets name.
Bytes SaveBytesV1(const tg_model* m);

// Bitwise CRC-32 (zlib's), written independently of the library's table version.
uint32_t Crc32(const uint8_t* p, size_t n);

uint32_t Get32(const Bytes& b, size_t at);
uint64_t Get64(const Bytes& b, size_t at);
void Put32(Bytes& b, size_t at, uint32_t v);
void Put64(Bytes& b, size_t at, uint64_t v);
void PutF32(Bytes& b, size_t at, float v);
// Makes the header agree with the payload again: its size and CRC-32.
void FixHeader(Bytes& b);

void WriteFile(const std::string& path, const Bytes& b);
std::vector<std::string> ListDir(const std::string& dir);

// Counts allocations and frees; refuses requests above `max_request` bytes and,
// when fail_after >= 0, every allocation after that many have succeeded.
struct AllocStats {
  long allocs = 0, frees = 0, refused = 0;
  long fail_after = -1;
  size_t max_request = SIZE_MAX, largest = 0;
  tg_allocator allocator();
};

}  // namespace tgtest

#endif  // TAPEGRAD_TESTS_PERSIST_TEST_UTIL_H_
