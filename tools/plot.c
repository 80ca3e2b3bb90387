/* tools/plot.c — SVG line charts (tools/plot.h). */
#include "tools/plot.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/atomic_file.h"
#include "tools/internal/format.h"

enum { kMarginLeft = 72, kMarginRight = 150, kMarginTop = 40, kMarginBottom = 52 };

/* Ten distinguishable colours, in the order series get them. */
static const char* const kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

typedef struct axis {
  double lo, hi; /* data range shown (in log10 units for a log axis) */
  bool log;
} axis;

/* A round step (1, 2 or 5 times a power of ten) giving about `ticks` intervals. */
static double nice_step(double range, int ticks) {
  double raw = range / ticks;
  double p = pow(10.0, floor(log10(raw)));
  double m = raw / p;
  return (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0) * p;
}

static double to_axis(const axis* a, double v) { return a->log ? log10(v) : v; }

static bool usable(const axis* a, double v) { return isfinite(v) && (!a->log || v > 0.0); }

/* The range of the finite values over every series, padded so lines do not touch the
 * frame; a single value gets a range around it. */
static void fit_axis(axis* a, const tg_plot_series* s, int n_series, bool use_y) {
  double lo = INFINITY, hi = -INFINITY;
  for (int k = 0; k < n_series; ++k)
    for (int i = 0; i < s[k].n; ++i) {
      double v = use_y ? s[k].y[i] : s[k].x[i];
      if (!usable(a, v)) continue;
      v = to_axis(a, v);
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
  if (!(lo <= hi)) lo = 0.0, hi = 1.0;
  if (hi - lo < 1e-12 * (fabs(hi) + 1.0)) {
    double d = a->log ? 0.5 : (fabs(hi) > 0 ? 0.1 * fabs(hi) : 1.0);
    lo -= d;
    hi += d;
  } else if (use_y) {
    double pad = 0.05 * (hi - lo);
    lo -= pad;
    hi += pad;
  }
  a->lo = lo;
  a->hi = hi;
}

static void fmt_tick(char* buf, size_t cap, const axis* a, double v) {
  if (a->log) {
    snprintf(buf, cap, "%g", pow(10.0, v));
  } else {
    if (fabs(v) < 1e-12) v = 0.0;
    snprintf(buf, cap, "%.4g", v);
  }
}

/* One grid line and its label at axis value v. */
static void put_tick(FILE* f, const axis* a, bool is_x, double v, int x0, int y0, int w, int h) {
  char label[32];
  fmt_tick(label, sizeof label, a, v);
  double t = (v - a->lo) / (a->hi - a->lo);
  if (is_x) {
    double px = x0 + t * w;
    fprintf(f,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e0e0e0\"/>\n"
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
            px, y0, px, y0 + h, px, y0 + h + 16, label);
  } else {
    double py = y0 + h - t * h;
    fprintf(f,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
            x0, py, x0 + w, py, x0 - 6, py + 4, label);
  }
}

/* Grid lines and tick labels; vertical for the x axis, horizontal for y. */
static void put_ticks(FILE* f, const axis* a, bool is_x, int x0, int y0, int w, int h) {
  const double range = a->hi - a->lo;
  double step = a->log ? (range > 6 ? ceil(range / 6) : 1.0) : nice_step(range, is_x ? 6 : 5);
  if (is_x && !a->log && step < 1.0 && range >= 1.0) step = 1.0; /* whole epochs */
  if (a->log && range <= 2.0) {
    /* Under two decades: 1, 2 and 5 of each decade, so there are enough labels. */
    for (double d = floor(a->lo); d <= a->hi; d += 1.0)
      for (int m = 0; m < 3; ++m) {
        double v = d + log10(m == 0 ? 1.0 : m == 1 ? 2.0 : 5.0);
        if (v < a->lo || v > a->hi) continue;
        put_tick(f, a, is_x, v, x0, y0, w, h);
      }
    return;
  }
  for (double v = ceil(a->lo / step) * step; v <= a->hi + 1e-9 * step; v += step)
    put_tick(f, a, is_x, v, x0, y0, w, h);
}

/* Pixel position of point i of a series, or false when it cannot be drawn. */
static bool point_at(const axis* ax, const axis* ay, const tg_plot_series* s, int i, int x0, int y0,
                     int w, int h, double* px, double* py) {
  if (!usable(ax, s->x[i]) || !usable(ay, s->y[i])) return false;
  *px = x0 + (to_axis(ax, s->x[i]) - ax->lo) / (ax->hi - ax->lo) * w;
  *py = y0 + h - (to_axis(ay, s->y[i]) - ay->lo) / (ay->hi - ay->lo) * h;
  return true;
}

static tg_status check_args(const tg_plot_series* series, int n_series, tg_error* err) {
  if (series == NULL || n_series <= 0)
    return tg_error_set(err, series == NULL ? TG_ERR_NULL_ARG : TG_ERR_ARG, "tg_plot_write: %s",
                        series == NULL ? "series is NULL" : "no series");
  for (int k = 0; k < n_series; ++k) {
    if (series[k].n < 0)
      return tg_error_set(err, TG_ERR_ARG, "tg_plot_write: series %d ('%s') has %d points", k,
                          series[k].name ? series[k].name : "", series[k].n);
    if (series[k].n > 0 && (series[k].x == NULL || series[k].y == NULL))
      return tg_error_set(err, TG_ERR_NULL_ARG, "tg_plot_write: series %d ('%s') has a NULL %s", k,
                          series[k].name ? series[k].name : "", series[k].x == NULL ? "x" : "y");
  }
  return TG_OK;
}

tg_status tg_plot_write(FILE* out, const tg_plot_options* opt, const tg_plot_series* series,
                        int n_series, tg_error* err) {
  if (out == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "tg_plot_write: out is NULL");
  tg_status s = check_args(series, n_series, err);
  if (s != TG_OK) return s;
  tg_plot_options o = opt ? *opt : (tg_plot_options){0};
  const int width = o.width <= 0 ? 640 : (o.width < 200 ? 200 : o.width);
  const int height = o.height <= 0 ? 400 : (o.height < 150 ? 150 : o.height);
  const int x0 = kMarginLeft, y0 = kMarginTop;
  const int w = width - kMarginLeft - kMarginRight, h = height - kMarginTop - kMarginBottom;

  axis ax = {0}, ay = {.log = o.log_y};
  for (int k = 0; k < n_series && ay.log; ++k)
    for (int i = 0; i < series[k].n; ++i)
      if (isfinite(series[k].y[i]) && series[k].y[i] <= 0.0) ay.log = false;
  fit_axis(&ax, series, n_series, false);
  fit_axis(&ay, series, n_series, true);

  fprintf(out,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
          width, height, width, height);
  if (o.title) {
    fprintf(out, "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", x0);
    tg_put_html(out, o.title);
    fputs("</text>\n", out);
  }
  put_ticks(out, &ax, true, x0, y0, w, h);
  put_ticks(out, &ay, false, x0, y0, w, h);
  fprintf(out,
          "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444444\"/>\n",
          x0, y0, w, h);
  if (o.x_label) {
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", x0 + w / 2, height - 12);
    tg_put_html(out, o.x_label);
    fputs("</text>\n", out);
  }
  if (o.y_label || ay.log) {
    fprintf(out, "<text transform=\"translate(16 %d) rotate(-90)\" text-anchor=\"middle\">",
            y0 + h / 2);
    tg_put_html(out, o.y_label ? o.y_label : "");
    if (ay.log) fputs(o.y_label ? " (log scale)" : "log scale", out);
    fputs("</text>\n", out);
  }

  for (int k = 0; k < n_series; ++k) {
    const tg_plot_series* sr = &series[k];
    const char* colour = kColours[k % (int)(sizeof kColours / sizeof kColours[0])];
    /* A run of usable points is one polyline; a NaN or Inf starts a new one. Short
     * series also mark each point. */
    bool open = false;
    for (int i = 0; i <= sr->n; ++i) {
      double px = 0, py = 0;
      if (i < sr->n && point_at(&ax, &ay, sr, i, x0, y0, w, h, &px, &py)) {
        if (open)
          fprintf(out, " %.1f,%.1f", px, py);
        else
          fprintf(out,
                  "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%.1f,%.1f",
                  colour, px, py);
        open = true;
      } else if (open) {
        fputs("\"/>\n", out);
        open = false;
      }
    }
    for (int i = 0; i < sr->n && sr->n <= 60; ++i) {
      double px = 0, py = 0;
      if (point_at(&ax, &ay, sr, i, x0, y0, w, h, &px, &py))
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", px, py, colour);
    }
    const int ly = y0 + 8 + 18 * k;
    fprintf(out,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>\n"
            "<text x=\"%d\" y=\"%d\">",
            x0 + w + 12, ly, x0 + w + 32, ly, colour, x0 + w + 38, ly + 4);
    tg_put_html(out, sr->name ? sr->name : "");
    fputs("</text>\n", out);
  }
  fputs("</svg>\n", out);
  if (fflush(out) != 0 || ferror(out))
    return tg_error_set(err, TG_ERR_IO, "tg_plot_write: writing the SVG failed: %s",
                        strerror(errno));
  return TG_OK;
}

typedef struct plot_job {
  const tg_plot_options* opt;
  const tg_plot_series* series;
  int n_series;
} plot_job;

static tg_status write_job(void* ctx, FILE* f, tg_error* err) {
  const plot_job* job = (const plot_job*)ctx;
  return tg_plot_write(f, job->opt, job->series, job->n_series, err);
}

tg_status tg_plot_save(const char* path, const tg_plot_options* opt, const tg_plot_series* series,
                       int n_series, tg_error* err) {
  if (path == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "tg_plot_save: path is NULL");
  tg_status s = check_args(series, n_series, err);
  if (s != TG_OK) return s;
  plot_job job = {opt, series, n_series};
  return tg_atomic_write("tg_plot_save", path, NULL, write_job, &job, err);
}
