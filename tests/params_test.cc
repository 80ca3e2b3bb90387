// tests/params_test.cc — the parameter set: one table, one contiguous value block and
// one gradient block (trainable parameters first), views that keep their addresses,
// any optimizer stepping the trainable block, exact errors, and tools finding the
// declared unit axes through the tape.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "frontends/params.h"
#include "ops/ops.h"
#include "tools/analysis.h"
}

namespace {

tg_param_decl Decl(const char* name, int rank, const int64_t* shape, int unit_axis,
                   bool trainable = true) {
  tg_param_decl d{};
  d.name = name;
  d.rank = rank;
  for (int i = 0; i < rank; ++i) d.shape[i] = shape[i];
  d.unit_axis = unit_axis;
  d.non_trainable = !trainable;
  d.init = tg_init_constant(0.5f);
  return d;
}

TEST(ParamSetTest, TableBlocksAndViews) {
  tg_error err = {};
  tg_param_set* ps = tg_param_set_new(nullptr, 1, &err);
  ASSERT_NE(ps, nullptr);
  const int64_t ws[2] = {3, 2}, bs[1] = {2};
  const tg_param_decl wd = Decl("w", 2, ws, 1);
  tg_tensor* w = tg_param_set_add(ps, &wd, &err);
  tg_param_decl frozen = Decl("moving", 1, bs, 0, false);
  tg_tensor* mv = tg_param_set_add(ps, &frozen, &err);
  tg_param_decl bd = Decl("b", 1, bs, 0);
  bd.init = tg_init_zeros();
  tg_tensor* b = tg_param_set_add(ps, &bd, &err);
  ASSERT_NE(b, nullptr) << err.message;
  EXPECT_EQ(tg_param_set_count(ps), 3);
  EXPECT_EQ(tg_param_set_size(ps), 10);
  EXPECT_EQ(tg_param_set_trainable_size(ps), 8);  // w and b; the moving one after them
  tg_param_info info{};
  ASSERT_EQ(tg_param_set_info(ps, 1, &info), TG_OK);
  EXPECT_STREQ(info.name, "moving");
  EXPECT_EQ(info.offset, 8);
  EXPECT_FALSE(info.trainable);
  EXPECT_EQ(info.tensor->grad, nullptr);
  ASSERT_EQ(tg_param_set_info(ps, 2, &info), TG_OK);
  EXPECT_EQ(info.offset, 6);
  EXPECT_EQ(info.unit_axis, 0);
  // Views point into the blocks; values survive the growth.
  EXPECT_EQ(w->data, tg_param_set_values(ps));
  EXPECT_EQ(b->data, tg_param_set_values(ps) + 6);
  EXPECT_EQ(mv->data, tg_param_set_values(ps) + 8);
  EXPECT_EQ(w->grad, tg_param_set_grads(ps));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(w->data[i], 0.5f);
  EXPECT_EQ(mv->data[0], 0.5f);
  EXPECT_EQ(b->data[0], 0.0f);
  EXPECT_EQ(tg_param_set_find(ps, "b"), 2);
  EXPECT_EQ(tg_param_set_find_tensor(ps, mv), 1);
  EXPECT_EQ(tg_param_set_find(ps, "nope"), -1);

  // Errors name the function and the parameter.
  EXPECT_EQ(tg_param_set_add(ps, &bd, &err), nullptr);
  EXPECT_STREQ(err.message, "tg_param_set_add: a parameter named 'b' already exists");
  err = {};
  tg_param_decl bad = Decl("c", 1, bs, 1);
  EXPECT_EQ(tg_param_set_add(ps, &bad, &err), nullptr);
  EXPECT_STREQ(err.message,
               "tg_param_set_add: 'c': unit_axis 1 is not an axis of a rank-1 parameter");
  const int64_t zero[1] = {0};
  bad = Decl("c", 1, zero, 0);
  err = {};
  EXPECT_EQ(tg_param_set_add(ps, &bad, &err), nullptr);
  EXPECT_STREQ(err.message, "tg_param_set_add: 'c': dimension 0 must be >= 1, got 0");
  EXPECT_EQ(tg_param_set_count(ps), 3);
  tg_param_set_free(ps);
}

// A raw tape over a user's own set: y = x·w + b fitted with Adam; the non-trainable
// parameter never moves.
TEST(ParamSetTest, AnyOptimizerStepsTheTrainableBlock) {
  tg_error err = {};
  tg_param_set* ps = tg_param_set_new(nullptr, 3, &err);
  const int64_t ws[2] = {2, 1}, bs[1] = {1};
  tg_param_decl wd = Decl("w", 2, ws, 1);
  wd.init = tg_init_zeros();
  tg_param_decl bd = Decl("b", 1, bs, 0);
  tg_param_decl fd = Decl("frozen", 1, bs, 0, false);
  tg_tensor* w = tg_param_set_add(ps, &wd, &err);
  tg_tensor* f = tg_param_set_add(ps, &fd, &err);
  tg_tensor* b = tg_param_set_add(ps, &bd, &err);
  for (tg_optimizer_kind kind : {TG_OPT_ADAM, TG_OPT_SGD, TG_OPT_RMSPROP}) {
    std::memset(w->data, 0, 2 * sizeof(float));  // start every optimizer from the same point
    b->data[0] = 0.5f;
    tg_optimizer_options oo{};
    oo.kind = kind;
    oo.lr = 0.05f;
    tg_optimizer* opt = tg_optimizer_new(&oo, tg_param_set_trainable_size(ps), nullptr, &err);
    ASSERT_NE(opt, nullptr) << err.message;
    tg_tape* t = tg_tape_new();
    const int64_t sx[2] = {4, 2}, sy[2] = {4, 1};
    const float xv[8] = {0, 0, 1, 0, 0, 1, 1, 1}, yv[4] = {1, 3, -1, 1};  // y = 2 x0 - 2 x1 + 1
    tg_tensor* x = tg_tape_leaf(t, 2, sx, xv, false);
    tg_tensor* y = tg_tape_leaf(t, 2, sy, yv, false);
    tg_tensor* loss = tg_mse(t, tg_add(t, tg_add(t, tg_matmul(t, x, w), b), f), y);
    float first = 0;
    for (int s = 0; s < 400; ++s) {
      if (s > 0) {
        ASSERT_EQ(tg_tape_forward(t), TG_OK);
      }
      tg_param_set_zero_grads(ps);
      ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
      if (s == 0) first = loss->data[0];
      ASSERT_EQ(tg_param_set_step(ps, opt, &err), TG_OK) << err.message;
    }
    EXPECT_LT(loss->data[0], 0.05f * first) << tg_optimizer_kind_name(kind);
    EXPECT_EQ(f->data[0], 0.5f);  // never stepped
    tg_tape_free(t);
    tg_optimizer_free(opt);
  }
  err = {};
  tg_optimizer* wrong = tg_optimizer_new(nullptr, tg_param_set_size(ps), nullptr, &err);
  EXPECT_EQ(tg_param_set_step(ps, wrong, &err), TG_ERR_SHAPE);
  EXPECT_STREQ(err.message, "tg_optimizer_step: 3 parameters given to an optimizer made for 4");
  tg_optimizer_free(wrong);
  tg_param_set_free(ps);
}

TEST(ParamSetTest, ToolsFindTheDeclaredUnitAxisThroughTheTape) {
  // A kernel laid out [units, in] (unit axis 0): units 0 and 2 equal, 1 differs.
  tg_error err = {};
  tg_param_set* ps = tg_param_set_new(nullptr, 1, &err);
  const int64_t ks[2] = {3, 2};
  tg_param_decl kd = Decl("layer/kernel_t", 2, ks, 0);
  tg_tensor* k = tg_param_set_add(ps, &kd, &err);
  const float kv[6] = {1, 2, 5, 6, 1, 2};
  std::memcpy(k->data, kv, sizeof kv);
  tg_tape* t = tg_tape_new();
  tg_param_set_attach(ps, t);
  // loss = mse(z·k, target), z [2x3]: row u of dk is column u of z times dY, and
  // columns 0 and 2 of z are equal, so units 0 and 2 get equal gradients.
  const int64_t sz[2] = {2, 3}, sy[2] = {2, 2};
  const float zv[6] = {1, 0, 1, 0, 1, 0}, yv[4] = {0.5f, -1, 2, 0};
  tg_tensor* z = tg_tape_leaf(t, 2, sz, zv, false);
  tg_tensor* y = tg_tape_leaf(t, 2, sy, yv, false);
  tg_tape_set_scope(t, "layer");
  tg_tensor* h = tg_matmul(t, z, k);
  tg_tape_set_scope(t, "");
  tg_tensor* loss = tg_mse(t, h, y);
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK) << tg_tape_message(t);
  tg_analysis* a = tg_analysis_new(t, 0.0f, &err);
  ASSERT_NE(a, nullptr) << err.message;
  const tg_analysis_layer* l = tg_analysis_find_layer(a, "layer");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->units, 3);   // along axis 0, as declared
  EXPECT_EQ(l->groups, 2);  // units 0 and 2 alike in value and gradient
  EXPECT_EQ(l->group[0], 0);
  EXPECT_EQ(l->group[1], 1);
  EXPECT_EQ(l->group[2], 0);
  tg_analysis_free(a);
  tg_tape_free(t);
  tg_param_set_free(ps);
}

