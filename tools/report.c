/* tools/report.c — the analysis as text and as JSON. */
#include "tools/report.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/atomic_file.h"
#include "tools/internal/format.h"

static bool in_some_layer(const tg_analysis* a, int leaf) {
  for (int i = 0; i < a->n_layers; ++i)
    for (int k = 0; k < a->layers[i].n_params; ++k)
      if (a->layers[i].param_leaf[k] == leaf) return true;
  return false;
}

static void text_param(FILE* f, const tg_analysis_leaf* l) {
  char shape[TG_SHAPE_STR_CAP];
  fprintf(f, "  %s %s: value ", l->label, tg_tensor_shape_str(l->tensor, shape, sizeof shape));
  tg_put_stats(f, &l->value);
  if (l->tensor->grad == NULL) {
    fputs(" | no gradient\n", f);
    return;
  }
  fputs(" | grad ", f);
  tg_put_stats(f, &l->grad);
  fprintf(f, " | zero grads %lld/%lld", (long long)l->grad.zeros, (long long)l->grad.count);
  fputs(l->grad_all_zero ? " (exactly zero)\n" : "\n", f);
}

static void text_layer(FILE* f, const tg_analysis* a, const tg_analysis_layer* l) {
  if (l->n_params == 0) { /* an Activation layer: only its ReLU has something to say */
    fprintf(f, "layer %s (%s%s%s, %s): no parameters\n", l->name, l->type[0] ? l->type : "",
            l->type[0] ? " " : "", l->config[0] ? l->config : l->activation,
            l->hidden ? "hidden" : "output");
    if (l->dead_units >= 0)
      fprintf(f, "  dead ReLU units (zero on all %lld samples): %d of %d\n",
              (long long)l->batch_rows, l->dead_units, l->units);
    return;
  }
  fprintf(f, "layer %s (%s, %s): %d units -> %d distinct%s\n", l->name, l->activation,
          l->hidden ? "hidden" : "output", l->units, l->groups, l->symmetric ? " (symmetric)" : "");
  char num[TG_NUM_CAP];
  if (a->tolerance > 0.0f)
    fprintf(f, "  within tolerance %s: %d distinct%s\n", tg_fmt_num(num, a->tolerance),
            l->groups_tol, l->symmetric_tol && !l->symmetric ? " (nearly symmetric)" : "");
  if (l->groups < l->units) {
    fputs("  identical units: ", f);
    tg_put_unit_groups(f, l->group, l->units, l->groups, 16);
    fputc('\n', f);
  }
  if (l->dead_units >= 0)
    fprintf(f, "  dead ReLU units (zero on all %lld samples): %d of %d\n", (long long)l->batch_rows,
            l->dead_units, l->units);
  for (int k = 0; k < l->n_params; ++k) text_param(f, &a->leaves[l->param_leaf[k]]);
}

