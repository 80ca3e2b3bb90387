/* examples/fashion_mnist.c — Fashion-MNIST end to end, as a Keras user writes it:
 * read the IDX files, scale the pixels, build a model, compile it with a metric, fit
 * with a validation split, a progress bar and a CSV log, evaluate on the 10,000 test
 * images, print the confusion matrix, and draw the training curves as SVG.
 *
 *   bazel run -c opt //examples:fashion_mnist -- --model mlp --epochs 20
 *
 * Options: --model mlp|cnn, --epochs N (mlp 20, cnn 15), --batch-size N (128),
 * --threads N (2), --validation-split F (0.1), --data DIR
 * (/usr/share/datasets/fashion-mnist, from Debian's dataset-fashion-mnist), --out DIR
 * (fashion_mnist_out in the directory bazel run was called from): history.csv and the
 * charts go there.
 * Adam's learning rate follows a cosine decay over the run (a per-step schedule).
 * The last line is "test_accuracy=0.XXXX".
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/confusion.h"
#include "data/idx.h"
#include "data/metrics.h"
#include "data/scale.h"
#include "frontends/callbacks.h"
#include "frontends/fit.h"
#include "frontends/model.h"
#include "tools/plot.h"

static const char* const kClasses[10] = {"T-shirt", "Trouser", "Pullover", "Dress", "Coat",
                                         "Sandal",  "Shirt",   "Sneaker",  "Bag",   "Boot"};

typedef struct args {
  const char* model;
  int epochs, threads;
  long batch;
  float validation_split;
  const char* data;
  char out[1024];
} args;

static int usage(const char* why) {
  fprintf(stderr,
          "fashion_mnist: %s\nusage: fashion_mnist [--model mlp|cnn] [--epochs N] "
          "[--batch-size N] [--threads N] [--validation-split F] [--data DIR] [--out DIR]\n",
          why);
  return 2;
}

static int parse(int argc, char** argv, args* a) {
  a->model = "mlp";
  a->epochs = -1; /* the model's own default, below */
  a->threads = 2;
  a->batch = 128;
  a->validation_split = 0.1f;
  a->data = "/usr/share/datasets/fashion-mnist";
  const char* wd = getenv("BUILD_WORKING_DIRECTORY");
  snprintf(a->out, sizeof a->out, "%s%sfashion_mnist_out", wd ? wd : "", wd ? "/" : "");
  for (int i = 1; i < argc; ++i) {
    const char* k = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) return usage("an option needs a value");
    if (strcmp(k, "--model") == 0)
      a->model = v;
    else if (strcmp(k, "--epochs") == 0)
      a->epochs = atoi(v);
    else if (strcmp(k, "--batch-size") == 0)
      a->batch = atol(v);
    else if (strcmp(k, "--threads") == 0)
      a->threads = atoi(v);
    else if (strcmp(k, "--validation-split") == 0)
      a->validation_split = (float)atof(v);
    else if (strcmp(k, "--data") == 0)
      a->data = v;
    else if (strcmp(k, "--out") == 0)
      snprintf(a->out, sizeof a->out, "%s", v);
    else
      return usage("unknown option");
    ++i;
  }
  if (strcmp(a->model, "mlp") != 0 && strcmp(a->model, "cnn") != 0)
    return usage("--model is mlp or cnn");
  if (a->epochs == -1) a->epochs = strcmp(a->model, "cnn") == 0 ? 15 : 20;
  if (a->epochs < 1 || a->batch < 1 || a->threads < 1) return usage("bad number");
  return 0;
}

static int load(const args* a, const char* images, const char* labels, tg_dataset* ds) {
  char ip[1024], lp[1024];
  snprintf(ip, sizeof ip, "%s/%s", a->data, images);
  snprintf(lp, sizeof lp, "%s/%s", a->data, labels);
  tg_error err = {0};
  if (tg_idx_load(ip, lp, NULL, ds, &err) != TG_OK ||
      tg_dataset_scale(ds, 1.0f / 255.0f, &err) != TG_OK) {
    fprintf(stderr, "fashion_mnist: %s\n", err.message);
    return 1;
  }
  return 0;
}

