#pragma once
// Connected components of the rule graph: items tied by any chain of rules form one cluster.

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "expose/clusters/join.hpp"
#include "expose/concepts.hpp"
#include "expose/rule.hpp"

namespace expose::clusters {

struct components {
  std::size_t min_items = 2;  ///< smaller clusters are not reported
  join_options join{};        ///< what the pipeline joins after cutting (clusters/join.hpp)

  [[nodiscard]] std::vector<expose::cluster> cluster(const std::vector<rule>& rules, std::size_t n_items) const {
    std::vector<std::uint32_t> parent(n_items);
    std::iota(parent.begin(), parent.end(), 0u);
    auto find = [&](std::uint32_t x) {
      while (parent[x] != x) x = parent[x] = parent[parent[x]];
      return x;
    };
    for (const auto& r : rules) {
      const auto a = find(r.lhs), b = find(r.rhs);
      if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
    // Clusters appear in the order of their most significant rule.
    std::vector<std::int64_t> slot(n_items, -1);
    std::vector<expose::cluster> out;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const auto root = find(rules[i].lhs);
      if (slot[root] < 0) {
        slot[root] = static_cast<std::int64_t>(out.size());
        out.emplace_back();
      }
      auto& c = out[static_cast<std::size_t>(slot[root])];
      c.rules.push_back(i);
      c.items.push_back(rules[i].lhs);
      c.items.push_back(rules[i].rhs);
    }
    for (auto& c : out) {
      std::sort(c.items.begin(), c.items.end());
      c.items.erase(std::unique(c.items.begin(), c.items.end()), c.items.end());
    }
    std::erase_if(out, [&](const expose::cluster& c) { return c.items.size() < min_items; });
    return out;
  }
};

static_assert(ClusterPolicy<components>);

}  // namespace expose::clusters
