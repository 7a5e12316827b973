#pragma once
// Joins clusters that show one communication pattern in pieces. A cluster policy cuts the rule
// graph; two kinds of piece it leaves apart are still one pattern to an operator:
//
// - Views. A traceroute's ICMP replies are tied by rules to the generic item covering its UDP
//   probes (`10.0.5.5.* : Target.* : udp`), and the probes, one item per port, are tied among
//   themselves: two clusters of one activity, coarse and fine. A cluster B joins a cluster A when
//   generic items of A cover every item of B and either B's flows make up at least `view_share`
//   of those items' flows (a port scan's generic item also covers a NetBIOS exchange with the
//   scanned host, but those few flows are a sliver of the scan's: no join), or every item of B is
//   an instance of a host variable of A's (`10.1.0.8.* : Web.80` of `$A.* : Web.80`). An item
//   equal to one of A's but for a host variable (`*.* : DNS.53`, `$A.* : DNS.53`) covers it.
// - Instances. One FTP client's control and data connections make a cluster, the next client's
//   another; one BitTorrent host's connections to each peer make one cluster per peer. Two
//   clusters join when one host is on the same side of every flow in both (the mirror, as
//   responder; the BitTorrent host, as initiator) and both hold a flow of the same protocol to
//   the same responder port (21; 6883). Broadcast, multicast and unspecified addresses are no
//   such host. A joined cluster counts its `parts`.
//
// Both read only what a run keeps: the items' patterns and how many flows each item covers.

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <tuple>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/address.hpp"
#include "expose/flow_key.hpp"
#include "expose/rule.hpp"

namespace expose::clusters {

/// Which pieces `join` puts together.
struct join_options {
  bool views = true;        ///< a cluster that is a finer view of another's generic item joins it
  bool instances = true;    ///< clusters of one pattern around one host join
  double view_share = 0.5;  ///< the share of the generic item's flows the finer cluster must make up
};

namespace detail {

/// A pattern with host variables read as `*`, as coverage sees them.
[[nodiscard]] inline flow_pattern as_any(flow_pattern p) {
  for (std::size_t i = 0; i < field_count; ++i)
    if (p.slots[i] == slot::var) p.set(static_cast<field>(i), slot::any);
  return p;
}

/// `p` with the fields in `mask` (bit i: field i) widened to `*` into `out`; false when a field in
/// `mask` is `*` already (that widening is another mask's).
[[nodiscard]] inline bool widened(const flow_pattern& p, unsigned mask, flow_pattern& out) {
  out = p;
  for (std::size_t i = 0; i < field_count; ++i) {
    if (!(mask >> i & 1u)) continue;
    if (out.slots[i] != slot::kept) return false;  // each widening is enumerated once
    out.set(static_cast<field>(i), slot::any);
  }
  return mask != 0;
}

/// True for an address that is one host: not broadcast, multicast or unspecified.
[[nodiscard]] inline bool one_host(const ip_address& a) {
  const auto& b = a.bytes();
  if (a.is_v4()) {
    const auto x = std::uint32_t{b[12]} << 24 | std::uint32_t{b[13]} << 16 | std::uint32_t{b[14]} << 8 | b[15];
    return x != 0 && x != 0xffffffffu && (x >> 28) != 0xe;
  }
  return b[0] != 0xff && a != ip_address{};
}

struct disjoint_sets {
  std::vector<std::size_t> parent;
  explicit disjoint_sets(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), std::size_t{0}); }
  std::size_t find(std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);  // the earlier cluster names the join
  }
};

}  // namespace detail

