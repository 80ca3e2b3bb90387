/* tools/dot_export.c — the tape as a DOT graph: caption, clusters, nodes, edges.
 * Ids: "L<k>" for the k-th leaf in first-use order, "N<i>" for node i. */
#include "tools/dot_export.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/atomic_file.h"
#include "frontends/model.h"
#include "ops/kernel_choice.h"
#include "tools/analysis.h"
#include "tools/internal/dot_parts.h"
#include "tools/internal/format.h"

static const char kRed[] = "#c0392b";
static const char kOrange[] = "#d35400";
static const char kGreen[] = "#2e7d32";

typedef struct dot_ctx {
  const tg_tape* tape;
  const tg_analysis* a;
  tg_dot_options opt;
  FILE* f;
} dot_ctx;

/* The caption: title, loss and the diagnosis in one sentence per finding. */
static void put_caption(const dot_ctx* c) {
  FILE* f = c->f;
  const tg_analysis* a = c->a;
  char num[TG_NUM_CAP];
  fputs("  label=<<B>", f);
  tg_put_html(f, c->opt.title ? c->opt.title : "tapegrad");
  fputs("</B>", f);
  if (a->loss != NULL) {
    fputs(" | loss (", f);
    tg_put_html(f, a->loss_op);
    fprintf(f, ") = %s", tg_fmt_num(num, a->loss->data[0]));
  } else {
    fputs(" | no backward has run on this tape", f);
  }
  fputs("<BR ALIGN=\"LEFT\"/>", f);
  bool symmetric = false;
  for (int i = 0; i < a->n_layers; ++i) {
    const tg_analysis_layer* l = &a->layers[i];
    if (!l->symmetric) continue;
    fprintf(f, "<FONT COLOR=\"%s\"><B>symmetry: ", kRed);
    tg_put_html(f, l->name);
    fprintf(f,
            " has %d units but only %d distinct: they stay identical</B></FONT>"
            "<BR ALIGN=\"LEFT\"/>",
            l->units, l->groups);
    symmetric = true;
  }
  if (!symmetric)
    fprintf(f,
            "<FONT COLOR=\"%s\">no symmetric layer: the hidden units are distinct</FONT>"
            "<BR ALIGN=\"LEFT\"/>",
            kGreen);
  int zero = 0, params = 0;
  for (int i = 0; i < a->n_leaves; ++i) {
    params += a->leaves[i].is_param;
    zero += a->leaves[i].is_param && a->leaves[i].grad_all_zero;
  }
  if (zero > 0) {
    fprintf(f,
            "<FONT COLOR=\"%s\"><B>zero gradients: %d of %d parameters get exactly 0 and do "
            "not learn:",
            kRed, zero, params);
    for (int i = 0; i < a->n_leaves; ++i)
      if (a->leaves[i].is_param && a->leaves[i].grad_all_zero) {
        fputc(' ', f);
        tg_put_html(f, a->leaves[i].label);
      }
    fputs("</B></FONT><BR ALIGN=\"LEFT\"/><B>", f);
    fputs(zero == params ? "no parameter learns" : "only these learn:", f);
    for (int i = 0; i < a->n_leaves; ++i)
      if (a->leaves[i].is_param && !a->leaves[i].grad_all_zero) {
        fputc(' ', f);
        tg_put_html(f, a->leaves[i].label);
      }
    fputs("</B><BR ALIGN=\"LEFT\"/>", f);
  } else if (params > 0) {
    fprintf(f,
            "<FONT COLOR=\"%s\">every parameter gets a non-zero gradient</FONT>"
            "<BR ALIGN=\"LEFT\"/>",
            kGreen);
  }
  for (int i = 0; i < a->n_layers; ++i) {
    const tg_analysis_layer* l = &a->layers[i];
    if (l->dead_units <= 0) continue;
    /* A layer whose every ReLU is dead blocks all gradient (red); a partly dead one
     * still learns through its live units (orange). */
    const bool all = l->dead_units == l->units;
    fprintf(f, "<FONT COLOR=\"%s\"><B>dead ReLU: ", all ? kRed : kOrange);
    tg_put_html(f, l->name);
    fprintf(f, " %d of %d units are 0 on all %lld samples: %s</B></FONT><BR ALIGN=\"LEFT\"/>",
            l->dead_units, l->units, (long long)l->batch_rows,
            all ? "no gradient passes" : "they pass no gradient, the others learn");
  }
  fputs(">;\n", f);
}

