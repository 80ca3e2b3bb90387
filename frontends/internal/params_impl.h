/* frontends/internal/params_impl.h — the parameter set's insides (params.c), shared
 * with the model files, which keep one set per model, and with introspect.c. */
#ifndef TAPEGRAD_FRONTENDS_INTERNAL_PARAMS_IMPL_H_
#define TAPEGRAD_FRONTENDS_INTERNAL_PARAMS_IMPL_H_

#include "core/rng.h"
#include "frontends/params.h"

struct tg_model;

/* What a tape's annotation points to (tg_tape_set_annotation): the declarations of
 * whatever recorded it. The magic tells ours from another frontend's pointer. */
#define TG_ANNOTATION_MAGIC 0x5447504152414D53ULL /* "TGPARAMS" */
typedef struct tg_annotation {
  uint64_t magic;
  const struct tg_param_set* params;
  const struct tg_model* model; /* NULL for a user's own set */
} tg_annotation;

/* One parameter; allocated on its own so its tensors never move. */
typedef struct tg_param_entry {
  char name[TG_NAME_CAP];
  char owner[TG_NAME_CAP]; /* declaring layer, "" for a user's own */
  int rank;
  int64_t shape[TG_MAX_RANK];
  int64_t size, offset;
  bool trainable;
  int unit_axis;
  tg_tensor tensor; /* with a gradient when trainable */
  tg_tensor frozen; /* without */
} tg_param_entry;

struct tg_param_set {
  const tg_allocator* alloc;
  tg_rng rng; /* every initializer, in declaration order */
  tg_param_entry** e;
  int n, cap;
  float* values; /* size floats: trainable [0, trainable), then the others */
  float* grads;
  int64_t size, trainable;
  int64_t limit; /* while loading: floats the file can still hold (0: no limit) */
  tg_annotation note;
};

/* A set embedded in another object (a model): init and release without the free. */
void tg_param_set_init(tg_param_set* ps, const tg_allocator* alloc, uint64_t seed);
void tg_param_set_release(tg_param_set* ps);

/* Declares one parameter owned by `owner`; errors start with `fn`. Returns its index
 * or -1 with err filled. */
int tg_param_set_declare(tg_param_set* ps, const tg_param_decl* d, const char* owner,
                         const char* fn, tg_error* err);

/* Drops parameters [n, count) again (a layer that failed to build declared them). */
void tg_param_set_truncate(tg_param_set* ps, int n);

/* The annotation tape t carries when one of our sets or models recorded it, or NULL. */
const tg_annotation* tg_annotation_of(const tg_tape* t);

#endif /* TAPEGRAD_FRONTENDS_INTERNAL_PARAMS_IMPL_H_ */
