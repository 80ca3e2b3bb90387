/* frontends/apply_gradients.c — the optimizer step on gradients already in the block,
 * for callers that change the gradients between backward and the step (a
 * distributed average, clipping, accumulation over micro-batches). */
#include "frontends/internal/model_impl.h"
#include "frontends/internal/optimizer_impl.h"

tg_status tg_model_apply_gradients(tg_model* m) {
  const char* fn = "tg_model_apply_gradients";
  if (m == NULL) return TG_ERR_NULL_ARG;
  if (!m->compiled)
    return tg_model_fail(m, TG_ERR_STATE, "%s: compile the model first (no loss or optimizer)", fn);
  tg_tape* t = m->train.tape; /* its threads, as tg_model_train_on_batch steps */
  tg_error err = {0};
  tg_status st =
      tg_optimizer_step_pool(m->optimizer, m->params.values, m->params.grads, m->params.trainable,
                             t ? tg_tape_pool(t) : NULL, t ? tg_tape_threads(t) : 1, &err);
  return st == TG_OK ? TG_OK : tg_model_fail(m, st, "%s: %s", fn, err.message);
}

tg_tape* tg_model_training_tape(tg_model* m) { return m ? m->train.tape : NULL; }
