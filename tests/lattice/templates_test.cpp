#include "expose/lattice/templates.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "doctest.hpp"
#include "fixtures.hpp"
#include "expose/detail/random.hpp"
#include "expose/flow_table.hpp"
#include "expose/io/text.hpp"
#include "expose/pipeline.hpp"
#include "expose/synth/generator.hpp"

using namespace expose;
using expose_test::sec;

namespace {
struct trace_builder {
  std::vector<packet> packets;
  detail::splitmix64 rng{42};
  std::uint16_t next_port = 40000;

  static ip_address ip(const char* s) { return *ip_address::parse(s); }
  std::uint16_t fresh() { return next_port = static_cast<std::uint16_t>(next_port == 65000 ? 40000 : next_port + 1); }
  // A connection attempt: a SYN (and nothing else), so the client is the initiator.
  void syn(std::int64_t t, const char* c, std::uint16_t cp, const char* s, std::uint16_t sp) {
    packets.push_back(expose_test::make_packet(t, c, cp, s, sp, proto::tcp));
  }
  void udp(std::int64_t t, const char* c, std::uint16_t cp, const char* s, std::uint16_t sp) {
    packets.push_back(expose_test::make_packet(t, c, cp, s, sp, proto::udp, 80));
  }
  // Background: random one-off connections from many clients to many servers.
  void noise(std::int64_t seconds, int per_second) {
    for (std::int64_t s = 0; s < seconds; ++s)
      for (int i = 0; i < per_second; ++i) {
        const std::string c = "172.16.0." + std::to_string(1 + rng.below(200));
        const std::string v = "198.51.100." + std::to_string(1 + rng.below(200));
        syn(s * sec + static_cast<std::int64_t>(rng.below(1000)) * 1'000'000, c.c_str(), fresh(), v.c_str(), 443);
      }
  }
  std::vector<std::string> mine_texts() {
    std::sort(packets.begin(), packets.end(), [](const packet& a, const packet& b) { return a.ts_ns < b.ts_ns; });
    const auto r = mine(packets, pipeline<>{});
    std::vector<std::string> out;
    for (const auto& x : r.rules) out.push_back(io::rule_text(r, x));
    return out;
  }
};
}  // namespace

TEST_CASE("lattice.templates.ssh_scan_of_three_routers") {
  // Scanners hit three routers' ssh within one second, from fresh ports, at random times.
  trace_builder b;
  const char* scanners[] = {"203.0.113.5", "203.0.113.9", "203.0.113.77"};
  for (std::int64_t s = 0; s < 600; ++s) {
    if (!b.rng.chance(0.08)) continue;
    const char* a = scanners[b.rng.below(3)];
    for (const char* r : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) b.syn(s * sec + 100'000'000, a, b.fresh(), r, 22);
  }
  b.noise(600, 3);
  const auto rules = b.mine_texts();
  REQUIRE(rules.size() == 3);
  CHECK(rules[0] == "$A.* : 10.0.0.2.22 : tcp <=> $A.* : 10.0.0.1.22 : tcp");
  CHECK(rules[1] == "$A.* : 10.0.0.2.22 : tcp <=> $A.* : 10.0.0.3.22 : tcp");
  CHECK(rules[2] == "$A.* : 10.0.0.1.22 : tcp <=> $A.* : 10.0.0.3.22 : tcp");
}

TEST_CASE("lattice.templates.mail_server_to_two_dead_hosts") {
  trace_builder b;
  for (std::int64_t s = 0; s < 600; ++s) {
    if (!b.rng.chance(0.1)) continue;
    b.syn(s * sec, "18.7.22.69", b.fresh(), "10.0.5.25", 25);
    b.syn(s * sec + 2'000'000, "18.7.22.69", b.fresh(), "10.0.5.26", 25);
  }
  b.noise(600, 3);
  const auto rules = b.mine_texts();
  REQUIRE(rules.size() == 1);
  CHECK(rules[0] == "18.7.22.69.* : 10.0.5.25.25 : tcp <=> 18.7.22.69.* : 10.0.5.26.25 : tcp");
}

TEST_CASE("lattice.templates.name_lookup_before_web_per_client") {
  trace_builder b;
  for (int c = 1; c <= 20; ++c) {
    const std::string client = "10.1.0." + std::to_string(c);
    for (std::int64_t s = 0; s < 600; ++s) {
      if (!b.rng.chance(0.03)) continue;
      b.udp(s * sec, client.c_str(), b.fresh(), "10.0.0.53", 53);
      b.syn(s * sec + 30'000'000, client.c_str(), b.fresh(), "10.0.0.80", 80);
    }
  }
  b.noise(600, 3);
  const auto rules = b.mine_texts();
  REQUIRE(rules.size() == 1);
  CHECK(rules[0] == "$A.* : 10.0.0.53.53 : udp <=> $A.* : 10.0.0.80.80 : tcp");
}

TEST_CASE("lattice.templates.ftp_data_comes_with_its_control_connection") {
  // One long control connection; passive data connections to high ports while it is active.
  trace_builder b;
  for (std::int64_t s = 0; s < 600; ++s) {
    if (!b.rng.chance(0.1)) continue;
    b.syn(s * sec, "10.2.0.7", 41000, "10.0.0.21", 21);  // the same control connection
    b.packets.back().tcp_flags = s == 0 ? tcp_flag::syn : tcp_flag::ack;
    b.syn(s * sec + 50'000'000, "10.2.0.7", b.fresh(), "10.0.0.21", static_cast<std::uint16_t>(50000 + b.rng.below(10000)));
  }
  b.noise(600, 3);
  const auto rules = b.mine_texts();
  REQUIRE(rules.size() == 1);
  // the data connections (all of 10.2.0.7.* : 10.0.0.21.* but the control connection) and the control
  CHECK(rules[0] == "10.2.0.7.41000 : 10.0.0.21.21 : tcp <=> 10.2.0.7.* : 10.0.0.21.* : tcp");
}

