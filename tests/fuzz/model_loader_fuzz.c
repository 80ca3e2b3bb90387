/* tests/fuzz/model_loader_fuzz.c — libFuzzer target for the model file loaders.
 *
 * For every input: the buffer, stream and path loaders agree (a model from all or
 * from none; the path and buffer loaders with the same code and message after
 * their prefixes; the stream loader, which may leave bytes after one model
 * unread, accepts whatever the buffer loader accepts); no single allocation exceeds
 * 16x the input + 1 MiB; a loaded model re-saves to exactly the input bytes (in
 * the input's format version),
 * predicts, and (when compiled) trains one step. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontends/model.h"
#include "frontends/persist.h"
#include "tests/fuzz/fuzz_alloc.h"

static char g_path[64];

int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc;
  (void)argv;
  snprintf(g_path, sizeof g_path, "/tmp/tg_fuzz_model_%ld.tgm", (long)getpid());
  return 0;
}

/* The message after "fn: " (and the path loader's "'path': "). */
static const char* after_prefix(const char* msg, const char* prefix) {
  const size_t n = strlen(prefix);
  FUZZ_CHECK(strncmp(msg, prefix, n) == 0);
  return msg + n;
}

static void exercise(tg_model* m, const uint8_t* data, size_t size) {
  tg_error err = {0};
  /* A version-1 or version-2 file re-saves to the same bytes through the writer of its
   * version; a current one through tg_model_save_buffer (byte 8 is the format version,
   * little-endian). */
  size_t (*save)(const tg_model*, void*, size_t, tg_error*) = tg_model_save_buffer;
  if (size > 8 && data[8] == 1) save = tg_model_save_buffer_v1;
  if (size > 8 && data[8] == 2) save = tg_model_save_buffer_v2;
  const size_t need = save(m, NULL, 0, &err);
  FUZZ_CHECK(need == size);
  uint8_t* again = (uint8_t*)malloc(need);
  FUZZ_CHECK(again != NULL);
  FUZZ_CHECK(save(m, again, need, &err) == need);
  FUZZ_CHECK(memcmp(again, data, size) == 0);
  free(again);
  if (tg_model_layer_count(m) < 1) return;
  const int64_t in = tg_model_input_dim(m), out = tg_model_output_dim(m);
  float* x = (float*)calloc((size_t)(2 * in), sizeof(float));
  float* y = (float*)calloc((size_t)(2 * out), sizeof(float));
  FUZZ_CHECK(x != NULL && y != NULL);
  FUZZ_CHECK(tg_model_predict(m, x, 2, y, 2 * out) == TG_OK);
  if (tg_model_optimizer(m) != NULL) {
    float loss = 0.0f;
    /* Targets of zeros (class 0 for integer labels), not the predictions left in y. */
    memset(y, 0, (size_t)(2 * out) * sizeof(float));
    const tg_status s = tg_model_train_on_batch(m, x, 2, y, &loss);
    if (s != TG_OK) fprintf(stderr, "fuzz: train_on_batch: %s\n", tg_model_message(m));
    FUZZ_CHECK(s == TG_OK);
  }
  free(x);
  free(y);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_budget budget;
  const tg_allocator alloc = fuzz_allocator(&budget, size);
  tg_model_options opt = {.allocator = &alloc};

  tg_error buf_err = {0}, path_err = {0}, stream_err = {0};
  tg_model* from_buffer = tg_model_load_buffer(data, size, &opt, &buf_err);

  FILE* f = fopen(g_path, "wb");
  FUZZ_CHECK(f != NULL);
  FUZZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
  FUZZ_CHECK(fclose(f) == 0);
  tg_model* from_path = tg_model_load(g_path, &opt, &path_err);

  f = fopen(g_path, "rb");
  FUZZ_CHECK(f != NULL);
  tg_model* from_stream = tg_model_read(f, &opt, &stream_err);
  fclose(f);

  FUZZ_CHECK((from_buffer == NULL) == (from_path == NULL));
  if (from_buffer == NULL) {
    char prefix[128];
    snprintf(prefix, sizeof prefix, "tg_model_load: '%s': ", g_path);
    FUZZ_CHECK(buf_err.code == path_err.code);
    FUZZ_CHECK(strcmp(after_prefix(buf_err.message, "tg_model_load_buffer: "),
                      after_prefix(path_err.message, prefix)) == 0);
  } else {
    FUZZ_CHECK(from_stream != NULL);
    exercise(from_buffer, data, size);
    exercise(from_path, data, size);
    exercise(from_stream, data, size);
  }
  tg_model_free(from_buffer);
  tg_model_free(from_path);
  tg_model_free(from_stream);
  return 0;
}
