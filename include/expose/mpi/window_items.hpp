#pragma once
// The window items made by their owners across MPI ranks (component expose::mpi), as one process
// makes them (lattice::templates' groups, closures, union windows and rests), with no rank
// holding every flow and no window leaving the rank that holds it: docs/scale-out.md, steps 2
// and 3.
//
//   auto share = mpi::window_items(my_flows, my_entries, samples, spec.lattice, keep, comm, t);
//
// (0) Each rank holds a range of windows (from the first window it read to the next rank's): the
// few activity entries of another rank's windows (those a boundary between two reads cuts) go
// there, and every rank tells the rank holding a flow (flows are numbered in rank order: each
// rank holds a run of them) in how many of its windows the flow is active. (1) Each rank groups
// its own flows by every window template (lattice::detail::group_flows), and the ranks' shares of
// a group (one generic pattern; its flows those of every template making it) meet at the owner of
// its pattern: first each share's pattern hash and count of flows, then the heads of the shares of
// groups of two flows or more over all ranks (most flows are a group of their own). A group's
// count of windows is counted where its windows are: each flow's owner tells the other ranks
// holding the flow's windows which groups hold it, and each rank sends the group's owner the size
// of the union of the group's windows it holds; the ranges are disjoint, so the owner adds them
// and applies `keep`. (2) Of the kept groups with one closure, the closure's owner names the one
// one process meets first (the smallest (template, flow)), which is the item and stays with its
// group's owner. (3) The items are numbered after the flows by that (template, flow), every rank
// seeing every item's key; the flows of an item go to its owner with their counts of windows, and
// each rank makes its windows' rows of the items it holds windows of. (4) The rests (X minus Y
// where an item X strictly holds a rule-able Y): the item's owner asks each of its flows that
// starts an item (every rank knows every item's smallest flow) for the smaller items it starts;
// it makes its rests as one process does; a rest the same as an item or as a rest one process
// takes first is dropped at the owner of its flows' hash, which asks the flows' ranks for their
// patterns, has its windows counted as a group's are, and keeps it when `keep` does; the rests
// are numbered after the items, their rows made where their windows are.
//
// Checked against one process by tests/mpi/window_items.cpp. Not yet used by mine.hpp, which
// still makes every item on ranks 0 and 1, and counts pairs of a window matrix it broadcasts; the
// host-variable items, the counting and the test are not yet made by owners.

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <numeric>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <mpi.h>

#include <boost/sort/spreadsort/integer_sort.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/activity.hpp"
#include "expose/detail/gallop.hpp"
#include "expose/detail/release.hpp"
#include "expose/error.hpp"
#include "expose/flow_key.hpp"
#include "expose/lattice/mask.hpp"
#include "expose/lattice/templates.hpp"
#include "expose/mpi/messages.hpp"
#include "expose/pattern_list.hpp"

namespace expose::mpi {

/// A rank's run of flows: numbers [first, first + patterns.size()) over every rank, their patterns.
struct flow_run {
  std::uint32_t first = 0;
  pattern_list patterns;
};

/// What a rank holds of the window items once made: the items it owns (those whose group's
/// pattern, or a rest's flows, it owns by hash), by ascending number, with their flows and their
/// count of windows; and the rows of the windows it holds (from the first window it read up to
/// the next rank's), of every item active there, whoever owns it. Windows are window numbers
/// (spec.window's), not positions.
struct window_item_share {
  std::vector<std::uint32_t> id;  ///< the item's number over every rank (flows first)
  std::vector<flow_pattern> closure;
  std::vector<std::uint32_t> count;          ///< beside id: the item's windows over every rank
  std::vector<std::size_t> member_start{0};  ///< item k: members[member_start[k], member_start[k + 1])
  std::vector<std::uint32_t> members;        ///< flow numbers, ascending
  /// (window, item number, the earliest of the item's flows' offsets there), by item, then window:
  /// every item's windows of this rank's range, and no window of another rank's
  std::vector<timed_entry> rows;
  std::uint64_t total = 0;  ///< window items over every rank

  [[nodiscard]] std::size_t items() const noexcept { return id.size(); }
  [[nodiscard]] std::span<const std::uint32_t> members_of(std::size_t k) const noexcept {
    return {members.data() + member_start[k], member_start[k + 1] - member_start[k]};
  }
};

namespace detail {

/// A rank's place among the runs of flows: which rank holds flow `id`.
class run_owners {
 public:
  run_owners(std::uint32_t first, std::uint32_t n, MPI_Comm comm) {
    int size = 1;
    MPI_Comm_size(comm, &size);
    firsts_.resize(static_cast<std::size_t>(size));
    ends_.resize(static_cast<std::size_t>(size));
    const std::uint32_t end = first + n;
    MPI_Allgather(&first, 1, MPI_UINT32_T, firsts_.data(), 1, MPI_UINT32_T, comm);
    MPI_Allgather(&end, 1, MPI_UINT32_T, ends_.data(), 1, MPI_UINT32_T, comm);
  }
  /// The last rank whose run starts at or before `id` (a rank with no flows starts where the next
  /// does); job_stops for an id before rank 0's run (the runs must start at flow 0) or past the
  /// run of the rank it would be in.
  [[nodiscard]] int of(std::uint32_t id) const {
    if (id < firsts_.front()) throw job_stops("expose::mpi::window_items: flow " + std::to_string(id) + " lies before every rank's run");
    const auto r = static_cast<std::size_t>(std::upper_bound(firsts_.begin(), firsts_.end(), id) - firsts_.begin()) - 1;
    if (id >= ends_[r]) throw job_stops("expose::mpi::window_items: an activity entry names a flow no rank holds");
    return static_cast<int>(r);
  }

 private:
  std::vector<std::uint32_t> firsts_, ends_;
};

/// Which rank holds each window: every rank from the first window it read up to the next rank's
/// first (rank 0 every window before rank 1's; a rank that read nothing holds none). Ranks read
/// consecutive ranges in time order, so only the windows a boundary between two reads cuts move.
class window_owners {
 public:
  window_owners(const std::vector<timed_entry>& entries, MPI_Comm comm) {
    int size = 1;
    MPI_Comm_size(comm, &size);
    std::int64_t first = INT64_MAX;  // none read
    for (const auto& e : entries) first = std::min(first, e.window);
    cuts_.resize(static_cast<std::size_t>(size));
    MPI_Allgather(&first, 1, MPI_INT64_T, cuts_.data(), 1, MPI_INT64_T, comm);
    // a rank that read nothing starts where the next does; then each cut at or after the one before
    for (std::size_t r = cuts_.size() - 1; r-- > 0;)
      if (cuts_[r] == INT64_MAX) cuts_[r] = cuts_[r + 1];
    cuts_.front() = INT64_MIN;
    for (std::size_t r = 1; r < cuts_.size(); ++r) cuts_[r] = std::max(cuts_[r], cuts_[r - 1]);
  }
  [[nodiscard]] int of(std::int64_t window) const noexcept {
    return static_cast<int>(std::upper_bound(cuts_.begin(), cuts_.end(), window) - cuts_.begin()) - 1;
  }