TEST_CASE("lattice.templates.ftp_of_many_clients_is_one_host_rule") {
  // Twelve clients, each with its own control connection and passive data connections to random
  // high ports while it is active. The data connections of every client, less their control
  // connections (`$A.* : 10.0.0.21.*` minus `$A.* : 10.0.0.21.21`), are one host rest item: one
  // rule where there used to be one window rule a client.
  trace_builder b;
  for (int c = 1; c <= 12; ++c) {
    const std::string client = "10.2.0." + std::to_string(c);
    const auto control = b.fresh();
    for (std::int64_t s = 0; s < 600; ++s) {
      if (!b.rng.chance(0.05)) continue;
      b.syn(s * sec + c * 1'000'000, client.c_str(), control, "10.0.0.21", 21);
      b.syn(s * sec + c * 1'000'000 + 50'000'000, client.c_str(), b.fresh(), "10.0.0.21", static_cast<std::uint16_t>(50000 + b.rng.below(10000)));
    }
  }
  b.noise(600, 3);
  const auto rules = b.mine_texts();
  REQUIRE(rules.size() == 1);
  CHECK(rules[0] == "$A.* : 10.0.0.21.21 : tcp <=> $A.* : 10.0.0.21.* : tcp");
}

TEST_CASE("lattice.templates.no_host_rest_against_many_peers") {
  // `$A.* : *.22` minus `$A.* : 10.0.0.1.22` would say "a host that reaches 10.0.0.1 on 22 reaches
  // some other host on 22": a scan folded into every client's ssh. Host rests are made only where
  // the other host is fixed: `$A.* : *.22` is one item, the template's, with no rest beside it.
  trace_builder b;
  for (std::int64_t s = 0; s < 600; ++s) {
    if (!b.rng.chance(0.05)) continue;
    for (const char* client : {"10.9.0.1", "10.9.0.2", "10.9.0.3"})
      for (const char* server : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) b.syn(s * sec + static_cast<std::int64_t>(b.rng.below(900)) * 1'000'000, client, b.fresh(), server, 22);
  }
  std::sort(b.packets.begin(), b.packets.end(), [](const packet& x, const packet& y) { return x.ts_ns < y.ts_ns; });
  const auto r = mine(b.packets, pipeline<>{});
  CHECK(std::count_if(r.items.begin(), r.items.end(), [](const flow_pattern& p) { return p.text() == "$A.* : *.22 : tcp"; }) == 1);
  CHECK(std::count_if(r.items.begin(), r.items.end(), [](const flow_pattern& p) { return p.text() == "$A.* : 10.0.0.1.22 : tcp"; }) == 1);
}

TEST_CASE("lattice.templates.instances_suppressed_unless_asked") {
  trace_builder b;
  for (std::int64_t s = 0; s < 600; ++s) {
    if (!b.rng.chance(0.2)) continue;
    const char* scanner = s < 300 ? "203.0.113.5" : "203.0.113.6";
    b.syn(s * sec, scanner, b.fresh(), "10.0.0.1", 22);
    b.syn(s * sec, scanner, b.fresh(), "10.0.0.2", 22);
  }
  std::sort(b.packets.begin(), b.packets.end(), [](const packet& x, const packet& y) { return x.ts_ns < y.ts_ns; });
  const auto general = mine(b.packets, pipeline<>{});
  const auto all = mine(b.packets, generalize_by(lattice::paper_templates{.keep_instances = true}));
  CHECK(general.rules.size() < all.rules.size());
  REQUIRE(general.rules.size() == 1);
  CHECK(io::rule_text(general, general.rules[0]) == "$A.* : 10.0.0.2.22 : tcp <=> $A.* : 10.0.0.1.22 : tcp");
  std::vector<std::string> texts;
  for (const auto& x : all.rules) texts.push_back(io::rule_text(all, x));
  std::sort(texts.begin(), texts.end());
  // every instance and mixed form, each explained by the first
  CHECK(texts == std::vector<std::string>{"$A.* : 10.0.0.2.22 : tcp <=> $A.* : 10.0.0.1.22 : tcp",
                                          "*.* : 10.0.0.2.22 : tcp <=> *.* : 10.0.0.1.22 : tcp",
                                          "203.0.113.5.* : 10.0.0.1.22 : tcp <=> *.* : 10.0.0.2.22 : tcp",
                                          "203.0.113.5.* : 10.0.0.2.22 : tcp <=> *.* : 10.0.0.1.22 : tcp",
                                          "203.0.113.5.* : 10.0.0.2.22 : tcp <=> 203.0.113.5.* : 10.0.0.1.22 : tcp",
                                          "203.0.113.6.* : 10.0.0.1.22 : tcp <=> *.* : 10.0.0.2.22 : tcp",
                                          "203.0.113.6.* : 10.0.0.1.22 : tcp <=> 203.0.113.6.* : 10.0.0.2.22 : tcp",
                                          "203.0.113.6.* : 10.0.0.2.22 : tcp <=> *.* : 10.0.0.1.22 : tcp"});
}

