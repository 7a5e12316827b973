#pragma once
// The window items made by their owners across MPI ranks (component expose::mpi), as one process
// makes them (lattice::templates' groups, closures, union windows and rests), with no rank
// holding every flow: docs/scale-out.md, steps 2 and 3.
//
//   auto share = mpi::window_items(my_flows, my_entries, samples, spec.lattice, keep, comm, t);
//
// (0) Every activity entry goes to the rank holding its flow (flows are numbered in rank order:
// each rank holds a run of them), which so has its flows' whole window lists. (1) Each rank groups
// its own flows by every window template (lattice::detail::group_flows), and the ranks' shares of
// a group (one generic pattern; its flows those of every template making it) meet at the owner
// of its pattern: first each share's pattern hash and count of flows, then the shares of groups
// of two flows or more over all ranks (most flows are a group of their own) with their flows,
// closure and windows. The owner joins them; a group of two flows or more that `keep` takes is
// an item. (2) Equal closures cover equal flows: the closure's owner names the group one process
// meets first (the smallest (template, flow)), which is the item and stays with its group's
// owner. (3) The items are
// numbered after the flows by that (template, flow), every rank seeing every item's key. (4) The
// rests (X minus Y where an item X strictly holds a rule-able Y): each item is told, per flow, the
// smaller items that flow starts and the flow's count of windows by the rank holding it; it makes
// its rests as one process does; a rest the same as an item or as a rest one process takes first
// is dropped at the owner of its flows' hash, which asks the flows' ranks for their patterns and
// windows and keeps it when `keep` does; the rests are numbered after the items.
//
// Checked against one process by tests/mpi/window_items.cpp. Not yet used by mine.hpp, which
// still makes every item on ranks 0 and 1: it is slower than one process's window items on the
// 6-hour trace (docs/scale-out.md says by how much and why), and the host-variable items, the
// counting and the test are not yet made by owners.

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <mpi.h>

#include <boost/sort/spreadsort/integer_sort.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/activity.hpp"
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

/// The window items a rank holds once made (those whose closure, or a rest's flows, it owns by
/// hash), by ascending number. Windows are window numbers (spec.window's), not positions.
struct window_item_share {
  std::vector<std::uint32_t> id;  ///< the item's number over every rank (flows first)
  std::vector<flow_pattern> closure;
  std::vector<std::size_t> member_start{0};  ///< item k: members[member_start[k], member_start[k + 1])
  std::vector<std::uint32_t> members;        ///< flow numbers, ascending
  std::vector<std::size_t> window_start{0};  ///< item k: windows[window_start[k], window_start[k + 1])
  std::vector<std::int64_t> windows;         ///< ascending
  std::vector<window_offset> offsets;        ///< beside windows: the earliest of its flows' offsets there
  std::uint64_t total = 0;                   ///< window items over every rank

  [[nodiscard]] std::size_t items() const noexcept { return id.size(); }
  [[nodiscard]] std::span<const std::uint32_t> members_of(std::size_t k) const noexcept {
    return {members.data() + member_start[k], member_start[k + 1] - member_start[k]};
  }
  [[nodiscard]] std::span<const std::int64_t> windows_of(std::size_t k) const noexcept {
    return {windows.data() + window_start[k], window_start[k + 1] - window_start[k]};
  }
  [[nodiscard]] std::span<const window_offset> offsets_of(std::size_t k) const noexcept {
    return {offsets.data() + window_start[k], window_start[k + 1] - window_start[k]};
  }
};

namespace detail {

/// A window and the earliest offset in it (what an activity entry says of a flow or an item).
struct timed_window {
  std::int64_t window = 0;
  window_offset offset = 0;
  friend auto operator<=>(const timed_window&, const timed_window&) = default;
};

/// A rank's place among the runs of flows: which rank holds flow `id`.
class run_owners {
 public:
  run_owners(std::uint32_t first, MPI_Comm comm) {
    int size = 1;
    MPI_Comm_size(comm, &size);
    firsts_.resize(static_cast<std::size_t>(size));
    MPI_Allgather(&first, 1, MPI_UINT32_T, firsts_.data(), 1, MPI_UINT32_T, comm);
  }
  /// The last rank whose run starts at or before `id` (a rank with no flows starts where the next
  /// does); job_stops for an id before rank 0's run (the runs must start at flow 0).
  [[nodiscard]] int of(std::uint32_t id) const {
    if (id < firsts_.front()) throw job_stops("expose::mpi::window_items: flow " + std::to_string(id) + " lies before every rank's run");
    return static_cast<int>(std::upper_bound(firsts_.begin(), firsts_.end(), id) - firsts_.begin()) - 1;
  }

