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
             to("10.0.0.1", "10.0.0.80", 443, 6), to("10.0.0.5", "10.0.0.53", 53, 17), to("10.0.0.5", "10.0.0.80", 80, 6)};
  const auto timed = [](std::uint32_t l, std::uint32_t rr, rule_leads leads, delay_summary d) {
    rule x{l, rr, rule_kind::equivalent, 0.5, 0.5, {10, 10, 10, 100}};
    x.leads = leads;
    x.delay = d;
    return x;
  };
  r.rules = {timed(6, 7, rule_leads::lhs, {20, 18, 25, 300, 2}),   // the host rule: 2 hosts
             timed(0, 1, rule_leads::lhs, {22, 20, 24, 10}),       // client 1
             timed(3, 2, rule_leads::rhs, {-30, -35, -28, 10}),    // client 2, written page first
             timed(4, 5, rule_leads::together, {1, -3, 4, 12}),    // NTP: no order
             timed(1, 8, rule_leads::lhs, {5, 5, 5, 10}),          // port 80 then 443 of one server: two services
             timed(1, 8, rule_leads::lhs, {5, 5, 5, 10}),          // alike to it, twice (as mark_alike marks them)
             timed(1, 8, rule_leads::lhs, {5, 5, 5, 10}),
             timed(9, 10, rule_leads::lhs, {21, 20, 23, 10})};     // client 5: the same as client 1's rule
  r.rules[4].alike = 2;
  r.rules[5].alike_of = r.rules[6].alike_of = 4;
  r.rules[1].same_shape = 1;
  r.rules[7].same_shape_of = 1;
  return r;
}
}  // namespace

TEST_CASE("dependencies.rules_rolled_up_into_services") {
  const auto deps = dependencies_of(lookups_then_pages());
  REQUIRE(deps.size() == 3);
  // The lookup, then the page: four rules (the host rule, both clients' own and the one folded
  // into client 1's), at least 3 hosts (clients 1, 2 and 5: more than the host rule's 2), the
  // delays' sample-weighted medians over the listed rules (the host rule's 300 samples weigh most).
  CHECK(deps[0].first == service_of(to("10.0.0.9", "10.0.0.53", 53, 17)));
  CHECK(deps[0].then == service_of(to("10.0.0.9", "10.0.0.80", 80, 6)));
  CHECK(deps[0].ordered);
  CHECK(deps[0].rules == 4);
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
  CHECK(t.rfind("expose 0.1.0: 3 service dependencies from 8 rules", 0) == 0);
  CHECK(t.find("\n  10.0.0.53.53 : udp  =>     10.0.0.80.80 : tcp        4 rules      3 hosts   +20 ms (+18 ms to +25 ms, 320 samples)\n") !=
        std::string::npos);
  CHECK(t.find("\n  10.0.0.123.123 : udp  <=>  10.0.0.124.123 : udp") != std::string::npos);
  std::ostringstream one;
  io::write_deps(one, lookups_then_pages(), nullptr, 1);
  CHECK(one.str().find("\n  ... 2 more (--rules all, or --format json)\n") != std::string::npos);
}

TEST_CASE("dependencies.a_rule_alike_between_other_services_is_not_counted") {
  // Peers of a mesh: the rule between peers 1 and 2 is listed; one alike to it joins peers 3 and 4
  // (other services), one joins the same two services from another client. The dependency of
  // peers 1 and 2 counts its own rule and the second, not the first (before 2026-12-06: 3 rules).
  mine_result r;
  r.items = {to("10.0.0.9", "10.0.1.1", 6346, 6), to("10.0.0.9", "10.0.1.2", 6346, 6), to("10.0.0.9", "10.0.1.3", 6346, 6),
             to("10.0.0.9", "10.0.1.4", 6346, 6), to("10.0.0.8", "10.0.1.1", 6346, 6), to("10.0.0.8", "10.0.1.2", 6346, 6)};
  const rule x{0, 1, rule_kind::equivalent, 0.5, 0.5, {10, 10, 10, 100}};
  r.rules = {x, x, x};
  r.rules[1].lhs = 2;
  r.rules[1].rhs = 3;
  r.rules[2].lhs = 5;
  r.rules[2].rhs = 4;
  r.rules[0].alike = 2;
  r.rules[1].alike_of = r.rules[2].alike_of = 0;
  const auto deps = dependencies_of(r);
  REQUIRE(deps.size() == 1);
  CHECK(deps[0].first == service_of(r.items[0]));
  CHECK(deps[0].then == service_of(r.items[1]));
  CHECK(deps[0].rules == 2);
  CHECK(deps[0].hosts == 2);  // clients 10.0.0.9 and 10.0.0.8
  CHECK(deps[0].rule_indices == std::vector<std::size_t>{0});
}

TEST_CASE("dependencies.a_rule_over_servers_counts_its_clients_not_its_servers") {
  // One scanner probes port 1085 then port 50000 of three servers: a host rule whose variable is
  // the server ($S), its delays pooled over the 3 servers. One client shows the dependency (as
  // nfpuzzle_evidence04's scan read "3 hosts" on every line before).
  mine_result r;
  const auto any_server = [](flow_pattern p) {
    p.set(field::dst_ip, slot::var);
    return p;
  };
  r.items = {any_server(to("10.42.42.253", "10.42.42.25", 1085, 6)), any_server(to("10.42.42.253", "10.42.42.25", 50000, 6))};
  rule x{0, 1, rule_kind::equivalent, 0.5, 0.5, {10, 10, 10, 100}};
  x.leads = rule_leads::lhs;
  x.delay = {3.3, 1.6, 3.7, 10, 3};
  r.rules = {x};
  const auto deps = dependencies_of(r);
  REQUIRE(deps.size() == 1);
  CHECK(deps[0].hosts == 1);
  CHECK(deps[0].delay.samples == 10);
}
