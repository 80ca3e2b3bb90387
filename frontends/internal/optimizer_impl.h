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

/* A step in three parts, so that a step can update the block range by range (as the
 * gradients of a training step become final) with the same bits as one pass:
 * tg_opt_begin computes the step's constants from `o->iterations` (the count before
 * this step), tg_opt_range updates elements [i0, i1) of the block (w and g are the
 * whole block's; each element reads and writes only its own w and state, so ranges
 * may run in any order and on any thread), tg_opt_end counts the step (and keeps
 * Nadam's schedule product). tg_optimizer_step is begin, range(0, n), end. */
typedef struct tg_opt_consts {
  float lr;     /* decayed lr (SGD, RMSprop, Adagrad, Nadam) */
  float lr_t;   /* Adam's and AdamW's step size, both bias corrections folded in */
  float shrink; /* AdamW's decoupled decay factor */
  float u_t, u_t1, p_t, p_t1, b2_power; /* Nadam's schedule */
} tg_opt_consts;
tg_opt_consts tg_opt_begin(const struct tg_optimizer* o);
void tg_opt_range(struct tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g,
                  int64_t i0, int64_t i1);
void tg_opt_end(struct tg_optimizer* o, const tg_opt_consts* c);

/* Adam's step size for the next step, and its update of elements [i0, i1) only. */
float tg_adam_lr_t(const struct tg_optimizer* o);
void tg_adam_range(struct tg_optimizer* o, float* w, const float* g, float lr_t, int64_t i0,
                   int64_t i1);
/* tg_optimizer_step split over `workers` of `pool` (NULL or 1: the calling thread)
 * when the block is large enough to pay; the same bits as one thread. Arguments are
 * checked as tg_optimizer_step checks them. */
tg_status tg_optimizer_step_pool(struct tg_optimizer* o, float* params, const float* grads,
                                 int64_t n, tg_threadpool* pool, int workers, tg_error* err);
/* tg_opt_range over [i0, i1) on up to `workers` of `pool`, each worker at least
 * kMinParamsPerWorker elements (fewer: the calling thread). */
void tg_opt_range_pool(struct tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g,
                       int64_t i0, int64_t i1, tg_threadpool* pool, int workers);
/* Whether the step can go range by range: no clipping (clipnorm needs whole
 * gradients first). */
bool tg_opt_rangeable(const struct tg_optimizer* o);
/* The update rules of [i0, i1), one per kind (sgd.c, rmsprop.c, adamw.c, ...). */
void tg_sgd_range(struct tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g,
                  int64_t i0, int64_t i1);
void tg_rmsprop_range(struct tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g,
                      int64_t i0, int64_t i1);
void tg_adamw_range(struct tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g,
                    int64_t i0, int64_t i1);
void tg_adagrad_range(struct tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g,
                      int64_t i0, int64_t i1);
/* Nadam's schedule constants of the next step into c (nadam.c). */
void tg_nadam_consts(const struct tg_optimizer* o, tg_opt_consts* c);
void tg_nadam_range(struct tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g,
                    int64_t i0, int64_t i1);
/* Clips g into o->clipped as the options say; returns the gradients to use. */
const float* tg_optimizer_clip(struct tg_optimizer* o, const float* g);

#endif /* TAPEGRAD_FRONTENDS_INTERNAL_OPTIMIZER_IMPL_H_ */
