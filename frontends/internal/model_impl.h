/* frontends/internal/model_impl.h — the model's insides, shared by the files that
 * implement model.h (sequential.c, graph.c, training.c, fit.c, summary.c) and
 * persist.h (save.c, load.c).
 *
 * A model is a graph: symbols (symbolic tensors: the model's inputs and the output of
 * every layer application) and nodes (one layer applied to some symbols, giving one
 * new symbol). Nodes are appended in an order where every input already exists, so
 * recording them in order is a topological walk. A layer may be applied more than
 * once (shared weights): several nodes then point at it. */
#ifndef TAPEGRAD_FRONTENDS_INTERNAL_MODEL_IMPL_H_
#define TAPEGRAD_FRONTENDS_INTERNAL_MODEL_IMPL_H_

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"
#include "core/tape.h"
#include "frontends/internal/fit_impl.h"
#include "frontends/internal/optimizer_impl.h"
#include "frontends/internal/params_impl.h"
#include "frontends/layer.h"
#include "frontends/model.h"

enum { TG_MODEL_MAX_INPUTS = 16 };

/* One layer; allocated on its own so its address never moves. */
struct tg_layer {
  const tg_layer_type* type;
  char name[TG_NAME_CAP];
  struct tg_model* model;
  int index; /* in model->layers */
  bool built;
  int n_in;
  tg_layer_shape in[TG_LAYER_MAX_INPUTS];
  tg_layer_shape out;
  int n_params;
  int param[TG_LAYER_MAX_PARAMS]; /* indices into the model's parameter set */
  int uses;                       /* nodes that apply it */
  alignas(max_align_t) unsigned char config[TG_LAYER_CONFIG_CAP];
};

typedef struct tg_symbol {
  int node;  /* producing node, or -1 for a model input */
  int input; /* which model input (node == -1) */
  tg_layer_shape shape;
} tg_symbol;

typedef struct tg_model_node {
  tg_layer* layer;
  int n_in;
  int in[TG_LAYER_MAX_INPUTS]; /* symbol ids */
  int out;                     /* symbol id */
  bool needed;                 /* on a path to the output (recorded) */
} tg_model_node;

/* A tape recorded for one batch size, replayed while the size stays the same. */
typedef struct tg_tape_slot {
  tg_tape* tape;
  int64_t rows;                      /* batch size recorded; 0: nothing usable */
  bool training;                     /* the layers' mode it was recorded in */
  tg_tensor* x[TG_MODEL_MAX_INPUTS]; /* [rows, ...input shape] input leaves */
  tg_tensor* y;                      /* [rows, ...output shape] target leaf (NULL for predict) */
  tg_tensor* out;                    /* model output */
  tg_tensor* loss;                   /* NULL for predict */
  tg_tensor* w;                      /* [rows] sample weights (fit with weights), else NULL */
  bool weighted;                     /* recorded with w */
} tg_tape_slot;

/* The optimizer run during backward (fused_step.c): per trainable parameter, the
 * first training-tape node that reads its gradient; once backward is through that
 * node the gradient is final and the parameter is updated. */
typedef struct tg_fused_update {
  int mode;               /* tg_model_set_fuse_optimizer: 0 by block size (default), 1 on, -1 off */
  bool mapped;            /* ready/order hold the current training recording's map */
  int* ready;             /* per parameter entry: the first node reading its gradient */
  int* order;             /* trainable entries, the latest ready first */
  int n, cap;             /* entries in order; capacity of both arrays */
  int next;               /* order[next..n) are still to update in this backward */
  int64_t fused_steps;    /* steps that updated during backward (tests) */
  tg_opt_consts c;        /* this step's constants */
  tg_backward_hook chain; /* the hook the tape had: called first */
  void* chain_ctx;
} tg_fused_update;

struct tg_model {
  const tg_allocator* alloc;
  bool functional; /* built with tg_functional_new (else Sequential) */
  int threads;
  bool keep_gradients; /* tg_model_options.keep_gradients, tg_model_set_keep_gradients */
  tg_param_set params;  /* every parameter; its rng drives every initializer */
  tg_rng shuffle_rng;   /* fit's shuffling, independent of the layers */
  tg_rng layer_rng;     /* the layers' stream: one draw per training step, step_rng's seed */
  /* What layers draw from (dropout's keys), reseeded from layer_rng at every training
   * step: the layers' stream moves by one number a step whatever the layers draw, so
   * a data-parallel rank with no rows in a step stays in step by drawing that one
   * (tg_model_advance_layer_stream). */
  tg_rng step_rng;
  int64_t row_offset; /* the training batch's first global row (tg_model_set_row_offset) */
  tg_layer** layers;
  int n_layers, cap_layers;
  tg_symbol* syms;
  int n_syms, cap_syms;
  tg_model_node* nodes;
  int n_nodes, cap_nodes;
  int inputs[TG_MODEL_MAX_INPUTS]; /* symbol ids of the model's inputs, in order */
  int n_inputs;
  int output;          /* symbol id of the output; -1 before there is one */
  tg_tensor** rec;     /* per symbol while recording */
  tg_loss_terms terms; /* penalties the layers add while recording a loss */
  int cap_rec;
  bool compiled;
  tg_loss loss;
  tg_optimizer* optimizer;
  tg_fused_update fuse;
  tg_tape_slot train, predict, eval;
  const tg_tape* last_train; /* what tg_model_tape returns */
  float* scratch;            /* fit's batch buffers and row order, grow-only */
  size_t scratch_bytes;
  tg_annotation note; /* what the model's tapes carry for tools */
  tg_error error;     /* last failing call */
  tg_fit_state fx;    /* metrics, stop flag, batch weights (frontends/fit.h) */
};

