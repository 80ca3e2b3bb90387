// dist/mpi_gtest_main.cc — main() of dist/'s GoogleTest binaries, run under mpirun
// (mpi_test.sh): MPI through tg_dist_init, then the tests on every rank.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>

#include "dist/dist.h"

int main(int argc, char** argv) {
  tg_error err = {};
  if (tg_dist_init(&argc, &argv, &err) != TG_OK) {
    std::fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  const int rc = RUN_ALL_TESTS();
  // Every rank's verdict: the job fails when any rank's tests failed.
  int worst = rc;
  MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  tg_dist_finalize();
  return worst;
}
