#pragma once
// Connected components of the rule graph: items tied by any chain of rules form one cluster.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "expose/clusters/join.hpp"
#include "expose/concepts.hpp"
#include "expose/detail/disjoint_sets.hpp"
#include "expose/rule.hpp"

namespace expose::clusters {

struct components {
  std::size_t min_items = 2;  ///< smaller clusters are not reported
  join_options join{};        ///< what the pipeline joins after cutting (clusters/join.hpp)

  [[nodiscard]] std::vector<expose::cluster> cluster(const std::vector<rule>& rules, std::size_t n_items) const {
    expose::detail::disjoint_sets<std::uint32_t> sets(n_items);
    for (const auto& r : rules) sets.unite(r.lhs, r.rhs);
    // Clusters appear in the order of their most significant rule.
    std::vector<std::int64_t> slot(n_items, -1);
    std::vector<expose::cluster> out;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const auto root = sets.find(rules[i].lhs);
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

static_assert(ClusterPolicy<components> && JoiningClusters<components>);

}  // namespace expose::clusters