TEST_CASE("lattice.templates.host_variable_counts_host_windows") {
  // Window 0: a -> S:80 and a -> D:53;  window 1: b -> S:80 only;  window 2: b -> S:80 and b -> D:53.
  // Samples are (host, window) pairs with the host an endpoint: w0 {a, S, D}, w1 {b, S}, w2 {b, S, D}: 8.
  // $C.* : S.80 is active in (a,0), (b,1), (b,2): 3;  $C.* : D.53 in (a,0), (b,2): 2;  both: 2.
  trace_builder b;
  b.syn(0, "10.0.0.1", 40001, "10.0.0.80", 80);
  b.udp(1, "10.0.0.1", 40002, "10.0.0.53", 53);
  b.syn(sec, "10.0.0.2", 40003, "10.0.0.80", 80);
  b.syn(2 * sec, "10.0.0.2", 40004, "10.0.0.80", 80);
  b.udp(2 * sec + 1, "10.0.0.2", 40005, "10.0.0.53", 53);
  const auto r = mine(b.packets, generalize_by(lattice::templates<lattice::same_client>{}) |
                                     score_by(scores::untested{scores::jmeasure{.min_score = 0, .min_support = 1}}));
  CHECK(r.windows == 3);
  CHECK(r.host_samples == 8);
  bool found = false;
  for (const auto& x : r.rules) {
    if (io::rule_text(r, x) != "$A.* : 10.0.0.53.53 : udp <=> $A.* : 10.0.0.80.80 : tcp") continue;
    found = true;
    CHECK(x.counts == pair_counts{2, 3, 2, 8});
  }
  CHECK(found);
}

TEST_CASE("lattice.templates.closure_names_the_most_specific_pattern") {
  // Two clients' fresh-port flows to one server port: `*.* : S.22`, and with one client `A.* : S.22`.
  trace_builder b;
  for (std::int64_t s = 0; s < 10; ++s) b.syn(s * sec, "10.0.0.1", b.fresh(), "10.0.0.9", 22);
  const auto one = mine(b.packets, generalize_by(lattice::templates<lattice::any_client>{}) |
                                       score_by(scores::untested{scores::jmeasure{.min_score = 0, .min_support = 1}}));
  REQUIRE(one.items.size() == 11);
  CHECK(one.items[10].text() == "10.0.0.1.* : 10.0.0.9.22 : tcp");
  b.syn(11 * sec, "10.0.0.2", b.fresh(), "10.0.0.9", 22);
  const auto two = mine(b.packets, generalize_by(lattice::templates<lattice::any_client, lattice::client_port>{}) |
                                       score_by(scores::untested{scores::jmeasure{.min_score = 0, .min_support = 1}}));
  std::vector<std::string> generic;
  for (std::size_t i = two.flows; i < two.items.size(); ++i) generic.push_back(two.items[i].text());
  CHECK(generic == std::vector<std::string>{"*.* : 10.0.0.9.22 : tcp", "10.0.0.1.* : 10.0.0.9.22 : tcp"});
}

static_assert(decltype(lattice::generalize<lattice::client_port>(flow_key{}))::mask == lattice::client_port::value);
static_assert(!std::is_same_v<decltype(lattice::generalize<lattice::client_port>(flow_key{})), decltype(lattice::generalize<lattice::any_client>(flow_key{}))>);
static_assert(lattice::paper_templates::masks.size() == 7);

namespace {
// One planted pattern of the generator alone (every other rate 0), among noise and heavy flows.
std::vector<std::string> rules_of_pattern(std::string_view name) {
  synth::pattern_rates defaults, rates;
  for (auto n : synth::pattern_rates::names) *rates.find(n) = 0;
  *rates.find(name) = *defaults.find(name);
  const synth::generator gen{.seed = 2, .duration = std::chrono::seconds{1800}, .hosts = 40, .noise_per_second = 5, .rates = rates};
  const auto r = mine(gen, pipeline<>{});
  std::vector<std::string> out;
  for (const auto& x : r.rules) out.push_back(io::rule_text(r, x));
  return out;
}
bool has(const std::vector<std::string>& rules, const std::string& text) {
  return std::find(rules.begin(), rules.end(), text) != rules.end();
}
}  // namespace

TEST_CASE("lattice.templates.paper_shapes_found_in_generic_form") {
  // The paper's rules (section 4.8-4.9), as the generator's site names them.
  const auto imap = rules_of_pattern("imap-imaps");
  REQUIRE_FALSE(imap.empty());
  CHECK(imap[0] == "$A.* : 10.0.0.143.143 : tcp <=> $A.* : 10.0.0.143.993 : tcp");
  const auto crawler = rules_of_pattern("web-crawler");
  REQUIRE_FALSE(crawler.empty());
  CHECK(crawler[0] == "192.0.2.99.* : 10.0.0.81.80 : tcp <=> 192.0.2.99.* : 10.0.0.82.80 : tcp");  // the paper's <=>
  const auto im = rules_of_pattern("im-msn-aol");
  REQUIRE_FALSE(im.empty());
  CHECK(im[0] == "$A.* : 64.4.0.1.1863 : tcp <=> $A.* : 64.12.0.1.5190 : tcp");
  const auto dhcp = rules_of_pattern("dhcp");
  REQUIRE_FALSE(dhcp.empty());
  // the client's request first, then the server's answer (delays.hpp: the side that leads on the left)
  CHECK(dhcp[0] == "0.0.0.0.68 : 255.255.255.255.67 : udp <=> 10.0.0.67.67 : 255.255.255.255.68 : udp");
  const auto llmnr = rules_of_pattern("llmnr-dns-wins");
  // LLMNR first, DNS and WINS within 50 ms after it, in either order
  CHECK(has(llmnr, "$A.* : 224.0.0.252.5355 : udp <=> $A.* : 10.0.0.53.53 : udp"));
  CHECK(has(llmnr, "$A.137 : 10.0.0.137.137 : udp <=> $A.* : 10.0.0.53.53 : udp"));
  CHECK(has(llmnr, "$A.* : 224.0.0.252.5355 : udp <=> $A.137 : 10.0.0.137.137 : udp"));
  const auto traceroute = rules_of_pattern("traceroute");
  CHECK(has(traceroute, "10.0.5.5.0 : 198.51.100.2.0 : icmp <=> 10.0.5.5.0 : 198.51.100.3.0 : icmp"));
}

