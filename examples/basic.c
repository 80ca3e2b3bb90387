/* examples/basic.c — the smallest tapegrad program: record y = relu(x·W + b), an MSE
 * loss against a target, differentiate, and print every gradient.
 *
 *   bazel run //examples:basic
 */
#include <stdio.h>

#include "core/tape.h"
#include "ops/ops.h"

static void print_matrix(const char* name, const tg_tensor* t, const float* values) {
  char shape[TG_SHAPE_STR_CAP];
  printf("%-8s %s:", name, tg_tensor_shape_str(t, shape, sizeof shape));
  for (int64_t i = 0; i < t->size; ++i) printf(" %8.4f", values[i]);
  printf("\n");
}

int main(void) {
  tg_tape* tape = tg_tape_new();
  if (tape == NULL) return 1;
  const int64_t s22[2] = {2, 2}, s2[1] = {2};
  const float xv[4] = {1, 2, 3, -1}, wv[4] = {0.5f, -1, 1, 0.25f}, bv[2] = {0.1f, -0.2f};
  const float yv[4] = {1, 0, 0, 1};

  tg_tensor* x = tg_tape_leaf(tape, 2, s22, xv, false);
  tg_tensor* w = tg_tape_leaf(tape, 2, s22, wv, true); /* parameters get a grad */
  tg_tensor* b = tg_tape_leaf(tape, 1, s2, bv, true);
  tg_tensor* target = tg_tape_leaf(tape, 2, s22, yv, false);
  tg_tensor* h = tg_relu(tape, tg_add(tape, tg_matmul(tape, x, w), b));
  tg_tensor* loss = tg_mse(tape, h, target);

  /* One check for the whole chain: errors are sticky. */
  if (tg_tape_backward(tape, loss) != TG_OK) {
    fprintf(stderr, "basic: %s\n", tg_tape_message(tape));
    tg_tape_free(tape);
    return 1;
  }
  printf("loss = %.4f\n", loss->data[0]);
  print_matrix("h", h, h->data);
  print_matrix("dloss/dW", w, w->grad);
  print_matrix("dloss/db", b, b->grad);
  tg_tape_free(tape);
  return 0;
}
