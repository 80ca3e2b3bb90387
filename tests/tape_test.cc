// tests/tape_test.cc — recording, accumulation, replay, clear, arena reuse, scopes.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tests/counting_allocator.h"

extern "C" {
#include "core/arena.h"
#include "core/rng.h"
#include "core/tape.h"
#include "ops/ops.h"
}

namespace {

using tgtest::CountingAllocator;

TEST(TapeTest, GradientAccumulatesWhenOneTensorFeedsTwoOps) {
  tg_tape* t = tg_tape_new();
  int64_t s[1] = {3};
  float xv[3] = {1.0f, -2.0f, 3.0f};
  tg_tensor* x = tg_tape_leaf(t, 1, s, xv, true);
  // loss = sum(3x) + sum(x*x)  => dloss/dx = 3 + 2x
  tg_tensor* loss = tg_add(t, tg_sum(t, tg_scale(t, x, 3.0f)), tg_sum(t, tg_mul(t, x, x)));
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK) << tg_tape_message(t);
  EXPECT_FLOAT_EQ(x->grad[0], 5.0f);
  EXPECT_FLOAT_EQ(x->grad[1], -1.0f);
  EXPECT_FLOAT_EQ(x->grad[2], 9.0f);
  tg_tape_free(t);
}

TEST(TapeTest, BackwardAccumulatesIntoLeavesAcrossCalls) {
  tg_tape* t = tg_tape_new();
  int64_t s[1] = {2};
  float xv[2] = {1.0f, 2.0f};
  tg_tensor* x = tg_tape_leaf(t, 1, s, xv, true);
  tg_tensor* loss = tg_sum(t, tg_scale(t, x, 2.0f));
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
  // Leaves accumulate (the caller zeroes them per step); intermediates do not.
  EXPECT_FLOAT_EQ(x->grad[0], 4.0f);
  EXPECT_FLOAT_EQ(x->grad[1], 4.0f);
  tg_tape_free(t);
}

TEST(TapeTest, ReplayWithNewDataMatchesFreshRecording) {
  tg_rng rng;
  tg_rng_seed(&rng, 7);
  tg_error err = {};
  int64_t sx[2] = {4, 3}, sw[2] = {3, 2}, sb[1] = {2};
  tg_tensor* x = tg_tensor_new(2, sx, false, &err);
  tg_tensor* w = tg_tensor_new(2, sw, true, &err);
  tg_tensor* b = tg_tensor_new(1, sb, true, &err);
  ASSERT_NE(b, nullptr) << err.message;
  for (int64_t i = 0; i < x->size; ++i) x->data[i] = tg_rng_normal(&rng);
  for (int64_t i = 0; i < w->size; ++i) w->data[i] = tg_rng_normal(&rng);
  for (int64_t i = 0; i < b->size; ++i) b->data[i] = tg_rng_normal(&rng);

  auto record = [&](tg_tape* t) {
    return tg_mean(t, tg_relu(t, tg_add(t, tg_matmul(t, x, w), b)));
  };

  tg_tape* replayed = tg_tape_new();
  tg_tensor* loss_r = record(replayed);
  ASSERT_EQ(tg_tape_backward(replayed, loss_r), TG_OK);

  // New input data and new parameter values, then replay.
  for (int64_t i = 0; i < x->size; ++i) x->data[i] = tg_rng_normal(&rng);
  for (int64_t i = 0; i < w->size; ++i) w->data[i] += 0.1f;
  tg_tensor_zero_grad(w);
  tg_tensor_zero_grad(b);
  ASSERT_EQ(tg_tape_forward(replayed), TG_OK);
  ASSERT_EQ(tg_tape_backward(replayed, loss_r), TG_OK);
  std::vector<float> gw_replay(w->grad, w->grad + w->size), gb_replay(b->grad, b->grad + b->size);
  float loss_replay = loss_r->data[0];

  tg_tensor_zero_grad(w);
  tg_tensor_zero_grad(b);
  tg_tape* fresh = tg_tape_new();
  tg_tensor* loss_f = record(fresh);
  ASSERT_EQ(tg_tape_backward(fresh, loss_f), TG_OK);
  EXPECT_EQ(loss_replay, loss_f->data[0]);
  for (int64_t i = 0; i < w->size; ++i) EXPECT_EQ(gw_replay[i], w->grad[i]) << i;
  for (int64_t i = 0; i < b->size; ++i) EXPECT_EQ(gb_replay[i], b->grad[i]) << i;

  // Backward twice after a replay gives the same gradients (intermediates re-zeroed).
  tg_tensor_zero_grad(w);
  ASSERT_EQ(tg_tape_backward(replayed, loss_r), TG_OK);
  std::vector<float> first(w->grad, w->grad + w->size);
  tg_tensor_zero_grad(w);
  ASSERT_EQ(tg_tape_backward(replayed, loss_r), TG_OK);
  for (int64_t i = 0; i < w->size; ++i) EXPECT_EQ(first[i], w->grad[i]);

  tg_tape_free(replayed);
  tg_tape_free(fresh);
  tg_tensor_free(x);
  tg_tensor_free(w);
  tg_tensor_free(b);
}

