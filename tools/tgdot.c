/* tools/tgdot.c — build a model from a short spec (or load a saved one), run one
 * forward+backward on data, and draw the gradient graph (DOT) and/or print the
 * gradient analysis.
 *
 *   bazel run //tools:tgdot -- 1-16r-16r-2 --init zeros -o zero.dot --render svg
 *   bazel run //tools:tgdot -- 1-16r-16r-2 --report text
 *   bazel run //tools:tgdot -- 1-16r-16r-2 --train 500 --save seed.tgm
 *   bazel run //tools:tgdot -- --load seed.tgm --train 500 --report text
 *
 * Exit status: 0 on success, 1 when something fails, 2 for bad usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontends/persist.h"
#include "frontends/seed_problem.h"
#include "tools/analysis.h"
#include "tools/csv.h"
#include "tools/dot_export.h"
#include "tools/model_spec.h"
#include "tools/render.h"
#include "tools/report.h"

static const char kUsage[] =
    "usage: tgdot SPEC [options]\n"
    "       tgdot --load FILE [options]\n"
    "\n"
    "Builds a Dense model, runs one forward+backward pass on data and writes the\n"
    "gradient graph as Graphviz DOT (and/or prints the gradient analysis).\n"
    "\n"
    "  SPEC                input width, then one Dense layer per '-'-separated token:\n"
    "                      units followed by r=relu, s=sigmoid, t=tanh, or l/nothing=linear.\n"
    "                      1-16r-16r-2 is the seed model (1 -> 16 relu -> 16 relu -> 2)\n"
    "  --init NAME         kernel and bias initializer: zeros, ones, constant:V,\n"
    "                      random_uniform, random_normal, truncated_normal (Keras'\n"
    "                      defaults), glorot_uniform, glorot_normal, he_uniform, he_normal,\n"
    "                      lecun_uniform, lecun_normal, or default (glorot_uniform\n"
    "                      kernels, zero biases, as Keras; the default)\n"
    "  --bias-init NAME    bias initializer (default: the same as --init)\n"
    "  --seed N            seed of the random initializers (default 1)\n"
    "  --csv FILE          data: one sample per line, inputs then targets, comma-separated;\n"
    "                      '#' lines are skipped (default: the seed's 10 samples,\n"
    "                      x = i/10, y = [0.1, 0.01 i])\n"
    "  --train N           Adam steps (lr 0.001, eps 1e-8) before the picture (default 0)\n"
    "  --load FILE         start from a model saved by --save or tg_model_save instead of\n"
    "                      SPEC: its weights, and its loss and optimizer state when it was\n"
    "                      saved compiled (else MSE and Adam as above); no --init, --seed\n"
    "  --save FILE         save the model after the --train steps (tapegrad model file)\n"
    "  -o FILE             write the DOT to FILE (default: standard output, unless --report)\n"
    "  --report text|json  print the gradient analysis on standard output\n"
    "  --backward          also draw the gradient flow (VJP edges) back to the parameters\n"
    "  --kernels           name the kernel each matrix product runs (CPU-dependent)\n"
    "  --tolerance T       tolerance of the symmetry analysis (default 1e-06)\n"
    "  --table-max N       largest matrix side drawn cell by cell (default 32)\n"
    "  --render svg|png    run Graphviz' dot on FILE (needs -o and dot on PATH)\n"
    "  -h, --help          this text\n";

typedef struct args {
  const char* spec;
  const char* init;
  const char* bias_init;
  uint64_t seed;
  const char* csv;
  long train;
  const char* out;
  const char* report;
  bool backward;
  bool kernels;
  float tolerance;
  int table_max;
  const char* render;
  const char* load;
  const char* save;
  const char* weights_option; /* --init, --bias-init or --seed as typed, if any */
} args;

static int usage_error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "tgdot: <message>" and a hint; returns the usage exit status. */
static int usage_error(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("tgdot: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\n(run tgdot --help for the syntax)\n", stderr);
  return 2;
}

static bool parse_long(const char* s, long lo, long hi, long* out) {
  char* end = NULL;
  errno = 0;
  const long v = strtol(s, &end, 10);
  if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi) return false;
  *out = v;
  return true;
}

