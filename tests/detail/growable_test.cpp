#include "expose/detail/growable.hpp"

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "doctest.hpp"
#include "expose/detail/release.hpp"

using expose::detail::growable;

TEST_CASE("detail.growable.keeps_every_value_as_it_grows") {
  growable<std::uint64_t> g;
  CHECK(g.empty());
  for (std::uint64_t i = 0; i < 100000; ++i) g.push_back(i * 3);
  REQUIRE(g.size() == 100000);
  CHECK(g.capacity() >= 100000);
  bool all = true;
  for (std::size_t i = 0; i < g.size(); ++i) all = all && g[i] == i * 3;
  CHECK(all);
  CHECK(g.back() == 99999 * 3);
  const std::span<const std::uint64_t> view = g;
  CHECK(view.size() == 100000);
  CHECK(view[7] == 21);
}

TEST_CASE("detail.growable.resize_fills_and_cuts") {
  growable<std::int64_t> g;
  g.resize(3, -1);
  g.push_back(5);
  g.resize(6, 9);
  CHECK(std::vector<std::int64_t>(g.begin(), g.end()) == std::vector<std::int64_t>{-1, -1, -1, 5, 9, 9});
  g.resize(2);
  CHECK(std::vector<std::int64_t>(g.begin(), g.end()) == std::vector<std::int64_t>{-1, -1});
  g.resize(3);  // a new value is value-initialized
  CHECK(g[2] == 0);
  g.shrink_to_fit();
  CHECK(g.capacity() == 3);
  g.clear();
  g.shrink_to_fit();
  CHECK(g.capacity() == 0);
  CHECK(g.data() == nullptr);
}

TEST_CASE("detail.growable.moves_and_is_released") {
  growable<std::uint32_t> a;
  a.push_back(1);
  a.push_back(2);
  const auto* held = a.data();
  growable<std::uint32_t> b = std::move(a);
  CHECK(b.data() == held);  // the block moves, the values stay where they are
  CHECK(b.size() == 2);
  CHECK(a.size() == 0);  // NOLINT(bugprone-use-after-move): a moved-from list is empty
  growable<std::uint32_t> c;
  c.push_back(7);
  c = std::move(b);
  CHECK(c.size() == 2);
  CHECK(c[1] == 2);
  expose::detail::release(c);
  CHECK(c.capacity() == 0);
}
