// The numbering of flows across ranks (expose/mpi/flow_ids.hpp), run with 1, 2, 3 and 4 ranks:
// every rank checks the numbers of its own flows against one process's numbering of the ranks'
// flows read one after the other (five flows, and 3,000 connections in random shares, with the
// connections' hash and two that collide on purpose), the bytes the numbering sends, the exchange
// (expose/mpi/messages.hpp) against what each rank sent it, and a message shorter than its
// contents stopping the job. Prints what differs and exits 1; exits 0 when every rank agrees.

#include <algorithm>
#include <cstdio>
#include <random>
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

// One process's numbering of the ranks' flows (`ranks`: each rank's in its order) read one after
// the other, from a flow table fed them in order, checked against what number_flows gave `rank`.
void check_numbering(expose_test::mpi_check& c, const std::vector<std::vector<expose::flow_key>>& ranks,
                     const expose::mpi::flow_numbering& ids, const std::string& what) {
  expose::flow_table one;
  std::vector<std::uint32_t> want;
  std::uint64_t base = 0, first = 0;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    if (static_cast<int>(r) == c.rank) base = one.size();
    for (const auto& f : ranks[r]) {
      const auto [id, inserted] = one.find_or_insert(f);
      if (static_cast<int>(r) == c.rank) {
        want.push_back(id);
        first += inserted ? 1 : 0;
      }
    }
  }
  if (static_cast<std::size_t>(c.rank) >= ranks.size()) base = one.size();
  c.check(ids.id == want, what + ": the flows' numbers differ from one process's");
  c.check(ids.base == base, what + ": base " + std::to_string(ids.base) + ", expected " + std::to_string(base));
  c.check(ids.first == first, what + ": first " + std::to_string(ids.first) + ", expected " + std::to_string(first));
  c.check(ids.total == one.size(), what + ": total " + std::to_string(ids.total) + ", expected " + std::to_string(one.size()));
}

// Hashes that send more keys to the owners than the connections' own: every flow's the same (all
// to rank 0), and the destination port's (of the canonical key, modulo 3: flows of other
// connections collide, some of them on one rank).
struct same_hash {
  std::uint64_t operator()(const expose::flow_key&) const noexcept { return 0; }
};
struct port_hash {
  std::uint64_t operator()(const expose::flow_key& k) const noexcept { return k.dport % 3; }
};

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
  const auto ranks = size == 1 ? std::vector<std::vector<expose::flow_key>>{{A, B, C, D, E}}
                               : std::vector<std::vector<expose::flow_key>>(
                                     seen.begin(), seen.begin() + std::min<std::size_t>(3, static_cast<std::size_t>(size)));
  const std::vector<expose::flow_key> mine =
      static_cast<std::size_t>(rank) < ranks.size() ? ranks[static_cast<std::size_t>(rank)] : std::vector<expose::flow_key>{};
  expose::mpi::traffic t;
  const auto ids = expose::mpi::number_flows(mine, MPI_COMM_WORLD, t);
  check_numbering(c, ranks, ids, "five flows");
  if (size == 3 && rank == 1) c.check(ids.id == std::vector<std::uint32_t>{2, 0, 3}, "rank 1's flows are not numbered 2 0 3");
  check_numbering(c, ranks, expose::mpi::detail::number_flows_by(mine, MPI_COMM_WORLD, t, same_hash{}), "five flows, one hash");
  check_numbering(c, ranks, expose::mpi::detail::number_flows_by(mine, MPI_COMM_WORLD, t, port_hash{}), "five flows, hashes by port");

  // Many flows: 3,000 connections, each rank but the last of three or more seeing a random share
  // of them (about a third, some from the other side), in its own random order: with the
  // connections' hash, one hash for all, and the port's. With the connections' own hash the ranks
  // send 9 bytes a flow, and the key (38 bytes) and at most 5 more of each flow whose connection
  // another rank saw too (and 8 bytes a message); with one hash for all, every key to rank 0.
  {
    std::vector<expose::flow_key> pool;
    for (std::uint16_t i = 0; i < 3000; ++i)
      pool.push_back(flow(static_cast<std::uint8_t>(i % 7), static_cast<std::uint16_t>(2000 + i), static_cast<std::uint16_t>(i % 5)));
    std::mt19937_64 random(42);  // the same on every rank
    std::vector<std::vector<expose::flow_key>> many(static_cast<std::size_t>(size));
    for (std::size_t r = 0; r < many.size(); ++r) {
      if (size >= 3 && r + 1 == many.size()) continue;
      for (const auto& f : pool)
        if (random() % 3 == 0) many[r].push_back(random() % 4 == 0 ? f.reversed() : f);
      std::shuffle(many[r].begin(), many[r].end(), random);
    }
    const auto& my = many[static_cast<std::size_t>(rank)];
    std::uint64_t seen_elsewhere = 0;  // my flows whose connection another rank saw
    for (const auto& f : my) {
      bool elsewhere = false;
      for (std::size_t r = 0; r < many.size(); ++r)
        if (static_cast<int>(r) != rank)
          for (const auto& g : many[r]) elsewhere = elsewhere || expose::flow_table::canonical(g) == expose::flow_table::canonical(f);
      seen_elsewhere += elsewhere ? 1 : 0;
    }
    // Bytes sent by every rank, added up.
    const auto sent = [&](auto&& numbering) {
      expose::mpi::traffic counted;
      check_numbering(c, many, numbering(counted), "3,000 connections");
      std::uint64_t all = 0;
      MPI_Allreduce(&counted.bytes_sent, &all, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
      return all;
    };
    using expose::mpi::detail::number_flows_by;
    const auto own = sent([&](expose::mpi::traffic& u) { return expose::mpi::number_flows(my, MPI_COMM_WORLD, u); });
    const auto one = sent([&](expose::mpi::traffic& u) { return number_flows_by(my, MPI_COMM_WORLD, u, same_hash{}); });
    [[maybe_unused]] const auto by_port = sent([&](expose::mpi::traffic& u) { return number_flows_by(my, MPI_COMM_WORLD, u, port_hash{}); });
    std::uint64_t flows[3] = {my.size(), seen_elsewhere, rank == 0 ? 0 : my.size()}, all[3] = {};
    MPI_Allreduce(flows, all, 3, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    if (size > 1) {
      const std::uint64_t most = 9 * all[0] + 43 * all[1] + 6 * 8 * static_cast<std::uint64_t>(size * (size - 1));
      c.check(own <= most, "with the connections' hash " + std::to_string(own) + " bytes sent, more than " + std::to_string(most));
      c.check(one >= 38 * all[2], "with one hash for all only " + std::to_string(one) + " bytes sent");
    }
  }

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
