#include "expose/delays.hpp"

#include <algorithm>
#include <vector>

#include "doctest.hpp"
#include "expose/flow_table.hpp"
#include "expose/io/text.hpp"
#include "expose/lattice/templates.hpp"
#include "expose/pipeline.hpp"
#include "fixtures.hpp"

using namespace expose;
using expose_test::ip;
using expose_test::make_packet;

namespace {
constexpr double ms_per_unit = 1000.0 / 65536.0;  // windows of 1 s

/// Three flows over windows 10..19: flow 1 follows flow 0 by 655 k units in window 10 + k, flow 2
/// comes 500 units before flow 0 every time.
item_space three_flows() {
  std::vector<timed_entry> e;
  for (std::uint16_t k = 0; k < 10; ++k) {
    e.push_back({10 + k, 0, 1000});
    e.push_back({10 + k, 1, static_cast<window_offset>(1000 + 655 * k)});
    e.push_back({10 + k, 2, 500});
  }
  std::sort(e.begin(), e.end());
  const auto flow = [](std::uint32_t port) { return exact(flow_key{ip("10.0.0.1"), ip("10.0.0.9"), 40000, static_cast<std::uint16_t>(port), 17}); };
  return item_space::plain({flow(53), flow(80), flow(123)}, activity::from_sorted(e, 3, 20));
}
/// A trace's flows (every field kept) in windows of 1 s, generalized by `$C.* : server` alone,
/// every item kept.
item_space same_client_space(const std::vector<packet>& trace) {
  constexpr std::int64_t s = 1'000'000'000;
  std::vector<flow_pattern> flows;
  activity_builder act;
  flow_table t;
  for (const auto& p : trace) {
    const auto [id, fresh] = t.find_or_insert(p);
    if (fresh) flows.push_back(exact(t.flows()[id]));
    act.add(p.ts_ns / s, id, offset_in_window(p.ts_ns, p.ts_ns / s, s));
  }
  const auto keep = [](std::uint64_t, std::uint64_t) { return true; };
  return lattice::templates<lattice::same_client>{}.generalize(flows, std::move(act).finish(flows.size()), keep);
}

/// The item written `text`.
std::uint32_t item_named(const item_space& space, const char* text) {
  for (std::uint32_t i = 0; i < space.items.size(); ++i)
    if (space.items[i].text() == text) return i;
  FAIL("no item " << text);
  return 0;
}
}  // namespace

TEST_CASE("delays.median_and_quartiles_of_the_right_side_after_the_left") {
  const auto space = three_flows();
  const pair_counts c{10, 10, 10, 20};
  std::vector<rule> rules{{0, 1, rule_kind::equivalent, 0.5, 0.4, c}, {0, 2, rule_kind::equivalent, 0.3, 0.3, c},
                          {0, 2, rule_kind::implies, 0.2, 0.1, c}};
  time_rules(rules, space, 1.0);
  // 0, 655, ..., 5895 units: median 2947.5, quartiles 1473.75 and 4421.25 (between ranks)
  CHECK(rules[0].lhs == 0);
  CHECK(rules[0].leads == rule_leads::lhs);
  CHECK(rules[0].delay.samples == 10);
  CHECK(rules[0].delay.median_ms == doctest::Approx(2947.5 * ms_per_unit));
  CHECK(rules[0].delay.p25_ms == doctest::Approx(1473.75 * ms_per_unit));
  CHECK(rules[0].delay.p75_ms == doctest::Approx(4421.25 * ms_per_unit));
  // Flow 2 comes first: the <=> is turned round, its score stays the rule's; the => is not.
  CHECK(rules[1].lhs == 2);
  CHECK(rules[1].rhs == 0);
  CHECK(rules[1].score == 0.3);
  CHECK(rules[1].leads == rule_leads::lhs);
  CHECK(rules[1].delay == delay_summary{500 * ms_per_unit, 500 * ms_per_unit, 500 * ms_per_unit, 10});
  CHECK(rules[2].lhs == 0);
  CHECK(rules[2].leads == rule_leads::rhs);
  CHECK(rules[2].delay.median_ms == doctest::Approx(-500 * ms_per_unit));
  CHECK(rules[2].delay_mark() == "-7.6 ms");
  CHECK(rules[1].delay_mark() == "+7.6 ms");
}