 private:
  std::vector<std::int64_t> cuts_;
};

/// The rank that owns a hash (mixed again: the low bits alone are not spread), of a pattern or a
/// set of flows.
[[nodiscard]] inline int hash_owner(std::uint64_t h, int size) {
  return static_cast<int>(flow_key_hash::mix(h) % static_cast<std::uint64_t>(size));
}

/// Where one process meets an item first, what it is, and how many flows it has.
struct item_head {
  flow_pattern closure;
  std::uint32_t first = 0;   // the flow of the (template, flow) where one process makes it
  std::uint32_t members = 0;
  std::uint32_t count = 0;   // its windows
  std::uint8_t made_by = 0;  // the template's position
};

/// `c` made the closure of its flows and those of `p` (a pattern or a closure): `*` where `p`
/// does not keep a field `c` keeps, or keeps another value.
inline void widen(flow_pattern& c, const flow_pattern& p) {
  for (std::size_t i = 0; i < field_count; ++i) {
    const auto f = static_cast<field>(i);
    if (c.at(f) != slot::kept) continue;
    if (p.at(f) != slot::kept || !expose::detail::same_value(p.key, f, c.key, f)) c.set(f, slot::any);
  }
}

/// The closure of some flows (not empty), their patterns in flow order: the first flow's pattern
/// with `*` in each field it keeps and another flow changes (in value, or by not keeping it), the
/// values of fields not kept zeroed (lattice::detail::closure_of, over patterns at hand).
[[nodiscard]] inline flow_pattern closure_of_patterns(std::span<const flow_pattern> flows) {
  flow_pattern c = flows.front();
  for (const auto& p : flows.subspan(1)) widen(c, p);
  return c;
}

/// Lists on their way between ranks: a head per list, and the lists' elements flat (each head's
/// `n` of them, in order).
template <class Head, class T>
struct batch {
  std::vector<Head> heads;
  std::vector<T> flat;
  void add(const Head& h, std::span<const T> v) {
    heads.push_back(h);
    heads.back().n = static_cast<std::uint32_t>(v.size());
    flat.insert(flat.end(), v.begin(), v.end());
  }
};

/// Sends `out[r]` to every rank r; returns what each rank sent this one (`in[from]`).
template <class Head, class T>
[[nodiscard]] std::vector<batch<Head, T>> exchange_batches(std::vector<batch<Head, T>> out, MPI_Comm comm, traffic& t) {
  std::vector<std::vector<Head>> heads;
  std::vector<std::vector<T>> flat;
  for (auto& b : out) {
    heads.push_back(std::move(b.heads));
    flat.push_back(std::move(b.flat));
  }
  auto heads_in = exchange(std::move(heads), comm, t);
  auto flat_in = exchange(std::move(flat), comm, t);
  std::vector<batch<Head, T>> in(heads_in.size());
  for (std::size_t r = 0; r < in.size(); ++r) in[r] = {std::move(heads_in[r]), std::move(flat_in[r])};
  return in;
}

/// Every rank's values, joined in rank order, on every rank (a collective).
[[nodiscard]] inline std::vector<std::uint64_t> gather_all(const std::vector<std::uint64_t>& mine, MPI_Comm comm) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  const int n = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), at(static_cast<std::size_t>(size), 0);
  MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  // said alike on every rank: the same counts
  if (std::accumulate(counts.begin(), counts.end(), std::uint64_t{0}) > static_cast<std::uint64_t>(INT_MAX))
    throw bad_argument("expose::mpi::window_items: more items than an MPI count can hold");
  std::partial_sum(counts.begin(), counts.end() - 1, at.begin() + 1);
  std::vector<std::uint64_t> all(static_cast<std::size_t>(at.back()) + static_cast<std::size_t>(counts.back()));
  MPI_Allgatherv(mine.data(), n, MPI_UINT64_T, all.data(), counts.data(), at.data(), MPI_UINT64_T, comm);
  return all;
}

/// Items numbered from `from` in the order of their keys (unique over every rank): given the keys
/// of this rank's items, their numbers, and the first number after every rank's items. Every
/// rank receives every key (8 bytes an item: items are few beside flows).
[[nodiscard]] inline std::pair<std::vector<std::uint64_t>, std::uint64_t> number_by_keys(const std::vector<std::uint64_t>& mine,
                                                                                        std::uint64_t from, MPI_Comm comm) {
  std::vector<std::uint64_t> all = gather_all(mine, comm);
  std::sort(all.begin(), all.end());
  const std::uint64_t end = from + all.size();
  if (end > UINT32_MAX) throw bad_argument("expose::mpi::window_items: more items than 32-bit item ids can number");
  std::vector<std::uint64_t> ids;
  for (const auto k : mine) ids.push_back(from + static_cast<std::uint64_t>(std::lower_bound(all.begin(), all.end(), k) - all.begin()));
  return {std::move(ids), end};
}

/// Sorts entries by (item, window), offsets in no order among equal pairs: a radix sort of the
/// pair as one number where the windows, from `base`, span `span` < 2^32, as in nearly every trace.
inline void sort_by_item(std::vector<timed_entry>& entries, std::int64_t base, std::uint64_t span) {
  if (span > UINT32_MAX) {
    std::sort(entries.begin(), entries.end(), [](const timed_entry& a, const timed_entry& b) { return std::tie(a.item, a.window) < std::tie(b.item, b.window); });
    return;
  }
  const auto key = [base](const timed_entry& e) { return std::uint64_t{e.item} << 32 | (static_cast<std::uint64_t>(e.window) - static_cast<std::uint64_t>(base)); };
  boost::sort::spreadsort::integer_sort(
      entries.begin(), entries.end(), [&](const timed_entry& e, unsigned shift) { return key(e) >> shift; },
      [&](const timed_entry& a, const timed_entry& b) { return key(a) < key(b); });
}

/// The flows whose windows this rank holds, with those windows: each flow's ascending, each once
/// with its earliest offset, as keys (window - base) << 16 | offset (so that a union is a radix
/// sort of numbers, as one process's is of window positions).
class read_flows {
 public:
  /// Of entries (window, flow, offset) in any order, each (window, flow) any number of times;
  /// `run`: the flows this rank owns (looked up by position, the others by hash). job_stops
  /// where the windows span 2^47 or more.
  read_flows(std::vector<timed_entry> entries, const flow_run& run) : first_(run.first), own_(run.patterns.size(), none) {
    static_assert(sizeof(window_offset) == 2);
    if (!entries.empty()) {
      const auto [lo, hi] = std::minmax_element(entries.begin(), entries.end(),
                                                [](const timed_entry& a, const timed_entry& b) { return a.window < b.window; });
      base = lo->window;
      span = static_cast<std::uint64_t>(hi->window) - static_cast<std::uint64_t>(base);
      if (span >= (std::uint64_t{1} << 47)) throw job_stops("expose::mpi::window_items: a rank's windows span 2^47 windows or more");
    }
    sort_by_item(entries, base, span);
    for (const auto& e : entries) {
      const std::uint64_t key = (static_cast<std::uint64_t>(e.window) - static_cast<std::uint64_t>(base)) << 16 | e.offset;
      if (flow.empty() || flow.back() != e.item) {
        const auto k = static_cast<std::uint32_t>(flow.size());
        if (e.item >= first_ && e.item - first_ < own_.size())
          own_[e.item - first_] = k;
        else
          other_.emplace(e.item, k);
        flow.push_back(e.item);
        start.push_back(keys.size());
      } else if (keys.back() >> 16 == key >> 16) {
        keys.back() = std::min(keys.back(), key);  // the earliest offset in a window of the flow's
        continue;
      }
      keys.push_back(key);
    }
    start.push_back(keys.size());
  }
  /// Flow `f`'s windows held here, as keys (none when it has none here).
  [[nodiscard]] std::span<const std::uint64_t> of(std::uint32_t f) const {
    std::uint32_t k = none;
    if (f >= first_ && f - first_ < own_.size()) {
      k = own_[f - first_];
    } else if (const auto it = other_.find(f); it != other_.end()) {
      k = it->second;
    }
    if (k == none) return {};
    return {keys.data() + start[k], start[k + 1] - start[k]};
  }
  [[nodiscard]] std::int64_t window(std::uint64_t key) const noexcept {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(base) + (key >> 16));
  }

  std::int64_t base = 0;
  std::uint64_t span = 0;           // the last window held, from base
  std::vector<std::uint32_t> flow;  // the flows held, by place
  std::vector<std::size_t> start;   // place k: keys[start[k], start[k + 1])
  std::vector<std::uint64_t> keys;

 private:
  static constexpr std::uint32_t none = UINT32_MAX;
  std::uint32_t first_;
  std::vector<std::uint32_t> own_;                                 // flow first_ + i -> its place
  boost::unordered_flat_map<std::uint32_t, std::uint32_t> other_;  // another rank's flow -> its place
};

