#pragma once
// When, not only whether: the delay from a rule's left side to its right side, from the rule's own
// evidence. Every activity entry keeps when in its window the item first sent a packet (2 bytes,
// activity.hpp); a generic item's is the first of its flows'. Over the samples where both sides
// are active the delay is the right side's first packet minus the left side's, and the rule gets
// its median and quartiles (`delay`, positive when the right side follows) and which side leads:
//
//   lhs       the right side follows in at least three quarters of the samples (p25 > 0)
//   rhs       the left side follows in at least three quarters of them (p75 < 0)
//   together  neither (both orders are common, or the delays are below the offsets' resolution)
//
// A `<=>` rule whose right side leads is turned round, so that the side that leads is written on
// the left (its counts turned with it; its score stays the higher direction's, as it is ranked). Under lagged windows a left side's window also
// counts the right side's first activity up to `lag` windows later (the first at or after the
// left side's first packet). A host-variable rule's delays are taken within each host's own pair
// (the host's flows of the left side against its flows of the right, in the same window) and
// pooled over the hosts. The resolution is a 65536th of a window (15 µs in windows of 1 s); a
// delay longer than a window is seen only under lagged windows.
//
//   time_rules(rules, space, window_seconds);   // finish_rules does it for every run

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "expose/activity.hpp"
#include "expose/address.hpp"
#include "expose/detail/release.hpp"
#include "expose/flow_key.hpp"
#include "expose/item_space.hpp"
#include "expose/rule.hpp"