/* Returns 0 when parsed, else the exit status (usage already printed). */
static int parse_args(int argc, char** argv, args* a) {
  memset(a, 0, sizeof *a);
  a->init = "default";
  a->seed = 1;
  a->tolerance = 1e-6f;
  a->table_max = 32;
  for (int i = 1; i < argc; ++i) {
    const char* o = argv[i];
    if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
      fputs(kUsage, stdout);
      return -1;
    }
    if (strcmp(o, "--backward") == 0) {
      a->backward = true;
      continue;
    }
    if (strcmp(o, "--kernels") == 0) {
      a->kernels = true;
      continue;
    }
    if (o[0] != '-') {
      if (a->spec != NULL)
        return usage_error("unexpected argument '%s' (the spec is '%s')", o, a->spec);
      a->spec = o;
      continue;
    }
    static const char* const kWithValue[] = {
        "--init",   "--bias-init", "--seed",      "--csv",    "--train", "-o",
        "--report", "--tolerance", "--table-max", "--render", "--load",  "--save"};
    bool known = false;
    for (size_t k = 0; k < sizeof kWithValue / sizeof kWithValue[0]; ++k)
      known = known || strcmp(o, kWithValue[k]) == 0;
    if (!known) return usage_error("unknown option '%s'", o);
    if (i + 1 >= argc) return usage_error("option %s needs a value", o);
    const char* v = argv[++i];
    long n = 0;
    if (strcmp(o, "--init") == 0 || strcmp(o, "--bias-init") == 0 || strcmp(o, "--seed") == 0)
      a->weights_option = o;
    if (strcmp(o, "--load") == 0)
      a->load = v;
    else if (strcmp(o, "--save") == 0)
      a->save = v;
    else if (strcmp(o, "--init") == 0)
      a->init = v;
    else if (strcmp(o, "--bias-init") == 0)
      a->bias_init = v;
    else if (strcmp(o, "--csv") == 0)
      a->csv = v;
    else if (strcmp(o, "-o") == 0)
      a->out = v;
    else if (strcmp(o, "--seed") == 0) {
      char* end = NULL;
      errno = 0;
      a->seed = strtoull(v, &end, 10);
      if (end == v || *end != '\0' || errno != 0 || v[0] == '-')
        return usage_error("--seed needs a non-negative integer, got '%s'", v);
    } else if (strcmp(o, "--train") == 0) {
      if (!parse_long(v, 0, 100000000, &n))
        return usage_error("--train needs a step count 0..100000000, got '%s'", v);
      a->train = n;
    } else if (strcmp(o, "--table-max") == 0) {
      if (!parse_long(v, -1, 1024, &n))
        return usage_error("--table-max needs an integer -1..1024, got '%s'", v);
      a->table_max = n == 0 ? -1 : (int)n;
    } else if (strcmp(o, "--tolerance") == 0) {
      char* end = NULL;
      const float t = strtof(v, &end);
      if (end == v || *end != '\0' || !isfinite(t) || t < 0.0f)
        return usage_error("--tolerance needs a finite number >= 0, got '%s'", v);
      a->tolerance = t;
    } else if (strcmp(o, "--report") == 0) {
      if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0)
        return usage_error("--report must be text or json, got '%s'", v);
      a->report = v;
    } else {
      if (strcmp(v, "svg") != 0 && strcmp(v, "png") != 0)
        return usage_error("--render must be svg or png, got '%s'", v);
      a->render = v;
    }
  }
  if (a->spec != NULL && a->load != NULL)
    return usage_error("give either a model spec ('%s') or --load %s, not both", a->spec, a->load);
  if (a->load != NULL && a->weights_option != NULL)
    return usage_error("%s has no effect with --load (the file holds the weights)",
                       a->weights_option);
  if (a->spec == NULL && a->load == NULL)
    return usage_error("missing the model spec (e.g. 1-16r-16r-2) or --load FILE");
  if (a->render != NULL && a->out == NULL)
    return usage_error("--render %s needs -o FILE for the DOT", a->render);
  return 0;
}

/* Under `bazel run` the working directory is the runfiles tree: relative paths the
 * user typed mean their own directory, which Bazel passes in BUILD_WORKING_DIRECTORY. */