/// Joins the pieces of one pattern (see the top of this header). `item_flows[i]` is how many flows
/// item i covers. A joined cluster takes the place of its earliest part, its items and rules ascending.
inline void join(std::vector<cluster>& clusters, const std::vector<flow_pattern>& items, const std::vector<std::uint32_t>& item_flows,
                 const join_options& options = {}) {
  const std::size_t n = clusters.size();
  if (n < 2 || (!options.views && !options.instances)) return;
  detail::disjoint_sets sets(n);

  if (options.views) {
    // Every generic item, by its pattern with variables read as `*`.
    boost::unordered_flat_map<flow_pattern, std::vector<std::pair<std::size_t, std::uint32_t>>, flow_pattern_hash> generic;
    for (std::size_t c = 0; c < n; ++c)
      for (auto i : clusters[c].items) {
        const auto p = detail::as_any(items[i]);
        if (std::any_of(p.slots.begin(), p.slots.end(), [](slot s) { return s != slot::kept; }))
          generic[p].emplace_back(c, i);
      }
    std::vector<std::uint32_t> owner_of(items.size(), 0);
    for (std::size_t c = 0; c < n; ++c)
      for (auto i : clusters[c].items) owner_of[i] = static_cast<std::uint32_t>(c);
    // For each cluster B, per other cluster A: how many of B's items A's generic items cover, their
    // flows, whether each is an instance of a host variable of A's, and the covering items.
    struct coverage {
      std::size_t covered = 0, by_variable = 0;
      std::uint64_t flows = 0;
      std::vector<std::uint32_t> by;  // A's covering items
      std::uint32_t last = UINT32_MAX;  // the last of B's items counted
      bool last_by_variable = false;
    };
    boost::unordered_flat_map<std::size_t, coverage> cover;
    const auto binds_variable = [&](std::uint32_t g, std::uint32_t i) {
      for (std::size_t f = 0; f < field_count; ++f)
        if (items[g].slots[f] == slot::var && items[i].slots[f] == slot::kept) return true;
      return false;
    };
    for (std::size_t b = 0; b < n; ++b) {
      cover.clear();
      for (auto i : clusters[b].items) {
        const auto p = detail::as_any(items[i]);
        flow_pattern w;
        for (unsigned mask = 0; mask < (1u << field_count); ++mask) {
          if (mask == 0) w = p;  // an equal pattern: the same flows in the other sample space
          else if (!detail::widened(p, mask, w)) continue;
          const auto hit = generic.find(w);
          if (hit == generic.end()) continue;
          for (const auto& [a, g] : hit->second) {
            if (a == b) continue;
            auto& c = cover[a];
            if (c.last != i) {
              c.last = i;
              c.last_by_variable = false;
              ++c.covered;
              c.flows += item_flows[i];
            }
            if (!c.last_by_variable && binds_variable(g, i)) {
              c.last_by_variable = true;
              ++c.by_variable;
            }
            c.by.push_back(g);
          }
        }
      }
      for (auto& [a, c] : cover) {
        if (c.covered != clusters[b].items.size()) continue;
        std::sort(c.by.begin(), c.by.end());
        c.by.erase(std::unique(c.by.begin(), c.by.end()), c.by.end());
        std::uint64_t covering = 0;
        for (auto g : c.by) covering += item_flows[g];
        if (c.by_variable == c.covered || static_cast<double>(c.flows) >= options.view_share * static_cast<double>(covering))
          sets.unite(a, b);
      }
    }
  }

  if (options.instances) {
    // (host, side, protocol, responder port) -> the first cluster holding such a flow around that host.
    using key = std::tuple<ip_address, bool, std::uint8_t, std::uint16_t>;
    struct key_hash {
      std::size_t operator()(const key& k) const noexcept {
        const auto w = std::get<0>(k).words();
        return static_cast<std::size_t>(flow_key_hash::mix(w[0] ^ flow_key_hash::mix(w[1]) ^
                                                           (std::uint64_t{std::get<1>(k)} << 40 | std::uint64_t{std::get<2>(k)} << 16 | std::get<3>(k))));
      }
    };
    boost::unordered_flat_map<key, std::size_t, key_hash> first;
    for (std::size_t c = 0; c < n; ++c) {
      const auto& its = clusters[c].items;
      if (its.empty()) continue;
      for (const bool src_side : {true, false}) {
        const field f = src_side ? field::src_ip : field::dst_ip;
        const auto& p0 = items[its.front()];
        if (p0.at(f) != slot::kept) continue;
        const ip_address host = src_side ? p0.key.src : p0.key.dst;
        if (!detail::one_host(host)) continue;
        if (!std::all_of(its.begin(), its.end(), [&](std::uint32_t i) {
              return items[i].at(f) == slot::kept && (src_side ? items[i].key.src : items[i].key.dst) == host;
            }))
          continue;
        for (auto i : its) {
          const auto& p = items[i];
          if (p.at(field::proto) != slot::kept || p.at(field::dst_port) != slot::kept) continue;
          const auto [at, fresh] = first.try_emplace(key{host, src_side, p.key.proto, p.key.dport}, c);
          if (!fresh) sets.unite(at->second, c);
        }
      }
    }
  }

  std::vector<std::int64_t> slot_of(n, -1);
  std::vector<cluster> out;
  for (std::size_t c = 0; c < n; ++c) {
    const auto root = sets.find(c);
    if (slot_of[root] < 0) {
      slot_of[root] = static_cast<std::int64_t>(out.size());
      out.push_back(std::move(clusters[c]));
      continue;
    }
    auto& into = out[static_cast<std::size_t>(slot_of[root])];
    into.items.insert(into.items.end(), clusters[c].items.begin(), clusters[c].items.end());
    into.rules.insert(into.rules.end(), clusters[c].rules.begin(), clusters[c].rules.end());
    into.parts += clusters[c].parts;
  }
  for (auto& c : out)
    if (c.parts > 1) {
      std::sort(c.items.begin(), c.items.end());
      c.items.erase(std::unique(c.items.begin(), c.items.end()), c.items.end());
      std::sort(c.rules.begin(), c.rules.end());
    }
  clusters = std::move(out);
}

}  // namespace expose::clusters