namespace expose {

namespace detail {

/// The median and quartiles of delays in offset units, in milliseconds. `d` is reordered: only
/// the six ranks the quartiles read are put where sorting would put them (std::nth_element on what
/// lies past the rank before: linear, where sorting every delay took 0.05 s of the 0.16 s the
/// 6-hour trace's host rules' delays took, 341 k of them for the busiest rule).
[[nodiscard]] inline delay_summary summarize_delays(std::vector<std::int64_t>& d, double ms_per_unit) {
  delay_summary out;
  out.samples = d.size();
  if (d.empty()) return out;
  // The quantile between ranks, as R's type 7 (numpy's default).
  const auto rank_of = [&](double q) { return static_cast<std::size_t>(std::floor(q * static_cast<double>(d.size() - 1))); };
  std::array<std::size_t, 6> ranks{};
  std::size_t k = 0;
  for (const double q : {0.25, 0.5, 0.75}) {
    ranks[k++] = rank_of(q);
    ranks[k++] = std::min(rank_of(q) + 1, d.size() - 1);
  }
  std::sort(ranks.begin(), ranks.end());
  auto placed = d.begin();  // every rank before it holds its sorted value; those after it are larger or equal
  for (const auto r : ranks) {
    const auto pos = d.begin() + static_cast<std::ptrdiff_t>(r);
    if (pos < placed) continue;  // placed already
    if (pos == placed) std::iter_swap(pos, std::min_element(pos, d.end()));
    else std::nth_element(placed, pos, d.end());
    placed = pos + 1;
  }
  const auto at = [&](double q) {
    const double h = q * static_cast<double>(d.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const auto hi = std::min(lo + 1, d.size() - 1);
    const double v = static_cast<double>(d[lo]) + (h - static_cast<double>(lo)) * static_cast<double>(d[hi] - d[lo]);
    return v * ms_per_unit;
  };
  out.median_ms = at(0.5);
  out.p25_ms = at(0.25);
  out.p75_ms = at(0.75);
  return out;
}

/// Delays between two window items, in offset units (offsets_per_window a window): per window of `x`, to the
/// first activity of `y` at or after it within `lag` windows, else (lag 0, or none later) to `y`
/// in the same window before it.
[[nodiscard]] inline std::vector<std::int64_t> window_delays(const activity& a, std::uint32_t x, std::uint32_t y, std::uint32_t lag) {
  std::vector<std::int64_t> d;
  const auto wx = a.windows_of(x), wy = a.windows_of(y);
  const auto ox = a.offsets_of(x), oy = a.offsets_of(y);
  if (ox.empty() || oy.empty()) return d;
  d.reserve(wx.size());  // at most one a window of x: made once, not grown (a copy at each doubling)
  std::size_t j = 0;
  for (std::size_t i = 0; i < wx.size(); ++i) {
    const std::int64_t w = a.windows[wx[i]];
    while (j < wy.size() && a.windows[wy[j]] < w) ++j;
    if (j == wy.size()) break;
    std::size_t k = j;
    if (a.windows[wy[k]] == w && oy[k] >= ox[i]) {
      d.push_back(static_cast<std::int64_t>(oy[k]) - ox[i]);
      continue;
    }
    const bool same = a.windows[wy[k]] == w;
    if (same) ++k;  // y in w, but before x: a later y, if lag allows
    if (lag > 0 && k < wy.size() && a.windows[wy[k]] <= w + lag) {
      d.push_back((a.windows[wy[k]] - w) * offsets_per_window + oy[k] - ox[i]);
      continue;
    }
    if (same) d.push_back(static_cast<std::int64_t>(oy[j]) - ox[i]);
  }
  return d;
}

/// The hosts the delays of host items meet, numbered as first met, by the space's address keys
/// (pattern_list::address_key: no address made whole; 4 bytes an entry where an address takes
/// 16; the numbers only pair hosts up, they are never shown).
using host_numbers = boost::unordered_flat_map<std::uint64_t, std::uint32_t>;

/// A host-variable item's activity keyed by (window position, host number), with the first offset
/// of its flows there: the windows where it is active (ascending), and in each its hosts with
/// their first offsets, one 8-byte word an entry (host << 16 | offset), ascending.
struct host_offsets {
  std::vector<std::uint32_t> windows;  ///< positions in the space's windows, ascending
  std::vector<std::size_t> end;        ///< windows[i]'s entries end at end[i] (and begin where windows[i - 1]'s end)
  std::vector<std::uint64_t> entries;

  [[nodiscard]] static std::uint64_t pack(std::uint32_t host, window_offset offset) noexcept {
    return std::uint64_t{host} << 16 | offset;
  }
  [[nodiscard]] static std::uint32_t host(std::uint64_t e) noexcept { return static_cast<std::uint32_t>(e >> 16); }
  [[nodiscard]] static window_offset offset(std::uint64_t e) noexcept { return static_cast<window_offset>(e & 0xffff); }
};

/// Its flows' windows are counted per window first; the flows are then read once, in order (each
/// flow's host numbered, the patterns asked for some flows ahead), and each of their (window,
/// offset) entries written as host << 16 | offset straight to its window's place (a counting sort:
/// 8 bytes an entry held, where reading them into a list first held 20); each window's few are
/// sorted by host and offset and kept once a host: the work is the item's own entries, however
/// busy the windows are. (Reading every flow three times, as the placing by window did before,
/// took 0.10 s for the six host rules of the 6-hour trace, whose items hold 400 k flows each.)
[[nodiscard]] inline host_offsets offsets_by_host(const item_space& space, std::uint32_t item, host_numbers& numbers) {
  host_offsets out;
  const activity& a = space.windows;
  if (!a.timed()) return out;
  const flow_pattern p = space.items[item];
  const field bound = p.at(field::src_ip) == slot::var ? field::src_ip : field::dst_ip;
  const auto members = space.members(item);
  std::size_t hint = members.size();  // a host item's samples: one entry each, once a host is kept
  if (const auto column = item - static_cast<std::uint32_t>(space.window_items()); item >= space.window_items() && column < space.hosts.items())
    hint = space.hosts.count(column);
  std::vector<std::size_t> at(a.windows.size() + 1, 0);  // where each window's entries go
  for (const auto f : members)
    for (const auto w : a.windows_of(f)) ++at[w + 1];  // counted first: the entries go straight to their place
  for (std::size_t w = 1; w < at.size(); ++w) at[w] += at[w - 1];
  std::vector<std::uint64_t> placed(at.back());
  constexpr std::size_t ahead = 16;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i + ahead < members.size()) space.items.prefetch(members[i + ahead]);
    const auto f = members[i];
    const auto number = numbers.try_emplace(space.items.address_key(f, bound), static_cast<std::uint32_t>(numbers.size())).first->second;
    const auto ws = a.windows_of(f);
    const auto os = a.offsets_of(f);
    for (std::size_t k = 0; k < ws.size(); ++k) placed[at[ws[k]]++] = host_offsets::pack(number, os[k]);
  }
  // `at[w]` is now where window w's entries end
  out.entries.reserve(hint);
  for (std::size_t w = 0, from = 0; w + 1 < at.size(); from = at[w++]) {
    if (at[w] == from) continue;
    const auto b = placed.begin() + static_cast<std::ptrdiff_t>(from), e = placed.begin() + static_cast<std::ptrdiff_t>(at[w]);
    std::sort(b, e);  // by host, then offset: a host's first is its earliest
    for (auto i = b; i != e; ++i)
      if (i == b || host_offsets::host(*i) != host_offsets::host(*(i - 1))) out.entries.push_back(*i);
    out.windows.push_back(static_cast<std::uint32_t>(w));
    out.end.push_back(out.entries.size());
  }
  return out;
}

/// The delays of two host items within each host's own pair, and how many hosts gave any.
[[nodiscard]] inline std::vector<std::int64_t> host_delays(const host_offsets& x, const host_offsets& y, std::uint64_t& hosts) {
  std::vector<std::int64_t> d;
  // at most one a pair of entries: made once, not grown (the two items of a host rule are held
  // meanwhile, and a doubling would hold half as much again as the delays)
  d.reserve(std::min(x.entries.size(), y.entries.size()));
  boost::unordered_flat_set<std::uint32_t> seen;
  for (std::size_t wi = 0, wj = 0; wi < x.windows.size() && wj < y.windows.size();) {
    if (x.windows[wi] < y.windows[wj]) ++wi;
    else if (y.windows[wj] < x.windows[wi]) ++wj;
    else {
      std::size_t i = wi == 0 ? 0 : x.end[wi - 1], j = wj == 0 ? 0 : y.end[wj - 1];
      while (i < x.end[wi] && j < y.end[wj]) {
        const auto hx = host_offsets::host(x.entries[i]), hy = host_offsets::host(y.entries[j]);
        if (hx < hy) ++i;
        else if (hy < hx) ++j;
        else {
          d.push_back(static_cast<std::int64_t>(host_offsets::offset(y.entries[j])) - host_offsets::offset(x.entries[i]));
          seen.insert(hx);
          ++i;
          ++j;
        }
      }
      ++wi;
      ++wj;
    }
  }
  hosts = seen.size();
  return d;
}

}  // namespace detail