static void text_diagnosis(FILE* f, const tg_analysis* a) {
  int symmetric = 0, nearly = 0, zero = 0, dead = 0;
  for (int i = 0; i < a->n_layers; ++i) {
    symmetric += a->layers[i].symmetric;
    nearly += a->layers[i].symmetric_tol && !a->layers[i].symmetric;
    dead += a->layers[i].dead_units > 0;
  }
  for (int i = 0; i < a->n_leaves; ++i) zero += a->leaves[i].is_param && a->leaves[i].grad_all_zero;
  int non_finite = 0;
  for (int i = 0; i < a->n_leaves; ++i)
    non_finite += a->leaves[i].value.nonfinite > 0 || a->leaves[i].grad.nonfinite > 0;
  const bool loss_bad = a->loss != NULL && !isfinite(a->loss->data[0]);
  if (non_finite > 0 || loss_bad) {
    /* Said first: NaN turns everything after it into noise (zero gradients, dead
     * units), so the other findings cannot be trusted. */
    fputs("diagnosis:\n  non-finite values (the model diverged or got bad input):", f);
    if (loss_bad) fputs(" the loss", f);
    for (int i = 0; i < a->n_leaves; ++i) {
      const tg_analysis_leaf* l = &a->leaves[i];
      if (l->value.nonfinite > 0)
        fprintf(f, " %s (%lld of %lld values)", l->label, (long long)l->value.nonfinite,
                (long long)l->value.count);
      if (l->grad.nonfinite > 0)
        fprintf(f, " %s gradient (%lld of %lld)", l->label, (long long)l->grad.nonfinite,
                (long long)l->grad.count);
    }
    fputs(
        "\n    other findings below may be caused by them; check the inputs and lower the"
        " learning rate\n",
        f);
    if (symmetric + nearly + zero + dead == 0) return;
  } else if (symmetric + nearly + zero + dead == 0) {
    fputs("diagnosis: no symmetric layer, no exactly-zero gradient, no dead ReLU unit\n", f);
    return;
  }
  if (non_finite == 0 && !loss_bad) fputs("diagnosis:\n", f);
  if (symmetric > 0) {
    fputs("  symmetric layers:", f);
    for (int i = 0; i < a->n_layers; ++i)
      if (a->layers[i].symmetric)
        fprintf(f, " %s (%d -> %d)", a->layers[i].name, a->layers[i].units, a->layers[i].groups);
    fputs(
        "\n    identical units compute the same function and get the same gradient, so they"
        " stay identical:\n    such a layer has the capacity of one unit per group;"
        " initialise kernels randomly (e.g. glorot_uniform)\n",
        f);
  }
  if (nearly > 0) {
    fputs("  nearly symmetric layers (within the tolerance):", f);
    for (int i = 0; i < a->n_layers; ++i)
      if (a->layers[i].symmetric_tol && !a->layers[i].symmetric)
        fprintf(f, " %s (%d -> %d)", a->layers[i].name, a->layers[i].units,
                a->layers[i].groups_tol);
    fputc('\n', f);
  }
  if (zero > 0) {
    fputs("  exactly-zero gradients:", f);
    for (int i = 0; i < a->n_leaves; ++i)
      if (a->leaves[i].is_param && a->leaves[i].grad_all_zero)
        fprintf(f, " %s", a->leaves[i].label);
    fputs("\n    these parameters do not learn at all; only these get a gradient:", f);
    bool none = true;
    for (int i = 0; i < a->n_leaves; ++i)
      if (a->leaves[i].is_param && !a->leaves[i].grad_all_zero) {
        fprintf(f, " %s", a->leaves[i].label);
        none = false;
      }
    fputs(none ? " none\n" : "\n", f);
  }
  if (dead > 0) {
    fputs("  dead ReLU units:", f);
    for (int i = 0; i < a->n_layers; ++i)
      if (a->layers[i].dead_units > 0)
        fprintf(f, " %s %d/%d", a->layers[i].name, a->layers[i].dead_units, a->layers[i].units);
    fputs("\n    a ReLU that is zero on every sample passes no gradient back\n", f);
  }
}

/* Flushes f and reports a write error (a full disk shows only here, at the flush)
 * with its reason. */
static tg_status finish_stream(const char* fn, FILE* f, tg_error* err) {
  errno = 0;
  if (fflush(f) == 0 && !ferror(f)) return TG_OK;
  return tg_error_set(err, TG_ERR_IO, "%s: writing the report failed: %s", fn,
                      strerror(errno != 0 ? errno : EIO));
}

tg_status tg_report_write_text(const tg_analysis* a, FILE* f, tg_error* err) {
  if (a == NULL || f == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "tg_report_write_text: %s is NULL",
                        a == NULL ? "analysis" : "out");
  char num[TG_NUM_CAP];
  fputs("tapegrad gradient report\n", f);
  if (a->loss != NULL)
    fprintf(f, "loss: %s = %s (node %d)\n", a->loss_op, tg_fmt_num(num, a->loss->data[0]),
            a->loss_node);
  else
    fputs("loss: none (no backward has run on this tape)\n", f);
  fprintf(f, "tolerance: %s\n\n", tg_fmt_num(num, a->tolerance));
  for (int i = 0; i < a->n_layers; ++i) text_layer(f, a, &a->layers[i]);
  bool header = false;
  for (int i = 0; i < a->n_leaves; ++i) {
    if (!a->leaves[i].is_param || in_some_layer(a, i)) continue;
    if (!header) fputs("other parameters:\n", f);
    header = true;
    text_param(f, &a->leaves[i]);
  }
  fputc('\n', f);
  text_diagnosis(f, a);
  return finish_stream("tg_report_write_text", f, err);
}

