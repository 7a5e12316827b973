#include "expose/detail/gallop.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "doctest.hpp"

using namespace expose;

namespace {
/// `n` distinct values below `range`, ascending.
std::vector<std::uint32_t> sorted_distinct(std::mt19937& rng, std::size_t n, std::uint32_t range) {
  std::set<std::uint32_t> s;
  while (s.size() < n) s.insert(static_cast<std::uint32_t>(rng() % range));
  return std::vector<std::uint32_t>(s.begin(), s.end());
}
}  // namespace

TEST_CASE("detail.gallop.finds_the_first_not_less") {
  const std::vector<std::uint32_t> v{2, 3, 5, 8, 13, 21, 34};
  CHECK(detail::gallop(v.begin(), v.end(), 1u) == v.begin());
  CHECK(detail::gallop(v.begin(), v.end(), 2u) == v.begin());
  CHECK(detail::gallop(v.begin(), v.end(), 9u) == v.begin() + 4);
  CHECK(detail::gallop(v.begin(), v.end(), 34u) == v.begin() + 6);
  CHECK(detail::gallop(v.begin(), v.end(), 35u) == v.end());
  // from a later start, what lies before it is not looked at
  CHECK(detail::gallop(v.begin() + 3, v.end(), 1u) == v.begin() + 3);
  CHECK(detail::gallop(v.begin() + 3, v.end(), 22u) == v.begin() + 6);
  CHECK(detail::gallop(v.end(), v.end(), 1u) == v.end());
  const std::vector<std::uint32_t> none;
  CHECK(detail::gallop(none.begin(), none.end(), 1u) == none.end());
}

TEST_CASE("detail.each_common.the_positions_of_few_that_many_holds") {
  const std::vector<std::uint32_t> few{3, 8, 40};
  std::vector<std::size_t> at;
  detail::each_common(few, std::vector<std::uint32_t>{1, 3, 4, 5, 6, 7, 9, 40, 41}, [&](std::size_t i) { at.push_back(i); });
  CHECK(at == std::vector<std::size_t>{0, 2});
  at.clear();  // the other way round: `many` shorter than `few`
  detail::each_common(few, std::vector<std::uint32_t>{8}, [&](std::size_t i) { at.push_back(i); });
  CHECK(at == std::vector<std::size_t>{1});
  at.clear();
  detail::each_common(few, std::vector<std::uint32_t>{}, [&](std::size_t i) { at.push_back(i); });
  CHECK(at.empty());

  // Against a set intersection, over lists of every ratio of lengths.
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    const auto a = sorted_distinct(rng, rng() % 50, 1000), b = sorted_distinct(rng, rng() % 900, 1000);
    std::vector<std::size_t> want;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (std::binary_search(b.begin(), b.end(), a[i])) want.push_back(i);
    std::vector<std::size_t> got;
    detail::each_common(a, b, [&](std::size_t i) { got.push_back(i); });
    CHECK(got == want);
    got.clear();  // `few` longer than `many`: the positions are still those of `few`
    std::vector<std::size_t> want_b;
    for (std::size_t i = 0; i < b.size(); ++i)
      if (std::binary_search(a.begin(), a.end(), b[i])) want_b.push_back(i);
    detail::each_common(b, a, [&](std::size_t i) { got.push_back(i); });
    CHECK(got == want_b);
  }
}

TEST_CASE("detail.includes.whether_every_value_of_inner_is_in_outer") {
  const std::vector<std::uint32_t> outer{2, 3, 5, 8, 13, 21, 34};
  CHECK(detail::includes(outer, std::vector<std::uint32_t>{}));
  CHECK(detail::includes(outer, std::vector<std::uint32_t>{2, 34}));
  CHECK(detail::includes(outer, outer));
  CHECK_FALSE(detail::includes(outer, std::vector<std::uint32_t>{1}));       // before the first
  CHECK_FALSE(detail::includes(outer, std::vector<std::uint32_t>{3, 9}));    // between two
  CHECK_FALSE(detail::includes(outer, std::vector<std::uint32_t>{34, 35}));  // past the last
  CHECK_FALSE(detail::includes(std::vector<std::uint32_t>{}, std::vector<std::uint32_t>{1}));

  // Against std::includes, over lists of every ratio of lengths, inner drawn from outer or not.
  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    const auto o = sorted_distinct(rng, rng() % 900, 1000);
    std::vector<std::uint32_t> in;
    for (auto v : o)
      if (rng() % 8 == 0) in.push_back(v);
    if (round % 2 == 1 && !in.empty()) in[rng() % in.size()] += 1;  // may now be a value outer lacks
    std::sort(in.begin(), in.end());
    in.erase(std::unique(in.begin(), in.end()), in.end());
    CHECK(detail::includes(o, in) == std::includes(o.begin(), o.end(), in.begin(), in.end()));
  }
}
