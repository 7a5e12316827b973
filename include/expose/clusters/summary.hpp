#pragma once
// What a cluster is, in one line of the paper's notation: the fields its flows share written once,
// the fields they differ in written as a set, and the shape of its rules.
//
//   *.* : {10.0.0.1,10.0.0.2,10.0.0.3}.22 : tcp — clique of 3
//   $A.* : {10.0.0.53.53,10.0.0.80.80} : {udp,tcp} — clique of 2
//   10.1.0.7.{61 ports} : {30 hosts}.{9 ports} : tcp — 30 parts: 2 × clique of 3; 28 × clique of 2

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_set.hpp>

#include "expose/address.hpp"
#include "expose/detail/disjoint_sets.hpp"
#include "expose/flow_key.hpp"
#include "expose/pattern_list.hpp"
#include "expose/rule.hpp"

namespace expose::clusters {

namespace detail {

/// The distinct values of one field over `items`, in the order of the items' patterns (addresses
/// and ports ascending); more than `most` are written as a count ("{12 hosts}").
[[nodiscard]] inline std::string field_set(const pattern_list& all, std::vector<std::uint32_t> items, field f,
                                           std::size_t most = 4) {
  const auto value = [&](std::uint32_t i) {
    const flow_pattern p = all[i];
    switch (f) {
      case field::src_ip: return std::make_tuple(p.at(f), p.key.src, std::uint16_t{0});
      case field::dst_ip: return std::make_tuple(p.at(f), p.key.dst, std::uint16_t{0});
      case field::src_port: return std::make_tuple(p.at(f), ip_address{}, p.key.sport);
      case field::dst_port: return std::make_tuple(p.at(f), ip_address{}, p.key.dport);
      case field::proto: break;
    }
    return std::make_tuple(p.at(f), ip_address{}, std::uint16_t{p.key.proto});
  };
  std::stable_sort(items.begin(), items.end(), [&](std::uint32_t a, std::uint32_t b) { return value(a) < value(b); });
  std::vector<std::string> seen;
  std::vector<std::string> open;  // `*` and `$A`-like values: not hosts or ports to count
  for (auto i : items) {
    const flow_pattern p = all[i];
    const bool kept = p.at(f) == slot::kept;
    const bool address = (f == field::src_ip || f == field::dst_ip) && kept;
    std::string v = address ? (f == field::src_ip ? p.key.src : p.key.dst).notation() : p.field_text(f);
    if (std::find(seen.begin(), seen.end(), v) == seen.end()) {
      if (!kept) open.push_back(v);
      seen.push_back(std::move(v));
    }
  }
  if (seen.size() == 1) return seen.front();
  if (seen.size() > most) {
    const bool host = f == field::src_ip || f == field::dst_ip;
    std::string out = "{" + std::to_string(seen.size() - open.size()) + (host ? " hosts" : f == field::proto ? " protocols" : " ports");
    for (const auto& v : open) out += "," + v;  // "{4 hosts,*}": the wildcard is not a fifth host
    return out + "}";
  }
  std::string out = "{";
  for (std::size_t k = 0; k < seen.size(); ++k) out += (k ? "," : "") + seen[k];
  return out + "}";
}

/// The shape of a connected set of `n` items with these distinct pairs: `clique of N`, `star of N
/// around FLOW`, or the counts and the density.
[[nodiscard]] inline std::string shape(std::size_t n, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
                                       const pattern_list& items) {
  const double all_pairs = n < 2 ? 1.0 : static_cast<double>(n) * static_cast<double>(n - 1) / 2;
  if (pairs.empty()) return "no rules";
  if (pairs.size() == static_cast<std::size_t>(all_pairs)) return "clique of " + std::to_string(n);
  // A hub: one item in every pair.
  for (auto candidate : {pairs.front().first, pairs.front().second})
    if (std::all_of(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == candidate || p.second == candidate; }))
      return "star of " + std::to_string(n) + " around " + items[candidate].text();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(pairs.size()) / all_pairs);
  return std::to_string(n) + " flows, " + std::to_string(pairs.size()) + " pairs, density " + buf;
}

/// The shapes of a cluster's parts (its pieces not tied by rules, as clusters/join.hpp joins
/// them): `55 parts: 55 × clique of 2`, or the kinds of the largest parts first, with counts.
[[nodiscard]] inline std::string parts_shape(const std::vector<std::uint32_t>& cluster_items,
                                             const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
                                             const pattern_list& items) {
  // Connected pieces over the cluster's items (positions in `cluster_items`, which is ascending).
  const auto at = [&](std::uint32_t item) {
    return static_cast<std::size_t>(std::lower_bound(cluster_items.begin(), cluster_items.end(), item) - cluster_items.begin());
  };
  const std::size_t n = cluster_items.size();
  expose::detail::disjoint_sets<std::size_t> sets(n);
  for (const auto& [a, b] : pairs) sets.unite(at(a), at(b));
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> piece_pairs(n);
  std::vector<std::size_t> piece_items(n, 0);
  for (std::size_t i = 0; i < n; ++i) ++piece_items[sets.find(i)];
  for (const auto& p : pairs) piece_pairs[sets.find(at(p.first))].push_back(p);
  struct kind {
    std::string shape;
    std::size_t items = 0;   // of its largest piece
    std::size_t pieces = 0;
  };
  std::vector<kind> kinds;  // in order of first piece
  std::unordered_map<std::string, std::size_t> kind_of;
  std::size_t pieces = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (sets.find(i) != i || piece_pairs[i].empty()) continue;
    ++pieces;
    auto s = shape(piece_items[i], piece_pairs[i], items);
    const auto [at_kind, fresh] = kind_of.try_emplace(s, kinds.size());
    if (fresh) kinds.push_back(kind{std::move(s), 0, 0});
    auto& k = kinds[at_kind->second];
    k.items = std::max(k.items, piece_items[i]);
    ++k.pieces;
  }
  if (pieces == 0) return "no rules";
  if (pieces == 1) return kinds.front().shape;
  // The largest pieces first.
  std::stable_sort(kinds.begin(), kinds.end(), [](const kind& a, const kind& b) { return a.items > b.items; });
  std::string out = std::to_string(pieces) + " parts: ";
  constexpr std::size_t named = 4;
  for (std::size_t k = 0; k < kinds.size() && k < named; ++k)
    out += (k ? "; " : "") + (kinds[k].pieces > 1 ? std::to_string(kinds[k].pieces) + " \u00d7 " : std::string{}) + kinds[k].shape;
  if (kinds.size() > named) out += "; \u2026";
  return out;
}

}  // namespace detail

