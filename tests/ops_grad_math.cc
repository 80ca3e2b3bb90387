// tests/ops_grad_math.cc — elementwise math and activations against central
// differences: random shapes of every rank, every broadcasting case of div,
// maximum, minimum and where, inputs used twice, chains, and inputs kept at least
// 0.05 away from every kink (abs at 0, clip's bounds, maximum/minimum ties,
// hard_sigmoid at ±3) since eps is 1e-2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "tests/ops_grad_cases.h"

extern "C" {
#include "ops/ops.h"
}

namespace {

using tgtest::CheckGradientsOn;
using tgtest::ExpectGradOk;
using tgtest::GradCheckResult;
using tgtest::L;
using tgtest::LeafSpec;
using tgtest::Leaves;
using tgtest::P;
using tgtest::S;

// Values uniform in ±[lo, hi].
LeafSpec R(std::vector<int64_t> shape, float lo, float hi, bool grad = true) {
  LeafSpec s = S(std::move(shape), grad);
  s.min_abs = lo;
  s.max_abs = hi;
  return s;
}

// Random shapes of rank 0..4 (dimensions 1..4), the same on every run.
std::vector<std::vector<int64_t>> RandomShapes(uint64_t seed, int count) {
  tg_rng rng;
  tg_rng_seed(&rng, seed);
  std::vector<std::vector<int64_t>> shapes;
  for (int i = 0; i < count; ++i) {
    std::vector<int64_t> s(static_cast<size_t>(i % 5));
    for (int64_t& d : s) d = 1 + static_cast<int64_t>(tg_rng_below(&rng, 4));
    shapes.push_back(s);
  }
  return shapes;
}

using Unary = std::function<tg_tensor*(tg_tape*, tg_tensor*)>;

// `f` on random shapes with values in ±[lo, hi] (or [lo, hi] when positive).
void ExpectUnaryOkOnRandomShapes(const Unary& f, float lo, float hi, bool positive, uint64_t seed) {
  for (const auto& shape : RandomShapes(seed, 10)) {
    SCOPED_TRACE(testing::Message() << "rank " << shape.size());
    LeafSpec spec = positive ? P(shape, lo, hi) : R(shape, lo, hi);
    ExpectGradOk({spec}, [&f](tg_tape* t, const L& x) { return f(t, x[0]); });
  }
}

// Leaves on a grid: value k is offset + 0.4 * ((k * 7) % 5) - 0.9, i.e. one of
// {-0.9, -0.5, -0.1, 0.3, 0.7} + offset. Two grids with offsets 0 and 0.2 never come
// closer than 0.2, so maximum/minimum of them stay off ties.
tg_tensor* GridLeaf(Leaves* leaves, std::vector<int64_t> shape, float offset, bool grad = true) {
  tg_rng rng;
  tg_rng_seed(&rng, 1);
  tg_tensor* t = leaves->Add(S(std::move(shape), grad), &rng);
  for (int64_t k = 0; t != nullptr && k < t->size; ++k)
    t->data[k] = offset + 0.4f * static_cast<float>((k * 7) % 5) - 0.9f;
  return t;
}

void ExpectGradOkOn(const L& leaves, const tgtest::GraphFn& f) {
  GradCheckResult r = CheckGradientsOn(leaves, f);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_GT(r.checked, 0);
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
    {{}, {3, 2}},               // scalar on the left
    {{}, {}},                   // scalar and scalar
    {{1, 1}, {3, 2}},           // 1x1 against a matrix
};

// ---- elementwise math

OP_GRAD_TEST(neg, NegRandomShapes) {
  ExpectUnaryOkOnRandomShapes(tg_neg, 0.1f, 1.0f, false, 11);
  // -x * x: the same input through neg and mul.
  ExpectGradOk({S({3, 4})},
               [](tg_tape* t, const L& x) { return tg_mul(t, tg_neg(t, x[0]), x[0]); });
}

OP_GRAD_TEST(exp, ExpRandomShapesAndChain) {
  ExpectUnaryOkOnRandomShapes(tg_exp, 0.1f, 2.0f, false, 12);
  // exp(x * x) * x
  ExpectGradOk({S({2, 5})}, [](tg_tape* t, const L& x) {
    return tg_mul(t, tg_exp(t, tg_mul(t, x[0], x[0])), x[0]);
  });
}

OP_GRAD_TEST(log, LogRandomShapesAndChain) {
  ExpectUnaryOkOnRandomShapes(tg_log, 0.3f, 3.0f, true, 13);
  // log(exp(x)) = x; log(x * x) uses x twice.
  ExpectGradOk({S({4, 3})}, [](tg_tape* t, const L& x) { return tg_log(t, tg_exp(t, x[0])); });
  ExpectGradOk({S({4, 3})},
               [](tg_tape* t, const L& x) { return tg_log(t, tg_mul(t, x[0], x[0])); });
}

OP_GRAD_TEST(sqrt, SqrtRandomShapes) {
  ExpectUnaryOkOnRandomShapes(tg_sqrt, 0.3f, 3.0f, true, 14);
  ExpectGradOk({P({3, 3}, 0.3f, 2.0f)},
               [](tg_tape* t, const L& x) { return tg_mul(t, tg_sqrt(t, x[0]), x[0]); });
}

OP_GRAD_TEST(rsqrt, RsqrtRandomShapes) {
  ExpectUnaryOkOnRandomShapes(tg_rsqrt, 0.3f, 3.0f, true, 15);
  // rsqrt(x^2 + c): the normalisation inside layer_norm.
  ExpectGradOk({S({2, 4}), P({}, 0.5f, 1.0f)}, [](tg_tape* t, const L& x) {
    return tg_rsqrt(t, tg_add(t, tg_square(t, x[0]), x[1]));
  });
}

OP_GRAD_TEST(square, SquareRandomShapesAndReuse) {
  ExpectUnaryOkOnRandomShapes(tg_square, 0.1f, 2.0f, false, 16);
  ExpectGradOk({S({5, 2})},
               [](tg_tape* t, const L& x) { return tg_sub(t, tg_square(t, x[0]), x[0]); });
}

OP_GRAD_TEST(abs, AbsOffTheKink) {
  // |x| >= 0.1 > eps: never across 0.
  ExpectUnaryOkOnRandomShapes(tg_abs, 0.1f, 1.0f, false, 17);
  ExpectGradOk({S({3, 4})},
               [](tg_tape* t, const L& x) { return tg_mul(t, tg_abs(t, x[0]), x[0]); });
}

OP_GRAD_TEST(reciprocal, ReciprocalRandomShapes) {
  ExpectUnaryOkOnRandomShapes(tg_reciprocal, 0.5f, 2.0f, false, 18);
  // x * (1/x) = 1 has gradient 0.
  ExpectGradOk({R({3, 3}, 0.5f, 2.0f)},
               [](tg_tape* t, const L& x) { return tg_mul(t, x[0], tg_reciprocal(t, x[0])); });
}

OP_GRAD_TEST(div, DivEveryBroadcastCase) {
  for (const auto& c : kBroadcastCases) {
    SCOPED_TRACE(testing::Message() << c.a.size() << "-d / " << c.b.size() << "-d");
    // |b| >= 0.5 keeps the quotient and its derivative tame.
    ExpectGradOk({S(c.a), R(c.b, 0.5f, 1.5f)},
                 [](tg_tape* t, const L& x) { return tg_div(t, x[0], x[1]); });
  }
}

OP_GRAD_TEST(div, DivSameInputTwiceAndChains) {
  // x / x = 1: the two VJPs cancel exactly.
  ExpectGradOk({R({3, 4}, 0.5f, 1.5f)},
               [](tg_tape* t, const L& x) { return tg_div(t, x[0], x[0]); });
  // (x * y) / (x + 3): x in numerator and denominator.
  ExpectGradOk({S({4, 2}), S({2})}, [](tg_tape* t, const L& x) {
    tg_tensor* three = tg_tape_leaf(t, 0, nullptr, nullptr, false);
    three->data[0] = 3.0f;
    return tg_div(t, tg_mul(t, x[0], x[1]), tg_add(t, x[0], three));
  });
  // Only the divisor needs a gradient.
  ExpectGradOk({S({3, 2}, false), R({2}, 0.5f, 1.5f)},
               [](tg_tape* t, const L& x) { return tg_div(t, x[0], x[1]); });
}

OP_GRAD_TEST(pow, PowExponents) {
  ExpectGradOk({P({3, 4}, 0.3f, 2.0f)},
               [](tg_tape* t, const L& x) { return tg_pow(t, x[0], 2.5f); });
  ExpectGradOk({P({3, 4}, 0.3f, 2.0f)},
               [](tg_tape* t, const L& x) { return tg_pow(t, x[0], -1.5f); });
  ExpectGradOk({P({3, 4}, 0.3f, 2.0f)},
               [](tg_tape* t, const L& x) { return tg_pow(t, x[0], 0.5f); });
  // Integer exponents take negative bases.
  ExpectGradOk({S({2, 3})}, [](tg_tape* t, const L& x) { return tg_pow(t, x[0], 3.0f); });
  ExpectGradOk({S({2, 3})}, [](tg_tape* t, const L& x) { return tg_pow(t, x[0], 1.0f); });
  // x^0 = 1: zero gradient; added to x so the loss depends on x.
  ExpectGradOk({S({2, 3})},
               [](tg_tape* t, const L& x) { return tg_add(t, tg_pow(t, x[0], 0.0f), x[0]); });
  for (const auto& shape : RandomShapes(19, 5))
    ExpectGradOk({P(shape, 0.3f, 2.0f)},
                 [](tg_tape* t, const L& x) { return tg_pow(t, x[0], 1.7f); });
}

void ExpectMinMaxOnGrid(tg_tensor* (*f)(tg_tape*, tg_tensor*, tg_tensor*)) {
  for (const auto& c : kBroadcastCases) {
    SCOPED_TRACE(testing::Message() << c.a.size() << "-d vs " << c.b.size() << "-d");
    Leaves leaves;
    tg_tensor* a = GridLeaf(&leaves, c.a, 0.0f);
    tg_tensor* b = GridLeaf(&leaves, c.b, 0.2f);
    // Reverse b's order so a and b are not the same pattern shifted.
    std::reverse(b->data, b->data + b->size);
    ExpectGradOkOn({a, b}, [f](tg_tape* t, const L& x) { return f(t, x[0], x[1]); });
  }
}

OP_GRAD_TEST(maximum, MaximumEveryBroadcastCaseOffTies) { ExpectMinMaxOnGrid(tg_maximum); }

OP_GRAD_TEST(minimum, MinimumEveryBroadcastCaseOffTies) { ExpectMinMaxOnGrid(tg_minimum); }

OP_GRAD_ALSO(minimum, MinMaxSameInputTwice);
OP_GRAD_TEST(maximum, MinMaxSameInputTwice) {
  // max(x, x) = x: the tie rule gives each side half, and the halves add to 1.
  ExpectGradOk({S({3, 3})}, [](tg_tape* t, const L& x) { return tg_maximum(t, x[0], x[0]); });
  ExpectGradOk({S({3, 3})}, [](tg_tape* t, const L& x) { return tg_minimum(t, x[0], x[0]); });
  // max(x, -x) = |x| and min(x, -x) = -|x|, off the kink at 0.
  ExpectGradOk({S({4, 2})},
               [](tg_tape* t, const L& x) { return tg_maximum(t, x[0], tg_neg(t, x[0])); });
  ExpectGradOk({S({4, 2})},
               [](tg_tape* t, const L& x) { return tg_minimum(t, x[0], tg_neg(t, x[0])); });
}

OP_GRAD_TEST(clip, ClipOffTheBounds) {
  // Grid values {-0.9, -0.5, -0.1, 0.3, 0.7}: 0.1 from the bounds -0.6 and 0.4, some
  // inside, some below, some above.
  Leaves leaves;
  tg_tensor* x = GridLeaf(&leaves, {3, 5}, 0.0f);
  ExpectGradOkOn({x}, [](tg_tape* t, const L& v) { return tg_clip(t, v[0], -0.6f, 0.4f); });
  // One-sided (infinite bounds) and degenerate (lo == hi: constant, zero gradient).
  ExpectGradOkOn({x}, [](tg_tape* t, const L& v) { return tg_clip(t, v[0], -0.2f, INFINITY); });
  ExpectGradOkOn(
      {x}, [](tg_tape* t, const L& v) { return tg_add(t, tg_clip(t, v[0], 0.1f, 0.1f), v[0]); });
  // clip(x) * x: the same input twice.
  ExpectGradOkOn(
      {x}, [](tg_tape* t, const L& v) { return tg_mul(t, tg_clip(t, v[0], -0.6f, 0.4f), v[0]); });
}

struct WhereCase {
  std::vector<int64_t> mask, a, b;
};

OP_GRAD_TEST(where, WhereEveryBroadcastCase) {
  const WhereCase cases[] = {
      {{3, 4}, {3, 4}, {3, 4}},          // same shapes
      {{3, 1}, {3, 4}, {4}},             // mask per row, b per column
      {{4}, {2, 1, 4}, {3, 1}},          // all three broadcast
      {{}, {2, 3}, {2, 3}},              // scalar mask
      {{2, 3}, {}, {3}},                 // scalar a
      {{2, 1, 3, 1}, {1, 2, 1, 2}, {}},  // rank 4
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << c.mask.size() << "-d mask");
    Leaves leaves;
    tg_rng rng;
    tg_rng_seed(&rng, 21);
    // The mask requires a gradient here to show it gets none: perturbing a 0 or a 1
    // by eps leaves which side is selected the same on both sides of the difference.
    tg_tensor* m = leaves.Add(S(c.mask), &rng);
    for (int64_t k = 0; k < m->size; ++k) m->data[k] = (k % 3 == 1) ? 0.0f : 1.0f;
    tg_tensor* a = leaves.Add(S(c.a), &rng);
    tg_tensor* b = leaves.Add(S(c.b), &rng);
    ExpectGradOkOn({m, a, b}, [](tg_tape* t, const L& x) { return tg_where(t, x[0], x[1], x[2]); });
  }
}