TEST_CASE("lattice.templates.flows_grouped_in_order_of_first_appearance") {
  // Groups are numbered template by template, flow by flow; a pattern two templates make is one
  // group, its flows ascending and each once.
  const auto f = [](const char* s, std::uint16_t sp, const char* d, std::uint16_t dp) {
    return exact(flow_key{*ip_address::parse(s), *ip_address::parse(d), sp, dp, proto::tcp});
  };
  const std::vector<flow_pattern> flows{f("10.0.0.1", 40000, "10.0.0.9", 22), f("10.0.0.2", 40001, "10.0.0.9", 22),
                                        f("10.0.0.1", 40002, "10.0.0.9", 22), f("10.0.0.1", 40003, "10.0.0.8", 25)};
  constexpr std::array<lattice::mask, 3> masks{lattice::client_port::value, lattice::any_client::value, lattice::client_port::value};
  const auto g = lattice::detail::group_flows(flows, 4, masks, [](const lattice::mask&) { return true; });
  // client_port: {0, 2} (A -> S.22), {1} (B -> S.22), {3} (A -> M.25); any_client: {0, 1, 2}, {3};
  // the third template repeats the first: its patterns are the first's groups, flows once each.
  REQUIRE(g.groups() == 5);
  const auto members = [&](std::size_t i) { return std::vector<std::uint32_t>(g[i].begin(), g[i].end()); };
  CHECK(members(0) == std::vector<std::uint32_t>{0, 2});
  CHECK(members(1) == std::vector<std::uint32_t>{1});
  CHECK(members(2) == std::vector<std::uint32_t>{3});
  CHECK(members(3) == std::vector<std::uint32_t>{0, 1, 2});
  CHECK(members(4) == std::vector<std::uint32_t>{3});
  CHECK(g.template_of == std::vector<std::uint8_t>{0, 0, 0, 1, 1});
  // Only the templates asked for.
  const auto one = lattice::detail::group_flows(flows, 4, masks, [](const lattice::mask& m) { return m == lattice::any_client::value; });
  CHECK(one.groups() == 2);
  CHECK(one.template_of == std::vector<std::uint8_t>{1, 1});
}

TEST_CASE("lattice.templates.grouping_run_by_run_numbers_groups_as_grouping_at_once") {
  // Runs of templates that can make no common pattern are grouped one at a time: under an exact
  // key only equal templates can, so a template and its repeat share a run.
  const auto f = [](const char* s, std::uint16_t sp, const char* d, std::uint16_t dp) {
    return exact(flow_key{*ip_address::parse(s), *ip_address::parse(d), sp, dp, proto::tcp});
  };
  const std::vector<flow_pattern> flows{f("10.0.0.1", 40000, "10.0.0.9", 22), f("10.0.0.2", 40001, "10.0.0.9", 22),
                                        f("10.0.0.1", 40002, "10.0.0.9", 22), f("10.0.0.1", 40003, "10.0.0.8", 25)};
  const auto every = [](const lattice::mask&) { return true; };
  constexpr std::array<lattice::mask, 3> repeat{lattice::client_port::value, lattice::any_client::value, lattice::client_port::value};
  using runs = std::vector<std::pair<std::size_t, std::size_t>>;
  CHECK(lattice::detail::template_runs(flows, 4, repeat, every) == runs{{0, 3}});
  constexpr std::array<lattice::mask, 3> distinct{lattice::client_port::value, lattice::any_client::value, lattice::any_ports::value};
  CHECK(lattice::detail::template_runs(flows, 4, distinct, every) == runs{{0, 1}, {1, 2}, {2, 3}});
  const auto no_ports = [](const lattice::mask& m) { return m != lattice::any_ports::value; };
  CHECK(lattice::detail::template_runs(flows, 4, distinct, no_ports) == runs{{0, 1}, {1, 2}});
  // Under a key that leaves the ports out (keys::host_pair), client_port and any_ports make the
  // same patterns: the run holds both, and any_client between them.
  std::vector<flow_pattern> pairs = flows;
  for (auto& p : pairs) p = lattice::detail::apply(lattice::any_ports::value, p);
  CHECK(lattice::detail::template_runs(pairs, 4, distinct, every) == runs{{0, 3}});
  CHECK(lattice::detail::template_runs(pairs, 4, distinct, no_ports) == runs{{0, 1}, {1, 2}});
  // Groups of one flow left out, the rest numbered in order: client_port {0, 2}, any_client
  // {0, 1, 2}, any_ports {0, 2}.
  const auto g = lattice::detail::group_flows(flows, 4, distinct, every, 0, 3, 2);
  REQUIRE(g.groups() == 3);
  CHECK(std::vector<std::uint32_t>(g[0].begin(), g[0].end()) == std::vector<std::uint32_t>{0, 2});
  CHECK(std::vector<std::uint32_t>(g[1].begin(), g[1].end()) == std::vector<std::uint32_t>{0, 1, 2});
  CHECK(std::vector<std::uint32_t>(g[2].begin(), g[2].end()) == std::vector<std::uint32_t>{0, 2});
  CHECK(g.template_of == std::vector<std::uint8_t>{0, 1, 2});
  // A flow a template and its repeat both put in a group counts twice toward the least size:
  // B -> S.22 alone is kept (one flow, twice), A -> M.25 under any_client (once) is not.
  const auto twice = lattice::detail::group_flows(flows, 4, repeat, every, 0, 3, 2);
  CHECK(twice.size == std::vector<std::uint32_t>{2, 1, 1, 3});
  // The second run alone: any_client's groups, numbered from 0.
  const auto second = lattice::detail::group_flows(flows, 4, distinct, every, 1, 2);
  REQUIRE(second.groups() == 2);
  CHECK(std::vector<std::uint32_t>(second[0].begin(), second[0].end()) == std::vector<std::uint32_t>{0, 1, 2});
  CHECK(second.template_of == std::vector<std::uint8_t>{1, 1});
}