/// This rank's run of flows: each flow's count of windows over every rank, and the ranks holding them.
struct owned_flows {
  const flow_run& run;
  std::vector<std::uint32_t> windows;     // flow i of the run
  std::vector<std::size_t> reader_start;  // flow i: readers[reader_start[i], reader_start[i + 1])
  std::vector<int> readers;

  /// Collective: every rank tells the flows' owners which flows it holds windows of, and how many.
  owned_flows(const flow_run& r, const read_flows& read, const run_owners& runs, MPI_Comm comm, traffic& t) : run(r) {
    int size = 1;
    MPI_Comm_size(comm, &size);
    struct held {
      std::uint32_t flow = 0, count = 0;
    };
    std::vector<std::vector<held>> out(static_cast<std::size_t>(size));
    for (std::size_t k = 0; k < read.flow.size(); ++k)
      out[static_cast<std::size_t>(runs.of(read.flow[k]))].push_back({read.flow[k], static_cast<std::uint32_t>(read.start[k + 1] - read.start[k])});
    const auto in = exchange(std::move(out), comm, t);
    const std::size_t n = run.patterns.size();
    windows.assign(n, 0);
    reader_start.assign(n + 1, 0);
    for (const auto& v : in)
      for (const auto& h : v) {
        const std::size_t i = index(h.flow);
        windows[i] += h.count;
        ++reader_start[i + 1];
      }
    std::partial_sum(reader_start.begin(), reader_start.end(), reader_start.begin());
    readers.resize(reader_start.back());
    std::vector<std::size_t> fill(reader_start.begin(), reader_start.end() - 1);
    for (std::size_t from = 0; from < in.size(); ++from)
      for (const auto& h : in[from]) readers[fill[h.flow - run.first]++] = static_cast<int>(from);
  }
  /// Flow `id`'s place in the run; job_stops for a flow of another rank's.
  [[nodiscard]] std::size_t index(std::uint32_t id) const {
    if (id < run.first || id - run.first >= windows.size())
      throw job_stops("expose::mpi::window_items: a message names a flow this rank does not hold");
    return id - run.first;
  }
  /// Whether flow i of the run (a position) has its windows on rank `r` alone.
  [[nodiscard]] bool only_here(std::size_t i, int r) const noexcept {
    return reader_start[i + 1] - reader_start[i] == 1 && readers[reader_start[i]] == r;
  }
  /// The ranks holding windows of flow i of the run (a position).
  [[nodiscard]] std::span<const int> readers_at(std::size_t i) const noexcept {
    return {readers.data() + reader_start[i], reader_start[i + 1] - reader_start[i]};
  }
  [[nodiscard]] std::span<const int> readers_of(std::uint32_t id) const {
    const std::size_t i = index(id);
    return {readers.data() + reader_start[i], reader_start[i + 1] - reader_start[i]};
  }
};

/// A set of flows whose windows are counted where they are held: the rank asking, and the
/// set's number there.
struct set_tag {
  std::uint32_t asker = 0, index = 0;
  friend auto operator<=>(const set_tag&, const set_tag&) = default;
};
struct set_member {
  set_tag set;
  std::uint32_t flow = 0;
  friend auto operator<=>(const set_member&, const set_member&) = default;
};

/// The sets whose windows this rank counts: each its flows of this rank's run (positions in it)
/// and the other flows their owners told it of.
struct counted_here {
  std::uint32_t first = 0;  // the run's first flow
  std::vector<set_tag> tag;
  std::vector<std::span<const std::uint32_t>> own;  // positions in the run (kept by the caller)
  std::vector<std::size_t> told_start{0};           // set k: told[told_start[k], told_start[k + 1])
  std::vector<std::uint32_t> told;                  // flow numbers
  std::vector<std::uint32_t> windows;               // set k's count of windows held here, once counted

  [[nodiscard]] std::size_t sets() const noexcept { return tag.size(); }
  /// Calls `visit(keys)` with the windows held here of each of set k's flows (read_flows' keys).
  template <class Visit>
  void each_flow(std::size_t k, const read_flows& read, const Visit& visit) const {
    for (const auto i : own[k]) visit(read.of(first + i));
    for (std::size_t j = told_start[k]; j < told_start[k + 1]; ++j) visit(read.of(told[j]));
  }
};

/// The union of the windows held here of some flows, as read_flows' keys: each window once, with
/// its earliest offset. `keys_of(visit)` calls visit with each flow's keys. A sort of every key
/// (window_stamps' union is faster where it can be made).
template <class KeysOf>
void unite_by_sort(const KeysOf& keys_of, std::vector<std::uint64_t>& w) {
  w.clear();
  std::size_t of = 0;
  keys_of([&](std::span<const std::uint64_t> keys) {
    if (!keys.empty()) ++of;
    w.insert(w.end(), keys.begin(), keys.end());
  });
  if (of < 2) return;
  boost::sort::spreadsort::integer_sort(w.begin(), w.end());
  w.erase(std::unique(w.begin(), w.end(), [](std::uint64_t a, std::uint64_t b) { return a >> 16 == b >> 16; }), w.end());
}

/// Counts and unites sets' windows held here. Per window, the last set that met it (a stamp) and
/// that set's earliest offset there: sets counted and united without a sort of their flows' keys
/// (a union sorts its distinct windows, or reads the stamps in window order where they are many).
/// Dense, 6 bytes a window from read_flows' base to its span, so made only where those windows
/// are no more than the keys held ((flow, window) pairs) and 2^16 (memory grows with activity
/// alone); elsewhere (windows far apart) by unite_by_sort. `keys_of(visit)` calls visit with each
/// of a set's flows' keys.
/// On the 6-hour trace on 2 ranks, counting every group took 0.11 s by unions kept for naming,
/// 0.03 s by stamps (the named sets' unions made again then take about the difference; what it
/// saves is memory: no union of every group kept, the rows made in one allocation).
class window_stamps {
 public:
  explicit window_stamps(const read_flows& read) {
    if (read.keys.empty() || read.span >= read.keys.size() + (std::uint64_t{1} << 16)) return;
    seen_.assign(read.span + 1, 0);
    earliest_.resize(read.span + 1);
  }
  /// A set's count of windows held here.
  template <class KeysOf>
  [[nodiscard]] std::uint32_t count(const KeysOf& keys_of) {
    if (seen_.empty()) {
      unite_by_sort(keys_of, sorted_);
      return static_cast<std::uint32_t>(sorted_.size());
    }
    const std::uint32_t stamp = next();
    std::uint32_t n = 0;
    keys_of([&](std::span<const std::uint64_t> keys) {
      for (const auto key : keys)
        if (auto& s = seen_[key >> 16]; s != stamp) {
          s = stamp;
          ++n;
        }
    });
    return n;
  }
  /// unite_by_sort's union, the same keys.
  template <class KeysOf>
  void unite(const KeysOf& keys_of, std::vector<std::uint64_t>& w) {
    if (seen_.empty()) {
      unite_by_sort(keys_of, w);
      return;
    }
    const std::uint32_t stamp = next();
    w.clear();
    keys_of([&](std::span<const std::uint64_t> keys) {
      for (const auto key : keys) {
        const auto at = key >> 16;
        const auto offset = static_cast<window_offset>(key & 0xffffU);
        if (seen_[at] != stamp) {
          seen_[at] = stamp;
          earliest_[at] = offset;
          w.push_back(at);
        } else {
          earliest_[at] = std::min(earliest_[at], offset);
        }
      }
    });
    if (w.size() * 16 > seen_.size()) {  // many: read in window order
      w.clear();
      for (std::size_t at = 0; at < seen_.size(); ++at)
        if (seen_[at] == stamp) w.push_back(at);
    } else {
      boost::sort::spreadsort::integer_sort(w.begin(), w.end());
    }
    for (auto& x : w) x = x << 16 | earliest_[x];
  }

