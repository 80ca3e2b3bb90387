/* frontends/internal/optimizer_impl.h — what the optimizer files share: the object
 * and one step function per kind. Each step is a single flat loop over the block. */
#ifndef TAPEGRAD_FRONTENDS_INTERNAL_OPTIMIZER_IMPL_H_
#define TAPEGRAD_FRONTENDS_INTERNAL_OPTIMIZER_IMPL_H_

#include "core/threadpool.h"
#include "frontends/optimizers.h"

struct tg_optimizer {
  tg_optimizer_options opt; /* resolved: no zero defaults left */
  const tg_allocator* alloc;
  int64_t n;          /* floats per block */
  int64_t iterations; /* steps taken (Keras' `iterations`) */
  float* state;       /* slots_per_param(kind) * n floats, contiguous */
};

/* Floats in o->state: slots per parameter (Adam 2, or 3 with amsgrad; SGD and
 * RMSprop 1) times o->n. */
int64_t tg_optimizer_state_size(const struct tg_optimizer* o);

/* Learning rate after Keras' time decay: lr / (1 + decay * iterations). */
double tg_opt_decayed_lr(const struct tg_optimizer* o);

/* One step; `o->iterations` is the count before this step. */
void tg_adam_step(struct tg_optimizer* o, float* w, const float* g);
/* Adam's step size for the next step, and its update of elements [i0, i1) only. */
float tg_adam_lr_t(const struct tg_optimizer* o);
void tg_adam_range(struct tg_optimizer* o, float* w, const float* g, float lr_t, int64_t i0,
                   int64_t i1);
/* tg_optimizer_step split over `workers` of `pool` (NULL or 1: the calling thread)
 * when the block is large enough to pay; the same bits as one thread. Arguments are
 * checked as tg_optimizer_step checks them. */
tg_status tg_optimizer_step_pool(struct tg_optimizer* o, float* params, const float* grads,
                                 int64_t n, tg_threadpool* pool, int workers, tg_error* err);
void tg_sgd_step(struct tg_optimizer* o, float* w, const float* g);
void tg_rmsprop_step(struct tg_optimizer* o, float* w, const float* g);

#endif /* TAPEGRAD_FRONTENDS_INTERNAL_OPTIMIZER_IMPL_H_ */
