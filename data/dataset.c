/* data/dataset.c — the in-memory data set: allocation, copies of rows, one-hot. */
#include "data/dataset.h"

#include <string.h>

#include "data/internal/adopt.h"

static void* alloc_array(const tg_allocator* a, int64_t count, size_t elem) {
  if (count <= 0) count = 1; /* a valid pointer even for empty sets */
  if ((uint64_t)count > SIZE_MAX / elem) return NULL;
  return a->alloc(a->ctx, (size_t)count * elem);
}

tg_status tg_dataset_init(tg_dataset* ds, int64_t n, int row_rank, const int64_t* row_shape,
                          tg_label_kind kind, int64_t target_size, const tg_allocator* alloc,
                          tg_error* err) {
  static const char fn[] = "tg_dataset_init";
  if (ds == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: ds is NULL", fn);
  memset(ds, 0, sizeof *ds);
  if (row_rank < 1 || row_rank > TG_DATASET_ROW_RANK)
    return tg_error_set(err, TG_ERR_RANK, "%s: row rank %d outside 1..%d", fn, row_rank,
                        TG_DATASET_ROW_RANK);
  if (row_shape == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: row_shape is NULL", fn);
  if (n < 0)
    return tg_error_set(err, TG_ERR_ARG, "%s: row count %lld is negative", fn, (long long)n);
  if (kind != TG_LABELS_NONE && kind != TG_LABELS_INT && kind != TG_LABELS_FLOAT)
    return tg_error_set(err, TG_ERR_ARG, "%s: unknown label kind %d", fn, (int)kind);
  if (kind == TG_LABELS_FLOAT && target_size < 1)
    return tg_error_set(err, TG_ERR_ARG, "%s: target size %lld must be >= 1", fn,
                        (long long)target_size);
  int64_t shape[TG_MAX_RANK] = {n, 1, 1, 1};
  for (int d = 0; d < row_rank; ++d) shape[d + 1] = row_shape[d];
  int64_t total = 0, row = 0;
  if (!tg_shape_numel(row_rank, row_shape, &row) || !tg_shape_numel(row_rank + 1, shape, &total)) {
    char sr[TG_SHAPE_STR_CAP];
    return tg_error_set(err, TG_ERR_OVERFLOW, "%s: %lld rows of %s features: size overflows", fn,
                        (long long)n, tg_shape_format(sr, sizeof sr, row_rank, row_shape));
  }
  int64_t ytotal = 0;
  if (kind == TG_LABELS_FLOAT) {
    const int64_t ys[2] = {n, target_size};
    if (!tg_shape_numel(2, ys, &ytotal))
      return tg_error_set(err, TG_ERR_OVERFLOW, "%s: %lld rows of %lld targets: size overflows", fn,
                          (long long)n, (long long)target_size);
  }
  const tg_allocator* a = tg_allocator_or_default(alloc);
  ds->alloc_ = a;
  ds->n = n;
  ds->row_rank = row_rank;
  for (int d = 0; d < TG_DATASET_ROW_RANK; ++d) ds->row_shape[d] = d < row_rank ? row_shape[d] : 1;
  ds->row_size = row;
  ds->label_kind = kind;
  ds->target_size = kind == TG_LABELS_FLOAT ? target_size : (kind == TG_LABELS_INT ? 1 : 0);
  ds->x = (float*)alloc_array(a, total, sizeof(float));
  if (ds->x == NULL) goto nomem;
  memset(ds->x, 0, (size_t)total * sizeof(float));
  if (kind == TG_LABELS_INT) {
    ds->labels = (int32_t*)alloc_array(a, n, sizeof(int32_t));
    if (ds->labels == NULL) goto nomem;
    memset(ds->labels, 0, (size_t)n * sizeof(int32_t));
  } else if (kind == TG_LABELS_FLOAT) {
    ds->y = (float*)alloc_array(a, ytotal, sizeof(float));
    if (ds->y == NULL) goto nomem;
    memset(ds->y, 0, (size_t)ytotal * sizeof(float));
  }
  return TG_OK;
nomem:
  tg_dataset_free(ds);
  return tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory for %lld rows", fn, (long long)n);
}

void tg_dataset_free(tg_dataset* ds) {
  if (ds == NULL || ds->alloc_ == NULL) {
    if (ds) memset(ds, 0, sizeof *ds);
    return;
  }
  const tg_allocator* a = ds->alloc_;
  a->free(a->ctx, ds->x);
  a->free(a->ctx, ds->labels);
  a->free(a->ctx, ds->y);
  memset(ds, 0, sizeof *ds);
}

/* An empty copy of src's layout with `n` rows. */
static tg_status init_like(const tg_dataset* src, int64_t n, tg_dataset* out, tg_error* err) {
  tg_status st = tg_dataset_init(out, n, src->row_rank, src->row_shape, src->label_kind,
                                 src->target_size, src->alloc_, err);
  if (st == TG_OK) out->num_classes = src->num_classes;
  return st;
}

static void copy_row(const tg_dataset* src, int64_t from, tg_dataset* dst, int64_t to) {
  memcpy(dst->x + to * dst->row_size, src->x + from * src->row_size,
         (size_t)src->row_size * sizeof(float));
  if (src->labels) dst->labels[to] = src->labels[from];
  if (src->y)
    memcpy(dst->y + to * dst->target_size, src->y + from * src->target_size,
           (size_t)src->target_size * sizeof(float));
}

static tg_status check_src(const char* fn, const tg_dataset* src, const void* out, tg_error* err) {
  if (src == NULL || out == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn, src ? "out" : "src");
  if (src->alloc_ == NULL || src->x == NULL)
    return tg_error_set(err, TG_ERR_STATE, "%s: src is not an initialised data set", fn);
  return TG_OK;
}

tg_status tg_dataset_slice(const tg_dataset* src, int64_t start, int64_t count, tg_dataset* out,
                           tg_error* err) {
  static const char fn[] = "tg_dataset_slice";
  tg_status st = check_src(fn, src, out, err);
  if (st != TG_OK) return st;
  if (start < 0 || count < 0 || start > src->n || count > src->n - start)
    return tg_error_set(err, TG_ERR_ARG, "%s: rows [%lld, %lld + %lld) outside the %lld rows", fn,
                        (long long)start, (long long)start, (long long)count, (long long)src->n);
  if ((st = init_like(src, count, out, err)) != TG_OK) return st;
  for (int64_t i = 0; i < count; ++i) copy_row(src, start + i, out, i);
  return TG_OK;
}

tg_status tg_dataset_gather(const tg_dataset* src, const int64_t* rows, int64_t count,
                            tg_dataset* out, tg_error* err) {
  static const char fn[] = "tg_dataset_gather";
  tg_status st = check_src(fn, src, out, err);
  if (st != TG_OK) return st;
  if (rows == NULL && count > 0) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: rows is NULL", fn);
  if (count < 0)
    return tg_error_set(err, TG_ERR_ARG, "%s: count %lld is negative", fn, (long long)count);
  for (int64_t i = 0; i < count; ++i)
    if (rows[i] < 0 || rows[i] >= src->n)
      return tg_error_set(err, TG_ERR_ARG, "%s: row %lld (at position %lld) outside 0..%lld", fn,
                          (long long)rows[i], (long long)i, (long long)src->n - 1);
  if ((st = init_like(src, count, out, err)) != TG_OK) return st;
  for (int64_t i = 0; i < count; ++i) copy_row(src, rows[i], out, i);
  return TG_OK;
}

tg_status tg_dataset_one_hot(const tg_dataset* src, int32_t num_classes, tg_dataset* out,
                             tg_error* err) {
  static const char fn[] = "tg_dataset_one_hot";
  tg_status st = check_src(fn, src, out, err);
  if (st != TG_OK) return st;
  if (src->label_kind != TG_LABELS_INT)
    return tg_error_set(err, TG_ERR_STATE, "%s: the data set has no integer labels", fn);
  const int32_t k = num_classes > 0 ? num_classes : src->num_classes;
  if (k < 1)
    return tg_error_set(err, TG_ERR_ARG, "%s: number of classes %d must be >= 1", fn, (int)k);
  for (int64_t i = 0; i < src->n; ++i)
    if (src->labels[i] < 0 || src->labels[i] >= k)
      return tg_error_set(err, TG_ERR_ARG, "%s: label %d (row %lld) out of range for %d classes",
                          fn, (int)src->labels[i], (long long)i, (int)k);
  st = tg_dataset_init(out, src->n, src->row_rank, src->row_shape, TG_LABELS_FLOAT, k, src->alloc_,
                       err);
  if (st != TG_OK) return st;
  memcpy(out->x, src->x, (size_t)(src->n * src->row_size) * sizeof(float));
  for (int64_t i = 0; i < src->n; ++i) out->y[i * k + src->labels[i]] = 1.0f;
  return TG_OK;
}

tg_status tg_dataset_x_view(tg_dataset* ds, tg_tensor* out, tg_error* err) {
  static const char fn[] = "tg_dataset_x_view";
  tg_status st = check_src(fn, ds, out, err);
  if (st != TG_OK) return st;
  int64_t shape[TG_MAX_RANK] = {ds->n, 1, 1, 1};
  for (int d = 0; d < ds->row_rank; ++d) shape[d + 1] = ds->row_shape[d];
  return tg_tensor_init_view(out, ds->row_rank + 1, shape, ds->x, NULL, TG_ROLE_INPUT, err);
}

tg_status tg_dataset_target_view(tg_dataset* ds, tg_tensor* out, tg_error* err) {
  static const char fn[] = "tg_dataset_target_view";
  tg_status st = check_src(fn, ds, out, err);
  if (st != TG_OK) return st;
  if (ds->label_kind == TG_LABELS_INT)
    return tg_tensor_init_index_view(out, 1, &ds->n, ds->labels, err);
  if (ds->label_kind == TG_LABELS_FLOAT) {
    const int64_t shape[2] = {ds->n, ds->target_size};
    return tg_tensor_init_view(out, 2, shape, ds->y, NULL, TG_ROLE_INPUT, err);
  }
  return tg_error_set(err, TG_ERR_STATE, "%s: the data set has no targets", fn);
}

tg_status tg_dataset_adopt_x(tg_dataset* ds, int64_t n, int row_rank, const int64_t* row_shape,
                             float* x, const tg_allocator* a) {
  memset(ds, 0, sizeof *ds);
  if (row_rank < 1 || row_rank > TG_DATASET_ROW_RANK) return TG_ERR_RANK;
  ds->alloc_ = a;
  ds->n = n;
  ds->row_rank = row_rank;
  ds->row_size = 1;
  for (int d = 0; d < TG_DATASET_ROW_RANK; ++d) {
    ds->row_shape[d] = d < row_rank ? row_shape[d] : 1;
    ds->row_size *= ds->row_shape[d];
  }
  ds->x = x;
  ds->label_kind = TG_LABELS_NONE;
  return TG_OK;
}
