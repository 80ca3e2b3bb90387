/* tests/fuzz/make_corpus.c — writes the model-file seeds of the loader's corpus
 * (tests/fuzz/corpus/model_loader/): models of every layer option, loss and
 * optimizer the format holds, compiled or not, trained a few steps so their
 * optimizer state is not zero. Run by `tests/fuzz/run.sh --make-corpus`. */
#include <stdio.h>
#include <string.h>

#include "frontends/fit.h"
#include "frontends/model.h"
#include "frontends/persist.h"

static int save(tg_model* m, const char* dir, const char* name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.tgm", dir, name);
  tg_error err = {0};
  if (tg_model_save(m, path, &err) != TG_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  return 0;
}

static tg_model* build(int64_t in, const int64_t* units, const tg_activation* act, int n,
                       bool no_bias_last) {
  tg_error err = {0};
  tg_model* m = tg_sequential_new(&(tg_model_options){.input_dim = in, .seed = 5}, &err);
  for (int i = 0; m && i < n; ++i)
    tg_model_add_dense(
        m, (tg_dense_options){
               .units = units[i], .activation = act[i], .no_bias = no_bias_last && i == n - 1});
  return m;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_corpus DIR\n");
    return 2;
  }
  const char* dir = argv[1];
  int bad = 0;
  const int64_t seed_units[] = {16, 16, 2};
  const tg_activation seed_act[] = {TG_ACT_RELU, TG_ACT_RELU, TG_ACT_LINEAR};
  tg_model* m = build(1, seed_units, seed_act, 3, false);
  bad |= save(m, dir, "seed_bare");
  tg_model_free(m);

  const float x[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
  const float y[12] = {0.1f, 0.9f, 0.0f, 0.2f, 0.8f, 0.0f, 0.3f, 0.7f, 0.0f, 0.4f, 0.6f, 0.0f};
  const struct {
    const char* name;
    tg_loss loss;
    tg_optimizer_options opt;
    tg_activation last;
  } cases[] = {
      {"adam_mse", {.kind = TG_LOSS_MSE}, {.kind = TG_OPT_ADAM}, TG_ACT_LINEAR},
      {"adam_amsgrad_mae",
       {.kind = TG_LOSS_MAE},
       {.kind = TG_OPT_ADAM, .amsgrad = true},
       TG_ACT_TANH},
      {"sgd_nesterov_bce",
       {.kind = TG_LOSS_BINARY_CROSSENTROPY},
       {.kind = TG_OPT_SGD, .momentum = 0.9f, .nesterov = true, .decay = 0.01f},
       TG_ACT_SIGMOID},
      {"rmsprop_cce",
       {.kind = TG_LOSS_CATEGORICAL_CROSSENTROPY},
       {.kind = TG_OPT_RMSPROP},
       TG_ACT_SOFTMAX},
      {"sgd_logits_bce",
       {.kind = TG_LOSS_BINARY_CROSSENTROPY, .from_logits = true},
       {.kind = TG_OPT_SGD},
       TG_ACT_LINEAR},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
    const int64_t units[] = {4, 3};
    const tg_activation act[] = {TG_ACT_RELU, cases[c].last};
    m = build(2, units, act, 2, c == 2);
    if (m == NULL || tg_model_compile(m, cases[c].loss, &cases[c].opt) != TG_OK) {
      fprintf(stderr, "%s: %s\n", cases[c].name, m ? tg_model_message(m) : "no model");
      bad = 1;
    }
    for (int s = 0; s < 3; ++s) tg_model_train_on_batch(m, x, 4, y, NULL);
    bad |= save(m, dir, cases[c].name);
    tg_model_free(m);
  }
  /* Version 3's metric names after the optimizer state. */
  const int64_t units[] = {4, 3};
  const tg_activation act[] = {TG_ACT_RELU, TG_ACT_SOFTMAX};
  const char* metrics[] = {"accuracy", "top_k_categorical_accuracy", "mse"};
  m = build(2, units, act, 2, false);
  if (m == NULL ||
      tg_model_compile_metrics(m, (tg_loss){.kind = TG_LOSS_CATEGORICAL_CROSSENTROPY},
                               &(tg_optimizer_options){.kind = TG_OPT_ADAM}, metrics, 3) != TG_OK) {
    fprintf(stderr, "adam_cce_metrics: %s\n", m ? tg_model_message(m) : "no model");
    bad = 1;
  }
  for (int s = 0; s < 3; ++s) tg_model_train_on_batch(m, x, 4, y, NULL);
  bad |= save(m, dir, "adam_cce_metrics");
  tg_model_free(m);
  return bad;
}
