// tests/data_robustness_test.cc — the data readers under allocation failure (every
// allocation in turn fails: a clean TG_ERR_NOMEM, nothing leaked) and under random
// corruption of their input (an error or a result, never a crash; errors name the
// function and the file).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/test_files.h"

extern "C" {
#include "core/rng.h"
#include "data/batcher.h"
#include "data/confusion.h"
#include "data/csv.h"
#include "data/idx.h"
#include "data/scale.h"
#include "data/split.h"
}

namespace {

// Fails the allocation numbered `fail_at` (0-based) and counts the rest.
struct FailingAllocator {
  int fail_at = -1;
  int calls = 0, allocs = 0, frees = 0;  // allocs: the ones that succeeded
  tg_allocator a{&Alloc, &Free, this};
  static void* Alloc(void* ctx, size_t size) {
    auto* f = static_cast<FailingAllocator*>(ctx);
    if (f->calls++ == f->fail_at) return nullptr;
    f->allocs++;
    return std::malloc(size);
  }
  static void Free(void* ctx, void* p) {
    if (p) static_cast<FailingAllocator*>(ctx)->frees++;
    std::free(p);
  }
};

std::string WriteBytes(const std::string& name, const std::string& bytes, bool gz) {
  const std::string path = tgtest::TempPath(name);
  if (gz) {
    gzFile f = gzopen(path.c_str(), "wb");
    if (!bytes.empty()) gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  return path;
}

std::string IdxImages() {
  std::string b = {0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 2};
  for (int i = 0; i < 16; ++i) b.push_back(static_cast<char>(i * 15));
  return b;
}

// Runs f with allocation k failing, for k = 0, 1, ... until f succeeds.
template <typename F>
void EveryAllocationFails(F f) {
  for (int k = 0; k < 1000; ++k) {
    FailingAllocator fa;
    fa.fail_at = k;
    tg_error err = {};
    const tg_status st = f(&fa.a, &err);
    EXPECT_EQ(fa.allocs, fa.frees) << "leak with allocation " << k << " failing";
    if (st == TG_OK) {
      EXPECT_GT(k, 0);
      return;
    }
    EXPECT_EQ(st, TG_ERR_NOMEM) << "allocation " << k << ": " << err.message;
  }
  ADD_FAILURE() << "never succeeded";
}

TEST(DataRobustnessTest, AllocationFailures) {
  const std::string im = WriteBytes("r_img.gz", IdxImages(), true);
  const std::string lb =
      WriteBytes("r_lab.gz", std::string({0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 0}), true);
  EveryAllocationFails([&](const tg_allocator* a, tg_error* err) {
    tg_dataset d;
    tg_status st = tg_idx_load(im.c_str(), lb.c_str(), a, &d, err);
    tg_dataset_free(&d);
    return st;
  });
  std::string csv = "a,b,label\n";
  for (int i = 0; i < 600; ++i) csv += std::to_string(i) + ",1," + std::to_string(i % 3) + "\n";
  const std::string cp = WriteBytes("r.csv", csv, false);
  EveryAllocationFails([&](const tg_allocator* a, tg_error* err) {
    tg_csv_options o = {};
    o.header = true;
    o.mode = TG_CSV_LABEL_ONE_HOT;
    tg_dataset d;
    tg_status st = tg_csv_load(cp.c_str(), &o, a, &d, err);
    tg_dataset_free(&d);
    return st;
  });
  EveryAllocationFails([&](const tg_allocator* a, tg_error* err) {
    tg_dataset d, tr, va, te;
    const int64_t row[1] = {2};
    tg_status st = tg_dataset_init(&d, 20, 1, row, TG_LABELS_INT, 1, a, err);
    if (st != TG_OK) return st;
    tg_split_options o = {};
    o.validation = 0.2;
    o.test = 0.2;
    st = tg_dataset_split(&d, &o, &tr, &va, &te, err);
    tg_batcher_options bo = {};
    bo.batch_size = 4;
    tg_batcher* b = st == TG_OK ? tg_batcher_new(&tr, &bo, a, err) : nullptr;
    if (st == TG_OK && b == nullptr) st = err->code;
    tg_standardizer s = {};
    if (st == TG_OK) st = tg_standardizer_fit(&s, &tr, err);
    tg_confusion c = {};
    if (st == TG_OK) st = tg_confusion_init(&c, 3, a, err);
    tg_confusion_free(&c);
    tg_standardizer_free(&s);
    tg_batcher_free(b);
    for (tg_dataset* x : {&d, &tr, &va, &te}) tg_dataset_free(x);
    return st;
  });
}

TEST(DataRobustnessTest, CorruptedInputsNeverCrash) {
  tg_rng rng;
  tg_rng_seed(&rng, 77);
  const std::string idx = IdxImages();
  const std::string csv = "x,y,label\n1,2,0\n3.5,-4,1\n# c\n5,6e2,2\n";
  for (int trial = 0; trial < 300; ++trial) {
    const bool gz = trial % 2 == 1;
    for (int which = 0; which < 2; ++which) {
      std::string b = which == 0 ? idx : csv;
      // Flip, drop or insert a few bytes.
      const int edits = 1 + static_cast<int>(tg_rng_below(&rng, 3));
      for (int e = 0; e < edits && !b.empty(); ++e) {
        const size_t at = static_cast<size_t>(tg_rng_below(&rng, b.size()));
        switch (tg_rng_below(&rng, 3)) {
          case 0:
            b[at] = static_cast<char>(tg_rng_below(&rng, 256));
            break;
          case 1:
            b.erase(at, 1 + static_cast<size_t>(tg_rng_below(&rng, 4)));
            break;
          default:
            b.insert(at, 1, static_cast<char>(tg_rng_below(&rng, 256)));
        }
      }
      const std::string p = WriteBytes(which == 0 ? "fuzz.idx" : "fuzz.csv", b, gz);
      tg_dataset d;
      tg_error err = {};
      tg_status st;
      std::string fn;
      if (which == 0) {
        st = tg_idx_read_images(p.c_str(), nullptr, &d, &err);
        fn = "tg_idx_read_images: ";
      } else {
        tg_csv_options o = {};
        o.header = true;
        st = tg_csv_load(p.c_str(), &o, nullptr, &d, &err);
        fn = "tg_csv_load: ";
      }
      if (st != TG_OK) {
        EXPECT_EQ(std::string(err.message).rfind(fn + p, 0), 0u) << err.message;
        EXPECT_EQ(d.x, nullptr);
      }
      tg_dataset_free(&d);
    }
  }
}

}  // namespace
