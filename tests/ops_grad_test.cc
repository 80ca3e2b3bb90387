// tests/ops_grad_test.cc — every registered op against central differences,
// including random shapes, every broadcasting case and inputs used more than once.
#include <gtest/gtest.h>

#include "tests/ops_grad_cases.h"

extern "C" {
#include "ops/ops.h"
}

namespace {

using tgtest::CheckGradients;
using tgtest::ExpectGradOk;
using tgtest::GradCheckResult;
using tgtest::L;
using tgtest::LeafSpec;
using tgtest::P;
using tgtest::S;

OP_GRAD_TEST(matmul, Matmul2D) {
  ExpectGradOk({S({3, 4}), S({4, 5})},
               [](tg_tape* t, const L& x) { return tg_matmul(t, x[0], x[1]); });
}

OP_GRAD_TEST(matmul, MatmulVectorShapes) {
  ExpectGradOk({S({1, 7}), S({7, 1})},
               [](tg_tape* t, const L& x) { return tg_matmul(t, x[0], x[1]); });
  ExpectGradOk({S({6, 1}), S({1, 3})},
               [](tg_tape* t, const L& x) { return tg_matmul(t, x[0], x[1]); });
}

OP_GRAD_TEST(matmul, MatmulBatched) {
  ExpectGradOk({S({2, 3, 4}), S({2, 4, 2})},
               [](tg_tape* t, const L& x) { return tg_matmul(t, x[0], x[1]); });
}

OP_GRAD_TEST(matmul, MatmulBatchTimesSharedWeight) {
  ExpectGradOk({S({2, 3, 4}), S({4, 5})},
               [](tg_tape* t, const L& x) { return tg_matmul(t, x[0], x[1]); });
}

OP_GRAD_TEST(matmul, MatmulSameTensorTwice) {
  // x·x for a square x: both VJPs accumulate into the same grad.
  ExpectGradOk({S({4, 4})}, [](tg_tape* t, const L& x) { return tg_matmul(t, x[0], x[0]); });
}

OP_GRAD_TEST(matmul, MatmulOnlyOneSideNeedsGrad) {
  ExpectGradOk({S({3, 4}, false), S({4, 2})},
               [](tg_tape* t, const L& x) { return tg_matmul(t, x[0], x[1]); });
}

OP_GRAD_TEST(matmul, MatmulRandomShapes) {
  tg_rng rng;
  tg_rng_seed(&rng, 99);
  for (int trial = 0; trial < 10; ++trial) {
    int64_t m = 1 + static_cast<int64_t>(tg_rng_below(&rng, 6));
    int64_t k = 1 + static_cast<int64_t>(tg_rng_below(&rng, 6));
    int64_t n = 1 + static_cast<int64_t>(tg_rng_below(&rng, 6));
    SCOPED_TRACE(testing::Message() << m << "x" << k << " @ " << k << "x" << n);
    ExpectGradOk({S({m, k}), S({k, n})},
                 [](tg_tape* t, const L& x) { return tg_matmul(t, x[0], x[1]); });
  }
}

struct BroadcastCase {
  std::vector<int64_t> a, b;
};

const BroadcastCase kBroadcastCases[] = {
    {{3, 4}, {3, 4}},           // same shape
    {{5, 3}, {3}},              // bias row
    {{3}, {5, 3}},              // bias row on the left
    {{4, 3}, {4, 1}},           // column
    {{4, 1}, {1, 3}},           // outer
    {{2, 3, 4}, {4}},           // rank 3 + vector
    {{2, 3, 4}, {3, 1}},        // middle dims
    {{2, 1, 4}, {1, 3, 1}},     // both broadcast
    {{2, 3, 1, 2}, {3, 4, 1}},  // rank 4
    {{3, 2}, {}},               // scalar
    {{}, {}},                   // scalar + scalar
    {{1, 1}, {3, 2}},           // 1x1 against a matrix
};

OP_GRAD_TEST(add, AddEveryBroadcastCase) {
  for (const auto& c : kBroadcastCases) {
    ExpectGradOk({S(c.a), S(c.b)}, [](tg_tape* t, const L& x) { return tg_add(t, x[0], x[1]); });
  }
}

OP_GRAD_TEST(sub, SubEveryBroadcastCase) {
  for (const auto& c : kBroadcastCases) {
    ExpectGradOk({S(c.a), S(c.b)}, [](tg_tape* t, const L& x) { return tg_sub(t, x[0], x[1]); });
  }
}

OP_GRAD_TEST(mul, MulEveryBroadcastCase) {
  for (const auto& c : kBroadcastCases) {
    ExpectGradOk({S(c.a), S(c.b)}, [](tg_tape* t, const L& x) { return tg_mul(t, x[0], x[1]); });
  }
}

OP_GRAD_ALSO(sub, ReuseSameInput);
OP_GRAD_ALSO(mul, ReuseSameInput);
OP_GRAD_TEST(add, ReuseSameInput) {
  ExpectGradOk({S({3, 2})}, [](tg_tape* t, const L& x) { return tg_add(t, x[0], x[0]); });
  ExpectGradOk({S({3, 2})},
               [](tg_tape* t, const L& x) { return tg_sub(t, tg_mul(t, x[0], x[0]), x[0]); });
  ExpectGradOk({S({3, 2})}, [](tg_tape* t, const L& x) { return tg_mul(t, x[0], x[0]); });
}

OP_GRAD_TEST(scale, Scale) {
  ExpectGradOk({S({2, 5})}, [](tg_tape* t, const L& x) { return tg_scale(t, x[0], -2.5f); });
}

OP_GRAD_TEST(relu, Relu) {
  ExpectGradOk({S({4, 6})}, [](tg_tape* t, const L& x) { return tg_relu(t, x[0]); });
}

OP_GRAD_TEST(sigmoid, Sigmoid) {
  ExpectGradOk({S({3, 5})}, [](tg_tape* t, const L& x) { return tg_sigmoid(t, x[0]); });
}

OP_GRAD_TEST(tanh, Tanh) {
  ExpectGradOk({S({3, 5})}, [](tg_tape* t, const L& x) { return tg_tanh(t, x[0]); });
}

OP_GRAD_ALSO(mean, SumAndMean);
OP_GRAD_TEST(sum, SumAndMean) {
  ExpectGradOk({S({2, 3, 2})}, [](tg_tape* t, const L& x) { return tg_sum(t, x[0]); });
  ExpectGradOk({S({4, 3})}, [](tg_tape* t, const L& x) { return tg_mean(t, x[0]); });
  ExpectGradOk({S({})}, [](tg_tape* t, const L& x) { return tg_mean(t, x[0]); });
}

OP_GRAD_TEST(mse, MseBothSides) {
  ExpectGradOk({S({10, 2}), S({10, 2})},
               [](tg_tape* t, const L& x) { return tg_mse(t, x[0], x[1]); });
}

OP_GRAD_TEST(mse, MseAgainstItselfHasZeroGradient) {
  ExpectGradOk({S({3, 3})}, [](tg_tape* t, const L& x) { return tg_mse(t, x[0], x[0]); });
}

OP_GRAD_TEST(composite, CompositeDenseStack) {
  // x (5,3) -> relu(x W1 + b1) (5,4) -> tanh(.. W2 + b2) (5,2) -> mse vs target.
  ExpectGradOk({S({5, 3}, false), S({3, 4}), S({4}), S({4, 2}), S({2}), S({5, 2}, false)},
               [](tg_tape* t, const L& x) {
                 tg_tensor* h = tg_relu(t, tg_add(t, tg_matmul(t, x[0], x[1]), x[2]));
                 tg_tensor* y = tg_tanh(t, tg_add(t, tg_matmul(t, h, x[3]), x[4]));
                 return tg_mse(t, y, x[5]);
               });
}

OP_GRAD_TEST(composite, CompositeSharedIntermediate) {
  // h feeds three consumers; its gradient must be the sum of all three.
  ExpectGradOk({S({3, 3}), S({3})}, [](tg_tape* t, const L& x) {
    tg_tensor* h = tg_sigmoid(t, tg_add(t, x[0], x[1]));
    return tg_add(t, tg_mul(t, h, h), tg_matmul(t, h, tg_scale(t, h, 0.5f)));
  });
}

// The checker itself must catch a gradient that is off by 1%.
void SlightlyWrongForward(tg_node* n) {
  for (int64_t i = 0; i < n->out->size; ++i) n->out->data[i] = 3.0f * n->in[0]->data[i];
}
void SlightlyWrongBackward(tg_node* n) {
  for (int64_t i = 0; i < n->out->size; ++i) n->in[0]->grad[i] += 3.03f * n->out->grad[i];
}
tg_status SameShape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char*, size_t) {
  *rank = n->in[0]->rank;
  for (int d = 0; d < TG_MAX_RANK; ++d) shape[d] = n->in[0]->shape[d];
  return TG_OK;
}
tg_op_def MakeSlightlyWrong() {
  tg_op_def d{};
  d.name = "slightly_wrong";
  d.arity = 1;
  d.shape = SameShape;
  d.forward = SlightlyWrongForward;
  d.backward = SlightlyWrongBackward;
  return d;
}
const tg_op_def kSlightlyWrong = MakeSlightlyWrong();

