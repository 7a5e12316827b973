#pragma once
// The ground truth of the demo trace (expose/synth/demo.hpp), so the accuracy harness can score it too.

#include <string>
#include <utility>
#include <vector>

#include "expose/address.hpp"
#include "expose/synth/demo.hpp"
#include "expose/synth/truth.hpp"

namespace expose::synth {

[[nodiscard]] inline ground_truth demo_truth(const demo& d) {
  ground_truth t;
  t.generator = "expose::synth::demo";
  t.seed = d.seed;
  t.start_ns = 1767600000LL * 1'000'000'000;
  t.end_ns = t.start_ns + d.duration.count() * 1'000'000'000;
  t.hosts = 100;
  t.noise_per_second = d.noise_per_second;
  t.heavy_flows = 1;
  auto lan = [](std::uint32_t host) { return ip_address::v4(0x0a000000u | host); };
  auto planted = [](std::string role, std::uint8_t pr, ip_address s, std::uint16_t sp, ip_address dst, std::uint16_t dp) {
    truth_member m;
    m.role = std::move(role);
    m.flow = expose::exact(flow_key{s, dst, sp, dp, pr});
    return m;
  };
  auto add = [&](std::string name, std::string paper, std::string what, bool background, std::vector<truth_member> members) {
    truth_pattern p;
    p.name = std::move(name);
    p.paper_rule = std::move(paper);
    p.description = std::move(what);
    p.background = background;
    p.members = std::move(members);
    t.patterns.push_back(std::move(p));
  };
  add("ntp-lockstep", "Client1.123 : NTP.123 <=> Client2.123 : NTP.123", "two NTP clients polling one server in lock step", false,
      {planted("client 1", proto::udp, lan(21), 123, lan(1), 123), planted("client 2", proto::udp, lan(22), 123, lan(1), 123)});
  add("im-msn-aol", "Host.* : MSNServ.1863 <=> Host.* : AOLServ.5190", "an IM client refreshing its MSN and AOL sessions together",
      false,
      {planted("msn session", proto::tcp, lan(30), 50100, ip_address::v4(0x40040001u), 1863),
       planted("aol session", proto::tcp, lan(30), 50101, ip_address::v4(0x400c0001u), 5190)});
  std::vector<truth_member> mdns;
  for (std::uint32_t h = 41; h <= 43; ++h)
    mdns.push_back(planted("advertisement to " + lan(h).to_string(), proto::udp, lan(40), 5353, lan(h), 5353));
  add("mdns-advert", "H1.5353 : H2.5353 <=> H1.5353 : H3.5353; H1.5353 : H4.5353", "a host advertising over mDNS to three others at once",
      false, std::move(mdns));
  add("heavy", "(none: always-on flows carry no information)", "one always-on flow, a packet every 50 ms each way", true,
      {planted("heavy flow", proto::tcp, lan(50), 40000, ip_address::v4(0xcb00710au), 443)});
  std::vector<truth_member> independent;
  for (std::uint32_t i = 0; i < 5; ++i)
    independent.push_back(planted("independent flow " + std::to_string(i + 1), proto::tcp, lan(60 + i), 5000, lan(2), 8080));
  add("independent", "(none: independently active flows)", "five flows, each active in about a quarter of the seconds, independently",
      true, std::move(independent));
  if (d.noise_per_second > 0) {
    truth_member m;
    m.role = "random connection";
    m.flow.key = {lan(0), ip_address::v4(0xc6336400u), 0, 443, proto::tcp};
    m.flow.slots = {slot::kept, slot::any, slot::kept, slot::kept, slot::kept};
    m.src_prefix = 24;
    m.dst_prefix = 24;
    add("noise", "(none: independent connections)", "random one-off connections from 10.0.0.100-199 to 198.51.100.0/24:443", true, {m});
  }
  return t;
}

}  // namespace expose::synth