/// The single-host addresses a set of items names, in byte order, each once: kept sources and
/// destinations that are not `*`, a variable, a multicast group or a broadcast.
template <class Indices>
[[nodiscard]] std::vector<ip_address> hosts_named(const pattern_list& items, const Indices& indices) {
  // Each host once as it is met: the items of a whole run name a few thousand hosts a million
  // times (a list of every mention took 100 MB on a 6-hour trace, more than the rest of the run).
  // Told apart by the list's address keys, an address made whole only when first met (the
  // 6-hour trace's million items took 55 ms when each address was made whole and hashed).
  boost::unordered_flat_set<std::uint64_t> seen;
  std::vector<ip_address> hosts;
  for (const auto item : indices)
    for (const auto f : {field::src_ip, field::dst_ip}) {
      if (items.at(item, f) != slot::kept || !seen.insert(items.address_key(item, f)).second) continue;
      if (const ip_address a = items.address(item, f); one_host(a)) hosts.push_back(a);
    }
  std::sort(hosts.begin(), hosts.end());
  return hosts;
}

/// The hosts a cluster's flows name, in byte order (hosts_named over its items).
[[nodiscard]] inline std::vector<ip_address> host_list(const cluster& c, const pattern_list& items) {
  return hosts_named(items, c.items);
}

/// A cluster's items as its flows are listed and counted: the first item of each name (pattern),
/// in the cluster's order. Two items can have one name (a rest X minus Y is named by its closure, which
/// can be X's own pattern: ppa_gnutella's first pattern holds 5 such pairs), and a list of flows
/// says each name once.
[[nodiscard]] inline std::vector<std::uint32_t> listed_flows(const cluster& c, const pattern_list& items) {
  std::vector<std::uint32_t> out;
  out.reserve(c.items.size());
  std::unordered_set<flow_pattern, flow_pattern_hash> seen;
  for (const auto item : c.items)
    if (seen.insert(items[item]).second) out.push_back(item);
  return out;
}

/// A cluster's items that share their name with an item listed before them, each -> that listed
/// item (listed_flows `named`, of this cluster); empty when every name is one item's.
[[nodiscard]] inline std::unordered_map<std::uint32_t, std::uint32_t> name_twins(const cluster& c, const pattern_list& items,
                                                                                const std::vector<std::uint32_t>& named) {
  std::unordered_map<std::uint32_t, std::uint32_t> out;
  if (named.size() == c.items.size()) return out;
  std::unordered_map<flow_pattern, std::uint32_t, flow_pattern_hash> first_of;
  for (const auto item : named) first_of.emplace(items[item], item);
  for (const auto item : c.items)
    if (const auto listed = first_of.at(items[item]); listed != item) out.emplace(item, listed);
  return out;
}

/// How many hosts a cluster's flows name (host_list's size).
[[nodiscard]] inline std::size_t hosts_of(const cluster& c, const pattern_list& items) { return host_list(c, items).size(); }

/// Fills each cluster's density and summary from the run's rules and items. Flows are counted by
/// name, as the outputs list them (listed_flows): two items of one name are one flow of the
/// summary, and a rule between them no pair.
inline void describe(std::vector<cluster>& clusters, const std::vector<rule>& rules, const pattern_list& items) {
  for (auto& c : clusters) {
    const auto named = listed_flows(c, items);
    const std::size_t n = named.size();
    const auto twins = name_twins(c, items, named);
    const auto listed = [&](std::uint32_t item) {
      const auto it = twins.find(item);
      return it == twins.end() ? item : it->second;
    };
    // Distinct pairs joined by a rule.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
    pairs.reserve(c.rules.size());
    for (auto k : c.rules) {
      const std::uint32_t a = listed(rules[k].lhs), b = listed(rules[k].rhs);
      if (a != b) pairs.emplace_back(std::min(a, b), std::max(a, b));
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    const double all_pairs = n < 2 ? 1.0 : static_cast<double>(n) * static_cast<double>(n - 1) / 2;
    c.density = static_cast<double>(pairs.size()) / all_pairs;
    using detail::field_set;
    c.summary = field_set(items, named, field::src_ip) + "." + field_set(items, named, field::src_port) + " : " +
                field_set(items, named, field::dst_ip) + "." + field_set(items, named, field::dst_port) + " : " +
                field_set(items, named, field::proto) + " \u2014 " +
                (c.parts > 1 ? detail::parts_shape(named, pairs, items) : detail::shape(n, pairs, items));
  }
}

}  // namespace expose::clusters