TEST(GradCheckTest, DetectsAOnePercentGradientError) {
  GradCheckResult r = CheckGradients({S({3, 4})}, [](tg_tape* t, const L& x) {
    tg_tensor* in[1] = {x[0]};
    return tg_tape_apply(t, &kSlightlyWrong, in, 1, nullptr);
  });
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.checked, 12);
}

OP_GRAD_TEST(softmax, SoftmaxLastAxis) {
  ExpectGradOk({S({3, 4})}, [](tg_tape* t, const L& x) { return tg_softmax(t, x[0]); });
  ExpectGradOk({S({2, 3, 2})}, [](tg_tape* t, const L& x) { return tg_softmax(t, x[0]); });
  ExpectGradOk({S({5})}, [](tg_tape* t, const L& x) { return tg_softmax(t, x[0]); });
}

OP_GRAD_TEST(mae, MaeBothSidesOffTheKink) {
  // |a| >= 0.1 and b <= 0.05 keep every a - b at least 0.05 away from the kink at 0.
  ExpectGradOk({S({4, 3}), P({4, 3}, 0.0f, 0.05f)},
               [](tg_tape* t, const L& x) { return tg_mae(t, x[0], x[1]); });
}

OP_GRAD_TEST(binary_crossentropy, BinaryCrossentropyOnProbabilities) {
  ExpectGradOk({P({5, 2}, 0.1f, 0.9f), P({5, 2}, 0.0f, 1.0f)},
               [](tg_tape* t, const L& x) { return tg_binary_crossentropy(t, x[0], x[1]); });
}

