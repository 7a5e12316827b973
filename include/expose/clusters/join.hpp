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
//   the same responder port of TCP, UDP or SCTP (21; 6883). Broadcast (255.255.255.255 and any
//   IPv4 address ending in .255), multicast and unspecified addresses are no such host.
//
// A joined cluster counts its `parts`, and holds the rules between its parts that the policy left
// out (spectral drops the rules it cuts). Both joins read only what a run keeps: the rules, the
// items' patterns and how many flows each item covers. Where an item of B is covered by several
// items of A, the share counts the most specific (the one of fewest flows), once; B's items
// covered by another item of B count their flows once, through it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/address.hpp"
#include "expose/detail/disjoint_sets.hpp"
#include "expose/flow_key.hpp"
#include "expose/pattern_list.hpp"
#include "expose/packet.hpp"
#include "expose/rule.hpp"

namespace expose::clusters {

/// Which pieces `join` puts together.
struct join_options {
  bool views = true;        ///< a cluster that is a finer view of another's generic items joins it
  bool instances = true;    ///< clusters of one pattern around one host join
  double view_share = 0.5;  ///< the share of the generic items' flows the finer cluster must make up
};

namespace detail {

/// A pattern with host variables read as `*`, as coverage sees them.
[[nodiscard]] inline flow_pattern as_any(flow_pattern p) {
  for (std::size_t i = 0; i < field_count; ++i)
    if (p.slots[i] == slot::var) p.set(static_cast<field>(i), slot::any);
  return p;
}

/// `p` with the fields in `mask` (bit i: field i) widened to `*` into `out`; false when a field in
/// `mask` is `*` already (that widening is another mask's) or `mask` is empty.
[[nodiscard]] inline bool widened(const flow_pattern& p, unsigned mask, flow_pattern& out) {
  out = p;
  for (std::size_t i = 0; i < field_count; ++i) {
    if (!(mask >> i & 1u)) continue;
    if (out.slots[i] != slot::kept) return false;  // each widening is enumerated once
    out.set(static_cast<field>(i), slot::any);
  }
  return mask != 0;
}

/// Views: unites B with A where A's generic items cover B (see the top of this header).
inline void join_views(const std::vector<cluster>& clusters, const pattern_list& items,
                       const std::vector<std::uint32_t>& item_flows, double share, expose::detail::disjoint_sets<std::size_t>& sets) {
  const std::size_t n = clusters.size();
  // Every generic item, by its pattern with variables read as `*`.
  boost::unordered_flat_map<flow_pattern, std::vector<std::pair<std::size_t, std::uint32_t>>, flow_pattern_hash> generic;
  for (std::size_t c = 0; c < n; ++c)
    for (auto i : clusters[c].items) {
      const auto p = as_any(items[i]);
      if (std::any_of(p.slots.begin(), p.slots.end(), [](slot s) { return s != slot::kept; })) generic[p].emplace_back(c, i);
    }
  const auto binds_variable = [&](std::uint32_t g, std::uint32_t i) {
    for (std::size_t f = 0; f < field_count; ++f)
      if (items.at(g, static_cast<field>(f)) == slot::var && items.at(i, static_cast<field>(f)) == slot::kept) return true;
    return false;
  };
  // Per other cluster A, for each of B's items A covers: its position in B, A's most specific
  // covering item, and whether some covering item of A binds a host variable to it.
  struct covered {
    std::size_t at;
    std::uint32_t by;
    bool by_variable;
  };
  std::vector<std::vector<covered>> cover(n);
  std::vector<std::size_t> touched;
  std::vector<char> inside;  // per item of B: covered by another item of B
  for (std::size_t b = 0; b < n; ++b) {
    const auto& its = clusters[b].items;
    inside.assign(its.size(), 0);
    for (std::size_t k = 0; k < its.size(); ++k) {
      const auto i = its[k];
      const auto p = as_any(items[i]);
      flow_pattern w;
      for (unsigned mask = 0; mask < (1u << field_count); ++mask) {
        if (mask == 0) w = p;  // an equal pattern: the same flows, in the other sample space
        else if (!widened(p, mask, w)) continue;
        const auto hit = generic.find(w);
        if (hit == generic.end()) continue;
        for (const auto& [a, g] : hit->second) {
          if (g == i) continue;
          if (a == b) {
            if (mask != 0 || g < i) inside[k] = 1;  // of two equal items, the first counts
            continue;
          }
          auto& c = cover[a];
          if (c.empty()) touched.push_back(a);
          if (c.empty() || c.back().at != k) c.push_back({k, g, false});
          auto& e = c.back();
          if (item_flows[g] < item_flows[e.by] || (item_flows[g] == item_flows[e.by] && g < e.by)) e.by = g;
          e.by_variable = e.by_variable || binds_variable(g, i);
        }
      }
    }
    for (const auto a : touched) {
      auto& c = cover[a];
      if (c.size() == its.size()) {
        const bool instances = std::all_of(c.begin(), c.end(), [](const covered& e) { return e.by_variable; });
        std::uint64_t part = 0, whole = 0;
        std::vector<std::uint32_t> by;
        for (const auto& e : c) {
          if (!inside[e.at]) part += item_flows[its[e.at]];
          by.push_back(e.by);
        }
        std::sort(by.begin(), by.end());
        by.erase(std::unique(by.begin(), by.end()), by.end());
        for (auto g : by) whole += item_flows[g];
        if (instances || static_cast<double>(part) >= share * static_cast<double>(whole)) sets.unite(a, b);
      }
      c.clear();
    }
    touched.clear();
  }
}

/// Instances: unites clusters around one host with flows to one responder port.
inline void join_instances(const std::vector<cluster>& clusters, const pattern_list& items,
                           expose::detail::disjoint_sets<std::size_t>& sets) {
  // (host, side, protocol, responder port) -> the first cluster holding such a flow around that host.
  using key = std::tuple<ip_address, bool, std::uint8_t, std::uint16_t>;
  struct key_hash {
    std::size_t operator()(const key& k) const noexcept {
      const auto w = std::get<0>(k).words();
      return static_cast<std::size_t>(flow_key_hash::mix(
          w[0] ^ flow_key_hash::mix(w[1]) ^ (std::uint64_t{std::get<1>(k)} << 40 | std::uint64_t{std::get<2>(k)} << 16 | std::get<3>(k))));
    }
  };
  boost::unordered_flat_map<key, std::size_t, key_hash> first;
  for (std::size_t c = 0; c < clusters.size(); ++c) {
    const auto& its = clusters[c].items;
    if (its.empty()) continue;
    for (const bool src_side : {true, false}) {
      const field f = src_side ? field::src_ip : field::dst_ip;
      const auto host_of = [&](std::uint32_t i) { return items.address(i, f); };
      if (items.at(its.front(), f) != slot::kept) continue;
      const ip_address host = host_of(its.front());
      if (!one_host(host)) continue;
      if (!std::all_of(its.begin(), its.end(), [&](std::uint32_t i) { return items.at(i, f) == slot::kept && host_of(i) == host; }))
        continue;
      for (auto i : its) {
        const flow_pattern p = items[i];
        if (p.at(field::proto) != slot::kept || p.at(field::dst_port) != slot::kept || !proto::has_ports(p.key.proto) || p.key.dport == 0)
          continue;
        const auto [at, fresh] = first.try_emplace(key{host, src_side, p.key.proto, p.key.dport}, c);
        if (!fresh) sets.unite(at->second, c);
      }
    }
  }
}

}  // namespace detail

/// Joins the pieces of one pattern (see the top of this header). `item_flows[i]` is how many flows
/// item i covers (missing counts are read as 1). A joined cluster takes the place of its earliest
/// part; its items and rules ascending.
inline void join(std::vector<cluster>& clusters, const std::vector<rule>& rules, const pattern_list& items,
                 const std::vector<std::uint32_t>& item_flows, const join_options& options = {}) {
  const std::size_t n = clusters.size();
  if (n < 2 || (!options.views && !options.instances)) return;
  expose::detail::disjoint_sets<std::size_t> sets(n);
  if (options.views) {
    if (item_flows.size() >= items.size()) {
      detail::join_views(clusters, items, item_flows, options.view_share, sets);
    } else {
      std::vector<std::uint32_t> flows(item_flows);
      flows.resize(items.size(), 1);
      detail::join_views(clusters, items, flows, options.view_share, sets);
    }
  }
  if (options.instances) detail::join_instances(clusters, items, sets);

  std::vector<std::int64_t> slot_of(n, -1);
  std::vector<cluster> out;
  std::vector<char> grown;
  for (std::size_t c = 0; c < n; ++c) {
    const auto root = sets.find(c);
    if (slot_of[root] < 0) {
      slot_of[root] = static_cast<std::int64_t>(out.size());
      out.push_back(std::move(clusters[c]));
      grown.push_back(0);
      continue;
    }
    const auto k = static_cast<std::size_t>(slot_of[root]);
    auto& into = out[k];
    into.items.insert(into.items.end(), clusters[c].items.begin(), clusters[c].items.end());
    into.rules.insert(into.rules.end(), clusters[c].rules.begin(), clusters[c].rules.end());
    into.parts += clusters[c].parts;
    grown[k] = 1;
  }
  if (std::find(grown.begin(), grown.end(), 1) != grown.end()) {
    // The rules between the parts of a joined cluster that the policy left out belong to it.
    boost::unordered_flat_map<std::uint32_t, std::int64_t> owner_of;  // the items of clusters only
    std::vector<char> placed(rules.size(), 0);
    for (std::size_t k = 0; k < out.size(); ++k) {
      for (auto i : out[k].items) owner_of[i] = static_cast<std::int64_t>(k);
      for (auto r : out[k].rules)
        if (r < placed.size()) placed[r] = 1;
    }
    const auto owner = [&](std::uint32_t i) {
      const auto it = owner_of.find(i);
      return it == owner_of.end() ? std::int64_t{-1} : it->second;
    };
    for (std::size_t r = 0; r < rules.size(); ++r) {
      if (placed[r]) continue;
      const auto k = owner(rules[r].lhs);
      if (k >= 0 && k == owner(rules[r].rhs) && grown[static_cast<std::size_t>(k)]) out[static_cast<std::size_t>(k)].rules.push_back(r);
    }
  }
  for (std::size_t k = 0; k < out.size(); ++k)
    if (grown[k]) {
      auto& c = out[k];
      std::sort(c.items.begin(), c.items.end());
      c.items.erase(std::unique(c.items.begin(), c.items.end()), c.items.end());
      std::sort(c.rules.begin(), c.rules.end());
    }
  clusters = std::move(out);
}

}  // namespace expose::clusters
