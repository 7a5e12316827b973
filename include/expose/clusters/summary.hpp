#pragma once
// What a cluster is, in one line of the paper's notation: the fields its flows share written once,
// the fields they differ in written as a set, and the shape of its rules.
//
//   *.* : {10.0.0.1,10.0.0.2,10.0.0.3}.22 : tcp — clique of 3
//   $A.* : {10.0.0.53.53,10.0.0.80.80} : {udp,tcp} — clique of 2

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "expose/flow_key.hpp"
#include "expose/rule.hpp"

namespace expose::clusters {

namespace detail {

/// The distinct values of one field over `items`, in the order of the items' patterns (addresses
/// and ports ascending); more than `most` are written as a count ("{12 hosts}").
[[nodiscard]] inline std::string field_set(const std::vector<flow_pattern>& all, std::vector<std::uint32_t> items, field f,
                                           std::size_t most = 4) {
  const auto value = [&](std::uint32_t i) {
    const flow_key& k = all[i].key;
    switch (f) {
      case field::src_ip: return std::make_tuple(all[i].at(f), k.src, std::uint16_t{0});
      case field::dst_ip: return std::make_tuple(all[i].at(f), k.dst, std::uint16_t{0});
      case field::src_port: return std::make_tuple(all[i].at(f), ip_address{}, k.sport);
      case field::dst_port: return std::make_tuple(all[i].at(f), ip_address{}, k.dport);
      case field::proto: break;
    }
    return std::make_tuple(all[i].at(f), ip_address{}, std::uint16_t{k.proto});
  };
  std::stable_sort(items.begin(), items.end(), [&](std::uint32_t a, std::uint32_t b) { return value(a) < value(b); });
  std::vector<std::string> seen;
  for (auto i : items) {
    std::string v = all[i].field_text(f);
    if ((f == field::src_ip || f == field::dst_ip) && all[i].at(f) == slot::kept &&
        !(f == field::src_ip ? all[i].key.src : all[i].key.dst).is_v4())
      v = "[" + v + "]";
    if (std::find(seen.begin(), seen.end(), v) == seen.end()) seen.push_back(std::move(v));
  }
  if (seen.size() == 1) return seen.front();
  if (seen.size() > most) {
    const bool host = f == field::src_ip || f == field::dst_ip;
    return "{" + std::to_string(seen.size()) + (host ? " hosts}" : f == field::proto ? " protocols}" : " ports}");
  }
  std::string out = "{";
  for (std::size_t k = 0; k < seen.size(); ++k) out += (k ? "," : "") + seen[k];
  return out + "}";
}

}  // namespace detail

/// Fills each cluster's density and summary from the run's rules and items.
inline void describe(std::vector<cluster>& clusters, const std::vector<rule>& rules, const std::vector<flow_pattern>& items) {
  for (auto& c : clusters) {
    const std::size_t n = c.items.size();
    // Distinct pairs joined by a rule, and how many rules each item is in.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
    pairs.reserve(c.rules.size());
    for (auto k : c.rules) pairs.emplace_back(std::min(rules[k].lhs, rules[k].rhs), std::max(rules[k].lhs, rules[k].rhs));
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    const double all_pairs = n < 2 ? 1.0 : static_cast<double>(n) * static_cast<double>(n - 1) / 2;
    c.density = static_cast<double>(pairs.size()) / all_pairs;

    std::string shape;
    if (pairs.size() == static_cast<std::size_t>(all_pairs)) {
      shape = "clique of " + std::to_string(n);
    } else {
      // A hub: one item in every pair.
      std::uint32_t hub = UINT32_MAX;
      for (auto candidate : {pairs.front().first, pairs.front().second})
        if (std::all_of(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == candidate || p.second == candidate; }))
          hub = candidate;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", c.density);
      if (hub != UINT32_MAX) shape = "star of " + std::to_string(n) + " around " + items[hub].text();
      else shape = std::to_string(n) + " flows, " + std::to_string(pairs.size()) + " pairs, density " + buf;
    }
    using detail::field_set;
    c.summary = field_set(items, c.items, field::src_ip) + "." + field_set(items, c.items, field::src_port) + " : " +
                field_set(items, c.items, field::dst_ip) + "." + field_set(items, c.items, field::dst_port) + " : " +
                field_set(items, c.items, field::proto) + " \u2014 " + shape;
  }
}

}  // namespace expose::clusters
