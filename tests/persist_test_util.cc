// tests/persist_test_util.cc — see persist_test_util.h.
#include "tests/persist_test_util.h"

#include <dirent.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace tgtest {

std::vector<float> SmallX() {
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[i] = 0.1f * static_cast<float>(i % 7) - 0.25f;
  return x;
}

std::vector<float> SmallY() {
  std::vector<float> y(8);
  for (int i = 0; i < 8; ++i) y[i] = std::sin(0.5f * static_cast<float>(i));
  return y;
}

tg_model* NewModel(int64_t input_dim, uint64_t seed, const tg_allocator* alloc) {
  tg_model_options o = {};
  o.input_dim = input_dim;
  o.seed = seed;
  o.allocator = alloc;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&o, &err);
  EXPECT_NE(m, nullptr) << err.message;
  return m;
}

tg_dense_options Dense(int64_t units, tg_activation act, bool no_bias) {
  tg_dense_options d = {};
  d.units = units;
  d.activation = act;
  d.no_bias = no_bias;
  return d;
}

tg_model* SmallModel(bool train, const tg_allocator* alloc) {
  tg_model* m = NewModel(2, 11, alloc);
  EXPECT_EQ(tg_model_add_dense(m, Dense(3, TG_ACT_RELU)), TG_OK);
  EXPECT_EQ(tg_model_add_dense(m, Dense(1)), TG_OK);
  if (!train) return m;
  tg_loss loss = {};
  EXPECT_EQ(tg_model_compile(m, loss, nullptr), TG_OK) << tg_model_message(m);
  const std::vector<float> x = SmallX(), y = SmallY();
  for (int s = 0; s < 3; ++s)
    EXPECT_EQ(tg_model_train_on_batch(m, x.data(), 8, y.data(), nullptr), TG_OK)
        << tg_model_message(m);
  return m;
}

Bytes SaveBytesV1(const tg_model* m) {
  tg_error err = {};
  const size_t n = tg_model_save_buffer_v1(m, nullptr, 0, &err);
  EXPECT_GT(n, 0u) << err.message;
  Bytes b(n);
  EXPECT_EQ(tg_model_save_buffer_v1(m, b.data(), b.size(), &err), n);
  return b;
}

Bytes SaveBytes(const tg_model* m) {
  tg_error err = {};
  const size_t n = tg_model_save_buffer(m, nullptr, 0, &err);
  EXPECT_GT(n, 0u) << err.message;
  Bytes b(n);
  EXPECT_EQ(tg_model_save_buffer(m, b.data(), b.size(), &err), n);
  return b;
}

uint32_t Crc32(const uint8_t* p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
  }
  return ~crc;
}

uint32_t Get32(const Bytes& b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b.at(at + i);
  return v;
}

uint64_t Get64(const Bytes& b, size_t at) {
  return static_cast<uint64_t>(Get32(b, at)) | static_cast<uint64_t>(Get32(b, at + 4)) << 32;
}

void Put32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.at(at + i) = static_cast<uint8_t>(v >> (8 * i));
}

void Put64(Bytes& b, size_t at, uint64_t v) {
  Put32(b, at, static_cast<uint32_t>(v));
  Put32(b, at + 4, static_cast<uint32_t>(v >> 32));
}

void PutF32(Bytes& b, size_t at, float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  Put32(b, at, u);
}

void FixHeader(Bytes& b) {
  if (b.size() < 24) return;
  Put64(b, 16, b.size() - 24);
  Put32(b, 12, Crc32(b.data() + 24, b.size() - 24));
}

void WriteFile(const std::string& path, const Bytes& b) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

namespace {
void* StatsAlloc(void* ctx, size_t n) {
  AllocStats* s = static_cast<AllocStats*>(ctx);
  if (n > s->largest) s->largest = n;
  if (n > s->max_request || (s->fail_after >= 0 && s->allocs >= s->fail_after)) {
    s->refused++;
    return nullptr;
  }
  s->allocs++;
  return std::malloc(n);
}
void StatsFree(void* ctx, void* p) {
  if (p == nullptr) return;
  static_cast<AllocStats*>(ctx)->frees++;
  std::free(p);
}
}  // namespace

tg_allocator AllocStats::allocator() { return tg_allocator{StatsAlloc, StatsFree, this}; }

}  // namespace tgtest
