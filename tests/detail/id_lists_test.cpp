#include "expose/detail/id_lists.hpp"

#include <cstdint>
#include <vector>

#include "doctest.hpp"
#include "expose/detail/release.hpp"

using expose::detail::id_lists;

TEST_CASE("detail.id_lists.give_back_every_list_as_added") {
  id_lists lists;
  const std::vector<std::uint32_t> a{0, 1, 2, 130, 16514, 16515};
  const std::vector<std::uint32_t> b{};
  const std::vector<std::uint32_t> c{127, 255, 16638, 2113790, 270549118, UINT32_MAX};
  const std::vector<std::uint32_t> d{7};
  CHECK(lists.add(a) == 0);
  CHECK(lists.add(b) == 1);
  CHECK(lists.add(c) == 2);
  CHECK(lists.add(d) == 3);
  REQUIRE(lists.lists() == 4);
  CHECK(lists.get(0) == a);
  CHECK(lists.get(1) == b);
  CHECK(lists.get(2) == c);
  CHECK(lists.get(3) == d);
  CHECK(lists.size(0) == 6);
  CHECK(lists.size(1) == 0);
  CHECK(lists.size(2) == 6);
  CHECK(lists.front(0) == 0);
  CHECK(lists.front(2) == 127);
  CHECK(lists.front(3) == 7);
  // a gap takes one byte up to 127, two up to 16383, three up to 2^21 - 1, four up to 2^28 - 1,
  // five beyond: a's gaps 0, 1, 1, 128, 16384, 1; c's 127, 128, 16383, 2^21, 2^28, the rest
  CHECK(lists.bytes() == (1 + 1 + 1 + 2 + 3 + 1) + (1 + 2 + 2 + 4 + 5 + 4) + 1);
  std::vector<std::uint32_t> into{99, 98};
  lists.get(2, into);
  CHECK(into == c);
  std::vector<std::uint32_t> seen;
  lists.for_each(0, [&](std::uint32_t id) { seen.push_back(id); });
  CHECK(seen == a);
}

TEST_CASE("detail.id_lists.a_million_ids_in_a_list_among_many") {
  id_lists lists;
  std::vector<std::uint32_t> big;
  for (std::uint32_t i = 0; i < 1000000; ++i) big.push_back(i * 37 + (i % 3));
  for (std::uint32_t k = 0; k < 1000; ++k) lists.add(std::vector<std::uint32_t>{k, k + 1000});
  CHECK(lists.add(big) == 1000);
  CHECK(lists.get(1000) == big);
  CHECK(lists.get(999) == std::vector<std::uint32_t>{999, 1999});
  // the small lists: a first gap of k (one byte below 128, else two) and one of 1000 (two);
  // the big one: 0, then gaps of 35 to 38 (a byte each)
  CHECK(lists.bytes() == (128 * 1 + 872 * 2 + 1000 * 2) + 1000000);
  expose::detail::release(lists);
  CHECK(lists.lists() == 0);
  CHECK(lists.bytes() == 0);
}
