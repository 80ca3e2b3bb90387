// tests/grad_arena_test.cc — gradient buffers by liveness (core/tape.h,
// tg_tape_set_keep_all off): the parameters' gradients and the loss are
// bit-identical to a tape that keeps every gradient, over several replays; the
// packed arena is smaller than the gradients it holds; a backward from another
// loss plans again; turning keep_all back on gives every intermediate its own
// gradient holding the last step's values; replaying allocates nothing. Dead
// values (read by no backward, core/op.h backward_reads) lend their buffers to
// the packed gradients, and values a backward reads -- an undeclared user op's
// included -- are never lent; a conv / batch-norm / pooling model checks the CNN
// ops' declarations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "tests/counting_allocator.h"

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "ops/ops.h"
}

namespace {

// A leaf of `shape` on t with values uniform in [-0.5, 0.5) from rng.
tg_tensor* RandomLeaf(tg_tape* t, tg_rng* rng, std::vector<int64_t> shape, bool grad) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  for (float& f : v) f = tg_rng_uniform(rng) - 0.5f;
  return tg_tape_leaf(t, static_cast<int>(shape.size()), shape.data(), v.data(), grad);
}

struct Mlp {
  tg_tape* t = nullptr;
  tg_tensor* x = nullptr;
  std::vector<tg_tensor*> params;
  std::vector<tg_tensor*> hidden;  // each layer's output
  tg_tensor* loss = nullptr;
};

