/* tools/tgplot.c — training curves from a history CSV, as SVG charts.
 *
 *   tgplot history.csv              # loss.svg, accuracy.svg, ..., grad_norm.svg here
 *   tgplot history.csv -o plots/    # into plots/ (which must exist)
 *
 * The CSV is what a CSV logger writes: a header `epoch,loss,accuracy,val_loss,...`
 * (grad_norm/<layer> columns give the per-layer gradient chart), one row per epoch.
 */
#include <stdio.h>
#include <string.h>

#include "tools/plot.h"

static void usage(FILE* f) {
  fputs(
      "usage: tgplot HISTORY.csv [-o DIR]\n"
      "  Writes one SVG line chart per quantity of a training history CSV (header\n"
      "  epoch,loss,...; val_X drawn with X; grad_norm/<layer> columns into\n"
      "  grad_norm.svg) into DIR (default: the current directory).\n",
      f);
}

int main(int argc, char** argv) {
  const char* csv = NULL;
  const char* dir = ".";
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else if (argv[i][0] == '-' || csv != NULL) {
      fprintf(stderr, "tgplot: unexpected argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    } else {
      csv = argv[i];
    }
  }
  if (csv == NULL) {
    usage(stderr);
    return 2;
  }
  tg_error err = {0};
  int n = 0;
  if (tg_plot_history(csv, dir, &n, &err) != TG_OK) {
    fprintf(stderr, "tgplot: %s\n", err.message);
    return 1;
  }
  printf("tgplot: wrote %d chart%s into %s\n", n, n == 1 ? "" : "s", dir);
  return 0;
}
