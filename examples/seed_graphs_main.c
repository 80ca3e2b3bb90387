/* examples/seed_graphs_main.c — only the seed model's gradient graphs and reports.
 *
 *   bazel run //examples:seed_graphs            # into the directory you ran it from
 *   bazel run //examples:seed_graphs -- docs    # into docs/
 */
#include <stdio.h>
#include <stdlib.h>

#include "examples/seed_graphs.h"

int main(int argc, char** argv) {
  tg_error err = {0};
  char dir[4096];
  if (tg_seed_graphs_write(tg_seed_graphs_dir(argc, argv, dir, sizeof dir), stdout, &err) !=
      TG_OK) {
    fprintf(stderr, "seed_graphs: %s\n", err.message);
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
