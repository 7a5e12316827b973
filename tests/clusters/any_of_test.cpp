#include "expose/clusters/any_of.hpp"

#include <vector>

#include "doctest.hpp"
#include "expose/clusters/spectral.hpp"

using namespace expose;

namespace {
/// Two cliques of four items tied by one weak rule: components sees one cluster, spectral cuts it.
std::vector<rule> two_cliques_and_a_bridge() {
  std::vector<rule> rules;
  for (std::uint32_t base : {0u, 4u})
    for (std::uint32_t i = 0; i < 4; ++i)
      for (std::uint32_t j = i + 1; j < 4; ++j) {
        rule r;
        r.lhs = base + i, r.rhs = base + j, r.score = 0.5;
        rules.push_back(r);
      }
  rule bridge;
  bridge.lhs = 3, bridge.rhs = 4, bridge.score = 0.01;
  rules.push_back(bridge);
  return rules;
}
}  // namespace

static_assert(ClusterPolicy<clusters::any_of<clusters::components, clusters::spectral>>);

TEST_CASE("clusters.any_of.runs_the_chosen_policy") {
  const auto rules = two_cliques_and_a_bridge();
  using either = clusters::any_of<clusters::components, clusters::spectral>;
  const auto by_components = either{}.cluster(rules, 8);  // the first alternative by default
  const auto by_spectral = either{.chosen = clusters::spectral{}}.cluster(rules, 8);
  REQUIRE(by_components.size() == 1);
  CHECK(by_components[0].items == std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7});
  REQUIRE(by_spectral.size() == 2);
  CHECK(by_spectral[0].items == std::vector<std::uint32_t>{0, 1, 2, 3});
  CHECK(by_spectral[1].items == std::vector<std::uint32_t>{4, 5, 6, 7});
}
