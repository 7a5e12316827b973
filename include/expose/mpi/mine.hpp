#pragma once
// Mining one trace across many processes with MPI (component expose::mpi), with the results of
// one process, byte for byte.
//
//   MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
//   auto run = expose::mpi::mine(MPI_COMM_WORLD, {"day.pcap"}, spec);
//   if (rank == 0) write_json(std::cout, run.result);
//
// The phases (DESIGN.md §4, "Across machines"):
//  1. read    every rank reads its byte range of the files (io::cut: the files as one stream, cut
//             into equal byte ranges; a classic pcap or pcapng file is cut anywhere and each range
//             resynchronizes on a record or block boundary, any other file goes whole to the rank
//             its first byte falls to) through the ingest every driver uses (ingest.hpp, keyed by
//             flow, within the rank's limits) into flows and activity keyed by its own flow ids,
//             each connection oriented by the first packet the rank saw of it. The ranks' pieces
//             of each file must meet as one reader reads it: a piece after damage in its file is
//             dropped, and one that did not start where (or in the pcapng section in which) the
//             piece before stopped is read again from there (detail::settle_pieces; rare: damaged
//             or ambiguous files, pcapng files of several sections). Then the IP
//             fragment tables go from rank to rank: later fragments whose first fragment lay in
//             an earlier rank's range are placed in their flows (detail::carry_fragments).
//  2. merge   the flows are numbered across the ranks as one whole read numbers them, by first
//             appearance in rank order (mpi::number_flows: each connection's owner rank, by hash,
//             finds its first sender; no rank holds every flow), and every rank turns its
//             activity into entries under those numbers, sorted. Rank 0 then takes, in rank order,
//             only the flows each rank saw first (a connection keeps the orientation of the rank
//             that saw it first) and the ranks' sorted entries, which it merges where they overlap
//             (activity of a window read by two ranks is OR-ed). Then the generic items: rank 0
//             builds the window items (closures over every flow) and counts them while rank 1
//             builds the host-variable items from the same flows and activity (SplitLattice; the
//             two take about the same time) and counts those. With ranks after rank 1 (and an
//             engine that counts in parts), rank 1 shares the flows and activity with them and
//             each of ranks 1, 2, ... makes the host items' rows of an equal share of the windows,
//             their counts added up (MPI_Iallreduce), rank 1 joining the rows (join_host_parts);
//             rank 0 joins the items, and
//             broadcasts both activity matrices to the ranks after rank 1, if any. With an engine
//             that deals its chunks (DealtEngine), the window items' rows go to whichever rank is
//             free: each takes the next chunk from a counter on rank 0 (detail::chunk_counter;
//             the ranks after rank 0 take four at a time),
//             rank 1 once its host items are counted (rank 0 sends it the matrix meanwhile).
//             Threads take chunks in turn, so an engine on several threads needs MPI initialized
//             with MPI_THREAD_SERIALIZED for this (under plain MPI_Init it counts as before).
//  3. count   every rank counts its share of the antecedent rows (engine::gustavson's part/parts,
//             or chunks dealt): with the host items built apart, rank 0 and rank 1 did theirs in
//             phase 2, and the other ranks share both matrices with them.
//  4. score   rank 0 gathers the scored pairs, sorts them, and runs the rest of `mine` on them:
//             the significance test over the global count of hypotheses, rules, clusters. With the
//             host items apart, rank 1 (which holds them and the flows' activity) takes every host
//             pair too and measures the host rules' delays (host_rule_delays) while rank 0 tests
//             the window pairs and makes the rules; finish_rules takes them as they are.
// Rank 0 holds every flow once and the activity, as one process does after ingest, but no flow
// table (the owners hold a share of it each); rank 1, while it builds the host-variable items,
// holds every flow and their activity too, and so do the ranks after it while they make their
// parts of them; the other ranks hold their range's flows, then the activity. A rank that cannot read its input is named, with the file, in the
// error every rank throws after the read phase (no rank is left waiting in a collective).

// MPI's C API comes with expose/mpi/messages.hpp (without the deprecated C++ bindings).
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "expose/activity.hpp"
#include "expose/delays.hpp"
#include "expose/detail/release.hpp"
#include "expose/error.hpp"
#include "expose/flow_key.hpp"
#include "expose/flow_table.hpp"
#include "expose/ingest.hpp"
#include "expose/input.hpp"
#include "expose/io/fragments.hpp"
#include "expose/io/pcap_range.hpp"
#include "expose/io/read_ahead.hpp"
#include "expose/keys/five_tuple.hpp"
#include "expose/limits.hpp"
#include "expose/mine_result.hpp"
#include "expose/mpi/flow_ids.hpp"
#include "expose/mpi/messages.hpp"
#include "expose/names.hpp"
#include "expose/orientation.hpp"
#include "expose/pattern_list.hpp"
#include "expose/pipeline.hpp"

namespace expose::mpi {

/// Seconds each phase took on one rank, and the bytes it sent and received (traffic).
struct phase_times : traffic {
  double read = 0;
  double merge = 0;
  double count = 0;
  double score = 0;
  std::uint64_t packets = 0;  ///< records this rank read
  std::uint64_t peak_kib = 0;  ///< the rank's peak resident memory (getrusage), KiB
  double generalize = 0;       ///< of `merge`, the generic items (rank 0)
  /// CPU seconds of the process in each phase (all its threads; waiting ranks sleep, so this is
  /// the work done, whatever else runs on the machine).
  double read_cpu = 0, merge_cpu = 0, count_cpu = 0, score_cpu = 0;
  /// On rank 0, the host rules whose delays it took from rank 1 and those it measured itself
  /// (all of them on one rank; on more, rank 1 measures them all unless it failed to).
  std::uint64_t host_delays_taken = 0, host_delays_measured = 0;
  /// Whether the window items' rows were dealt to whichever rank was free (a counter on rank 0),
  /// else cut in fixed parts: on one rank, without host items built apart, with several counting
  /// threads under less than MPI_THREAD_SERIALIZED, or where MPI could not make the counter's
  /// window (`no_one_sided`: no one-sided transport, e.g. Open MPI without an osc component).
  bool window_rows_dealt = false;
  bool no_one_sided = false;
  /// Seconds of each phase the rank spent waiting in MPI for other ranks, or for a transfer to end
  /// (detail::waited_seconds): where the ranks' work is not balanced, the ones that wait say so.
  double read_wait = 0, merge_wait = 0, count_wait = 0, score_wait = 0;
};

struct mine_options {
  /// How every rank reads its range: the filter, the decoding (ICMP errors, host names), the
  /// fragments' wait; progress is called on rank 0 for its own range. Host names (`read.decode.names`,
  /// the pointer set on every rank): rank 0's table gets, after its own range's, every later
  /// rank's in rank order, as one process reading the whole would have them.
  io::pcap_read_options read{};
  bool read_ahead = false;       ///< decode on a second thread (when each rank has two cores)
  /// Each rank's limits while it reads its range (ingest.hpp): at a limit a rank evicts its idle,
  /// rare flows. Rank 0's merge then holds the flows every rank kept.
  ingest_limits limits{};
};

struct mine_outcome {
  mine_result result;              ///< the whole result on rank 0; empty on the others
  std::vector<phase_times> times;  ///< every rank's on rank 0; the rank's own elsewhere
};

namespace detail {

/// Scored pairs as a counting engine returns them: by (x, y).
inline bool by_items(const scored_pair& l, const scored_pair& r) { return l.x != r.x ? l.x < r.x : l.y < r.y; }

/// Calls `f` on each vector of an activity matrix that counting and generalizing read (not the
/// offsets): one list for every way the matrix goes between ranks.
template <class A, class F>
void each_part(A& a, F&& f) {
  f(a.windows);
  f(a.window_start);
  f(a.window_items);
  f(a.item_start);
  f(a.item_windows);
}

/// Broadcasts an activity matrix from `root`, each of its vectors where it lies (no copy).
inline void bcast_activity(activity& a, int root, MPI_Comm comm, traffic& t) {
  bcast_value(a.samples, root, comm, t);
  each_part(a, [&](auto& v) { bcast_vector(v, root, comm, t); });
}

/// Sends an activity matrix to one rank (its vectors where they lie; no offsets), and takes one.
inline void send_activity(const activity& a, int to, MPI_Comm comm, traffic& t) {
  send_vector(std::vector<std::uint64_t>{a.samples}, to, comm, t);
  each_part(a, [&](const auto& v) { send_vector(v, to, comm, t); });
}
[[nodiscard]] inline activity recv_activity(int from, MPI_Comm comm, traffic& t) {
  activity a;
  const auto samples = recv_vector<std::uint64_t>(from, comm, t);
  if (samples.size() != 1) throw job_stops("expose::mpi: a message between ranks is not an activity matrix");
  a.samples = samples[0];
  each_part(a, [&](auto& v) { v = recv_vector<typename std::remove_cvref_t<decltype(v)>::value_type>(from, comm, t); });
  return a;
}

/// Sends a list of patterns to one rank as it is held (16 bytes a pattern, and the IPv6 addresses
/// they number), and takes one.
inline void send_patterns(const pattern_list& l, int to, MPI_Comm comm, traffic& t) {
  send_vector(l.packed_patterns(), to, comm, t);
  send_vector(l.v6_addresses(), to, comm, t);
}
/// The list of patterns another rank held (its packed_patterns and v6_addresses, taken).
[[nodiscard]] inline pattern_list patterns_taken(std::vector<pattern_list::packed> patterns, std::vector<ip_address> v6) {
  try {
    return pattern_list::from_parts(std::move(patterns), std::move(v6));
  } catch (const std::out_of_range&) {
    throw job_stops("expose::mpi: a message between ranks is not a list of patterns");
  }
}
[[nodiscard]] inline pattern_list recv_patterns(int from, MPI_Comm comm, traffic& t) {
  auto patterns = recv_vector<pattern_list::packed>(from, comm, t);
  return patterns_taken(std::move(patterns), recv_vector<ip_address>(from, comm, t));
}
/// Broadcasts a list of patterns as it is held from `root`, where it is read (never changed); the
/// other ranks' `l` becomes it.
inline void bcast_patterns(pattern_list& l, int root, MPI_Comm comm, traffic& t) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == root) {
    bcast_vector(const_cast<std::vector<pattern_list::packed>&>(l.packed_patterns()), root, comm, t);
    bcast_vector(const_cast<std::vector<ip_address>&>(l.v6_addresses()), root, comm, t);
    return;
  }
  std::vector<pattern_list::packed> patterns;
  std::vector<ip_address> v6;
  bcast_vector(patterns, root, comm, t);
  bcast_vector(v6, root, comm, t);
  l = patterns_taken(std::move(patterns), std::move(v6));
}