/// Which side leads, by the quartiles of its delays.
[[nodiscard]] inline rule_leads leads_of(const delay_summary& d) {
  if (d.samples == 0) return rule_leads::together;
  if (d.p25_ms > 0) return rule_leads::lhs;
  if (d.p75_ms < 0) return rule_leads::rhs;
  return rule_leads::together;
}

/// Delays measured apart for some host-variable rules (on another rank: expose/mpi/mine.hpp), by
/// their sides as host-item columns (the item's id minus the window items', as
/// item_space::hosts numbers them), sorted: measure_delays takes them as they are. Each is the
/// rule's `delay` before time_rules turns a rule round.
struct measured_delays {
  struct entry {
    std::uint32_t lhs = 0, rhs = 0;
    delay_summary delay;
  };
  std::vector<entry> entries;  ///< sorted by (lhs, rhs), each once

  /// The host-variable rules of `rules` (measured over `space`), as measure_delays left them.
  [[nodiscard]] static measured_delays of(const std::vector<rule>& rules, const item_space& space) {
    measured_delays out;
    const auto offset = static_cast<std::uint32_t>(space.window_items());
    for (const rule& x : rules)
      if (x.lhs >= offset && x.rhs >= offset) out.entries.push_back({x.lhs - offset, x.rhs - offset, x.delay});
    std::sort(out.entries.begin(), out.entries.end(), [](const entry& l, const entry& r) { return l.lhs != r.lhs ? l.lhs < r.lhs : l.rhs < r.rhs; });
    out.entries.erase(std::unique(out.entries.begin(), out.entries.end(), [](const entry& l, const entry& r) { return l.lhs == r.lhs && l.rhs == r.rhs; }),
                      out.entries.end());
    return out;
  }
  /// The delays of the host rule between columns lhs and rhs, or null when none were measured.
  [[nodiscard]] const delay_summary* find(std::uint32_t lhs, std::uint32_t rhs) const noexcept {
    const auto it = std::lower_bound(entries.begin(), entries.end(), std::pair{lhs, rhs},
                                     [](const entry& e, const std::pair<std::uint32_t, std::uint32_t>& k) { return e.lhs != k.first ? e.lhs < k.first : e.rhs < k.second; });
    return it != entries.end() && it->lhs == lhs && it->rhs == rhs ? &it->delay : nullptr;
  }
};