TEST_CASE("lattice.templates.groups_past_the_patterns_kept_are_found_from_their_first_flow") {
  // group_flows keeps the patterns of its first 2^18 groups beside its index and reads later ones
  // from their first flow (a flood's groups, one a flow, would take 16 bytes each): 300,000
  // clients, each with two connections to one server (the second ones after every first one), make
  // 300,000 client_port groups of two flows, every second flow found again in its client's group.
  constexpr std::uint32_t clients = 300'000;
  static_assert(clients > (1U << 18));
  pattern_list flows;
  for (std::uint32_t round = 0; round < 2; ++round)
    for (std::uint32_t c = 0; c < clients; ++c)
      flows.push_back(exact(flow_key{ip_address::v4(0x0A000000U + c), *ip_address::parse("10.255.0.9"),
                                     static_cast<std::uint16_t>(40000 + round), 22, proto::tcp}));
  constexpr std::array<lattice::mask, 2> masks{lattice::client_port::value, lattice::any_client::value};
  const auto g = lattice::detail::group_flows(flows, 2 * clients, masks, [](const lattice::mask&) { return true; }, 0, 2, 2);
  REQUIRE(g.groups() == clients + 1);
  for (const std::uint32_t c : {0U, (1U << 18) - 1, 1U << 18, clients - 1}) {
    CAPTURE(c);
    CHECK(std::vector<std::uint32_t>(g[c].begin(), g[c].end()) == std::vector<std::uint32_t>{c, c + clients});
  }
  std::size_t pairs = 0;
  for (std::uint32_t c = 0; c < clients; ++c) pairs += g[c].size() == 2 && g[c][0] == c && g[c][1] == c + clients ? 1 : 0;
  CHECK(pairs == clients);
  CHECK(g[clients].size() == 2 * clients);  // any_client: every flow
}

TEST_CASE("lattice.templates.only_the_largest_pieces_inside_an_item_take_rests") {
  using pieces = std::vector<std::vector<std::uint32_t>>;
  const auto flows_of = [](const std::vector<std::uint32_t>& p) { return std::span<const std::uint32_t>(p); };
  // {1,2} and {7} lie inside larger pieces; {4,5} and {5,6} overlap, neither inside the other; the
  // largest are kept in the order they came
  pieces inside{{1, 2}, {4, 5}, {1, 2, 3}, {7}, {5, 6}, {6, 7, 8}};
  CHECK(lattice::detail::keep_largest(inside, flows_of, 4));
  CHECK(inside == pieces{{4, 5}, {1, 2, 3}, {5, 6}, {6, 7, 8}});
  // more than `most` largest pieces: none is taken
  pieces many{{1, 2}, {4, 5}, {1, 2, 3}, {7}, {5, 6}, {6, 7, 8}};
  CHECK_FALSE(lattice::detail::keep_largest(many, flows_of, 3));
  // pieces of equal size never hold each other
  pieces equal{{1, 2}, {1, 2}};
  CHECK(lattice::detail::keep_largest(equal, flows_of, 4));
  CHECK(equal.size() == 2);
  // a server's every client a piece (each client's connections an item inside `*.* : S.80`):
  // a piece is compared with the pieces kept alone, and the count stops past `most`
  pieces clients;
  for (std::uint32_t c = 0; c < 50000; ++c) clients.push_back({2 * c, 2 * c + 1});
  CHECK_FALSE(lattice::detail::keep_largest(clients, flows_of, 4));
}