TEST_CASE("delays.together_where_neither_side_leads_and_none_without_times") {
  CHECK(leads_of({0, -3, 4, 10}) == rule_leads::together);
  CHECK(leads_of({2, 1, 4, 10}) == rule_leads::lhs);
  CHECK(leads_of({-2, -4, -1, 10}) == rule_leads::rhs);
  CHECK(leads_of({}) == rule_leads::together);
  // Both sides in the same 65536th of the window: no order to tell.
  std::vector<timed_entry> e;
  for (std::int64_t w = 0; w < 5; ++w) e.insert(e.end(), {{w, 0, 7}, {w, 1, 7}});
  const auto flow = [](std::uint16_t port) { return exact(flow_key{ip("10.0.0.1"), ip("10.0.0.9"), 1, port, 17}); };
  std::vector<rule> rules{{0, 1, rule_kind::equivalent, 0.5, 0.5, {5, 5, 5, 5}}};
  time_rules(rules, item_space::plain({flow(1), flow(2)}, activity::from_sorted(e, 2, 5)), 1.0);
  CHECK(rules[0].leads == rule_leads::together);
  CHECK(rules[0].delay == delay_summary{0, 0, 0, 5});
  CHECK(rules[0].delay_mark() == "together");
  // A matrix without times: nothing measured, nothing marked.
  std::vector<rule> untimed{{0, 1, rule_kind::equivalent, 0.5, 0.5, {5, 5, 5, 5}}};
  time_rules(untimed, item_space::plain({flow(1), flow(2)}, activity::from_sorted(std::vector<std::pair<std::int64_t, std::uint32_t>>{{0, 0}, {0, 1}}, 2, 1)), 1.0);
  CHECK(untimed[0].delay.samples == 0);
  CHECK(untimed[0].delay_mark().empty());
}

TEST_CASE("delays.lagged_windows_count_the_right_side_in_the_next_window") {
  // Flow 1 comes 0.9 s after flow 0, across the window boundary each time.
  std::vector<timed_entry> e;
  for (std::int64_t w = 0; w < 20; w += 2) e.insert(e.end(), {{w, 0, 32768}, {w + 1, 1, 26214}});
  std::sort(e.begin(), e.end());
  const auto flow = [](std::uint16_t port) { return exact(flow_key{ip("10.0.0.1"), ip("10.0.0.9"), 1, port, 17}); };
  const auto space = item_space::plain({flow(1), flow(2)}, activity::from_sorted(e, 2, 20));
  std::vector<rule> rules{{0, 1, rule_kind::implies, 0.5, 0.1, {10, 10, 10, 20}}};
  rules[0].lag = 1;
  time_rules(rules, space, 1.0);
  CHECK(rules[0].delay.samples == 10);
  CHECK(rules[0].delay.median_ms == doctest::Approx((65536 + 26214 - 32768) * ms_per_unit));
  rules[0].lag = 0;  // the same windows never: no sample
  time_rules(rules, space, 1.0);
  CHECK(rules[0].delay.samples == 0);
}

TEST_CASE("delays.host_rules_within_each_hosts_own_pair_pooled") {
  // Two clients look a name up, then open a web connection: client 1 20 ms later, client 2 40 ms
  // later, in the same windows (0.1 s and 0.5 s into them), 30 times each. The host rule pools
  // the two clients' own delays: median 30 ms, quartiles 20 and 40; never one client's lookup
  // against the other's connection.
  std::vector<packet> trace;
  constexpr std::int64_t s = 1'000'000'000, ms = 1'000'000;
  for (std::int64_t k = 0; k < 30; ++k) {
    const std::int64_t t = 1'767'600'000 * s + k * 20 * s;
    trace.push_back(make_packet(t + 100 * ms, "10.0.0.1", static_cast<std::uint16_t>(50000 + k), "10.0.0.53", 53, proto::udp));
    trace.push_back(make_packet(t + 120 * ms, "10.0.0.1", static_cast<std::uint16_t>(40000 + k), "10.0.0.80", 80, proto::tcp));
    trace.push_back(make_packet(t + 500 * ms, "10.0.0.2", static_cast<std::uint16_t>(50000 + k), "10.0.0.53", 53, proto::udp));
    trace.push_back(make_packet(t + 540 * ms, "10.0.0.2", static_cast<std::uint16_t>(40000 + k), "10.0.0.80", 80, proto::tcp));
  }
  const auto r = mine(trace, pipeline<>{});
  const rule* host_rule = nullptr;
  for (const auto& x : r.rules)
    if (io::rule_text(r, x) == "$A.* : 10.0.0.53.53 : udp <=> $A.* : 10.0.0.80.80 : tcp") host_rule = &x;
  REQUIRE(host_rule != nullptr);
  CHECK(host_rule->leads == rule_leads::lhs);
  CHECK(host_rule->delay.samples == 60);
  CHECK(host_rule->delay.p25_ms == doctest::Approx(1311 * ms_per_unit));  // 20.004 ms: offsets 6553 and 7864
  CHECK(host_rule->delay.p75_ms == doctest::Approx(2621 * ms_per_unit));  // 39.993 ms: 32768 and 35389
  CHECK(host_rule->delay.median_ms == doctest::Approx(1966 * ms_per_unit));
  CHECK(host_rule->delay.hosts == 2);
  CHECK(host_rule->delay_mark() == "+30 ms");
}

