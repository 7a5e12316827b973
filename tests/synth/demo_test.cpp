#include "expose/synth/demo.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "doctest.hpp"
#include "expose/error.hpp"

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

TEST_CASE("synth.demo.refuses_a_trace_too_long_to_hold") {
  // The demo trace is made whole in memory: 2000 hours, or an hour at a million connections a
  // second, stopped expose-synth --demo with bad_alloc.
  const synth::demo fits{.seed = 1, .duration = 600s};
  CHECK_NOTHROW(fits.check());
  const auto n = static_cast<double>(fits.packets().size());
  CHECK(std::abs(fits.expected_packets() - n) < n / 100);  // the estimate the limit is checked on
  const synth::demo too_long{.duration = std::chrono::hours(2000)};
  CHECK(too_long.expected_packets() > synth::demo::max_packets);
  CHECK_THROWS_AS(too_long.check(), bad_argument);
  CHECK_THROWS_AS((void)too_long.packets(), bad_argument);
  const synth::demo too_noisy{.duration = 3600s, .noise_per_second = 1e6}, noisy{.duration = 3600s, .noise_per_second = 900};
  CHECK_THROWS_AS((void)too_noisy.packets(), bad_argument);
  CHECK_NOTHROW(noisy.check());
  CHECK_THROWS_AS(synth::demo{.noise_per_second = 1e-9}.check(), bad_argument);
}
