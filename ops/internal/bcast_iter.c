/* ops/internal/bcast_iter.c — the broadcast shape rule and walk for n inputs. */
#include "ops/internal/bcast_iter.h"

#include <stdio.h>
#include <string.h>

/* "[3x2] and [4]" or "mask [2x1], a [3] and b [2]" */
static void describe_inputs(tg_tensor* const* in, int n, const char* const* names, char* buf,
                            size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < n && used < cap; ++i) {
    char s[TG_SHAPE_STR_CAP];
    const char* sep = i == 0 ? "" : (i == n - 1 ? " and " : ", ");
    int w = snprintf(buf + used, cap - used, "%s%s%s%s", sep, names ? names[i] : "",
                     names ? " " : "", tg_tensor_shape_str(in[i], s, sizeof s));
    if (w < 0) return;
    used += (size_t)w;
  }
}

tg_status tg_bcast_shape_n(tg_tensor* const* in, int n, const char* const* names, int* rank,
                           int64_t shape[TG_MAX_RANK], char* msg, size_t cap) {
  int r = 0;
  for (int i = 0; i < n; ++i) r = in[i]->rank > r ? in[i]->rank : r;
  for (int d = 0; d < r; ++d) { /* d counts from the right */
    int64_t out = 1;
    for (int i = 0; i < n; ++i) {
      const int64_t di = d < in[i]->rank ? in[i]->shape[in[i]->rank - 1 - d] : 1;
      if (di == 1) continue;
      if (out != 1 && di != out) {
        char what[3 * TG_SHAPE_STR_CAP + 32];
        describe_inputs(in, n, names, what, sizeof what);
        snprintf(msg, cap,
                 "%s: dimensions %lld and %lld cannot be broadcast (axis %d from the right)", what,
                 (long long)out, (long long)di, d + 1);
        return TG_ERR_SHAPE;
      }
      out = di;
    }
    shape[r - 1 - d] = out;
  }
  *rank = r;
  return TG_OK;
}

void tg_bcast_iter_init(tg_bcast_iter* it, const tg_tensor* y, tg_tensor* const* in, int n) {
  memset(it, 0, sizeof *it);
  it->n = n;
  const int pad_y = 4 - y->rank;
  for (int d = 0; d < 4; ++d) it->dims[d] = d < pad_y ? 1 : y->shape[d - pad_y];
  for (int i = 0; i < n; ++i) {
    const int pad = 4 - in[i]->rank;
    int64_t stride = 1;
    for (int d = 3; d >= 0; --d) {
      const int64_t xd = d < pad ? 1 : in[i]->shape[d - pad];
      it->stride[i][d] = (xd == 1 && it->dims[d] != 1) ? 0 : stride;
      stride *= xd;
    }
  }
}
