// tests/fused_test.cc — chains of elementwise nodes in the tape's plan (core/tape.h,
// core/op.h forward_range): the plan groups what it should (lengths 1 to 4, with a
// broadcast bias, tiles that cut rows), every value and gradient of a planned tape
// is bit-identical to the same tape replayed node by node (tg_tape_set_planning
// off), chains stop where they must (a node between them, another size, a second
// consumer in the middle), a bias written twice in one chain keeps backward's sums
// in order, dropout draws the same masks, a loss inside a chain is handled, and
// planning and replaying allocate nothing.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "tests/counting_allocator.h"

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

// Builds the graph on t and returns its loss; `rng` is for ops that draw (dropout).
using Graph = std::function<tg_tensor*(tg_tape*, const std::vector<tg_tensor*>&, tg_rng*)>;

struct Run {
  std::vector<float> values;  // every output and gradient, every leaf gradient, 3 replays
  std::vector<std::string> ops;
  std::vector<int> chains;  // tg_tape_plan_chain of every node (planned runs)
};

// Records `graph` on a fresh tape (planned or not), runs backward, then replays
// forward + backward three times with new leaf values.
Run Replay(const std::vector<Leaf>& leaves, const Graph& graph, bool planned) {
  tg_tape* t = tg_tape_new();
  tg_tape_set_planning(t, planned);
  tg_rng rng, drop;
  tg_rng_seed(&rng, 77);
  tg_rng_seed(&drop, 5);
  std::vector<tg_tensor*> in;
  for (const Leaf& l : leaves) {
    int64_t n = 1;
    for (int64_t d : l.shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = tg_rng_uniform(&rng) - 0.5f;
    in.push_back(
        tg_tape_leaf(t, static_cast<int>(l.shape.size()), l.shape.data(), v.data(), l.grad));
  }
  tg_tensor* loss = graph(t, in, &drop);
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
  for (int i = 0; i < tg_tape_node_count(t); ++i) {
    run.ops.push_back(tg_tape_node(t, i)->op->name);
    run.chains.push_back(tg_tape_plan_chain(t, i, nullptr));
  }
  tg_tape_free(t);
  return run;
}

// Planned and unplanned give the same bits; returns the planned run's chain lengths.
std::vector<int> ExpectSame(const std::vector<Leaf>& leaves, const Graph& graph) {
  const Run plain = Replay(leaves, graph, false);
  const Run planned = Replay(leaves, graph, true);
  EXPECT_EQ(plain.ops, planned.ops);
  EXPECT_EQ(plain.values.size(), planned.values.size());
  if (plain.values.size() == planned.values.size()) {
    EXPECT_EQ(0, std::memcmp(plain.values.data(), planned.values.data(),
                             plain.values.size() * sizeof(float)));
  }
  for (int c : plain.chains) EXPECT_EQ(0, c);  // unplanned: no plan to ask about
  return planned.chains;
}

TEST(FusedTest, DenseLayerBiasAndReluFormAChainOfTwo) {
  // matmul, add, relu, mse: the bias add and the ReLU are one chain.
  const std::vector<int> chains =
      ExpectSame({{{10, 7}, false}, {{7, 16}, true}, {{16}, true}, {{10, 16}, false}},
                 [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                   tg_tensor* h = tg_relu(t, tg_add(t, tg_matmul(t, v[0], v[1]), v[2]));
                   return tg_mse(t, h, v[3]);
                 });
  EXPECT_EQ(chains, (std::vector<int>{1, 2, 2, 1}));
}

TEST(FusedTest, ShortBiasRowsAreBitIdentical) {
  // Rows of 1, 2 and 4 floats take whole vectors of the row repeated; 3 and 5 the
  // scalar loop. 13 rows: the last vector is partial for each width. add, sub and
  // mul by the row, each into a ReLU, against the unplanned ops.
  for (int64_t width : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}, int64_t{5}}) {
    EXPECT_EQ((std::vector<int>{3, 3, 3, 1}),
              ExpectSame({{{13, width}, true}, {{width}, true}, {{width}, true}},
                         [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                           tg_tensor* h = tg_sub(t, tg_add(t, v[0], v[1]), v[2]);
                           return tg_sum(t, tg_relu(t, h));
                         }))
        << width;
    EXPECT_EQ((std::vector<int>{2, 2, 1}),
              ExpectSame({{{13, width}, true}, {{width}, true}},
                         [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                           return tg_sum(t, tg_relu(t, tg_mul(t, v[0], v[1])));
                         }))
        << width;
  }
}