// 3 layers of 48 (relu, tanh, linear) over 32 rows, MSE.
Mlp Record(const tg_allocator* alloc, bool keep_all, bool deferred = false) {
  Mlp m;
  m.t = tg_tape_new_ex(alloc);
  tg_tape_set_keep_all(m.t, keep_all);
  tg_tape_set_deferred(m.t, deferred);
  tg_rng rng;
  tg_rng_seed(&rng, 21);
  auto leaf = [&](std::vector<int64_t> shape, bool grad) {
    return RandomLeaf(m.t, &rng, shape, grad);
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
  const size_t arena = tg_tape_gradient_arena_bytes(packed.t);
  const size_t lent = tg_tape_gradient_bytes_in_values(packed.t);
  EXPECT_GT(arena + lent, 0u);
  EXPECT_LE(arena, 2 * layer + 64);
  EXPECT_EQ(0u, tg_tape_gradient_bytes_in_values(kept.t));
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

// Whether p lies inside the value buffer of some node's output on t.
bool InSomeValue(const tg_tape* t, const float* p) {
  for (int i = 0; i < tg_tape_node_count(t); ++i) {
    const tg_tensor* y = tg_tape_node(t, i)->out;
    if (y->data && p >= y->data && p < y->data + y->size) return true;
  }
  return false;
}

TEST(DeadValuesTest, ADenseReluStackLendsItsPreActivationsToGradients) {
  Mlp kept = Record(nullptr, true), packed = Record(nullptr, false);
  const std::vector<float> a = Train(kept, 3), b = Train(packed, 3);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  // matmul outputs are read by add (reads nothing back) and the first add's output by
  // relu (reads its output): 32x48 buffers the backward never reads. Every
  // intermediate gradient of 32x48 fits in them (at most two are live at once).
  const size_t layer = 32 * 48 * sizeof(float);
  EXPECT_GE(tg_tape_gradient_bytes_in_values(packed.t), 2 * layer);
  EXPECT_EQ(0u, tg_tape_gradient_arena_bytes(packed.t));
  // Some gradients lie in value buffers, and none in an activation's (read back).
  bool any_lent = false;
  for (int i = 0; i < tg_tape_node_count(packed.t); ++i) {
    const float* g = tg_tape_node(packed.t, i)->out->grad;
    if (g == nullptr) continue;
    any_lent = any_lent || InSomeValue(packed.t, g);
    for (const tg_tensor* h : packed.hidden)
      EXPECT_FALSE(g >= h->data && g < h->data + h->size) << "node " << i;
  }
  EXPECT_TRUE(any_lent);
  // The values a backward reads, and the outputs, are the last step's.
  for (size_t l = 0; l < kept.hidden.size(); ++l)
    EXPECT_EQ(0, std::memcmp(kept.hidden[l]->data, packed.hidden[l]->data,
                             static_cast<size_t>(kept.hidden[l]->size) * sizeof(float)))
        << l;
  tg_tape_free(kept.t);
  tg_tape_free(packed.t);
}

// d/dx of x^2 reading x, declared by no backward_reads (a user's op): x must keep
// its value through the backward.
void SquareForward(tg_node* n) {
  for (int64_t i = 0; i < n->out->size; ++i)
    n->out->data[i] = n->in[0]->data[i] * n->in[0]->data[i];
}
void SquareBackward(tg_node* n) {
  if (n->in[0]->grad == nullptr) return;
  for (int64_t i = 0; i < n->out->size; ++i)
    n->in[0]->grad[i] += 2.0f * n->in[0]->data[i] * n->out->grad[i];
}
tg_status SameShape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char*, size_t) {
  *rank = n->in[0]->rank;
  for (int d = 0; d < TG_MAX_RANK; ++d) shape[d] = n->in[0]->shape[d];
  return TG_OK;
}
const tg_op_def& UserSquare() {
  static const tg_op_def d = [] {
    tg_op_def o{};
    o.name = "user_square";
    o.arity = 1;
    o.shape = SameShape;
    o.forward = SquareForward;
    o.backward = SquareBackward;
    return o;
  }();
  return d;
}

// Kinds of graphs over a [24, 32] input: each ends in an MSE against a fixed target.
enum class Graph { kChain, kViewOfDead, kViewOutput, kUserOp, kLinearOps, kMathOps };

struct Small {
  tg_tape* t = nullptr;
  tg_tensor* x = nullptr;
  std::vector<tg_tensor*> params;
  tg_tensor* watched = nullptr;  // a value the test compares after the backward
  tg_tensor* loss = nullptr;
};

Small RecordSmall(Graph g, bool keep_all, bool planned, bool deferred = false) {
  Small m;
  m.t = tg_tape_new();
  tg_tape_set_keep_all(m.t, keep_all);
  tg_tape_set_planning(m.t, planned);
  tg_tape_set_deferred(m.t, deferred);
  tg_rng rng;
  tg_rng_seed(&rng, 5);
  auto leaf = [&](std::vector<int64_t> shape, bool grad) {
    return RandomLeaf(m.t, &rng, shape, grad);
  };
  m.x = leaf({24, 32}, false);
  tg_tensor* w = leaf({32, 32}, true);
  tg_tensor* b = leaf({32}, true);
  m.params = {w, b};
  tg_tensor* z = tg_matmul(m.t, m.x, w);
  tg_tensor* h = nullptr;
  switch (g) {
    case Graph::kChain:  // add, scale, relu, sigmoid, sub: one elementwise chain
      h = tg_sub(m.t, tg_sigmoid(m.t, tg_relu(m.t, tg_scale(m.t, tg_add(m.t, z, b), 1.5f))), b);
      h = tg_tanh(m.t, tg_matmul(m.t, h, w));
      m.watched = h;
      break;
    case Graph::kViewOfDead: {  // z read only through a view, by add: z is dead
      const int64_t flat[2] = {12, 64};
      const int64_t back[2] = {24, 32};
      h = tg_relu(m.t, tg_add(m.t, tg_reshape(m.t, tg_reshape(m.t, z, 2, flat), 2, back), b));
      m.watched = h;
      break;
    }
    case Graph::kViewOutput: {  // a view nothing reads is an output: its base is kept
      const int64_t flat[1] = {24 * 32};
      h = tg_relu(m.t, tg_add(m.t, z, b));
      m.watched = tg_reshape(m.t, z, 1, flat);
      break;
    }
    case Graph::kLinearOps: {  // ops whose backward reads no value: all of them lend
      const int64_t full[2] = {24, 32}, before[2] = {0, 2}, after[2] = {0, 0};
      const int64_t start[2] = {0, 0}, stop[2] = {24, 30};
      const int rows[1] = {0};
      tg_tensor* a = tg_add(m.t, z, tg_broadcast_to(m.t, b, 2, full));
      tg_tensor* s =
          tg_pad(m.t, tg_slice(m.t, tg_neg(m.t, a), start, stop, nullptr), before, after, 0.0f);
      tg_tensor* p = tg_transpose(m.t, tg_transpose(m.t, s));
      // column means and sums over the rows, and the whole mean and sum, added back
      tg_tensor* c = tg_add(m.t, tg_mean_axes(m.t, p, rows, 1, true),
                            tg_scale(m.t, tg_sum_axes(m.t, p, rows, 1, true), 0.01f));
      tg_tensor* whole = tg_add(m.t, tg_mean(m.t, p), tg_scale(m.t, tg_sum(m.t, p), 0.001f));
      h = tg_tanh(m.t, tg_add(m.t, tg_add(m.t, p, c), whole));
      m.watched = h;
      break;
    }
    case Graph::kMathOps: {  // each value read by one op that keeps it by its declaration
      tg_tensor* a = tg_add(m.t, z, b);  // read by square (its input) and exp (not)
      tg_tensor* e = tg_exp(m.t, a);     // read by scales only: kept for exp's backward
      tg_tensor* l = tg_log(m.t, tg_scale(m.t, e, 1.5f));         // log reads its input
      tg_tensor* r = tg_sqrt(m.t, tg_scale(m.t, e, 2.0f));        // sqrt, rsqrt and reciprocal
      tg_tensor* q = tg_rsqrt(m.t, tg_scale(m.t, e, 3.0f));       // read their outputs, which
      tg_tensor* c = tg_reciprocal(m.t, tg_scale(m.t, e, 4.0f));  // only scales read
      h = tg_add(m.t, tg_add(m.t, tg_scale(m.t, l, 0.5f), tg_scale(m.t, r, 0.25f)),
                 tg_add(m.t, tg_scale(m.t, q, 0.125f), tg_scale(m.t, c, 0.5f)));
      h = tg_add(m.t, h, tg_scale(m.t, tg_square(m.t, a), 0.1f));
      h = tg_add(m.t, h, tg_scale(m.t, tg_abs(m.t, tg_scale(m.t, a, -2.0f)), 0.5f));
      m.watched = h;
      break;
    }
    case Graph::kUserOp: {  // the add's output is read back by the undeclared op
      tg_tensor* in[1] = {tg_add(m.t, z, b)};
      h = tg_tape_apply(m.t, &UserSquare(), in, 1, nullptr);
      m.watched = in[0];
      break;
    }
  }
  m.loss = tg_mse(m.t, h, leaf({24, 32}, false));
  return m;
}

std::vector<float> TrainSmall(Small& m, int steps) {
  std::vector<float> out;
  for (int s = 0; s < steps; ++s) {
    for (tg_tensor* p : m.params) tg_tensor_zero_grad(p);
    m.x->data[(7 * s) % m.x->size] -= 0.25f;
    EXPECT_EQ(TG_OK, tg_tape_forward(m.t)) << tg_tape_message(m.t);
    EXPECT_EQ(TG_OK, tg_tape_backward(m.t, m.loss)) << tg_tape_message(m.t);
    out.push_back(m.loss->data[0]);
    for (tg_tensor* p : m.params) out.insert(out.end(), p->grad, p->grad + p->size);
    out.insert(out.end(), m.watched->data, m.watched->data + m.watched->size);
  }
  return out;
}

void ExpectSameBits(Graph g, bool expect_lent, bool deferred = false) {
  Small ref = RecordSmall(g, true, false), packed = RecordSmall(g, false, true, deferred);
  ASSERT_NE(nullptr, packed.loss) << tg_tape_message(packed.t);
  const std::vector<float> a = TrainSmall(ref, 3), b = TrainSmall(packed, 3);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  // Deferred, a dead value's memory may already serve a later value in the forward;
  // what it lends then depends on the placement.
  if (deferred)
    EXPECT_GT(tg_tape_value_region_bytes(packed.t), 0u);
  else if (expect_lent)
    EXPECT_GT(tg_tape_gradient_bytes_in_values(packed.t), 0u);
  else
    EXPECT_EQ(0u, tg_tape_gradient_bytes_in_values(packed.t));
  tg_tape_free(ref.t);
  tg_tape_free(packed.t);
}

TEST(DeadValuesTest, AChainGivesTheUnplannedBits) { ExpectSameBits(Graph::kChain, true); }

TEST(DeadValuesTest, AValueReadThroughAViewIsLentWhenNoBackwardReadsIt) {
  ExpectSameBits(Graph::kViewOfDead, true);
}

TEST(DeadValuesTest, AViewNothingReadsKeepsItsBase) {
  // z is read by add (nothing back) and by the view, which nothing reads: kept (the
  // view's data is compared after each backward); add's output, read forward by
  // relu only (relu reads its output back), is lent.
  ExpectSameBits(Graph::kViewOutput, true);
}

TEST(DeadValuesTest, AnUndeclaredUserOpKeepsTheValuesItReads) {
  // The matmul's output (read by add only) is lent; add's, read by the user op's
  // backward, is not: the gradient and the watched value match the reference.
  ExpectSameBits(Graph::kUserOp, true);
}

TEST(DeadValuesTest, OpsThatReadNoValueLendTheirInputsAndGiveTheUnplannedBits) {
  ExpectSameBits(Graph::kLinearOps, true);
}

TEST(DeadValuesTest, OpsThatReadTheirInputOrOutputKeepItAndGiveTheUnplannedBits) {
  ExpectSameBits(Graph::kMathOps, true);
}

TEST(DeadValuesTest, ReplayingWithLentValuesAllocatesNothing) {
  tgtest::CountingAllocator counting;
  Mlp m = Record(counting.get(), false);
  Train(m, 1);
  ASSERT_GT(tg_tape_gradient_bytes_in_values(m.t), 0u);
  const int after_first = counting.allocs();
  Train(m, 10);
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

Net RecordInference(const tg_allocator* alloc, bool reuse, bool deferred = false) {
  Net n;
  n.t = tg_tape_new_ex(alloc);
  tg_tape_set_reuse_values(n.t, reuse);
  tg_tape_set_deferred(n.t, deferred);
  tg_rng rng;
  tg_rng_seed(&rng, 8);
  auto leaf = [&](std::vector<int64_t> shape) { return RandomLeaf(n.t, &rng, shape, false); };
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

// ---- deferred recording (tg_tape_set_deferred): values placed by liveness before
// the first forward, so values whose forward steps do not overlap share memory.

// Distinct value buffers among t's node outputs.
size_t DistinctBuffers(const std::vector<tg_tensor*>& values) {
  std::vector<const float*> buffers;
  for (const tg_tensor* v : values)
    if (std::find(buffers.begin(), buffers.end(), v->data) == buffers.end())
      buffers.push_back(v->data);
  return buffers.size();
}

TEST(DeferredTest, InferenceValuesShareBuffersFromTheFirstForward) {
  tgtest::CountingAllocator counting;
  Net eager = RecordInference(nullptr, false),
      deferred = RecordInference(counting.get(), false, true);
  ASSERT_NE(nullptr, deferred.out) << tg_tape_message(deferred.t);
  EXPECT_TRUE(tg_tape_defers(deferred.t));
  EXPECT_EQ(nullptr, deferred.out->data);  // nothing computed, no buffer yet
  EXPECT_EQ(0u, tg_tape_value_region_bytes(deferred.t));
  for (int rep = 0; rep < 4; ++rep) {
    for (Net* n : {&eager, &deferred}) {
      n->x->data[rep] += 0.5f;
      ASSERT_EQ(TG_OK, tg_tape_forward(n->t)) << tg_tape_message(n->t);
    }
    ASSERT_NE(nullptr, deferred.out->data);
    EXPECT_EQ(0, std::memcmp(eager.out->data, deferred.out->data,
                             static_cast<size_t>(eager.out->size) * sizeof(float)))
        << rep;
    if (rep == 0) {
      EXPECT_GT(counting.allocs(), 0);
    }
  }
  // 12 values of 16x40: a step reads one or two and writes one, so three buffers
  // serve them all; the output keeps its own.
  EXPECT_EQ(12u, deferred.values.size());
  EXPECT_LE(DistinctBuffers(deferred.values), 4u);
  const size_t value = 16 * 40 * sizeof(float);
  EXPECT_LE(tg_tape_value_region_bytes(deferred.t), 4 * value);
  EXPECT_GE(tg_tape_value_region_bytes(deferred.t), 2 * value);
  tg_tape_free(eager.t);
  tg_tape_free(deferred.t);
  EXPECT_EQ(0, counting.live());
}

TEST(DeferredTest, ReplaysAfterTheFirstForwardAllocateNothing) {
  tgtest::CountingAllocator counting;
  Mlp m = Record(counting.get(), false, true);
  ASSERT_NE(nullptr, m.loss) << tg_tape_message(m.t);
  Train(m, 1);  // places the values, plans and packs the gradients
  const int after_first = counting.allocs();
  Train(m, 10);
  EXPECT_EQ(after_first, counting.allocs());
  tg_tape_free(m.t);
  EXPECT_EQ(0, counting.live());
}

TEST(DeferredTest, APackedDeferredMlpGivesTheBitsOfAnEagerTapeKeepingAll) {
  Mlp kept = Record(nullptr, true), deferred = Record(nullptr, false, true);
  const std::vector<float> a = Train(kept, 4), b = Train(deferred, 4);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  // The activations the backward reads are kept, and hold the last step's values.
  for (size_t l = 0; l < kept.hidden.size(); ++l)
    EXPECT_EQ(0, std::memcmp(kept.hidden[l]->data, deferred.hidden[l]->data,
                             static_cast<size_t>(kept.hidden[l]->size) * sizeof(float)))
        << l;
  // Nine 32x48 intermediates (matmul, add, activation per layer) and the loss: the
  // matmul outputs die at their add, so the region holds less than all of them.
  const size_t layer = 32 * 48 * sizeof(float);
  EXPECT_GT(tg_tape_value_region_bytes(deferred.t), 0u);
  EXPECT_LT(tg_tape_value_region_bytes(deferred.t), 9 * layer);
  tg_tape_free(kept.t);
  tg_tape_free(deferred.t);
}

TEST(DeferredTest, EveryGraphGivesTheUnplannedEagerBits) {
  for (Graph g : {Graph::kChain, Graph::kViewOfDead, Graph::kViewOutput, Graph::kUserOp,
                  Graph::kLinearOps, Graph::kMathOps}) {
    SCOPED_TRACE(static_cast<int>(g));
    ExpectSameBits(g, true, true);
  }
}

TEST(DeferredTest, NodeByNodeAndTheNanSentinelRunADeferredTapeToo) {
  Net eager = RecordInference(nullptr, false), unplanned = RecordInference(nullptr, false, true),
      checked = RecordInference(nullptr, false, true);
  tg_tape_set_planning(unplanned.t, false);
  tg_tape_set_check_finite(checked.t, true);
  for (Net* n : {&eager, &unplanned, &checked})
    ASSERT_EQ(TG_OK, tg_tape_forward(n->t)) << tg_tape_message(n->t);
  for (Net* n : {&unplanned, &checked})
    EXPECT_EQ(0, std::memcmp(eager.out->data, n->out->data,
                             static_cast<size_t>(eager.out->size) * sizeof(float)));
  // The sentinel checks at the first forward what eager recording checks at once.
  checked.x->data[3] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(TG_ERR_ARG, tg_tape_forward(checked.t));
  EXPECT_STREQ("matmul (node 0): produced -inf at element 0 of [16x40]",
               tg_tape_message(checked.t));
  for (Net* n : {&eager, &unplanned, &checked}) tg_tape_free(n->t);
}

TEST(DeferredTest, BackwardBeforeTheFirstForwardIsRefused) {
  Mlp m = Record(nullptr, false, true);
  ASSERT_NE(nullptr, m.loss) << tg_tape_message(m.t);
  EXPECT_EQ(TG_ERR_STATE, tg_tape_backward(m.t, m.loss));
  EXPECT_STREQ(
      "tg_tape_backward: the tape was recorded deferred and its forward has not run yet (call "
      "tg_tape_forward first)",
      tg_tape_message(m.t));
  tg_tape_free(m.t);
}

TEST(DeferredTest, RecordingAfterAForwardPlacesEveryValueAgain) {
  Net eager = RecordInference(nullptr, false), deferred = RecordInference(nullptr, false, true);
  ASSERT_EQ(TG_OK, tg_tape_forward(deferred.t));
  // The first layer's output was dead after the second layer read it (its buffer
  // went to later values); a new node reads it again, so it must live on.
  tg_tensor* extra[2];
  for (int k = 0; k < 2; ++k) {
    Net& n = k == 0 ? eager : deferred;
    extra[k] = tg_add(n.t, n.values[1], n.out);
    ASSERT_NE(nullptr, extra[k]) << tg_tape_message(n.t);
  }
  EXPECT_EQ(nullptr, extra[1]->data);
  ASSERT_EQ(TG_OK, tg_tape_forward(eager.t));
  ASSERT_EQ(TG_OK, tg_tape_forward(deferred.t)) << tg_tape_message(deferred.t);
  EXPECT_EQ(0, std::memcmp(extra[0]->data, extra[1]->data,
                           static_cast<size_t>(extra[0]->size) * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(eager.out->data, deferred.out->data,
                           static_cast<size_t>(eager.out->size) * sizeof(float)));
  tg_tape_free(eager.t);
  tg_tape_free(deferred.t);
}

// A small CNN over [4, 8, 8, 3] through every op a Conv2D / BatchNormalization /
// pooling model records: conv2d, bias add and relu twice, batch_norm (training),
// max_pool2d, avg_pool2d and flatten, global_avg_pool2d, concat, layer_norm, matmul,
// softmax and sparse_categorical_crossentropy.
struct Cnn {
  tg_tape* t = nullptr;
  tg_tensor* x = nullptr;
  std::vector<tg_tensor*> params;
  tg_tensor* probs = nullptr;
  tg_tensor* loss = nullptr;
};

Cnn RecordCnn(const tg_allocator* alloc, bool keep_all, bool planned, bool deferred = false) {
  Cnn m;
  m.t = tg_tape_new_ex(alloc);
  tg_tape_set_keep_all(m.t, keep_all);
  tg_tape_set_planning(m.t, planned);
  tg_tape_set_deferred(m.t, deferred);
  tg_rng rng;
  tg_rng_seed(&rng, 13);
  auto leaf = [&](std::vector<int64_t> shape, bool grad) {
    tg_tensor* l = RandomLeaf(m.t, &rng, shape, grad);
    if (grad) m.params.push_back(l);
    return l;
  };
  m.x = leaf({4, 8, 8, 3}, false);
  tg_conv2d_options same{};
  same.padding = TG_PADDING_SAME;
  tg_batch_norm_options bn{};
  bn.training = true;
  tg_tensor* h = tg_relu(
      m.t, tg_add(m.t, tg_conv2d(m.t, m.x, leaf({3, 3, 3, 6}, true), &same), leaf({6}, true)));
  h = tg_batch_norm(m.t, h, leaf({6}, true), leaf({6}, true), &bn);
  h = tg_max_pool2d(m.t, h, nullptr);  // [4, 4, 4, 6]
  h = tg_relu(m.t,
              tg_add(m.t, tg_conv2d(m.t, h, leaf({3, 3, 6, 8}, true), &same), leaf({8}, true)));
  tg_tensor* parts[2] = {tg_global_avg_pool2d(m.t, h),
                         tg_flatten(m.t, tg_avg_pool2d(m.t, h, nullptr))};
  h = tg_concat(m.t, parts, 2, 1);  // [4, 8 + 2 * 2 * 8]
  h = tg_layer_norm(m.t, h, leaf({40}, true), leaf({40}, true), 1e-3f);
  m.probs = tg_softmax(m.t, tg_add(m.t, tg_matmul(m.t, h, leaf({40, 5}, true)), leaf({5}, true)));
  const int64_t rows = 4;
  const int32_t labels[4] = {0, 3, 4, 1};
  m.loss = tg_sparse_categorical_crossentropy(m.t, m.probs,
                                              tg_tape_index_leaf(m.t, 1, &rows, labels), false);
  return m;
}

std::vector<float> TrainCnn(Cnn& m, int steps) {
  std::vector<float> out;
  for (int s = 0; s < steps; ++s) {
    for (tg_tensor* p : m.params) tg_tensor_zero_grad(p);
    m.x->data[(11 * s) % m.x->size] += 0.75f;
    EXPECT_EQ(TG_OK, tg_tape_forward(m.t)) << tg_tape_message(m.t);
    EXPECT_EQ(TG_OK, tg_tape_backward(m.t, m.loss)) << tg_tape_message(m.t);
    out.push_back(m.loss->data[0]);
    out.insert(out.end(), m.probs->data, m.probs->data + m.probs->size);
    for (tg_tensor* p : m.params) out.insert(out.end(), p->grad, p->grad + p->size);
  }
  return out;
}

void ExpectCnnBits(bool deferred) {
  // Packed gradients, lent values (and, deferred, values placed by liveness) against
  // a keep-all tape run node by node: what each CNN op declares its backward reads
  // must be all it reads.
  Cnn ref = RecordCnn(nullptr, true, false), packed = RecordCnn(nullptr, false, true, deferred);
  ASSERT_NE(nullptr, packed.loss) << tg_tape_message(packed.t);
  const std::vector<float> a = TrainCnn(ref, 3), b = TrainCnn(packed, 3);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  // Values no backward reads (each conv's output before its bias, the pooled ones,
  // the concatenation) carry gradients.
  EXPECT_GT(tg_tape_gradient_bytes_in_values(packed.t), 0u);
  tg_tape_free(ref.t);
  tg_tape_free(packed.t);
}

TEST(DeadValuesTest, AConvBatchNormPoolingModelGivesTheUnplannedBits) { ExpectCnnBits(false); }

TEST(DeferredTest, ADeferredConvBatchNormPoolingModelGivesTheUnplannedBits) { ExpectCnnBits(true); }

TEST(DeferredTest, ReplayingAPackedDeferredCnnAllocatesNothing) {
  tgtest::CountingAllocator counting;
  Cnn m = RecordCnn(counting.get(), false, true, true);
  TrainCnn(m, 1);
  const int after_first = counting.allocs();
  TrainCnn(m, 5);
  EXPECT_EQ(after_first, counting.allocs());
  tg_tape_free(m.t);
  EXPECT_EQ(0, counting.live());
}

}  // namespace