 private:
  std::vector<std::uint32_t> firsts_;
};

/// The rank that owns a hash (mixed again: the low bits alone are not spread), of a pattern or a
/// set of flows.
[[nodiscard]] inline int hash_owner(std::uint64_t h, int size) {
  return static_cast<int>(flow_key_hash::mix(h) % static_cast<std::uint64_t>(size));
}

/// Where one process meets an item first, what it is, and how many flows and windows follow it.
struct item_head {
  flow_pattern closure;
  std::uint32_t first = 0;   // the flow of the (template, flow) where one process makes it (a rest: the item it is a rest of)
  std::uint32_t members = 0;
  std::uint32_t windows = 0;
  std::uint8_t made_by = 0;  // the template's position
  std::uint32_t place = 0;   // a rest: its place among the rests of item `first`
};

/// A rank's share of a group (the flows of one generic pattern): its pattern and, over the
/// rank's flows, what the item it makes would be.
struct group_head {
  flow_pattern key;
  item_head item;
  std::uint32_t members = 0;  // (item_lists keeps the counts here)
  std::uint32_t windows = 0;
};

/// Items or groups on their way between ranks: heads, and each head's flows and windows, flat.
template <class Head>
struct item_lists {
  std::vector<Head> heads;
  std::vector<std::uint32_t> members;
  std::vector<timed_window> windows;

