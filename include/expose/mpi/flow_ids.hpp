#pragma once
// Numbering flows across MPI ranks as one process numbers them (component expose::mpi): by first
// appearance in rank order, each rank's flows in the order it saw them, with no rank holding
// every flow.
//
//   auto ids = mpi::number_flows(my_flows, comm, t);  // ids.id[i]: my flow i's number over all ranks
//
// Every connection has an owner, the rank its hash (of its canonical key) names. The ranks send
// each flow's hash to its owner (all-to-all), which tells every sender which of its flows carry a
// hash that came more than once: a connection whose hash only one flow of all ranks has was seen by
// one rank alone (a connection has one hash on every rank). Only the others' keys go to the owners,
// which, taking the senders in rank order, mark the first sender of each connection and tell every
// sender which of its flows it saw first, and of those, which another rank saw too. Each rank
// numbers the flows it saw first in its own order, after those of the ranks before it (an exclusive
// prefix sum of the counts), and sends the numbers another rank needs to the owners, who answer
// every later sender with the number of each connection it saw. Six exchanges: 9 bytes a flow,
// and at most 43 more for a flow whose hash another flow has (on the 6-hour trace over two ranks,
// 1,566 of 1,083,796 flows: the 783 connections both ranks saw). Each owner holds a table of its
// share of the hashes, and one of the keys sent to it.

#include <cstdint>
#include <numeric>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

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

/// A connection's hash, of its canonical key (flow_table::canonical): each word mixed in turn.
/// (Not flow_key_hash, which a flow table needs only well spread, not free of collisions: IPv4
/// addresses sit in the high half of a word, where its multiplies carry no further, and the
/// ports fold onto them: about 20,500 of the 6-hour trace's 1,083,013 connections share their
/// flow_key_hash with another, none this one.)
struct connection_hash {
  [[nodiscard]] std::uint64_t operator()(const flow_key& canonical) const noexcept {
    const auto s = canonical.src.words(), d = canonical.dst.words();
    std::uint64_t x = flow_key_hash::mix(s[0] ^ 0x5851f42d4c957f2dULL);
    x = flow_key_hash::mix(x ^ s[1]);
    x = flow_key_hash::mix(x ^ d[0]);
    x = flow_key_hash::mix(x ^ d[1]);
    return flow_key_hash::mix(x ^ (std::uint64_t{canonical.sport} << 24 | std::uint64_t{canonical.dport} << 8 | canonical.proto));
  }
};

