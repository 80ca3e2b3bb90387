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
  float* state;       /* tg_optimizer_state_size floats, contiguous */
  float* clipped;     /* n floats for clipped gradients, when any clipping is on */
  int64_t* segments;  /* clipnorm's parameter sizes (tg_optimizer_set_partition) */
  int n_segments;
};

/* Floats in o->state: slots per parameter (Adam and AdamW 2, or 3 with amsgrad; SGD,
 * RMSprop and Adagrad 1; Nadam 2) times o->n, plus Nadam's running product of its
 * momentum schedule (one float after the slots). */
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
void tg_adamw_step(struct tg_optimizer* o, float* w, const float* g);
void tg_adagrad_step(struct tg_optimizer* o, float* w, const float* g);
void tg_nadam_step(struct tg_optimizer* o, float* w, const float* g);
/* Clips g into o->clipped as the options say; returns the gradients to use. */
const float* tg_optimizer_clip(struct tg_optimizer* o, const float* g);

#endif /* TAPEGRAD_FRONTENDS_INTERNAL_OPTIMIZER_IMPL_H_ */
