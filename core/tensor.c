/* core/tensor.c — shapes, element counts and caller-owned tensors. */
#include "core/tensor.h"

#include <stdio.h>
#include <string.h>

bool tg_shape_numel(int rank, const int64_t* shape, int64_t* out) {
  if (rank < 0 || rank > TG_MAX_RANK) return false;
  if (rank > 0 && shape == NULL) return false;
  /* Limit so that the byte size (x4) and aligned padding still fit in int64/size_t. */
  const int64_t kMaxElems = (INT64_MAX / (int64_t)sizeof(float)) / 2;
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) {
    if (shape[i] < 0) return false;
    if (shape[i] != 0 && n > kMaxElems / shape[i]) return false;
    n *= shape[i];
  }
  if ((uint64_t)n > (uint64_t)(SIZE_MAX / sizeof(float) / 2)) return false;
  *out = n;
  return true;
}

char* tg_shape_format(char* buf, size_t cap, int rank, const int64_t* shape) {
  if (buf == NULL || cap == 0) return buf;
  if (rank < 0 || rank > TG_MAX_RANK || (rank > 0 && shape == NULL)) {
    snprintf(buf, cap, "[invalid rank %d]", rank);
    return buf;
  }
  size_t used = 0;
  buf[0] = '\0';
  int w = snprintf(buf, cap, "[");
  used = w > 0 ? (size_t)w : 0;
  for (int i = 0; i < rank && used < cap; ++i) {
    w = snprintf(buf + used, cap - used, i == 0 ? "%lld" : "x%lld", (long long)shape[i]);
    if (w < 0) break;
    used += (size_t)w;
  }
  if (used < cap) snprintf(buf + used, cap - used, "]");
  return buf;
}

char* tg_tensor_shape_str(const tg_tensor* t, char* buf, size_t cap) {
  if (buf == NULL || cap == 0) return buf;
  if (t == NULL) {
    snprintf(buf, cap, "(null)");
    return buf;
  }
  return tg_shape_format(buf, cap, t->rank, t->shape);
}

bool tg_same_shape(const tg_tensor* a, const tg_tensor* b) {
  if (a == NULL || b == NULL) return false;
  if (a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; ++i)
    if (a->shape[i] != b->shape[i]) return false;
  return true;
}

