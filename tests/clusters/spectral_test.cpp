#include "expose/clusters/spectral.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include "doctest.hpp"
#include "expose/clusters/components.hpp"

using namespace expose;

namespace {
rule edge(std::uint32_t a, std::uint32_t b, double score) {
  rule r;
  r.lhs = a;
  r.rhs = b;
  r.score = score;
  return r;
}
// Cliques of `size` items each (ids from `first`), every pair a rule of `score`, and a weak rule
// from each clique's first item to the next clique's.
std::vector<rule> cliques(std::uint32_t count, std::uint32_t size, double score, double weak) {
  std::vector<rule> out;
  for (std::uint32_t c = 0; c < count; ++c)
    for (std::uint32_t i = 0; i < size; ++i)
      for (std::uint32_t j = i + 1; j < size; ++j) out.push_back(edge(c * size + i, c * size + j, score));
  for (std::uint32_t c = 0; c + 1 < count; ++c) out.push_back(edge(c * size, (c + 1) * size, weak));
  return out;
}
}  // namespace

TEST_CASE("clusters.spectral.two_cliques_joined_by_a_weak_rule_are_two_clusters") {
  const auto rules = cliques(2, 4, 0.3, 0.01);
  // Components see one cluster; the cut between the cliques has conductance 0.01 / 3.61 = 0.003.
  CHECK(clusters::components{}.cluster(rules, 8).size() == 1);
  const auto c = clusters::spectral{}.cluster(rules, 8);
  REQUIRE(c.size() == 2);
  CHECK(c[0].items == std::vector<std::uint32_t>{0, 1, 2, 3});
  CHECK(c[0].rules == std::vector<std::size_t>{0, 1, 2, 3, 4, 5});
  CHECK(c[1].items == std::vector<std::uint32_t>{4, 5, 6, 7});
  CHECK(c[1].rules == std::vector<std::size_t>{6, 7, 8, 9, 10, 11});  // the weak rule 12 joins none
}

TEST_CASE("clusters.spectral.a_strong_link_keeps_them_together") {
  const auto rules = cliques(2, 4, 0.3, 0.3);  // the cut: 0.3 over a side of volume 12 x 0.3 + 0.3, conductance 0.077
  CHECK(clusters::spectral{.max_conductance = 0.01}.cluster(rules, 8).size() == 1);
  CHECK(clusters::spectral{.max_conductance = 0.1}.cluster(rules, 8).size() == 2);
}

TEST_CASE("clusters.spectral.a_clique_and_a_star_are_never_cut") {
  CHECK(clusters::spectral{}.cluster(cliques(1, 6, 0.2, 0), 6).size() == 1);
  std::vector<rule> star;
  for (std::uint32_t leaf = 1; leaf < 8; ++leaf) star.push_back(edge(0, leaf, 0.1 * leaf));
  const auto c = clusters::spectral{}.cluster(star, 8);
  REQUIRE(c.size() == 1);
  CHECK(c[0].items.size() == 8);
}

TEST_CASE("clusters.spectral.the_sparse_solver_agrees_with_the_dense_one") {
  // 40 cliques of 10 in a chain of weak rules: 400 items, above dense_below when it is 100.
  const auto rules = cliques(40, 10, 0.2, 0.002);
  const auto dense = clusters::spectral{.dense_below = 1000}.cluster(rules, 400);
  const auto sparse = clusters::spectral{.dense_below = 100}.cluster(rules, 400);
  REQUIRE(dense.size() == 40);
  REQUIRE(sparse.size() == 40);
  for (std::size_t k = 0; k < 40; ++k) {
    CHECK(dense[k].items == sparse[k].items);
    CHECK(dense[k].items.size() == 10);
    CHECK(dense[k].items.front() == 10 * k);  // in the order of their most significant rule
  }
}

TEST_CASE("clusters.spectral.deterministic_and_empty") {
  const auto rules = cliques(5, 6, 0.25, 0.005);
  const auto a = clusters::spectral{}.cluster(rules, 30);
  const auto b = clusters::spectral{}.cluster(rules, 30);
  REQUIRE(a.size() == 5);  // the five planted cliques: two empty results would prove nothing
  REQUIRE(a.size() == b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    CHECK(a[k].items == b[k].items);
    CHECK(a[k].rules == b[k].rules);
  }
  CHECK(clusters::spectral{}.cluster({}, 0).empty());
}
