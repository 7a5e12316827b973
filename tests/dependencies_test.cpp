#include "expose/dependencies.hpp"

#include <sstream>

#include "doctest.hpp"
#include "expose/io/deps.hpp"
#include "fixtures.hpp"

using namespace expose;
using expose_test::ip;

namespace {
flow_pattern to(const char* client, const char* server, std::uint16_t port, std::uint8_t protocol) {
  flow_pattern p = exact(flow_key{ip(client), ip(server), 40000, port, protocol});
  p.set(field::src_port, slot::any);
  return p;
}
flow_pattern any_client(flow_pattern p) {
  p.set(field::src_ip, slot::var);
  return p;
}

/// Clients 1 and 2 look a name up, then fetch a page (two window rules and a host rule, the host
/// rule pooling 3 hosts); two NTP servers polled together, in no order; a rule between two
/// connections to one server on two ports (two services).
mine_result lookups_then_pages() {
  mine_result r;
  r.items = {to("10.0.0.1", "10.0.0.53", 53, 17), to("10.0.0.1", "10.0.0.80", 80, 6), to("10.0.0.2", "10.0.0.53", 53, 17),
             to("10.0.0.2", "10.0.0.80", 80, 6),  to("10.0.0.3", "10.0.0.123", 123, 17), to("10.0.0.4", "10.0.0.124", 123, 17),
             any_client(to("10.0.0.1", "10.0.0.53", 53, 17)), any_client(to("10.0.0.1", "10.0.0.80", 80, 6)),
             to("10.0.0.1", "10.0.0.80", 443, 6)};
  const auto timed = [](std::uint32_t l, std::uint32_t rr, rule_leads leads, delay_summary d) {
    rule x{l, rr, rule_kind::equivalent, 0.5, 0.5, {10, 10, 10, 100}};
    x.leads = leads;
    x.delay = d;
    return x;
  };
  r.rules = {timed(6, 7, rule_leads::lhs, {20, 18, 25, 300, 3}),   // the host rule: 3 hosts
             timed(0, 1, rule_leads::lhs, {22, 20, 24, 10}),       // client 1
             timed(3, 2, rule_leads::rhs, {-30, -35, -28, 10}),    // client 2, written page first
             timed(4, 5, rule_leads::together, {1, -3, 4, 12}),    // NTP: no order
             timed(1, 8, rule_leads::lhs, {5, 5, 5, 10})};         // port 80 then 443 of one server: two services
  r.rules[4].alike = 2;
  return r;
}
}  // namespace

TEST_CASE("dependencies.rules_rolled_up_into_services") {
  const auto deps = dependencies_of(lookups_then_pages());
  REQUIRE(deps.size() == 3);
  // The lookup, then the page: three rules (the host rule, both clients' own), at least 3 hosts,
  // the delays' sample-weighted medians (the host rule's 300 samples weigh most).
  CHECK(deps[0].first == service_of(to("10.0.0.9", "10.0.0.53", 53, 17)));
  CHECK(deps[0].then == service_of(to("10.0.0.9", "10.0.0.80", 80, 6)));
  CHECK(deps[0].ordered);
  CHECK(deps[0].rules == 3);
  CHECK(deps[0].hosts == 3);
  CHECK(deps[0].delay.median_ms == 20);
  CHECK(deps[0].delay.p25_ms == 18);
  CHECK(deps[0].delay.p75_ms == 25);
  CHECK(deps[0].delay.samples == 320);
  CHECK(deps[0].rule_indices == std::vector<std::size_t>{0, 1, 2});
  // NTP: together, two clients, from the lower service.
  CHECK_FALSE(deps[1].ordered);
  CHECK(deps[1].hosts == 2);
  // Port 80, then 443: with the two rules alike to it, 3 rules.
  CHECK(deps[2].rules == 3);
  std::ostringstream text;
  io::write_deps(text, lookups_then_pages());
  const auto t = text.str();
  CHECK(t.rfind("expose 0.1.0: 3 service dependencies from 5 rules", 0) == 0);
  CHECK(t.find("\n  10.0.0.53.53 : udp  =>     10.0.0.80.80 : tcp        3 rules      3 hosts   +20 ms (+18 ms to +25 ms, 320 samples)\n") !=
        std::string::npos);
  CHECK(t.find("\n  10.0.0.123.123 : udp  <=>  10.0.0.124.123 : udp") != std::string::npos);
  std::ostringstream one;
  io::write_deps(one, lookups_then_pages(), nullptr, 1);
  CHECK(one.str().find("\n  ... 2 more (--rules all, or --format json)\n") != std::string::npos);
}
