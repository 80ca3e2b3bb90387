// tests/fused_test.cc — replay shortcuts (core/op.h, ops/fused.c): with the bias-add
// + ReLU fusion on, every output and gradient of a replayed tape is bit-identical to
// the node-by-node replay, the recorded nodes do not change, and the tape calls a
// fusion's hooks exactly where its pair occurs (and runs the nodes when it declines).
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "ops/ops.h"
}

namespace {

struct Leaf {
  std::vector<int64_t> shape;
  bool grad;
};

using Graph = std::function<tg_tensor*(tg_tape*, const std::vector<tg_tensor*>&)>;

// Records `graph` on a fresh tape (fusion on or off), runs backward, then replays
// forward + backward three times with new leaf values; returns every output and
// gradient on the tape, and the node ops in order.
struct Run {
  std::vector<float> values;
  std::vector<std::string> ops;
};

Run Replay(const std::vector<Leaf>& leaves, const Graph& graph, bool fused) {
  tg_tape* t = tg_tape_new();
  if (fused) tg_ops_enable_fusion(t);
  tg_rng rng;
  tg_rng_seed(&rng, 77);
  std::vector<tg_tensor*> in;
  for (const Leaf& l : leaves) {
    int64_t n = 1;
    for (int64_t d : l.shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = tg_rng_uniform(&rng) - 0.5f;
    in.push_back(
        tg_tape_leaf(t, static_cast<int>(l.shape.size()), l.shape.data(), v.data(), l.grad));
  }
  tg_tensor* loss = graph(t, in);
  EXPECT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
  Run run;
  for (int rep = 0; rep < 3; ++rep) {
    for (tg_tensor* x : in) {
      for (int64_t i = 0; i < x->size; ++i) x->data[i] = tg_rng_uniform(&rng) - 0.5f;
      tg_tensor_zero_grad(x);
    }
    EXPECT_EQ(TG_OK, tg_tape_forward(t));
    EXPECT_EQ(TG_OK, tg_tape_backward(t, loss));
    for (int i = 0; i < tg_tape_node_count(t); ++i) {
      const tg_tensor* y = tg_tape_node(t, i)->out;
      run.values.insert(run.values.end(), y->data, y->data + y->size);
      if (y->grad) run.values.insert(run.values.end(), y->grad, y->grad + y->size);
    }
    for (tg_tensor* x : in)
      if (x->grad) run.values.insert(run.values.end(), x->grad, x->grad + x->size);
  }
  for (int i = 0; i < tg_tape_node_count(t); ++i) run.ops.push_back(tg_tape_node(t, i)->op->name);
  tg_tape_free(t);
  return run;
}

void ExpectSame(const std::vector<Leaf>& leaves, const Graph& graph) {
  const Run plain = Replay(leaves, graph, false);
  const Run fused = Replay(leaves, graph, true);
  EXPECT_EQ(plain.ops, fused.ops);
  ASSERT_EQ(plain.values.size(), fused.values.size());
  EXPECT_EQ(0, std::memcmp(plain.values.data(), fused.values.data(),
                           plain.values.size() * sizeof(float)));
}

TEST(FusedTest, DenseLayerBiasAndReluAreBitIdentical) {
  ExpectSame({{{10, 7}, false}, {{7, 16}, true}, {{16}, true}, {{10, 16}, false}},
             [](tg_tape* t, const std::vector<tg_tensor*>& v) {
               tg_tensor* h = tg_relu(t, tg_add(t, tg_matmul(t, v[0], v[1]), v[2]));
               return tg_mse(t, h, v[3]);
             });
}

TEST(FusedTest, SameShapeOperandsWithGradientsAreBitIdentical) {
  ExpectSame({{{6, 5}, true}, {{6, 5}, true}}, [](tg_tape* t, const std::vector<tg_tensor*>& v) {
    return tg_mean(t, tg_relu(t, tg_add(t, v[0], v[1])));
  });
}

TEST(FusedTest, AddOutputUsedTwiceAccumulatesInTheSameOrder) {
  // z feeds the ReLU and, later, another add: its gradient has a contribution
  // before the fused backward runs.
  ExpectSame({{{4, 9}, true}, {{9}, true}}, [](tg_tape* t, const std::vector<tg_tensor*>& v) {
    tg_tensor* z = tg_add(t, v[0], v[1]);
    return tg_mean(t, tg_add(t, tg_relu(t, z), tg_scale(t, z, 0.3f)));
  });
}

TEST(FusedTest, BatchedBiasIsBitIdentical) {
  ExpectSame({{{2, 3, 8}, true}, {{8}, true}}, [](tg_tape* t, const std::vector<tg_tensor*>& v) {
    return tg_sum(t, tg_relu(t, tg_add(t, v[0], v[1])));
  });
}

TEST(FusedTest, PairsItDoesNotFuseStillReplayCorrectly) {
  // b broadcast along rows ([N,1]) and a [1,K] bias: declined, run node by node.
  ExpectSame({{{5, 4}, true}, {{5, 1}, true}}, [](tg_tape* t, const std::vector<tg_tensor*>& v) {
    return tg_sum(t, tg_relu(t, tg_add(t, v[0], v[1])));
  });
  ExpectSame({{{5, 4}, true}, {{1, 4}, true}}, [](tg_tape* t, const std::vector<tg_tensor*>& v) {
    return tg_sum(t, tg_relu(t, tg_add(t, v[0], v[1])));
  });
  // The ReLU right after the add reads something else.
  ExpectSame({{{3, 4}, true}, {{4}, true}, {{3, 4}, true}},
             [](tg_tape* t, const std::vector<tg_tensor*>& v) {
               tg_tensor* z = tg_add(t, v[0], v[1]);
               return tg_sum(t, tg_mul(t, z, tg_relu(t, v[2])));
             });
  // add(x, x).
  ExpectSame({{{3, 4}, true}}, [](tg_tape* t, const std::vector<tg_tensor*>& v) {
    return tg_sum(t, tg_relu(t, tg_add(t, v[0], v[0])));
  });
}

TEST(FusedTest, OpsPublishTheAddReluPair) {
  int count = 0;
  const tg_op_fusion* table = tg_ops_fusions(&count);
  ASSERT_EQ(1, count);
  EXPECT_EQ(&tg_op_add, table[0].first);
  EXPECT_EQ(&tg_op_relu, table[0].second);
  EXPECT_NE(nullptr, table[0].forward);
  EXPECT_NE(nullptr, table[0].backward);
  // It takes a Dense layer's pair (so the bit-identity tests above do fuse) and
  // declines a bias broadcast along the other axis.
  tg_tape* t = tg_tape_new();
  const int64_t sx[2] = {3, 4}, sb[1] = {4}, sc[2] = {3, 1};
  tg_tensor* x = tg_tape_leaf(t, 2, sx, nullptr, true);
  tg_tensor* b = tg_tape_leaf(t, 1, sb, nullptr, true);
  tg_tensor* c = tg_tape_leaf(t, 2, sc, nullptr, true);
  tg_tensor* loss = tg_sum(t, tg_relu(t, tg_add(t, x, b)));
  tg_tensor* other = tg_sum(t, tg_relu(t, tg_add(t, x, c)));
  ASSERT_NE(nullptr, other);
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
  tg_node* add = const_cast<tg_node*>(tg_tape_node(t, 0));
  tg_node* relu = const_cast<tg_node*>(tg_tape_node(t, 1));
  EXPECT_TRUE(table[0].forward(add, relu));
  EXPECT_TRUE(table[0].backward(add, relu));
  tg_node* add_c = const_cast<tg_node*>(tg_tape_node(t, 3));
  tg_node* relu_c = const_cast<tg_node*>(tg_tape_node(t, 4));
  EXPECT_FALSE(table[0].forward(add_c, relu_c));
  EXPECT_FALSE(table[0].forward(add, relu_c));  // relu reads another tensor
  tg_tape_free(t);
}

// Core mechanics with a fusion of our own that counts calls and can decline.
struct Calls {
  int forward = 0, backward = 0;
  bool accept = false;
};
Calls g_calls;  // the hooks have no context pointer; one test at a time uses it

bool CountingForward(tg_node* n, tg_node* next) {
  g_calls.forward++;
  if (!g_calls.accept) return false;
  n->op->forward(n);
  next->op->forward(next);
  return true;
}

bool CountingBackward(tg_node* n, tg_node* next) {
  g_calls.backward++;
  if (!g_calls.accept) return false;
  next->op->backward(next);
  n->op->backward(n);
  return true;
}

TEST(FusedTest, TapeCallsHooksOnlyForTheirPairAndRunsNodesWhenDeclined) {
  const tg_op_fusion mine[] = {{&tg_op_add, &tg_op_relu, CountingForward, CountingBackward}};
  for (bool accept : {false, true}) {
    g_calls = Calls();
    g_calls.accept = accept;
    tg_tape* t = tg_tape_new();
    tg_tape_set_fusions(t, mine, 1);
    const int64_t s[1] = {4};
    const float xv[4] = {-1, 2, -3, 4}, bv[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    tg_tensor* x = tg_tape_leaf(t, 1, s, xv, true);
    tg_tensor* b = tg_tape_leaf(t, 1, s, bv, true);
    tg_tensor* y = tg_relu(t, tg_add(t, x, b));    // one add->relu pair
    tg_tensor* loss = tg_sum(t, tg_add(t, y, b));  // an add not followed by relu
    ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
    EXPECT_EQ(0, g_calls.forward);  // recording never fuses
    EXPECT_EQ(1, g_calls.backward);
    x->data[0] = 5.0f;
    tg_tensor_zero_grad(x);
    tg_tensor_zero_grad(b);
    ASSERT_EQ(TG_OK, tg_tape_forward(t));
    ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
    EXPECT_EQ(1, g_calls.forward);
    EXPECT_EQ(2, g_calls.backward);
    // Either way the values are the node-by-node ones: y = relu(x + b).
    EXPECT_EQ(5.5f, y->data[0]);
    EXPECT_EQ(2.5f, y->data[1]);
    EXPECT_EQ(0.0f, y->data[2]);
    EXPECT_EQ(1.0f, x->grad[0]);
    EXPECT_EQ(0.0f, x->grad[2]);
    EXPECT_EQ(2.0f, b->grad[0]);  // through the relu and directly
    EXPECT_EQ(1.0f, b->grad[2]);
    tg_tape_set_fusions(t, nullptr, 0);  // off: no more calls
    ASSERT_EQ(TG_OK, tg_tape_forward(t));
    EXPECT_EQ(1, g_calls.forward);
    tg_tape_free(t);
  }
}

}  // namespace
