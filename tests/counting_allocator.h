// tests/counting_allocator.h — a tg_allocator over malloc that counts calls, so a
// test can prove that a replayed step, an optimizer step or a kernel allocates
// nothing, and that everything allocated is freed. It can also fail on purpose:
// FailAt(k) makes the k-th call (1-based) return NULL, FailFrom(k) that call and
// every later one (fault injection).
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
  int frees() const { return frees_; }          // non-NULL blocks returned
  int live() const { return given_ - frees_; }  // blocks handed out and not freed
  void FailAt(int k) { fail_at_ = k, fail_later_ = false; }
  void FailFrom(int k) { fail_at_ = k, fail_later_ = true; }
  void NeverFail() { fail_at_ = 0; }
  bool failed() const { return failed_; }  // whether a call returned NULL on purpose

 private:
  static void* Alloc(void* ctx, size_t size) {
    CountingAllocator* c = static_cast<CountingAllocator*>(ctx);
    const int call = ++c->allocs_;
    if (c->fail_at_ > 0 && (call == c->fail_at_ || (c->fail_later_ && call > c->fail_at_))) {
      c->failed_ = true;
      return nullptr;
    }
    void* p = std::malloc(size);
    if (p != nullptr) c->given_++;
    return p;
  }
  static void Free(void* ctx, void* p) {
    if (p != nullptr) static_cast<CountingAllocator*>(ctx)->frees_++;
    std::free(p);
  }

  tg_allocator allocator_;
  int allocs_ = 0;
  int frees_ = 0;
  int given_ = 0;
  int fail_at_ = 0;
  bool fail_later_ = false;
  bool failed_ = false;
};

}  // namespace tgtest

#endif  // TAPEGRAD_TESTS_COUNTING_ALLOCATOR_H_