TEST(TapeTest, ReplayAndBackwardDoNotAllocate) {
  CountingAllocator counter;
  tg_tape* t = tg_tape_new_ex(counter.get());
  int64_t sx[2] = {8, 5}, sw[2] = {5, 3};
  tg_tensor* x = tg_tape_leaf(t, 2, sx, nullptr, false);
  tg_tensor* w = tg_tape_leaf(t, 2, sw, nullptr, true);
  tg_tensor* loss = tg_mean(t, tg_relu(t, tg_matmul(t, x, w)));
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
  const int before = counter.allocs();
  for (int step = 0; step < 100; ++step) {
    x->data[step % x->size] += 1.0f;
    ASSERT_EQ(tg_tape_forward(t), TG_OK);
    ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
  }
  EXPECT_EQ(counter.allocs(), before);
  tg_tape_free(t);
  EXPECT_EQ(counter.allocs(), counter.frees());
}

TEST(TapeTest, ClearForgetsNodesAndReusesMemory) {
  CountingAllocator counter;
  tg_tape* t = tg_tape_new_ex(counter.get());
  int64_t s[2] = {16, 16};
  auto record = [&]() {
    tg_tensor* a = tg_tape_leaf(t, 2, s, nullptr, true);
    return tg_sum(t, tg_relu(t, tg_matmul(t, a, a)));
  };
  ASSERT_NE(record(), nullptr);
  EXPECT_EQ(tg_tape_node_count(t), 3);
  const size_t reserved = tg_tape_reserved_bytes(t);
  const int allocs = counter.allocs();
  for (int i = 0; i < 10; ++i) {
    tg_tape_clear(t);
    EXPECT_EQ(tg_tape_node_count(t), 0);
    EXPECT_EQ(tg_tape_loss(t), nullptr);
    tg_tensor* loss = record();
    ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
  }
  EXPECT_EQ(counter.allocs(), allocs) << "re-recording the same shapes must reuse the arena";
  EXPECT_EQ(tg_tape_reserved_bytes(t), reserved);
  tg_tape_free(t);
  EXPECT_EQ(counter.allocs(), counter.frees());
}

TEST(TapeTest, ClearResetsTheStickyError) {
  tg_tape* t = tg_tape_new();
  EXPECT_EQ(tg_relu(t, nullptr), nullptr);
  EXPECT_EQ(tg_tape_status(t), TG_ERR_NULL_ARG);
  tg_tape_clear(t);
  EXPECT_EQ(tg_tape_status(t), TG_OK);
  EXPECT_STREQ(tg_tape_message(t), "");
  int64_t s[1] = {2};
  EXPECT_NE(tg_relu(t, tg_tape_leaf(t, 1, s, nullptr, false)), nullptr);
  tg_tape_free(t);
}

TEST(TapeTest, GradientsOnlyWhereNeeded) {
  tg_tape* t = tg_tape_new();
  int64_t s[1] = {3};
  tg_tensor* data = tg_tape_leaf(t, 1, s, nullptr, false);
  tg_tensor* p = tg_tape_leaf(t, 1, s, nullptr, true);
  tg_tensor* const_branch = tg_relu(t, data);
  tg_tensor* param_branch = tg_add(t, const_branch, p);
  EXPECT_EQ(const_branch->grad, nullptr) << "no parameter upstream, no gradient buffer";
  EXPECT_NE(param_branch->grad, nullptr);
  tg_tape_free(t);
}

TEST(TapeTest, ScopesAndIntrospection) {
  tg_tape* t = tg_tape_new();
  int64_t sx[2] = {2, 1}, sw[2] = {1, 3};
  tg_tensor* x = tg_tape_leaf(t, 2, sx, nullptr, false);
  tg_tensor* w = tg_tape_leaf(t, 2, sw, nullptr, true);
  tg_tensor_set_name(w, "dense_1/kernel");
  tg_tape_set_scope(t, "dense_1");
  tg_tensor* h = tg_relu(t, tg_matmul(t, x, w));
  tg_tape_set_scope(t, nullptr);
  tg_tensor* loss = tg_sum(t, h);
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
  ASSERT_EQ(tg_tape_node_count(t), 3);
  const tg_node* n0 = tg_tape_node(t, 0);
  EXPECT_STREQ(n0->op->name, "matmul");
  EXPECT_STREQ(n0->scope, "dense_1");
  EXPECT_EQ(n0->in[1], w);
  EXPECT_STREQ(n0->in[1]->name, "dense_1/kernel");
  EXPECT_EQ(n0->in[1]->role, TG_ROLE_PARAM);
  EXPECT_EQ(n0->out->role, TG_ROLE_INTERMEDIATE);
  EXPECT_STREQ(tg_tape_node(t, 1)->scope, "dense_1");
  EXPECT_STREQ(tg_tape_node(t, 2)->scope, "");
  EXPECT_EQ(tg_tape_loss(t), loss);
  EXPECT_EQ(tg_tape_node(t, 3), nullptr);
  EXPECT_EQ(tg_tape_node(t, -1), nullptr);
  tg_tape_free(t);
}

