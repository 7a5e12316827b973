#pragma once
// Numbering flows across MPI ranks as one process numbers them (component expose::mpi): by first
// appearance in rank order, each rank's flows in the order it saw them, with no rank holding
// every flow.
//
//   auto ids = mpi::number_flows(my_flows, comm, t);  // ids.id[i]: my flow i's number over all ranks
//
// Every connection has an owner, the rank its canonical key hashes to. The ranks send each flow
// to its owner (all-to-all); the owner, taking the senders in rank order, marks the first sender
// of each connection and tells every sender which of its flows it saw first. Each rank numbers
// the flows it saw first in its own order, after those of the ranks before it (an exclusive
// prefix sum of the counts), and sends those numbers to the owners, who answer every sender with
// the number of each flow it sent. Four exchanges of about 45 bytes a flow in all; each owner
// holds a flow table of its share of the connections.

#include <cstdint>
#include <numeric>
#include <vector>

#include "expose/detail/release.hpp"
#include "expose/error.hpp"
#include "expose/flow_key.hpp"
#include "expose/flow_table.hpp"
#include "expose/mpi/messages.hpp"

namespace expose::mpi {

/// Thrown by number_flows on every rank at the same point when the connections of all ranks do
/// not fit 32-bit item ids; any other failure inside it leaves the ranks out of step (the caller
/// should let it stop the job: MPI_Abort).
class too_many_flows : public bad_argument {
 public:
  using bad_argument::bad_argument;
  static constexpr const char* what_is = "expose::mpi: 4294967295 flows or more over all ranks (item ids are 32-bit)";
};

/// A rank's flows numbered over every rank.
struct flow_numbering {
  std::vector<std::uint32_t> id;  ///< per flow of this rank (its order), its number over all ranks
  std::uint64_t base = 0;         ///< the flows this rank saw first are numbered [base, base + first)
  std::uint64_t first = 0;        ///< how many flows this rank saw before any rank before it
  std::uint64_t total = 0;        ///< flows over all ranks, each connection once

