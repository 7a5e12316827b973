#pragma once
// The null model conditioned on when each side was alive. Real traffic is not stationary: a host
// arrives, bursts for two minutes and leaves; a capture starts in everyone's start-up. Two
// unrelated flows that are both active only inside one stretch of a long trace co-occur far more
// often than a test over the whole trace expects. Here a pair is tested only over the windows in
// which both sides were alive, and each side's count is its activity inside them:
//
//   alive(Z)  = from Z's first active window to its last, with every quiet stretch longer than
//               `gap` windows cut out (gap 0: unlimited, Z's whole lifetime), each stretch
//               extended by `margin` windows at both ends (30 by default)
//   N'        = |alive(X) ∩ alive(Y)|,  n_x' = |X ∩ alive(Y)|,  n_y' = |Y ∩ alive(X)|,  n_xy as counted
//
// and the hypergeometric test asks whether X and Y, placed at random inside their common lifetime,
// would meet n_xy times. Every co-occurrence lies inside both lifetimes, so n_xy is unchanged and
// the counting engine is not: only the pairs that reach the test pay, O(n_x + n_y) each.
//
// Two sides that share a host (one address, not a multicast group or a broadcast) that starts at
// least one of them (the source of its flow) are tested over that host's lifetime instead, from
// the first to the last window the host is seen in any flow (with the margin; where two such hosts
// are shared, over both lives): a host's flows are what the host does, and whether two of them
// come together more often than chance is asked over the time the host is there. One FTP session
// of a client, its control and data connections, is then tested against the client's whole life,
// not against the minute around it, where one session is never significant. A server that two
// clients reach is not what either client does: two clients' sessions with one mirror keep their
// own lifetimes, and where 2000 clients hold 16,000 FTP sessions an hour, two of them that started
// in the same second are one chance meeting, not a dependency over the mirror's hour. Sides of
// different hosts keep their own lifetimes: hosts that arrive and leave together (a capture
// starting, a meeting) are no dependency between them.
//
// What it cannot tell apart: two flows whose activity is locked to the same clock inside their
// common lifetime (two keep-alives of one period that happen to be in phase, two cron jobs at the
// same minute). Their meetings are not chance under any model that keeps each side's own timing;
// they are reported, as a rule between the two is what an operator would want to see anyway. And
// a host's own start-up (DHCP, DNS, NTP, updates in its first minute) is a burst of its flows
// together: reported, as the host's start-up pattern.
//
//   score_by(scores::significant<scores::jmeasure, nulls::alive>{})

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/activity.hpp"
#include "expose/address.hpp"
#include "expose/concepts.hpp"
#include "expose/flow_key.hpp"
#include "expose/item_space.hpp"
#include "expose/pattern_list.hpp"
#include "expose/rule.hpp"

namespace expose::nulls {

struct alive {
  /// Quiet stretches longer than this many windows end a side's life until its next activity;
  /// 0 keeps each side alive from its first window to its last.
  std::int64_t gap = 0;
  /// Windows each lifetime is extended by at both ends (within the trace): one session of a
  /// pattern (a control connection and its data connections) is tested against the quiet before
  /// and after it, not only inside itself, where the longer side is always on.
  std::int64_t margin = 30;
  /// Sides that share a host are tested over the host's lifetime (see the top of this header).
  bool shared_host = true;

  using span_of_windows = std::pair<std::int64_t, std::int64_t>;  // inclusive, absolute windows

  /// The model for one run: each window item's hosts and each host's lifetime.
  class in_run {
   public:
    /// Every window item's kept addresses are read as the pattern list holds them (address_key), and
    /// an address is made whole only when first met, to ask whether it is one host: a million
    /// items' addresses on the 6-hour trace take 23 ms so, 56 when each was made whole and hashed
    /// as 16 bytes.
    in_run(const alive& model, const item_space& space) : model_(model), a_(space.windows), items_(space.items) {
      if (!model.shared_host) return;
      const auto n = static_cast<std::uint32_t>(space.window_items());
      for (std::uint32_t i = 0; i < n; ++i) {
        const auto w = a_.windows_of(i);
        if (w.empty()) continue;
        const std::int64_t first = a_.windows[w.front()], last = a_.windows[w.back()];
        for (const auto f : {field::src_ip, field::dst_ip}) {
          if (items_.at(i, f) != slot::kept) continue;
          const auto [it, fresh] = ids_.try_emplace(items_.address_key(i, f), none);
          if (fresh && one_host(items_.address(i, f))) {
            it->second = static_cast<std::uint32_t>(life_.size());
            life_.emplace_back(first, last);
          }
          if (it->second == none) continue;
          auto& l = life_[it->second];
          l = {std::min(l.first, first), std::max(l.second, last)};
        }
      }
    }

