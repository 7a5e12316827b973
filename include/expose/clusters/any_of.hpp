#pragma once
// A cluster policy chosen at run time among several: one pipeline type serves every choice, so a
// tool that lets the user pick the policy instantiates the mining job once, not once per policy.
//
//   clusters::any_of<clusters::components, clusters::spectral> c{.chosen = clusters::spectral{}, .join = join};
//
// The join after the cut (clusters/join.hpp) is any_of's own `join`; the alternatives' are not used.

#include <cstddef>
#include <variant>
#include <vector>

#include "expose/clusters/components.hpp"
#include "expose/clusters/join.hpp"
#include "expose/concepts.hpp"
#include "expose/rule.hpp"

namespace expose::clusters {

template <ClusterPolicy... Policies>
struct any_of {
  std::variant<Policies...> chosen{};
  join_options join{};  ///< what the pipeline joins after the chosen policy's cut

  [[nodiscard]] std::vector<expose::cluster> cluster(const std::vector<rule>& rules, std::size_t n_items) const {
    return std::visit([&](const auto& policy) { return policy.cluster(rules, n_items); }, chosen);
  }
};

static_assert(ClusterPolicy<any_of<components>> && JoiningClusters<any_of<components>>);

}  // namespace expose::clusters