/* min/max/mean/l2 cover the finite entries; null when there is none. */
static void json_stats(FILE* f, const tg_stats* s) {
  fprintf(f,
          "{\"count\": %lld, \"zeros\": %lld, \"nonfinite\": %lld, \"min\": ", (long long)s->count,
          (long long)s->zeros, (long long)s->nonfinite);
  const bool none = s->count > 0 && s->nonfinite == s->count;
  if (none) {
    fputs("null, \"max\": null, \"mean\": null, \"l2\": null", f);
  } else {
    tg_put_json_num(f, s->min);
    fputs(", \"max\": ", f);
    tg_put_json_num(f, s->max);
    fputs(", \"mean\": ", f);
    tg_put_json_num(f, s->mean);
    fputs(", \"l2\": ", f);
    tg_put_json_num(f, s->l2);
  }
  fprintf(f, ", \"nan\": %lld, \"inf\": %lld}", (long long)s->nans,
          (long long)(s->nonfinite - s->nans));
}

static void json_param(FILE* f, const tg_analysis_leaf* l) {
  fputs("{\"name\": ", f);
  tg_put_json_string(f, l->label);
  fputs(", \"shape\": [", f);
  for (int d = 0; d < l->tensor->rank; ++d)
    fprintf(f, d ? ", %lld" : "%lld", (long long)l->tensor->shape[d]);
  fputs("], \"value\": ", f);
  json_stats(f, &l->value);
  if (l->tensor->grad != NULL) {
    fputs(", \"grad\": ", f);
    json_stats(f, &l->grad);
  } else {
    fputs(", \"grad\": null", f);
  }
  fprintf(f, ", \"grad_all_zero\": %s}", l->grad_all_zero ? "true" : "false");
}

static void json_groups(FILE* f, const int* group, int units, int n_groups) {
  fputc('[', f);
  for (int g = 0; g < n_groups; ++g) {
    fputs(g ? ", [" : "[", f);
    bool first = true;
    for (int u = 0; u < units; ++u) {
      if (group[u] != g) continue;
      fprintf(f, first ? "%d" : ", %d", u);
      first = false;
    }
    fputc(']', f);
  }
  fputc(']', f);
}

static void json_layer(FILE* f, const tg_analysis* a, const tg_analysis_layer* l) {
  fputs("    {\"name\": ", f);
  tg_put_json_string(f, l->name);
  fprintf(
      f,
      ", \"activation\": \"%s\", \"hidden\": %s, \"units\": %d, \"distinct\": %d, "
      "\"distinct_within_tolerance\": %d, \"symmetric\": %s, \"symmetric_within_tolerance\": %s,\n",
      l->activation, l->hidden ? "true" : "false", l->units, l->groups, l->groups_tol,
      l->symmetric ? "true" : "false", l->symmetric_tol ? "true" : "false");
  fputs("     \"groups\": ", f);
  json_groups(f, l->group, l->units, l->groups);
  fputs(",\n     \"groups_within_tolerance\": ", f);
  json_groups(f, l->group_tol, l->units, l->groups_tol);
  fputs(",\n     \"dead_relu_units\": ", f);
  if (l->dead_units < 0) {
    fputs("null", f);
  } else {
    fputc('[', f);
    bool first = true;
    for (int u = 0; u < l->units; ++u)
      if (l->dead[u]) {
        fprintf(f, first ? "%d" : ", %d", u);
        first = false;
      }
    fputc(']', f);
  }
  fputs(",\n     \"type\": ", f);
  tg_put_json_string(f, l->type);
  fputs(", \"config\": ", f);
  tg_put_json_string(f, l->config);
  fputs(",\n     \"kernel\": ", f);
  if (l->kernel_leaf >= 0)
    json_param(f, &a->leaves[l->kernel_leaf]);
  else
    fputs("null", f);
  fputs(",\n     \"bias\": ", f);
  if (l->bias_leaf >= 0)
    json_param(f, &a->leaves[l->bias_leaf]);
  else
    fputs("null", f);
  fputc('}', f);
}

