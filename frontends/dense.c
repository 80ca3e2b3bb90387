/* frontends/dense.c — the Dense layer: adding one to a model (parameters in the
 * model's contiguous block, initialised from the model's seed) and recording it on a
 * tape as matmul -> add -> activation under the layer's scope. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "frontends/internal/model_impl.h"
#include "ops/ops.h"

const char* tg_activation_name(tg_activation a) {
  switch (a) {
    case TG_ACT_LINEAR:
      return "linear";
    case TG_ACT_RELU:
      return "relu";
    case TG_ACT_SIGMOID:
      return "sigmoid";
    case TG_ACT_TANH:
      return "tanh";
    case TG_ACT_SOFTMAX:
      return "softmax";
    default:
      return "unknown";
  }
}

void tg_model_bind_views(tg_model* m) {
  for (int i = 0; i < m->n_layers; ++i) {
    tg_dense_layer* l = m->layers[i];
    float* w = m->values + l->offset;
    float* gw = m->grads + l->offset;
    int64_t ks[2] = {l->in, l->units};
    int64_t bs[1] = {l->units};
    char name[TG_NAME_CAP + 8];
    /* Shapes were checked when the layer was added, so these cannot fail. */
    tg_tensor_init_view(&l->kernel, 2, ks, w, gw, TG_ROLE_PARAM, NULL);
    tg_tensor_init_view(&l->kernel_const, 2, ks, w, NULL, TG_ROLE_PARAM, NULL);
    snprintf(name, sizeof name, "%s/kernel", l->name);
    tg_tensor_set_name(&l->kernel, name);
    tg_tensor_set_name(&l->kernel_const, name);
    if (!l->use_bias) continue;
    float* b = w + l->in * l->units;
    tg_tensor_init_view(&l->bias, 1, bs, b, gw + l->in * l->units, TG_ROLE_PARAM, NULL);
    tg_tensor_init_view(&l->bias_const, 1, bs, b, NULL, TG_ROLE_PARAM, NULL);
    snprintf(name, sizeof name, "%s/bias", l->name);
    tg_tensor_set_name(&l->bias, name);
    tg_tensor_set_name(&l->bias_const, name);
  }
}

static tg_status check_options(tg_model* m, const tg_dense_options* o, int64_t in, int64_t* n_new) {
  const char* fn = "tg_model_add_dense";
  if (m->compiled)
    return tg_model_fail(m, TG_ERR_STATE, "%s: the model is already compiled; add layers first",
                         fn);
  if (o->units < 1)
    return tg_model_fail(m, TG_ERR_ARG, "%s: units must be >= 1, got %lld", fn,
                         (long long)o->units);
  if (o->activation < 0 || o->activation >= TG_ACT_COUNT)
    return tg_model_fail(m, TG_ERR_ARG, "%s: unknown activation %d", fn, (int)o->activation);
  const int64_t limit = (INT64_MAX / 8) / (int64_t)sizeof(float);
  if (o->units > limit / in || in * o->units > limit - o->units - m->n_params)
    return tg_model_fail(m, TG_ERR_OVERFLOW, "%s: a [%lldx%lld] kernel is too large", fn,
                         (long long)in, (long long)o->units);
  *n_new = in * o->units + (o->no_bias ? 0 : o->units);
  /* Validate both initializers before anything is allocated (n = 0 draws nothing). */
  tg_error err = {0};
  if (tg_initializer_fill(&o->kernel_init, NULL, 0, in, o->units, &m->init_rng, &err) != TG_OK ||
      tg_initializer_fill(&o->bias_init, NULL, 0, in, o->units, &m->init_rng, &err) != TG_OK)
    return tg_model_fail(m, err.code, "%s: %s", fn, err.message);
  return TG_OK;
}

/* Room for one more layer pointer. */
static bool grow_layers(tg_model* m) {
  if (m->n_layers < m->cap_layers) return true;
  int cap = m->cap_layers ? 2 * m->cap_layers : 8;
  tg_dense_layer** p = (tg_dense_layer**)m->alloc->alloc(m->alloc->ctx, (size_t)cap * sizeof *p);
  if (p == NULL) return false;
  if (m->n_layers) memcpy(p, m->layers, (size_t)m->n_layers * sizeof *p);
  m->alloc->free(m->alloc->ctx, m->layers);
  m->layers = p;
  m->cap_layers = cap;
  return true;
}

static int64_t count_non_finite(const float* v, int64_t n) {
  int64_t bad = 0;
  for (int64_t i = 0; i < n; ++i) bad += !isfinite(v[i]);
  return bad;
}

/* Moves the parameter blocks to new ones with `extra` more floats (values kept,
 * gradients zeroed). */