static void put_input(const dot_ctx* c, int id) {
  const tg_analysis_leaf* l = &c->a->leaves[id];
  char shape[TG_SHAPE_STR_CAP], lo[TG_NUM_CAP], hi[TG_NUM_CAP];
  fprintf(c->f,
          "  L%d [shape=box, style=\"rounded,filled\", fillcolor=\"#dbe9f6\", "
          "color=\"#4a7ab5\", label=<<B>",
          id);
  tg_put_html(c->f, l->label);
  fprintf(c->f, "</B> %s<BR/>min %s max %s>];\n",
          tg_tensor_shape_str(l->tensor, shape, sizeof shape), tg_fmt_num(lo, l->value.min),
          tg_fmt_num(hi, l->value.max));
}

static void put_op(const dot_ctx* c, const tg_node* n, const char* indent) {
  FILE* f = c->f;
  const tg_analysis* a = c->a;
  if (n->index == a->loss_node) {
    char num[TG_NUM_CAP];
    fprintf(f,
            "%sN%d [shape=doubleoctagon, style=filled, fillcolor=\"#f8cecc\", color=\"#b85450\", "
            "label=<<B>%s</B><BR/>loss %s>];\n",
            indent, n->index, n->op->name, tg_fmt_num(num, n->out->data[0]));
    return;
  }
  for (int i = 0; i < a->n_layers; ++i) {
    const tg_analysis_layer* l = &a->layers[i];
    if (l->act_node != n->index || l->dead_units <= 0) continue;
    const bool all = l->dead_units == l->units;
    fprintf(f,
            "%sN%d [shape=box, style=\"rounded,filled\", fillcolor=\"%s\", fontcolor=\"%s\", "
            "color=\"%s\", penwidth=2, label=<<B>%s</B><BR/>%d/%d units dead>];\n",
            indent, n->index, all ? "#404040" : "#bdbdbd", all ? "#ffffff" : "#000000", kRed,
            n->op->name, l->dead_units, l->units);
    return;
  }
  fprintf(f,
          "%sN%d [shape=box, style=\"rounded,filled\", fillcolor=\"#eeeeee\", color=\"#888888\", "
          "label=<<B>%s</B>",
          indent, n->index, n->op->name);
  char params[128];
  if (n->op->describe != NULL && n->op->describe(n, params, sizeof params) > 0) {
    fputc(' ', f);
    tg_put_html(f, params);
  }
  char kernels[512];
  if (c->opt.kernels && tg_node_kernels(n, kernels, sizeof kernels) > 0) {
    fputs("<BR/><FONT POINT-SIZE=\"9\">", f);
    tg_put_html(f, kernels);
    fputs("</FONT>", f);
  }
  fputs(">];\n", f);
}

/* Cluster caption and colours: red for a symmetric layer, orange when only nearly. */
static void put_cluster_head(const dot_ctx* c, int k, const char* scope) {
  FILE* f = c->f;
  const tg_analysis_layer* l = tg_analysis_find_layer(c->a, scope);
  const bool red = l != NULL && l->symmetric;
  const bool orange = l != NULL && !red && l->symmetric_tol;
  fprintf(f, "  subgraph cluster_%d {\n    style=\"rounded,filled\";\n", k);
  fprintf(f, "    fillcolor=\"%s\";\n    color=\"%s\";\n    penwidth=%s;\n",
          red      ? "#fdecea"
          : orange ? "#fff3e0"
                   : "#f7f7f7",
          red      ? kRed
          : orange ? kOrange
                   : "#999999",
          red || orange ? "3" : "1");
  fputs("    label=<<B>", f);
  tg_put_html(f, scope);
  fputs("</B>", f);
  if (l != NULL && l->type[0] != '\0') {
    /* The layer's configuration as its model declared it: "Dense 16 relu". */
    fputs(" (", f);
    tg_put_html(f, l->type);
    if (l->config[0] != '\0') {
      fputc(' ', f);
      tg_put_html(f, l->config);
    }
    fprintf(f, ", %s)", l->hidden ? "hidden" : "output");
  } else if (l != NULL) {
    fprintf(f, " (%s, %s)", l->activation, l->hidden ? "hidden" : "output");
  } else {
    /* A layer without findings (a merge): its type, if a model declared it. */
    const tg_layer* layer = tg_model_find_layer(tg_model_of_tape(c->tape), scope);
    if (layer != NULL) {
      fputs(" (", f);
      tg_put_html(f, tg_layer_type_of(layer)->name);
      fputc(')', f);
    }
  }
  if (l != NULL && (l->n_params > 0 || l->dead_units > 0)) fputs("<BR/>", f);
  if (l != NULL && l->n_params == 0) {
    if (l->dead_units > 0) fprintf(f, "%d of %d units dead", l->dead_units, l->units);
  } else if (l != NULL) {
    if (red) fprintf(f, "<FONT COLOR=\"%s\"><B>", kRed);
    fprintf(f, "%d units -&gt; %d distinct%s", l->units, l->groups, red ? " (symmetric)" : "");
    if (red) fputs("</B></FONT>", f);
    if (c->a->tolerance > 0.0f && l->groups_tol != l->groups) {
      char num[TG_NUM_CAP];
      if (orange)
        fprintf(f, "<BR/><FONT COLOR=\"%s\"><B>", kOrange);
      else
        fputs("<BR/>", f);
      fprintf(f, "%d distinct within %s%s", l->groups_tol, tg_fmt_num(num, c->a->tolerance),
              orange ? " (nearly symmetric)</B></FONT>" : "");
    }
    if (l->groups < l->units) {
      fputs("<BR/>identical units: ", f);
      tg_put_unit_groups(f, l->group, l->units, l->groups, 4);
    }
  }
  fputs(">;\n", f);
}