OP_GRAD_TEST(where, WhereSameInputOnBothSides) {
  Leaves leaves;
  tg_rng rng;
  tg_rng_seed(&rng, 22);
  tg_tensor* m = leaves.Add(S({2, 3}, false), &rng);
  for (int64_t k = 0; k < m->size; ++k) m->data[k] = (k % 2) ? 0.0f : -2.0f;
  tg_tensor* x = leaves.Add(S({2, 3}), &rng);
  // where(m, x, x * x): x on both sides, once through a chain.
  ExpectGradOkOn({m, x}, [](tg_tape* t, const L& v) {
    return tg_where(t, v[0], v[1], tg_mul(t, v[1], v[1]));
  });
}

// ---- activations

OP_GRAD_TEST(leaky_relu, LeakyReluOffTheKink) {
  for (float alpha : {0.3f, 0.01f, -0.5f})
    ExpectUnaryOkOnRandomShapes(
        [alpha](tg_tape* t, tg_tensor* x) { return tg_leaky_relu(t, x, alpha); }, 0.1f, 1.0f, false,
        31);
}

OP_GRAD_TEST(elu, Elu) {
  for (float alpha : {1.0f, 0.7f})
    ExpectUnaryOkOnRandomShapes([alpha](tg_tape* t, tg_tensor* x) { return tg_elu(t, x, alpha); },
                                0.1f, 3.0f, false, 32);
}

