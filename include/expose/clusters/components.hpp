#pragma once
// Connected components of the rule graph: items tied by any chain of rules form one cluster.

#include <algorithm>
#include <cstdint>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/clusters/join.hpp"
#include "expose/concepts.hpp"
#include "expose/detail/disjoint_sets.hpp"
#include "expose/rule.hpp"

namespace expose::clusters {

struct components {
  std::size_t min_items = 2;  ///< smaller clusters are not reported
  join_options join{};        ///< what the pipeline joins after cutting (clusters/join.hpp)

  [[nodiscard]] std::vector<expose::cluster> cluster(const std::vector<rule>& rules, [[maybe_unused]] std::size_t n_items) const {
    // Only the items of rules take part, numbered as met: the sets hold a few thousand entries
    // where a run holds a million items.
    boost::unordered_flat_map<std::uint32_t, std::uint32_t> node;
    for (const auto& r : rules)
      for (const auto i : {r.lhs, r.rhs}) node.try_emplace(i, static_cast<std::uint32_t>(node.size()));
    expose::detail::disjoint_sets<std::uint32_t> sets(node.size());
    for (const auto& r : rules) sets.unite(node.at(r.lhs), node.at(r.rhs));
    // Clusters appear in the order of their most significant rule.
    std::vector<std::int64_t> slot(node.size(), -1);
    std::vector<expose::cluster> out;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const auto root = sets.find(node.at(rules[i].lhs));
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