tg_status tg_report_write_json(const tg_analysis* a, FILE* f, tg_error* err) {
  if (a == NULL || f == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "tg_report_write_json: %s is NULL",
                        a == NULL ? "analysis" : "out");
  fputs("{\n  \"loss\": ", f);
  if (a->loss != NULL) {
    fputs("{\"op\": ", f);
    tg_put_json_string(f, a->loss_op);
    fprintf(f, ", \"node\": %d, \"value\": ", a->loss_node);
    tg_put_json_num(f, a->loss->data[0]);
    fputc('}', f);
  } else {
    fputs("null", f);
  }
  fputs(",\n  \"tolerance\": ", f);
  tg_put_json_num(f, a->tolerance);
  fputs(",\n  \"layers\": [\n", f);
  for (int i = 0; i < a->n_layers; ++i) {
    json_layer(f, a, &a->layers[i]);
    fputs(i + 1 < a->n_layers ? ",\n" : "\n", f);
  }
  fputs("  ],\n  \"params\": [", f);
  bool first = true;
  for (int i = 0; i < a->n_leaves; ++i) {
    if (!a->leaves[i].is_param) continue;
    fputs(first ? "\n    " : ",\n    ", f);
    json_param(f, &a->leaves[i]);
    first = false;
  }
  fputs("\n  ],\n  \"diagnosis\": {\"symmetric_layers\": [", f);
  first = true;
  for (int i = 0; i < a->n_layers; ++i)
    if (a->layers[i].symmetric) {
      if (!first) fputs(", ", f);
      tg_put_json_string(f, a->layers[i].name);
      first = false;
    }
  fputs("], \"zero_gradient_params\": [", f);
  first = true;
  for (int i = 0; i < a->n_leaves; ++i)
    if (a->leaves[i].is_param && a->leaves[i].grad_all_zero) {
      if (!first) fputs(", ", f);
      tg_put_json_string(f, a->leaves[i].label);
      first = false;
    }
  fputs("], \"dead_relu_layers\": [", f);
  first = true;
  for (int i = 0; i < a->n_layers; ++i)
    if (a->layers[i].dead_units > 0) {
      if (!first) fputs(", ", f);
      tg_put_json_string(f, a->layers[i].name);
      first = false;
    }
  fputs("]}\n}\n", f);
  return finish_stream("tg_report_write_json", f, err);
}

typedef struct report_job {
  const tg_analysis* a;
  tg_report_format format;
} report_job;

static tg_status write_job(void* ctx, FILE* f, tg_error* err) {
  const report_job* job = (const report_job*)ctx;
  tg_error local = {0};
  const tg_status s = job->format == TG_REPORT_JSON ? tg_report_write_json(job->a, f, &local)
                                                    : tg_report_write_text(job->a, f, &local);
  /* A write error stays on the stream, where the file writer reports it with the
   * path; anything else is the writer's own. */
  if (s == TG_ERR_IO) return TG_OK;
  if (s != TG_OK) return tg_error_set(err, s, "%s", local.message);
  return TG_OK;
}

tg_status tg_report_save(const tg_analysis* a, tg_report_format format, const char* path,
                         tg_error* err) {
  if (a == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "tg_report_save: analysis is NULL");
  if (format != TG_REPORT_TEXT && format != TG_REPORT_JSON)
    return tg_error_set(err, TG_ERR_ARG, "tg_report_save: unknown format %d", (int)format);
  report_job job = {a, format};
  return tg_atomic_write("tg_report_save", path, NULL, write_job, &job, err);
}
