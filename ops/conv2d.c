/* ops/conv2d.c — 2-D convolution through im2col (kernels/im2col.h) and the gemm kernels.
 *
 *   x [N,H,W,C], kernel [KH,KW,Cg,F] (Cg = C/G), y [N,OH,OW,F]
 *   col  [M, K]  M = N*OH*OW, K = KH*KW*C: row m holds the windows of output pixel m,
 *                group g's taps at columns g*Kg + (a*KW + b)*Cg + c   (Kg = KH*KW*Cg)
 *   The kernel read as a matrix [Kg, F] (ld F) is exactly HWIO, so no copy of it:
 *   y[:, group g]   = col[:, g]  · K[:, g]          (M,Fg) = (M,Kg)·(Kg,Fg)
 *   dK[:, group g] += col[:, g]ᵀ · dY[:, g]         (Kg,Fg) = (Kg,M)·(M,Fg)
 *   dcol[:, g]      = dY[:, g]  · K[:, g]ᵀ           (M,Kg) = (M,Fg)·(Fg,Kg)
 *   dx             += col2im(dcol)  (scatter-add of every tap back to its pixel)
 * A 1x1 kernel with stride 1 needs no im2col: col is x itself.
 *
 * col is never built whole: the rows go in chunks (kChunkFloats below), and
 * each chunk's products run while it is still in cache (measured on W4: half the
 * time of one im2col of all rows followed by whole-matrix products, which stream
 * the M x K buffer through memory twice). Backward rebuilds each chunk of col for
 * dK rather than keeping all of it from the forward.
 *
 * Scratch (floats, from the tape's arena at record time, so replay allocates
 * nothing): col [R*K] for R rows, then dcol [R*K] when x needs a gradient. R
 * follows the tape's thread count at record time and stays with the node.
 */
#include <stdio.h>
#include <string.h>

#include "core/tape.h"
#include "kernels/gemm.h"
#include "kernels/im2col.h"
#include "ops/internal/kernel_choice.h"
#include "ops/ops.h"

/* A chunk of col: 2 MiB, whatever the thread count, so that the products -- and with
 * them the kernels a product's row count picks, and so the bits -- are the same on
 * any number of threads; 1 MiB a worker on two threads repays the hand-off of a
 * split product, and on one thread W4 ran as fast as with 128 KiB chunks (L2-sized,
 * the one-thread choice until chunks depended on the thread count and results did
 * too). At least 64 rows so each keeps a useful height. */
enum { kChunkFloats = 1 << 19, kMinChunkRows = 64 };

/* The node's matrix products: forward, dK and dX (dcol when chunked), each for a
 * whole chunk of rows and for the last, shorter one (the direct form uses the first
 * of each pair). */
enum { kPlanY, kPlanYLast, kPlanDk, kPlanDkLast, kPlanDx, kPlanDxLast, kPlans };

/* The options with the defaults applied (what the node keeps). */
typedef struct conv2d_params {
  int32_t stride[2], dilation[2], groups, padding;
  /* Rows of col per chunk, fixed by the shape rule for the scratch it sized (a
   * later tg_tape_set_threads must not make chunks outgrow it); 0 in the builder. */
  int64_t chunk_rows;
  /* The products' kernels (kernels/gemm.h), chosen by the shape rule for the tape's
   * thread count and pool size, and again when a run finds either changed; zeros
   * in the builder. */
  tg_gemm_plan plan[kPlans];
} conv2d_params;

_Static_assert(sizeof(conv2d_params) <= TG_OP_PARAMS_CAP, "conv2d's parameter block");