/* 784-256-128-10 with ReLU and dropout, softmax output. */
static tg_model* build_mlp(const args* a, tg_error* err) {
  tg_model* m = tg_sequential_new(
      &(tg_model_options){.input_dim = 784, .seed = 42, .threads = a->threads}, err);
  if (m == NULL) return NULL;
  tg_status st = tg_model_add_dense(m, (tg_dense_options){.units = 256, .activation = TG_ACT_RELU});
  if (st == TG_OK)
    st = tg_model_add(m, &tg_layer_dropout, &(tg_dropout_layer_options){.rate = 0.2f});
  if (st == TG_OK)
    st = tg_model_add_dense(m, (tg_dense_options){.units = 128, .activation = TG_ACT_RELU});
  if (st == TG_OK)
    st = tg_model_add(m, &tg_layer_dropout, &(tg_dropout_layer_options){.rate = 0.2f});
  if (st == TG_OK)
    st = tg_model_add_dense(m, (tg_dense_options){.units = 10, .activation = TG_ACT_SOFTMAX});
  if (st != TG_OK) {
    tg_error_set(err, st, "%s", tg_model_message(m));
    tg_model_free(m);
    return NULL;
  }
  return m;
}

/* Keras' small Fashion-MNIST CNN on 28x28x1 images (NHWC): two 3x3 ReLU
 * convolutions, each followed by batch normalization and 2x2 max pooling, then
 * dropout, a 128-unit ReLU layer, dropout and the softmax output. */
static tg_model* build_cnn(const args* a, tg_error* err) {
  /* Evaluate and predict at batch 1000 would record a 1000-image forward: with
   * inference_rows they run in chunks of at most a training batch through one tape. */
  tg_model* m =
      tg_sequential_new(&(tg_model_options){.input_shape = {.rank = 3, .dim = {28, 28, 1}},
                                            .seed = 42,
                                            .threads = a->threads,
                                            .inference_rows = a->batch},
                        err);
  if (m == NULL) return NULL;
  const tg_conv2d_layer_options c1 = {
      .filters = 32, .kernel_size = {3, 3}, .padding = TG_PADDING_SAME, .activation = TG_ACT_RELU};
  const tg_conv2d_layer_options c2 = {
      .filters = 64, .kernel_size = {3, 3}, .padding = TG_PADDING_SAME, .activation = TG_ACT_RELU};
  const tg_pool2d_layer_options pool = {.pool_size = {2, 2}};
  /* Momentum 0.9 (PyTorch's default), not Keras' 0.99: the moving variance starts at
   * 1 while the first block's ReLU outputs vary by ~1e-3, and at 0.99 the start still
   * outweighs the data after one epoch (0.99^422 = 0.014), so a model evaluated after
   * a short run normalises with a variance several times too large (README.md,
   * Fashion-MNIST, has what that costs; PyTorch at 0.99 does the same). */
  const tg_batch_norm_layer_options bn = {.momentum = 0.9f, .epsilon = 1e-3f};
  tg_status st = tg_model_add(m, &tg_layer_conv2d, &c1);
  if (st == TG_OK) st = tg_model_add(m, &tg_layer_batch_normalization, &bn);
  if (st == TG_OK) st = tg_model_add(m, &tg_layer_max_pooling2d, &pool);
  if (st == TG_OK) st = tg_model_add(m, &tg_layer_conv2d, &c2);
  if (st == TG_OK) st = tg_model_add(m, &tg_layer_batch_normalization, &bn);
  if (st == TG_OK) st = tg_model_add(m, &tg_layer_max_pooling2d, &pool);
  if (st == TG_OK) st = tg_model_add(m, &tg_layer_flatten, NULL);
  if (st == TG_OK)
    st = tg_model_add(m, &tg_layer_dropout, &(tg_dropout_layer_options){.rate = 0.25f});
  if (st == TG_OK)
    st = tg_model_add_dense(m, (tg_dense_options){.units = 128, .activation = TG_ACT_RELU});
  if (st == TG_OK)
    st = tg_model_add(m, &tg_layer_dropout, &(tg_dropout_layer_options){.rate = 0.5f});
  if (st == TG_OK)
    st = tg_model_add_dense(m, (tg_dense_options){.units = 10, .activation = TG_ACT_SOFTMAX});
  if (st != TG_OK) {
    tg_error_set(err, st, "%s", tg_model_message(m));
    tg_model_free(m);
    return NULL;
  }
  return m;
}

