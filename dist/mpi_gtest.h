// dist/mpi_gtest.h — what every GoogleTest binary of dist/ shares: this process's
// rank and the job's size on MPI_COMM_WORLD. The binaries link :mpi_gtest_main,
// which starts MPI (tg_dist_init), runs the tests and fails the job when any rank's
// tests failed.
#ifndef TAPEGRAD_DIST_MPI_GTEST_H_
#define TAPEGRAD_DIST_MPI_GTEST_H_

#include <mpi.h>

inline int Rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

inline int Size() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

#endif  // TAPEGRAD_DIST_MPI_GTEST_H_
