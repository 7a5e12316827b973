// The counter the ranks take chunks of rows from (expose/mpi/mine.hpp: detail::chunk_counter),
// run with 2, 3 and 4 ranks: every rank takes chunks until they are done, and rank 0 checks that
// each of the 1001 chunks was taken exactly once over all ranks, that the ranks after rank 0 took
// theirs four at a time, and that a take after the end is past it on every rank. Prints what
// differs and exits 1; exits 0 when every chunk was taken once.

#include <cstdio>
#include <string>
#include <vector>

#include "expose/mpi/mine.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  constexpr std::size_t chunks = 1001;  // not a multiple of the ranks' batch
  std::vector<int> taken;               // the chunks this rank took, in its order
  int past_end = 1;                     // a take after the end is past it
  {
    expose::mpi::detail::chunk_counter counter(MPI_COMM_WORLD);
    for (std::size_t c; (c = counter.take()) < chunks;) taken.push_back(static_cast<int>(c));
    past_end = counter.take() >= chunks ? 1 : 0;
  }
  int n = static_cast<int>(taken.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), at(static_cast<std::size_t>(size), 0);
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < size; ++r) {
    at[static_cast<std::size_t>(r)] = total;
    total += counts[static_cast<std::size_t>(r)];
  }
  std::vector<int> all(rank == 0 ? static_cast<std::size_t>(total) : 0);
  MPI_Gatherv(taken.data(), n, MPI_INT, all.data(), counts.data(), at.data(), MPI_INT, 0, MPI_COMM_WORLD);
  int all_past_end = 0;
  MPI_Reduce(&past_end, &all_past_end, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
  int failures = 0;
  if (rank == 0) {
    std::vector<int> times(chunks, 0);
    for (const int c : all) ++times[static_cast<std::size_t>(c)];
    for (std::size_t c = 0; c < chunks; ++c)
      if (times[c] != 1) {
        ++failures;
        std::fprintf(stderr, "chunk %zu taken %d times\n", c, times[c]);
      }
    // the ranks after rank 0 take four at a time: their chunks come in runs of four (the last
    // run cut at the end)
    for (int r = 1; r < size; ++r)
      for (int i = 1; i < counts[static_cast<std::size_t>(r)]; ++i) {
        const int* v = all.data() + at[static_cast<std::size_t>(r)];
        if (i % 4 != 0 && v[i] != v[i - 1] + 1) {
          ++failures;
          std::fprintf(stderr, "rank %d took chunk %d after %d, inside a batch of four\n", r, v[i], v[i - 1]);
        }
      }
    if (all_past_end != size) {
      ++failures;
      std::fprintf(stderr, "a take after the end was not past it on %d of %d ranks\n", size - all_past_end, size);
    }
    if (failures == 0) std::printf("every chunk taken once over %d ranks\n", size);
  }
  MPI_Bcast(&failures, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return failures == 0 ? 0 : 1;
}
