/* tests/fuzz/csv_reader_fuzz.c — libFuzzer target for tools/csv.c. The first two
 * bytes choose the column counts (1..4 inputs, 1..3 targets), the rest is the file.
 * On success every value is finite and there is at least one row; on failure the
 * output is empty and the message names the reader. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_alloc.h"
#include "tools/csv.h"

static char g_path[64];

int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc;
  (void)argv;
  snprintf(g_path, sizeof g_path, "/tmp/tg_fuzz_csv_%ld.csv", (long)getpid());
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int64_t n_in = 1 + data[0] % 4, n_out = 1 + data[1] % 3;
  FILE* f = fopen(g_path, "wb");
  FUZZ_CHECK(f != NULL);
  FUZZ_CHECK(size == 2 || fwrite(data + 2, 1, size - 2, f) == size - 2);
  FUZZ_CHECK(fclose(f) == 0);
  tg_csv_data d;
  tg_error err = {0};
  const tg_status s = tg_csv_read(g_path, n_in, n_out, &d, &err);
  if (s != TG_OK) {
    FUZZ_CHECK(d.rows == 0 && d.x == NULL && d.y == NULL);
    FUZZ_CHECK(strncmp(err.message, "tg_csv_read: ", 13) == 0);
    return 0;
  }
  FUZZ_CHECK(d.rows >= 1);
  for (int64_t i = 0; i < d.rows * n_in; ++i) FUZZ_CHECK(isfinite(d.x[i]));
  for (int64_t i = 0; i < d.rows * n_out; ++i) FUZZ_CHECK(isfinite(d.y[i]));
  tg_csv_data_free(&d);
  return 0;
}