    [[nodiscard]] pair_counts condition(const scored_pair& pair) const {
      const auto wx = a_.windows_of(pair.x), wy = a_.windows_of(pair.y);
      if (wx.empty() || wy.empty()) return pair.counts;
      if (const auto host = shared_life(pair.x, pair.y)) {
        // Both sides lie inside the host's life: their counts stand, N is the host's life.
        const auto [lo, hi] = model_.widen(*host, a_);
        pair_counts c = pair.counts;
        c.n = std::max({std::min(c.n, static_cast<std::uint64_t>(hi - lo + 1)), c.n_x, c.n_y});
        return c;
      }
      const auto lx = model_.lifetime(wx, a_), ly = model_.lifetime(wy, a_);
      std::uint64_t both = 0;  // N': windows in both lifetimes
      for (std::size_t i = 0, j = 0; i < lx.size() && j < ly.size();) {
        const auto lo = std::max(lx[i].first, ly[j].first), hi = std::min(lx[i].second, ly[j].second);
        if (lo <= hi) both += static_cast<std::uint64_t>(hi - lo + 1);
        (lx[i].second < ly[j].second) ? ++i : ++j;
      }
      const std::uint64_t nx = inside(wx, a_, ly), ny = inside(wy, a_, lx);
      pair_counts c = pair.counts;
      if (both == 0 || both >= c.n) return c;  // alive throughout: the whole trace is the right null
      c.n = both;
      // A side counted otherwise than its own activity list (the rest X \ Y of a generic item that
      // contains the other side, or a tail counted within k windows after X) keeps the share of its
      // count that its activity has inside the other side's lifetime.
      const auto share = [](std::uint64_t counted, std::size_t listed, std::uint64_t in) {
        return counted == listed ? in
                                 : static_cast<std::uint64_t>(static_cast<double>(counted) * static_cast<double>(in) / static_cast<double>(listed) + 0.5);
      };
      c.n_x = share(pair.counts.n_x, wx.size(), nx);
      c.n_y = share(pair.counts.n_y, wy.size(), ny);
      c.n_x = std::max(c.n_x, c.n_xy);
      c.n_y = std::max(c.n_y, c.n_xy);
      c.n = std::max({c.n, c.n_x, c.n_y});
      return c;
    }

   private:
    static constexpr std::uint32_t none = UINT32_MAX;

    /// The life of the hosts both items name and one of them starts a connection from (from the
    /// first seen of them to the last: a client's sessions with a server seen only then are the
    /// client's doing), or nothing. A server two clients reach is not what either client does:
    /// two clients' FTP sessions that overlap once are tested over their own lifetimes.
    [[nodiscard]] std::optional<span_of_windows> shared_life(std::uint32_t x, std::uint32_t y) const {
      if (!model_.shared_host || x >= a_.items() || y >= a_.items()) return std::nullopt;
      const auto hx = hosts_of(x), hy = hosts_of(y);
      std::optional<span_of_windows> out;
      for (const auto h : hx) {
        if (h == none || (h != hy[0] && h != hy[1])) continue;
        if (h != hx[0] && h != hy[0]) continue;  // the server of both sides only
        const auto l = life_[h];
        out = out ? span_of_windows{std::min(out->first, l.first), std::max(out->second, l.second)} : l;
      }
      return out;
    }

    /// A window item's source's and destination's host ids, or none (looked up for the items of
    /// the pairs tested only: no list beside every item).
    [[nodiscard]] std::array<std::uint32_t, 2> hosts_of(std::uint32_t i) const {
      std::array<std::uint32_t, 2> out{none, none};
      if (a_.count(i) == 0) return out;
      for (const auto f : {field::src_ip, field::dst_ip}) {
        if (items_.at(i, f) != slot::kept) continue;
        if (const auto it = ids_.find(items_.address_key(i, f)); it != ids_.end()) out[f == field::src_ip ? 0 : 1] = it->second;
      }
      return out;
    }

    const alive& model_;
    const activity& a_;
    const pattern_list& items_;
    boost::unordered_flat_map<std::uint64_t, std::uint32_t> ids_;  // address_key -> id, or none (not one host)
    std::vector<span_of_windows> life_;                            // per host id: first and last window seen
  };

  [[nodiscard]] in_run prepare(const item_space& space) const { return in_run(*this, space); }

 private:
  /// A span extended by the margin, within the trace.
  [[nodiscard]] span_of_windows widen(span_of_windows s, const activity& a) const {
    const std::int64_t first = a.windows.front(), last = a.windows.front() + static_cast<std::int64_t>(a.samples) - 1;
    return {std::max(first, s.first - margin), std::min(last, s.second + margin)};
  }

  [[nodiscard]] std::vector<span_of_windows> lifetime(std::span<const std::uint32_t> positions, const activity& a) const {
    std::vector<span_of_windows> out;
    for (const auto pos : positions) {
      const std::int64_t w = a.windows[pos];
      if (!out.empty() && (gap == 0 || w - out.back().second <= gap + 1)) out.back().second = w;
      else out.emplace_back(w, w);
    }
    if (margin > 0 && !out.empty()) {
      std::vector<span_of_windows> wide;
      for (const auto& s : out) {
        const auto [lo, hi] = widen(s, a);
        if (!wide.empty() && lo <= wide.back().second + 1) wide.back().second = std::max(wide.back().second, hi);
        else wide.emplace_back(lo, hi);
      }
      out = std::move(wide);
    }
    return out;
  }
  [[nodiscard]] static std::uint64_t inside(std::span<const std::uint32_t> positions, const activity& a,
                                            const std::vector<span_of_windows>& life) {
    std::uint64_t n = 0;
    std::size_t k = 0;
    for (const auto pos : positions) {
      const std::int64_t w = a.windows[pos];
      while (k < life.size() && life[k].second < w) ++k;
      if (k == life.size()) break;
      n += life[k].first <= w ? 1 : 0;
    }
    return n;
  }
};

static_assert(NullModel<alive>);

}  // namespace expose::nulls