static bool grow_blocks(tg_model* m, int64_t extra) {
  size_t bytes = (size_t)(m->n_params + extra) * sizeof(float);
  float* v = (float*)tg_aligned_alloc(m->alloc, bytes);
  float* g = v ? (float*)tg_aligned_alloc(m->alloc, bytes) : NULL;
  if (g == NULL) {
    tg_aligned_free(m->alloc, v);
    return false;
  }
  if (m->n_params) memcpy(v, m->values, (size_t)m->n_params * sizeof(float));
  memset(g, 0, bytes);
  tg_aligned_free(m->alloc, m->values);
  tg_aligned_free(m->alloc, m->grads);
  m->values = v;
  m->grads = g;
  return true;
}

tg_status tg_model_add_dense(tg_model* m, tg_dense_options o) {
  const char* fn = "tg_model_add_dense";
  if (m == NULL) return TG_ERR_NULL_ARG;
  const int64_t in = m->n_layers ? m->layers[m->n_layers - 1]->units : m->input_dim;
  int64_t n_new = 0;
  tg_status s = check_options(m, &o, in, &n_new);
  if (s != TG_OK) return s;
  tg_dense_layer* l = (tg_dense_layer*)m->alloc->alloc(m->alloc->ctx, sizeof *l);
  if (l == NULL || !grow_layers(m) || !grow_blocks(m, n_new)) {
    m->alloc->free(m->alloc->ctx, l);
    return tg_model_fail(m, TG_ERR_NOMEM, "%s: out of memory", fn);
  }
  memset(l, 0, sizeof *l);
  snprintf(l->name, sizeof l->name, "dense_%d", m->n_layers + 1); /* Keras numbers from 1 */
  l->in = in;
  l->units = o.units;
  l->activation = o.activation;
  l->use_bias = !o.no_bias;
  l->offset = m->n_params;
  m->layers[m->n_layers++] = l;
  m->n_params += n_new;
  tg_model_bind_views(m);
  tg_model_invalidate_tapes(m);

  /* Keras' defaults: glorot_uniform kernel, zeros bias. */
  tg_initializer bias_init = o.bias_init.kind == TG_INIT_DEFAULT ? tg_init_zeros() : o.bias_init;
  const tg_rng before = m->init_rng;
  tg_initializer_fill(&o.kernel_init, l->kernel.data, l->kernel.size, in, o.units, &m->init_rng,
                      NULL);
  if (l->use_bias)
    tg_initializer_fill(&bias_init, l->bias.data, l->bias.size, in, o.units, &m->init_rng, NULL);
  /* An initializer whose scale overflows float (a constant of inf, a normal with a
   * huge stddev) would make every step NaN: refuse the layer, as if never added. */
  const int64_t bad_kernel = count_non_finite(l->kernel.data, l->kernel.size);
  const int64_t bad_bias = l->use_bias ? count_non_finite(l->bias.data, l->bias.size) : 0;
  if (bad_kernel + bad_bias > 0) {
    const bool kernel = bad_kernel > 0;
    m->n_layers--;
    m->n_params -= n_new;
    m->init_rng = before;
    m->alloc->free(m->alloc->ctx, l);
    tg_model_bind_views(m);
    return tg_model_fail(
        m, TG_ERR_ARG, "%s: the %s initializer (%s) produced %lld non-finite values of %lld", fn,
        kernel ? "kernel" : "bias", tg_init_kind_name(kernel ? o.kernel_init.kind : bias_init.kind),
        (long long)(kernel ? bad_kernel : bad_bias), (long long)(kernel ? in * o.units : o.units));
  }
  return TG_OK;
}

tg_tensor* tg_model_record_forward(tg_model* m, tg_tape* t, tg_tensor* x, bool trainable) {
  tg_tensor* h = x;
  for (int i = 0; i < m->n_layers; ++i) {
    tg_dense_layer* l = m->layers[i];
    tg_tape_set_scope(t, l->name);
    h = tg_matmul(t, h, trainable ? &l->kernel : &l->kernel_const);
    if (l->use_bias) h = tg_add(t, h, trainable ? &l->bias : &l->bias_const);
    switch (l->activation) {
      case TG_ACT_RELU:
        h = tg_relu(t, h);
        break;
      case TG_ACT_SIGMOID:
        h = tg_sigmoid(t, h);
        break;
      case TG_ACT_TANH:
        h = tg_tanh(t, h);
        break;
      case TG_ACT_SOFTMAX:
        h = tg_softmax(t, h);
        break;
      default:
        break;
    }
  }
  tg_tape_set_scope(t, "");
  return h;
}
