// Every public function given NULL (and zero or out-of-range counts where it takes
// them) returns an error or a neutral value instead of crashing. The calls are the
// public API in header order; a crash fails the whole binary.
#include <gtest/gtest.h>

#include <cstdio>

extern "C" {
#include "core/atomic_file.h"
#include "core/rng.h"
#include "core/tape.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "frontends/initializers.h"
#include "frontends/losses.h"
#include "frontends/model.h"
#include "frontends/optimizers.h"
#include "frontends/persist.h"
#include "ops/ops.h"
#include "tools/analysis.h"
#include "tools/csv.h"
#include "tools/dot_export.h"
#include "tools/model_spec.h"
#include "tools/report.h"
}

namespace {

TEST(NullArgumentsTest, CoreFunctions) {
  tg_error err = {};
  EXPECT_EQ(nullptr, tg_tensor_new(1, nullptr, false, &err));
  EXPECT_EQ(TG_ERR_NULL_ARG, err.code);
  tg_tensor_free(nullptr);
  tg_tensor_zero_grad(nullptr);
  tg_tensor_set_name(nullptr, "x");
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_tensor_set_data(nullptr, nullptr, 0, nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG,
            tg_tensor_init_view(nullptr, 0, nullptr, nullptr, nullptr, TG_ROLE_INPUT, nullptr));
  tg_tape_free(nullptr);
  tg_tape_clear(nullptr);
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_tape_status(nullptr));
  EXPECT_STREQ("tape is NULL", tg_tape_message(nullptr));
  EXPECT_EQ(nullptr, tg_tape_leaf(nullptr, 0, nullptr, nullptr, false));
  EXPECT_EQ(nullptr, tg_tape_index_leaf(nullptr, 0, nullptr, nullptr));
  EXPECT_EQ(nullptr, tg_tape_apply(nullptr, &tg_op_relu, nullptr, 1, nullptr));
  EXPECT_EQ(nullptr, tg_relu(nullptr, nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_tape_forward(nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_tape_backward(nullptr, nullptr));
  tg_tape_set_scope(nullptr, "s");
  EXPECT_EQ(1, tg_tape_threads(nullptr));
  EXPECT_EQ(nullptr, tg_tape_pool(nullptr));
  tg_tape_set_pool(nullptr, nullptr);
  tg_tape_set_planning(nullptr, false);
  EXPECT_EQ(0, tg_tape_plan_chain(nullptr, 0, nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_tape_forward_node(nullptr, 0));
  EXPECT_EQ(0, tg_tape_node_count(nullptr));
  EXPECT_EQ(nullptr, tg_tape_node(nullptr, 0));
  EXPECT_EQ(nullptr, tg_tape_loss(nullptr));
  EXPECT_EQ(0u, tg_tape_reserved_bytes(nullptr));
  EXPECT_EQ(nullptr, tg_tape_allocator(nullptr));
  EXPECT_EQ(nullptr, tg_tape_alloc_floats(nullptr, 4));
  tg_tape* t = tg_tape_new();
  EXPECT_EQ(nullptr, tg_tape_alloc_floats(t, -1));
  EXPECT_EQ(TG_ERR_OVERFLOW, tg_tape_status(t));
  tg_tape_free(t);
  EXPECT_EQ(nullptr, tg_threadpool_new(0, nullptr, &(err = {})));
  EXPECT_EQ(nullptr, tg_threadpool_new(TG_MAX_THREADS + 1, nullptr, &(err = {})));
  tg_threadpool_free(nullptr);
  tg_threadpool_run(nullptr, 4, nullptr, nullptr);
  EXPECT_EQ(nullptr, tg_threadpool_scratch(nullptr, 0));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_atomic_write("f", "x", nullptr, nullptr, nullptr, nullptr));
}

TEST(NullArgumentsTest, FrontendFunctions) {
  tg_error err = {};
  EXPECT_EQ(nullptr, tg_sequential_new(nullptr, &err));
  tg_model_free(nullptr);
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_status(nullptr));
  EXPECT_NE(nullptr, tg_model_message(nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_add_dense(nullptr, tg_dense_options{}));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_compile(nullptr, tg_loss{}, nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_train_on_batch(nullptr, nullptr, 1, nullptr, nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_compute_gradients(nullptr, nullptr, 1, nullptr, nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_predict(nullptr, nullptr, 1, nullptr, 0));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_evaluate(nullptr, nullptr, 1, nullptr, nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_fit(nullptr, nullptr, 1, nullptr, nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_train_on_batch_tensors(nullptr, nullptr, nullptr, nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_predict_tensors(nullptr, nullptr, nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_summary(nullptr, stdout));
  char buf[8] = "x";
  EXPECT_EQ(0u, tg_model_summary_str(nullptr, buf, sizeof buf));
  EXPECT_EQ(0, tg_model_input_dim(nullptr));
  EXPECT_EQ(0, tg_model_layer_count(nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_layer(nullptr, 0, nullptr));
  EXPECT_EQ(nullptr, tg_model_param(nullptr, 0));
  EXPECT_EQ(nullptr, tg_model_find_param(nullptr, nullptr));
  EXPECT_EQ(nullptr, tg_model_param_values(nullptr));
  EXPECT_EQ(nullptr, tg_model_tape(nullptr));
  EXPECT_EQ(nullptr, tg_model_optimizer(nullptr));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_save(nullptr, "x", &(err = {})));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_write(nullptr, stdout, &(err = {})));
  EXPECT_EQ(0u, tg_model_save_buffer(nullptr, nullptr, 0, &(err = {})));
  EXPECT_EQ(nullptr, tg_model_load(nullptr, nullptr, &(err = {})));
  EXPECT_EQ(nullptr, tg_model_read(nullptr, nullptr, &(err = {})));
  EXPECT_EQ(nullptr, tg_model_load_buffer(nullptr, 4, nullptr, &(err = {})));
  tg_model_options mo = {};
  mo.input_dim = 2;
  tg_model* m = tg_sequential_new(&mo, &(err = {}));
  ASSERT_NE(nullptr, m);
  EXPECT_EQ(nullptr, tg_model_find_param(m, nullptr));
  EXPECT_EQ(nullptr, tg_model_param(m, -1));
  tg_layer_info info;
  EXPECT_EQ(TG_ERR_ARG, tg_model_layer(m, 5, &info));
  tg_model_free(m);
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_initializer_fill(nullptr, nullptr, 0, 1, 1, nullptr, &(err = {})));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_initializer_parse(nullptr, nullptr, &(err = {})));
  EXPECT_EQ(nullptr, tg_optimizer_new(nullptr, -1, nullptr, &(err = {})));
  tg_optimizer_free(nullptr);
  EXPECT_EQ(0, tg_optimizer_iterations(nullptr));
  tg_optimizer_reset(nullptr);
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_optimizer_step(nullptr, nullptr, nullptr, 0, &(err = {})));
  EXPECT_EQ(nullptr, tg_loss_apply(nullptr, tg_loss{}, nullptr, nullptr));
  EXPECT_NE(nullptr, tg_loss_kind_name(static_cast<tg_loss_kind>(99)));
  EXPECT_NE(nullptr, tg_activation_name(static_cast<tg_activation>(-5)));
}

TEST(NullArgumentsTest, ToolFunctions) {
  tg_error err = {};
  EXPECT_EQ(nullptr, tg_analysis_new(nullptr, 0.0f, &err));
  tg_analysis_free(nullptr);
  EXPECT_EQ(-1, tg_analysis_leaf_of(nullptr, nullptr));
  EXPECT_EQ(nullptr, tg_analysis_find_layer(nullptr, nullptr));
  EXPECT_EQ(0, tg_stats_of(nullptr, 5).nonfinite);
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_dot_write(nullptr, nullptr, stdout, &(err = {})));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_dot_save(nullptr, nullptr, nullptr, &(err = {})));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_report_write_text(nullptr, nullptr, &(err = {})));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_report_save(nullptr, TG_REPORT_TEXT, "x", &(err = {})));
  tg_csv_data d;
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_csv_read(nullptr, 1, 1, &d, &(err = {})));
  tg_csv_data_free(nullptr);
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_model_spec_parse(nullptr, nullptr, &(err = {})));
  EXPECT_EQ(nullptr, tg_model_spec_build(nullptr, nullptr, nullptr, 0, &(err = {})));
  char buf[32];
  EXPECT_STREQ("(invalid spec)", tg_model_spec_format(nullptr, buf, sizeof buf));
  EXPECT_EQ(nullptr, tg_model_spec_format(nullptr, nullptr, 8));
}

}  // namespace
