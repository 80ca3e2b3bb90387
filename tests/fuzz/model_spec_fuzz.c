/* tests/fuzz/model_spec_fuzz.c — libFuzzer target for tools/model_spec.c. A spec
 * that parses formats to a canonical text that parses to the same spec (and
 * formats the same again); one small enough is built into a model. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_alloc.h"
#include "tools/model_spec.h"

static int same_spec(const tg_model_spec* a, const tg_model_spec* b) {
  if (a->input_dim != b->input_dim || a->n_layers != b->n_layers) return 0;
  for (int i = 0; i < a->n_layers; ++i)
    if (a->units[i] != b->units[i] || a->activation[i] != b->activation[i]) return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char* text = (char*)malloc(size + 1);
  FUZZ_CHECK(text != NULL);
  memcpy(text, data, size);
  text[size] = '\0';
  tg_model_spec spec, again;
  tg_error err = {0};
  if (tg_model_spec_parse(text, &spec, &err) != TG_OK) {
    FUZZ_CHECK(strncmp(err.message, "tg_model_spec_parse: ", 21) == 0);
    free(text);
    return 0;
  }
  FUZZ_CHECK(spec.n_layers >= 1 && spec.n_layers <= TG_SPEC_MAX_LAYERS);
  char canon[2048], canon2[2048];
  tg_model_spec_format(&spec, canon, sizeof canon);
  FUZZ_CHECK(tg_model_spec_parse(canon, &again, &err) == TG_OK);
  FUZZ_CHECK(same_spec(&spec, &again));
  tg_model_spec_format(&again, canon2, sizeof canon2);
  FUZZ_CHECK(strcmp(canon, canon2) == 0);
  int64_t params = 0, in = spec.input_dim;
  for (int i = 0; i < spec.n_layers; ++i) {
    params += in * spec.units[i] + spec.units[i];
    in = spec.units[i];
  }
  if (params <= 100000) {
    tg_model* m = tg_model_spec_build(&spec, NULL, NULL, 1, &err);
    FUZZ_CHECK(m != NULL);
    FUZZ_CHECK(tg_model_layer_count(m) == spec.n_layers);
    tg_model_free(m);
  }
  free(text);
  return 0;
}