/// How many host-variable rules had their delays taken from measured_delays and how many were
/// measured where the rules were made (a driver that measures them apart checks that none were).
struct host_delay_sources {
  std::size_t taken = 0;
  std::size_t measured = 0;
};

/// Measures every rule's delays over the space it was counted in (a rule's `lag`: the lagged
/// windows' K, 0 for tumbling windows and host-variable rules) into its `delay`, taking a host
/// rule's from `known` where it has them. Without times in the space (an activity built without
/// offsets) rules keep `samples` 0. Returns where the host rules' delays came from.
inline host_delay_sources measure_delays(std::vector<rule>& rules, const item_space& space, double window_seconds, const measured_delays& known = {}) {
  const auto offset = static_cast<std::uint32_t>(space.window_items());
  const double ms_per_unit = window_seconds * 1000.0 / static_cast<double>(offsets_per_window);
  const auto known_of = [&](const rule& x) { return known.find(x.lhs - offset, x.rhs - offset); };
  // Host items met so far, each dropped after the last rule that needs it (a node map: a side's
  // reference stays valid while the other side's is made). An item's entries take 8 bytes each
  // (6.2 MB for the two DNS items of the 6-hour trace, 412 k and 363 k entries, held together).
  std::unordered_map<std::uint32_t, detail::host_offsets> by_host;
  boost::unordered_flat_map<std::uint32_t, std::uint32_t> rules_left;  // host item -> its rules still to time
  for (const rule& x : rules)
    if (x.lhs >= offset && x.rhs >= offset && known_of(x) == nullptr) {
      ++rules_left[x.lhs];
      ++rules_left[x.rhs];
    }
  detail::host_numbers numbers;
  const auto host_side = [&](std::uint32_t item) -> const detail::host_offsets& {
    auto it = by_host.find(item);
    if (it == by_host.end()) it = by_host.emplace(item, detail::offsets_by_host(space, item, numbers)).first;
    return it->second;
  };
  const auto done_with = [&](std::uint32_t item) {
    if (--rules_left[item] == 0) by_host.erase(item);
  };
  host_delay_sources sources;
  for (rule& x : rules) {
    std::vector<std::int64_t> d;
    std::uint64_t hosts = 0;
    if (x.lhs < offset && x.rhs < offset) {
      d = detail::window_delays(space.windows, x.lhs, x.rhs, x.lag);
    } else if (x.lhs >= offset && x.rhs >= offset) {
      if (const delay_summary* k = known_of(x)) {
        x.delay = *k;
        ++sources.taken;
        continue;
      }
      ++sources.measured;
      d = detail::host_delays(host_side(x.lhs), host_side(x.rhs), hosts);
      done_with(x.lhs);
      done_with(x.rhs);
    }
    x.delay = detail::summarize_delays(d, ms_per_unit);
    x.delay.hosts = hosts;
  }
  return sources;
}

/// Measures every rule's delays (measure_delays) and writes the side that leads of a `<=>` rule on
/// the left. Rules stay in their order. Returns where the host rules' delays came from.
inline host_delay_sources time_rules(std::vector<rule>& rules, const item_space& space, double window_seconds, const measured_delays& known = {}) {
  const host_delay_sources sources = measure_delays(rules, space, window_seconds, known);
  for (rule& x : rules) {
    x.leads = leads_of(x.delay);
    if (x.kind == rule_kind::equivalent && x.leads == rule_leads::rhs && x.lag == 0) {
      std::swap(x.lhs, x.rhs);  // score stays the rule's (the higher direction's), as ranked
      x.counts = x.counts.reversed();
      x.delay = x.delay.reversed();
      x.leads = rule_leads::lhs;
    }
  }
  return sources;
}

}  // namespace expose