TEST_CASE("delays.host_rules_take_each_hosts_earliest_flow_in_a_window") {
  // Client 1 looks a name up at 100 ms and again at 300 ms, and connects at 120 ms; client 2 looks
  // up at 500 ms and connects at 540 ms; in windows 0..9. Client 1 connects once more in window
  // 10 without a lookup, and in window 11 looks up and connects alone. Each host's first lookup in
  // a window is its lookup there: 20 ms for client 1 (not -180 from the second lookup), 11 times,
  // 40 ms for client 2, 10 times; window 10 gives none. Windows 0..4 are busy with 40 other flows
  // each. The same from a space without host activity (whose sample counts size the entries).
  constexpr std::int64_t s = 1'000'000'000, ms = 1'000'000;
  std::vector<packet> trace;
  for (std::int64_t k = 0; k < 10; ++k) {
    const auto port = static_cast<std::uint16_t>(40000 + 10 * k);
    trace.push_back(make_packet(k * s + 100 * ms, "10.0.0.1", port, "10.0.0.53", 53, proto::udp));
    trace.push_back(make_packet(k * s + 120 * ms, "10.0.0.1", static_cast<std::uint16_t>(port + 1), "10.0.0.80", 80, proto::tcp));
    trace.push_back(make_packet(k * s + 300 * ms, "10.0.0.1", static_cast<std::uint16_t>(port + 2), "10.0.0.53", 53, proto::udp));
    trace.push_back(make_packet(k * s + 500 * ms, "10.0.0.2", port, "10.0.0.53", 53, proto::udp));
    trace.push_back(make_packet(k * s + 540 * ms, "10.0.0.2", static_cast<std::uint16_t>(port + 1), "10.0.0.80", 80, proto::tcp));
  }
  trace.push_back(make_packet(10 * s + 120 * ms, "10.0.0.1", 50001, "10.0.0.80", 80, proto::tcp));
  for (std::int64_t k = 0; k < 5; ++k)
    for (std::uint16_t c = 0; c < 40; ++c)
      trace.push_back(make_packet(k * s + 700 * ms, "10.0.1.1", static_cast<std::uint16_t>(20000 + 40 * k + c), "10.0.0.99", 9000, proto::tcp));
  std::sort(trace.begin(), trace.end(), [](const packet& l, const packet& r) { return l.ts_ns < r.ts_ns; });
  trace.push_back(make_packet(11 * s + 100 * ms, "10.0.0.1", 50002, "10.0.0.53", 53, proto::udp));
  trace.push_back(make_packet(11 * s + 120 * ms, "10.0.0.1", 50003, "10.0.0.80", 80, proto::tcp));
  const item_space space = same_client_space(trace);
  const auto item = [&](const char* text) { return item_named(space, text); };
  rule x;
  x.lhs = item("$A.* : 10.0.0.53.53 : udp");
  x.rhs = item("$A.* : 10.0.0.80.80 : tcp");
  x.kind = rule_kind::implies;
  REQUIRE(x.lhs >= space.window_items());
  item_space uncounted = space;
  uncounted.hosts = {};
  for (const item_space* sp : std::vector<const item_space*>{&space, &uncounted}) {
    std::vector<rule> rules{x};
    time_rules(rules, *sp, 1.0);
    const auto& d = rules[0].delay;
    CHECK(d.samples == 21);
    CHECK(d.hosts == 2);
    CHECK(d.p25_ms == doctest::Approx(1311 * ms_per_unit));  // 7864 - 6553
    CHECK(d.median_ms == doctest::Approx(1311 * ms_per_unit));
    CHECK(d.p75_ms == doctest::Approx(2621 * ms_per_unit));  // 35389 - 32768
    CHECK(rules[0].leads == rule_leads::lhs);
  }
}

