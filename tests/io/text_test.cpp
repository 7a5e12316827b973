#include "expose/io/text.hpp"

#include <sstream>

#include "doctest.hpp"
#include "expose/pipeline.hpp"
#include "expose/synth/demo.hpp"

using namespace expose;

TEST_CASE("io.text.patterns_first") {
  const auto r = mine(synth::demo{.seed = 1}.packets(), pipeline<>{});
  std::ostringstream s;
  io::write_text(s, r);
  const std::string t = s.str();
  CHECK(t.rfind("expose 0.1.0: 30158 packets, 30158 decoded; 1213 flows, 1561 items; 600 windows of 1 s\n", 0) == 0);
  CHECK(t.find("\n3 patterns, most significant first, from 3 rules (+2 alike) (score: J-measure in bits;") != std::string::npos);
  // Each pattern: its summary, counts and time, an activity strip, its best rules.
  CHECK(t.find("\npattern 1: {10.0.0.21,10.0.0.22}.123 : 10.0.0.1.123 : udp \u2014 clique of 2\n"
               "  2 flows, 3 hosts, 1 rule; 2026-01-05 08:00:00 to 08:09:57 UTC, active in 136 of 600 windows\n  |") != std::string::npos);
  // client 1 polls first, client 2 a median of 22 ms after it
  CHECK(t.find("\n   1  0.4854     136/136     10.0.0.21.123 : 10.0.0.1.123 : udp <=> 10.0.0.22.123 : 10.0.0.1.123 : udp   (+22 ms)\n") !=
        std::string::npos);
  // The mDNS clique: its three flows are active in the same 57 windows, so its three rules say one
  // thing; the first is shown, the two alike to it are counted.
  CHECK(t.find("\npattern 3: 10.0.0.40.5353 : {10.0.0.41,10.0.0.42,10.0.0.43}.5353 : udp \u2014 clique of 3\n  3 flows, 4 hosts, 1 rule (+2 "
               "alike);") != std::string::npos);
  CHECK(t.find("\n   3  0.3226      57/57      10.0.0.40.5353 : 10.0.0.43.5353 : udp <=> 10.0.0.40.5353 : 10.0.0.42.5353 : udp   (together)   [+2 "
               "alike]\n") != std::string::npos);
  CHECK(t.find("rules, most significant first") == std::string::npos);  // no full list by default
  // Fewer rules a pattern: the rest are counted, and every rule is still there on request.
  mine_result unfolded = r;
  for (auto& x : unfolded.rules) x.alike_of = rule::not_alike, x.alike = 0;
  std::ostringstream one, all;
  io::write_text(one, unfolded, {.rules_per_pattern = 1});
  CHECK(one.str().find("\n        ... 2 more (--rules all, or --format json)\n") != std::string::npos);
  io::write_text(all, r, {.rules_per_pattern = 1, .all_rules = true});
  const std::string a = all.str();
  CHECK(a.find("\n3 rules (+2 alike), most significant first") != std::string::npos);
  CHECK(a.find("\n   4  ") == std::string::npos);  // alike: counted, not listed
  CHECK(a.find("... 2 more") == std::string::npos);
  CHECK(a.find("\nthe flows of each pattern\npattern 1\n    10.0.0.21.123 : 10.0.0.1.123 : udp\n    10.0.0.22.123 : 10.0.0.1.123 : udp\n") !=
        std::string::npos);
}

TEST_CASE("io.text.the_strip_shows_when") {
  std::vector<std::uint32_t> timeline(60, 0);
  timeline[0] = 8;
  timeline[30] = 4;
  timeline[59] = 1;
  // The busiest 60th full, half as busy half as high, an eighth the lowest mark, none blank.
  CHECK(io::detail::strip(timeline) == "\u2588" + std::string(29, ' ') + "\u2584" + std::string(28, ' ') + "\u2581");
}

TEST_CASE("io.text.skips_and_damage_are_said") {
  mine_result r;
  r.input.packets = 10;
  r.input.decoded = 7;
  r.input.skipped = {{"non-ip", 2}, {"truncated", 1}};
  r.input.damaged = true;
  r.window_seconds = 0.25;
  std::ostringstream s;
  io::write_text(s, r);
  CHECK(s.str() ==
        "expose 0.1.0: 10 packets, 7 decoded, 3 skipped (non-ip 2, truncated 1); 0 flows, 0 items; 0 windows of 0.25 s\n"
        "warning: the input is damaged; these results cover what was read before the damage\n"
        "\n0 rules, most significant first (score: J-measure in bits; support: samples with both sides / samples with the left side)\n");
}