 private:
  [[nodiscard]] std::uint32_t next() {
    if (stamp_ == UINT32_MAX) {
      std::fill(seen_.begin(), seen_.end(), 0);
      stamp_ = 0;
    }
    return ++stamp_;
  }
  std::uint32_t stamp_ = 0;
  std::vector<std::uint32_t> seen_;  // none where not dense
  std::vector<window_offset> earliest_;
  std::vector<std::uint64_t> sorted_;  // a union where not dense
};

/// Collective: `out[r]`, sets' flows whose windows rank r holds, sent; `local` (sets of flows of
/// this rank's run, which starts at `first`: positions in it, each set once) joined with what
/// came: a set listed both ways is one set, its flows both lists'.
[[nodiscard]] inline counted_here meet_at_readers(std::uint32_t first, std::span<const std::pair<set_tag, std::span<const std::uint32_t>>> local,
                                                  std::vector<std::vector<set_member>> out, MPI_Comm comm, traffic& t) {
  std::vector<set_member> in;
  for (auto& v : exchange(std::move(out), comm, t)) in.insert(in.end(), v.begin(), v.end());
  std::sort(in.begin(), in.end());
  counted_here c;
  c.first = first;
  std::vector<char> taken(in.size(), 0);
  for (const auto& [tag, flows] : local) {
    c.tag.push_back(tag);
    c.own.push_back(flows);
    for (auto it = std::lower_bound(in.begin(), in.end(), set_member{tag, 0}); it != in.end() && it->set == tag; ++it) {
      c.told.push_back(it->flow);
      taken[static_cast<std::size_t>(it - in.begin())] = 1;
    }
    c.told_start.push_back(c.told.size());
  }
  for (std::size_t k = 0; k < in.size();) {
    if (taken[k] != 0) {  // a set's flows are taken together
      ++k;
      continue;
    }
    const set_tag tag = in[k].set;
    for (; k < in.size() && in[k].set == tag; ++k) c.told.push_back(in[k].flow);
    c.tag.push_back(tag);
    c.own.emplace_back();
    c.told_start.push_back(c.told.size());
  }
  return c;
}

/// Collective: sets' flows (given anywhere, by set) to the ranks holding the flows' windows,
/// through the flows' owners.
[[nodiscard]] inline counted_here to_readers(const std::vector<set_member>& members, const run_owners& runs, const owned_flows& own,
                                             MPI_Comm comm, traffic& t) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  const auto ranks = static_cast<std::size_t>(size);
  std::vector<std::vector<set_member>> out(ranks);
  for (const auto& m : members) out[static_cast<std::size_t>(runs.of(m.flow))].push_back(m);
  std::vector<std::vector<set_member>> on(ranks);
  for (const auto& v : exchange(std::move(out), comm, t))
    for (const auto& m : v)
      for (const int r : own.readers_of(m.flow)) on[static_cast<std::size_t>(r)].push_back(m);
  return meet_at_readers(own.run.first, {}, std::move(on), comm, t);
}

/// Each set's count of windows over every rank, at the rank that asked: the sum of the sizes of
/// the unions each rank holds (the ranks' windows are disjoint); and which ranks hold windows of
/// which sets (`held[rank]`: set numbers), to name them.
struct set_counts {
  std::vector<std::uint32_t> count;  // by set number
  std::vector<std::vector<std::uint32_t>> held;
};

/// Collective: counts the sets this rank asked about (numbers [0, n)), of the sets every rank
/// counts; each set's count here in sets.windows.
[[nodiscard]] inline set_counts count_sets(counted_here& sets, const read_flows& read, std::size_t n, MPI_Comm comm, traffic& t) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  struct counted {
    std::uint32_t index = 0, count = 0;
  };
  std::vector<std::vector<counted>> out(static_cast<std::size_t>(size));
  window_stamps stamps(read);
  sets.windows.assign(sets.sets(), 0);
  for (std::size_t k = 0; k < sets.sets(); ++k) {
    sets.windows[k] = stamps.count([&](const auto& visit) { sets.each_flow(k, read, visit); });
    if (sets.windows[k] != 0) out[sets.tag[k].asker].push_back({sets.tag[k].index, sets.windows[k]});
  }
  const auto in = exchange(std::move(out), comm, t);
  set_counts c;
  c.count.assign(n, 0);
  c.held.resize(in.size());
  for (std::size_t r = 0; r < in.size(); ++r)
    for (const auto& x : in[r]) {
      if (x.index >= n) throw job_stops("expose::mpi::window_items: a count names a set this rank did not ask about");
      c.count[x.index] += x.count;
      c.held[r].push_back(x.index);
    }
  return c;
}

/// The sets counted here that became items, by item number: each one's flows (numbers: they
/// hold no place in the caller's lists, which can go before the rows are made) and its count of
/// windows here.
struct named_sets {
  std::vector<std::uint32_t> id;
  std::vector<std::uint32_t> windows;
  std::vector<std::size_t> flow_start{0};  // set k: flows[flow_start[k], flow_start[k + 1])
  std::vector<std::uint32_t> flows;

  [[nodiscard]] std::size_t sets() const noexcept { return id.size(); }
  [[nodiscard]] std::size_t rows() const noexcept { return std::accumulate(windows.begin(), windows.end(), std::size_t{0}); }
};

/// Collective: the sets this rank asked about that became items (`id[set]`, UINT32_MAX for none)
/// are named to the ranks holding their windows; returns those of `sets` (counted here) named.
[[nodiscard]] inline named_sets name_sets(const set_counts& c, const std::vector<std::uint32_t>& id, const counted_here& sets, MPI_Comm comm,
                                          traffic& t) {
  struct told {
    std::uint32_t index = 0, id = 0;
  };
  std::vector<std::vector<told>> out(c.held.size());
  for (std::size_t r = 0; r < c.held.size(); ++r)
    for (const auto k : c.held[r])
      if (id[k] != UINT32_MAX) out[r].push_back({k, id[k]});
  const auto in = exchange(std::move(out), comm, t);
  boost::unordered_flat_map<std::uint64_t, std::uint32_t> place;  // (asker, index) -> the set's place here
  for (std::uint32_t k = 0; k < sets.sets(); ++k) place.emplace(std::uint64_t{sets.tag[k].asker} << 32 | sets.tag[k].index, k);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> named;  // (id, the set's place here)
  for (std::size_t r = 0; r < in.size(); ++r)
    for (const auto& x : in[r]) {
      const auto it = place.find(std::uint64_t{r} << 32 | x.index);
      if (it == place.end()) throw job_stops("expose::mpi::window_items: a name for a set this rank did not count");
      named.emplace_back(x.id, it->second);
    }
  std::sort(named.begin(), named.end());
  named_sets n;
  for (const auto& [item, k] : named) {
    n.id.push_back(item);
    n.windows.push_back(sets.windows[k]);
    for (const auto i : sets.own[k]) n.flows.push_back(sets.first + i);
    n.flows.insert(n.flows.end(), sets.told.begin() + static_cast<std::ptrdiff_t>(sets.told_start[k]),
                   sets.told.begin() + static_cast<std::ptrdiff_t>(sets.told_start[k + 1]));
    n.flow_start.push_back(n.flows.size());
  }
  return n;
}

/// Appends the rows of the named sets to `rows`, by item (the union of each one's windows made
/// again: most sets counted are not named).
inline void make_rows(const named_sets& named, const read_flows& read, window_stamps& stamps, std::vector<timed_entry>& rows) {
  std::vector<std::uint64_t> w;
  for (std::size_t k = 0; k < named.sets(); ++k) {
    const auto keys_of = [&](const auto& visit) {
      for (std::size_t j = named.flow_start[k]; j < named.flow_start[k + 1]; ++j) visit(read.of(named.flows[j]));
    };
    stamps.unite(keys_of, w);
    if (w.size() != named.windows[k]) throw job_stops("expose::mpi::window_items: a set's windows made for its rows are not those counted");
    for (const auto key : w) rows.push_back({read.window(key), named.id[k], static_cast<window_offset>(key & 0xffffU)});
  }
}

