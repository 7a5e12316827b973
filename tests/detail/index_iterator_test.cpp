#include "expose/detail/index_iterator.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

#include "doctest.hpp"

namespace {
struct squares {  // a list that makes its elements on each access
  int n;
  [[nodiscard]] int operator[](std::size_t i) const { return static_cast<int>(i * i); }
  [[nodiscard]] expose::detail::index_iterator<squares, int> begin() const { return {this, 0}; }
  [[nodiscard]] expose::detail::index_iterator<squares, int> end() const { return {this, static_cast<std::size_t>(n)}; }
};
}  // namespace

TEST_CASE("detail.index_iterator.walks_a_list_of_values_at_random") {
  static_assert(std::random_access_iterator<expose::detail::index_iterator<squares, int>>);
  const squares s{5};
  CHECK(std::vector<int>(s.begin(), s.end()) == std::vector<int>{0, 1, 4, 9, 16});
  auto it = s.begin();
  CHECK(it[3] == 9);
  CHECK(*(it + 4) == 16);
  CHECK(*(s.end() - 2) == 9);
  CHECK(s.end() - s.begin() == 5);
  it += 2;
  CHECK(*it-- == 4);
  CHECK(*it == 1);
  CHECK(it < s.end());
  CHECK(std::lower_bound(s.begin(), s.end(), 9) - s.begin() == 3);
  CHECK(std::ranges::binary_search(s, 10) == false);
}