/// A communicator of part of the ranks (MPI_Comm_split), freed when it goes out of scope; null
/// on the ranks outside it.
struct sub_comm {
  MPI_Comm comm = MPI_COMM_NULL;
  sub_comm() = default;
  sub_comm(const sub_comm&) = delete;
  sub_comm& operator=(const sub_comm&) = delete;
  ~sub_comm() {
    if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  }
};

/// What goes ahead of a matrix between ranks: whether it was made, its samples, its vectors' sizes.
using matrix_head = std::array<std::uint64_t, 7>;
[[nodiscard]] inline matrix_head head_of(const activity* a) {
  matrix_head head{a != nullptr ? 1u : 0u};
  if (a == nullptr) return head;
  head[1] = a->samples;
  std::size_t i = 2;
  each_part(*a, [&](const auto& v) { head[i++] = v.size(); });
  return head;
}
/// The matrix a head announces, its vectors sized to be received into; nothing when none was made.
[[nodiscard]] inline std::optional<activity> sized_by(const matrix_head& head) {
  if (head[0] == 0) return std::nullopt;
  activity a;
  a.samples = head[1];
  std::size_t i = 2;
  each_part(a, [&](auto& v) { v.resize(head[i++]); });
  return a;
}

/// A matrix on its way from its maker (rank 0 of `group`) to the ranks that help count it: first
/// whether it was made, its vectors' sizes, then the vectors themselves, broadcast without
/// waiting, so that the maker goes on (the helpers may still be counting another matrix). The
/// maker keeps the matrix as it is until the share is destroyed, which waits for the helpers to
/// have it. Nothing on the ranks outside the group.
class matrix_share {
 public:
  /// Starts sharing `a` (null: it was not made, and nothing follows).
  matrix_share(const activity* a, MPI_Comm group, traffic& t) : group_(group) {
    if (group == MPI_COMM_NULL) return;
    matrix_head head = head_of(a);
    bcast_value(head, 0, group, t);
    if (a == nullptr) return;
    // the root only sends: its vectors are read, never resized
    each_part(const_cast<activity&>(*a), [&](auto& v) { start_bcast(v, 0, group_, t, requests_); });
  }
  matrix_share(const matrix_share&) = delete;
  matrix_share& operator=(const matrix_share&) = delete;
  ~matrix_share() { wait_all_idly(requests_); }

  /// A helper's side: the matrix, or nothing when its maker failed (the job stops when the ranks
  /// agree after the merge).
  [[nodiscard]] static std::optional<activity> receive(MPI_Comm group, traffic& t) {
    matrix_head head{};
    bcast_value(head, 0, group, t);
    auto a = sized_by(head);
    if (!a) return a;
    std::vector<MPI_Request> requests;
    each_part(*a, [&](auto& v) { start_bcast(v, 0, group, t, requests); });
    wait_all_idly(requests);
    return a;
  }

 private:
  MPI_Comm group_;
  std::vector<MPI_Request> requests_;
};

/// The window items' matrix on its way from rank 0 to rank 1, which takes chunks of its rows once
/// its host items are done: sent without waiting (rank 0 counts meanwhile, and its calls to the
/// chunk counter move the message on), kept as it is until this is destroyed, which waits for
/// rank 1 to have it. First whether it was made and its vectors' sizes, then the vectors.
class matrix_send {
 public:
  static constexpr int tag = tag_matrix;

  matrix_send(const activity* a, int to, MPI_Comm comm, traffic& t) : head_(head_of(a)) {
    requests_.emplace_back();
    MPI_Isend(head_.data(), sizeof head_, MPI_BYTE, to, tag, comm, &requests_.back());
    t.bytes_sent += sizeof head_;
    if (a == nullptr) return;
    each_part(*a, [&](const auto& v) { start_send(v, to, tag, comm, t, requests_); });
  }
  matrix_send(const matrix_send&) = delete;
  matrix_send& operator=(const matrix_send&) = delete;
  ~matrix_send() { wait_all_idly(requests_); }

  /// Rank 1's side: the matrix, or nothing when rank 0 did not make it.
  [[nodiscard]] static std::optional<activity> receive(int from, MPI_Comm comm, traffic& t) {
    matrix_head head{};
    MPI_Request request;
    MPI_Irecv(head.data(), sizeof head, MPI_BYTE, from, tag, comm, &request);
    wait_idly(request);
    t.bytes_received += sizeof head;
    auto a = sized_by(head);
    if (!a) return a;
    std::vector<MPI_Request> requests;
    each_part(*a, [&](auto& v) { start_recv(v, from, tag, comm, t, requests); });
    wait_all_idly(requests);
    return a;
  }

 private:
  matrix_head head_{};
  std::vector<MPI_Request> requests_;
};

/// A counter on rank 0 of `comm` that the ranks sharing one count take chunks of rows from, each
/// when it is free (MPI_Fetch_and_op: on a network with atomics rank 0 need not answer; elsewhere,
/// and with Open MPI 4.1 on one machine, its own calls to the counter, and its waits, move the
/// others' on: so the other ranks take `batch` chunks at a time). Made and
/// destroyed by every rank of `comm` at once (MPI_Win_create and MPI_Win_free are collective),
/// except when an exception leaves a rank alone (one the ranks did not agree on: the job stops
/// with MPI_Abort), where it is left for MPI_Abort to end rather than wait for the others.
class chunk_counter {
 public:
  /// Every rank of `comm` at once. Where MPI cannot make the window (no one-sided transport) on
  /// some rank, the ranks agree that there is no counter (usable() is false everywhere) instead
  /// of the job stopping: a rank that made one leaves it unfreed (freeing it would wait for the
  /// ranks that have none).
  explicit chunk_counter(MPI_Comm comm) : exceptions_(std::uncaught_exceptions()) {
    MPI_Comm_rank(comm, &rank_);
    MPI_Errhandler was = MPI_ERRHANDLER_NULL;
    MPI_Comm_get_errhandler(comm, &was);
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    int made = MPI_Win_create(&next_, rank_ == 0 ? sizeof next_ : 0, sizeof next_, MPI_INFO_NULL, comm, &window_) == MPI_SUCCESS ? 1 : 0;
    MPI_Comm_set_errhandler(comm, was);
    MPI_Errhandler_free(&was);
    MPI_Allreduce(MPI_IN_PLACE, &made, 1, MPI_INT, MPI_MIN, comm);
    if (made == 0) {
      window_ = MPI_WIN_NULL;
      return;
    }
    MPI_Win_lock_all(0, window_);
  }
  chunk_counter(const chunk_counter&) = delete;
  chunk_counter& operator=(const chunk_counter&) = delete;
  ~chunk_counter() {
    if (window_ == MPI_WIN_NULL || std::uncaught_exceptions() > exceptions_) return;
    MPI_Win_unlock_all(window_);
    MPI_Win_free(&window_);
  }

  /// Whether there is a counter to take chunks from (the same on every rank).
  [[nodiscard]] bool usable() const noexcept { return window_ != MPI_WIN_NULL; }

  /// The next chunk, over every rank (0, 1, 2, ...): rank 0 takes them one at a time, the others
  /// `batch` at a time, each of which it counts unless the rows are done (then every later one is
  /// past the end too).
  [[nodiscard]] std::size_t take() {
    if (left_ == 0) {
      const std::uint64_t n = rank_ == 0 ? 1 : batch;
      MPI_Fetch_and_op(&n, &next_mine_, MPI_UINT64_T, 0, 0, MPI_SUM, window_);
      MPI_Win_flush(0, window_);
      left_ = n;
    }
    --left_;
    return static_cast<std::size_t>(next_mine_++);
  }
  /// How many chunks a rank other than 0 takes at once. Its take waits for rank 0 where rank 0
  /// must answer (Open MPI 4.1's osc pt2pt, and osc rdma over vader, on one machine): one at a
  /// time, rank 1 waited 1.7 ms a take on the 6-hour trace on 2 ranks (80 ms for its 46 chunks
  /// of the window rows, where a chunk took 2-5 ms), four at a time 18-21 ms in all (two runs);
  /// rank 0's own take is 1.6 us. At the end a rank holds at most batch - 1 chunks another
  /// could have counted.
  static constexpr std::uint64_t batch = 4;

 private:
  std::uint64_t next_ = 0;       // rank 0's: the next chunk to give
  std::uint64_t next_mine_ = 0;  // the next of the chunks this rank took
  std::uint64_t left_ = 0;       // how many of them are left
  int rank_ = 0;
  MPI_Win window_ = MPI_WIN_NULL;
  int exceptions_;
};

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
inline double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// The seconds and CPU seconds of some work, summed over its parts: the counting a rank does
/// inside the merge phase, reported as counting.
struct work_time {
  double seconds = 0, cpu = 0;
  template <class F>
  void add(F&& work) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    std::forward<F>(work)();
    seconds += seconds_since(t0);
    cpu += cpu_seconds() - c0;
  }
};

/// Rank 1's share of the generic items: it hears from rank 0 whether the merge worked and, if so,
/// takes every flow (the base items) and their activity, builds the host-variable items
/// (make_host_items; with ranks in `host_group`, the ranks after it, in parts with them:
/// share_host_inputs, host_items_in_parts), shares their matrix with them (they help count it), counts its share of their pairs with `counting` (its engine's part) and answers
/// rank 0 with what went wrong, or nothing and then the items, each vector where it lies. With
/// `window_counting` (an engine that deals its chunks), it takes the window items' matrix from
/// rank 0 (matrix_send) before it answers, and, when all went well, counts the chunks of its rows
/// still left, into `window_pairs`.
/// Returns the host pairs it counted and, when all went well, the host items over the flows and
/// their activity with its offsets (item_space::of_hosts), where it measures the host rules'
/// delays in the score phase (delays_answer), once the ranks after it sent their host pairs and
/// while rank 0 tests the pairs: the items go to rank 0 first, since rank 0 waits for them once the
/// window rows are counted (measured before the items went, on the 6-hour trace over two ranks,
/// the delays' 0.16 s came on top of rank 0's wait); adds the counting's time to `counting_time`.
struct host_side {
  std::vector<scored_pair> pairs;
  std::optional<item_space> space;
};