/// A flow and its count of windows over every rank.
struct counted_flow {
  std::uint32_t flow = 0, count = 0;
  friend auto operator<=>(const counted_flow&, const counted_flow&) = default;
};

/// Items made here, to append to a share: heads (closure, count) with their numbers and flows.
struct made_item {
  std::uint32_t id = 0;
  flow_pattern closure;
  std::uint32_t count = 0;
  std::vector<std::uint32_t> members;
  std::vector<std::uint32_t> member_counts;  // beside members: each flow's windows (a group's item; not kept in the share)
};

/// Appends `made` to `share` by ascending number; their flows' counts of windows to `member_counts`
/// (beside share.members) when not null.
inline void append_items(window_item_share& share, std::vector<made_item> made, std::vector<std::uint32_t>* member_counts = nullptr) {
  std::sort(made.begin(), made.end(), [](const made_item& a, const made_item& b) { return a.id < b.id; });
  for (auto& m : made) {
    if (member_counts != nullptr) member_counts->insert(member_counts->end(), m.member_counts.begin(), m.member_counts.end());
    share.id.push_back(m.id);
    share.closure.push_back(m.closure);
    share.count.push_back(m.count);
    share.members.insert(share.members.end(), m.members.begin(), m.members.end());
    share.member_start.push_back(share.members.size());
  }
}

/// The rests (lattice::templates::add_rests) of the window items `share` holds (the groups' items
/// alone; `member_counts`, beside share.members, each flow's count of windows; `starts`, every
/// rank's items' smallest flows, ascending), made by the ranks holding their flows and items:
/// appended to `share`, numbered from `from` (the first number after every group's item) as one
/// process numbers them, the rests of an item of lower number first, one item's in the order it
/// takes them. Returns the rests' sets counted here that are named (make_rows makes their rows).
template <class Keep>
[[nodiscard]] named_sets add_rests(window_item_share& share, std::span<const std::uint32_t> member_counts, std::span<const std::uint32_t> starts,
               const owned_flows& own, const read_flows& read, const run_owners& runs, std::uint64_t samples, std::size_t max_rests,
               const Keep& keep, std::uint64_t from, MPI_Comm comm, traffic& t) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const auto ranks = static_cast<std::size_t>(size);
  const std::size_t n_items = share.items();
  const auto holder = [&](std::uint32_t f) { return static_cast<std::size_t>(runs.of(f)); };

  // R1. Every item to the rank holding its first flow: there, per flow, the items it starts (one
  // process's `generic_of`), by number.
  struct listed {
    std::uint32_t id = 0;
    std::uint32_t n = 0;
  };
  struct start_entry {
    std::uint32_t flow, id, n;
    std::size_t at;  // its flows in `starting_flows`
  };
  std::vector<start_entry> starting;
  std::vector<std::uint32_t> starting_flows;
  {
    std::vector<batch<listed, std::uint32_t>> out(ranks);
    for (std::size_t k = 0; k < n_items; ++k) out[holder(share.members_of(k).front())].add({share.id[k], 0}, share.members_of(k));
    for (auto& in : exchange_batches(std::move(out), comm, t)) {
      std::size_t at = starting_flows.size();
      starting_flows.insert(starting_flows.end(), in.flat.begin(), in.flat.end());
      for (const auto& h : in.heads) {
        starting.push_back({starting_flows[at], h.id, h.n, at});
        at += h.n;
      }
    }
    std::sort(starting.begin(), starting.end(), [](const start_entry& a, const start_entry& b) { return std::tie(a.flow, a.id) < std::tie(b.flow, b.id); });
  }

  // R2. For every item x and flow f of it that starts an item, the rank holding f answers with
  // the items f starts that are smaller than x, with their flows: [id, size, flows...] each.
  const auto starts_item = [&](std::uint32_t f) { return std::binary_search(starts.begin(), starts.end(), f); };
  struct asked {
    std::uint32_t x = 0, x_size = 0, flow = 0, n = 0;
  };
  struct answer {
    std::uint32_t n = 0;
  };
  std::vector<batch<answer, std::uint32_t>> answers;
  {
    std::vector<batch<asked, std::uint32_t>> out(ranks);
    for (std::size_t k = 0; k < n_items; ++k)
      for (const auto f : share.members_of(k))
        if (starts_item(f)) out[holder(f)].add({share.id[k], static_cast<std::uint32_t>(share.members_of(k).size()), f, 0}, {});
    std::vector<batch<answer, std::uint32_t>> back(ranks);
    auto in = exchange_batches(std::move(out), comm, t);
    std::vector<std::uint32_t> ys;
    for (std::size_t r = 0; r < ranks; ++r)
      for (const auto& q : in[r].heads) {
        ys.clear();
        const auto first = std::lower_bound(starting.begin(), starting.end(), q.flow, [](const start_entry& e, std::uint32_t f) { return e.flow < f; });
        for (auto e = first; e != starting.end() && e->flow == q.flow; ++e) {
          if (e->id == q.x || e->n >= q.x_size) continue;
          ys.push_back(e->id);
          ys.push_back(e->n);
          ys.insert(ys.end(), starting_flows.begin() + static_cast<std::ptrdiff_t>(e->at),
                    starting_flows.begin() + static_cast<std::ptrdiff_t>(e->at + e->n));
        }
        back[r].add({0}, ys);
      }
    answers = exchange_batches(std::move(back), comm, t);
  }
  expose::detail::release(starting);
  expose::detail::release(starting_flows);

  // Per item, as one process: the rule-able pieces inside it (the largest items it strictly
  // holds, then its rule-able flows none of them holds), at most max_rests; a rest against each.
  struct candidate {
    std::uint32_t x = 0;    // the item it is a rest of
    std::uint32_t pos = 0;  // its place among x's rests
    std::uint64_t hash = 0;
    std::uint32_t n = 0;
  };
  std::vector<batch<candidate, std::uint32_t>> candidates(ranks);
  {
    std::vector<std::size_t> next_head(ranks, 0), next_flat(ranks, 0);  // reading the answers in the order asked
    struct piece {
      std::uint32_t id;
      bool flow;  // a flow of x, not an item
      std::span<const std::uint32_t> flows;
    };
    std::vector<piece> inside;
    std::vector<std::uint32_t> single(1), rest;
    const lattice::detail::member_set_hash set_hash;
    for (std::size_t k = 0; k < n_items; ++k) {
      const auto xs = share.members_of(k);
      const auto counts = member_counts.subspan(share.member_start[k], xs.size());
      inside.clear();
      for (const auto f : xs) {
        if (!starts_item(f)) continue;
        const std::size_t r = holder(f);
        const answer& a = answers[r].heads[next_head[r]++];
        const std::uint32_t* p = answers[r].flat.data() + next_flat[r];
        const std::uint32_t* end = p + a.n;
        next_flat[r] += a.n;
        while (p != end) {
          const std::uint32_t y = p[0], n = p[1];
          const std::span<const std::uint32_t> ys(p + 2, n);
          p += 2 + n;
          if (expose::detail::includes(xs, ys)) inside.push_back({y, false, ys});
        }
      }
      if (!lattice::detail::keep_largest(inside, [](const piece& y) { return y.flows; }, max_rests)) continue;
      const std::size_t items_inside = inside.size();
      for (std::size_t j = 0; j < xs.size(); ++j) {
        if (!keep(std::uint64_t{counts[j]}, samples)) continue;
        const bool covered = std::any_of(inside.begin(), inside.begin() + static_cast<std::ptrdiff_t>(items_inside),
                                         [&](const piece& y) { return std::binary_search(y.flows.begin(), y.flows.end(), xs[j]); });
        if (!covered) inside.push_back({xs[j], true, {}});
        if (inside.size() > max_rests) break;
      }
      if (inside.empty() || inside.size() > max_rests) continue;
      for (std::uint32_t pos = 0; pos < inside.size(); ++pos) {
        rest.clear();
        single[0] = inside[pos].id;
        const auto ys = inside[pos].flow ? std::span<const std::uint32_t>(single) : inside[pos].flows;
        std::set_difference(xs.begin(), xs.end(), ys.begin(), ys.end(), std::back_inserter(rest));
        if (rest.size() < 2) continue;  // a single flow is an item already
        const std::uint64_t h = set_hash(rest);
        candidates[static_cast<std::size_t>(hash_owner(h, size))].add({share.id[k], pos, h, 0}, rest);
      }
    }
  }
  answers = {};

  // R3. Rests and items by their flows' hash: a rest the same as an item, or as a rest one process
  // takes before it, is not one; of the others, the flows' patterns are asked of the ranks
  // holding them and the windows counted where they are (R4).
  struct by_set {
    std::uint64_t hash = 0;
    std::uint32_t n = 0;
  };
  std::vector<batch<candidate, std::uint32_t>> cand_in = exchange_batches(std::move(candidates), comm, t);
  std::vector<batch<by_set, std::uint32_t>> items_in;
  {
    const lattice::detail::member_set_hash set_hash;
    std::vector<batch<by_set, std::uint32_t>> out(ranks);
    for (std::size_t k = 0; k < n_items; ++k) {
      const auto m = share.members_of(k);
      const std::uint64_t h = set_hash(m);
      out[static_cast<std::size_t>(hash_owner(h, size))].add({h, 0}, m);
    }
    items_in = exchange_batches(std::move(out), comm, t);
  }
  struct kept_rest {
    candidate head;
    std::span<const std::uint32_t> flows;
  };
  std::vector<kept_rest> rests;
  {
    boost::unordered_flat_map<std::uint64_t, std::vector<std::span<const std::uint32_t>>> items_by_hash;
    for (const auto& b : items_in) {
      std::size_t at = 0;
      for (const auto& h : b.heads) {
        items_by_hash[h.hash].emplace_back(b.flat.data() + at, h.n);
        at += h.n;
      }
    }
    boost::unordered_flat_map<std::uint64_t, std::vector<std::size_t>> rests_by_hash;  // positions in `rests`
    for (const auto& b : cand_in) {
      std::size_t at = 0;
      for (const auto& h : b.heads) {
        const std::span<const std::uint32_t> flows(b.flat.data() + at, h.n);
        at += h.n;
        if (const auto it = items_by_hash.find(h.hash);
            it != items_by_hash.end() && std::any_of(it->second.begin(), it->second.end(), [&](const auto& m) { return std::ranges::equal(m, flows); }))
          continue;
        auto& same = rests_by_hash[h.hash];
        const auto twin = std::find_if(same.begin(), same.end(), [&](std::size_t i) { return std::ranges::equal(rests[i].flows, flows); });
        if (twin == same.end()) {
          same.push_back(rests.size());
          rests.push_back({h, flows});
        } else if (std::tie(h.x, h.pos) < std::tie(rests[*twin].head.x, rests[*twin].head.pos)) {
          rests[*twin] = {h, flows};
        }
      }
    }
  }
  expose::detail::release(items_in);

  // R4. The rests' flows' patterns, from the ranks holding the flows; their windows counted where
  // they are.
  std::vector<std::vector<flow_pattern>> told;  // from each rank, in the order asked
  std::vector<set_member> members;
  {
    std::vector<std::vector<std::uint32_t>> out(ranks);
    for (std::uint32_t k = 0; k < rests.size(); ++k)
      for (const auto f : rests[k].flows) {
        out[holder(f)].push_back(f);
        members.push_back({{static_cast<std::uint32_t>(rank), k}, f});
      }
    const auto in = exchange(std::move(out), comm, t);
    std::vector<std::vector<flow_pattern>> back(ranks);
    for (std::size_t r = 0; r < ranks; ++r)
      for (const auto f : in[r]) back[r].push_back(own.run.patterns[own.index(f)]);
    told = exchange(std::move(back), comm, t);
  }
  counted_here sets = to_readers(members, runs, own, comm, t);
  expose::detail::release(members);
  const set_counts counted = count_sets(sets, read, rests.size(), comm, t);

  // Each kept rest's closure; numbered by (item, place), the order one process makes them in.
  std::vector<made_item> kept;
  std::vector<std::uint32_t> kept_rests;  // places in `rests`
  {
    std::vector<std::size_t> next(ranks, 0);  // reading the patterns in the order asked
    std::vector<flow_pattern> patterns;
    for (std::uint32_t k = 0; k < rests.size(); ++k) {
      patterns.clear();
      for (const auto f : rests[k].flows) {
        const std::size_t from_rank = holder(f);
        patterns.push_back(told[from_rank][next[from_rank]++]);
      }
      if (!keep(std::uint64_t{counted.count[k]}, samples)) continue;
      kept.push_back({0, closure_of_patterns(patterns), counted.count[k], std::vector<std::uint32_t>(rests[k].flows.begin(), rests[k].flows.end()), {}});
      kept_rests.push_back(k);
    }
  }
  told = {};
  std::vector<std::uint64_t> keys;
  for (const auto k : kept_rests) keys.push_back(std::uint64_t{rests[k].head.x} << 32 | rests[k].head.pos);
  const auto [ids, end] = number_by_keys(keys, from, comm);
  share.total += end - from;
  std::vector<std::uint32_t> id_of(rests.size(), UINT32_MAX);
  for (std::size_t j = 0; j < kept.size(); ++j) {
    kept[j].id = static_cast<std::uint32_t>(ids[j]);
    id_of[kept_rests[j]] = kept[j].id;
  }
  rests = {};
  cand_in = {};
  append_items(share, std::move(kept));
  return name_sets(counted, id_of, sets, comm, t);
}

}  // namespace detail

