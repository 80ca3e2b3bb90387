// tests/grad_arena_test.cc — gradient buffers by liveness (core/tape.h,
// tg_tape_set_keep_all off): the parameters' gradients and the loss are
// bit-identical to a tape that keeps every gradient, over several replays; the
// packed arena is smaller than the gradients it holds; a backward from another
// loss plans again; turning keep_all back on gives every intermediate its own
// gradient holding the last step's values; replaying allocates nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "tests/counting_allocator.h"

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "ops/ops.h"
}

namespace {

struct Mlp {
  tg_tape* t = nullptr;
  tg_tensor* x = nullptr;
  std::vector<tg_tensor*> params;
  std::vector<tg_tensor*> hidden;  // each layer's output
  tg_tensor* loss = nullptr;
};

// 3 layers of 48 (relu, tanh, linear) over 32 rows, MSE.
Mlp Record(const tg_allocator* alloc, bool keep_all) {
  Mlp m;
  m.t = tg_tape_new_ex(alloc);
  tg_tape_set_keep_all(m.t, keep_all);
  tg_rng rng;
  tg_rng_seed(&rng, 21);
  auto leaf = [&](std::vector<int64_t> shape, bool grad) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (float& f : v) f = tg_rng_uniform(&rng) - 0.5f;
    return tg_tape_leaf(m.t, static_cast<int>(shape.size()), shape.data(), v.data(), grad);
  };
  m.x = leaf({32, 20}, false);
  tg_tensor* h = m.x;
  int64_t in = 20;
  for (int l = 0; l < 3; ++l) {
    tg_tensor* w = leaf({in, 48}, true);
    tg_tensor* b = leaf({48}, true);
    m.params.push_back(w);
    m.params.push_back(b);
    h = tg_add(m.t, tg_matmul(m.t, h, w), b);
    if (l == 0) h = tg_relu(m.t, h);
    if (l == 1) h = tg_tanh(m.t, h);
    m.hidden.push_back(h);
    in = 48;
  }
  m.loss = tg_mse(m.t, h, leaf({32, 48}, false));
  return m;
}

// Loss and every parameter gradient after `steps` replays with new inputs.
std::vector<float> Train(Mlp& m, int steps) {
  std::vector<float> out;
  for (int s = 0; s < steps; ++s) {
    for (tg_tensor* p : m.params) tg_tensor_zero_grad(p);
    m.x->data[s % m.x->size] += 0.125f;
    EXPECT_EQ(TG_OK, tg_tape_forward(m.t));
    EXPECT_EQ(TG_OK, tg_tape_backward(m.t, m.loss)) << tg_tape_message(m.t);
    out.push_back(m.loss->data[0]);
    for (tg_tensor* p : m.params) out.insert(out.end(), p->grad, p->grad + p->size);
  }
  return out;
}

TEST(GradArenaTest, PackedGradientsGiveTheSameBits) {
  Mlp kept = Record(nullptr, true), packed = Record(nullptr, false);
  ASSERT_NE(nullptr, packed.loss) << tg_tape_message(packed.t);
  const std::vector<float> a = Train(kept, 4), b = Train(packed, 4);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  EXPECT_EQ(0u, tg_tape_gradient_arena_bytes(kept.t));
  // The intermediates' gradients: 3 matmul/add outputs of 32x48 (the matmul's is the
  // add's, identity_grads), 2 activations, the loss: at most two 32x48 buffers are
  // live at once (a layer's output gradient and its input's), plus the loss.
  const size_t layer = 32 * 48 * sizeof(float);
  EXPECT_GT(tg_tape_gradient_arena_bytes(packed.t), 0u);
  EXPECT_LE(tg_tape_gradient_arena_bytes(packed.t), 2 * layer + 64);
  tg_tape_free(kept.t);
  tg_tape_free(packed.t);
}

TEST(GradArenaTest, KeepAllAgainShowsEveryGradientOfTheLastStep) {
  Mlp kept = Record(nullptr, true), packed = Record(nullptr, false);
  Train(kept, 1);
  Train(kept, 1);
  Train(packed, 1);
  tg_tape_set_keep_all(packed.t, true);
  EXPECT_TRUE(tg_tape_keeps_all(packed.t));
  Train(packed, 1);
  EXPECT_EQ(0u, tg_tape_gradient_arena_bytes(packed.t));
  for (size_t l = 0; l < kept.hidden.size(); ++l) {
    const tg_tensor* a = kept.hidden[l];
    const tg_tensor* b = packed.hidden[l];
    EXPECT_EQ(0, std::memcmp(a->grad, b->grad, static_cast<size_t>(a->size) * sizeof(float))) << l;
  }
  tg_tape_free(kept.t);
  tg_tape_free(packed.t);
}

