/** @file ops/ops.h — every tapegrad op: build one node on a tape and get its output.
 *
 * Each builder returns the output tensor (owned by the tape, valid until
 * tg_tape_clear/tg_tape_free) or NULL: on NULL inputs, bad shapes or an earlier
 * error the tape keeps the first error, e.g.
 *     "matmul: [10x1] @ [16x16]: inner dimensions 1 and 16 differ".
 * Binary elementwise ops broadcast like numpy. Gradients flow to every input whose
 * `grad` is non-NULL when tg_tape_backward runs.
 *
 *     tg_tape* t = tg_tape_new();
 *     int64_t sx[2] = {2, 2}, sb[1] = {2};
 *     float xv[4] = {1, 2, 3, 4};
 *     tg_tensor* x = tg_tape_leaf(t, 2, sx, xv, false);
 *     tg_tensor* w = tg_tape_leaf(t, 2, sx, NULL, true);   // parameter: gets a grad
 *     tg_tensor* b = tg_tape_leaf(t, 1, sb, NULL, true);
 *     tg_tensor* loss = tg_mean(t, tg_relu(t, tg_add(t, tg_matmul(t, x, w), b)));
 *     tg_tape_backward(t, loss);   // w->grad, b->grad filled
 */
#ifndef TAPEGRAD_OPS_OPS_H_
#define TAPEGRAD_OPS_OPS_H_

#include "core/op.h"
#include "core/tape.h"
#include "core/tensor.h"
#include "ops/index.h"
#include "ops/kernel_choice.h"
#include "ops/math.h"
#include "ops/nn.h"
#include "ops/reduce.h"
#include "ops/shape.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Matrix product: (M,K)·(K,N), (B,M,K)·(B,K,N) or (B,M,K)·(K,N). */
tg_tensor* tg_matmul(tg_tape* t, tg_tensor* a, tg_tensor* b);
/** Elementwise with numpy broadcasting. @{ */
tg_tensor* tg_add(tg_tape* t, tg_tensor* a, tg_tensor* b);
tg_tensor* tg_sub(tg_tape* t, tg_tensor* a, tg_tensor* b);
tg_tensor* tg_mul(tg_tape* t, tg_tensor* a, tg_tensor* b);
/** @} */
/** y = c * x; c must be finite. */
tg_tensor* tg_scale(tg_tape* t, tg_tensor* x, float c);
/** Activations (elementwise). relu'(0) = 0. @{ */
tg_tensor* tg_relu(tg_tape* t, tg_tensor* x);
tg_tensor* tg_sigmoid(tg_tape* t, tg_tensor* x);
tg_tensor* tg_tanh(tg_tape* t, tg_tensor* x);
/** @} */
/** Reductions over all elements to a scalar. mean of zero elements is an error. @{ */
tg_tensor* tg_sum(tg_tape* t, tg_tensor* x);
tg_tensor* tg_mean(tg_tape* t, tg_tensor* x);
/** @} */
/** Mean squared error over all elements; shapes must be equal. */
tg_tensor* tg_mse(tg_tape* t, tg_tensor* prediction, tg_tensor* target);
/** Softmax along the last axis (rank >= 1); tg_softmax_axis (ops/math.h) takes any. */
tg_tensor* tg_softmax(tg_tape* t, tg_tensor* x);
/** Losses to a scalar; prediction and target shapes must be equal (frontends/losses.h
 * has the formulas). Cross-entropies on probabilities clip to [1e-7, 1-1e-7] as
 * Keras; the categorical ones treat the last axis as the classes. @{ */
tg_tensor* tg_mae(tg_tape* t, tg_tensor* prediction, tg_tensor* target);
tg_tensor* tg_binary_crossentropy(tg_tape* t, tg_tensor* probabilities, tg_tensor* target);
tg_tensor* tg_sigmoid_cross_entropy(tg_tape* t, tg_tensor* logits, tg_tensor* target);
tg_tensor* tg_categorical_crossentropy(tg_tape* t, tg_tensor* probabilities, tg_tensor* target);
tg_tensor* tg_softmax_cross_entropy(tg_tape* t, tg_tensor* logits, tg_tensor* target);
/** @} */
/** Keras' sparse_categorical_crossentropy: predictions [..., classes] against int32
 * labels [...] (or [..., 1]), mean over the rows. from_logits: predictions are logits
 * (stable log-softmax); else probabilities, normalised per row and clipped to
 * [1e-7, 1-1e-7] as categorical_crossentropy. A label outside [0, classes) fails the
 * forward: "sparse_categorical_crossentropy: label 12 out of range for 10 classes (at
 * position 3)". */
tg_tensor* tg_sparse_categorical_crossentropy(tg_tape* t, tg_tensor* prediction, tg_tensor* labels,
                                              bool from_logits);

/** The op definitions, for tools and tests. @{ */
extern const tg_op_def tg_op_matmul, tg_op_add, tg_op_sub, tg_op_mul, tg_op_scale, tg_op_relu,
    tg_op_sigmoid, tg_op_tanh, tg_op_sum, tg_op_mean, tg_op_mse;
extern const tg_op_def tg_op_softmax, tg_op_mae, tg_op_binary_crossentropy,
    tg_op_sigmoid_cross_entropy, tg_op_categorical_crossentropy, tg_op_softmax_cross_entropy;
extern const tg_op_def tg_op_sparse_categorical_crossentropy;
/** @} */

/** Every registered op, in a fixed order; tg_op_count() entries. @{ */
int tg_op_count(void);
const tg_op_def* tg_op_at(int index);
/** @} */
/** The op named `name`, or NULL. */
const tg_op_def* tg_op_find(const char* name);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_OPS_OPS_H_ */