TEST(FusedTest, ChainsOfOneToFourAreBitIdentical) {
  // 1: the bias add alone (sum is not elementwise).
  EXPECT_EQ((std::vector<int>{1, 1}),
            ExpectSame({{{6, 5}, true}, {{5}, true}},
                       [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                         return tg_sum(t, tg_add(t, v[0], v[1]));
                       }));
  // 2: add, sigmoid.
  EXPECT_EQ((std::vector<int>{2, 2, 1}),
            ExpectSame({{{6, 5}, true}, {{5}, true}},
                       [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                         return tg_mean(t, tg_sigmoid(t, tg_add(t, v[0], v[1])));
                       }));
  // 3: add, tanh, scale.
  EXPECT_EQ((std::vector<int>{3, 3, 3, 1}),
            ExpectSame({{{9, 12}, true}, {{12}, true}},
                       [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                         return tg_sum(t, tg_scale(t, tg_tanh(t, tg_add(t, v[0], v[1])), 0.7f));
                       }));
  // 4: mul by a row, add a bias, leaky_relu, silu.
  EXPECT_EQ((std::vector<int>{4, 4, 4, 4, 1}),
            ExpectSame({{{7, 8}, true}, {{8}, true}, {{8}, true}},
                       [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                         tg_tensor* z = tg_add(t, tg_mul(t, v[0], v[1]), v[2]);
                         return tg_sum(t, tg_silu(t, tg_leaky_relu(t, z, 0.1f)));
                       }));
}

TEST(FusedTest, ManyTilesAndRowsTheTilesCutAreBitIdentical) {
  // Several tiles per chain: a row that divides the tile, one that does not, one
  // wider than any tile (its rows then cut across tiles), and a row of rank 2.
  for (int64_t width : {int64_t{48}, int64_t{100}, int64_t{5000}}) {
    const int64_t rows = width > 1000 ? 3 : 64;
    EXPECT_EQ((std::vector<int>{3, 3, 3, 1}),
              ExpectSame({{{rows, width}, true}, {{width}, true}},
                         [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                           tg_tensor* z = tg_relu(t, tg_add(t, v[0], v[1]));
                           return tg_sum(t, tg_elu(t, z, 0.5f));
                         }))
        << width;
  }
  EXPECT_EQ((std::vector<int>{2, 2, 1}),
            ExpectSame({{{5, 30, 24}, true}, {{30, 24}, true}},
                       [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                         return tg_sum(t, tg_gelu(t, tg_sub(t, v[0], v[1]), TG_GELU_TANH));
                       }));
}

TEST(FusedTest, ChainsStopWhereTheyMust) {
  // A node between the add and the relu that is not elementwise (a second consumer
  // of the add's output, recorded in the middle): two chains of one.
  EXPECT_EQ((std::vector<int>{1, 1, 1, 1, 1}),
            ExpectSame({{{4, 9}, true}, {{9}, true}},
                       [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                         tg_tensor* z = tg_add(t, v[0], v[1]);
                         tg_tensor* s = tg_sum(t, z);
                         return tg_add(t, tg_sum(t, tg_relu(t, z)), s);
                       }));
  // A second consumer after the chain: the chain holds (its backward runs first).
  EXPECT_EQ((std::vector<int>{2, 2, 1, 1, 1, 1, 1}),
            ExpectSame({{{4, 9}, true}, {{9}, true}},
                       [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                         tg_tensor* z = tg_add(t, v[0], v[1]);
                         tg_tensor* r = tg_relu(t, z);
                         tg_tensor* s = tg_sum(t, tg_mul(t, tg_sum(t, z), tg_sum(t, r)));
                         return tg_sum(t, s);
                       }));
  // A node that does not read the previous output, and one of another size.
  EXPECT_EQ((std::vector<int>{1, 1, 1, 1, 1}),
            ExpectSame({{{3, 4}, true}, {{3, 4}, true}},
                       [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                         tg_tensor* a = tg_relu(t, v[0]);
                         tg_tensor* b = tg_relu(t, v[1]);
                         tg_tensor* c = tg_mul(t, tg_sum(t, a), tg_sum(t, b));
                         return c;
                       }));
  // A bias broadcast along rows ([N, 1]) is not a row of the output: node by node.
  EXPECT_EQ((std::vector<int>{1, 1, 1}),
            ExpectSame({{{5, 4}, true}, {{5, 1}, true}},
                       [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                         return tg_sum(t, tg_relu(t, tg_add(t, v[0], v[1])));
                       }));
}