static tg_status check_shape(const char* fn, int rank, const int64_t* shape, int64_t* n,
                             tg_error* err) {
  if (rank < 0 || rank > TG_MAX_RANK)
    return tg_error_set(err, TG_ERR_RANK, "%s: rank %d is outside 0..%d", fn, rank, TG_MAX_RANK);
  if (rank > 0 && shape == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: shape is NULL for rank %d", fn, rank);
  char s[TG_SHAPE_STR_CAP];
  for (int i = 0; i < rank; ++i)
    if (shape[i] < 0)
      return tg_error_set(err, TG_ERR_SHAPE, "%s: shape %s has a negative dimension", fn,
                          tg_shape_format(s, sizeof s, rank, shape));
  if (!tg_shape_numel(rank, shape, n))
    return tg_error_set(err, TG_ERR_OVERFLOW, "%s: shape %s has too many elements", fn,
                        tg_shape_format(s, sizeof s, rank, shape));
  return TG_OK;
}

static void set_shape(tg_tensor* t, int rank, const int64_t* shape, int64_t n) {
  t->rank = rank;
  for (int i = 0; i < TG_MAX_RANK; ++i) t->shape[i] = i < rank ? shape[i] : 1;
  t->size = n;
}

tg_tensor* tg_tensor_new_ex(int rank, const int64_t* shape, bool requires_grad,
                            const tg_allocator* alloc, tg_error* err) {
  int64_t n = 0;
  if (check_shape("tg_tensor_new", rank, shape, &n, err) != TG_OK) return NULL;
  alloc = tg_allocator_or_default(alloc);
  tg_tensor* t = (tg_tensor*)alloc->alloc(alloc->ctx, sizeof *t);
  size_t bytes = (size_t)n * sizeof(float);
  size_t total = requires_grad ? 2 * bytes + 64 : bytes;
  float* block = t ? (float*)tg_aligned_alloc(alloc, total == 0 ? 1 : total) : NULL;
  if (t == NULL || block == NULL) {
    if (t) alloc->free(alloc->ctx, t);
    tg_error_set(err, TG_ERR_NOMEM, "tg_tensor_new: out of memory for %lld floats", (long long)n);
    return NULL;
  }
  memset(t, 0, sizeof *t);
  memset(block, 0, total == 0 ? 1 : total);
  set_shape(t, rank, shape, n);
  t->data = block;
  /* The gradient starts on the next 64-byte boundary after the data. */
  t->grad = requires_grad ? block + ((n + 15) / 16) * 16 : NULL;
  t->role = requires_grad ? TG_ROLE_PARAM : TG_ROLE_INPUT;
  t->node = -1;
  t->owner_ = alloc;
  t->block_ = block;
  return t;
}

tg_tensor* tg_tensor_new(int rank, const int64_t* shape, bool requires_grad, tg_error* err) {
  return tg_tensor_new_ex(rank, shape, requires_grad, NULL, err);
}

void tg_tensor_free(tg_tensor* t) {
  if (t == NULL || t->owner_ == NULL) return;
  const tg_allocator* a = t->owner_;
  tg_aligned_free(a, t->block_);
  a->free(a->ctx, t);
}

tg_status tg_tensor_init_view(tg_tensor* t, int rank, const int64_t* shape, float* data,
                              float* grad, tg_role role, tg_error* err) {
  if (t == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "tg_tensor_init_view: t is NULL");
  int64_t n = 0;
  tg_status s = check_shape("tg_tensor_init_view", rank, shape, &n, err);
  if (s != TG_OK) return s;
  if (data == NULL && n > 0)
    return tg_error_set(err, TG_ERR_NULL_ARG, "tg_tensor_init_view: data is NULL");
  memset(t, 0, sizeof *t);
  set_shape(t, rank, shape, n);
  t->data = data;
  t->grad = grad;
  t->role = role;
  t->node = -1;
  return TG_OK;
}

tg_status tg_tensor_init_index_view(tg_tensor* t, int rank, const int64_t* shape, int32_t* data,
                                    tg_error* err) {
  if (t == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "tg_tensor_init_index_view: t is NULL");
  int64_t n = 0;
  tg_status s = check_shape("tg_tensor_init_index_view", rank, shape, &n, err);
  if (s != TG_OK) return s;
  if (data == NULL && n > 0)
    return tg_error_set(err, TG_ERR_NULL_ARG, "tg_tensor_init_index_view: data is NULL");
  memset(t, 0, sizeof *t);
  set_shape(t, rank, shape, n);
  t->idata = data;
  t->dtype = TG_INT32;
  t->role = TG_ROLE_INPUT;
  t->node = -1;
  return TG_OK;
}

const char* tg_dtype_name(tg_dtype dtype) { return dtype == TG_INT32 ? "int32" : "float32"; }

void tg_tensor_set_name(tg_tensor* t, const char* name) {
  if (t == NULL) return;
  snprintf(t->name, sizeof t->name, "%s", name ? name : "");
}

void tg_tensor_zero_grad(tg_tensor* t) {
  if (t != NULL && t->grad != NULL) memset(t->grad, 0, (size_t)t->size * sizeof(float));
}

tg_status tg_tensor_set_data(tg_tensor* t, const float* values, int64_t n, tg_error* err) {
  if (t == NULL || values == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "tg_tensor_set_data: %s is NULL",
                        t == NULL ? "t" : "values");
  if (n != t->size) {
    char s[TG_SHAPE_STR_CAP];
    return tg_error_set(err, TG_ERR_SHAPE,
                        "tg_tensor_set_data: %lld values for a %s tensor of %lld", (long long)n,
                        tg_tensor_shape_str(t, s, sizeof s), (long long)t->size);
  }
  memcpy(t->data, values, (size_t)n * sizeof(float));
  return TG_OK;
}
