#pragma once
// What the MPI check programs (tests/mpi/*.cpp, run under mpirun) share: each rank checks what it
// can and says what differs; `ranks_failed` adds the failures up over every rank.
//
//   expose_test::mpi_check c;           // after MPI_Init: this rank and the count of ranks
//   c.check(got == want, "what differs");
//   if (c.ranks_failed() == 0 && c.rank == 0) std::printf("pass ...\n");

#include <cstdio>
#include <string>

#include <mpi.h>

namespace expose_test {

struct mpi_check {
  int rank = 0;
  int size = 1;
  int failures = 0;  // this rank's

  mpi_check() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  void check(bool ok, const std::string& what) {
    if (ok) return;
    ++failures;
    std::fprintf(stderr, "rank %d: %s\n", rank, what.c_str());
  }
  /// Every rank's failures, added up (on every rank: a collective).
  [[nodiscard]] int ranks_failed() const {
    int all = failures;
    MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    return all;
  }
};

}  // namespace expose_test