int main(int argc, char** argv) {
  args a;
  int rc = parse(argc, argv, &a);
  if (rc) return rc;
  tg_error err = {0};
  tg_model* m = strcmp(a.model, "cnn") == 0 ? build_cnn(&a, &err) : build_mlp(&a, &err);
  if (m == NULL) {
    fprintf(stderr, "fashion_mnist: %s\n", err.message);
    return 1;
  }
  tg_dataset train = {0}, test = {0};
  if (load(&a, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", &train) ||
      load(&a, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", &test)) {
    tg_model_free(m);
    tg_dataset_free(&train);
    return 1;
  }
  if (mkdir(a.out, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "fashion_mnist: cannot create %s: %s\n", a.out, strerror(errno));
    return 1;
  }
  char csv[1100];
  snprintf(csv, sizeof csv, "%s/history.csv", a.out);

  const char* metrics[] = {"accuracy"};
  tg_status st = tg_model_compile_metrics(
      m, (tg_loss){.kind = TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY}, NULL, metrics, 1);
  if (st == TG_OK) st = tg_model_summary(m, stdout);
  tg_callback* logger =
      tg_csv_logger_new(&(tg_csv_logger_options){.path = csv, .grad_norms = true}, &err);
  /* Cosine decay of Adam's 1e-3 over every step of the run, to 1% of it at the end. */
  const int64_t n_fit = (int64_t)((double)train.n * (1.0 - (double)a.validation_split));
  const tg_schedule cosine = {.kind = TG_SCHEDULE_COSINE,
                              .initial = 1e-3,
                              .decay_steps = a.epochs * ((n_fit + a.batch - 1) / a.batch),
                              .alpha = 0.01};
  tg_callback* schedule =
      tg_lr_scheduler_new(&(tg_lr_scheduler_options){.schedule = &cosine, .per_step = true}, &err);
  tg_callback* cbs[] = {logger, schedule};
  if (st == TG_OK && (logger == NULL || schedule == NULL)) {
    fprintf(stderr, "fashion_mnist: %s\n", err.message);
    st = TG_ERR_ARG;
  }
  if (st == TG_OK)
    st = tg_model_fit_dataset(m, &train, NULL,
                              &(tg_fit_options){.epochs = a.epochs,
                                                .batch_size = a.batch,
                                                .validation_split = a.validation_split,
                                                .verbose = 1,
                                                .out = stdout,
                                                .callbacks = cbs,
                                                .n_callbacks = 2});
  tg_evaluation ev = {0};
  if (st == TG_OK) {
    printf("Evaluating on the %lld test images\n", (long long)test.n);
    st = tg_model_evaluate_dataset(
        m, &test, &(tg_evaluate_options){.batch_size = 1000, .verbose = 1, .out = stdout}, &ev);
  }
  float* probs = st == TG_OK ? (float*)malloc((size_t)test.n * 10 * sizeof(float)) : NULL;
  if (st == TG_OK && probs == NULL) st = TG_ERR_NOMEM;
  if (st == TG_OK) st = tg_model_predict_batched(m, test.x, test.n, 1000, probs, test.n * 10);
  if (st != TG_OK) {
    fprintf(stderr, "fashion_mnist: %s\n", tg_model_message(m));
  } else {
    tg_confusion c;
    if (tg_confusion_init(&c, 10, NULL, &err) == TG_OK &&
        tg_confusion_add_predictions(&c, probs, test.labels, test.n, &err) == TG_OK) {
      printf("Confusion matrix (rows: true class, columns: predicted):\n");
      tg_confusion_print(&c, kClasses, stdout);
    } else {
      fprintf(stderr, "fashion_mnist: %s\n", err.message);
    }
    tg_confusion_free(&c);
    int charts = 0;
    if (tg_plot_history(csv, a.out, &charts, &err) == TG_OK)
      printf("wrote %s and %d charts (loss.svg, accuracy.svg, grad_norm.svg) in %s\n", csv, charts,
             a.out);
    else
      fprintf(stderr, "fashion_mnist: %s\n", err.message);
    printf("test_loss=%.4f\ntest_accuracy=%.4f\n", ev.loss, ev.metrics[0]);
  }
  free(probs);
  tg_callback_free(logger);
  tg_callback_free(schedule);
  tg_dataset_free(&train);
  tg_dataset_free(&test);
  tg_model_free(m);
  return st == TG_OK ? 0 : 1;
}
