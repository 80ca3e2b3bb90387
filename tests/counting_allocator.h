// tests/counting_allocator.h — a tg_allocator over malloc that counts calls, so a
// test can prove that a replayed step, an optimizer step or a kernel allocates
// nothing, and that everything allocated is freed.
#ifndef TAPEGRAD_TESTS_COUNTING_ALLOCATOR_H_
#define TAPEGRAD_TESTS_COUNTING_ALLOCATOR_H_

#include <cstdlib>

extern "C" {
#include "core/alloc.h"
}

namespace tgtest {

class CountingAllocator {
 public:
  CountingAllocator() : allocator_{&Alloc, &Free, this} {}
  CountingAllocator(const CountingAllocator&) = delete;
  CountingAllocator& operator=(const CountingAllocator&) = delete;

  const tg_allocator* get() const { return &allocator_; }
  int allocs() const { return allocs_; }
  int frees() const { return frees_; }  // non-NULL blocks returned

 private:
  static void* Alloc(void* ctx, size_t size) {
    static_cast<CountingAllocator*>(ctx)->allocs_++;
    return std::malloc(size);
  }
  static void Free(void* ctx, void* p) {
    if (p != nullptr) static_cast<CountingAllocator*>(ctx)->frees_++;
    std::free(p);
  }

  tg_allocator allocator_;
  int allocs_ = 0;
  int frees_ = 0;
};

}  // namespace tgtest

#endif  // TAPEGRAD_TESTS_COUNTING_ALLOCATOR_H_
