/* frontends/layers/registry.c — the layer types tapegrad ships, for loaders (a file
 * names its layers' types) and tools. A user's own type needs no entry: pass it to
 * the loader in tg_model_options.layer_types. */
#include <string.h>

#include "frontends/model.h"

static const tg_layer_type* const kTypes[] = {
    &tg_layer_dense,
    &tg_layer_activation,
    &tg_layer_add,
    &tg_layer_flatten,
    &tg_layer_reshape,
    &tg_layer_concatenate,
    &tg_layer_conv2d,
    &tg_layer_max_pooling2d,
    &tg_layer_average_pooling2d,
    &tg_layer_global_average_pooling2d,
    &tg_layer_dropout,
    &tg_layer_batch_normalization,
    &tg_layer_layer_normalization,
    &tg_layer_embedding,
};

int tg_layer_type_count(void) { return (int)(sizeof kTypes / sizeof kTypes[0]); }

const tg_layer_type* tg_layer_type_at(int index) {
  return index >= 0 && index < tg_layer_type_count() ? kTypes[index] : NULL;
}

const tg_layer_type* tg_layer_type_find(const char* name) {
  for (int i = 0; name && i < tg_layer_type_count(); ++i)
    if (strcmp(kTypes[i]->name, name) == 0) return kTypes[i];
  return NULL;
}