/* Records `code` and a message as the model's last error; returns code. */
tg_status tg_model_fail(tg_model* m, tg_status code, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A new model (Sequential or functional) with no inputs yet. */
tg_model* tg_model_new_empty(const tg_model_options* options, bool functional, const char* fn,
                             tg_error* err);

/* Adds a model input of per-sample shape `s`; its symbol id or -1 (error on m). */
int tg_model_add_input(tg_model* m, const char* fn, const tg_layer_shape* s);

/* Creates a layer (not built until applied); NULL with the error on m. */
tg_layer* tg_model_make_layer(tg_model* m, const char* fn, const tg_layer_type* type,
                              const void* config, const char* name);

/* Sequential: appends a layer of `type` applied to the previous output (errors start
 * with fn). The convenience constructors in each layer's file use it. */
tg_status tg_model_sequential_add(tg_model* m, const char* fn, const tg_layer_type* type,
                                  const void* config);

/* Applies l to symbols in[0..n): builds it on first use; returns the output symbol
 * or -1 with the error on m. A layer that fails to build is removed again. */
int tg_model_apply(tg_model* m, const char* fn, tg_layer* l, const int* in, int n);

/* Records the model's forward pass on t from the input leaves x[0..n_inputs) (scope
 * = each layer's name around its ops, "" after). NULL on a tape error. */
tg_tensor* tg_model_record_forward(tg_model* m, tg_tape* t, tg_tensor* const* x,
                                   const tg_layer_ctx* ctx);

/* Per-sample shapes of input k and of the output; elements per row. */
const tg_layer_shape* tg_model_input_shape(const tg_model* m, int k);
const tg_layer_shape* tg_model_output_shape(const tg_model* m);

/* Forgets every recorded tape (parameters moved or the loss changed). */
void tg_model_invalidate_tapes(tg_model* m);

/* Grow-only scratch of at least `bytes` through the model's allocator; NULL on OOM. */
void* tg_model_scratch(tg_model* m, size_t bytes);

/* Checks a batch against the model for function `fn`: m compiled (if needs_loss),
 * an output, n >= 1, x (and y when needed) non-NULL. */
tg_status tg_model_check_batch(tg_model* m, const char* fn, const float* const* x, int n_x,
                               int64_t n, const float* y, bool needs_y, bool needs_loss);

/* One training step on rows x, y (n rows): forward, loss, backward, and the
 * optimizer update when `update`. Checks nothing (callers do). */
tg_status tg_model_step(tg_model* m, const char* fn, const float* const* x, int64_t n,
                        const float* y, bool update, float* loss);
/* The same with the layers' mode chosen (tg_model_step trains in training mode). */
tg_status tg_model_step_mode(tg_model* m, const char* fn, const float* const* x, int64_t n,
                             const float* y, bool update, bool training, float* loss);

/* Backward from the training slot's loss with the optimizer update of each trainable
 * parameter as soon as its gradient is final (fused_step.c); *updated says whether it
 * did (false: nothing was updated, only backward ran, and the caller updates as
 * before). It does only when nothing needs the gradients between backward and the
 * update: no clipping, no NaN sentinel, fusing not turned off. Errors are recorded on
 * m, starting with fn (out of memory for the parameter map fails before backward). */
tg_status tg_model_backward_update(tg_model* m, const char* fn, tg_tape* t, bool* updated);
/* Frees the fused update's arrays. */
void tg_model_fuse_release(tg_model* m);

/* Loss on rows without gradients (the evaluation tape). Checks nothing. */
/* Records (or replays) the training slot (train) or the evaluation slot for n rows
 * without any step: what fit calls first for every batch size it will use, so the
 * memory is there before the model changes. */
tg_status tg_model_prepare_rows(tg_model* m, const char* fn, bool train, const float* const* x,
                                int64_t n, const float* y);
tg_status tg_model_eval_rows(tg_model* m, const char* fn, const float* const* x, int64_t n,
                             const float* y, float* loss);

#endif /* TAPEGRAD_FRONTENDS_INTERNAL_MODEL_IMPL_H_ */