/// number_flows with the connections' hash `hash` of canonical keys (any function of them: a
/// weaker one sends more keys to their owners, never another numbering; the tests give it ones
/// that collide).
template <class Hash>
[[nodiscard]] flow_numbering number_flows_by(const std::vector<flow_key>& flows, MPI_Comm comm, traffic& t, const Hash& hash) {
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
  // What a flow's owner says of it, and so what its sender does with it: numbers it (alone: no
  // other rank saw it; wanted: a later rank did, and needs the number), or takes its number from
  // the owner (later). key_sent: its key went to the owner, which has yet to say.
  enum said : std::uint8_t { later = 0, first_alone = 1, first_wanted = 2, key_sent = 3 };

  // 1. Every flow's hash to its owner.
  std::vector<std::uint32_t> owner(n);
  std::vector<std::uint64_t> sent_to(size, 0);
  std::vector<std::vector<std::uint64_t>> to(size);
  {
    std::vector<std::uint64_t> h(n);
    for (std::size_t i = 0; i < n; ++i) {
      h[i] = hash(flow_table::canonical(flows[i]));
      owner[i] = static_cast<std::uint32_t>(h[i] % size);
      ++sent_to[owner[i]];
    }
    for (std::uint32_t o = 0; o < size; ++o) to[o].reserve(sent_to[o]);
    for (std::size_t i = 0; i < n; ++i) to[owner[i]].push_back(h[i]);
  }
  auto hashes = exchange(std::move(to), comm, t);

  // 2. The owner: which hashes came more than once (those flows may be one connection; a hash
  // twice from one rank too: its key tells whether the rank listed a connection twice).
  std::vector<std::vector<std::uint8_t>> again(size);  // per sender, per hash it sent
  {
    boost::unordered_flat_map<std::uint64_t, bool> seen;  // whether it came more than once
    std::size_t sent = 0;
    for (const auto& x : hashes) sent += x.size();
    seen.reserve(sent);
    for (const auto& x : hashes)
      for (const auto v : x)
        if (const auto [it, inserted] = seen.try_emplace(v, false); !inserted) it->second = true;
    for (std::uint32_t from = 0; from < size; ++from) {
      again[from].reserve(hashes[from].size());
      for (const auto v : hashes[from]) again[from].push_back(seen.find(v)->second ? 1 : 0);
      expose::detail::release(hashes[from]);
    }
  }
  // Per flow, first_alone, or key_sent until its owner says more (step 3).
  std::vector<std::uint8_t> is(n, first_alone);
  std::vector<std::uint64_t> keys_to(size, 0);
  {
    auto again_of = exchange(std::move(again), comm, t);
    for (std::uint32_t o = 0; o < size; ++o)
      if (again_of[o].size() != sent_to[o]) throw job_stops("expose::mpi: a rank answered for other flows than it was sent");
    std::vector<std::size_t> at(size, 0);
    for (std::size_t i = 0; i < n; ++i)
      if (again_of[owner[i]][at[owner[i]]++] != 0) {
        is[i] = key_sent;
        ++keys_to[owner[i]];
      }
  }
  std::vector<std::vector<flow_key>> key_to(size);
  for (std::uint32_t o = 0; o < size; ++o) key_to[o].reserve(keys_to[o]);
  for (std::size_t i = 0; i < n; ++i)
    if (is[i] == key_sent) key_to[owner[i]].push_back(flows[i]);
  auto keys = exchange(std::move(key_to), comm, t);

  // 3. The owner: the first sender of each of those connections, in rank order, and whether a
  // later sender saw it too (then that sender needs its number).
  std::vector<std::vector<std::uint32_t>> slot(size);  // per sender, the table id of each key it sent
  std::vector<std::vector<std::uint8_t>> says(size);   // per sender, per key: a `said`
  std::size_t owned = 0;
  {
    flow_table table;
    std::vector<char> again_sent;  // per table id, whether a later sender sent it too
    std::size_t sent = 0;  // at most this many connections: the table is sized once
    for (const auto& k : keys) sent += k.size();
    table.reserve(sent);
    again_sent.reserve(sent);
    for (std::uint32_t from = 0; from < size; ++from) {
      slot[from].reserve(keys[from].size());
      says[from].reserve(keys[from].size());
      for (const auto& k : keys[from]) {
        const auto [id, inserted] = table.find_or_insert(k);
        slot[from].push_back(id);
        says[from].push_back(inserted ? first_alone : later);  // the senders come in rank order
        if (inserted) again_sent.push_back(0);
        else again_sent[id] = 1;
      }
      expose::detail::release(keys[from]);
    }
    owned = table.size();
    for (std::uint32_t from = 0; from < size; ++from)
      for (std::size_t k = 0; k < slot[from].size(); ++k)
        if (says[from][k] == first_alone && again_sent[slot[from][k]] != 0) says[from][k] = first_wanted;
  }
  auto says_kept = says;  // read again in step 5
  {
    auto said_of = exchange(std::move(says), comm, t);
    for (std::uint32_t o = 0; o < size; ++o)
      if (said_of[o].size() != keys_to[o]) throw job_stops("expose::mpi: a rank answered for other flows than it was sent");
    std::vector<std::size_t> at(size, 0);
    for (std::size_t i = 0; i < n; ++i)
      if (is[i] == key_sent) {
        is[i] = said_of[owner[i]][at[owner[i]]++];
        if (is[i] > first_wanted) throw job_stops("expose::mpi: a rank answered for other flows than it was sent");
      }
  }

  // 4. This rank numbers the flows it saw first, after the ranks before it, and sends the owners
  // the numbers later senders need.
  for (std::size_t i = 0; i < n; ++i) out.first += is[i] != later ? 1 : 0;
  std::vector<std::uint64_t> all(size);
  MPI_Iallgather(&out.first, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, comm, &request);
  wait_idly(request);
  out.base = std::accumulate(all.begin(), all.begin() + rank_i, std::uint64_t{0});
  out.total = std::accumulate(all.begin(), all.end(), std::uint64_t{0});
  if (out.total >= UINT32_MAX) throw too_many_flows(too_many_flows::what_is);  // every rank, here, at once
  std::vector<std::vector<std::uint32_t>> ids(size);
  std::uint64_t next = out.base;
  for (std::size_t i = 0; i < n; ++i)
    if (is[i] != later) {
      out.id[i] = static_cast<std::uint32_t>(next++);
      if (is[i] == first_wanted) ids[owner[i]].push_back(out.id[i]);
    }
  ids = exchange(std::move(ids), comm, t);

  // 5. The owner: every later sender's numbers, from the first senders'.
  std::vector<std::uint32_t> number(owned, UINT32_MAX);
  for (std::uint32_t from = 0; from < size; ++from) {
    std::size_t j = 0;
    for (std::size_t k = 0; k < slot[from].size(); ++k)
      if (says_kept[from][k] == first_wanted) {
        if (j == ids[from].size()) throw job_stops("expose::mpi: a rank numbered fewer flows than it saw first");
        number[slot[from][k]] = ids[from][j++];
      }
    if (j != ids[from].size()) throw job_stops("expose::mpi: a rank numbered more flows than it saw first");
    expose::detail::release(ids[from]);
  }
  std::vector<std::vector<std::uint32_t>> answers(size);
  for (std::uint32_t from = 0; from < size; ++from) {
    for (std::size_t k = 0; k < slot[from].size(); ++k)
      if (says_kept[from][k] == later) answers[from].push_back(number[slot[from][k]]);
    expose::detail::release(slot[from]);
    expose::detail::release(says_kept[from]);
  }
  expose::detail::release(number);
  answers = exchange(std::move(answers), comm, t);
  std::vector<std::size_t> at(size, 0);
  for (std::size_t i = 0; i < n; ++i)
    if (is[i] == later) {
      const auto o = owner[i];
      if (at[o] == answers[o].size()) throw job_stops("expose::mpi: a rank answered for fewer flows than it was sent");
      out.id[i] = answers[o][at[o]++];
    }
  for (std::uint32_t o = 0; o < size; ++o)
    if (at[o] != answers[o].size()) throw job_stops("expose::mpi: a rank answered for more flows than it was sent");
  return out;
}

}  // namespace detail

/// Numbers `flows` (this rank's, each connection once, oriented as it saw them) over every rank of
/// `comm` by first appearance in rank order, as one process reading the ranks' ranges one after the
/// other numbers them. Every rank calls it. Counts the bytes moved in `t`. Throws too_many_flows on
/// every rank when the connections do not fit 32-bit ids.
[[nodiscard]] inline flow_numbering number_flows(const std::vector<flow_key>& flows, MPI_Comm comm, traffic& t) {
  return detail::number_flows_by(flows, comm, t, detail::connection_hash{});
}

}  // namespace expose::mpi