/// Rank 1's answer to rank 0 with the host rules' delays (host_rule_delays over `space` of the
/// host pairs `pairs`, every rank's), or with what went wrong (rank 0 then measures them itself:
/// the same delays).
template <class K, class W, class L, class S, class E, class C>
[[nodiscard]] std::vector<char> delays_answer(const item_space* space, std::vector<scored_pair> pairs, const pipeline<K, W, L, S, E, C>& spec) {
  writer answer;
  try {
    if (space == nullptr) throw error("no host items");
    std::sort(pairs.begin(), pairs.end(), by_items);
    const measured_delays known = host_rule_delays(*space, std::move(pairs), spec);
    answer.put_string("");
    answer.put_vector(known.entries);
  } catch (const std::exception& e) {
    answer = {};
    answer.put_string(std::string("rank 1: ") + e.what());
  }
  return std::move(answer.bytes);
}

/// The host items in parts, one a rank of `host_group` (ranks 1, 2, ... of the job; its rank 0 is
/// rank 1), each the rows of an equal share of the windows, their counts added up with
/// MPI_Iallreduce (SplitLattice::make_host_items in parts); rank 1 takes the others' rows and joins
/// them (join_host_parts). Every rank of the group at once, after rank 1 broadcast the flows and
/// their activity (share_host_inputs). Rank 1 gets the items, the others nothing. An expose::error
/// while the parts are made (too many activity entries, say) comes at the same point on every rank
/// (the sums make what they read the same): rank 1 throws it, to be said to rank 0 as any failure
/// of its host items; any other failure stops the job (job_stops): the others are in a collective.
template <class K, class W, class L, class S, class E, class C>
  requires SplitLattice<L>
[[nodiscard]] host_items host_items_in_parts(const pattern_list& base, const activity& a, const pipeline<K, W, L, S, E, C>& spec,
                                             MPI_Comm host_group, traffic& t) {
  int me = 0, parts = 1;
  MPI_Comm_rank(host_group, &me);
  MPI_Comm_size(host_group, &parts);
  try {
    const std::size_t n = a.windows.size();
    const auto at = [&](int j) { return n * static_cast<std::size_t>(j) / static_cast<std::size_t>(parts); };
    const window_part part{at(me), at(me + 1)};
    // every rank calls it alike (the same spans' lengths); waited for idly, as every wait here
    const auto sum = [&](std::span<std::uint64_t> v) {
      const auto words = static_cast<std::uint64_t>(v.size());
      std::uint64_t done = 0;
      do {  // MPI counts are ints
        const auto k = std::min<std::uint64_t>(words - done, std::uint64_t{1} << 30);
        MPI_Request request;
        MPI_Iallreduce(MPI_IN_PLACE, v.data() + done, static_cast<int>(k), MPI_UINT64_T, MPI_SUM, host_group, &request);
        wait_idly(request);
        t.bytes_sent += k * sizeof(std::uint64_t);
        t.bytes_received += k * sizeof(std::uint64_t);
        done += k;
      } while (done < words);
    };
    host_items mine;
    try {
      mine = make_host_items(base, a, spec, part, sum);
    } catch (const error&) {  // on every rank of the group alike, before any part is sent
      if (me != 0) return {};
      throw;
    }
    if (me != 0) {
      send_vector(mine.hosts.item_start, 0, host_group, t);
      send_vector(mine.hosts.item_windows, 0, host_group, t);
      send_vector(mine.window_start, 0, host_group, t);
      return {};
    }
    std::vector<host_items> all;
    all.reserve(static_cast<std::size_t>(parts));
    all.push_back(std::move(mine));
    for (int from = 1; from < parts; ++from) {
      host_items theirs;
      theirs.hosts.item_start = recv_vector<entry_index>(from, host_group, t);
      theirs.hosts.item_windows = recv_vector<std::uint32_t>(from, host_group, t);
      theirs.window_start = recv_vector<std::size_t>(from, host_group, t);
      all.push_back(std::move(theirs));
    }
    return join_host_parts(std::move(all));
  } catch (const error&) {
    throw;
  } catch (const std::exception& e) {
    throw job_stops("rank " + std::to_string(me + 1) + ": the host items: " + e.what());
  }
}

/// Rank 1's flows and their activity to the ranks after it (`host_group`), or what went wrong
/// before (`failure`: then nothing else). A helper's side: help_host_items.
inline void share_host_inputs(std::string failure, const pattern_list* base, const activity* a, MPI_Comm host_group, traffic& t) {
  if (host_group == MPI_COMM_NULL) return;
  writer w;
  w.put_string(failure);
  bcast_bytes(w.bytes, 0, host_group, t);
  if (!failure.empty()) return;
  // the root only sends: what it holds is read, never resized
  bcast_patterns(const_cast<pattern_list&>(*base), 0, host_group, t);
  bcast_activity(const_cast<activity&>(*a), 0, host_group, t);
}

/// A helper's part of the host items (rank 2, 3, ...: host_items_in_parts), once rank 1 shared the
/// flows and their activity; nothing when it said what went wrong before.
template <class K, class W, class L, class S, class E, class C>
  requires SplitLattice<L>
void help_host_items(const pipeline<K, W, L, S, E, C>& spec, MPI_Comm host_group, traffic& t) {
  std::vector<char> b;
  bcast_bytes(b, 0, host_group, t);
  reader rd(b);
  if (!rd.get_string().empty()) return;
  pattern_list base;
  activity a;
  bcast_patterns(base, 0, host_group, t);
  bcast_activity(a, 0, host_group, t);
  [[maybe_unused]] const host_items none = host_items_in_parts(base, a, spec, host_group, t);
}

template <class K, class W, class L, class S, class E, class C>
  requires SplitLattice<L>
[[nodiscard]] host_side build_host_items(const pipeline<K, W, L, S, E, C>& spec, const pipeline<K, W, L, S, E, C>& counting,
                                                        const pipeline<K, W, L, S, E, C>* window_counting, MPI_Comm comm, MPI_Comm host_group,
                                                        traffic& t, work_time& counting_time, std::vector<scored_pair>& window_pairs) {
  // Rank 0 always sends the window items' matrix, or word that it has none: taken on every way
  // out, and counted when nothing went wrong before. A failure while taking it leaves rank 0 in a
  // send: it stops the job (MPI_Abort); one of the count is said (`failed`).
  const auto window_rows = [&](std::string& failed) {
    if (window_counting == nullptr) return;
    const auto windows = matrix_send::receive(0, comm, t);
    if (!windows || !failed.empty()) return;
    try {
      counting_time.add([&] { window_pairs = count_window_pairs(*windows, *window_counting); });
    } catch (const std::exception& e) {
      failed = std::string("rank 1: ") + e.what();
    }
  };
  {
    const auto b = recv_bytes(0, comm, t);
    reader rd(b);
    if (!rd.get_string().empty()) {  // rank 0 says what went wrong, to every rank
      share_host_inputs("rank 0's", nullptr, nullptr, host_group, t);
      const matrix_share none(nullptr, host_group, t);
      std::string failed = "rank 0's";  // the matrix is only taken
      window_rows(failed);
      return {};
    }
  }
  std::string failure;
  std::vector<scored_pair> pairs;
  // A failure while taking them leaves rank 0 in a send: it stops the job (MPI_Abort), as one
  // while sending the items back would. A failure of the work itself is said to rank 0.
  pattern_list base = recv_patterns(0, comm, t);
  activity a = recv_activity(0, comm, t);
  a.item_offsets = recv_vector<window_offset>(0, comm, t);  // read for the delays alone
  // The host items go at once into a space over the flows and their activity (moved, not
  // copied): the delays read them there, and they are shared with the ranks after rank 1 and sent
  // to rank 0 from there. Made before `helpers`, so that it goes after the broadcasts of its
  // matrix have ended, on every way out.
  std::optional<item_space> space;
  std::vector<flow_pattern> closures;
  // With helpers (ranks 2, 3, ...), each makes the rows of a share of the windows (from the flows
  // and activity rank 1 shares with them); rank 1 joins them.
  share_host_inputs("", &base, &a, host_group, t);
  try {
    host_items h = host_group == MPI_COMM_NULL ? make_host_items(base, a, spec) : host_items_in_parts(base, a, spec, host_group, t);
    a.drop_window_major();  // what the host items read of it; the delays read the item -> windows form
    closures = h.closures;  // a few hundred patterns: the space keeps them in its pattern_list
    space = item_space::of_hosts(std::move(base), std::move(a), std::move(h));
  } catch (const job_stops&) {
    throw;
  } catch (const std::exception& e) {
    failure = std::string("rank 1: ") + e.what();
  }
  matrix_share helpers(failure.empty() ? &space->hosts : nullptr, host_group, t);  // to the ranks after rank 1
  if (failure.empty()) {
    try {
      counting_time.add([&] { pairs = count_host_pairs(space->hosts, counting); });
    } catch (const std::exception& e) {
      failure = std::string("rank 1: ") + e.what();
    }
  }
  window_rows(failure);
  writer w;
  w.put_string(failure);
  send_bytes(w.bytes, 0, comm, t);
  if (!failure.empty()) return {};
  send_vector(closures, 0, comm, t);
  {
    std::vector<std::uint64_t> sizes;
    std::vector<std::uint32_t> flows;
    for (const auto& m : space->generic_members) {  // the host items' alone: the space has no window items' groups
      sizes.push_back(m.size());
      flows.insert(flows.end(), m.begin(), m.end());
    }
    send_vector(sizes, 0, comm, t);
    send_vector(flows, 0, comm, t);
  }
  send_activity(space->hosts, 0, comm, t);
  send_vector(space->hosts.item_offsets, 0, comm, t);
  send_vector(space->host_window_start, 0, comm, t);
  expose::detail::release(space->host_window_start);  // describe_time's, on rank 0
  return {std::move(pairs), std::move(space)};
}