typedef struct conv_geometry {
  tg_im2col_geometry im; /* input, window, groups, col's columns */
  int64_t f, fg, m;
  int64_t rows; /* rows of col per chunk */
  bool direct;  /* 1x1, stride 1, no padding: col is x */
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
  g.im.n = x->shape[0];
  g.im.h = x->shape[1];
  g.im.w = x->shape[2];
  g.im.c = x->shape[3];
  g.im.kh = k->shape[0];
  g.im.kw = k->shape[1];
  g.im.cg = k->shape[2];
  g.f = k->shape[3];
  g.im.g = p.groups;
  g.fg = g.f / (p.groups > 0 ? p.groups : 1);
  const int same = p.padding == TG_PADDING_SAME;
  g.im.ax_h = tg_window_axis_make(g.im.h, g.im.kh, p.stride[0], p.dilation[0], same);
  g.im.ax_w = tg_window_axis_make(g.im.w, g.im.kw, p.stride[1], p.dilation[1], same);
  g.im.oh = g.im.ax_h.out;
  g.im.ow = g.im.ax_w.out;
  g.m = g.im.n * g.im.oh * g.im.ow;
  g.im.kg = g.im.kh * g.im.kw * g.im.cg;
  g.im.k = g.im.kg * g.im.g;
  g.direct = g.im.kh == 1 && g.im.kw == 1 && p.stride[0] == 1 && p.stride[1] == 1;
  g.rows = p.chunk_rows;
  if (g.rows <= 0) { /* the shape rule: choose it */
    g.rows = g.im.k > 0 ? (int64_t)kChunkFloats / g.im.k : g.m;
    if (g.rows < kMinChunkRows) g.rows = kMinChunkRows;
    if (g.rows > g.m) g.rows = g.m;
    if (g.rows < 1) g.rows = 1;
  }
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

static tg_gemm_options gemm_options(tg_node* nd) {
  tg_gemm_options o = {.threads = tg_tape_threads(nd->tape), .pool = tg_tape_pool(nd->tape)};
  return o;
}

/* Chooses the kernel of every product for `o` (see the products in conv2d_forward
 * and conv2d_backward). A product that runs the blocked kernel gets its scratch
 * now; when that fails, the run tries again and falls back to the small path. */
static void make_plans(const conv_geometry* g, const tg_gemm_options* o, conv2d_params* p) {
  tg_gemm_plan* pl = p->plan;
  if (g->direct) {
    (void)tg_gemm_plan_make(&pl[kPlanY], o, false, false, g->m, g->fg, g->im.kg, g->im.c, g->f,
                            g->f);
    (void)tg_gemm_plan_make(&pl[kPlanDk], o, true, false, g->im.kg, g->fg, g->m, g->im.c, g->f,
                            g->f);
    (void)tg_gemm_plan_make(&pl[kPlanDx], o, false, true, g->m, g->im.cg, g->fg, g->f, g->f,
                            g->im.c);
    pl[kPlanYLast] = pl[kPlanY];
    pl[kPlanDkLast] = pl[kPlanDk];
    pl[kPlanDxLast] = pl[kPlanDx];
    return;
  }
  const int64_t last = g->m > 0 ? g->m - (g->m - 1) / g->rows * g->rows : 0;
  for (int i = 0; i < 2; ++i) {
    const int64_t r = i == 0 ? g->rows : last;
    (void)tg_gemm_plan_make(&pl[kPlanY + i], o, false, false, r, g->fg, g->im.kg, g->im.k, g->f,
                            g->f);
    (void)tg_gemm_plan_make(&pl[kPlanDk + i], o, true, false, g->im.kg, g->fg, r, g->im.k, g->f,
                            g->f);
    (void)tg_gemm_plan_make(&pl[kPlanDx + i], o, false, true, r, g->im.kg, g->fg, g->f, g->f,
                            g->im.k);
  }
}

/* The node's parameters with its plans, made again first when the tape's threads or
 * pool changed size since they were chosen. */
static conv2d_params plans(tg_node* nd, const conv_geometry* g, const tg_gemm_options* o) {
  conv2d_params p = params_of(nd);
  for (int i = 0; i < kPlans; ++i) {
    if (!tg_gemm_plan_fits(&p.plan[i], o)) {
      make_plans(g, o, &p);
      memcpy(nd->params.bytes, &p, sizeof p);
      break;
    }
  }
  return p;
}

/* Runs one product on its plan, the operands in tg_gemm_ex's argument order. */
static void product(const tg_gemm_plan* plan, const tg_gemm_options* o, bool trans_a, bool trans_b,
                    int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                    int64_t ldb, float beta, float* c, int64_t ldc) {
  const tg_gemm_args g = {trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc};
  tg_gemm_run(plan, o, &g);
}

/* The plan of product `first` (kPlanY, kPlanDk, kPlanDx) for a chunk of r rows. */
static const tg_gemm_plan* chunk_plan(const conv2d_params* p, const conv_geometry* g, int first,
                                      int64_t r) {
  return &p->plan[r == g->rows ? first : first + 1];
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
  if (g.im.oh <= 0 || g.im.ow <= 0) {
    if (p.padding == TG_PADDING_VALID) {
      snprintf(msg, cap,
               "input %s and kernel %s: the %lldx%lld window (dilation %dx%d) does not fit in "
               "the %lldx%lld input with valid padding",
               sx, sk, (long long)((g.im.kh - 1) * p.dilation[0] + 1),
               (long long)((g.im.kw - 1) * p.dilation[1] + 1), (int)p.dilation[0],
               (int)p.dilation[1], (long long)g.im.h, (long long)g.im.w);
      return TG_ERR_SHAPE;
    }
  }
  /* col (and dcol) chunks must be addressable: rows*K floats, twice, in bytes. */
  const int64_t limit = INT64_MAX / 8;
  if (!g.direct && g.rows > 0 && g.im.k > limit / g.rows) {
    snprintf(msg, cap, "input %s and kernel %s: im2col buffer of %lld x %lld floats is too large",
             sx, sk, (long long)g.rows, (long long)g.im.k);
    return TG_ERR_SHAPE;
  }
  if (!g.direct && g.m > 0) nd->scratch_size = g.rows * g.im.k * (x->grad != NULL ? 2 : 1);
  conv2d_params fixed = p;
  fixed.chunk_rows = g.rows;
  const tg_gemm_options o = gemm_options(nd);
  make_plans(&g, &o, &fixed);
  memcpy(nd->params.bytes, &fixed, sizeof fixed);
  *rank = 4;
  shape[0] = g.im.n;
  shape[1] = g.im.oh;
  shape[2] = g.im.ow;
  shape[3] = g.f;
  return TG_OK;
}

/* im2col and col2im of a chunk run on the calling thread: a few per cent of the
 * work, and handing them to the pool (a wait for every worker, twice per chunk)
 * cost more than it saved at two threads; the products are split over the pool. */
static void im2col_chunk(tg_node* nd, const conv_geometry* g, int64_t begin, int64_t end) {
  tg_im2col_rows(&g->im, nd->in[0]->data, nd->scratch, begin, begin, end);
}

static void conv2d_forward(tg_node* nd) {
  const conv_geometry g = geometry(nd);
  const float* kern = nd->in[1]->data;
  float* y = nd->out->data;
  const tg_gemm_options o = gemm_options(nd);
  const conv2d_params p = plans(nd, &g, &o);
  if (g.direct) { /* y[:, g] (M,Fg) = x[:, g] (M,Cg) · K[:, g] (Cg,Fg) */
    for (int64_t gi = 0; gi < g.im.g; ++gi)
      product(&p.plan[kPlanY], &o, false, false, g.m, g.fg, g.im.kg, nd->in[0]->data + gi * g.im.cg,
              g.im.c, kern + gi * g.fg, g.f, 0.0f, y + gi * g.fg, g.f);
    return;
  }
  if (g.im.k == 0) { /* no input channels: every output is an empty sum */
    memset(y, 0, (size_t)nd->out->size * sizeof *y);
    return;
  }
  for (int64_t begin = 0; begin < g.m; begin += g.rows) {
    const int64_t end = begin + g.rows < g.m ? begin + g.rows : g.m;
    const tg_gemm_plan* plan = chunk_plan(&p, &g, kPlanY, end - begin);
    im2col_chunk(nd, &g, begin, end);
    for (int64_t gi = 0; gi < g.im.g; ++gi) /* y[rows, g] = col[rows, g] (R,Kg) · K[:, g] */
      product(plan, &o, false, false, end - begin, g.fg, g.im.kg, nd->scratch + gi * g.im.kg,
              g.im.k, kern + gi * g.fg, g.f, 0.0f, y + begin * g.f + gi * g.fg, g.f);
  }
}

static void conv2d_backward(tg_node* nd) {
  const conv_geometry g = geometry(nd);
  tg_tensor* x = nd->in[0];
  tg_tensor* k = nd->in[1];
  const float* gy = nd->out->grad;
  const tg_gemm_options o = gemm_options(nd);
  const conv2d_params p = plans(nd, &g, &o);
  if (g.direct) {
    if (k->grad) /* dK[:, g] (Cg,Fg) += x[:, g]ᵀ (Cg,M) · dY[:, g] (M,Fg) */
      for (int64_t gi = 0; gi < g.im.g; ++gi)
        product(&p.plan[kPlanDk], &o, true, false, g.im.kg, g.fg, g.m, x->data + gi * g.im.cg,
                g.im.c, gy + gi * g.fg, g.f, 1.0f, k->grad + gi * g.fg, g.f);
    if (x->grad) /* dx[:, g] (M,Cg) += dY[:, g] (M,Fg) · K[:, g]ᵀ (Fg,Cg) */
      for (int64_t gi = 0; gi < g.im.g; ++gi)
        product(&p.plan[kPlanDx], &o, false, true, g.m, g.im.cg, g.fg, gy + gi * g.fg, g.f,
                k->data + gi * g.fg, g.f, 1.0f, x->grad + gi * g.im.cg, g.im.c);
    return;
  }
  if (g.im.k == 0) return; /* dK and dX have no elements */
  float* col = nd->scratch;
  float* dcol = nd->scratch + g.rows * g.im.k;
  for (int64_t begin = 0; begin < g.m; begin += g.rows) {
    const int64_t end = begin + g.rows < g.m ? begin + g.rows : g.m, r = end - begin;
    const float* gy_rows = gy + begin * g.f;
    if (k->grad) { /* dK[:, g] (Kg,Fg) += col[rows, g]ᵀ (Kg,R) · dY[rows, g] (R,Fg) */
      im2col_chunk(nd, &g, begin, end);
      for (int64_t gi = 0; gi < g.im.g; ++gi)
        product(chunk_plan(&p, &g, kPlanDk, r), &o, true, false, g.im.kg, g.fg, r,
                col + gi * g.im.kg, g.im.k, gy_rows + gi * g.fg, g.f, 1.0f, k->grad + gi * g.fg,
                g.f);
    }
    if (x->grad) { /* dcol[rows, g] (R,Kg) = dY[rows, g] (R,Fg) · K[:, g]ᵀ (Fg,Kg) */
      for (int64_t gi = 0; gi < g.im.g; ++gi)
        product(chunk_plan(&p, &g, kPlanDx, r), &o, false, true, r, g.im.kg, g.fg,
                gy_rows + gi * g.fg, g.f, k->data + gi * g.fg, g.f, 0.0f, dcol + gi * g.im.kg,
                g.im.k);
      tg_col2im_rows(&g.im, dcol, x->grad, begin, end, 0, g.im.c);
    }
  }
}

/* "builtin avx2 2 threads", with " (last chunk: ...)" when the last chunk's differs. */
static void describe_pair(const tg_gemm_plan* full, const tg_gemm_plan* last, char* buf,
                          size_t cap) {
  char a[64], b[64];
  tg_gemm_plan_describe(full, a, sizeof a);
  tg_gemm_plan_describe(last, b, sizeof b);
  if (strcmp(a, b) == 0)
    snprintf(buf, cap, "%s", a);
  else
    snprintf(buf, cap, "%s (last chunk: %s)", a, b);
}

int tg_conv2d_kernels(const tg_node* nd, char* buf, size_t cap) {
  const conv2d_params p = params_of(nd);
  char y[160], dk[160], dx[160];
  describe_pair(&p.plan[kPlanY], &p.plan[kPlanYLast], y, sizeof y);
  describe_pair(&p.plan[kPlanDk], &p.plan[kPlanDkLast], dk, sizeof dk);
  describe_pair(&p.plan[kPlanDx], &p.plan[kPlanDxLast], dx, sizeof dx);
  return snprintf(buf, cap, "y: %s; dK: %s; dX: %s", y, dk, dx);
}

const tg_op_def tg_op_conv2d = {.name = "conv2d",
                                .arity = 2,
                                .shape = conv2d_shape,
                                .forward = conv2d_forward,
                                .backward = conv2d_backward,
                                .backward_reads = TG_READS_INPUT(0) | TG_READS_INPUT(1),
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