OP_GRAD_TEST(gelu, GeluBothForms) {
  for (tg_gelu_approximate a : {TG_GELU_NONE, TG_GELU_TANH}) {
    SCOPED_TRACE(a == TG_GELU_TANH ? "tanh" : "none");
    ExpectUnaryOkOnRandomShapes([a](tg_tape* t, tg_tensor* x) { return tg_gelu(t, x, a); }, 0.0f,
                                4.0f, false, 33);
    ExpectGradOk({S({3, 4})},
                 [a](tg_tape* t, const L& x) { return tg_mul(t, tg_gelu(t, x[0], a), x[0]); });
  }
}

OP_GRAD_TEST(softplus, SoftplusWideRange) {
  ExpectUnaryOkOnRandomShapes(tg_softplus, 0.0f, 8.0f, false, 34);
}

OP_GRAD_TEST(silu, SiluAndSwish) {
  ExpectUnaryOkOnRandomShapes(tg_silu, 0.0f, 6.0f, false, 35);
  ExpectGradOk({S({3, 3})},
               [](tg_tape* t, const L& x) { return tg_mul(t, tg_swish(t, x[0]), x[0]); });
}

OP_GRAD_TEST(hard_sigmoid, HardSigmoidOffTheKinks) {
  // Inside (-3, 3) and outside (|x| in [3.2, 5]), never within 0.05 of ±3.
  ExpectUnaryOkOnRandomShapes(tg_hard_sigmoid, 0.0f, 2.9f, false, 36);
  ExpectUnaryOkOnRandomShapes(tg_hard_sigmoid, 3.2f, 5.0f, false, 37);
  ExpectGradOk({R({4, 3}, 0.1f, 2.9f)},
               [](tg_tape* t, const L& x) { return tg_mul(t, tg_hard_sigmoid(t, x[0]), x[0]); });
}

