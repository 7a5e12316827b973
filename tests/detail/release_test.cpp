#include "expose/detail/release.hpp"

#include <cstdint>
#include <vector>

#include <boost/unordered/unordered_flat_set.hpp>

#include "doctest.hpp"

using namespace expose;

TEST_CASE("detail.release.frees_the_memory") {
  // `v = {}` picks the initializer-list assignment, which empties the vector; libstdc++ keeps its
  // memory (the standard leaves it open). release() frees it.
  std::vector<std::uint32_t> v(1000, 7);
  detail::release(v);
  CHECK(v.empty());
  CHECK(v.capacity() == 0);

  boost::unordered_flat_set<std::uint32_t> s;
  for (std::uint32_t i = 0; i < 1000; ++i) s.insert(i);
  detail::release(s);
  CHECK(s.empty());
  CHECK(s.bucket_count() == 0);
}
