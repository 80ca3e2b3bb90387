/* ops/conv2d.c — 2-D convolution through im2col and the gemm kernels.
 *
 *   x [N,H,W,C], kernel [KH,KW,Cg,F] (Cg = C/G), y [N,OH,OW,F]
 *   col  [M, K]  M = N*OH*OW, K = KH*KW*C: row m holds the windows of output pixel m,
 *                group g's taps at columns g*Kg + (a*KW + b)*Cg + c   (Kg = KH*KW*Cg)
 *   The kernel read as a matrix [Kg, F] (ld F) is exactly HWIO, so no copy of it:
 *   y[:, group g]   = col[:, g]  · K[:, g]          (M,Fg) = (M,Kg)·(Kg,Fg)
 *   dK[:, group g] += col[:, g]ᵀ · dY[:, g]         (Kg,Fg) = (Kg,M)·(M,Fg)
 *   dcol[:, g]      = dY[:, g]  · K[:, g]ᵀ           (M,Kg) = (M,Fg)·(Fg,Kg)
 *   dx             += col2im(dcol)  (scatter-add of every tap back to its pixel)
 * A 1x1 kernel with stride 1 and no padding needs no im2col: col is x itself.
 *
 * Scratch (floats, from the tape's arena at record time, so replay allocates
 * nothing): col [M*K] written by every forward and read by backward for dK, then
 * dcol [M*K] when x needs a gradient. col is never overwritten by backward, so
 * backward can run twice after one forward.
 */
#include <stdio.h>
#include <string.h>

#include "core/tape.h"
#include "core/threadpool.h"
#include "ops/gemm.h"
#include "ops/internal/window.h"
#include "ops/ops.h"

/* The options with the defaults applied (what the node keeps). */
typedef struct conv2d_params {
  int32_t stride[2], dilation[2], groups, padding;
} conv2d_params;

typedef struct conv_geometry {
  int64_t n, h, w, c, kh, kw, cg, f, g, fg, oh, ow, m, k, kg;
  tg_window_axis ax_h, ax_w;
  bool direct; /* 1x1, stride 1, no padding: col is x */
} conv_geometry;

static conv2d_params params_of(const tg_node* nd) {
  conv2d_params p;
  tg_node_params(nd, &p, sizeof p);
  return p;
}

static conv_geometry geometry(const tg_node* nd) {
  const conv2d_params p = params_of(nd);
  const tg_tensor* x = nd->in[0];
  const tg_tensor* k = nd->in[1];
  conv_geometry g;
  g.n = x->shape[0];
  g.h = x->shape[1];
  g.w = x->shape[2];
  g.c = x->shape[3];
  g.kh = k->shape[0];
  g.kw = k->shape[1];
  g.cg = k->shape[2];
  g.f = k->shape[3];
  g.g = p.groups;
  g.fg = g.f / (p.groups > 0 ? p.groups : 1);
  const int same = p.padding == TG_PADDING_SAME;
  g.ax_h = tg_window_axis_make(g.h, g.kh, p.stride[0], p.dilation[0], same);
  g.ax_w = tg_window_axis_make(g.w, g.kw, p.stride[1], p.dilation[1], same);
  g.oh = g.ax_h.out;
  g.ow = g.ax_w.out;
  g.m = g.n * g.oh * g.ow;
  g.kg = g.kh * g.kw * g.cg;
  g.k = g.kg * g.g;
  g.direct = g.kh == 1 && g.kw == 1 && p.stride[0] == 1 && p.stride[1] == 1;
  return g;
}

/* "3x3 s1 same", "3x3 s2x1 valid d2 g4": the dilation and groups only when not 1. */
static int conv2d_describe(const tg_node* nd, char* buf, size_t cap) {
  const conv2d_params p = params_of(nd);
  const tg_tensor* k = nd->in[1];
  char s[24] = "", d[24] = "", g[16] = "";
  if (p.stride[0] == p.stride[1])
    snprintf(s, sizeof s, "s%d", (int)p.stride[0]);
  else
    snprintf(s, sizeof s, "s%dx%d", (int)p.stride[0], (int)p.stride[1]);
  if (p.dilation[0] != p.dilation[1])
    snprintf(d, sizeof d, " d%dx%d", (int)p.dilation[0], (int)p.dilation[1]);
  else if (p.dilation[0] != 1)
    snprintf(d, sizeof d, " d%d", (int)p.dilation[0]);
  if (p.groups != 1) snprintf(g, sizeof g, " g%d", (int)p.groups);
  return snprintf(buf, cap, "%lldx%lld %s %s%s%s", (long long)k->shape[0], (long long)k->shape[1],
                  s, p.padding == TG_PADDING_SAME ? "same" : "valid", d, g);
}