static void put_clusters(const dot_ctx* c) {
  const int n_nodes = tg_tape_node_count(c->tape);
  int k = 0;
  for (int i = 0; i < n_nodes; ++i) {
    const char* scope = tg_tape_node(c->tape, i)->scope;
    bool seen = scope[0] == '\0';
    for (int j = 0; j < i && !seen; ++j) seen = strcmp(tg_tape_node(c->tape, j)->scope, scope) == 0;
    if (seen) continue;
    put_cluster_head(c, k++, scope);
    for (int l = 0; l < c->a->n_leaves; ++l) {
      const tg_analysis_leaf* leaf = &c->a->leaves[l];
      if (leaf->is_param && strcmp(tg_tape_node(c->tape, leaf->first_node)->scope, scope) == 0)
        tg_dot_put_param(c->f, leaf, l, c->opt.table_max);
    }
    for (int j = i; j < n_nodes; ++j)
      if (strcmp(tg_tape_node(c->tape, j)->scope, scope) == 0)
        put_op(c, tg_tape_node(c->tape, j), "    ");
    fputs("  }\n", c->f);
  }
}

/* "L<k>" or "N<i>" for the tensor's source. */
static void put_source(const dot_ctx* c, const tg_tensor* t) {
  const int leaf = tg_analysis_leaf_of(c->a, t);
  if (leaf >= 0)
    fprintf(c->f, "L%d", leaf);
  else
    fprintf(c->f, "N%d", t->node);
}

static void put_edges(const dot_ctx* c) {
  const int n_nodes = tg_tape_node_count(c->tape);
  char shape[TG_SHAPE_STR_CAP], num[TG_NUM_CAP];
  for (int i = 0; i < n_nodes; ++i) {
    const tg_node* n = tg_tape_node(c->tape, i);
    for (int k = 0; k < n->n_in; ++k) {
      fputs("  ", c->f);
      put_source(c, n->in[k]);
      fprintf(c->f, " -> N%d [label=\" %s\"];\n", i,
              tg_tensor_shape_str(n->in[k], shape, sizeof shape));
    }
  }
  if (!c->opt.backward || c->a->loss == NULL) return;
  fputs("  // gradient flow: one VJP edge per input that receives a gradient\n", c->f);
  for (int i = c->a->loss_node; i >= 0; --i) {
    const tg_node* n = tg_tape_node(c->tape, i);
    for (int k = 0; k < n->n_in; ++k) {
      const tg_tensor* t = n->in[k];
      if (t->grad == NULL) continue;
      const tg_stats s = tg_stats_of(t->grad, t->size);
      const bool zero = s.zeros == s.count;
      fprintf(c->f, "  N%d -> ", i);
      put_source(c, t);
      fprintf(c->f,
              " [style=dashed, constraint=false, color=\"%s\", fontcolor=\"%s\", "
              "label=\" grad %s\"];\n",
              zero ? "#9e9e9e" : kRed, zero ? "#757575" : kRed, tg_fmt_num(num, s.l2));
    }
  }
}