/// Rank 0 takes rank 1's host-variable items (build_host_items), or what went wrong there
/// (`failure`, then no items).
[[nodiscard]] inline host_items receive_host_items(MPI_Comm comm, traffic& t, std::string& failure) {
  {
    const auto b = recv_bytes(1, comm, t);
    reader rd(b);
    failure = rd.get_string();
    if (!failure.empty()) return {};
  }
  host_items h;
  h.closures = recv_vector<flow_pattern>(1, comm, t);
  const auto sizes = recv_vector<std::uint64_t>(1, comm, t);
  const auto flows = recv_vector<std::uint32_t>(1, comm, t);
  h.members.reserve(sizes.size());
  std::size_t at = 0;
  for (const auto n : sizes) {
    if (n > flows.size() - at) throw job_stops("expose::mpi: rank 1's host items are damaged");
    h.members.emplace_back(flows.begin() + static_cast<std::ptrdiff_t>(at), flows.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
  }
  h.hosts = recv_activity(1, comm, t);
  h.hosts.item_offsets = recv_vector<window_offset>(1, comm, t);
  h.window_start = recv_vector<std::size_t>(1, comm, t);
  return h;
}

/// What one rank read: its flows in first-seen order, oriented by its own first packet of each,
/// their activity (flow-major: each flow's windows and when in each it first sent a packet), and
/// what the reader saw. After number_shard, the flows it saw before any earlier rank and its
/// activity as entries numbered over every rank: what it sends rank 0.
struct shard {
  input_stats input;
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t last = std::numeric_limits<std::int64_t>::min();
  std::vector<flow_key> flows;
  std::vector<std::int64_t> windows;
  std::vector<entry_index> flow_start;       // windows of flow f: flow_windows[flow_start[f], flow_start[f+1])
  std::vector<std::uint32_t> flow_windows;   // positions in `windows`
  std::vector<window_offset> flow_offsets;   // beside flow_windows
  std::vector<std::uint64_t> starts, stops;              // per slice
  std::vector<std::int64_t> span_first, span_last;      // per slice
  std::vector<std::uint64_t> section_start, section_stop;  // per slice: pcapng sections it was read in (pcap_slices::sections)
  std::vector<std::uint64_t> records;                      // per slice: records read (pcap_slices::records; not sent)
  std::vector<io::pcapng_reader::section> stop_sections;   // per slice: where it stopped (pcap_slices::stop_sections; not sent)
  std::vector<io::pcap_slices::damage_found> damages;      // per slice (pcap_slices::damages; not sent)

  /// After a read of the slices not `dropped` (per slice of the rank's cut, settle_pieces),
  /// the per-slice lists are the cut's again: a dropped slice read nothing.
  void put_back_dropped(const std::vector<char>& dropped) {
    const auto spread = [&]<class T>(std::vector<T>& v, T none) {
      std::vector<T> all;
      std::size_t k = 0;
      for (const char d : dropped) all.push_back(d != 0 || k >= v.size() ? none : v[k++]);
      v = std::move(all);
    };
    spread(starts, std::uint64_t{0});
    spread(stops, std::uint64_t{0});
    spread(span_first, std::numeric_limits<std::int64_t>::max());
    spread(span_last, std::numeric_limits<std::int64_t>::min());
    spread(section_start, std::uint64_t{0});
    spread(section_stop, std::uint64_t{0});
    spread(records, std::uint64_t{0});
    spread(stop_sections, io::pcapng_reader::section{});
    spread(damages, io::pcap_slices::damage_found{});
  }
  /// The activity of later IP fragments placed after the read (their first fragment lay in an
  /// earlier rank's range: carry_fragments): the flow, oriented as a new one would be, a window
  /// and when in it.
  struct late_entry {
    flow_key flow;
    std::int64_t window = 0;
    window_offset offset = 0;
  };
  std::vector<late_entry> late;
  bool late_overlapping = false;  // a placed fragment fell in several windows: no times
  io::fragment_table fragments;   // where the rank's read left it, with what it recorded (not sent)
  limit_report limits;                                   // what the rank's ingest limits made it do
  std::vector<std::uint64_t> evicted_by_protocol;       // of the flows it evicted, how many of each IP protocol (256)
  /// The host names the rank's range showed (ranks after 0, when names are read), by address, each
  /// address's in the order seen.
  struct name {
    ip_address address;
    name_source source = name_source::dns;
    std::string text;
  };
  std::vector<name> names;
  // After number_shard: `flows` holds only the flows first seen here (numbered base, base + 1, ...),
  // and the activity is `entries` (window, number over all ranks, offset), sorted, one per
  // (window, flow), over windows [lo, hi]; `timed`: the offsets hold.
  std::vector<timed_entry> entries;
  std::int64_t lo = std::numeric_limits<std::int64_t>::max();
  std::int64_t hi = std::numeric_limits<std::int64_t>::min();
  bool timed = true;

  /// The numbered shard as rank 0 takes it, but for its flows and entries (nearly all of its
  /// bytes), which go apart as they lie (send): packing them took a copy on each side.
  [[nodiscard]] std::vector<char> pack() const {
    writer w;
    w.put(input.packets);
    w.put(input.decoded);
    w.put<std::uint64_t>(input.skipped.size());
    for (const auto& [why, n] : input.skipped) {
      w.put_string(why);
      w.put(n);
    }
    w.put<std::uint64_t>(input.warnings.size());
    for (const auto& s : input.warnings) w.put_string(s);
    w.put<std::uint8_t>(input.damaged ? 1 : 0);
    w.put(first);
    w.put(last);
    w.put(lo);
    w.put(hi);
    w.put<std::uint8_t>(timed ? 1 : 0);
    w.put_vector(starts);
    w.put_vector(stops);
    w.put_vector(span_first);
    w.put_vector(span_last);
    w.put_vector(section_start);
    w.put_vector(section_stop);
    static_assert(std::is_trivially_copyable_v<limit_report>);
    w.put(limits);
    w.put_vector(evicted_by_protocol);
    w.put<std::uint64_t>(names.size());
    for (const auto& n : names) {
      w.put(n.address);
      w.put(n.source);
      w.put_string(n.text);
    }
    return std::move(w.bytes);
  }
  static shard unpack(const std::vector<char>& b) {
    reader r(b);
    shard s;
    s.input.packets = r.get<std::uint64_t>();
    s.input.decoded = r.get<std::uint64_t>();
    for (auto n = r.get<std::uint64_t>(); n-- > 0;) {
      auto why = r.get_string();
      s.input.skipped[why] = r.get<std::uint64_t>();
    }
    for (auto n = r.get<std::uint64_t>(); n-- > 0;) s.input.warnings.push_back(r.get_string());
    s.input.damaged = r.get<std::uint8_t>() != 0;
    s.first = r.get<std::int64_t>();
    s.last = r.get<std::int64_t>();
    s.lo = r.get<std::int64_t>();
    s.hi = r.get<std::int64_t>();
    s.timed = r.get<std::uint8_t>() != 0;
    s.starts = r.get_vector<std::uint64_t>();
    s.stops = r.get_vector<std::uint64_t>();
    s.span_first = r.get_vector<std::int64_t>();
    s.span_last = r.get_vector<std::int64_t>();
    s.section_start = r.get_vector<std::uint64_t>();
    s.section_stop = r.get_vector<std::uint64_t>();
    s.limits = r.get<limit_report>();
    s.evicted_by_protocol = r.get_vector<std::uint64_t>();
    for (auto n = r.get<std::uint64_t>(); n-- > 0;) {
      name x;
      x.address = r.get<ip_address>();
      x.source = r.get<name_source>();
      if (static_cast<unsigned>(x.source) > static_cast<unsigned>(name_source::dns))
        throw job_stops("expose::mpi: a message between ranks is not a rank's shard");
      x.text = r.get_string();
      s.names.push_back(std::move(x));
    }
    return s;
  }
  /// Sends the shard to rank `to`: the packed rest, then the flows and entries where they lie.
  void send(int to, MPI_Comm comm, traffic& t) const {
    static_assert(std::is_trivially_copyable_v<flow_key> && std::is_trivially_copyable_v<timed_entry>);
    send_bytes(pack(), to, comm, t);
    send_vector(flows, to, comm, t);
    send_vector(entries, to, comm, t);
  }
  /// A shard's messages as taken from a rank (send), before they are read.
  struct received {
    std::vector<char> rest;
    std::vector<flow_key> flows;
    std::vector<timed_entry> entries;
  };
  /// Takes every message of a shard from rank `from`: then the sender is in no send, whatever
  /// reading them does.
  [[nodiscard]] static received take(int from, MPI_Comm comm, traffic& t) {
    received r;
    r.rest = recv_bytes(from, comm, t);
    r.flows = recv_vector<flow_key>(from, comm, t);
    r.entries = recv_vector<timed_entry>(from, comm, t);
    return r;
  }
  /// The shard of messages taken.
  [[nodiscard]] static shard open(received r) {
    shard s = unpack(r.rest);
    s.flows = std::move(r.flows);
    s.entries = std::move(r.entries);
    return s;
  }
};

/// Numbers a rank's flows over every rank (number_flows: first appearance in rank order, as one
/// process numbers them) and turns its activity into entries under those numbers, sorted by
/// window, flow and offset, one per (window, flow): each rank places its own share window by
/// window, rank 0 merges the ranks' runs. Flows that only placed fragments showed follow the
/// rank's own, in the order they were placed. Keeps of the flows only those first seen here
/// (numbered in order from `base`): rank 0 makes the items of them.
inline void number_shard(shard& s, MPI_Comm comm, traffic& t) {
  std::vector<std::uint32_t> late_flow(s.late.size());
  if (!s.late.empty()) {
    flow_table seen;  // the rank's flows, each connection once: ids are positions in s.flows
    seen.reserve(s.flows.size() + s.late.size());
    for (const auto& f : s.flows) seen.find_or_insert(f);
    for (std::size_t j = 0; j < s.late.size(); ++j) {
      const auto [id, inserted] = seen.find_or_insert(s.late[j].flow);
      if (inserted) s.flows.push_back(s.late[j].flow);
      late_flow[j] = id;
    }
  }
  const flow_numbering ids = number_flows(s.flows, comm, t);
  s.timed = (!s.flow_offsets.empty() || s.flow_windows.empty()) && !s.late_overlapping;
  // The entries by window, flow, then offset (the first of a (window, flow) is its earliest),
  // placed window by window (a counting sort: sorting them took 0.03 s a rank on the 6-hour trace
  // over two ranks), each window's in the flows' order by number: those an earlier rank saw first
  // (numbered below `base`) by number, then the rank's own in its order (base, base + 1, ...). A
  // flow is in a window once; the placed fragments' entries are merged in after.
  const std::size_t with_windows = s.flow_start.empty() ? 0 : s.flow_start.size() - 1;
  std::vector<std::uint32_t> by_number;
  by_number.reserve(with_windows);
  for (std::uint32_t f = 0; f < with_windows; ++f)
    if (!ids.first_here(f)) by_number.push_back(f);
  std::sort(by_number.begin(), by_number.end(), [&](std::uint32_t x, std::uint32_t y) { return ids.id[x] < ids.id[y]; });
  for (std::uint32_t f = 0; f < with_windows; ++f)
    if (ids.first_here(f)) by_number.push_back(f);
  std::vector<std::size_t> at(s.windows.size() + 1, 0);  // where each window's entries go
  for (const auto w : s.flow_windows) ++at[w + 1];
  for (std::size_t w = 1; w < at.size(); ++w) at[w] += at[w - 1];
  s.entries.reserve(s.flow_windows.size() + s.late.size());
  s.entries.resize(s.flow_windows.size());
  for (const auto f : by_number)
    for (std::size_t i = s.flow_start[f]; i < s.flow_start[f + 1]; ++i)
      s.entries[at[s.flow_windows[i]]++] = {s.windows[s.flow_windows[i]], ids.id[f], s.timed ? s.flow_offsets[i] : window_offset{0}};
  if (!s.windows.empty()) {  // with the windows of the rank's packets (read_shard), which a limit's evictions leave in N
    s.lo = std::min(s.lo, s.windows.front());
    s.hi = std::max(s.hi, s.windows.back());
  }
  const auto placed = static_cast<std::ptrdiff_t>(s.entries.size());
  for (std::size_t j = 0; j < s.late.size(); ++j) {
    s.entries.push_back({s.late[j].window, ids.id[late_flow[j]], s.timed ? s.late[j].offset : window_offset{0}});
    s.lo = std::min(s.lo, s.late[j].window);
    s.hi = std::max(s.hi, s.late[j].window);
  }
  std::sort(s.entries.begin() + placed, s.entries.end());
  std::inplace_merge(s.entries.begin(), s.entries.begin() + placed, s.entries.end());
  expose::detail::release(by_number);
  expose::detail::release(s.windows);
  expose::detail::release(s.flow_start);
  expose::detail::release(s.flow_windows);
  expose::detail::release(s.flow_offsets);
  expose::detail::release(s.late);
  s.entries.erase(std::unique(s.entries.begin(), s.entries.end(),
                              [](const timed_entry& a, const timed_entry& b) { return a.window == b.window && a.item == b.item; }),
                  s.entries.end());
  std::size_t kept = 0;
  for (std::size_t f = 0; f < s.flows.size(); ++f)
    if (ids.first_here(f)) s.flows[kept++] = s.flows[f];
  s.flows.resize(kept);
  s.flows.shrink_to_fit();
}

/// Reads a rank's range through the ingest every driver uses, keyed by flow (every flow its own
/// item, oriented by the first packet the rank saw of it), within the rank's limits. The first
/// rank (`first`) shows progress; the others record their fragment tables (carry_fragments).
/// What the limits did is said per rank when there are several (`rank`: "rank 2: ", else empty).
template <class W>
shard read_shard(const std::vector<io::pcap_slice>& slices, const W& window, const mine_options& opt, bool first,
                 const std::string& rank) {
  shard s;
  mine_result flows;  // the rank's flows as items, what the limits did, the input's counts
  activity a;
  io::pcap_read_options read = opt.read;  // decoded as one process decodes (ICMP errors, names, fragments)
  if (!first) read.progress = nullptr;
  io::pcap_slices source(slices, std::move(read), /*carry_fragments=*/!first);
  {
    ingest<keys::five_tuple, W> in(keys::five_tuple{}, window, opt.limits, flows);
    const auto sink = [&](const packet& p) { in.take(p); };
    if (opt.read_ahead) io::read_ahead(source, sink, flows.input);
    else source.read(sink, flows.input);
    const auto before = flows.input.warnings.size();
    a = std::move(in).finish();
    for (auto w = flows.input.warnings.begin() + static_cast<std::ptrdiff_t>(before); w != flows.input.warnings.end(); ++w) *w = rank + *w;
  }
  s.input = std::move(flows.input);
  if (flows.flows != 0) {  // a packet was taken: the span is set
    s.first = s.input.start_ns;
    s.last = s.input.end_ns;
    // The windows its packets fell in count in N (as one process's activity keeps them) even
    // where a limit evicted every flow active there.
    s.lo = window.window_range(s.first).first;
    s.hi = window.window_range(s.last).second;
  }
  s.limits = flows.limits;
  s.flows.reserve(flows.items.size());
  for (const auto& item : flows.items) s.flows.push_back(item.key);
  if (flows.limits.evicted_flows != 0) {  // one process counts evicted flows by protocol too
    s.evicted_by_protocol.assign(256, 0);
    for (const auto& [proto, n] : flows.flows_by_protocol) s.evicted_by_protocol[proto] += n;
    for (const auto& f : s.flows) --s.evicted_by_protocol[f.proto];
  }
  expose::detail::release(flows.items);
  s.windows = std::move(a.windows);
  s.flow_start = std::move(a.item_start);
  s.flow_windows = std::move(a.item_windows);
  s.flow_offsets = std::move(a.item_offsets);  // empty where windows overlap: no times, no delays
  s.starts = source.starts();
  s.stops = source.stops();
  for (const auto& [f, l] : source.spans()) {
    s.span_first.push_back(f);
    s.span_last.push_back(l);
  }
  for (const auto& [start, stop] : source.sections()) {
    s.section_start.push_back(start);
    s.section_stop.push_back(stop);
  }
  s.records = source.records();
  s.stop_sections = source.stop_sections();
  s.damages = source.damages();
  s.fragments = std::move(source.fragments());
  return s;
}

/// A pcapng section between ranks (settle_pieces' reports).
inline void put_section(writer& w, const io::pcapng_reader::section& s) {
  w.put<std::uint8_t>(s.big ? 1 : 0);
  w.put(s.snapshot);
  w.put(s.max_block);
  w.put<std::uint64_t>(s.interfaces.size());
  for (const auto& i : s.interfaces) {
    w.put(i.link_type);
    w.put(i.snaplen);
    w.put(i.units);
    w.put(i.offset_s);
  }
}
inline io::pcapng_reader::section get_section(reader& r) {
  io::pcapng_reader::section s;
  s.big = r.get<std::uint8_t>() != 0;
  s.snapshot = r.get<std::uint32_t>();
  s.max_block = r.get<std::uint32_t>();
  for (auto n = r.get<std::uint64_t>(); n-- > 0;) {
    io::pcapng_reader::interface i;
    i.link_type = r.get<int>();
    i.snaplen = r.get<std::uint32_t>();
    i.units = r.get<std::uint64_t>();
    i.offset_s = r.get<std::int64_t>();
    s.interfaces.push_back(i);
  }
  return s;
}

/// How the ranks' pieces of the files are to be read so that they meet as one reader reads the
/// files (settle_pieces): per rank, per slice of its cut, the slice (from where a later read
/// takes it) and whether it is dropped; whether some rank must read again; and this rank's
/// warnings of damage as its range counts records (`was`) and as one process says them (`is`,
/// counted from the file's start).
struct piece_plan {
  std::vector<std::vector<io::pcap_slice>> cuts;
  std::vector<std::vector<char>> dropped;
  bool again = false;
  std::vector<std::pair<std::string, std::string>> said;  // (was, is)

  /// The pieces of rank `r` to read: its slices not dropped.
  [[nodiscard]] std::vector<io::pcap_slice> kept(int r) const {
    std::vector<io::pcap_slice> out;
    const auto i = static_cast<std::size_t>(r);
    for (std::size_t k = 0; k < cuts[i].size(); ++k)
      if (dropped[i][k] == 0) out.push_back(cuts[i][k]);
    return out;
  }
  /// Says this rank's damage as one process says it, in `warnings` (a read's).
  void say(std::vector<std::string>& warnings) const {
    for (const auto& [was, is] : said) std::replace(warnings.begin(), warnings.end(), was, is);
  }
};

/// Where the pieces of each file must be read again, or not at all, for the ranks to read what one
/// reader of the files reads, from what every rank read of its slices (`s`: this rank's read of
/// `plan`'s slices, the dropped ones put back empty). Two things part a range's reader from one
/// reader of the whole file:
/// - Damage. One process stops reading a file where it is damaged; a rank whose range starts after
///   that point reads on past it. Every piece of a file after the first piece found damaged (in
///   rank order) is dropped, and the rank that found the damage says it counting the file's
///   records from its start (the records of the pieces before), where its range counted its own.
/// - Where a range starts. A range's reader starts at the first record boundary a search finds at
///   or after its first byte; one reader stands where the records before took it, which differs
///   where a damaged record's length runs over the next records (one reader reads through them as
///   its data) or where a payload imitates record headers (the search takes a false one); and, in
///   a pcapng file, in which section: a range's reader knows the section the file's start
///   describes, one reader the last one described before (files joined with cat, an interface
///   described after packets). Where a piece does not start where, or in the section in which, the
///   piece before stopped, it is read again from there in that section (`pcap_slice::exact`,
///   `pcap_slice::section`).
/// The pieces are judged in file order, each only once every piece before it in its file is as one
/// reader reads it (a piece read again can stop elsewhere, which moves the next): so a plan may
/// need several rounds (`again`: read the plan's slices, and settle again), at most one per
/// piece; every rank computes the same plan from the same reports.
[[nodiscard]] inline piece_plan settle_pieces(const shard& s, const piece_plan& plan, MPI_Comm comm, traffic& t) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  writer w;
  w.put<std::uint64_t>(s.records.size());
  for (std::size_t i = 0; i < s.records.size(); ++i) {
    const auto& d = s.damages[i];  // beside records (read_shard, put_back_dropped)
    w.put<std::uint64_t>(s.records[i]);
    w.put<std::uint64_t>(s.starts[i]);
    w.put<std::uint64_t>(s.stops[i]);
    w.put<std::uint64_t>(s.section_start[i]);
    w.put<std::uint64_t>(s.section_stop[i]);
    put_section(w, s.stop_sections[i]);
    w.put<std::uint8_t>(d.found ? 1 : 0);
    w.put<std::uint64_t>(d.records);
    w.put<std::uint64_t>(d.near);
    w.put_string(d.why);
  }
  // every rank's report to every rank (a few bytes a slice)
  const auto reports = exchange(std::vector<std::vector<char>>(static_cast<std::size_t>(size), w.bytes), comm, t);
  struct read_piece {
    std::uint64_t records = 0, start = 0, stop = 0;
    std::uint64_t section_start = 0, section_stop = 0;  // digests (0: no pcapng file)
    io::pcapng_reader::section stop_section;
    io::pcap_slices::damage_found damage;
  };
  std::vector<std::vector<read_piece>> read(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) {
    reader rd(reports[static_cast<std::size_t>(r)]);
    const auto n = rd.get<std::uint64_t>();
    if (n != plan.cuts[static_cast<std::size_t>(r)].size())
      throw job_stops("expose::mpi: rank " + std::to_string(r) + " said what it read of other pieces than it was given");
    for (std::uint64_t i = 0; i < n; ++i) {
      read_piece p;
      p.records = rd.get<std::uint64_t>();
      p.start = rd.get<std::uint64_t>();
      p.stop = rd.get<std::uint64_t>();
      p.section_start = rd.get<std::uint64_t>();
      p.section_stop = rd.get<std::uint64_t>();
      p.stop_section = get_section(rd);
      p.damage.found = rd.get<std::uint8_t>() != 0;
      p.damage.records = rd.get<std::uint64_t>();
      p.damage.near = rd.get<std::uint64_t>();
      p.damage.why = rd.get_string();
      read[static_cast<std::size_t>(r)].push_back(std::move(p));
    }
  }
  piece_plan out{plan.cuts, plan.dropped, false, {}};
  struct file_state {
    std::uint64_t records = 0;  // of its pieces so far
    std::optional<std::uint64_t> stop;  // where the last piece so far stopped
    std::uint64_t section = 0;          // in which pcapng section (a digest; 0: not pcapng)
    io::pcapng_reader::section state;   // that section
    bool ended = false;    // damaged in a piece so far
    bool unsure = false;   // a piece so far is read again: those after it are judged in a later round
  };
  std::map<std::filesystem::path, file_state> files;
  for (int r = 0; r < size; ++r) {
    const auto ri = static_cast<std::size_t>(r);
    for (std::size_t i = 0; i < out.cuts[ri].size(); ++i) {  // as many as read[r] (checked above)
      auto& slice = out.cuts[ri][i];
      auto& f = files[slice.path];
      const auto& p = read[ri][i];
      if (f.unsure) continue;
      if (f.ended || out.dropped[ri][i] != 0) {  // a piece is dropped only after damage, which stays
        out.again = out.again || out.dropped[ri][i] == 0;
        out.dropped[ri][i] = 1;
        continue;
      }
      if (f.stop && (p.start != *f.stop || p.section_start != f.section)) {
        slice.begin = *f.stop;
        slice.exact = true;
        if (f.section != 0) slice.section = f.state;
        out.again = true;
        f.unsure = true;
        continue;
      }
      if (p.damage.found) {
        f.ended = true;
        if (r == rank) out.said.emplace_back(p.damage.range_warning(slice.path.string()), p.damage.warning(slice.path.string(), f.records));
      }
      f.records += p.records;
      f.stop = p.stop;
      f.section = p.section_stop;
      f.state = p.stop_section;
    }
  }
  return out;
}