TEST_CASE("delays.measured_apart_are_taken_as_they_are_and_the_rest_measured") {
  // Client 1 looks a name up and connects 20 ms later, in windows 0..9. A host rule whose delays
  // were measured apart (another rank) takes them as they are, turned round with the rule where
  // its right side leads; one not measured apart is measured here; a window rule always is.
  constexpr std::int64_t s = 1'000'000'000, ms = 1'000'000;
  std::vector<packet> trace;
  for (std::int64_t k = 0; k < 10; ++k)
    for (const char* client : {"10.0.0.1", "10.0.0.2"}) {
      const auto port = static_cast<std::uint16_t>(40000 + 10 * k);
      trace.push_back(make_packet(k * s + 100 * ms, client, port, "10.0.0.53", 53, proto::udp));
      trace.push_back(make_packet(k * s + 120 * ms, client, static_cast<std::uint16_t>(port + 1), "10.0.0.80", 80, proto::tcp));
    }
  const item_space space = same_client_space(trace);
  const auto item = [&](const char* text) { return item_named(space, text); };
  const std::uint32_t dns = item("$A.* : 10.0.0.53.53 : udp"), web = item("$A.* : 10.0.0.80.80 : tcp");
  const auto offset = static_cast<std::uint32_t>(space.window_items());
  REQUIRE(dns >= offset);
  REQUIRE(web >= offset);
  rule host_rule{dns, web, rule_kind::equivalent, 1.0, 1.0, {}};
  rule window_rule{0, 1, rule_kind::equivalent, 1.0, 1.0, {}};  // client 1's lookup and connection in window 0
  std::vector<rule> measured{host_rule, window_rule};
  const host_delay_sources all_here = time_rules(measured, space, 1.0);
  CHECK(all_here.taken == 0);
  CHECK(all_here.measured == 1);  // the window rule is not a host rule
  CHECK(measured[0].delay.samples == 20);
  CHECK(measured[0].delay.hosts == 2);
  CHECK(measured[0].leads == rule_leads::lhs);
  CHECK(measured[1].delay.samples == 1);

  // Measured apart as though the web connection came first: taken as it is, and the rule turned.
  measured_delays known;
  known.entries.push_back({dns - offset, web - offset, {-5.0, -7.0, -3.0, 4, 1}});
  CHECK(known.find(dns - offset, web - offset) != nullptr);
  CHECK(known.find(web - offset, dns - offset) == nullptr);
  std::vector<rule> taken{host_rule, window_rule};
  const host_delay_sources from_known = time_rules(taken, space, 1.0, known);
  CHECK(from_known.taken == 1);
  CHECK(from_known.measured == 0);
  CHECK(taken[0].lhs == web);
  CHECK(taken[0].rhs == dns);
  CHECK(taken[0].delay == delay_summary{5.0, 3.0, 7.0, 4, 1});
  CHECK(taken[0].leads == rule_leads::lhs);
  CHECK(taken[1].delay == measured[1].delay);

  // Those of the other way round are not these: measured here.
  measured_delays other;
  other.entries.push_back({web - offset, dns - offset, {-5.0, -7.0, -3.0, 4, 1}});
  std::vector<rule> again{host_rule};
  const host_delay_sources not_known = time_rules(again, space, 1.0, other);
  CHECK(not_known.taken == 0);
  CHECK(not_known.measured == 1);
  CHECK(again[0].delay == measured[0].delay);

  // measured_delays::of keeps the host rules' delays as measure_delays left them, by column.
  std::vector<rule> before_turning{host_rule, window_rule};
  measure_delays(before_turning, space, 1.0);
  const measured_delays of = measured_delays::of(before_turning, space);
  REQUIRE(of.entries.size() == 1);
  CHECK(of.entries[0].lhs == dns - offset);
  CHECK(of.entries[0].rhs == web - offset);
  CHECK(of.entries[0].delay == before_turning[0].delay);
}

TEST_CASE("delays.quartiles_are_those_of_the_sorted_delays_at_every_size") {
  // The quartiles come from six ranks put in place, not a sort: against a sort for every size up
  // to 40 (every way the ranks can coincide) and larger lists, of few distinct values and many.
  std::uint64_t state = 12345;
  const auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  const auto expected = [](std::vector<std::int64_t> d, double q) {
    std::sort(d.begin(), d.end());
    const double h = q * static_cast<double>(d.size() - 1);
    const auto lo = static_cast<std::size_t>(h);
    const auto hi = std::min(lo + 1, d.size() - 1);
    return (static_cast<double>(d[lo]) + (h - static_cast<double>(lo)) * static_cast<double>(d[hi] - d[lo])) * 2.0;
  };
  std::vector<std::size_t> sizes;
  for (std::size_t n = 1; n <= 40; ++n) sizes.push_back(n);
  sizes.insert(sizes.end(), {101, 1000, 4097});
  for (const std::size_t n : sizes)
    for (const std::uint64_t spread : {3ULL, 1000000ULL}) {
      std::vector<std::int64_t> d(n);
      for (auto& x : d) x = static_cast<std::int64_t>(next() % spread) - static_cast<std::int64_t>(spread / 2);
      const auto copy = d;
      const delay_summary s = detail::summarize_delays(d, 2.0);
      CAPTURE(n);
      CAPTURE(spread);
      CHECK(s.samples == n);
      CHECK(s.p25_ms == expected(copy, 0.25));
      CHECK(s.median_ms == expected(copy, 0.5));
      CHECK(s.p75_ms == expected(copy, 0.75));
      std::sort(d.begin(), d.end());
      std::vector<std::int64_t> sorted = copy;
      std::sort(sorted.begin(), sorted.end());
      CHECK(d == sorted);  // reordered, nothing lost
    }
}
