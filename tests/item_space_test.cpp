#include "expose/item_space.hpp"

#include <vector>

#include "doctest.hpp"

using namespace expose;

namespace {
// Three base flows and two generic items: {0, 2} and {1, 2}.
item_space two_generic_items() {
  item_space s;
  s.set_base(3);
  s.items.resize(5);
  s.generic_members = {{0, 2}, {1, 2}};
  return s;
}
std::vector<std::uint32_t> listed(const member_flows& m) { return {m.begin(), m.end()}; }
}  // namespace

TEST_CASE("item_space.a_base_item_covers_itself_without_a_list") {
  const item_space s = two_generic_items();
  CHECK(listed(s.members(0)) == std::vector<std::uint32_t>{0});
  CHECK(listed(s.members(2)) == std::vector<std::uint32_t>{2});
  CHECK(listed(s.members(3)) == std::vector<std::uint32_t>{0, 2});
  CHECK(listed(s.members(4)) == std::vector<std::uint32_t>{1, 2});
  CHECK(s.members(2).size() == 1);
  CHECK(s.members(2).front() == 2);
  CHECK(s.members(4)[1] == 2);
  // a copy of a base item's list holds the item itself, not a pointer into the original
  const member_flows a = s.members(1);
  const member_flows b = a;
  CHECK(b.begin() != a.begin());
  CHECK(listed(b) == std::vector<std::uint32_t>{1});
  // a generic item's list is a view of its member list
  CHECK(s.members(3).data() == s.generic_members[0].data());
  const std::span<const std::uint32_t> view = s.members(4);
  CHECK(view.size() == 2);
  CHECK(view[0] == 1);
}

TEST_CASE("item_space.overlap_and_covers_compare_flows") {
  const item_space s = two_generic_items();
  CHECK(s.overlap(3, 4));       // both hold flow 2
  CHECK(s.overlap(2, 4));       // a base item in a generic one
  CHECK_FALSE(s.overlap(0, 4));
  CHECK_FALSE(s.overlap(0, 1));
  CHECK(s.overlap(1, 1));
  CHECK(s.covers(3, 0));
  CHECK(s.covers(3, 2));
  CHECK_FALSE(s.covers(3, 1));
  CHECK_FALSE(s.covers(0, 3));
  CHECK_FALSE(s.covers(3, 4));
  CHECK(s.covers(2, 2));
}