  void add(const Head& h, std::span<const std::uint32_t> m, std::span<const timed_window> w) {
    heads.push_back(h);
    heads.back().members = static_cast<std::uint32_t>(m.size());
    heads.back().windows = static_cast<std::uint32_t>(w.size());
    members.insert(members.end(), m.begin(), m.end());
    windows.insert(windows.end(), w.begin(), w.end());
  }
  /// Where each head's flows and windows start, and one past the last.
  [[nodiscard]] std::pair<std::vector<std::size_t>, std::vector<std::size_t>> starts() const {
    std::vector<std::size_t> m(heads.size() + 1, 0), w(heads.size() + 1, 0);
    for (std::size_t k = 0; k < heads.size(); ++k) {
      m[k + 1] = m[k] + heads[k].members;
      w[k + 1] = w[k] + heads[k].windows;
    }
    return {std::move(m), std::move(w)};
  }
};
using item_batch = item_lists<item_head>;

/// Sends `out[r]` to every rank r; returns what every rank sent this one, joined in rank order.
template <class Head>
[[nodiscard]] item_lists<Head> exchange_lists(std::vector<item_lists<Head>> out, MPI_Comm comm, traffic& t) {
  std::vector<std::vector<Head>> heads;
  std::vector<std::vector<std::uint32_t>> members;
  std::vector<std::vector<timed_window>> windows;
  for (auto& o : out) {
    heads.push_back(std::move(o.heads));
    members.push_back(std::move(o.members));
    windows.push_back(std::move(o.windows));
  }
  out = {};
  item_lists<Head> in;
  const auto join = [](auto&& parts, auto& all) {
    std::size_t n = 0;
    for (const auto& v : parts) n += v.size();
    all.reserve(n);
    for (auto& v : parts) {
      all.insert(all.end(), v.begin(), v.end());
      expose::detail::release(v);
    }
  };
  join(exchange(std::move(heads), comm, t), in.heads);
  join(exchange(std::move(members), comm, t), in.members);
  join(exchange(std::move(windows), comm, t), in.windows);
  return in;
}

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

/// Sorts windows and keeps each once, with its earliest offset (a radix sort of (window, offset)
/// as one number where the windows span less than 2^47: an item of many flows lists millions).
inline void unite(std::vector<timed_window>& w) {
  if (w.size() < 2) return;
  const auto [lo, hi] = std::minmax_element(w.begin(), w.end(), [](const timed_window& a, const timed_window& b) { return a.window < b.window; });
  const std::int64_t base = lo->window;
  if (static_cast<std::uint64_t>(hi->window) - static_cast<std::uint64_t>(base) >= (std::uint64_t{1} << 47)) {
    std::sort(w.begin(), w.end());
  } else {
    static_assert(sizeof(window_offset) == 2);
    std::vector<std::uint64_t> k;
    k.reserve(w.size());
    for (const auto& x : w) k.push_back((static_cast<std::uint64_t>(x.window) - static_cast<std::uint64_t>(base)) << 16 | x.offset);
    boost::sort::spreadsort::integer_sort(k.begin(), k.end());
    for (std::size_t i = 0; i < k.size(); ++i)
      w[i] = {static_cast<std::int64_t>(static_cast<std::uint64_t>(base) + (k[i] >> 16)), static_cast<window_offset>(k[i] & 0xffffU)};
  }
  w.erase(std::unique(w.begin(), w.end(), [](const timed_window& a, const timed_window& b) { return a.window == b.window; }), w.end());
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

/// Items numbered from `from` in the order of their keys (unique over every rank): given the keys
/// of this rank's items, their numbers, and the first number after every rank's items. Every
/// rank receives every key (8 bytes an item: items are few beside flows).
[[nodiscard]] inline std::pair<std::vector<std::uint64_t>, std::uint64_t> number_by_keys(const std::vector<std::uint64_t>& mine,
                                                                                        std::uint64_t from, MPI_Comm comm) {
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
  std::sort(all.begin(), all.end());
  const std::uint64_t end = from + all.size();
  if (end > UINT32_MAX) throw bad_argument("expose::mpi::window_items: more items than 32-bit item ids can number");
  std::vector<std::uint64_t> ids;
  for (const auto k : mine) ids.push_back(from + static_cast<std::uint64_t>(std::lower_bound(all.begin(), all.end(), k) - all.begin()));
  return {std::move(ids), end};
}

/// This rank's run of flows with their windows (each flow's ascending, each once).
struct held_flows {
  const flow_run& run;
  const std::vector<timed_window>& windows;
  const std::vector<std::size_t>& start;  // flow i of the run: windows[start[i], start[i + 1])
  [[nodiscard]] std::uint32_t count(std::uint32_t id) const noexcept {
    return static_cast<std::uint32_t>(start[id - run.first + 1] - start[id - run.first]);
  }
  [[nodiscard]] std::span<const timed_window> windows_of(std::uint32_t i) const noexcept {  // i: in the run
    return {windows.data() + start[i], start[i + 1] - start[i]};
  }
};

/// Appends the items `chosen` (heads of `in`) to `share`, numbered `ids` (beside `chosen`), by
/// ascending number.
inline void append_items(window_item_share& share, const item_batch& in, const std::vector<std::uint32_t>& chosen,
                         const std::vector<std::uint64_t>& ids) {
  const auto [m_at, w_at] = in.starts();
  std::vector<std::uint32_t> order(chosen.size());
  std::iota(order.begin(), order.end(), 0U);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return ids[a] < ids[b]; });
  for (const std::uint32_t j : order) {
    const std::uint32_t k = chosen[j];
    share.id.push_back(static_cast<std::uint32_t>(ids[j]));
    share.closure.push_back(in.heads[k].closure);
    share.members.insert(share.members.end(), in.members.begin() + static_cast<std::ptrdiff_t>(m_at[k]),
                         in.members.begin() + static_cast<std::ptrdiff_t>(m_at[k + 1]));
    share.member_start.push_back(share.members.size());
    for (std::size_t w = w_at[k]; w < w_at[k + 1]; ++w) {
      share.windows.push_back(in.windows[w].window);
      share.offsets.push_back(in.windows[w].offset);
    }
    share.window_start.push_back(share.windows.size());
  }
}

