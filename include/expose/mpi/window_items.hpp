#pragma once
// The window items made by their owners across MPI ranks (component expose::mpi), as one process
// makes them (lattice::templates' groups, closures and union windows), with no rank holding every
// flow: docs/scale-out.md, steps 2 and 3.
//
//   auto share = mpi::window_items(my_flows, my_entries, samples, lattice.masks, keep, comm, t);
//
// Four all-to-all exchanges. (0) Every activity entry goes to the rank that holds its flow (flows
// are numbered in rank order: each rank holds a run of them), which so has its flows' whole
// window lists. (1) For every window template and flow, the flow's pattern and windows go to the
// owner of its generic pattern (by hash), which makes the groups: a group is one generic pattern,
// its flows those of every template making it; it is left out with fewer than two flows, and
// otherwise gives its closure, its windows (the union of its flows') and whether `keep` takes it.
// (2) A kept group goes to the owner of its closure: equal closures cover equal flows, and the
// one item they make is placed where one process meets it first, by the smallest (template, flow)
// of the groups making it. (3) The items go to the rank holding that flow, which numbers them,
// template by template in flow order, after the flows (a prefix sum over ranks and templates).
//
// Not yet: the rests (X minus Y where a generic X strictly holds a rule-able Y: they need, per
// flow, the groups holding it) and the host-variable items; mine.hpp still makes every item on
// ranks 0 and 1. tests/mpi/window_items.cpp compares what this makes with one process's items.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <tuple>
#include <vector>

#include <mpi.h>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/activity.hpp"
#include "expose/detail/release.hpp"
#include "expose/flow_key.hpp"
#include "expose/lattice/mask.hpp"
#include "expose/lattice/templates.hpp"
#include "expose/mpi/messages.hpp"

namespace expose::mpi {

/// A rank's run of flows: numbers [first, first + patterns.size()) over every rank, their patterns.
struct flow_run {
  std::uint32_t first = 0;
  std::vector<flow_pattern> patterns;
};

/// The window items a rank holds once made: those whose first (template, flow) lies in its run of
/// flows, by ascending number. Windows are window numbers (spec.window's), not positions.
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
  /// The last rank whose run starts at or before `id` (a rank with no flows starts where the next does).
  [[nodiscard]] int of(std::uint32_t id) const {
    return static_cast<int>(std::upper_bound(firsts_.begin(), firsts_.end(), id) - firsts_.begin()) - 1;
  }

 private:
  std::vector<std::uint32_t> firsts_;
};

/// The rank that owns a pattern (by its hash, mixed again: the low bits alone are not spread).
[[nodiscard]] inline int pattern_owner(const flow_pattern& p, int size) {
  return static_cast<int>(flow_key_hash::mix(flow_pattern_hash{}(p)) % static_cast<std::uint64_t>(size));
}

/// The closure of some flows (not empty), their patterns in flow order: the first flow's pattern
/// with `*` in each field it keeps and another flow changes (in value, or by not keeping it), the
/// values of fields not kept zeroed (lattice::detail::closure_of, over patterns at hand).
[[nodiscard]] inline flow_pattern closure_of_patterns(std::span<const flow_pattern> flows) {
  flow_pattern c = flows.front();
  for (std::size_t i = 0; i < field_count; ++i) {
    const auto f = static_cast<field>(i);
    if (c.at(f) != slot::kept) continue;
    const bool changes = std::any_of(flows.begin() + 1, flows.end(), [&](const flow_pattern& p) {
      if (p.at(f) != slot::kept) return true;
      switch (f) {
        case field::src_ip: return p.key.src != c.key.src;
        case field::src_port: return p.key.sport != c.key.sport;
        case field::dst_ip: return p.key.dst != c.key.dst;
        case field::dst_port: return p.key.dport != c.key.dport;
        case field::proto: return p.key.proto != c.key.proto;
      }
      return false;
    });
    if (changes) c.set(f, slot::any);
  }
  return c;
}