static const char* user_path(const char* path, char* buf, size_t cap) {
  const char* wd = getenv("BUILD_WORKING_DIRECTORY");
  if (path[0] == '/' || strcmp(path, "-") == 0 || wd == NULL || wd[0] == '\0') return path;
  snprintf(buf, cap, "%s/%s", wd, path);
  return buf;
}

/* The data: the CSV file, or the seed's samples when they fit the model (`what` is
 * the spec or the loaded file, for messages). */
static int load_data(const args* a, const char* what, int64_t n_in, int64_t n_out, tg_csv_data* d) {
  if (a->csv != NULL) {
    char buf[4096];
    tg_error err = {0};
    if (tg_csv_read(user_path(a->csv, buf, sizeof buf), n_in, n_out, d, &err) != TG_OK) {
      fprintf(stderr, "tgdot: %s\n", err.message);
      return 1;
    }
    return 0;
  }
  if (n_in != 1 || n_out != TG_SEED_OUTPUTS) {
    fprintf(stderr,
            "tgdot: the default data (the seed's 10 samples) has 1 input and 2 targets, but "
            "'%s' has %lld inputs and %lld outputs: give --csv FILE\n",
            what, (long long)n_in, (long long)n_out);
    return 1;
  }
  d->rows = TG_SEED_ROWS;
  d->x = (float*)malloc(TG_SEED_ROWS * sizeof(float));
  d->y = (float*)malloc(TG_SEED_ROWS * TG_SEED_OUTPUTS * sizeof(float));
  if (d->x == NULL || d->y == NULL) {
    fputs("tgdot: out of memory\n", stderr);
    return 1;
  }
  tg_seed_data(d->x, d->y);
  return 0;
}

static int write_outputs(const args* a, tg_model* m, const char* title) {
  const tg_tape* tape = tg_model_tape(m);
  tg_dot_options opt = {.backward = a->backward,
                        .tolerance = a->tolerance,
                        .table_max = a->table_max,
                        .title = title,
                        .kernels = a->kernels};
  tg_error err = {0};
  if (a->out != NULL) {
    char path[4096];
    const char* p = user_path(a->out, path, sizeof path);
    if (tg_dot_save(tape, &opt, p, &err) != TG_OK) {
      fprintf(stderr, "tgdot: %s\n", err.message);
      return 1;
    }
    fprintf(stderr, "tgdot: wrote %s\n", a->out);
    if (a->render != NULL) {
      char shown[4096], rendered[4096];
      const size_t len = strlen(a->out);
      const bool dot_suffix = len > 4 && strcmp(a->out + len - 4, ".dot") == 0;
      snprintf(shown, sizeof shown, "%.*s.%s", (int)(dot_suffix ? len - 4 : len), a->out,
               a->render);
      if (tg_dot_render(p, a->render, user_path(shown, rendered, sizeof rendered), &err) != TG_OK) {
        fprintf(stderr, "tgdot: %s\n", err.message);
        return 1;
      }
      fprintf(stderr, "tgdot: rendered %s\n", shown);
    }
  } else if (a->report == NULL) {
    if (tg_dot_write(tape, &opt, stdout, &err) != TG_OK) {
      fprintf(stderr, "tgdot: %s\n", err.message);
      return 1;
    }
  }
  if (a->report != NULL) {
    tg_analysis* an = tg_analysis_new(tape, a->tolerance, &err);
    const bool json = strcmp(a->report, "json") == 0;
    if (an == NULL || (json ? tg_report_write_json(an, stdout, &err)
                            : tg_report_write_text(an, stdout, &err)) != TG_OK) {
      fprintf(stderr, "tgdot: %s\n", err.message);
      tg_analysis_free(an);
      return 1;
    }
    tg_analysis_free(an);
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "tgdot: writing to standard output failed: %s\n",
            strerror(errno != 0 ? errno : EIO));
    return 1;
  }
  return 0;
}

/* Keras' names, plus "default": each parameter gets its Dense default. */
static tg_status parse_init(const char* text, tg_initializer* out, tg_error* err) {
  if (strcmp(text, "default") == 0) {
    *out = tg_init_of_kind(TG_INIT_DEFAULT);
    return TG_OK;
  }
  return tg_initializer_parse(text, out, err);
}

/* The model saved at --load, compiled as a spec's model is when it was saved before
 * compile. Returns 0 or the exit status (message printed). */
