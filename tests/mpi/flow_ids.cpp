// The numbering of flows across ranks (expose/mpi/flow_ids.hpp), run with 1, 3 and 4 ranks:
// every rank checks the numbers of its own flows against one process's numbering of the ranks'
// flows read one after the other, and the exchange (expose/mpi/messages.hpp) against what each
// rank sent it, and a message shorter than its contents stopping the job. Prints what differs and
// exits 1; exits 0 when every rank agrees.

#include <cstdio>
#include <string>
#include <vector>

#include "expose/flow_table.hpp"
#include "expose/mpi/flow_ids.hpp"
#include "expose/mpi/messages.hpp"
#include "check.hpp"

namespace {

expose::flow_key flow(std::uint8_t host, std::uint16_t sport, std::uint16_t dport) {
  const std::uint8_t a[4] = {10, 0, 0, host};
  const std::uint8_t b[4] = {192, 0, 2, 1};
  return {expose::ip_address::v4(a), expose::ip_address::v4(b), sport, dport, 6};
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  expose_test::mpi_check c;
  const int rank = c.rank, size = c.size;
  const auto A = flow(1, 1000, 80), B = flow(2, 1001, 53), C = flow(3, 1002, 22), D = flow(4, 1003, 443), E = flow(5, 1004, 25);
  // What each rank saw, in its order (rank 1 saw A from the other side); rank 3 of 4 and more
  // saw nothing. One process reading the ranks' flows one after the other numbers them
  // A 0, B 1, C 2, D 3, E 4.
  const std::vector<std::vector<expose::flow_key>> seen = {{A, B}, {C, A.reversed(), D}, {D, E, B}};
  std::vector<expose::flow_key> mine;
  if (size == 1) mine = {A, B, C, D, E};
  else if (rank < 3) mine = seen[static_cast<std::size_t>(rank)];
  expose::mpi::traffic t;
  const auto ids = expose::mpi::number_flows(mine, MPI_COMM_WORLD, t);

  // One process's numbering of the same flows, from a flow table fed the ranks' flows in order.
  expose::flow_table one;
  std::vector<std::uint32_t> want;
  std::uint64_t base = 0, first = 0;
  const auto ranks = size == 1 ? std::vector<std::vector<expose::flow_key>>{{A, B, C, D, E}} : seen;
  for (std::size_t r = 0; r < ranks.size() && static_cast<int>(r) < size; ++r) {
    if (static_cast<int>(r) == rank) base = one.size();
    for (const auto& f : ranks[r]) {
      const auto [id, inserted] = one.find_or_insert(f);
      if (static_cast<int>(r) == rank) {
        want.push_back(id);
        first += inserted ? 1 : 0;
      }
    }
  }
  if (rank >= 3) base = one.size();
  c.check(ids.id == want, "the flows' numbers differ from one process's");
  c.check(ids.base == base, "base " + std::to_string(ids.base) + ", expected " + std::to_string(base));
  c.check(ids.first == first, "first " + std::to_string(ids.first) + ", expected " + std::to_string(first));
  c.check(ids.total == one.size(), "total " + std::to_string(ids.total) + ", expected " + std::to_string(one.size()));
  if (size == 3 && rank == 1) c.check(ids.id == std::vector<std::uint32_t>{2, 0, 3}, "rank 1's flows are not numbered 2 0 3");

  // A message shorter than what its receiver reads stops the job (job_stops: not an expose::error,
  // which every rank would throw alike).
  {
    const std::vector<char> short_message(3, 0);
    expose::mpi::detail::reader rd(short_message);
    try {
      [[maybe_unused]] const auto n = rd.get<std::uint64_t>();
      c.check(false, "a short message was read");
    } catch (const expose::mpi::detail::job_stops& e) {
      c.check(std::string(e.what()) == "expose::mpi: a message between ranks is shorter than its contents", std::string("got: ") + e.what());
    }
  }

  // The exchange: rank r sends rank s the string "r>s" repeated s + 1 times (rank 0 sends nothing
  // to anyone), and receives from each what it sent.
  std::vector<std::vector<char>> out(static_cast<std::size_t>(size));
  for (int to = 0; to < size; ++to) {
    if (rank == 0) continue;
    std::string m;
    for (int k = 0; k <= to; ++k) m += std::to_string(rank) + ">" + std::to_string(to);
    out[static_cast<std::size_t>(to)].assign(m.begin(), m.end());
  }
  const auto in = expose::mpi::detail::exchange(std::move(out), MPI_COMM_WORLD, t);
  for (int from = 0; from < size; ++from) {
    std::string m;
    if (from != 0)
      for (int k = 0; k <= rank; ++k) m += std::to_string(from) + ">" + std::to_string(rank);
    const auto& got = in[static_cast<std::size_t>(from)];
    c.check(std::string(got.begin(), got.end()) == m, "from rank " + std::to_string(from) + " came '" + std::string(got.begin(), got.end()) + "'");
  }
  const int all = c.ranks_failed();
  MPI_Finalize();
  if (rank == 0 && all == 0) std::printf("flow ids and exchange: every rank agrees with one process\n");
  return all == 0 ? 0 : 1;
}