TEST_CASE("lattice.templates.generic_activity_follows_the_flows_in_each_window") {
  // Flows 0, 1 in windows {0, 1} and {1}; generic items 2 = {0, 1} active in {0, 1}, 3 in {1}.
  activity_builder b;
  b.add(10, 0, 7);
  b.add(11, 0, 9);
  b.add(11, 1, 3);
  activity base = std::move(b).finish(2);
  lattice::detail::timed_windows generic;
  generic.start = {0, 2, 3};
  generic.windows = {0, 1, 1};
  generic.offsets = {7, 3, 3};
  const activity a = lattice::detail::with_generic(std::move(base), generic);
  const activity sorted = activity::from_sorted(std::vector<timed_entry>{{10, 0, 7}, {10, 2, 7}, {11, 0, 9}, {11, 1, 3}, {11, 2, 3}, {11, 3, 3}}, 4, 2);
  CHECK(a.windows == sorted.windows);
  CHECK_FALSE(a.window_major());  // given back: the engine reads the matrix by item
  CHECK(a.window_items.empty());
  CHECK(a.rows() == 2);
  CHECK(a.entries() == 6);
  CHECK(a.item_start == sorted.item_start);
  CHECK(a.item_windows == sorted.item_windows);
  CHECK(a.item_offsets == sorted.item_offsets);
}

TEST_CASE("lattice.templates.every_item_covers_its_members") {
  trace_builder b;
  for (std::int64_t s = 0; s < 10; ++s) b.syn(s * sec, "10.0.0.1", b.fresh(), "10.0.0.9", 22);
  b.syn(11 * sec, "10.0.0.2", b.fresh(), "10.0.0.9", 22);
  std::vector<flow_pattern> flows;
  activity_builder act;
  flow_table t;
  for (const auto& p : b.packets) {
    const auto [id, fresh] = t.find_or_insert(p);
    if (fresh) flows.push_back(exact(t.flows()[id]));
    act.add(p.ts_ns / sec, id);
  }
  const auto keep = [](std::uint64_t, std::uint64_t) { return true; };
  const item_space s = lattice::templates<lattice::any_client>{}.generalize(flows, std::move(act).finish(flows.size()), keep);
  REQUIRE(s.base == 11);
  REQUIRE(s.items.size() == 12);
  const auto base_item = s.members(4);
  CHECK(std::vector<std::uint32_t>(base_item.begin(), base_item.end()) == std::vector<std::uint32_t>{4});
  CHECK(s.members(11).size() == 11);
  CHECK(s.covers(11, 4));
  CHECK_FALSE(s.covers(4, 11));
  CHECK(s.overlap(4, 11));
  CHECK_FALSE(s.overlap(3, 4));
}

namespace {

/// A generated trace's flows (each its exact pattern) and their activity, windows of a second.
std::pair<std::vector<flow_pattern>, activity> flows_of(const synth::generator& gen) {
  std::vector<flow_pattern> flows;
  activity_builder act;
  flow_table t;
  for (const auto& p : gen.packets()) {
    const auto [id, fresh] = t.find_or_insert(p);
    if (fresh) flows.push_back(exact(t.flows()[id]));
    act.add(p.ts_ns / sec, id, static_cast<window_offset>(p.ts_ns % sec / 1000));
  }
  activity a = std::move(act).finish(flows.size());
  return {std::move(flows), std::move(a)};
}

}  // namespace

TEST_CASE("lattice.templates.host_items_built_beside_after_or_apart_alike") {
  // threads = 2 builds the host-variable items on a second thread while the window items are
  // built, from the flows' activity alone; threads = 1 after them, from the same activity; a
  // driver may build them apart (make_host_items, on another rank) and join them to the window
  // items (generalize_windows, then add_hosts). The item space must be the same, item for item.
  const auto [flows, a] = flows_of(synth::generator{.seed = 3, .duration = std::chrono::seconds{900}, .hosts = 60, .noise_per_second = 8});
  const auto keep = [&](std::uint64_t count, std::uint64_t samples) { return count >= 3 && count < samples; };
  const item_space one = lattice::paper_templates{.threads = 1}.generalize(flows, a, keep);
  const item_space beside = lattice::paper_templates{.threads = 2}.generalize(flows, a, keep);
  const lattice::paper_templates split{};
  item_space apart = split.generalize_windows(flows, a, keep);
  const auto window_items = apart.items.size();
  CHECK(apart.hosts.items() == 0);
  apart.add_hosts(split.make_host_items(keep, flows, a));
  // Made of a matrix generalize gave back (held by item alone): refused by name.
  CHECK_THROWS_WITH_AS((void)split.make_host_items(keep, flows, one.windows),
                       doctest::Contains("make_host_items: the flows' activity must hold its window -> items form"), bad_argument);
  // Rows that are not named windows (a matrix made of the window -> items form alone, without
  // `windows`): refused too, where the samples' keys would outrun a table sized by the windows.
  {
    const activity unnamed = activity::from_window_major({}, a.window_start, a.window_items, a.items(), a.samples);
    REQUIRE(unnamed.window_major());
    const auto take_all = [](std::uint64_t, std::uint64_t) { return true; };
    CHECK_THROWS_WITH_AS((void)split.make_host_items(take_all, flows, unnamed),
                         doctest::Contains("make_host_items: the flows' activity must name its windows"), bad_argument);
  }
  REQUIRE(one.hosts.items() > 10);  // host items were made
  // The host matrix's rows carry no window: host_window_start says which rows are each window's.
  CHECK(one.hosts.windows.empty());
  REQUIRE(one.host_window_start.size() == one.windows.windows.size() + 1);
  CHECK(one.host_window_start.front() == 0);
  CHECK(one.host_window_start.back() == one.hosts.rows());
  CHECK(std::is_sorted(one.host_window_start.begin(), one.host_window_start.end()));
  CHECK(one.hosts.rows() < one.hosts.samples);  // samples without a host item active hold no row
  REQUIRE(one.items.size() > flows.size() + 10);
  CHECK(window_items == one.windows.items());
  for (const item_space* two : std::array<const item_space*, 2>{&beside, &apart}) {
    CHECK(one.items == two->items);
    CHECK(one.generic_members == two->generic_members);
    for (const auto* m : {&one.windows, &one.hosts}) {
      const activity& other = m == &one.windows ? two->windows : two->hosts;
      CHECK(m->samples == other.samples);
      CHECK(m->windows == other.windows);
      CHECK(m->window_start == other.window_start);
      CHECK(m->window_items == other.window_items);
      CHECK(m->item_start == other.item_start);
      CHECK(m->item_windows == other.item_windows);
      CHECK(m->item_offsets == other.item_offsets);
    }
    CHECK(one.host_window_start == two->host_window_start);
  }
}

