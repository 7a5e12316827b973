#include "expose/synth/demo.hpp"

#include <algorithm>

#include "doctest.hpp"

using namespace expose;
using namespace std::chrono_literals;

TEST_CASE("synth.demo.deterministic_by_seed") {
  const auto a = synth::demo{.seed = 3, .duration = 60s}.packets();
  const auto b = synth::demo{.seed = 3, .duration = 60s}.packets();
  const auto c = synth::demo{.seed = 4, .duration = 60s}.packets();
  REQUIRE(a.size() == b.size());
  CHECK(std::equal(a.begin(), a.end(), b.begin(), [](const packet& x, const packet& y) {
    return x.ts_ns == y.ts_ns && x.src == y.src && x.dst == y.dst && x.sport == y.sport && x.dport == y.dport;
  }));
  CHECK_FALSE(std::equal(a.begin(), a.end(), c.begin(), c.end(), [](const packet& x, const packet& y) { return x.ts_ns == y.ts_ns; }));
}

TEST_CASE("synth.demo.time_ordered_within_the_duration") {
  const auto p = synth::demo{.seed = 1, .duration = 120s, .noise_per_second = 0}.packets();
  REQUIRE_FALSE(p.empty());
  CHECK(std::is_sorted(p.begin(), p.end(), [](const packet& x, const packet& y) { return x.ts_ns < y.ts_ns; }));
  CHECK(p.front().ts_ns >= 1767600000LL * 1'000'000'000);
  CHECK(p.back().ts_ns < (1767600000LL + 120) * 1'000'000'000);
}