TEST(GradArenaTest, AnotherLossPlansAgain) {
  Mlp kept = Record(nullptr, true), packed = Record(nullptr, false);
  Train(kept, 1);
  Train(packed, 1);
  // Backward from the first layer's output, through a view recorded after the
  // packing, summed: the tape plans again for this loss.
  for (Mlp* m : {&kept, &packed}) {
    const int64_t flat[1] = {32 * 48};
    tg_tensor* s = tg_sum(m->t, tg_reshape(m->t, m->hidden[0], 1, flat));
    ASSERT_NE(nullptr, s) << tg_tape_message(m->t);
    for (tg_tensor* p : m->params) tg_tensor_zero_grad(p);
    ASSERT_EQ(TG_OK, tg_tape_backward(m->t, s)) << tg_tape_message(m->t);
  }
  for (size_t k = 0; k < kept.params.size(); ++k)
    EXPECT_EQ(0, std::memcmp(kept.params[k]->grad, packed.params[k]->grad,
                             static_cast<size_t>(kept.params[k]->size) * sizeof(float)))
        << k;
  // And back to the full loss (the tape gained a node: planned again).
  const std::vector<float> a = Train(kept, 2), b = Train(packed, 2);
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  tg_tape_free(kept.t);
  tg_tape_free(packed.t);
}

TEST(GradArenaTest, ReplayingAPackedTapeAllocatesNothing) {
  tgtest::CountingAllocator counting;
  Mlp m = Record(counting.get(), false);
  ASSERT_NE(nullptr, m.loss);
  Train(m, 1);  // plans and packs
  const int after_first = counting.allocs();
  Train(m, 20);
  EXPECT_EQ(after_first, counting.allocs());
  tg_tape_free(m.t);
  EXPECT_EQ(0, counting.live());
}

// A tape without gradients (inference): 4 layers of 40, relu and sigmoid.
struct Net {
  tg_tape* t = nullptr;
  tg_tensor* x = nullptr;
  tg_tensor* out = nullptr;
  std::vector<tg_tensor*> values;  // every node's output
};

Net RecordInference(const tg_allocator* alloc, bool reuse) {
  Net n;
  n.t = tg_tape_new_ex(alloc);
  tg_tape_set_reuse_values(n.t, reuse);
  tg_rng rng;
  tg_rng_seed(&rng, 8);
  auto leaf = [&](std::vector<int64_t> shape) {
    int64_t k = 1;
    for (int64_t d : shape) k *= d;
    std::vector<float> v(static_cast<size_t>(k));
    for (float& f : v) f = tg_rng_uniform(&rng) - 0.5f;
    return tg_tape_leaf(n.t, static_cast<int>(shape.size()), shape.data(), v.data(), false);
  };
  n.x = leaf({16, 40});
  tg_tensor* h = n.x;
  for (int l = 0; l < 4; ++l) {
    h = tg_add(n.t, tg_matmul(n.t, h, leaf({40, 40})), leaf({40}));
    h = l % 2 ? tg_sigmoid(n.t, h) : tg_relu(n.t, h);
  }
  n.out = h;
  for (int i = 0; i < tg_tape_node_count(n.t); ++i) n.values.push_back(tg_tape_node(n.t, i)->out);
  return n;
}

TEST(ValueReuseTest, PredictionsAreTheSameBitsInFewerBuffers) {
  tgtest::CountingAllocator counting;
  Net plain = RecordInference(nullptr, false), reused = RecordInference(counting.get(), true);
  ASSERT_NE(nullptr, reused.out) << tg_tape_message(reused.t);
  const int after_recording = counting.allocs();
  for (int rep = 0; rep < 5; ++rep) {
    for (Net* n : {&plain, &reused}) {
      n->x->data[rep] += 0.5f;
      ASSERT_EQ(TG_OK, tg_tape_forward(n->t));
    }
    EXPECT_EQ(0, std::memcmp(plain.out->data, reused.out->data,
                             static_cast<size_t>(plain.out->size) * sizeof(float)))
        << rep;
  }
  EXPECT_EQ(after_recording, counting.allocs());
  // 12 values of 16x40 each; the live ones at any step are a few.
  std::vector<const float*> buffers;
  for (const tg_tensor* v : reused.values)
    if (std::find(buffers.begin(), buffers.end(), v->data) == buffers.end())
      buffers.push_back(v->data);
  EXPECT_LE(buffers.size(), 4u);
  EXPECT_EQ(reused.values.size(), 12u);
  // Turned off, every value gets its own buffer back (and is right after a replay).
  tg_tape_set_reuse_values(reused.t, false);
  ASSERT_EQ(TG_OK, tg_tape_forward(reused.t));
  for (size_t i = 0; i < reused.values.size(); ++i)
    EXPECT_EQ(0, std::memcmp(plain.values[i]->data, reused.values[i]->data,
                             static_cast<size_t>(plain.values[i]->size) * sizeof(float)))
        << i;
  tg_tape_free(plain.t);
  tg_tape_free(reused.t);
}

}  // namespace
