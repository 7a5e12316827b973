// custom-template: a template of your own in a few lines, composed into a pipeline.
//
// "Which servers does one client reach on the same port at the same time?" keeps the client and
// the server port and wildcards the client port and the server: `10.1.0.5.* : *.443 : tcp`.
// Here it runs beside the paper's same-client template on an in-memory trace made in code.

#include <chrono>
#include <iostream>
#include <random>
#include <vector>

#include "expose/expose.hpp"

namespace ex = expose;
using namespace std::chrono_literals;

// The template: every field kept except these two.
using client_to_any_server = ex::lattice::shape<ex::lattice::any<ex::fields::src_port>, ex::lattice::any<ex::fields::dst_ip>>;

int main() {
  // A client that, every few seconds, opens HTTPS to one of several CDN hosts and, at once, DNS.
  std::vector<ex::packet> trace;
  std::mt19937_64 rng(5);  // a fixed seed: the same trace every run
  std::bernoulli_distribution busy(0.15);
  std::uniform_int_distribution<std::uint32_t> cdn_host(0, 19);
  for (std::int64_t s = 0; s < 600; ++s) {
    if (!busy(rng)) continue;
    ex::packet dns;
    dns.ts_ns = s * 1'000'000'000;
    dns.src = ex::ip_address::v4(0x0a010005u);
    dns.dst = ex::ip_address::v4(0x0a000035u);
    dns.sport = static_cast<std::uint16_t>(40000 + s);
    dns.dport = 53;
    dns.proto = ex::proto::udp;
    ex::packet web = dns;
    web.ts_ns += 20'000'000;
    web.dst = ex::ip_address::v4(0xc6336400u + cdn_host(rng));  // 198.51.100.x
    web.dport = 443;
    web.proto = ex::proto::tcp;
    web.tcp_flags = ex::tcp_flag::syn;
    trace.push_back(dns);
    trace.push_back(web);
  }
  const auto spec = ex::key_by(ex::keys::five_tuple{}) | ex::window_by(ex::windows::tumbling{1s}) |
                    ex::generalize_by(ex::lattice::templates<client_to_any_server, ex::lattice::client_port>{});
  const auto result = ex::mine(trace, spec);
  for (const auto& r : result.rules) std::cout << ex::io::rule_text(result, r) << "\n";
  return result.rules.empty() ? 1 : 0;
}