OP_GRAD_TEST(sigmoid_cross_entropy, SigmoidCrossEntropyFromLogits) {
  ExpectGradOk({S({5, 2}), P({5, 2}, 0.0f, 1.0f)},
               [](tg_tape* t, const L& x) { return tg_sigmoid_cross_entropy(t, x[0], x[1]); });
}

OP_GRAD_TEST(categorical_crossentropy, CategoricalCrossentropyOnUnnormalisedProbabilities) {
  ExpectGradOk({P({4, 3}, 0.1f, 1.0f), P({4, 3}, 0.0f, 1.0f)},
               [](tg_tape* t, const L& x) { return tg_categorical_crossentropy(t, x[0], x[1]); });
  ExpectGradOk({P({2, 2, 3}, 0.1f, 1.0f), P({2, 2, 3}, 0.0f, 1.0f, false)},
               [](tg_tape* t, const L& x) { return tg_categorical_crossentropy(t, x[0], x[1]); });
}

OP_GRAD_TEST(softmax_cross_entropy, SoftmaxCrossEntropyFromLogits) {
  ExpectGradOk({S({4, 3}), P({4, 3}, 0.0f, 1.0f)},
               [](tg_tape* t, const L& x) { return tg_softmax_cross_entropy(t, x[0], x[1]); });
}

OP_GRAD_TEST(composite, SoftmaxThenCategoricalMatchesFusedLogitsLoss) {
  ExpectGradOk({S({3, 4}), P({3, 4}, 0.0f, 1.0f, false)}, [](tg_tape* t, const L& x) {
    return tg_categorical_crossentropy(t, tg_softmax(t, x[0]), x[1]);
  });
}

// The cases register at static initialisation (OP_GRAD_TEST), so this holds in any
// order and under any filter.
TEST(OpsGradTest, EveryRegisteredOpIsGradientChecked) {
  for (int i = 0; i < tg_op_count(); ++i) {
    const char* name = tg_op_at(i)->name;
    EXPECT_TRUE(tgtest::OpsWithGradCase().count(name) == 1)
        << "op '" << name << "' has no gradient test";
  }
}

}  // namespace
