/** @file tapegrad.h — the whole public API in one include.
 *
 *       #include <tapegrad.h>   // installed: cc prog.c $(pkg-config --cflags --libs tapegrad)
 *
 *       tg_error err = {0};
 *       tg_model* m = tg_sequential_new(&(tg_model_options){.input_dim = 1, .seed = 1}, &err);
 *       tg_model_add_dense(m, (tg_dense_options){.units = 2});
 *       printf("tapegrad %s\n", tg_version());
 *       tg_model_free(m);
 *
 * Each header below documents its module, ownership and errors; any of them can also
 * be included on its own.
 */
#ifndef TAPEGRAD_TAPEGRAD_H_
#define TAPEGRAD_TAPEGRAD_H_

#include "core/alloc.h"
#include "core/op.h"
#include "core/rng.h"
#include "core/status.h"
#include "core/tape.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "core/version.h"
#include "data/batcher.h"
#include "data/confusion.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "data/metrics.h"
#include "data/scale.h"
#include "data/split.h"
#include "frontends/activations.h"
#include "frontends/callbacks.h"
#include "frontends/fit.h"
#include "frontends/initializers.h"
#include "frontends/layer.h"
#include "frontends/losses.h"
#include "frontends/model.h"
#include "frontends/optimizers.h"
#include "frontends/params.h"
#include "frontends/persist.h"
#include "kernels/gemm.h"
#include "ops/ops.h"
#include "tools/analysis.h"
#include "tools/csv.h"
#include "tools/dot_export.h"
#include "tools/model_spec.h"
#include "tools/plot.h"
#include "tools/render.h"
#include "tools/report.h"

#endif /* TAPEGRAD_TAPEGRAD_H_ */
