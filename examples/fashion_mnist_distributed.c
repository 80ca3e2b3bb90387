/* examples/fashion_mnist_distributed.c — examples/fashion_mnist.c's MLP trained
 * data-parallel over MPI (dist/dist.h): every rank reads the data, takes its shard
 * of each global batch, and the ranks average their gradients before every step.
 *
 *   bazel build -c opt //examples:fashion_mnist_distributed
 *   mpirun --allow-run-as-root --oversubscribe -np 2 \
 *       bazel-bin/examples/fashion_mnist_distributed --epochs 5
 *
 * Options: --epochs N (5), --batch-size N (global rows per step, 128), --threads N
 * (per rank, 1), --train-rows N (the first N training images; 0: all 60,000), --data
 * DIR (/usr/share/datasets/fashion-mnist). The model is 784-256-128-10 (ReLU,
 * softmax, sparse categorical cross-entropy, Adam) without the dropout of the
 * one-process example: with dropout each rank draws masks for its own rows, and the
 * runs on different rank counts would differ by more than rounding (dist/dist.h).
 * Rank 0 prints one line per epoch and last
 *   test_loss=0.XXXX
 *   test_accuracy=0.XXXX
 * on the 10,000 test images, the same (to float rounding of the parameters) on any
 * number of ranks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/idx.h"
#include "data/scale.h"
#include "dist/dist.h"
#include "frontends/model.h"

typedef struct args {
  int epochs, threads;
  long batch, train_rows;
  const char* data;
} args;

static int parse(int argc, char** argv, args* a) {
  *a = (args){.epochs = 5, .threads = 1, .batch = 128, .data = "/usr/share/datasets/fashion-mnist"};
  for (int i = 1; i < argc; i += 2) {
    const char* k = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) return 1;
    if (strcmp(k, "--epochs") == 0)
      a->epochs = atoi(v);
    else if (strcmp(k, "--batch-size") == 0)
      a->batch = atol(v);
    else if (strcmp(k, "--threads") == 0)
      a->threads = atoi(v);
    else if (strcmp(k, "--train-rows") == 0)
      a->train_rows = atol(v);
    else if (strcmp(k, "--data") == 0)
      a->data = v;
    else
      return 1;
  }
  return a->epochs < 1 || a->batch < 1 || a->threads < 1 || a->train_rows < 0;
}

/* The images scaled to [0, 1] and the labels as floats (what fit takes for a sparse
 * loss); the first `rows` of them when rows > 0. */
static tg_status load(const args* a, const char* set, long rows, tg_dataset* ds, float** labels,
                      tg_error* err) {
  char ip[1024], lp[1024];
  snprintf(ip, sizeof ip, "%s/%s-images-idx3-ubyte.gz", a->data, set);
  snprintf(lp, sizeof lp, "%s/%s-labels-idx1-ubyte.gz", a->data, set);
  tg_status st = tg_idx_load(ip, lp, NULL, ds, err);
  if (st == TG_OK && rows > 0 && rows < ds->n) {
    tg_dataset first = {0};
    st = tg_dataset_slice(ds, 0, rows, &first, err);
    tg_dataset_free(ds);
    *ds = first;
  }
  if (st == TG_OK) st = tg_dataset_scale(ds, 1.0f / 255.0f, err);
  if (st == TG_OK && (*labels = (float*)malloc((size_t)ds->n * sizeof(float))) == NULL)
    st = tg_error_set(err, TG_ERR_NOMEM, "out of memory for %lld labels", (long long)ds->n);
  for (int64_t i = 0; st == TG_OK && i < ds->n; ++i) (*labels)[i] = (float)ds->labels[i];
  return st;
}

static tg_model* build_mlp(const args* a, tg_error* err) {
  tg_model* m = tg_sequential_new(
      &(tg_model_options){.input_dim = 784, .seed = 42, .threads = a->threads}, err);
  if (m == NULL) return NULL;
  tg_status st = tg_model_add_dense(m, (tg_dense_options){.units = 256, .activation = TG_ACT_RELU});
  if (st == TG_OK)
    st = tg_model_add_dense(m, (tg_dense_options){.units = 128, .activation = TG_ACT_RELU});
  if (st == TG_OK)
    st = tg_model_add_dense(m, (tg_dense_options){.units = 10, .activation = TG_ACT_SOFTMAX});
  if (st == TG_OK)
    st = tg_model_compile(m, (tg_loss){.kind = TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY}, NULL);
  if (st != TG_OK) {
    tg_error_set(err, st, "%s", tg_model_message(m));
    tg_model_free(m);
    return NULL;
  }
  return m;
}

static int64_t correct(const float* probs, const float* labels, int64_t n) {
  int64_t right = 0;
  for (int64_t i = 0; i < n; ++i) {
    int best = 0;
    for (int c = 1; c < 10; ++c)
      if (probs[i * 10 + c] > probs[i * 10 + best]) best = c;
    right += best == (int)labels[i];
  }
  return right;
}

int main(int argc, char** argv) {
  tg_error err = {0};
  if (tg_dist_init(&argc, &argv, &err) != TG_OK) {
    fprintf(stderr, "fashion_mnist_distributed: %s\n", err.message);
    return 1;
  }
  args a;
  if (parse(argc, argv, &a)) {
    fprintf(stderr,
            "usage: fashion_mnist_distributed [--epochs N] [--batch-size N] [--threads N] "
            "[--train-rows N] [--data DIR]\n");
    tg_dist_finalize();
    return 2;
  }
  tg_dataset train = {0}, test = {0};
  float *y = NULL, *ty = NULL, *probs = NULL;
  tg_model* m = NULL;
  tg_dist* d = NULL;
  int rc = 1;
  if (load(&a, "train", a.train_rows, &train, &y, &err) != TG_OK ||
      load(&a, "t10k", 0, &test, &ty, &err) != TG_OK || (m = build_mlp(&a, &err)) == NULL ||
      (d = tg_dist_new(m, &(tg_dist_options){.seed = 7}, &err)) == NULL) {
    fprintf(stderr, "fashion_mnist_distributed: %s\n", err.message);
    goto done;
  }
  const bool root = tg_dist_rank(d) == 0;
  if (root)
    printf("fashion_mnist_distributed: %d ranks, %lld training images, global batch %ld\n",
           tg_dist_size(d), (long long)train.n, a.batch);
  float loss = 0.0f;
  probs = (float*)malloc((size_t)test.n * 10 * sizeof(float));
  if (probs == NULL ||
      tg_dist_fit(d, train.x, train.n, y,
                  &(tg_dist_fit_options){
                      .epochs = a.epochs, .batch_size = a.batch, .verbose = 2, .out = stdout}) !=
          TG_OK ||
      tg_dist_evaluate(d, test.x, test.n, ty, &loss) != TG_OK ||
      tg_dist_predict(d, test.x, test.n, probs, test.n * 10) != TG_OK) {
    fprintf(stderr, "fashion_mnist_distributed: %s\n",
            probs ? tg_dist_message(d) : "out of memory");
    goto done;
  }
  if (root)
    printf("test_loss=%.4f\ntest_accuracy=%.4f\n", (double)loss,
           (double)correct(probs, ty, test.n) / (double)test.n);
  rc = 0;
done:
  free(probs);
  free(y);
  free(ty);
  tg_dist_free(d);
  tg_model_free(m);
  tg_dataset_free(&train);
  tg_dataset_free(&test);
  tg_dist_finalize();
  return rc;
}