static int load_model(const args* a, tg_model** out, char* title, size_t cap) {
  char buf[4096];
  tg_error err = {0};
  tg_model* m = tg_model_load(user_path(a->load, buf, sizeof buf), NULL, &err);
  if (m == NULL) {
    fprintf(stderr, "tgdot: %s\n", err.message);
    return 1;
  }
  if (tg_model_layer_count(m) == 0) {
    fprintf(stderr, "tgdot: '%s' holds a model without layers: nothing to draw\n", a->load);
    tg_model_free(m);
    return 1;
  }
  const tg_optimizer_options adam = {.kind = TG_OPT_ADAM, .epsilon = 1e-8f};
  if (tg_model_optimizer(m) == NULL &&
      tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE}, &adam) != TG_OK) {
    fprintf(stderr, "tgdot: %s\n", tg_model_message(m));
    tg_model_free(m);
    return 1;
  }
  snprintf(title, cap, "tgdot --load %s --train %ld", a->load, a->train);
  *out = m;
  return 0;
}

/* The model the spec describes. Returns 0 or the exit status (message printed). */
static int build_model(const args* a, tg_model** out, char* title, size_t cap) {
  tg_error err = {0};
  tg_model_spec spec;
  tg_initializer kernel, bias;
  if (tg_model_spec_parse(a->spec, &spec, &err) != TG_OK ||
      parse_init(a->init, &kernel, &err) != TG_OK ||
      parse_init(a->bias_init ? a->bias_init : a->init, &bias, &err) != TG_OK) {
    fprintf(stderr, "tgdot: %s\n", err.message);
    return 2;
  }
  tg_model* m = tg_model_spec_build(&spec, &kernel, &bias, a->seed, &err);
  if (m == NULL) {
    fprintf(stderr, "tgdot: %s\n", err.message);
    return 1;
  }
  char spec_text[512];
  snprintf(title, cap, "tgdot %s --init %s%s%s --seed %llu --train %ld",
           tg_model_spec_format(&spec, spec_text, sizeof spec_text), a->init,
           a->bias_init ? " --bias-init " : "", a->bias_init ? a->bias_init : "",
           (unsigned long long)a->seed, a->train);
  *out = m;
  return 0;
}

static int run(const args* a) {
  tg_model* m = NULL;
  char title[600];
  int rc =
      a->load ? load_model(a, &m, title, sizeof title) : build_model(a, &m, title, sizeof title);
  if (rc != 0) return rc;
  tg_csv_data d = {0};
  rc = load_data(a, a->load ? a->load : a->spec, tg_model_input_dim(m), tg_model_output_dim(m), &d);
  if (rc != 0) {
    tg_csv_data_free(&d);
    tg_model_free(m);
    return rc;
  }
  tg_status st = TG_OK;
  for (long s = 0; s < a->train && st == TG_OK; ++s)
    st = tg_model_train_on_batch(m, d.x, d.rows, d.y, NULL);
  if (st == TG_OK && a->save != NULL) {
    char buf[4096];
    tg_error err = {0};
    if (tg_model_save(m, user_path(a->save, buf, sizeof buf), &err) != TG_OK) {
      fprintf(stderr, "tgdot: %s\n", err.message);
      tg_model_free(m);
      tg_csv_data_free(&d);
      return 1;
    }
    fprintf(stderr, "tgdot: saved %s\n", a->save);
  }
  /* The picture needs gradients of the parameters as they are now, not of the
   * values before the last step: one more forward+backward without an update. */
  float loss = 0.0f;
  tg_model_set_keep_gradients(m, true); /* the picture reads every value and gradient */
  if (st == TG_OK) st = tg_model_compute_gradients(m, d.x, d.rows, d.y, &loss);
  if (st != TG_OK) {
    fprintf(stderr, "tgdot: %s\n", tg_model_message(m));
    rc = 1;
  } else {
    rc = write_outputs(a, m, title);
  }
  tg_model_free(m);
  tg_csv_data_free(&d);
  return rc;
}

int main(int argc, char** argv) {
  args a;
  const int rc = parse_args(argc, argv, &a);
  if (rc != 0) return rc < 0 ? 0 : rc;
  return run(&a);
}