  /// Whether this rank's flow `i` was seen first here (no rank before it saw the connection).
  [[nodiscard]] bool first_here(std::size_t i) const noexcept { return id[i] >= base && id[i] - base < first; }
};

namespace detail {

/// The rank that owns a connection: its canonical key's hash, mixed once more, so that an owner's
/// own hash table does not see keys whose low hash bits are all alike.
[[nodiscard]] inline std::uint32_t owner_of(const flow_key& k, std::uint32_t size) noexcept {
  const auto h = flow_key_hash::mix(flow_key_hash{}(flow_table::canonical(k)) ^ 0x5851f42d4c957f2dULL);
  return static_cast<std::uint32_t>(h % size);
}

}  // namespace detail

/// Numbers `flows` (this rank's, each connection once, oriented as it saw them) over every rank of
/// `comm` by first appearance in rank order, as one process reading the ranks' ranges one after the
/// other numbers them. Every rank calls it. Counts the bytes moved in `t`. Throws too_many_flows on
/// every rank when the connections do not fit 32-bit ids.
[[nodiscard]] inline flow_numbering number_flows(const std::vector<flow_key>& flows, MPI_Comm comm, traffic& t) {
  int rank_i = 0, size_i = 1;
  MPI_Comm_rank(comm, &rank_i);
  MPI_Comm_size(comm, &size_i);
  const auto size = static_cast<std::uint32_t>(size_i);
  flow_numbering out;
  const std::size_t n = flows.size();
  out.id.resize(n);
  MPI_Request request;
  if (size == 1) {
    if (n >= UINT32_MAX) throw too_many_flows(too_many_flows::what_is);
    std::iota(out.id.begin(), out.id.end(), std::uint32_t{0});
    out.first = out.total = n;
    return out;
  }

  // 1. Every flow to its owner.
  std::vector<std::uint32_t> owner(n);
  std::vector<std::uint64_t> sent_to(size, 0);
  for (std::size_t i = 0; i < n; ++i) {
    owner[i] = detail::owner_of(flows[i], size);
    ++sent_to[owner[i]];
  }
  std::vector<std::vector<flow_key>> to(size);
  for (std::uint32_t o = 0; o < size; ++o) to[o].reserve(sent_to[o]);
  for (std::size_t i = 0; i < n; ++i) to[owner[i]].push_back(flows[i]);
  auto keys = detail::exchange(std::move(to), comm, t);

  // 2. The owner: the first sender of each connection, in rank order.
  std::vector<std::vector<std::uint32_t>> slot(size);   // per sender, the table id of each flow it sent
  std::vector<std::vector<std::uint8_t>> firsts(size);  // per sender, per flow: it was the first
  std::size_t owned = 0;
  {
    flow_table table;
    std::size_t sent = 0;  // at most this many connections: the table is sized once
    for (const auto& k : keys) sent += k.size();
    table.reserve(sent);
    for (std::uint32_t from = 0; from < size; ++from) {
      slot[from].reserve(keys[from].size());
      firsts[from].reserve(keys[from].size());
      for (const auto& k : keys[from]) {
        const auto [id, inserted] = table.find_or_insert(k);
        slot[from].push_back(id);
        firsts[from].push_back(inserted ? 1 : 0);
      }
      expose::detail::release(keys[from]);
    }
    owned = table.size();
  }
  const auto first_of = detail::exchange(std::move(firsts), comm, t);
  for (std::uint32_t o = 0; o < size; ++o)
    if (first_of[o].size() != sent_to[o]) throw detail::job_stops("expose::mpi: a rank answered for other flows than it was sent");

  // 3. This rank numbers the flows it saw first, after the ranks before it.
  std::vector<std::size_t> at(size, 0);
  std::vector<char> is_first(n);
  for (std::size_t i = 0; i < n; ++i) {
    is_first[i] = static_cast<char>(first_of[owner[i]][at[owner[i]]++]);
    out.first += is_first[i] != 0 ? 1 : 0;
  }
  std::vector<std::uint64_t> all(size);
  MPI_Iallgather(&out.first, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, comm, &request);
  detail::wait_idly(request);
  out.base = std::accumulate(all.begin(), all.begin() + rank_i, std::uint64_t{0});
  out.total = std::accumulate(all.begin(), all.end(), std::uint64_t{0});
  if (out.total >= UINT32_MAX) throw too_many_flows(too_many_flows::what_is);  // every rank, here, at once

  // 4. Those numbers to the owners, and every flow's number back from them.
  std::vector<std::vector<std::uint32_t>> ids(size);
  std::uint64_t next = out.base;
  for (std::size_t i = 0; i < n; ++i)
    if (is_first[i] != 0) ids[owner[i]].push_back(static_cast<std::uint32_t>(next++));
  ids = detail::exchange(std::move(ids), comm, t);
  std::vector<std::uint32_t> number(owned, UINT32_MAX);
  for (std::uint32_t from = 0; from < size; ++from) {
    std::size_t j = 0;
    for (auto id : slot[from])
      if (number[id] == UINT32_MAX) {  // this sender is the first to have it: its next number
        if (j == ids[from].size()) throw detail::job_stops("expose::mpi: a rank numbered fewer flows than it saw first");
        number[id] = ids[from][j++];
      }
    if (j != ids[from].size()) throw detail::job_stops("expose::mpi: a rank numbered more flows than it saw first");
  }
  std::vector<std::vector<std::uint32_t>> answers(size);
  for (std::uint32_t from = 0; from < size; ++from) {
    answers[from].reserve(slot[from].size());
    for (auto id : slot[from]) answers[from].push_back(number[id]);
    expose::detail::release(slot[from]);
  }
  answers = detail::exchange(std::move(answers), comm, t);
  for (std::uint32_t o = 0; o < size; ++o)
    if (answers[o].size() != sent_to[o]) throw detail::job_stops("expose::mpi: a rank answered for other flows than it was sent");
  std::fill(at.begin(), at.end(), 0);
  for (std::size_t i = 0; i < n; ++i) out.id[i] = answers[owner[i]][at[owner[i]]++];
  return out;
}

}  // namespace expose::mpi
