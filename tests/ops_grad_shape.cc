// tests/ops_grad_shape.cc — gradient cases for the shape ops, the axis reductions and
// gather: random shapes, every axis and keepdims combination, negative axes, inputs
// given twice, and views in composites (including after add's shared gradient).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "tests/ops_grad_cases.h"

extern "C" {
#include "core/rng.h"
#include "ops/ops.h"
}

namespace {

using tgtest::CheckGradientsOn;
using tgtest::ExpectGradOk;
using tgtest::GradCheckResult;
using tgtest::L;
using tgtest::P;
using tgtest::S;

std::vector<int64_t> RandomShape(tg_rng* rng, int rank, int max_dim) {
  std::vector<int64_t> s(static_cast<size_t>(rank));
  for (int64_t& d : s)
    d = 1 + static_cast<int64_t>(tg_rng_below(rng, static_cast<uint64_t>(max_dim)));
  return s;
}

// ---- views

OP_GRAD_TEST(reshape, ReshapeRandomShapesWithInferredDimension) {
  tg_rng rng;
  tg_rng_seed(&rng, 7);
  for (int trial = 0; trial < 8; ++trial) {
    std::vector<int64_t> s = RandomShape(&rng, 1 + trial % 4, 4);
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    SCOPED_TRACE(testing::Message() << "elements " << n);
    ExpectGradOk({S(s)}, [n](tg_tape* t, const L& x) {
      const int64_t shape[2] = {-1, n};
      // Through tanh on both sides: the view sits between two ops that differentiate.
      return tg_tanh(t, tg_reshape(t, tg_tanh(t, x[0]), 2, shape));
    });
  }
}

OP_GRAD_ALSO(flatten, ViewsOfAParameterLeaf);
OP_GRAD_ALSO(squeeze, ViewsOfAParameterLeaf);
OP_GRAD_ALSO(expand_dims, ViewsOfAParameterLeaf);
OP_GRAD_TEST(reshape, ViewsOfAParameterLeaf) {
  // The view's gradient is the leaf's own buffer.
  const int64_t s[3] = {3, 4, 1};
  ExpectGradOk({S({2, 6})}, [&s](tg_tape* t, const L& x) { return tg_reshape(t, x[0], 3, s); });
  ExpectGradOk({S({2, 3, 2})}, [](tg_tape* t, const L& x) { return tg_flatten(t, x[0]); });
  ExpectGradOk({S({3, 1, 2})}, [](tg_tape* t, const L& x) { return tg_squeeze(t, x[0], -2); });
  ExpectGradOk({S({3, 2})}, [](tg_tape* t, const L& x) { return tg_expand_dims(t, x[0], -1); });
  // The leaf used through a view and directly: the two contributions add up.
  ExpectGradOk({S({2, 3})}, [](tg_tape* t, const L& x) {
    const int64_t s3[2] = {3, 2};
    return tg_matmul(t, tg_reshape(t, x[0], 2, s3), x[0]);
  });
}

OP_GRAD_TEST(flatten, FlattenEveryRankInAComposite) {
  for (const std::vector<int64_t>& s : {std::vector<int64_t>{4}, {3, 2}, {2, 3, 2}, {2, 1, 3, 2}}) {
    ExpectGradOk({S(s), S({1})}, [](tg_tape* t, const L& x) {
      return tg_sigmoid(t, tg_flatten(t, tg_tanh(t, tg_add(t, x[0], x[1]))));
    });
  }
}

OP_GRAD_TEST(squeeze, SqueezeAndExpandEveryAxis) {
  for (int axis = -3; axis < 3; ++axis) {
    SCOPED_TRACE(axis);
    std::vector<int64_t> s = {2, 3, 2};
    s[static_cast<size_t>(axis < 0 ? axis + 3 : axis)] = 1;
    ExpectGradOk({S(s)}, [axis](tg_tape* t, const L& x) {
      return tg_tanh(t, tg_squeeze(t, tg_tanh(t, x[0]), axis));
    });
  }
}

OP_GRAD_TEST(expand_dims, ExpandDimsEveryPosition) {
  for (int axis = -4; axis < 4; ++axis) {
    SCOPED_TRACE(axis);
    ExpectGradOk({S({2, 3, 2})}, [axis](tg_tape* t, const L& x) {
      return tg_tanh(t, tg_expand_dims(t, tg_tanh(t, x[0]), axis));
    });
  }
}

OP_GRAD_ALSO(flatten, ChainOfViewsOfAnIntermediate);
OP_GRAD_ALSO(expand_dims, ChainOfViewsOfAnIntermediate);
OP_GRAD_ALSO(squeeze, ChainOfViewsOfAnIntermediate);
OP_GRAD_TEST(reshape, ChainOfViewsOfAnIntermediate) {
  // View of a view of a view: all three share the intermediate's buffer.
  ExpectGradOk({S({2, 6}), S({6, 3})}, [](tg_tape* t, const L& x) {
    tg_tensor* h = tg_tanh(t, x[0]);
    const int64_t s[3] = {2, 2, 3};
    tg_tensor* v = tg_squeeze(t, tg_expand_dims(t, tg_reshape(t, h, 3, s), 0), 0);
    return tg_matmul(t, tg_flatten(t, v), x[1]);
  });
}

OP_GRAD_TEST(reshape, ReshapeAfterAddWithSharedGradient) {
  // matmul's output takes the add's gradient buffer (identity_grads, core/op.h);
  // the reshape of the add's output must still route the gradient to x, W and b.
  ExpectGradOk({S({4, 3}), S({3, 6}), S({6})}, [](tg_tape* t, const L& x) {
    tg_tensor* y = tg_add(t, tg_matmul(t, x[0], x[1]), x[2]);
    const int64_t s[3] = {4, 2, 3};
    return tg_tanh(t, tg_reshape(t, y, 3, s));
  });
  // The same with the add's output also consumed directly.
  ExpectGradOk({S({4, 3}), S({3, 6}), S({6})}, [](tg_tape* t, const L& x) {
    tg_tensor* y = tg_add(t, tg_matmul(t, x[0], x[1]), x[2]);
    const int64_t s[2] = {6, 4};
    return tg_add(t, tg_sum(t, tg_tanh(t, tg_reshape(t, y, 2, s))), tg_sum(t, tg_mul(t, y, y)));
  });
}

// ---- copies

OP_GRAD_TEST(transpose, TransposeRandomShapes) {
  tg_rng rng;
  tg_rng_seed(&rng, 11);
  for (int trial = 0; trial < 5; ++trial) {
    ExpectGradOk({S(RandomShape(&rng, 2, 5)), S({1})},
                 [](tg_tape* t, const L& x) { return tg_transpose(t, tg_mul(t, x[0], x[1])); });
  }
  ExpectGradOk({S({3, 3})}, [](tg_tape* t, const L& x) {
    return tg_matmul(t, tg_transpose(t, x[0]), x[0]);  // x used twice
  });
}

OP_GRAD_TEST(permute, PermuteEveryOrderOfRank3AndSomeOfRank4) {
  std::vector<int> p3 = {0, 1, 2};
  do {
    SCOPED_TRACE(testing::Message() << p3[0] << p3[1] << p3[2]);
    ExpectGradOk({S({2, 3, 4})},
                 [&p3](tg_tape* t, const L& x) { return tg_permute(t, x[0], p3.data()); });
  } while (std::next_permutation(p3.begin(), p3.end()));
  for (const std::vector<int>& p4 :
       {std::vector<int>{0, 2, 3, 1}, {3, 2, 1, 0}, {1, 0, 3, 2}, {0, 3, 1, 2}, {-1, 0, -2, 1}}) {
    ExpectGradOk({S({2, 3, 2, 3})},
                 [&p4](tg_tape* t, const L& x) { return tg_permute(t, x[0], p4.data()); });
  }
  const int p2[2] = {1, 0};
  ExpectGradOk({S({3, 4})}, [&p2](tg_tape* t, const L& x) {
    return tg_add(t, tg_permute(t, x[0], p2), tg_transpose(t, x[0]));
  });
}

OP_GRAD_TEST(concat, ConcatOneTwoThreeInputsEveryAxis) {
  ExpectGradOk({S({2, 3})}, [](tg_tape* t, const L& x) { return tg_concat(t, &x[0], 1, 0); });
  for (int axis = -3; axis < 3; ++axis) {
    SCOPED_TRACE(axis);
    const int a = axis < 0 ? axis + 3 : axis;
    std::vector<int64_t> s1 = {2, 3, 2}, s2 = s1, s3 = s1;
    s2[static_cast<size_t>(a)] = 1;
    s3[static_cast<size_t>(a)] = 3;
    ExpectGradOk({S(s1), S(s2)},
                 [axis](tg_tape* t, const L& x) { return tg_concat(t, x.data(), 2, axis); });
    ExpectGradOk({S(s1), S(s2), S(s3)},
                 [axis](tg_tape* t, const L& x) { return tg_concat(t, x.data(), 3, axis); });
  }
}

OP_GRAD_TEST(concat, ConcatSameInputTwiceAndThrice) {
  ExpectGradOk({S({2, 3})}, [](tg_tape* t, const L& x) {
    tg_tensor* in[2] = {x[0], x[0]};
    return tg_concat(t, in, 2, 1);
  });
  ExpectGradOk({S({2, 3}), S({1, 3})}, [](tg_tape* t, const L& x) {
    tg_tensor* h = tg_tanh(t, x[0]);
    tg_tensor* in[4] = {h, x[1], h, h};
    return tg_concat(t, in, 4, 0);
  });
}

OP_GRAD_TEST(slice, SliceStepsAndNegativeBounds) {
  struct Case {
    std::vector<int64_t> start, stop, step;
  };
  const Case cases[] = {
      {{0, 0}, {TG_SLICE_END, TG_SLICE_END}, {1, 1}},  // everything
      {{1, 0}, {4, 5}, {2, 3}},                        // steps
      {{-3, -4}, {-1, TG_SLICE_END}, {1, 2}},          // negative bounds
      {{-100, 2}, {100, 3}, {3, 1}},                   // clamped bounds
      {{4, 1}, {2, 5}, {1, 1}},                        // empty on axis 0
  };
  for (const Case& c : cases) {
    ExpectGradOk({S({5, 6})}, [&c](tg_tape* t, const L& x) {
      tg_tensor* y = tg_slice(t, tg_tanh(t, x[0]), c.start.data(), c.stop.data(), c.step.data());
      return tg_add(t, tg_sum(t, tg_mul(t, y, y)), tg_sum(t, x[0]));  // also an empty y
    });
  }
  const int64_t lo[4] = {1, 0, -2, 0}, hi[4] = {2, TG_SLICE_END, TG_SLICE_END, 3},
                st[4] = {1, 2, 1, 2};
  ExpectGradOk({S({3, 3, 4, 3})},
               [&](tg_tape* t, const L& x) { return tg_slice(t, x[0], lo, hi, st); });
}

OP_GRAD_TEST(slice, SliceAxisEveryAxisAndResidualUse) {
  for (int axis = -3; axis < 3; ++axis) {
    SCOPED_TRACE(axis);
    ExpectGradOk({S({4, 3, 5})}, [axis](tg_tape* t, const L& x) {
      return tg_slice_axis(t, x[0], axis, -3, TG_SLICE_END, 2);
    });
  }
  // x = [a, b] split in halves and recombined: a residual-style use of both slices.
  ExpectGradOk({S({3, 6})}, [](tg_tape* t, const L& x) {
    tg_tensor* a = tg_slice_axis(t, x[0], 1, 0, 3, 1);
    tg_tensor* b = tg_slice_axis(t, x[0], 1, 3, 6, 1);
    return tg_add(t, tg_mul(t, a, b), a);
  });
}

OP_GRAD_TEST(broadcast_to, BroadcastToEveryPattern) {
  struct Case {
    std::vector<int64_t> from, to;
  };
  const Case cases[] = {
      {{3}, {4, 3}}, {{4, 1}, {4, 3}},          {{1, 3}, {2, 4, 3}},
      {{}, {2, 3}},  {{2, 1, 3}, {2, 2, 4, 3}}, {{2, 3}, {2, 3}},
      {{1}, {1}},
  };
  for (const Case& c : cases) {
    ExpectGradOk({S(c.from)}, [&c](tg_tape* t, const L& x) {
      return tg_broadcast_to(t, x[0], static_cast<int>(c.to.size()), c.to.data());
    });
  }
}

OP_GRAD_TEST(pad, PadEveryAxisWithValue) {
  const int64_t b2[2] = {1, 0}, a2[2] = {2, 3};
  ExpectGradOk({S({2, 3})}, [&](tg_tape* t, const L& x) { return tg_pad(t, x[0], b2, a2, -1.5f); });
  const int64_t b4[4] = {0, 1, 2, 1}, a4[4] = {1, 0, 1, 2};
  ExpectGradOk({S({2, 2, 3, 2})}, [&](tg_tape* t, const L& x) {
    return tg_tanh(t, tg_pad(t, tg_tanh(t, x[0]), b4, a4, 0.0f));
  });
  ExpectGradOk({S({3})},
               [](tg_tape* t, const L& x) { return tg_pad(t, x[0], nullptr, nullptr, 1.0f); });
}

// ---- reductions

using Reducer = tg_tensor* (*)(tg_tape*, tg_tensor*, const int*, int, bool);

// Leaves with distinct values at least `gap` apart (in a shuffled order), so that
// eps = 1e-2 never changes which element is the max or min.
tg_tensor* DistinctLeaf(tgtest::Leaves* owner, const std::vector<int64_t>& shape, tg_rng* rng,
                        float gap) {
  tgtest::LeafSpec spec = S(shape);
  tg_tensor* x = owner->Add(spec, rng);
  std::vector<int64_t> order(static_cast<size_t>(x->size));
  std::iota(order.begin(), order.end(), 0);
  for (size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[tg_rng_below(rng, static_cast<uint64_t>(i))]);
  for (int64_t i = 0; i < x->size; ++i)
    x->data[i] = gap * (static_cast<float>(order[static_cast<size_t>(i)]) -
                        0.5f * static_cast<float>(x->size));
  return x;
}

// Every subset of axes of a random shape of every rank 1..4 (as axes lists, some
// negative), keepdims on and off; the empty subset is n_axes = 0 (every axis).
void CheckEveryAxisSet(Reducer reduce, bool distinct) {
  tg_rng rng;
  tg_rng_seed(&rng, 21);
  for (int rank = 1; rank <= 4; ++rank) {
    const std::vector<int64_t> shape = RandomShape(&rng, rank, 3);
    for (unsigned mask = 0; mask < (1u << rank); ++mask) {
      std::vector<int> axes;
      for (int d = 0; d < rank; ++d)
        if ((mask >> d) & 1u) axes.push_back((d + static_cast<int>(mask)) % 2 ? d - rank : d);
      std::reverse(axes.begin(), axes.end());  // any order is fine
      for (bool keep : {false, true}) {
        SCOPED_TRACE(testing::Message() << "rank " << rank << " mask " << mask << " keep " << keep);
        tgtest::Leaves leaves;
        tg_tensor* x =
            distinct ? DistinctLeaf(&leaves, shape, &rng, 0.07f) : leaves.Add(S(shape), &rng);
        GradCheckResult r = CheckGradientsOn({x}, [&](tg_tape* t, const L& in) {
          return reduce(t, in[0], axes.data(), static_cast<int>(axes.size()), keep);
        });
        EXPECT_TRUE(r.ok) << r.report;
        EXPECT_GT(r.checked, 0);
      }
    }
  }
}

OP_GRAD_TEST(sum_axes, SumAxesEveryAxisSetAndKeepdims) { CheckEveryAxisSet(tg_sum_axes, false); }
OP_GRAD_TEST(mean_axes, MeanAxesEveryAxisSetAndKeepdims) { CheckEveryAxisSet(tg_mean_axes, false); }
OP_GRAD_TEST(max_axes, MaxAxesEveryAxisSetAndKeepdims) { CheckEveryAxisSet(tg_max_axes, true); }
OP_GRAD_TEST(min_axes, MinAxesEveryAxisSetAndKeepdims) { CheckEveryAxisSet(tg_min_axes, true); }
OP_GRAD_TEST(var_axes, VarAxesEveryAxisSetAndKeepdims) { CheckEveryAxisSet(tg_var_axes, false); }
OP_GRAD_TEST(logsumexp, LogsumexpEveryAxisSetAndKeepdims) {
  CheckEveryAxisSet(tg_logsumexp, false);
}

OP_GRAD_TEST(logsumexp, LogsumexpOfLargeValuesAndWithKeepdimsBroadcast) {
  // Inputs near 80 would overflow exp in float32 without the shift by the max.
  ExpectGradOk({P({3, 4}, 79.0f, 81.0f)}, [](tg_tape* t, const L& x) {
    const int axes[1] = {1};
    return tg_logsumexp(t, x[0], axes, 1, false);
  });
  // x - logsumexp(x, keepdims) is log_softmax: keepdims output broadcasts back.
  ExpectGradOk({S({3, 4})}, [](tg_tape* t, const L& x) {
    const int axes[1] = {-1};
    return tg_sub(t, x[0], tg_logsumexp(t, x[0], axes, 1, true));
  });
}

OP_GRAD_TEST(var_axes, VarAndMeanComposeLikeLayerNorm) {
  ExpectGradOk({S({4, 5})}, [](tg_tape* t, const L& x) {
    const int axes[1] = {-1};
    tg_tensor* m = tg_mean_axes(t, x[0], axes, 1, true);
    tg_tensor* v = tg_var_axes(t, x[0], axes, 1, true);
    return tg_mul(t, tg_sub(t, x[0], m), tg_add(t, v, x[0]));
  });
}

OP_GRAD_TEST(argmax, ArgmaxValuesAlongEachAxis) {
  // x = [[1, 5, 5], [7, -2, 0]]: along axis 1 -> [1, 0] (the first 5 wins the tie),
  // along axis 0 -> [1, 0, 0] (5 > -2, and the tie 5 vs 0 is no tie: 5 wins).
  tg_tape* t = tg_tape_new();
  const int64_t s[2] = {2, 3};
  const float v[6] = {1, 5, 5, 7, -2, 0};
  tg_tensor* x = tg_tape_leaf(t, 2, s, v, true);
  tg_tensor* a1 = tg_argmax(t, x, 1, false);
  tg_tensor* a0 = tg_argmax(t, x, -2, true);
  ASSERT_NE(nullptr, a0) << tg_tape_message(t);
  ASSERT_NE(nullptr, a1);
  EXPECT_EQ(TG_INT32, a1->dtype);
  EXPECT_EQ(nullptr, a1->grad);
  ASSERT_EQ(1, a1->rank);
  EXPECT_EQ(2, a1->shape[0]);
  EXPECT_EQ(1, a1->idata[0]);
  EXPECT_EQ(0, a1->idata[1]);
  ASSERT_EQ(2, a0->rank);
  EXPECT_EQ(1, a0->shape[0]);
  EXPECT_EQ(3, a0->shape[1]);
  EXPECT_EQ(1, a0->idata[0]);
  EXPECT_EQ(0, a0->idata[1]);
  EXPECT_EQ(0, a0->idata[2]);
  tg_tape_free(t);
}

OP_GRAD_TEST(one_hot, OneHotValues) {
  // indices [2, 0, 1] with depth 3 -> rows e2, e0, e1.
  tg_tape* t = tg_tape_new();
  const int64_t s[1] = {3};
  const int32_t idx[3] = {2, 0, 1};
  tg_tensor* y = tg_one_hot(t, tg_tape_index_leaf(t, 1, s, idx), 3);
  ASSERT_NE(nullptr, y) << tg_tape_message(t);
  EXPECT_EQ(TG_FLOAT32, y->dtype);
  EXPECT_EQ(nullptr, y->grad);
  ASSERT_EQ(2, y->rank);
  const float want[9] = {0, 0, 1, 1, 0, 0, 0, 1, 0};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(want[i], y->data[i]) << i;
  tg_tape_free(t);
}

OP_GRAD_TEST(to_index, ToIndexValuesAndErrors) {
  // Whole numbers become their int32 values; 2.5, -1 and NaN fail the forward, at
  // recording and on replay, naming the first bad value and its position.
  tg_tape* t = tg_tape_new();
  const int64_t s[2] = {2, 2};
  float v[4] = {0.0f, 3.0f, 7.0f, 16777216.0f};
  tg_tensor* x = tg_tape_leaf(t, 2, s, v, false);
  tg_tensor* y = tg_to_index(t, x);
  ASSERT_NE(nullptr, y) << tg_tape_message(t);
  EXPECT_EQ(TG_INT32, y->dtype);
  EXPECT_EQ(nullptr, y->data);
  EXPECT_EQ(nullptr, y->grad);
  const int32_t want[4] = {0, 3, 7, 16777216};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(want[i], y->idata[i]) << i;
  x->data[2] = 2.5f;
  EXPECT_EQ(TG_ERR_ARG, tg_tape_forward(t));
  EXPECT_STREQ("to_index: 2.5 at position 2 is not a whole number in [0, 2147483647]",
               tg_tape_message(t));
  tg_tape_free(t);
  for (float bad : {-1.0f, NAN, 3e9f}) {
    tg_tape* u = tg_tape_new();
    float w[1] = {bad};
    const int64_t s1[1] = {1};
    EXPECT_EQ(nullptr, tg_to_index(u, tg_tape_leaf(u, 1, s1, w, false))) << bad;
    EXPECT_EQ(TG_ERR_ARG, tg_tape_status(u));
    tg_tape_free(u);
  }
}

// ---- indexing

OP_GRAD_TEST(gather, GatherRepeatedIndicesAccumulate) {
  // Rows 3 and 0 picked twice: their gradients are sums of two.
  ExpectGradOk({S({5, 3})}, [](tg_tape* t, const L& x) {
    const int64_t s[2] = {2, 3};
    const int32_t idx[6] = {3, 0, 3, 1, 0, 4};
    return tg_gather(t, x[0], tg_tape_index_leaf(t, 2, s, idx));
  });
  // A vector table (scalar rows) and a rank-3 table.
  ExpectGradOk({S({4})}, [](tg_tape* t, const L& x) {
    const int64_t s[1] = {5};
    const int32_t idx[5] = {1, 1, 3, 0, 1};
    return tg_gather(t, x[0], tg_tape_index_leaf(t, 1, s, idx));
  });
  ExpectGradOk({S({3, 2, 2})}, [](tg_tape* t, const L& x) {
    const int64_t s[2] = {2, 2};
    const int32_t idx[4] = {2, 2, 0, 1};
    return tg_tanh(t, tg_gather(t, tg_tanh(t, x[0]), tg_tape_index_leaf(t, 2, s, idx)));
  });
}

OP_GRAD_TEST(composite, EmbeddingConcatSliceReduceChain) {
  // gather -> flatten -> concat with a dense branch -> slice -> logsumexp over rows.
  ExpectGradOk({S({6, 2}), S({3, 4}), S({4, 2})}, [](tg_tape* t, const L& x) {
    const int64_t s[2] = {3, 2};
    const int32_t idx[6] = {5, 0, 2, 2, 1, 5};
    tg_tensor* e = tg_flatten(t, tg_gather(t, x[0], tg_tape_index_leaf(t, 2, s, idx)));
    tg_tensor* d = tg_matmul(t, x[1], x[2]);
    tg_tensor* in[2] = {e, d};
    tg_tensor* c = tg_concat(t, in, 2, 1);  // [3x6]
    tg_tensor* sl = tg_slice_axis(t, c, 1, 1, TG_SLICE_END, 2);
    const int axes[1] = {0};
    return tg_logsumexp(t, sl, axes, 1, false);
  });
}

}  // namespace