// A declaration whose initializer draws non-finite values is refused, checked where
// the values were drawn: the set is left as it was (the frozen parameter back at its
// offset, the random stream not advanced), so the next declaration draws what it
// would have drawn without the refused one.
TEST(ParamSetTest, ARefusedInitializerLeavesTheSetAsItWas) {
  const int64_t ws[2] = {4, 3}, bs[1] = {3};
  tg_param_decl w = Decl("w", 2, ws, 1);
  w.init.kind = TG_INIT_RANDOM_NORMAL;
  w.init.stddev = 1.0f;
  const tg_param_decl frozen = Decl("moving", 1, bs, 0, false);
  tg_param_decl bad = Decl("bad", 2, ws, 1);
  bad.init.kind = TG_INIT_RANDOM_NORMAL;
  bad.init.stddev = 3e38f;  // draws beyond float's range
  tg_param_decl next = w;
  next.name = "next";

  tg_error err = {};
  tg_param_set* ps = tg_param_set_new(nullptr, 7, &err);
  tg_param_set* ref = tg_param_set_new(nullptr, 7, &err);
  ASSERT_NE(ps, nullptr);
  ASSERT_NE(ref, nullptr);
  for (tg_param_set* s : {ps, ref}) {
    ASSERT_NE(nullptr, tg_param_set_add(s, &w, &err)) << err.message;
    ASSERT_NE(nullptr, tg_param_set_add(s, &frozen, &err)) << err.message;
  }
  EXPECT_EQ(nullptr, tg_param_set_add(ps, &bad, &err));
  EXPECT_EQ(TG_ERR_ARG, err.code);
  // How many of the 12 draws overflow depends on the stream; every |z| > 1.14 does.
  const std::string msg = err.message;
  EXPECT_EQ(0u, msg.find("tg_param_set_add: the bad initializer (random_normal) produced ")) << msg;
  EXPECT_NE(std::string::npos, msg.find(" non-finite values of 12")) << msg;
  EXPECT_EQ(2, tg_param_set_count(ps));
  EXPECT_EQ(15, tg_param_set_size(ps));
  EXPECT_EQ(12, tg_param_set_trainable_size(ps));
  tg_param_info info = {};
  ASSERT_EQ(TG_OK, tg_param_set_info(ps, 1, &info));
  EXPECT_EQ(12, info.offset);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(0.5f, info.tensor->data[i]);

  ASSERT_NE(nullptr, tg_param_set_add(ps, &next, &err)) << err.message;
  ASSERT_NE(nullptr, tg_param_set_add(ref, &next, &err)) << err.message;
  ASSERT_EQ(tg_param_set_size(ref), tg_param_set_size(ps));
  EXPECT_EQ(0, std::memcmp(tg_param_set_values(ref), tg_param_set_values(ps),
                           sizeof(float) * (size_t)tg_param_set_size(ps)));
  tg_param_set_free(ref);
  tg_param_set_free(ps);
}

}  // namespace