OP_GRAD_TEST(log_softmax, LogSoftmaxEveryAxis) {
  const std::vector<int64_t> shapes[] = {{5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}};
  for (const auto& shape : shapes) {
    const int rank = static_cast<int>(shape.size());
    for (int axis = -rank; axis < rank; ++axis) {
      SCOPED_TRACE(testing::Message() << "rank " << rank << " axis " << axis);
      ExpectGradOk({R(shape, 0.0f, 3.0f)},
                   [axis](tg_tape* t, const L& x) { return tg_log_softmax(t, x[0], axis); });
    }
  }
  // Large logits: stable, and the gradient still matches.
  ExpectGradOk({R({2, 3}, 20.0f, 30.0f)},
               [](tg_tape* t, const L& x) { return tg_log_softmax(t, x[0], 1); });
}

OP_GRAD_TEST(softmax, SoftmaxEveryAxis) {
  const std::vector<int64_t> shapes[] = {{5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}};
  for (const auto& shape : shapes) {
    const int rank = static_cast<int>(shape.size());
    for (int axis = -rank; axis < rank; ++axis) {
      SCOPED_TRACE(testing::Message() << "rank " << rank << " axis " << axis);
      ExpectGradOk({R(shape, 0.0f, 3.0f)},
                   [axis](tg_tape* t, const L& x) { return tg_softmax_axis(t, x[0], axis); });
    }
  }
}