/// Items on their way between owners: each with its closure, where one process meets it first
/// (template, flow), its flows and its windows.
struct item_batch {
  struct head {
    flow_pattern closure;
    std::uint32_t first = 0;  // the flow of the (template, flow) where one process makes it
    std::uint32_t members = 0;
    std::uint32_t windows = 0;
    std::uint8_t made_by = 0;  // the template's position
  };
  std::vector<head> heads;
  std::vector<std::uint32_t> members;
  std::vector<timed_window> windows;

  void add(const head& h, std::span<const std::uint32_t> m, std::span<const timed_window> w) {
    heads.push_back(h);
    heads.back().members = static_cast<std::uint32_t>(m.size());
    heads.back().windows = static_cast<std::uint32_t>(w.size());
    members.insert(members.end(), m.begin(), m.end());
    windows.insert(windows.end(), w.begin(), w.end());
  }
};

/// Sends every item of `out` to `to(head)`; returns what every rank sent this one, in rank order.
template <class To>
[[nodiscard]] item_batch send_items(const item_batch& out, const To& to, MPI_Comm comm, traffic& t) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  const auto ranks = static_cast<std::size_t>(size);
  std::vector<std::vector<item_batch::head>> heads(ranks);
  std::vector<std::vector<std::uint32_t>> members(ranks);
  std::vector<std::vector<timed_window>> windows(ranks);
  std::size_t m = 0, w = 0;
  for (const auto& h : out.heads) {
    const auto r = static_cast<std::size_t>(to(h));
    heads[r].push_back(h);
    members[r].insert(members[r].end(), out.members.begin() + static_cast<std::ptrdiff_t>(m),
                      out.members.begin() + static_cast<std::ptrdiff_t>(m + h.members));
    windows[r].insert(windows[r].end(), out.windows.begin() + static_cast<std::ptrdiff_t>(w),
                      out.windows.begin() + static_cast<std::ptrdiff_t>(w + h.windows));
    m += h.members;
    w += h.windows;
  }
  item_batch in;
  for (auto& v : exchange(std::move(heads), comm, t)) in.heads.insert(in.heads.end(), v.begin(), v.end());
  for (auto& v : exchange(std::move(members), comm, t)) in.members.insert(in.members.end(), v.begin(), v.end());
  for (auto& v : exchange(std::move(windows), comm, t)) in.windows.insert(in.windows.end(), v.begin(), v.end());
  return in;
}

}  // namespace detail