TEST_CASE("lattice.templates.host_items_made_in_parts_of_windows_join_to_the_whole") {
  // expose-mine-mpi's ranks 1, 2, ... each make the host items' rows of a range of windows, adding
  // their counts up (MPI_Allreduce) where `keep` and the rests read them. Here the parts run one
  // after the other, twice: the first time each says its counts, the second each is given the sums.
  const auto [flows, a] = flows_of(synth::generator{.seed = 5, .duration = std::chrono::seconds{900}, .hosts = 60, .noise_per_second = 8});
  const auto keep = [&](std::uint64_t count, std::uint64_t samples) { return count >= 3 && count < samples; };
  const lattice::paper_templates l{};
  const host_items whole = l.make_host_items(keep, flows, a);
  REQUIRE(whole.closures.size() > 10);
  const std::size_t n = a.windows.size();
  REQUIRE(n > 100);
  // three parts and an empty one among them
  const std::vector<window_part> parts{{0, n / 3}, {n / 3, n / 3}, {n / 3, 3 * n / 4}, {3 * n / 4, SIZE_MAX}};
  // Round r gives each part the sums of the calls before call r and adds up call r's spans: the
  // last round (every call summed) is what the parts make side by side.
  std::vector<std::vector<std::uint64_t>> sums;  // per call, its sum over the parts
  std::vector<host_items> made;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::uint64_t> next;  // call `round`, summed
    made.clear();
    for (const auto& part : parts) {
      std::size_t call = 0;
      made.push_back(l.make_host_items(keep, flows, a, part, [&](std::span<std::uint64_t> v) {
        if (call < sums.size()) {
          REQUIRE(v.size() == sums[call].size());  // every part calls with spans of one length
          std::copy(sums[call].begin(), sums[call].end(), v.begin());
        } else if (call == sums.size()) {
          next.resize(v.size(), 0);
          REQUIRE(v.size() == next.size());
          for (std::size_t i = 0; i < v.size(); ++i) next[i] += v[i];
        }
        ++call;
      }));
      CHECK(call == 2);  // the candidates' counts with the samples, then the rests'
    }
    if (sums.size() < 2) sums.push_back(std::move(next));
  }
  for (const auto& m : made) {
    CHECK(m.closures == whole.closures);
    CHECK(m.hosts.samples == whole.hosts.samples);
  }
  CHECK(made[1].hosts.item_windows.empty());  // the empty part holds no row
  CHECK(made[0].hosts.item_windows.size() + made[2].hosts.item_windows.size() + made[3].hosts.item_windows.size() ==
        whole.hosts.item_windows.size());
  const host_items joined = join_host_parts(made);
  CHECK(joined.closures == whole.closures);
  CHECK(joined.members == whole.members);
  CHECK(joined.hosts.samples == whole.hosts.samples);
  CHECK(joined.hosts.item_start == whole.hosts.item_start);
  CHECK(joined.hosts.item_windows == whole.hosts.item_windows);
  CHECK(joined.window_start == whole.window_start);
  // Parts of other items or windows are refused by name.
  std::vector<host_items> mixed{made[0], made[2]};
  mixed[1].window_start.pop_back();
  CHECK_THROWS_WITH_AS((void)join_host_parts(mixed), "join_host_parts: the parts hold different items or windows", bad_argument);
}

TEST_CASE("lattice.templates.a_flow_that_does_not_keep_the_bound_address_names_no_host") {
  // A list mixing slot arrays (make_host_items is public): flow 2 leaves its client out. It names
  // no client, so it is no member of "$C.* : 10.0.0.80.80" and its window holds no row of it.
  using expose_test::ip;
  flow_pattern anonymous = exact(flow_key{ip("10.0.0.3"), ip("10.0.0.80"), 40003, 80, proto::tcp});
  anonymous.set(field::src_ip, slot::any);
  const std::vector<flow_pattern> flows{exact(flow_key{ip("10.0.0.1"), ip("10.0.0.80"), 40001, 80, proto::tcp}),
                                        exact(flow_key{ip("10.0.0.2"), ip("10.0.0.80"), 40002, 80, proto::tcp}), anonymous};
  const activity a = activity::from_sorted(std::vector<std::pair<std::int64_t, std::uint32_t>>{{0, 0}, {1, 1}, {2, 2}}, 3, 3);
  const auto keep = [](std::uint64_t count, std::uint64_t) { return count >= 1; };
  const host_items h = lattice::templates<lattice::same_client>{.threads = 1}.make_host_items(keep, flows, a);
  REQUIRE(h.closures.size() == 1);
  CHECK(h.closures[0].at(field::src_ip) == slot::var);
  CHECK(h.closures[0].key.dst == ip("10.0.0.80"));
  CHECK(h.members[0] == std::vector<std::uint32_t>{0, 1});
  CHECK(h.hosts.samples == 5);  // (10.0.0.1, 0) (.80, 0) (10.0.0.2, 1) (.80, 1) (.80, 2)
  CHECK(h.hosts.count(0) == 2);
  CHECK(h.window_start == std::vector<std::size_t>{0, 1, 2, 2});
  // Only anonymous flows: no host, no item.
  const std::vector<flow_pattern> none{anonymous, anonymous};
  CHECK(lattice::templates<lattice::same_client>{.threads = 1}
            .make_host_items(keep, none, activity::from_sorted(std::vector<std::pair<std::int64_t, std::uint32_t>>{{0, 0}, {1, 1}}, 2, 2))
            .closures.empty());
}