/// The rests (lattice::templates::add_rests) of the window items `share` holds (the groups' items
/// alone), made by the ranks holding their flows and items: appended to `share`, numbered from
/// `from` (the first number after every group's item) as one process numbers them, the rests of
/// an item of lower number first, one item's in the order it takes them.
template <class Keep>
void add_rests(window_item_share& share, const held_flows& held,
               const run_owners& runs, std::uint64_t samples, std::size_t max_rests, const Keep& keep, std::uint64_t from,
               MPI_Comm comm, traffic& t) {
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

  // R2. For every item x and flow f of it, the rank holding f answers with f's count of windows and
  // the items f starts that are smaller than x, with their flows: [id, size, flows...] each.
  struct asked {
    std::uint32_t x = 0, x_size = 0, flow = 0, n = 0;
  };
  struct answer {
    std::uint32_t count = 0, n = 0;
  };
  std::vector<batch<answer, std::uint32_t>> answers;
  {
    std::vector<batch<asked, std::uint32_t>> out(ranks);
    for (std::size_t k = 0; k < n_items; ++k)
      for (const auto f : share.members_of(k))
        out[holder(f)].add({share.id[k], static_cast<std::uint32_t>(share.members_of(k).size()), f, 0}, {});
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
        back[r].add({held.count(q.flow), 0}, ys);
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
    std::vector<std::uint32_t> counts, single(1), rest;
    const lattice::detail::member_set_hash set_hash;
    for (std::size_t k = 0; k < n_items; ++k) {
      const auto xs = share.members_of(k);
      inside.clear();
      counts.clear();
      for (const auto f : xs) {
        const std::size_t r = holder(f);
        const answer& a = answers[r].heads[next_head[r]++];
        counts.push_back(a.count);
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
        candidates[static_cast<std::size_t>(hash_owner(h, size))].add(
            {share.id[k], pos, h, 0}, rest);
      }
    }
  }
  answers = {};

  // R3. Rests and items by their flows' hash: a rest the same as an item, or as a rest one process
  // takes before it, is not one; of the others, the flows' windows and patterns are asked of the
  // ranks holding them (R4).
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

  // R4. The rests' flows' patterns and windows, from the ranks holding the flows.
  struct flow_asked {
    std::uint32_t flow = 0, n = 0;
  };
  struct flow_told {
    flow_pattern pattern;
    std::uint32_t n = 0;
  };
  std::vector<batch<flow_told, timed_window>> told;
  {
    std::vector<batch<flow_asked, std::uint32_t>> out(ranks);
    for (const auto& r : rests)
      for (const auto f : r.flows) out[holder(f)].add({f, 0}, {});
    auto in = exchange_batches(std::move(out), comm, t);
    std::vector<batch<flow_told, timed_window>> back(ranks);
    for (std::size_t r = 0; r < ranks; ++r)
      for (const auto& q : in[r].heads) {
        const std::size_t i = q.flow - held.run.first;
        back[r].add({held.run.patterns[i], 0}, held.windows_of(static_cast<std::uint32_t>(i)));
      }
    told = exchange_batches(std::move(back), comm, t);
  }

  // Each rest's windows (the union of its flows') and closure; a kept one goes to the rank holding
  // its item (R5), which numbers them.
  item_batch kept;
  {
    std::vector<std::size_t> next_head(ranks, 0), next_flat(ranks, 0);  // reading the answers in the order asked
    std::vector<flow_pattern> patterns;
    std::vector<timed_window> windows;
    for (const auto& r : rests) {
      patterns.clear();
      windows.clear();
      for (const auto f : r.flows) {
        const std::size_t from_rank = holder(f);
        const flow_told& h = told[from_rank].heads[next_head[from_rank]++];
        patterns.push_back(h.pattern);
        const timed_window* w = told[from_rank].flat.data() + next_flat[from_rank];
        windows.insert(windows.end(), w, w + h.n);
        next_flat[from_rank] += h.n;
      }
      std::sort(windows.begin(), windows.end());
      windows.erase(std::unique(windows.begin(), windows.end(), [](const auto& a, const auto& b) { return a.window == b.window; }), windows.end());
      if (!keep(static_cast<std::uint64_t>(windows.size()), samples)) continue;
      kept.add({closure_of_patterns(patterns), r.head.x, 0, 0, 0, r.head.pos}, r.flows, windows);
    }
  }
  told = {};
  rests = {};
  cand_in = {};
  std::vector<std::uint64_t> keys;  // (item, place): the order one process makes them in
  for (const auto& h : kept.heads) keys.push_back(std::uint64_t{h.first} << 32 | h.place);
  const auto [ids, end] = number_by_keys(keys, from, comm);
  share.total += end - from;
  std::vector<std::uint32_t> all(kept.heads.size());
  std::iota(all.begin(), all.end(), 0U);
  append_items(share, kept, all, ids);
}

}  // namespace detail