/// The window items of every template of `masks` that binds no host variable, made by their
/// owners over the ranks of `comm` (a collective: every rank calls it). `flows`: this rank's run
/// of flows (runs in rank order, each after the one before); `entries`: activity of any flows
/// (window, flow number, offset), in any order, each rank its own (a flow active in several ranks'
/// windows has entries on each); `samples`: N, every window of the trace; `keep(count, samples)`:
/// whether an item seen in `count` windows is kept (the lattice's). The items are those
/// lattice::templates<...>{.rests = false}::generalize_windows makes of the same flows, numbered
/// alike (from the count of flows), with the same flows and windows.
template <std::size_t M, class Keep>
[[nodiscard]] window_item_share window_items(const flow_run& flows, std::vector<timed_entry> entries, std::uint64_t samples,
                                             const std::array<lattice::mask, M>& masks, const Keep& keep, MPI_Comm comm, traffic& t) {
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
  std::sort(entries.begin(), entries.end(), [](const timed_entry& a, const timed_entry& b) {
    return std::tie(a.item, a.window, a.offset) < std::tie(b.item, b.window, b.offset);
  });
  // a flow is in a window once, with its earliest offset there
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const timed_entry& a, const timed_entry& b) { return a.item == b.item && a.window == b.window; }),
                entries.end());
  std::vector<std::size_t> flow_start(std::size_t{n_flows} + 1, 0);
  for (const auto& e : entries) {
    if (e.item < flows.first || e.item - flows.first >= n_flows)
      throw detail::job_stops("expose::mpi::window_items: an activity entry names a flow no rank holds");
    ++flow_start[e.item - flows.first + 1];
  }
  std::partial_sum(flow_start.begin(), flow_start.end(), flow_start.begin());

  // (1) Every (template, flow) to the owner of its generic pattern, with the flow's pattern and windows.
  struct membership {
    flow_pattern flow;
    std::uint32_t id = 0;
    std::uint32_t windows = 0;
    std::uint8_t made_by = 0;
  };
  std::vector<membership> taken;
  std::vector<detail::timed_window> taken_windows;
  {
    std::vector<std::vector<membership>> out(ranks);
    std::vector<std::vector<detail::timed_window>> out_windows(ranks);
    for (std::size_t m = 0; m < M; ++m) {
      if (masks[m].vars() != 0) continue;
      for (std::uint32_t i = 0; i < n_flows; ++i) {
        const flow_pattern& p = flows.patterns[i];
        const auto to = static_cast<std::size_t>(detail::pattern_owner(lattice::detail::apply(masks[m], p), size));
        out[to].push_back({p, flows.first + i, static_cast<std::uint32_t>(flow_start[i + 1] - flow_start[i]), static_cast<std::uint8_t>(m)});
        for (std::size_t k = flow_start[i]; k < flow_start[i + 1]; ++k) out_windows[to].push_back({entries[k].window, entries[k].offset});
      }
    }
    expose::detail::release(entries);
    for (auto& v : detail::exchange(std::move(out), comm, t)) taken.insert(taken.end(), v.begin(), v.end());
    for (auto& v : detail::exchange(std::move(out_windows), comm, t)) taken_windows.insert(taken_windows.end(), v.begin(), v.end());
  }

  // The groups: memberships by generic pattern, each group's first (template, flow).
  detail::item_batch kept;
  {
    std::vector<std::size_t> window_at(taken.size() + 1, 0);
    for (std::size_t k = 0; k < taken.size(); ++k) window_at[k + 1] = window_at[k] + taken[k].windows;
    boost::unordered_flat_map<flow_pattern, std::uint32_t, flow_pattern_hash> group_of;
    std::vector<std::vector<std::uint32_t>> group_memberships;
    for (std::uint32_t k = 0; k < taken.size(); ++k) {
      const auto [it, fresh] = group_of.try_emplace(lattice::detail::apply(masks[taken[k].made_by], taken[k].flow),
                                                    static_cast<std::uint32_t>(group_memberships.size()));
      if (fresh) group_memberships.emplace_back();
      group_memberships[it->second].push_back(k);
    }
    expose::detail::release(group_of);
    std::vector<std::uint32_t> members;
    std::vector<flow_pattern> patterns;
    std::vector<detail::timed_window> windows;
    for (auto& g : group_memberships) {
      if (g.size() < 2) continue;  // one process leaves out groups of fewer than two flows (before a flow twice is taken once)
      std::sort(g.begin(), g.end(), [&](std::uint32_t a, std::uint32_t b) { return taken[a].id < taken[b].id; });
      members.clear();
      patterns.clear();
      windows.clear();
      std::uint8_t made_by = 0;
      std::uint32_t first = 0;
      for (std::size_t j = 0; j < g.size(); ++j) {
        const membership& m = taken[g[j]];
        if (j == 0 || std::tie(m.made_by, m.id) < std::tie(made_by, first)) std::tie(made_by, first) = std::tie(m.made_by, m.id);
        if (!members.empty() && members.back() == m.id) continue;
        members.push_back(m.id);
        patterns.push_back(m.flow);
        windows.insert(windows.end(), taken_windows.begin() + static_cast<std::ptrdiff_t>(window_at[g[j]]),
                       taken_windows.begin() + static_cast<std::ptrdiff_t>(window_at[g[j] + 1]));
      }
      if (members.size() < 2) continue;  // the flow itself
      std::sort(windows.begin(), windows.end());
      windows.erase(std::unique(windows.begin(), windows.end(), [](const auto& a, const auto& b) { return a.window == b.window; }),
                    windows.end());
      if (!keep(static_cast<std::uint64_t>(windows.size()), samples)) continue;
      kept.add({detail::closure_of_patterns(patterns), first, 0, 0, made_by}, members, windows);
    }
  }
  expose::detail::release(taken);
  expose::detail::release(taken_windows);

  // (2) To the closure's owner: of the groups with one closure, the one one process meets first.
  detail::item_batch unique;
  {
    const detail::item_batch in = detail::send_items(kept, [&](const auto& h) { return detail::pattern_owner(h.closure, size); }, comm, t);
    kept = {};
    boost::unordered_flat_map<flow_pattern, std::uint32_t, flow_pattern_hash> first_of;  // closure -> its first head
    for (std::uint32_t k = 0; k < in.heads.size(); ++k) {
      const auto& h = in.heads[k];
      const auto [it, fresh] = first_of.try_emplace(h.closure, k);
      if (!fresh && std::tie(h.made_by, h.first) < std::tie(in.heads[it->second].made_by, in.heads[it->second].first)) it->second = k;
    }
    std::vector<std::size_t> m_at(in.heads.size() + 1, 0), w_at(in.heads.size() + 1, 0);
    for (std::size_t k = 0; k < in.heads.size(); ++k) {
      m_at[k + 1] = m_at[k] + in.heads[k].members;
      w_at[k + 1] = w_at[k] + in.heads[k].windows;
    }
    for (std::uint32_t k = 0; k < in.heads.size(); ++k)
      if (first_of.find(in.heads[k].closure)->second == k)
        unique.add(in.heads[k], std::span<const std::uint32_t>(in.members).subspan(m_at[k], in.heads[k].members),
                   std::span<const detail::timed_window>(in.windows).subspan(w_at[k], in.heads[k].windows));
  }

  // (3) To the rank holding the item's first flow, which numbers its items template by template,
  // in flow order, after every rank's before it of the same template and every item of the
  // templates before.
  const detail::item_batch here = detail::send_items(unique, [&](const auto& h) { return runs.of(h.first); }, comm, t);
  unique = {};
  std::vector<std::uint32_t> order(here.heads.size());
  std::iota(order.begin(), order.end(), 0U);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::tie(here.heads[a].made_by, here.heads[a].first) < std::tie(here.heads[b].made_by, here.heads[b].first);
  });
  std::vector<std::uint64_t> counts(ranks * M, 0);  // [rank][template]
  {
    std::vector<std::uint64_t> mine(M, 0);
    for (const auto& h : here.heads) ++mine[h.made_by];
    MPI_Allgather(mine.data(), static_cast<int>(M), MPI_UINT64_T, counts.data(), static_cast<int>(M), MPI_UINT64_T, comm);
  }
  std::uint64_t flows_total = 0;
  {
    std::uint64_t n = n_flows;
    MPI_Allreduce(&n, &flows_total, 1, MPI_UINT64_T, MPI_SUM, comm);
  }
  std::vector<std::uint64_t> next(M, 0);  // per template, the number of this rank's first item of it
  std::uint64_t at = flows_total;
  for (std::size_t m = 0; m < M; ++m)
    for (std::size_t r = 0; r < ranks; ++r) {
      if (r == static_cast<std::size_t>(rank)) next[m] = at;
      at += counts[r * M + m];
    }
  if (at > UINT32_MAX) throw bad_argument("expose::mpi::window_items: more items than 32-bit item ids can number");
  window_item_share out;
  out.total = at - flows_total;
  std::vector<std::size_t> m_at(here.heads.size() + 1, 0), w_at(here.heads.size() + 1, 0);
  for (std::size_t k = 0; k < here.heads.size(); ++k) {
    m_at[k + 1] = m_at[k] + here.heads[k].members;
    w_at[k + 1] = w_at[k] + here.heads[k].windows;
  }
  for (const std::uint32_t k : order) {
    const auto& h = here.heads[k];
    out.id.push_back(static_cast<std::uint32_t>(next[h.made_by]++));
    out.closure.push_back(h.closure);
    out.members.insert(out.members.end(), here.members.begin() + static_cast<std::ptrdiff_t>(m_at[k]),
                       here.members.begin() + static_cast<std::ptrdiff_t>(m_at[k + 1]));
    out.member_start.push_back(out.members.size());
    for (std::size_t w = w_at[k]; w < w_at[k + 1]; ++w) {
      out.windows.push_back(here.windows[w].window);
      out.offsets.push_back(here.windows[w].offset);
    }
    out.window_start.push_back(out.windows.size());
  }
  return out;
}

}  // namespace expose::mpi
