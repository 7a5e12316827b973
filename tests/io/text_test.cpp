#include "expose/io/text.hpp"

#include <sstream>

#include "doctest.hpp"
#include "expose/synth/demo.hpp"

using namespace expose;

TEST_CASE("io.text.summary_rules_clusters") {
  const auto r = mine(synth::demo{.seed = 1}.packets(), pipeline<>{});
  std::ostringstream s;
  io::write_text(s, r);
  const std::string t = s.str();
  CHECK(t.rfind("expose 0.1.0: 30158 packets, 30158 decoded; 1213 flows, 1561 items; 600 windows of 1 s\n", 0) == 0);
  CHECK(t.find("\n5 rules, most significant first") != std::string::npos);
  CHECK(t.find("\n   1  0.4854     136/136     10.0.0.21.123 : 10.0.0.1.123 : udp <=> 10.0.0.22.123 : 10.0.0.1.123 : udp\n") !=
        std::string::npos);
  CHECK(t.find("\n3 clusters of the rule graph\ncluster 0: 2 flows, 1 rule (rules 1)\n  {10.0.0.21,10.0.0.22}.123 : 10.0.0.1.123 : udp \u2014 clique of 2\n    10.0.0.21.123 : 10.0.0.1.123 : udp\n") !=
        std::string::npos);
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
