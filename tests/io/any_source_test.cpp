#include "expose/io/any_source.hpp"

#include <chrono>
#include <vector>

#include "doctest.hpp"
#include "expose/io/text.hpp"
#include "expose/pipeline.hpp"
#include "expose/synth/demo.hpp"

using namespace expose;
using namespace std::chrono_literals;

namespace {
/// A source that counts its reads and says so in the stats.
struct counting_source {
  std::vector<packet> packets;
  int* reads;
  template <class Sink>
  void read(Sink&& sink, input_stats& stats) {
    ++*reads;
    for (const auto& p : packets) {
      ++stats.packets;
      ++stats.decoded;
      sink(p);
    }
    stats.skipped["counted"] = 1;
  }
};
}  // namespace

TEST_CASE("io.any_source.forwards_every_packet_and_the_stats") {
  int reads = 0;
  const auto trace = synth::demo{.seed = 2, .duration = 60s}.packets();
  io::any_source src(counting_source{trace, &reads});
  std::vector<packet> seen;
  input_stats stats;
  src.read([&](const packet& p) { seen.push_back(p); }, stats);
  CHECK(reads == 1);
  REQUIRE(seen.size() == trace.size());
  CHECK(seen.front().ts_ns == trace.front().ts_ns);
  CHECK(seen.back().ts_ns == trace.back().ts_ns);
  CHECK(stats.packets == trace.size());
  CHECK(stats.skipped.at("counted") == 1);
}

TEST_CASE("io.any_source.mines_as_the_source_it_holds") {
  int reads = 0;
  const auto trace = synth::demo{.seed = 1}.packets();
  const auto direct = mine(trace, pipeline<>{});
  const auto erased = mine(io::any_source(counting_source{trace, &reads}), pipeline<>{});
  CHECK(reads == 1);
  REQUIRE(direct.rules.size() == 5);  // the demo's planted rules
  REQUIRE(erased.rules.size() == direct.rules.size());
  for (std::size_t i = 0; i < direct.rules.size(); ++i) CHECK(io::rule_text(erased, erased.rules[i]) == io::rule_text(direct, direct.rules[i]));
  CHECK(erased.input.skipped.at("counted") == 1);
}