inline void put_fragments(writer& w, const io::fragment_table::state& st) {
  std::vector<io::fragment_table::datagram> ds;
  std::vector<io::fragment_table::entry> es;
  for (const auto& [d, e] : st.entries) {
    ds.push_back(d);
    es.push_back(e);
  }
  w.put_vector(st.order);
  w.put_vector(ds);
  w.put_vector(es);
}
inline io::fragment_table::state get_fragments(reader& r) {
  io::fragment_table::state st;
  st.order = r.get_vector<io::fragment_table::seen>();
  const auto ds = r.get_vector<io::fragment_table::datagram>();
  const auto es = r.get_vector<io::fragment_table::entry>();
  if (ds.size() != es.size()) throw job_stops("expose::mpi: a fragment table between ranks is damaged");
  for (std::size_t i = 0; i < ds.size(); ++i) st.entries.emplace_back(ds[i], es[i]);
  return st;
}

/// Later IP fragments whose first fragment lies in an earlier rank's range, placed as one whole
/// read places them: the fragment tables go from rank to rank in rank order (the order of one
/// read), each rank replaying what its table recorded from the table the rank before ended with
/// (fragment_table::replay), and the fragments it can now place become activity (`late`) and
/// decoded packets instead of skipped ones. A replay that cannot be sure is said in a warning.
/// Returns what went wrong on this rank, empty when nothing did (the next rank is sent a table
/// all the same, so that none is left waiting: the caller agrees on failures after).
template <class W>
[[nodiscard]] std::string carry_fragments(shard& s, const W& window, MPI_Comm comm, phase_times& t) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (size == 1) return {};
  io::fragment_table::replayed r;
  std::string failure;
  try {
    if (rank == 0) {
      r.end = s.fragments.save();
    } else {
      const auto b = recv_bytes(rank - 1, comm, t);
      reader rd(b);
      r = s.fragments.replay(get_fragments(rd));
    }
  } catch (const std::exception& e) {
    failure = "rank " + std::to_string(rank) + ": IP fragments from the rank before: " + e.what();
    r = {};
  }
  if (rank + 1 < size) {
    writer w;
    put_fragments(w, r.end);
    send_bytes(w.bytes, rank + 1, comm, t);
  }
  s.fragments = io::fragment_table{};
  if (!failure.empty()) return failure;
  if (!r.exact)
    s.input.warnings.push_back("rank " + std::to_string(rank) +
                               ": IP fragments near the start of this rank's range may be placed differently from one process "
                               "(time runs backwards across the ranges, or the fragment table was full)");
  if (r.placed.empty()) return {};
  const std::int64_t width_ns = std::llround(window.seconds() * 1e9);
  for (const auto& p : r.placed) {
    const flow_key k{p.src, p.dst, p.sport, p.dport, p.proto};
    const flow_key oriented = sender_is_initiator(p) ? k : k.reversed();
    const auto [lo, hi] = window.window_range(p.ts_ns);
    s.late_overlapping = s.late_overlapping || lo != hi;
    for (auto w = lo; w <= hi; ++w) s.late.push_back({oriented, w, offset_in_window(p.ts_ns, w, width_ns)});
    s.first = std::min(s.first, p.ts_ns);
    s.last = std::max(s.last, p.ts_ns);
  }
  s.input.decoded += r.placed.size();
  auto& skipped = s.input.skipped["ip-fragment"];
  skipped -= std::min<std::uint64_t>(skipped, r.placed.size());
  if (skipped == 0) s.input.skipped.erase("ip-fragment");
  return {};
}