TEST_CASE("lattice.templates.sixty_six_thousand_host_items_each_in_its_own_rows") {
  // 66,000 servers, each reached by clients A and B ("$C.* : server.80", two hosts each): more
  // items than two bytes can name, their samples merged into rows all at once. Server d's flow
  // from A is active in window d % 100, from B in window (d + 1) % 100: every item has exactly
  // those rows, and rows are (window, host) samples, so window w holds A's and B's rows.
  constexpr std::uint32_t servers = 66'000;
  const ip_address client_a = expose_test::ip("10.0.0.1"), client_b = expose_test::ip("10.0.0.2");
  std::vector<flow_pattern> flows;
  std::vector<std::pair<std::int64_t, std::uint32_t>> entries;
  boost::unordered_flat_map<ip_address, std::uint32_t, address_hash> server_of;
  for (std::uint32_t d = 0; d < servers; ++d) {
    const ip_address server = ip_address::v4(0x0b000000u + d);
    server_of.emplace(server, d);
    flows.push_back(exact(flow_key{client_a, server, 40000, 80, proto::tcp}));
    flows.push_back(exact(flow_key{client_b, server, 40001, 80, proto::tcp}));
    entries.emplace_back(d % 100, 2 * d);
    entries.emplace_back((d + 1) % 100, 2 * d + 1);
  }
  std::sort(entries.begin(), entries.end());
  const activity a = activity::from_sorted(entries, flows.size(), 100);
  const auto keep = [](std::uint64_t count, std::uint64_t) { return count >= 1; };
  const host_items h = lattice::templates<lattice::same_client>{.threads = 1}.make_host_items(keep, flows, a);
  REQUIRE(h.closures.size() == servers);
  REQUIRE(h.window_start.size() == 101);
  const auto window_of_row = [&](std::uint32_t row) {
    return static_cast<std::int64_t>(std::upper_bound(h.window_start.begin(), h.window_start.end(), row) - h.window_start.begin()) - 1;
  };
  std::size_t wrong = 0;
  for (std::uint32_t k = 0; k < servers; ++k) {
    const std::uint32_t d = server_of.at(h.closures[k].key.dst);
    std::vector<std::int64_t> windows;
    for (const auto row : h.hosts.windows_of(k)) windows.push_back(window_of_row(row));
    std::vector<std::int64_t> expected{d % 100, (d + 1) % 100};
    std::sort(expected.begin(), expected.end());
    if (windows != expected || h.members[k] != std::vector<std::uint32_t>{2 * d, 2 * d + 1}) ++wrong;
  }
  CHECK(wrong == 0);
  // Each window's rows: the samples (A, w) and (B, w), both active: 200 rows in all.
  for (std::size_t w = 0; w < 100; ++w) CHECK(h.window_start[w + 1] - h.window_start[w] == 2);
  CHECK(h.hosts.rows() == 200);
}

TEST_CASE("lattice.templates.host_samples_past_four_billion_keys_are_ranked_alike") {
  // 70,000 clients each reach server S once, client c in window c: 70,000 windows x 70,001 hosts
  // name more samples than 4-byte keys hold (8-byte keys then). "$C.* : S.80" is active in the
  // samples (c, c): one row a window, row c in window c; S's own samples hold no item.
  constexpr std::uint32_t clients = 70'000;
  const ip_address server = expose_test::ip("192.0.2.80");
  std::vector<flow_pattern> flows;
  std::vector<std::pair<std::int64_t, std::uint32_t>> entries;
  for (std::uint32_t c = 0; c < clients; ++c) {
    flows.push_back(exact(flow_key{ip_address::v4(0x0a000000u + c), server, 40000, 80, proto::tcp}));
    entries.emplace_back(c, c);
  }
  const activity a = activity::from_sorted(entries, flows.size(), clients);
  const auto keep = [](std::uint64_t count, std::uint64_t) { return count >= 2; };
  const host_items h = lattice::templates<lattice::same_client>{.threads = 1}.make_host_items(keep, flows, a);
  REQUIRE(h.closures.size() == 1);
  CHECK(h.closures[0].key.dst == server);
  CHECK(h.hosts.samples == 2 * std::uint64_t{clients});  // (c, c) and (S, c)
  REQUIRE(h.hosts.count(0) == clients);
  std::size_t wrong = 0;
  for (std::uint32_t i = 0; i < clients; ++i) wrong += h.hosts.windows_of(0)[i] != i;
  CHECK(wrong == 0);
  REQUIRE(h.window_start.size() == clients + 1);
  CHECK(h.window_start[clients] == clients);
  CHECK(h.window_start[12345] == 12345);
}
