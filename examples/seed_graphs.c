/* examples/seed_graphs.c — zero_init.dot and default_init.dot for the seed model. */
#include "examples/seed_graphs.h"

#include <stdlib.h>
#include <string.h>

#include "frontends/seed_problem.h"
#include "tools/analysis.h"
#include "tools/dot_export.h"
#include "tools/render.h"
#include "tools/report.h"

const char* tg_seed_graphs_dir(int argc, char** argv, char* buf, size_t cap) {
  const char* dir = argc > 1 && argv[1][0] != '\0' ? argv[1] : ".";
  const char* wd = getenv("BUILD_WORKING_DIRECTORY");
  if (dir[0] == '/' || wd == NULL || wd[0] == '\0') return dir;
  snprintf(buf, cap, "%s/%s", wd, dir);
  return buf;
}

/* One graph: model at `init` (NULL: Keras' defaults), one forward+backward, DOT (+SVG),
 * report. */
static tg_status write_case(const char* dir, const char* name, const char* title,
                            const tg_initializer* init, FILE* out, tg_error* err) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * TG_SEED_OUTPUTS];
  tg_seed_data(x, y);
  tg_model* m = tg_seed_model_new(init, 1, NULL, err);
  if (m == NULL) return err ? err->code : TG_ERR_NOMEM;
  tg_model_set_keep_gradients(m, true); /* the picture reads every value and gradient */
  float loss = 0.0f;
  if (tg_model_compute_gradients(m, x, TG_SEED_ROWS, y, &loss) != TG_OK) {
    tg_status s = tg_error_set(err, tg_model_status(m), "%s", tg_model_message(m));
    tg_model_free(m);
    return s;
  }
  char dot_path[4096], svg_path[4096];
  snprintf(dot_path, sizeof dot_path, "%s/%s.dot", dir, name);
  snprintf(svg_path, sizeof svg_path, "%s/%s.svg", dir, name);
  const tg_tape* tape = tg_model_tape(m);
  const tg_dot_options opt = {.backward = true, .tolerance = 1e-6f, .title = title};
  tg_status s = tg_dot_save(tape, &opt, dot_path, err);
  const bool render = s == TG_OK && tg_dot_available();
  if (render) s = tg_dot_render(dot_path, "svg", svg_path, err);
  tg_analysis* a = s == TG_OK ? tg_analysis_new(tape, 1e-6f, err) : NULL;
  if (a != NULL) {
    fprintf(out, "== %s ==\nwrote %s%s%s\n", title, dot_path, render ? " and " : "",
            render ? svg_path : " (install Graphviz to render it)");
    s = tg_report_write_text(a, out, err);
    fputc('\n', out);
  } else if (s == TG_OK) {
    s = err ? err->code : TG_ERR_NOMEM;
  }
  tg_analysis_free(a);
  tg_model_free(m);
  return s;
}

tg_status tg_seed_graphs_write(const char* dir, FILE* out, tg_error* err) {
  if (dir == NULL || out == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "tg_seed_graphs_write: %s is NULL",
                        dir ? "out" : "dir");
  const tg_initializer zero = tg_init_zeros();
  tg_status s =
      write_case(dir, "zero_init", "seed model, every kernel and bias = 0.0", &zero, out, err);
  if (s == TG_OK)
    s = write_case(dir, "default_init",
                   "seed model, Keras defaults (glorot_uniform kernels, zero biases)", NULL, out,
                   err);
  return s;
}