TEST(TapeTest, ArenaAlignsAndGrows) {
  tg_arena a;
  tg_arena_init(&a, nullptr);
  for (int i = 0; i < 100; ++i) {
    void* p = tg_arena_alloc(&a, static_cast<size_t>(1 + i * 997));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
    std::memset(p, 0xab, static_cast<size_t>(1 + i * 997));
  }
  void* big = tg_arena_alloc(&a, 1u << 22);
  ASSERT_NE(big, nullptr);
  const size_t reserved = a.reserved;
  tg_arena_reset(&a);
  for (int i = 0; i < 100; ++i)
    ASSERT_NE(tg_arena_alloc(&a, static_cast<size_t>(1 + i * 997)), nullptr);
  ASSERT_NE(tg_arena_alloc(&a, 1u << 22), nullptr);
  EXPECT_EQ(a.reserved, reserved);
  tg_arena_free(&a);
}

TEST(TapeTest, ArenaResetMakesOneBlockOfItsChunks) {
  // Grown in several chunks, reset leaves one of their total size: allocations of
  // other sizes (a recording of another batch size) then run through it from the
  // start, and fit in it without a new chunk while they stay within the total.
  CountingAllocator counter;
  tg_arena a;
  tg_arena_init(&a, counter.get());
  for (int i = 0; i < 40; ++i)
    ASSERT_NE(tg_arena_alloc(&a, static_cast<size_t>(4000 + i * 997)), nullptr);
  ASSERT_NE(a.head, a.cur);  // several chunks
  const size_t reserved = a.reserved;
  tg_arena_reset(&a);
  EXPECT_EQ(a.head, a.cur);
  EXPECT_EQ(reserved, a.reserved);
  EXPECT_EQ(1, counter.live());
  const int allocs = counter.allocs();
  unsigned char* first = static_cast<unsigned char*>(tg_arena_alloc(&a, 1000));
  size_t used = 1024;
  for (int i = 0; used + 70000 <= reserved; ++i, used += 70016) {
    unsigned char* p = static_cast<unsigned char*>(tg_arena_alloc(&a, 70000));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(first + used, p) << i;  // one block, bumped from its start
  }
  EXPECT_EQ(allocs, counter.allocs());
  // A reset of one chunk allocates nothing.
  tg_arena_reset(&a);
  EXPECT_EQ(allocs, counter.allocs());
  tg_arena_free(&a);
  EXPECT_EQ(counter.allocs(), counter.frees());
}

TEST(RngTest, SameSeedSameSequenceAndKnownValues) {
  tg_rng a, b;
  tg_rng_seed(&a, 42);
  tg_rng_seed(&b, 42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(tg_rng_next(&a), tg_rng_next(&b));
  // splitmix64(42) seeding then xoshiro256**: first output computed independently.
  tg_rng c;
  tg_rng_seed(&c, 0);
  uint64_t s0 = 0x9E3779B97F4A7C15ULL;  // first splitmix64 increment from 0
  uint64_t z = s0;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  EXPECT_EQ(c.s[0], z);
}

TEST(RngTest, UniformAndNormalMoments) {
  tg_rng r;
  tg_rng_seed(&r, 3);
  const int n = 200000;
  double su = 0, su2 = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    double u = tg_rng_uniform(&r);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    su2 += u * u;
    double z = tg_rng_normal(&r);
    sn += z;
    sn2 += z * z;
  }
  // Standard errors: uniform mean 0.5±0.00065, var 1/12; normal mean 0±0.0022, var 1±0.0032.
  EXPECT_NEAR(su / n, 0.5, 0.004);
  EXPECT_NEAR(su2 / n - (su / n) * (su / n), 1.0 / 12.0, 0.002);
  EXPECT_NEAR(sn / n, 0.0, 0.012);
  EXPECT_NEAR(sn2 / n, 1.0, 0.02);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(tg_rng_below(&r, 7), 7u);
}

}  // namespace

namespace {

// A loss that is a view of a parameter (reshape of a one-element leaf): backward adds
// d(loss)/d(loss) = 1 to the leaf's gradient like any other gradient, so two backward
// passes without zeroing give 2 (it once assigned 1, dropping what was there).
TEST(TapeTest, LossThatIsAViewOfALeafAccumulates) {
  tg_error err = {};
  int64_t s1[1] = {1};
  tg_tensor* p = tg_tensor_new(1, s1, true, &err);
  ASSERT_NE(nullptr, p) << err.message;
  p->data[0] = 3.0f;
  tg_tape* t = tg_tape_new();
  tg_tensor* loss = tg_reshape(t, p, 0, nullptr);
  ASSERT_NE(nullptr, loss) << tg_tape_message(t);
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
  EXPECT_EQ(1.0f, p->grad[0]);
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
  EXPECT_EQ(2.0f, p->grad[0]);
  tg_tape_free(t);
  tg_tensor_free(p);
}

}  // namespace