static tg_status write_dot(void* ctx, FILE* f, tg_error* err) {
  dot_ctx* c = (dot_ctx*)ctx;
  c->f = f;
  fputs(
      "digraph tapegrad {\n  graph [fontname=\"Helvetica\", fontsize=12, rankdir=TB, "
      "nodesep=0.3, ranksep=0.35, labelloc=t, labeljust=l];\n"
      "  node [fontname=\"Helvetica\", fontsize=10];\n"
      "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#666666\", fontcolor=\"#444444\"];\n",
      f);
  put_caption(c);
  for (int l = 0; l < c->a->n_leaves; ++l)
    if (!c->a->leaves[l].is_param) put_input(c, l);
  put_clusters(c);
  const int n_nodes = tg_tape_node_count(c->tape);
  for (int l = 0; l < c->a->n_leaves; ++l) {
    const tg_analysis_leaf* leaf = &c->a->leaves[l];
    if (leaf->is_param && tg_tape_node(c->tape, leaf->first_node)->scope[0] == '\0')
      tg_dot_put_param(f, leaf, l, c->opt.table_max);
  }
  for (int i = 0; i < n_nodes; ++i)
    if (tg_tape_node(c->tape, i)->scope[0] == '\0') put_op(c, tg_tape_node(c->tape, i), "  ");
  put_edges(c);
  tg_dot_put_legend(f, c->a->tolerance);
  /* Keeps the legend below the graph. */
  if (n_nodes > 0)
    fprintf(f, "  N%d -> legend [style=invis];\n",
            c->a->loss_node >= 0 ? c->a->loss_node : n_nodes - 1);
  fputs("}\n", f);
  /* Stream errors are the caller's to report: tg_dot_write's below, the file
   * writer's (with the path) for tg_dot_save. */
  return TG_OK;
}

/* Validates, analyses and calls `emit` (a stream writer or the atomic file writer). */
static tg_status run(const char* fn, const tg_tape* tape, const tg_dot_options* opt,
                     tg_status (*emit)(dot_ctx*, void*, tg_error*), void* target, tg_error* err) {
  if (tape == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: tape is NULL", fn);
  dot_ctx c;
  memset(&c, 0, sizeof c);
  c.tape = tape;
  if (opt != NULL) c.opt = *opt;
  if (c.opt.table_max == 0) c.opt.table_max = 32;
  if (!(c.opt.tolerance >= 0.0f) || isinf(c.opt.tolerance))
    return tg_error_set(err, TG_ERR_ARG, "%s: tolerance must be finite and >= 0, got %g", fn,
                        (double)c.opt.tolerance);
  if (tg_tape_status(tape) != TG_OK)
    return tg_error_set(err, TG_ERR_STATE, "%s: the tape holds an error: %s", fn,
                        tg_tape_message(tape));
  tg_analysis* a = tg_analysis_new(tape, c.opt.tolerance, err);
  if (a == NULL) return err ? err->code : TG_ERR_NOMEM;
  c.a = a;
  tg_status s = emit(&c, target, err);
  tg_analysis_free(a);
  return s;
}

static tg_status emit_stream(dot_ctx* c, void* target, tg_error* err) {
  FILE* f = (FILE*)target;
  tg_status s = write_dot(c, f, err);
  if (s != TG_OK) return s;
  /* A full disk shows only at the flush. */
  errno = 0;
  if (fflush(f) != 0 || ferror(f))
    s = tg_error_set(err, TG_ERR_IO, "tg_dot_write: writing the DOT text failed: %s",
                     strerror(errno != 0 ? errno : EIO));
  return s;
}

static tg_status emit_file(dot_ctx* c, void* target, tg_error* err) {
  return tg_atomic_write("tg_dot_save", (const char*)target, tg_tape_allocator(c->tape), write_dot,
                         c, err);
}

tg_status tg_dot_write(const tg_tape* tape, const tg_dot_options* opt, FILE* out, tg_error* err) {
  if (out == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "tg_dot_write: out is NULL");
  return run("tg_dot_write", tape, opt, emit_stream, out, err);
}

tg_status tg_dot_save(const tg_tape* tape, const tg_dot_options* opt, const char* path,
                      tg_error* err) {
  if (path == NULL || path[0] == '\0')
    return tg_error_set(err, TG_ERR_NULL_ARG, "tg_dot_save: path is NULL or empty");
  return run("tg_dot_save", tape, opt, emit_file, (void*)path, err);
}