/// Every rank learns whether any failed; rank 0 gathers the messages (rank order). Throws on
/// every rank when one failed, so none is left in a collective.
inline void agree(const std::string& failure, MPI_Comm comm, phase_times& t) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int bad = failure.empty() ? 0 : 1;
  MPI_Request request;
  MPI_Iallreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, comm, &request);
  wait_idly(request);
  if (bad == 0) return;
  if (rank != 0) {
    writer w;
    w.put_string(failure);
    send_bytes(w.bytes, 0, comm, t);
    throw error(failure.empty() ? "stopped: another rank failed (rank 0 says which)" : failure);
  }
  std::string all = failure;
  for (int r = 1; r < size; ++r) {
    const auto b = recv_bytes(r, comm, t);
    reader rd(b);
    const auto m = rd.get_string();
    if (!m.empty()) all += (all.empty() ? "" : "\n") + m;
  }
  throw error(all);
}

}  // namespace detail

/// Runs a pipeline over `files` with every rank of `comm`; every rank calls it with the same
/// arguments. The result is complete on rank 0 and equals `mine(io::pcap_files(files), spec)`
/// when the files are in time order (as rotated captures are) and no rank reaches its ingest limits
/// (`opt.limits`, per rank: a rank at a limit evicts as `mine` would over its range alone).
template <class K, class W, class L, class S, class E, class C>
[[nodiscard]] mine_outcome mine(MPI_Comm comm, const std::vector<std::filesystem::path>& files, const pipeline<K, W, L, S, E, C>& spec,
                                const mine_options& opt = {}) {
  using clock = std::chrono::steady_clock;
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (files.empty()) throw bad_argument("expose::mpi::mine: no input file given");
  // The ranges, their damage and their meeting points are found per file by its path: a path given
  // twice would be two files in one. Said on every rank alike, before any of them waits for another.
  for (std::size_t i = 0; i < files.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (files[i].lexically_normal() == files[j].lexically_normal())
        throw bad_argument("'" + files[i].string() + "' is given twice: give each file once");
  const auto cuts = io::cut(files, size);
  mine_outcome out;
  phase_times t;

  // 1. read
  auto t0 = clock::now();
  auto c0 = detail::cpu_seconds();
  auto w0 = detail::waited_seconds();
  detail::shard mine_shard;
  std::string failure;
  const auto read_range = [&](const std::vector<io::pcap_slice>& slices) {
    // A later rank reads names into a table of its own, sent to rank 0 with its shard.
    host_names range_names;
    mine_options read_opt = opt;
    if (rank != 0 && opt.read.decode.names != nullptr) read_opt.read.decode.names = &range_names;
    mine_shard = detail::read_shard(slices, spec.window, read_opt, rank == 0, size > 1 ? "rank " + std::to_string(rank) + ": " : std::string());
    for (const auto& [address, list] : range_names.all())
      for (const auto& e : list) mine_shard.names.push_back({address, e.source, e.name});
  };
  try {
    read_range(cuts[static_cast<std::size_t>(rank)]);
  } catch (const std::exception& e) {
    failure = "rank " + std::to_string(rank) + ": " + e.what();
  }
  detail::agree(failure, comm, t);
  // The ranks' pieces must meet as one reader reads the files: a file damaged in one rank's range
  // ends there, and a range starts where the one before stopped. The ranks whose pieces are not so
  // read them again (only then: rank 0 never does, and a trace read as one reader reads it is read
  // once).
  detail::piece_plan plan{cuts, {}, false, {}};
  for (const auto& c : cuts) plan.dropped.emplace_back(c.size(), 0);
  if (size > 1) {
    for (;;) {
      const detail::piece_plan next = detail::settle_pieces(mine_shard, plan, comm, t);
      const auto me = static_cast<std::size_t>(rank);
      const bool mine_changed = next.dropped[me] != plan.dropped[me] ||
                                !std::equal(next.cuts[me].begin(), next.cuts[me].end(), plan.cuts[me].begin(), [](const auto& a, const auto& b) {
                                  return a.begin == b.begin && a.exact == b.exact && a.section == b.section;
                                });
      plan = next;
      if (!plan.again) break;
      if (mine_changed) {
        try {
          read_range(plan.kept(rank));
          mine_shard.put_back_dropped(plan.dropped[me]);
        } catch (const std::exception& e) {
          failure = "rank " + std::to_string(rank) + ": " + e.what();
        }
      }
      detail::agree(failure, comm, t);
    }
    plan.say(mine_shard.input.warnings);
  }
  const auto& dropped = plan.dropped;
  t.packets = mine_shard.input.packets;
  t.read = detail::seconds_since(t0);
  t.read_cpu = detail::cpu_seconds() - c0;
  t.read_wait = detail::waited_seconds() - w0;

  // 2. merge (rank 0), generic items, activity to every rank; first the fragment tables go round
  t0 = clock::now();
  c0 = detail::cpu_seconds();
  w0 = detail::waited_seconds();
  detail::agree(detail::carry_fragments(mine_shard, spec.window, comm, t), comm, t);
  {
    std::string numbering;
    try {
      detail::number_shard(mine_shard, comm, t);
    } catch (const too_many_flows& e) {  // every rank at once; any other failure stops the job (MPI_Abort)
      numbering = "rank " + std::to_string(rank) + ": " + e.what();
    }
    detail::agree(numbering, comm, t);
  }
  item_space space;
  std::string problem;
  // Rank 1 builds the host-variable items beside rank 0's window items, where the lattice can
  // build them apart (SplitLattice): the two take about the same time.
  bool hosts_apart = false;
  if constexpr (SplitLattice<L>) hosts_apart = size > 1 && spec.lattice.has_host_items();
  // Who counts which rows (engine::gustavson's part/parts). With the host items built apart, rank 0
  // counts the window items while rank 1 still builds the host items, and rank 1 counts the host
  // items before it sends them: neither waits for the other (the window items' rows are dealt, when
  // the engine can, to rank 1 too once it is done: below).
  // The ranks after them (helpers) make their parts of the host items' rows with rank 1 first,
  // then take a share of both matrices, each shared with them as soon as it is made: the window
  // items' by rank 0 (`window_group`: every rank but 1), the host items' by rank 1 (`host_group`:
  // every rank but 0). Otherwise every rank counts a share of both after the merge.
  detail::sub_comm window_group, host_group;
  if (hosts_apart && size > 2 && PartitionedEngine<E>) {
    MPI_Comm_split(comm, rank == 1 ? MPI_UNDEFINED : 0, rank, &window_group.comm);
    MPI_Comm_split(comm, rank == 0 ? MPI_UNDEFINED : 0, rank, &host_group.comm);
  }
  // Each matrix is counted by `size` ranks, or, with the host items apart, by size - 1: rank 0 (the
  // window items') or rank 1 (the host items') as part 0, and rank r >= 2 as part r - 1 of both.
  auto counting = spec;
  if constexpr (PartitionedEngine<E>) {
    counting.engine.part = static_cast<unsigned>(hosts_apart ? std::max(rank - 1, 0) : rank);
    counting.engine.parts = static_cast<unsigned>(hosts_apart ? size - 1 : size);
  }
  // With an engine that deals its chunks (DealtEngine), the window items' rows are not cut in
  // fixed parts: every rank takes the next chunk from a counter on rank 0 when it is free. Rank 0
  // starts as soon as it has made them; rank 1 joins once its host items are counted (it takes
  // the matrix from rank 0 meanwhile), the helpers once they have it (after their parts of the
  // host items). The engine's threads take
  // chunks one at a time, so MPI must allow calls from any thread (MPI_THREAD_SERIALIZED) unless
  // it counts on one.
  std::optional<detail::chunk_counter> window_chunks;
  std::optional<pipeline<K, W, L, S, E, C>> window_counting;
  if constexpr (DealtEngine<E>) {
    int level = MPI_THREAD_SINGLE;
    MPI_Query_thread(&level);
    bool one_thread = false;
    if constexpr (requires { spec.engine.threads; }) one_thread = spec.engine.threads == 1;
    // every rank or none (the thread level is each process's own)
    int deal = hosts_apart && (one_thread || level >= MPI_THREAD_SERIALIZED) ? 1 : 0;
    if (hosts_apart) MPI_Allreduce(MPI_IN_PLACE, &deal, 1, MPI_INT, MPI_MIN, comm);
    if (deal != 0) {
      window_chunks.emplace(comm);
      if (window_chunks->usable()) {
        window_counting = spec;
        window_counting->engine.deal = [&window_chunks](std::size_t) { return window_chunks->take(); };
        t.window_rows_dealt = true;
      } else {  // every rank: fixed parts, as without the counter
        window_chunks.reset();
        t.no_one_sided = true;
      }
    }
  }
  const auto& counting_windows = window_counting ? *window_counting : counting;
  counted_pairs counted;
  detail::work_time counted_in_merge;  // counting done inside the merge phase (hosts apart)
  activity merged;  // rank 0: every flow's activity
  std::optional<item_space> host_space;  // rank 1, with the host items apart: where it measures the host rules' delays
  if (rank != 0) {
    mine_shard.send(0, comm, t);
    { [[maybe_unused]] const detail::shard sent = std::move(mine_shard); }  // freed: rank 0 has it
    if constexpr (SplitLattice<L>)
      if (rank == 1 && hosts_apart) {
        const auto g0 = clock::now();
        auto side = detail::build_host_items(spec, counting, window_counting ? &*window_counting : nullptr, comm, host_group.comm, t,
                                             counted_in_merge, counted.windows);
        counted.hosts = std::move(side.pairs);
        host_space = std::move(side.space);
        t.generalize = detail::seconds_since(g0) - counted_in_merge.seconds;
      }
    if constexpr (SplitLattice<L>)
      if (rank >= 2 && host_group.comm != MPI_COMM_NULL) detail::help_host_items(spec, host_group.comm, t);  // its share of the host rows
    if (rank >= 2 && window_group.comm != MPI_COMM_NULL) {  // a helper: its share of each matrix as soon as it is made
      if (auto windows = detail::matrix_share::receive(window_group.comm, t))
        counted_in_merge.add([&] { counted.windows = count_window_pairs(*windows, counting_windows); });
      if (auto hosts = detail::matrix_share::receive(host_group.comm, t))
        counted_in_merge.add([&] { counted.hosts = count_host_pairs(*hosts, counting); });
    }
  } else {
    int taken = 1;  // ranks whose shard the merge has taken (its own first)
    // A failure partway through taking a rank's shard leaves that rank in a send: it stops the job
    // (MPI_Abort), rethrown past the catch below (taking the shard again would misread it).
    std::exception_ptr taking_shard;
    try {
      mine_result& r = out.result;
      std::vector<flow_key> flows;  // every flow, numbered as one process numbers them
      flow_items<K> items;
      std::vector<std::uint32_t> item_of;  // per flow, its item (where a key makes one item of several flows)
      std::vector<timed_entry> entries;
      bool untimed = false;  // a rank's windows overlapped: no times, so no delays
      std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = std::numeric_limits<std::int64_t>::min();
      std::int64_t first = std::numeric_limits<std::int64_t>::max(), last = std::numeric_limits<std::int64_t>::min();
      // Per file, the ranges in rank order: (start found, stop, first ts, last ts, ended early).
      struct piece {
        std::uint64_t start, stop;
        std::int64_t first, last;
        bool early;
        std::uint64_t section_start, section_stop;  // pcapng: the sections it was read in (0: classic pcap)
      };
      std::map<std::size_t, std::vector<piece>> pieces;
      for (int from = 0; from < size; ++from) {
        detail::shard s;
        if (from == 0) {
          s = std::move(mine_shard);
        } else {
          detail::shard::received messages;
          try {
            messages = detail::shard::take(from, comm, t);
          } catch (...) {
            taking_shard = std::current_exception();
            throw;
          }
          taken = from + 1;
          s = detail::shard::open(std::move(messages));
        }
        // Its names follow the ranks' before it, as one process reading them in turn would add them.
        if (opt.read.decode.names != nullptr)
          for (const auto& n : s.names) opt.read.decode.names->add(n.address, n.text, n.source);
        // The rank's first-seen flows follow the ranks' before it: one process's numbering.
        for (const auto& f : s.flows) {
          const auto item = items.add(spec.key, f, r);
          if constexpr (!FlowPerItemKey<K>) item_of.push_back(item);
        }
        // the first shard's lists are moved, not copied (on one rank it is the only one: the
        // 6-hour trace's peak 137 -> 97 MiB)
        if (flows.empty()) flows = std::move(s.flows);
        else flows.insert(flows.end(), s.flows.begin(), s.flows.end());
        untimed = untimed || !s.timed;
        const auto mid = static_cast<std::ptrdiff_t>(entries.size());
        if (entries.empty()) entries = std::move(s.entries);
        else entries.insert(entries.end(), s.entries.begin(), s.entries.end());
        if constexpr (FlowPerItemKey<K>) {
          // each run is sorted and later ranks' windows come later: merge where the runs overlap
          const auto m = entries.begin() + mid;
          if (m != entries.begin() && m != entries.end() && *m < *(m - 1)) std::inplace_merge(std::upper_bound(entries.begin(), m, *m), m, entries.end());
        } else {
          for (auto e = entries.begin() + mid; e != entries.end(); ++e) e->item = item_of[e->item];
        }
        lo = std::min(lo, s.lo);
        hi = std::max(hi, s.hi);
        r.limits += s.limits;
        for (std::size_t p = 0; p < s.evicted_by_protocol.size(); ++p)
          if (s.evicted_by_protocol[p] != 0) r.flows_by_protocol[static_cast<std::uint8_t>(p)] += s.evicted_by_protocol[p];
        first = std::min(first, s.first);
        last = std::max(last, s.last);
        r.input.packets += s.input.packets;
        r.input.decoded += s.input.decoded;
        for (const auto& [why, n] : s.input.skipped) r.input.skipped[why] += n;
        r.input.warnings.insert(r.input.warnings.end(), s.input.warnings.begin(), s.input.warnings.end());
        r.input.damaged = r.input.damaged || s.input.damaged;
        const auto& mine_cuts = cuts[static_cast<std::size_t>(from)];
        for (std::size_t i = 0; i < mine_cuts.size() && i < s.starts.size(); ++i) {
          if (size > 1 && dropped[static_cast<std::size_t>(from)][i] != 0) continue;  // after damage in the file: not read
          const std::size_t file = static_cast<std::size_t>(
              std::find_if(files.begin(), files.end(), [&](const auto& f) { return f == mine_cuts[i].path; }) - files.begin());
          std::error_code ec;
          const auto fsize = std::filesystem::file_size(mine_cuts[i].path, ec);
          const bool early = !ec && s.stops[i] < std::min<std::uint64_t>(mine_cuts[i].end, fsize);
          pieces[file].push_back({s.starts[i], s.stops[i], s.span_first[i], s.span_last[i], early, s.section_start[i], s.section_stop[i]});
        }
      }
      items.finish(spec.key, flows, r);
      r.flows = flows.size() + r.limits.evicted_flows;  // as one process counts: every flow seen, evicted or not
      expose::detail::release(flows);
      expose::detail::release(item_of);
      // Consecutive ranges of a file must meet exactly where the earlier reader stopped.
      for (const auto& [file, ps] : pieces)
        for (std::size_t i = 0; i + 1 < ps.size(); ++i)
          if (!ps[i].early && ps[i].stop != ps[i + 1].start)
            throw bad_trace("'" + files[file].string() + "': a range was resynchronized at byte " + std::to_string(ps[i + 1].start) +
                            " but the records before it run to byte " + std::to_string(ps[i].stop) +
                            " (record headers are ambiguous there, or a damaged record's length runs over the next ones, "
                            "which one reader reads through); run with another number of ranks, or one (expose-mine)");
          else if (!ps[i].early && ps[i].section_stop != ps[i + 1].section_start)
            throw bad_trace("'" + files[file].string() + "': a section header or interface description inside the pcapng file changes how "
                            "the range from byte " + std::to_string(ps[i + 1].start) +
                            " must be read, and only the file's first section can be known there; run with another number of ranks, "
                            "or one rank, or convert the file first (editcap -F pcap)");
      // One read merges files by time; ranks read them one after the other: say when that differs.
      std::optional<std::pair<std::size_t, std::int64_t>> before;  // (the file read so far that ends last, its last ts)
      for (const auto& [file, ps] : pieces) {
        std::int64_t f_first = std::numeric_limits<std::int64_t>::max(), f_last = std::numeric_limits<std::int64_t>::min();
        for (const auto& p : ps) {
          f_first = std::min(f_first, p.first);
          f_last = std::max(f_last, p.last);
        }
        if (f_first > f_last) continue;
        if (before && f_first < before->second)
          r.input.warnings.push_back("'" + files[before->first].string() + "' and '" + files[file].string() +
                                     "' overlap in time or are not in time order: ranks read files one after the other "
                                     "(one process merges them packet by packet), so results may differ from expose-mine's; "
                                     "give the files in time order, or merge them first (mergecap -w)");
        // the file that ends last is the one named (it was the file before, with another's end: two
        // files in time order were named after a damaged file's garbled time two files before)
        if (!before || f_last >= before->second) before = std::pair{file, f_last};
      }
      if (first <= last) {
        r.input.start_ns = first;
        r.input.end_ns = last;
      }
      r.window_seconds = spec.window.seconds();
      // by window, item, then offset: the first of a (window, item) is the earliest of its flows'
      if constexpr (!FlowPerItemKey<K>) std::sort(entries.begin(), entries.end());  // else merged as they came
      entries.erase(std::unique(entries.begin(), entries.end(),
                                [](const timed_entry& a, const timed_entry& b) { return a.window == b.window && a.item == b.item; }),
                    entries.end());
      const std::uint64_t samples = hi < lo ? 0 : static_cast<std::uint64_t>(hi - lo) + 1;
      merged = activity::from_sorted(entries, r.items.size(), samples);
      expose::detail::release(entries);
      if (untimed) expose::detail::release(merged.item_offsets);
    } catch (const std::exception& e) {
      if (taking_shard) std::rethrow_exception(taking_shard);
      problem = std::string("rank 0: ") + e.what();
      // the ranks not yet heard from are sending: their shards are taken all the same
      for (int from = taken; from < size; ++from) [[maybe_unused]] const auto unread = detail::shard::take(from, comm, t);
    }
    const auto g0 = clock::now();
    if constexpr (SplitLattice<L>) {
      if (hosts_apart) {
        // Rank 1 always hears whether the merge worked, and rank 0 always takes its answer.
        detail::writer w;
        w.put_string(problem);
        detail::send_bytes(w.bytes, 1, comm, t);
        if (problem.empty()) {
          detail::send_patterns(out.result.items, 1, comm, t);
          detail::send_activity(merged, 1, comm, t);
          detail::send_vector(merged.item_offsets, 1, comm, t);
        }
        // A failure while taking rank 1's items (not one rank 1 reports) leaves rank 1 in a
        // send: it stops the job (MPI_Abort), rethrown past the catch below.
        bool answered = !problem.empty();
        std::optional<detail::matrix_share> windows_share;  // to the helpers, who wait for it
        std::optional<detail::matrix_send> windows_to_1;    // to rank 1, when it takes chunks of the rows
        bool windows_sent = false;                           // the two above were started with the matrix
        bool rank_1_failed = false;  // its message names it
        std::exception_ptr taking;
        try {
          if (problem.empty())
            space = generalize_items(out.result, std::move(merged), spec, [&](const item_space& windows_only) {
              // the window items' pairs while rank 1 makes and counts the host items
              windows_share.emplace(&windows_only.windows, window_group.comm, t);
              if (window_counting) windows_to_1.emplace(&windows_only.windows, 1, comm, t);
              windows_sent = true;
              // They read the matrix where it lies, which goes if generalize_items fails after
              // this: every way out of here waits for them (the ranks they go to always take them).
              struct wait_for_them {
                std::optional<detail::matrix_share>& share;
                std::optional<detail::matrix_send>& to_1;
                ~wait_for_them() {
                  to_1.reset();
                  share.reset();
                }
              } const waiting{windows_share, windows_to_1};
              counted_in_merge.add([&] { counted.windows = count_window_pairs(windows_only.windows, counting_windows); });
              answered = true;
              std::string said;  // what went wrong on rank 1
              host_items h;
              try {
                h = detail::receive_host_items(comm, t, said);
              } catch (...) {
                taking = std::current_exception();
                throw;
              }
              rank_1_failed = !said.empty();
              if (rank_1_failed) throw error(said);
              return h;
            });
        } catch (const std::exception& e) {
          if (taking) std::rethrow_exception(taking);
          problem = (rank_1_failed ? "" : "rank 0: ") + std::string(e.what());
        }
        if (!windows_sent) {
          windows_share.emplace(nullptr, window_group.comm, t);
          if (window_counting) windows_to_1.emplace(nullptr, 1, comm, t);
        }
        if (!answered) {  // rank 1's answer, taken all the same (the job stops with rank 0's failure)
          std::string said;
          [[maybe_unused]] const host_items unread = detail::receive_host_items(comm, t, said);
        }
      }
    }
    if (!hosts_apart && problem.empty()) {
      try {
        space = generalize_items(out.result, std::move(merged), spec);
      } catch (const std::exception& e) {
        problem = std::string("rank 0: ") + e.what();
      }
    }
    t.generalize = detail::seconds_since(g0) - counted_in_merge.seconds;
  }
  {
    detail::writer w;
    w.put_string(problem);
    if (size > 1) detail::bcast_bytes(w.bytes, 0, comm, t);
    window_chunks.reset();  // every rank, here: each has counted the chunks it took
    detail::reader rd(w.bytes);
    if (const auto m = rd.get_string(); !m.empty()) throw error(m);
    // Without the host items apart, both matrices go to every rank, which counts a share of each.
    if (!hosts_apart && size > 1) {
      detail::bcast_activity(space.windows, 0, comm, t);
      detail::bcast_activity(space.hosts, 0, comm, t);
    }
  }
  t.merge = detail::seconds_since(t0) - counted_in_merge.seconds;
  t.merge_cpu = detail::cpu_seconds() - c0 - counted_in_merge.cpu;
  t.merge_wait = detail::waited_seconds() - w0;  // (the counting inside it takes its chunks without waiting here)

  // 3. count this rank's share of the rows (every rank counted its share above when the host items
  // were built apart; a whole-matrix engine counts on rank 0, or rank 1 for the host items)
  t0 = clock::now();
  c0 = detail::cpu_seconds();
  w0 = detail::waited_seconds();
  if (!hosts_apart && (rank == 0 || PartitionedEngine<E>)) {
    counted = count_pairs(space, counting);
  }
  t.count = detail::seconds_since(t0) + counted_in_merge.seconds;
  t.count_cpu = detail::cpu_seconds() - c0 + counted_in_merge.cpu;
  t.count_wait = detail::waited_seconds() - w0;

  // 4. rank 0 gathers the pairs and finishes
  t0 = clock::now();
  c0 = detail::cpu_seconds();
  w0 = detail::waited_seconds();
  // With the host items apart, rank 1 measures the host rules' delays (the host items and the
  // flows' activity are at hand there) while rank 0 tests the window pairs and makes the rules:
  // the ranks after it send it their host pairs too; it answers rank 0 with the delays, or with
  // what went wrong (then rank 0 measures them itself: the same delays).
  if (rank != 0) {
    detail::writer w;
    w.put_vector(counted.windows);
    w.put_vector(counted.hosts);
    detail::send_bytes(w.bytes, 0, comm, t);
    if (hosts_apart && rank >= 2) detail::send_vector(counted.hosts, 1, comm, t);
    if (hosts_apart && rank == 1) {
      std::vector<scored_pair> host_pairs = std::move(counted.hosts);
      for (int from = 2; from < size; ++from) {
        const auto h = detail::recv_vector<scored_pair>(from, comm, t);
        host_pairs.insert(host_pairs.end(), h.begin(), h.end());
      }
      const auto answer = detail::delays_answer(host_space ? &*host_space : nullptr, std::move(host_pairs), spec);
      host_space.reset();
      detail::send_bytes(answer, 0, comm, t);
    }
  } else {
    for (int from = 1; from < size; ++from) {
      const auto b = detail::recv_bytes(from, comm, t);
      detail::reader rd(b);
      const auto w = rd.get_vector<scored_pair>();
      const auto h = rd.get_vector<scored_pair>();
      counted.windows.insert(counted.windows.end(), w.begin(), w.end());
      counted.hosts.insert(counted.hosts.end(), h.begin(), h.end());
    }
    std::sort(counted.windows.begin(), counted.windows.end(), detail::by_items);
    std::sort(counted.hosts.begin(), counted.hosts.end(), detail::by_items);
    bool heard = !hosts_apart;  // rank 1's delays, taken on every way out
    const auto from_rank_1 = [&] {
      measured_delays known;
      if (heard) return known;
      heard = true;
      const auto b = detail::recv_bytes(1, comm, t);
      detail::reader rd(b);
      if (rd.get_string().empty()) known.entries = rd.get_vector<measured_delays::entry>();  // else measured here
      return known;
    };
    try {
      const host_delay_sources sources = finish_rules(out.result, std::move(space), std::move(counted), spec, from_rank_1);
      t.host_delays_taken = sources.taken;
      t.host_delays_measured = sources.measured;
    } catch (...) {
      [[maybe_unused]] const auto unread = from_rank_1();
      throw;
    }
  }
  t.score = detail::seconds_since(t0);
  t.score_cpu = detail::cpu_seconds() - c0;
  t.score_wait = detail::waited_seconds() - w0;

  // Every rank's times to rank 0.
  if (rusage use{}; getrusage(RUSAGE_SELF, &use) == 0) t.peak_kib = static_cast<std::uint64_t>(use.ru_maxrss);
  out.times.assign(rank == 0 ? static_cast<std::size_t>(size) : 1, {});
  MPI_Gather(&t, sizeof t, MPI_BYTE, out.times.data(), sizeof t, MPI_BYTE, 0, comm);
  if (rank != 0) out.times[0] = t;
  return out;
}

}  // namespace expose::mpi