TEST(FusedTest, ReuseInsideAChainIsBitIdentical) {
  // add(x, x), mul(r, z) reading two earlier outputs of the chain, and one bias
  // added twice (its gradient sums would interleave tile by tile: that chain's
  // backward runs node by node, its forward still as one chain).
  EXPECT_EQ(
      (std::vector<int>{3, 3, 3, 1}),
      ExpectSame({{{40, 64}, true}}, [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
        tg_tensor* z = tg_add(t, v[0], v[0]);
        tg_tensor* r = tg_relu(t, z);
        return tg_sum(t, tg_mul(t, r, z));
      }));
  EXPECT_EQ((std::vector<int>{3, 3, 3, 1}),
            ExpectSame({{{300, 16}, true}, {{16}, true}},
                       [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng*) {
                         tg_tensor* z = tg_add(t, tg_add(t, v[0], v[1]), v[1]);
                         return tg_sum(t, tg_relu(t, z));
                       }));
}

TEST(FusedTest, DropoutMasksAreTheSameInAChain) {
  // Two dropouts on one generator in one chain draw one mask after the other, as
  // node by node does; the masks change every replay.
  EXPECT_EQ((std::vector<int>{4, 4, 4, 4, 1}),
            ExpectSame({{{50, 40}, true}, {{40}, true}},
                       [](tg_tape* t, const std::vector<tg_tensor*>& v, tg_rng* rng) {
                         tg_dropout_options o = {};
                         o.rate = 0.3f;
                         o.training = true;
                         o.rng = rng;
                         tg_tensor* z = tg_relu(t, tg_add(t, v[0], v[1]));
                         return tg_sum(t, tg_dropout(t, tg_dropout(t, z, &o), &o));
                       }));
}

TEST(FusedTest, ALossInsideAChainRunsTheNodesUpToIt) {
  // x [1] -> add b -> relu -> scale: backward from the relu's output (node 1).
  for (bool planned : {false, true}) {
    tg_tape* t = tg_tape_new();
    tg_tape_set_planning(t, planned);
    const int64_t s[1] = {1};
    const float xv[1] = {2.0f}, bv[1] = {0.5f};
    tg_tensor* x = tg_tape_leaf(t, 1, s, xv, true);
    tg_tensor* b = tg_tape_leaf(t, 1, s, bv, true);
    tg_tensor* r = tg_relu(t, tg_add(t, x, b));
    tg_tensor* y = tg_scale(t, r, 3.0f);
    ASSERT_NE(nullptr, y);
    ASSERT_EQ(TG_OK, tg_tape_backward(t, r)) << tg_tape_message(t);
    EXPECT_EQ(planned ? 3 : 0, tg_tape_plan_chain(t, 1, nullptr));
    EXPECT_EQ(1.0f, x->grad[0]);  // d relu(x + b) / dx at x + b = 2.5
    EXPECT_EQ(1.0f, b->grad[0]);
    ASSERT_EQ(TG_OK, tg_tape_backward(t, y));
    EXPECT_EQ(4.0f, x->grad[0]);  // accumulated: 1 + 3
    EXPECT_EQ(7.5f, y->data[0]);
    tg_tape_free(t);
  }
}

TEST(FusedTest, PlanningAndReplayingAllocateNothing) {
  tgtest::CountingAllocator counting;
  tg_tape* t = tg_tape_new_ex(counting.get());
  tg_rng rng;
  tg_rng_seed(&rng, 4);
  const int64_t sx[2] = {64, 96}, sb[1] = {96};
  std::vector<float> xv(64 * 96), bv(96);
  for (float& v : xv) v = tg_rng_uniform(&rng) - 0.5f;
  for (float& v : bv) v = tg_rng_uniform(&rng) - 0.5f;
  tg_tensor* x = tg_tape_leaf(t, 2, sx, xv.data(), true);
  tg_tensor* b = tg_tape_leaf(t, 1, sb, bv.data(), true);
  tg_tensor* y = tg_sigmoid(t, tg_scale(t, tg_relu(t, tg_add(t, x, b)), 2.0f));
  tg_tensor* loss = tg_sum(t, y);
  ASSERT_NE(nullptr, loss) << tg_tape_message(t);
  const int after_recording = counting.allocs();
  // The plan is built by the first replay: no allocation.
  for (int step = 0; step < 20; ++step) {
    x->data[step] += 0.25f;
    tg_tensor_zero_grad(x);
    tg_tensor_zero_grad(b);
    ASSERT_EQ(TG_OK, tg_tape_forward(t));
    ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
  }
  EXPECT_EQ(4, tg_tape_plan_chain(t, 0, nullptr));
  EXPECT_EQ(after_recording, counting.allocs());
  tg_tape_free(t);
  EXPECT_EQ(0, counting.live());
}

}  // namespace