/// The window items of `lattice` (a lattice::templates: every template that binds no host
/// variable, and the rests as its `rests` and `max_rests` say), made by their owners over the
/// ranks of `comm` (a collective: every rank calls it). `flows`: this rank's run of flows (runs in
/// rank order, each after the one before); `entries`: activity of any flows (window, flow number,
/// offset), in any order, each rank its own (ranks reading consecutive ranges of time: a window
/// cut by two ranges has entries on both); `samples`: N, every window of the trace;
/// `keep(count, samples)`: whether an item seen in `count` windows is kept (the lattice's). The
/// items are those lattice.generalize_windows makes of the same flows, numbered alike (from the
/// count of flows), with the same flows, windows and offsets, the windows spread over the ranks'
/// rows. A failure that leaves ranks out of step (an entry naming no rank's flow) is
/// detail::job_stops.
template <class L, class Keep>
[[nodiscard]] window_item_share window_items(const flow_run& flows, std::vector<timed_entry> entries, std::uint64_t samples,
                                             const L& lattice, const Keep& keep, MPI_Comm comm, traffic& t) {
  const auto& masks = L::masks;
  constexpr std::size_t M = L::masks.size();
  static_assert(M <= 256, "expose::mpi::window_items: at most 256 templates (a template's position is a byte)");
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const auto ranks = static_cast<std::size_t>(size);
  const auto n_flows = static_cast<std::uint32_t>(flows.patterns.size());
  const detail::run_owners runs(flows.first, n_flows, comm);
  // Before any exchange, a rank holding an entry of no rank's flow stops (job_stops; the tools
  // abort the job, the other ranks waiting in the next collective).
  for (const auto& e : entries) (void)runs.of(e.item);

  // (0) Each window to the rank holding it (only those a boundary cuts move); every flow's count
  // of windows, and the ranks holding them, to the flow's owner.
  {
    const detail::window_owners windows(entries, comm);
    std::vector<std::vector<timed_entry>> out(ranks);
    std::size_t kept = 0;  // this rank's own windows' entries stay in place
    for (const auto& e : entries)
      if (const int to = windows.of(e.window); to == rank)
        entries[kept++] = e;
      else
        out[static_cast<std::size_t>(to)].push_back(e);
    entries.resize(kept);
    for (auto& v : detail::exchange(std::move(out), comm, t)) entries.insert(entries.end(), v.begin(), v.end());
  }
  const detail::read_flows read(std::move(entries), flows);
  const detail::owned_flows own(flows, read, runs, comm, t);

  // (1) Each rank groups its own flows by every window template (lattice::detail::group_flows,
  // template by template), and the ranks' shares of a group (the flows of one generic pattern,
  // of every template making it) meet at the owner of its pattern: first each share's hash and
  // count of flows, then the heads of the shares of groups that may make an item (two flows or
  // more over all ranks: most flows are a group of their own). Where one process meets a group
  // first is its smallest (template, flow): a share's first.
  const auto use = [](const lattice::mask& m) { return m.vars() == 0; };
  struct share {
    std::uint8_t made_by;
    std::uint32_t group;  // in its template's groups
    std::uint32_t count;
    std::uint64_t hash;   // of its pattern
  };
  std::vector<lattice::detail::flow_groups> groups_of(M);  // per template
  std::vector<share> shares;
  for (std::size_t m = 0; m < M; ++m) {
    if (!use(masks[m])) continue;
    groups_of[m] = lattice::detail::group_flows(flows.patterns, n_flows, masks, use, m, m + 1, 1);
    const auto& groups = groups_of[m];
    for (std::uint32_t g = 0; g < groups.groups(); ++g)
      shares.push_back({static_cast<std::uint8_t>(m), g, groups.size[g],
                        flow_pattern_hash{}(lattice::detail::apply(masks[m], flows.patterns[groups[g].front()]))});
  }
  const auto owner_of_hash = [&](std::uint64_t h) { return static_cast<std::size_t>(detail::hash_owner(h, size)); };
  std::vector<char> wanted(shares.size(), 0);  // the shares of groups of two flows or more (a flow two templates put in one counted twice)
  {
    struct counted {
      std::uint64_t hash = 0;
      std::uint64_t count = 0;
    };
    std::vector<std::vector<counted>> out(ranks);
    std::vector<std::vector<std::uint32_t>> sent(ranks);  // which share each record is
    for (std::uint32_t g = 0; g < shares.size(); ++g) {
      const auto to = owner_of_hash(shares[g].hash);
      out[to].push_back({shares[g].hash, shares[g].count});
      sent[to].push_back(g);
    }
    auto in = detail::exchange(std::move(out), comm, t);
    boost::unordered_flat_map<std::uint64_t, std::uint64_t> total;  // by hash: equal patterns add up (and rare others beside)
    for (const auto& v : in)
      for (const auto& c : v) total[c.hash] += c.count;
    std::vector<std::vector<char>> back(ranks);
    for (std::size_t r = 0; r < ranks; ++r)
      for (const auto& c : in[r]) back[r].push_back(total[c.hash] >= 2 ? 1 : 0);
    const auto answers = detail::exchange(std::move(back), comm, t);
    for (std::size_t r = 0; r < ranks; ++r)
      for (std::size_t k = 0; k < sent[r].size(); ++k) wanted[sent[r][k]] = answers[r][k];
  }

  // The wanted shares of one pattern here (two templates making it) are one share; its flows.
  struct wanted_share {
    flow_pattern key;
    detail::item_head item;  // closure, first, made_by; members: the count of its flows
    std::uint64_t hash = 0;
    std::span<const std::uint32_t> local;  // its flows in the run, when of one template
    std::size_t at = 0;                    // else its flows (in the run) in `joined_flows`
  };
  std::vector<wanted_share> mine;
  std::vector<std::uint32_t> joined_flows;
  {
    boost::unordered_flat_map<flow_pattern, std::uint32_t, flow_pattern_hash> by_key;
    std::vector<std::uint32_t> joined;
    for (std::size_t k = 0; k < shares.size(); ++k) {
      if (wanted[k] == 0) continue;
      const share& s = shares[k];
      const auto local = groups_of[s.made_by][s.group];
      const flow_pattern key = lattice::detail::apply(masks[s.made_by], flows.patterns[local.front()]);
      const flow_pattern closure = local.size() == 1 ? flows.patterns[local.front()] : lattice::detail::closure_of(flows.patterns, local);
      const auto [it, fresh] = by_key.try_emplace(key, static_cast<std::uint32_t>(mine.size()));
      if (fresh) {
        detail::item_head h;
        h.closure = closure;
        h.first = flows.first + local.front();
        h.made_by = s.made_by;
        h.members = static_cast<std::uint32_t>(local.size());
        mine.push_back({key, h, s.hash, local, 0});
        continue;
      }
      // a second template making the same group (rare; the first template's share is met first)
      wanted_share& w = mine[it->second];
      detail::widen(w.item.closure, closure);
      const auto had = w.local.empty() ? std::span<const std::uint32_t>(joined_flows.data() + w.at, w.item.members) : w.local;
      joined.clear();
      std::set_union(had.begin(), had.end(), local.begin(), local.end(), std::back_inserter(joined));
      w.at = joined_flows.size();
      w.item.members = static_cast<std::uint32_t>(joined.size());
      joined_flows.insert(joined_flows.end(), joined.begin(), joined.end());
      w.local = {};
    }
  }
  expose::detail::release(shares);
  expose::detail::release(wanted);
  const auto local_of = [&](const wanted_share& w) {  // its flows, positions in the run
    return w.local.empty() ? std::span<const std::uint32_t>(joined_flows.data() + w.at, w.item.members) : w.local;
  };

  // The wanted shares' heads to their owners, which join them into groups (numbered there).
  struct share_head {
    flow_pattern key;
    detail::item_head item;
  };
  std::vector<detail::item_head> groups;                           // at the owner
  std::vector<std::vector<std::uint32_t>> group_from(ranks);       // per rank: the group of each head it sent, in order
  std::vector<std::vector<std::uint32_t>> head_sent(ranks);        // per rank: the shares whose heads went there, in order
  {
    std::vector<std::vector<share_head>> out(ranks);
    for (std::uint32_t k = 0; k < mine.size(); ++k) {
      const auto to = owner_of_hash(mine[k].hash);
      out[to].push_back({mine[k].key, mine[k].item});
      head_sent[to].push_back(k);
    }
    const auto in = detail::exchange(std::move(out), comm, t);
    boost::unordered_flat_map<flow_pattern, std::uint32_t, flow_pattern_hash> by_key;
    for (std::size_t r = 0; r < ranks; ++r)
      for (const auto& h : in[r]) {
        const auto [it, fresh] = by_key.try_emplace(h.key, static_cast<std::uint32_t>(groups.size()));
        group_from[r].push_back(it->second);
        if (fresh) {
          groups.push_back(h.item);
          continue;
        }
        detail::item_head& g = groups[it->second];
        detail::widen(g.closure, h.item.closure);
        if (std::tie(h.item.made_by, h.item.first) < std::tie(g.made_by, g.first)) std::tie(g.made_by, g.first) = std::tie(h.item.made_by, h.item.first);
        g.members += h.item.members;  // the ranks' flows are apart
      }
  }

  // Each group of two flows or more over all ranks is told to its shares' ranks, which count its
  // windows.
  std::vector<std::uint32_t> group_of(mine.size(), UINT32_MAX);  // per wanted share here
  {
    std::vector<std::vector<std::uint32_t>> told(ranks);
    for (std::size_t r = 0; r < ranks; ++r)
      for (const auto g : group_from[r]) told[r].push_back(groups[g].members >= 2 ? g : UINT32_MAX);
    const auto groups_told = detail::exchange(std::move(told), comm, t);
    for (std::size_t r = 0; r < ranks; ++r)
      for (std::size_t k = 0; k < head_sent[r].size(); ++k) group_of[head_sent[r][k]] = groups_told[r][k];
  }

  // Each group's windows counted where they are: the shares here count what this rank holds of
  // their flows, and the flows' other readers are told the group.
  detail::counted_here sets;
  {
    std::vector<std::pair<detail::set_tag, std::span<const std::uint32_t>>> local;
    std::vector<std::vector<detail::set_member>> out(ranks);
    for (std::uint32_t k = 0; k < mine.size(); ++k) {
      if (group_of[k] == UINT32_MAX) continue;
      const detail::set_tag tag{static_cast<std::uint32_t>(owner_of_hash(mine[k].hash)), group_of[k]};
      const auto positions = local_of(mine[k]);
      for (const auto i : positions)
        if (!own.only_here(i, rank))
          for (const int r : own.readers_at(i))
            if (r != rank) out[static_cast<std::size_t>(r)].push_back({tag, flows.first + i});
      local.push_back({tag, positions});
    }
    sets = detail::meet_at_readers(flows.first, local, std::move(out), comm, t);
  }
  const detail::set_counts counted = detail::count_sets(sets, read, groups.size(), comm, t);
  std::vector<std::uint32_t> kept;  // groups here
  for (std::uint32_t g = 0; g < groups.size(); ++g) {
    groups[g].count = counted.count[g];
    if (groups[g].members >= 2 && keep(std::uint64_t{groups[g].count}, samples)) kept.push_back(g);
  }

  // (2) Of the kept groups with one closure, the one one process meets first (the smallest
  // (template, flow)) is the item: one process skips a group whose closure an item has. (Where
  // every flow keeps the same fields, equal closures hold equal flows; where some do not, a
  // smaller group can share a larger one's closure, so the choice is made among the kept ones.)
  // The closure's owner says which; the item stays with its group's owner.
  std::vector<std::uint32_t> items;  // groups here
  {
    struct met {
      flow_pattern closure;
      std::uint64_t first = 0;  // (template, flow)
    };
    const auto first_of = [](const detail::item_head& h) { return std::uint64_t{h.made_by} << 32 | h.first; };
    std::vector<std::vector<met>> out(ranks);
    std::vector<std::vector<std::uint32_t>> sent(ranks);  // which group each is
    for (const auto g : kept) {
      const auto to = static_cast<std::size_t>(detail::hash_owner(flow_pattern_hash{}(groups[g].closure), size));
      out[to].push_back({groups[g].closure, first_of(groups[g])});
      sent[to].push_back(g);
    }
    const auto in = detail::exchange(std::move(out), comm, t);
    boost::unordered_flat_map<flow_pattern, std::uint64_t, flow_pattern_hash> first;  // closure -> the first group's
    for (const auto& v : in)
      for (const auto& m : v)
        if (const auto [it, fresh] = first.try_emplace(m.closure, m.first); !fresh) it->second = std::min(it->second, m.first);
    std::vector<std::vector<char>> back(ranks);
    for (std::size_t r = 0; r < ranks; ++r)
      for (const auto& m : in[r]) back[r].push_back(first.find(m.closure)->second == m.first ? 1 : 0);
    const auto answers = detail::exchange(std::move(back), comm, t);
    for (std::size_t r = 0; r < ranks; ++r)
      for (std::size_t k = 0; k < sent[r].size(); ++k)
        if (answers[r][k] != 0) items.push_back(sent[r][k]);
  }

  // (3) Numbered after the flows in the order one process makes them: by (template, flow).
  std::uint64_t flows_total = 0;
  {
    std::uint64_t n = n_flows;
    MPI_Allreduce(&n, &flows_total, 1, MPI_UINT64_T, MPI_SUM, comm);
  }
  std::vector<std::uint64_t> keys;
  for (const auto g : items) keys.push_back(std::uint64_t{groups[g].made_by} << 32 | groups[g].first);
  const auto [ids, end] = detail::number_by_keys(keys, flows_total, comm);
  std::vector<std::uint32_t> id_of(groups.size(), UINT32_MAX);
  for (std::size_t j = 0; j < items.size(); ++j) id_of[items[j]] = static_cast<std::uint32_t>(ids[j]);
  const detail::named_sets named = detail::name_sets(counted, id_of, sets, comm, t);  // their rows made with the rests' (one allocation)
  sets = {};

  // The items' flows to their owners: each share's sender is told its group's number, if an item.
  std::vector<detail::made_item> made;
  {
    std::vector<std::vector<std::uint32_t>> back(ranks);
    for (std::size_t r = 0; r < ranks; ++r)
      for (const auto g : group_from[r]) back[r].push_back(id_of[g]);
    const auto told = detail::exchange(std::move(back), comm, t);
    struct listed {
      std::uint32_t id = 0, n = 0;
    };
    using detail::counted_flow;
    std::vector<detail::batch<listed, counted_flow>> out(ranks);
    std::vector<counted_flow> numbers;
    for (std::size_t r = 0; r < ranks; ++r)
      for (std::size_t j = 0; j < head_sent[r].size(); ++j)
        if (told[r][j] != UINT32_MAX) {
          numbers.clear();
          for (const auto i : local_of(mine[head_sent[r][j]])) numbers.push_back({flows.first + i, own.windows[i]});
          out[r].add({told[r][j], 0}, numbers);
        }
    boost::unordered_flat_map<std::uint32_t, std::uint32_t> at;  // item number -> its place in `made`
    for (const auto g : items) {
      at.emplace(id_of[g], static_cast<std::uint32_t>(made.size()));
      made.push_back({id_of[g], groups[g].closure, groups[g].count, {}, {}});
    }
    std::vector<std::vector<counted_flow>> joined(made.size());
    for (const auto& in : detail::exchange_batches(std::move(out), comm, t)) {
      std::size_t k = 0;
      for (const auto& h : in.heads) {
        const auto it = at.find(h.id);
        if (it == at.end()) throw detail::job_stops("expose::mpi::window_items: flows sent for an item this rank does not hold");
        auto& m = joined[it->second];
        m.insert(m.end(), in.flat.begin() + static_cast<std::ptrdiff_t>(k), in.flat.begin() + static_cast<std::ptrdiff_t>(k + h.n));
        k += h.n;
      }
    }
    for (std::size_t j = 0; j < made.size(); ++j) {
      auto& m = joined[j];
      std::sort(m.begin(), m.end());
      m.erase(std::unique(m.begin(), m.end()), m.end());
      for (const auto& f : m) {
        made[j].members.push_back(f.flow);
        made[j].member_counts.push_back(f.count);
      }
    }
  }
  expose::detail::release(mine);
  expose::detail::release(joined_flows);
  expose::detail::release(groups_of);
  std::vector<std::uint32_t> starts;  // every rank's items' smallest flows, ascending (where the rests find the items a flow starts)
  if (lattice.rests) {
    std::vector<std::uint64_t> fronts;
    for (const auto& m : made) fronts.push_back(m.members.front());
    for (const auto f : detail::gather_all(fronts, comm)) starts.push_back(static_cast<std::uint32_t>(f));
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  }
  window_item_share out;
  out.total = end - flows_total;
  std::vector<std::uint32_t> member_counts;  // beside out.members
  detail::append_items(out, std::move(made), &member_counts);
  detail::named_sets rests;
  if (lattice.rests) rests = detail::add_rests(out, member_counts, starts, own, read, runs, samples, lattice.max_rests, keep, end, comm, t);
  if (named.sets() + rests.sets() != 0) {
    out.rows.reserve(named.rows() + rests.rows());
    detail::window_stamps stamps(read);
    detail::make_rows(named, read, stamps, out.rows);
    detail::make_rows(rests, read, stamps, out.rows);
  }
  return out;
}

}  // namespace expose::mpi