static tg_status conv2d_shape(tg_node* nd, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                              size_t cap) {
  const conv2d_params p = params_of(nd);
  const tg_tensor* x = nd->in[0];
  const tg_tensor* k = nd->in[1];
  char sx[TG_SHAPE_STR_CAP], sk[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(x, sx, sizeof sx);
  tg_tensor_shape_str(k, sk, sizeof sk);
  if (x->rank != 4) {
    snprintf(msg, cap, "input %s must be 4-D [batch, height, width, channels]", sx);
    return TG_ERR_RANK;
  }
  if (k->rank != 4) {
    snprintf(msg, cap, "kernel %s must be 4-D [height, width, in_channels, filters]", sk);
    return TG_ERR_RANK;
  }
  if (p.stride[0] < 1 || p.stride[1] < 1) {
    snprintf(msg, cap, "stride %dx%d must be positive", (int)p.stride[0], (int)p.stride[1]);
    return TG_ERR_ARG;
  }
  if (p.dilation[0] < 1 || p.dilation[1] < 1) {
    snprintf(msg, cap, "dilation %dx%d must be positive", (int)p.dilation[0], (int)p.dilation[1]);
    return TG_ERR_ARG;
  }
  if (p.groups < 1) {
    snprintf(msg, cap, "groups %d must be positive", (int)p.groups);
    return TG_ERR_ARG;
  }
  if (p.padding != TG_PADDING_VALID && p.padding != TG_PADDING_SAME) {
    snprintf(msg, cap, "padding %d is neither valid nor same", (int)p.padding);
    return TG_ERR_ARG;
  }
  if (k->shape[0] < 1 || k->shape[1] < 1) {
    snprintf(msg, cap, "kernel %s has an empty window", sk);
    return TG_ERR_SHAPE;
  }
  const int64_t c = x->shape[3], f = k->shape[3];
  if (c % p.groups != 0) {
    snprintf(msg, cap, "input %s and kernel %s: %lld channels are not divisible by %d groups", sx,
             sk, (long long)c, (int)p.groups);
    return TG_ERR_SHAPE;
  }
  if (f % p.groups != 0) {
    snprintf(msg, cap, "input %s and kernel %s: %lld filters are not divisible by %d groups", sx,
             sk, (long long)f, (int)p.groups);
    return TG_ERR_SHAPE;
  }
  if (c / p.groups != k->shape[2]) {
    if (p.groups == 1)
      snprintf(msg, cap, "input %s and kernel %s: input has %lld channels, kernel expects %lld", sx,
               sk, (long long)c, (long long)k->shape[2]);
    else
      snprintf(msg, cap,
               "input %s and kernel %s: input has %lld channels in %d groups (%lld each), "
               "kernel expects %lld",
               sx, sk, (long long)c, (int)p.groups, (long long)(c / p.groups),
               (long long)k->shape[2]);
    return TG_ERR_SHAPE;
  }
  const conv_geometry g = geometry(nd);
  if (g.oh <= 0 || g.ow <= 0) {
    if (p.padding == TG_PADDING_VALID) {
      snprintf(msg, cap,
               "input %s and kernel %s: the %lldx%lld window (dilation %dx%d) does not fit in "
               "the %lldx%lld input with valid padding",
               sx, sk, (long long)((g.kh - 1) * p.dilation[0] + 1),
               (long long)((g.kw - 1) * p.dilation[1] + 1), (int)p.dilation[0], (int)p.dilation[1],
               (long long)g.h, (long long)g.w);
      return TG_ERR_SHAPE;
    }
  }
  /* col (and dcol) must be addressable: M*K floats, twice, in bytes. */
  const int64_t limit = INT64_MAX / 8;
  if (!g.direct && g.m > 0 && g.k > limit / g.m) {
    snprintf(msg, cap, "input %s and kernel %s: im2col buffer of %lld x %lld floats is too large",
             sx, sk, (long long)g.m, (long long)g.k);
    return TG_ERR_SHAPE;
  }
  if (!g.direct) nd->scratch_size = g.m * g.k * (x->grad != NULL ? 2 : 1);
  *rank = 4;
  shape[0] = g.n;
  shape[1] = g.oh;
  shape[2] = g.ow;
  shape[3] = g.f;
  return TG_OK;
}

/* Threads only for buffers big enough to repay the hand-off. */
static int workers_for(tg_node* nd, int64_t floats) {
  const int threads = tg_tape_threads(nd->tape);
  return floats >= (1 << 15) ? threads : 1;
}

typedef struct col_task {
  const conv_geometry* g;
  const float* x;
  float* col;
  float* dx; /* col2im: the gradient added into */
} col_task;

/* im2col rows [begin, end): every tap of every group, zeros outside x. */
static void im2col_rows(const conv_geometry* g, const float* x, float* col, int64_t begin,
                        int64_t end) {
  const int64_t cg = g->cg;
  for (int64_t m = begin; m < end; ++m) {
    const int64_t ow_i = m % g->ow;
    const int64_t oh_i = (m / g->ow) % g->oh;
    const int64_t n = m / (g->ow * g->oh);
    float* row = col + m * g->k;
    const int64_t ih0 = oh_i * g->ax_h.stride - g->ax_h.pad_before;
    const int64_t iw0 = ow_i * g->ax_w.stride - g->ax_w.pad_before;
    for (int64_t a = 0; a < g->kh; ++a) {
      const int64_t ih = ih0 + a * g->ax_h.dilation;
      const bool row_in = ih >= 0 && ih < g->h;
      for (int64_t b = 0; b < g->kw; ++b) {
        const int64_t iw = iw0 + b * g->ax_w.dilation;
        float* dst = row + (a * g->kw + b) * cg;
        if (!row_in || iw < 0 || iw >= g->w) {
          for (int64_t gi = 0; gi < g->g; ++gi)
            memset(dst + gi * g->kg, 0, (size_t)cg * sizeof *dst);
          continue;
        }
        const float* src = x + ((n * g->h + ih) * g->w + iw) * g->c;
        if (g->g == 1) {
          memcpy(dst, src, (size_t)cg * sizeof *dst);
        } else {
          for (int64_t gi = 0; gi < g->g; ++gi)
            memcpy(dst + gi * g->kg, src + gi * cg, (size_t)cg * sizeof *dst);
        }
      }
    }
  }
}

static void im2col_task(void* ctx, int worker, int workers) {
  const col_task* c = ctx;
  int64_t begin, end;
  tg_threadpool_split(c->g->m, worker, workers, &begin, &end);
  im2col_rows(c->g, c->x, c->col, begin, end);
}

/* dx[image] += every tap of dcol back at its pixel (images [begin, end) only, so
 * workers never add into the same element). */
static void col2im_images(const conv_geometry* g, const float* dcol, float* dx, int64_t begin,
                          int64_t end) {
  const int64_t cg = g->cg;
  for (int64_t n = begin; n < end; ++n) {
    for (int64_t oh_i = 0; oh_i < g->oh; ++oh_i) {
      int64_t a0, a1;
      tg_window_taps(&g->ax_h, oh_i, &a0, &a1);
      const int64_t ih0 = oh_i * g->ax_h.stride - g->ax_h.pad_before;
      for (int64_t ow_i = 0; ow_i < g->ow; ++ow_i) {
        int64_t b0, b1;
        tg_window_taps(&g->ax_w, ow_i, &b0, &b1);
        const int64_t iw0 = ow_i * g->ax_w.stride - g->ax_w.pad_before;
        const float* row = dcol + ((n * g->oh + oh_i) * g->ow + ow_i) * g->k;
        for (int64_t a = a0; a < a1; ++a) {
          const int64_t ih = ih0 + a * g->ax_h.dilation;
          for (int64_t b = b0; b < b1; ++b) {
            const int64_t iw = iw0 + b * g->ax_w.dilation;
            float* restrict dst = dx + ((n * g->h + ih) * g->w + iw) * g->c;
            const float* restrict src = row + (a * g->kw + b) * cg;
            for (int64_t gi = 0; gi < g->g; ++gi)
              for (int64_t ci = 0; ci < cg; ++ci) dst[gi * cg + ci] += src[gi * g->kg + ci];
          }
        }
      }
    }
  }
}

static void col2im_task(void* ctx, int worker, int workers) {
  const col_task* c = ctx;
  const int64_t n = c->g->n;
  const int64_t begin = n * worker / workers, end = n * (worker + 1) / workers;
  col2im_images(c->g, c->col, c->dx, begin, end);
}

static tg_gemm_options gemm_options(tg_node* nd) {
  tg_gemm_options o = {.threads = tg_tape_threads(nd->tape), .pool = tg_tape_pool(nd->tape)};
  return o;
}

static void conv2d_forward(tg_node* nd) {
  const conv_geometry g = geometry(nd);
  const float* x = nd->in[0]->data;
  const float* kern = nd->in[1]->data;
  float* y = nd->out->data;
  const float* a = x; /* (M, K) with ld lda */
  int64_t lda = g.c, a_group = g.cg;
  if (!g.direct) {
    col_task task = {.g = &g, .x = x, .col = nd->scratch};
    tg_threadpool_run(tg_tape_pool(nd->tape), workers_for(nd, g.m * g.k), im2col_task, &task);
    a = nd->scratch;
    lda = g.k;
    a_group = g.kg;
  }
  const tg_gemm_options o = gemm_options(nd);
  for (int64_t gi = 0; gi < g.g; ++gi) /* y[:, g] (M,Fg) = col[:, g] (M,Kg) · K[:, g] (Kg,Fg) */
    tg_gemm_ex(&o, false, false, g.m, g.fg, g.kg, a + gi * a_group, lda, kern + gi * g.fg, g.f,
               0.0f, y + gi * g.fg, g.f);
}

static void conv2d_backward(tg_node* nd) {
  const conv_geometry g = geometry(nd);
  tg_tensor* x = nd->in[0];
  tg_tensor* k = nd->in[1];
  const float* gy = nd->out->grad;
  const tg_gemm_options o = gemm_options(nd);
  const float* col = g.direct ? x->data : nd->scratch;
  const int64_t ldcol = g.direct ? g.c : g.k, col_group = g.direct ? g.cg : g.kg;
  if (k->grad) /* dK[:, g] (Kg,Fg) += col[:, g]ᵀ (Kg,M) · dY[:, g] (M,Fg) */
    for (int64_t gi = 0; gi < g.g; ++gi)
      tg_gemm_ex(&o, true, false, g.kg, g.fg, g.m, col + gi * col_group, ldcol, gy + gi * g.fg, g.f,
                 1.0f, k->grad + gi * g.fg, g.f);
  if (x->grad == NULL) return;
  if (g.direct) { /* dx[:, g] (M,Cg) += dY[:, g] (M,Fg) · K[:, g]ᵀ (Fg,Cg) */
    for (int64_t gi = 0; gi < g.g; ++gi)
      tg_gemm_ex(&o, false, true, g.m, g.cg, g.fg, gy + gi * g.fg, g.f, k->data + gi * g.fg, g.f,
                 1.0f, x->grad + gi * g.cg, g.c);
    return;
  }
  float* dcol = nd->scratch + g.m * g.k;
  for (int64_t gi = 0; gi < g.g; ++gi) /* dcol[:, g] (M,Kg) = dY[:, g] (M,Fg) · K[:, g]ᵀ */
    tg_gemm_ex(&o, false, true, g.m, g.kg, g.fg, gy + gi * g.fg, g.f, k->data + gi * g.fg, g.f,
               0.0f, dcol + gi * g.kg, g.k);
  col_task task = {.g = &g, .col = dcol, .dx = x->grad};
  int workers = workers_for(nd, g.m * g.k);
  if (workers > g.n) workers = (int)(g.n > 0 ? g.n : 1);
  tg_threadpool_run(tg_tape_pool(nd->tape), workers, col2im_task, &task);
}

const tg_op_def tg_op_conv2d = {.name = "conv2d",
                                .arity = 2,
                                .shape = conv2d_shape,
                                .forward = conv2d_forward,
                                .backward = conv2d_backward,
                                .params_size = sizeof(conv2d_params),
                                .describe = conv2d_describe};

tg_tensor* tg_conv2d(tg_tape* t, tg_tensor* x, tg_tensor* kernel, const tg_conv2d_options* opt) {
  const tg_conv2d_options none = {.padding = TG_PADDING_VALID};
  if (opt == NULL) opt = &none;
  conv2d_params p = {
      .stride = {opt->stride[0] ? opt->stride[0] : 1, opt->stride[1] ? opt->stride[1] : 1},
      .dilation = {opt->dilation[0] ? opt->dilation[0] : 1,
                   opt->dilation[1] ? opt->dilation[1] : 1},
      .groups = opt->groups ? opt->groups : 1,
      .padding = (int32_t)opt->padding};
  tg_tensor* in[2] = {x, kernel};
  return tg_tape_apply(t, &tg_op_conv2d, in, 2, &p);
}