/// The window items of `lattice` (a lattice::templates: every template that binds no host
/// variable, and the rests as its `rests` and `max_rests` say), made by their owners over the
/// ranks of `comm` (a collective: every rank calls it). `flows`: this rank's run of flows (runs in
/// rank order, each after the one before); `entries`: activity of any flows (window, flow number,
/// offset), in any order, each rank its own (a flow active in several ranks' windows has entries
/// on each); `samples`: N, every window of the trace; `keep(count, samples)`: whether an item seen
/// in `count` windows is kept (the lattice's). The items are those lattice.generalize_windows
/// makes of the same flows, numbered alike (from the count of flows), with the same flows,
/// windows and offsets. A failure that leaves ranks out of step (an entry naming no rank's flow)
/// is detail::job_stops.
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
  const detail::run_owners runs(flows.first, comm);
  const auto n_flows = static_cast<std::uint32_t>(flows.patterns.size());

  // (0) Every flow's windows to the rank holding the flow: then by flow, window, offset.
  {
    std::vector<std::vector<timed_entry>> out(ranks);
    for (const auto& e : entries) out[static_cast<std::size_t>(runs.of(e.item))].push_back(e);
    expose::detail::release(entries);
    for (auto& v : detail::exchange(std::move(out), comm, t)) entries.insert(entries.end(), v.begin(), v.end());
  }
  // By flow (a counting sort), then each flow's few windows in order, each once with its
  // earliest offset (they came from several ranks).
  using detail::timed_window;
  std::vector<std::size_t> flow_start(std::size_t{n_flows} + 1, 0);
  for (const auto& e : entries) {
    if (e.item < flows.first || e.item - flows.first >= n_flows)
      throw detail::job_stops("expose::mpi::window_items: an activity entry names a flow no rank holds");
    ++flow_start[e.item - flows.first + 1];
  }
  std::partial_sum(flow_start.begin(), flow_start.end(), flow_start.begin());
  std::vector<timed_window> flow_windows(entries.size());
  {
    std::vector<std::size_t> fill(flow_start.begin(), flow_start.end() - 1);
    for (const auto& e : entries) flow_windows[fill[e.item - flows.first]++] = {e.window, e.offset};
    expose::detail::release(entries);
    std::size_t kept = 0;
    for (std::uint32_t i = 0; i < n_flows; ++i) {
      const auto b = flow_windows.begin() + static_cast<std::ptrdiff_t>(flow_start[i]);
      const auto e = flow_windows.begin() + static_cast<std::ptrdiff_t>(flow_start[i + 1]);
      std::sort(b, e);
      const auto u = std::unique(b, e, [](const timed_window& x, const timed_window& y) { return x.window == y.window; });
      flow_start[i] = kept;
      kept = static_cast<std::size_t>(std::copy(b, u, flow_windows.begin() + static_cast<std::ptrdiff_t>(kept)) - flow_windows.begin());
    }
    flow_start[n_flows] = kept;
    flow_windows.resize(kept);
  }
  const detail::held_flows held{flows, flow_windows, flow_start};

  // (1) Each rank groups its own flows by every window template (lattice::detail::group_flows,
  // template by template), and the ranks' shares of a group (the flows of one generic pattern,
  // of every template making it) meet at the owner of its pattern. First each share's hash and
  // count of flows go, then the shares of the groups that may make an item (two flows or more
  // over all ranks: most flows are a group of their own), with their flows, closure and windows.
  // Where one process meets a group first is its smallest (template, flow): a share's first.
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
  std::vector<char> wanted(shares.size(), 0);  // the shares of groups of two flows or more
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
  std::vector<detail::item_lists<detail::group_head>> parts_out(ranks);
  {
    std::vector<std::uint32_t> members;
    std::vector<timed_window> windows;
    for (std::size_t k = 0; k < shares.size(); ++k) {
      if (wanted[k] == 0) continue;
      const share& s = shares[k];
      const auto local = groups_of[s.made_by][s.group];
      detail::group_head h;
      h.key = lattice::detail::apply(masks[s.made_by], flows.patterns[local.front()]);
      h.item.closure = local.size() == 1 ? flows.patterns[local.front()] : lattice::detail::closure_of(flows.patterns, local);
      h.item.first = flows.first + local.front();
      h.item.made_by = s.made_by;
      members.clear();
      windows.clear();
      for (const std::uint32_t i : local) {
        members.push_back(flows.first + i);
        const auto w = held.windows_of(i);
        windows.insert(windows.end(), w.begin(), w.end());
      }
      if (members.size() > 1) detail::unite(windows);
      parts_out[owner_of_hash(s.hash)].add(h, members, windows);
    }
  }
  expose::detail::release(groups_of);
  expose::detail::release(shares);
  expose::detail::release(wanted);

  // The groups, of their shares: each kept one an item (a group of one share as it came).
  detail::item_batch kept;
  {
    const auto in = detail::exchange_lists(std::move(parts_out), comm, t);
    const auto [m_at, w_at] = in.starts();
    boost::unordered_flat_map<flow_pattern, std::uint32_t, flow_pattern_hash> first_share;  // pattern -> its first share
    std::vector<std::uint32_t> next_share(in.heads.size(), UINT32_MAX);                    // the group's next share
    std::vector<std::uint32_t> last_share(in.heads.size(), UINT32_MAX);
    std::vector<std::uint32_t> group_firsts;
    for (std::uint32_t k = 0; k < in.heads.size(); ++k) {
      const auto [it, fresh] = first_share.try_emplace(in.heads[k].key, k);
      if (fresh) {
        group_firsts.push_back(k);
        last_share[k] = k;
      } else {
        next_share[last_share[it->second]] = k;
        last_share[it->second] = k;
      }
    }
    expose::detail::release(first_share);
    const auto members_of = [&](std::uint32_t k) { return std::span<const std::uint32_t>(in.members).subspan(m_at[k], in.heads[k].members); };
    const auto windows_of = [&](std::uint32_t k) { return std::span<const timed_window>(in.windows).subspan(w_at[k], in.heads[k].windows); };
    std::vector<std::uint32_t> members;
    std::vector<timed_window> windows;
    for (const std::uint32_t k0 : group_firsts) {
      detail::item_head item = in.heads[k0].item;
      if (next_share[k0] == UINT32_MAX) {  // one share: as it came
        if (in.heads[k0].members >= 2 && keep(static_cast<std::uint64_t>(in.heads[k0].windows), samples)) kept.add(item, members_of(k0), windows_of(k0));
        continue;
      }
      members.clear();
      windows.clear();
      for (std::uint32_t k = k0; k != UINT32_MAX; k = next_share[k]) {
        const auto& h = in.heads[k];
        detail::widen(item.closure, h.item.closure);
        if (std::tie(h.item.made_by, h.item.first) < std::tie(item.made_by, item.first)) std::tie(item.made_by, item.first) = std::tie(h.item.made_by, h.item.first);
        const auto m = members_of(k);
        const auto w = windows_of(k);
        members.insert(members.end(), m.begin(), m.end());
        windows.insert(windows.end(), w.begin(), w.end());
      }
      // a flow of two templates making the group is one flow
      std::sort(members.begin(), members.end());
      members.erase(std::unique(members.begin(), members.end()), members.end());
      detail::unite(windows);
      if (members.size() < 2) continue;  // the flow itself (one process leaves out groups of one flow)
      if (!keep(static_cast<std::uint64_t>(windows.size()), samples)) continue;
      kept.add(item, members, windows);
    }
  }

  // (2) Equal closures cover equal flows: of the groups with one closure, the one one process
  // meets first (the smallest (template, flow)) is the item. The closure's owner says which; the
  // item stays with its group's owner.
  std::vector<std::uint32_t> items;  // heads of `kept`
  {
    struct met {
      flow_pattern closure;
      std::uint64_t first = 0;  // (template, flow)
    };
    const auto first_of = [](const detail::item_head& h) { return std::uint64_t{h.made_by} << 32 | h.first; };
    std::vector<std::vector<met>> out(ranks);
    std::vector<std::vector<std::uint32_t>> sent(ranks);  // which head each is
    for (std::uint32_t k = 0; k < kept.heads.size(); ++k) {
      const auto to = static_cast<std::size_t>(detail::hash_owner(flow_pattern_hash{}(kept.heads[k].closure), size));
      out[to].push_back({kept.heads[k].closure, first_of(kept.heads[k])});
      sent[to].push_back(k);
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
  for (const auto k : items) keys.push_back(std::uint64_t{kept.heads[k].made_by} << 32 | kept.heads[k].first);
  const auto [ids, end] = detail::number_by_keys(keys, flows_total, comm);
  window_item_share out;
  out.total = end - flows_total;
  detail::append_items(out, kept, items, ids);
  kept = {};
  if (lattice.rests) detail::add_rests(out, held, runs, samples, lattice.max_rests, keep, end, comm, t);
  return out;
}

}  // namespace expose::mpi