// ---- composites a user writes with these ops

OP_GRAD_TEST(composite, HuberAndLogCoshLosses) {
  // Huber (delta 1): 0.5 q^2 + (|d| - q), q = clip(|d|, 0, 1), on residuals inside
  // (|d| in [0.1, 0.9]) and outside (|d| in [1.1, 2]) the quadratic zone.
  ExpectGradOk({R({4, 3}, 0.1f, 0.9f), R({4, 3}, 1.1f, 2.0f)}, [](tg_tape* t, const L& x) {
    tg_tensor* total = nullptr;
    for (tg_tensor* d : {x[0], x[1]}) {
      tg_tensor* a = tg_abs(t, d);
      tg_tensor* q = tg_clip(t, a, 0.0f, 1.0f);
      tg_tensor* h = tg_mean(t, tg_add(t, tg_scale(t, tg_square(t, q), 0.5f), tg_sub(t, a, q)));
      total = total ? tg_add(t, total, h) : h;
    }
    return total;
  });
  // log cosh(x) = x + softplus(-2x) - log 2.
  ExpectGradOk({R({3, 4}, 0.0f, 5.0f)}, [](tg_tape* t, const L& x) {
    return tg_mean(t, tg_add(t, x[0], tg_softplus(t, tg_scale(t, x[0], -2.0f))));
  });
  // A tiny attention-like block: softmax over axis 0 of a GELU layer, divided by a norm.
  ExpectGradOk({S({3, 4}), S({4, 4})}, [](tg_tape* t, const L& x) {
    tg_tensor* h = tg_gelu(t, tg_matmul(t, x[0], x[1]), TG_GELU_TANH);
    tg_tensor* s = tg_softmax_axis(t, h, 0);
    tg_tensor* norm =
        tg_sqrt(t, tg_add(t, tg_sum(t, tg_square(t, h)), tg_exp(t, tg_neg(t, tg_sum(t, s)))));
    return tg_div(t, tg_log_softmax(t, h, -1), norm);
  });
}

}  // namespace
