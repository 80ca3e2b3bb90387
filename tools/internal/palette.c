/* tools/internal/palette.c — ColorBrewer's RdBu stops, interpolated. */
#include "tools/internal/palette.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct rgb {
  int r, g, b;
} rgb;

/* From the faintest to the strongest colour of each sign. */
static const rgb kPositive[5] = {
    {247, 247, 247}, {253, 219, 199}, {244, 165, 130}, {214, 96, 77}, {178, 24, 43}};
static const rgb kNegative[5] = {
    {247, 247, 247}, {209, 229, 240}, {146, 197, 222}, {67, 147, 195}, {33, 102, 172}};

static int mix(int a, int b, double t) { return (int)floor(a + (b - a) * t + 0.5); }

void tg_diverging_colour(double v, double max_abs, char out[8]) {
  if (v == 0.0) {
    memcpy(out, TG_COLOUR_ZERO, 8);
    return;
  }
  if (!isfinite(v) || !(max_abs > 0.0) || !isfinite(max_abs)) {
    memcpy(out, TG_COLOUR_NONFINITE, 8);
    return;
  }
  double t = fabs(v) / max_abs;
  t = sqrt(t > 1.0 ? 1.0 : t) * 4.0; /* position among the 5 stops */
  int i = (int)t;
  if (i > 3) i = 3;
  const rgb* stops = v > 0.0 ? kPositive : kNegative;
  const double f = t - i;
  snprintf(out, 8, "#%02x%02x%02x", mix(stops[i].r, stops[i + 1].r, f) & 0xff,
           mix(stops[i].g, stops[i + 1].g, f) & 0xff, mix(stops[i].b, stops[i + 1].b, f) & 0xff);
}
