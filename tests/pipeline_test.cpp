#include "expose/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <type_traits>
#include <vector>

#include "doctest.hpp"
#include "expose/io/text.hpp"
#include "expose/keys/host_pair.hpp"
#include "expose/keys/service.hpp"
#include "expose/engine/brute_force.hpp"
#include "expose/synth/demo.hpp"
#include "expose/synth/generator.hpp"
#include "fixtures.hpp"

using namespace expose;
using namespace std::chrono_literals;
using expose_test::make_packet;

// The pipeline reads at the call site and has a default for every stage.
static_assert(std::is_same_v<decltype(key_by(keys::five_tuple{}) | window_by(windows::tumbling{1s})), pipeline<>>);
static_assert(std::is_same_v<decltype(pipeline<>{} | key_by(keys::service{})),
                             pipeline<keys::service, windows::tumbling, lattice::paper_templates, scores::significant<scores::jmeasure>>>);
static_assert(std::is_same_v<decltype(score_by(scores::untested{scores::jmeasure{}}) | key_by(keys::host_pair{}) | window_by(windows::tumbling{})),
                             pipeline<keys::host_pair, windows::tumbling, lattice::paper_templates, scores::untested<scores::jmeasure>>>);

TEST_CASE("pipeline.stages_keep_their_settings") {
  const auto spec = key_by(keys::five_tuple{}) | window_by(windows::tumbling{250ms}) |
                    score_by(scores::untested{scores::jmeasure{.min_score = 0.2, .min_support = 7}}) | count_by(engine::gustavson{.threads = 1});
  CHECK(spec.window.width == 250ms);
  CHECK(spec.score.scorer.min_score == 0.2);
  CHECK(spec.score.scorer.min_support == 7);
  CHECK(spec.engine.threads == 1);
}

TEST_CASE("pipeline.demo_trace_yields_exactly_the_planted_rules") {
  const auto trace = synth::demo{.seed = 1}.packets();
  // The default pipeline: templates and the exact test on. The random connections' generic items
  // meet the planted flows by chance in 3 or 4 windows; significance keeps them out.
  const auto r = mine(trace, key_by(keys::five_tuple{}) | window_by(windows::tumbling{1s}));
  CHECK(r.input.packets == 30158);
  CHECK(r.input.decoded == 30158);
  CHECK(r.flows == 1213);
  CHECK(r.windows == 600);
  REQUIRE(r.rules.size() == 5);
  using T = synth::demo::truth;
  auto text = [&](std::size_t i) { return io::rule_text(r, r.rules[i]); };
  CHECK(text(0) == std::string(T::ntp_a) + " <=> " + T::ntp_b);
  CHECK(r.rules[0].counts == pair_counts{136, 136, 136, 600});
  CHECK(text(1) == std::string(T::msn) + " <=> " + T::aol);
  CHECK(r.rules[1].counts.n_xy == 73);
  for (std::size_t i = 2; i < 5; ++i) {
    CHECK(r.rules[i].kind == rule_kind::equivalent);
    CHECK(r.rules[i].counts.n_xy == 57);
    const std::string t = text(i);
    int found = 0;
    for (const char* flow : T::mdns) found += t.find(flow) != std::string::npos ? 1 : 0;
    CHECK(found == 2);  // two of the three advertisement flows
  }
  REQUIRE(r.clusters.size() == 3);
  CHECK(r.clusters[2].items.size() == 3);
  CHECK(r.clusters[2].rules == std::vector<std::size_t>{2, 3, 4});
}

TEST_CASE("pipeline.without_significance_chance_meetings_show") {
  const auto r = mine(synth::demo{.seed = 1}.packets(), score_by(scores::untested{scores::jmeasure{}}));
  CHECK(r.rules.size() > 5);
  CHECK(io::rule_text(r, r.rules[5]).rfind("*.* : 198.51.100.", 0) == 0);  // a noise server's clients
}

TEST_CASE("pipeline.demo_is_the_same_whatever_the_thread_count") {
  const auto trace = synth::demo{.seed = 7, .duration = 300s}.packets();
  const auto one = mine(trace, count_by(engine::gustavson{.threads = 1}) | score_by(scores::untested{scores::jmeasure{}}));
  const auto two = mine(trace, count_by(engine::gustavson{.threads = 2}) | score_by(scores::untested{scores::jmeasure{}}));
  REQUIRE(one.rules.size() > 5);  // the planted rules and chance meetings: equal empty lists would prove nothing
  REQUIRE(one.rules.size() == two.rules.size());
  for (std::size_t i = 0; i < one.rules.size(); ++i) CHECK(io::rule_text(one, one.rules[i]) == io::rule_text(two, two.rules[i]));
}

TEST_CASE("pipeline.keep_top_reclusters") {
  auto r = mine(synth::demo{.seed = 1}.packets(), pipeline<>{});
  REQUIRE(r.rules.size() == 5);
  REQUIRE(r.listed_rules() == 3);  // the mDNS clique's three rules are alike: one listed
  auto three = r;
  keep_top(three, 3, clusters::components{});  // the top 3 listed rules keep the 2 alike to them
  CHECK(three.rules.size() == 5);
  CHECK(three.clusters.size() == 3);
  CHECK(three.rules[3].alike_of == 2);
  keep_top(r, 2, clusters::components{});
  CHECK(r.rules.size() == 2);
  CHECK(r.listed_rules() == 2);
  CHECK(r.clusters.size() == 2);
}

TEST_CASE("pipeline.other_keys") {
  // One client talks to a web server and a DNS server in the same windows, over new ports each time.
  std::vector<packet> trace;
  for (std::int64_t s = 0; s < 100; ++s) {
    if (s % 4 != 0) continue;
    packet dns;
    dns.ts_ns = s * 1'000'000'000;
    dns.src = ip_address::v4(0x0a000005u);
    dns.dst = ip_address::v4(0x0a000035u);
    dns.sport = static_cast<std::uint16_t>(40000 + s);
    dns.dport = 53;
    dns.proto = proto::udp;
    packet web = dns;
    web.ts_ns += 10'000'000;
    web.dst = ip_address::v4(0x0a000050u);
    web.dport = 80;
    web.proto = proto::tcp;
    web.tcp_flags = tcp_flag::syn;
    trace.push_back(dns);
    trace.push_back(web);
  }
  const auto by_flow = mine(trace, generalize_by(lattice::none{}));
  CHECK(by_flow.rules.empty());  // every flow happens once
  const auto by_pair = mine(trace, key_by(keys::host_pair{}) | generalize_by(lattice::none{}));
  REQUIRE(by_pair.rules.size() == 1);
  CHECK(io::rule_text(by_pair, by_pair.rules[0]) == "10.0.0.5.* : 10.0.0.53.* : * <=> 10.0.0.5.* : 10.0.0.80.* : *");
  const auto by_service = mine(trace, key_by(keys::service{}) | generalize_by(lattice::none{}));
  REQUIRE(by_service.rules.size() == 1);
  CHECK(io::rule_text(by_service, by_service.rules[0]) == "*.* : 10.0.0.53.53 : udp <=> *.* : 10.0.0.80.80 : tcp");
  CHECK(by_service.rules[0].counts == pair_counts{25, 25, 25, 97});
  // The default lattice, the paper's templates, serves these keys too: with one client no template
  // adds an item that could make a rule, so the rules are the same.
  const auto pair_default = mine(trace, key_by(keys::host_pair{}));
  REQUIRE(pair_default.rules.size() == 1);
  CHECK(io::rule_text(pair_default, pair_default.rules[0]) == io::rule_text(by_pair, by_pair.rules[0]));
  const auto service_default = mine(trace, key_by(keys::service{}));
  REQUIRE(service_default.rules.size() == 1);
  CHECK(io::rule_text(service_default, service_default.rules[0]) == io::rule_text(by_service, by_service.rules[0]));
}

TEST_CASE("pipeline.the_paper_templates_over_every_key") {
  // Behaviour: the default pipeline mines with every shipped key, and the templates a key can hold
  // add generic items over it. Regression pins: how many (generic items, rules), read off this
  // version's output on the demo trace (the service key keeps no client: few templates can hold).
  const auto demo = synth::demo{.seed = 1}.packets();
  const auto count = [&](auto key) {
    const auto with = mine(demo, key_by(key));
    const auto without = mine(demo, key_by(key) | generalize_by(lattice::none{}));
    return std::pair{with.items.size() - without.items.size(), with.rules.size()};
  };
  CHECK(count(keys::five_tuple{}) == std::pair<std::size_t, std::size_t>{348, 5});
  CHECK(count(keys::host_pair{}) == std::pair<std::size_t, std::size_t>{346, 5});
  CHECK(count(keys::service{}) == std::pair<std::size_t, std::size_t>{2, 4});
}

TEST_CASE("pipeline.the_fast_engine_equals_the_obvious_one_on_generated_traces") {
  for (std::uint64_t seed : {1u, 2u}) {
    const synth::generator gen{.seed = seed, .duration = 300s, .hosts = 30, .noise_per_second = 2};
    for (std::uint32_t lag : {0u, 2u}) {
      const auto spec = key_by(keys::five_tuple{}) | window_by(windows::lagged{.width = 1s, .lag = lag});
      const auto fast = mine(gen, spec | count_by(engine::gustavson{.threads = 2}));
      const auto slow = mine(gen, spec | count_by(engine::brute_force{}));
      CHECK(fast.items.size() == slow.items.size());
      REQUIRE(fast.rules.size() == slow.rules.size());
      CHECK(fast.rules.size() > 10);
      for (std::size_t i = 0; i < fast.rules.size(); ++i) {
        CHECK(fast.items[fast.rules[i].lhs].text() == slow.items[slow.rules[i].lhs].text());
        CHECK(fast.items[fast.rules[i].rhs].text() == slow.items[slow.rules[i].rhs].text());
        CHECK(fast.rules[i].counts == slow.rules[i].counts);
        CHECK(fast.rules[i].score == doctest::Approx(slow.rules[i].score).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("pipeline.clock_at_epoch_zero_gaps_of_years_and_packets_out_of_order") {
  // Two flows meet in 40 windows: 20 at the epoch (a capture box without a clock), 20 about twenty
  // years later; every pair arrives in reverse order, a few windows late. One flow of noise.
  constexpr std::int64_t second = 1'000'000'000;
  constexpr std::int64_t years = 20LL * 365 * 24 * 3600 * second;
  std::vector<packet> trace;
  auto add = [&](std::int64_t ts, std::uint32_t dst, std::uint16_t dport) {
    packet p;
    p.ts_ns = ts;
    p.src = ip_address::v4(0x0a000001u);
    p.dst = ip_address::v4(dst);
    p.sport = 40000;
    p.dport = dport;
    p.proto = proto::udp;
    trace.push_back(p);
  };
  for (std::int64_t k = 0; k < 40; ++k) {
    const std::int64_t base = (k < 20 ? 0 : years) + (k % 20) * 10 * second + 7;  // 7 ns: nanoseconds kept
    add(base + 500'000'000, 0x0a000002u, 53);
    add(base, 0x0a000003u, 123);
    if (k % 5 == 0) add(base + 3 * second, 0x0a000004u, 161);
  }
  std::swap(trace[3], trace[30]);  // out of order across windows
  const auto r = mine(trace, generalize_by(lattice::none{}) | score_by(scores::untested{scores::jmeasure{.min_score = 0, .min_support = 3}}));
  CHECK(r.input.start_ns == 7);
  CHECK(r.input.end_ns == years + 190 * second + 500'000'007);
  CHECK(r.windows == static_cast<std::uint64_t>(years / second + 191));
  CHECK(r.flows == 3);
  CHECK(r.activity_entries == 40 + 40 + 8);
  REQUIRE(r.rules.size() == 1);
  // port 123 half a second before port 53 each time: written first, the delay exact
  CHECK(io::rule_text(r, r.rules[0]) == "10.0.0.1.40000 : 10.0.0.3.123 : udp <=> 10.0.0.1.40000 : 10.0.0.2.53 : udp");
  CHECK(r.rules[0].leads == rule_leads::lhs);
  CHECK(r.rules[0].delay == delay_summary{500, 500, 500, 40});
  CHECK(r.rules[0].counts == pair_counts{40, 40, 40, r.windows});
}

TEST_CASE("pipeline.every_pattern_lists_a_rule") {
  // Two rules in two clusters; the second is folded into the first (the same with another host),
  // so its pattern would list none: it is listed again, and the first no longer counts it.
  mine_result r;
  const auto flow = [](std::uint32_t src, std::uint16_t dport) { return exact(flow_key{ip_address::v4(src), ip_address::v4(0x0a000009), 40000, dport, 6}); };
  r.items = {flow(0x0a000001, 80), flow(0x0a000001, 443), flow(0x0a000002, 80), flow(0x0a000002, 443)};
  r.item_flows = {1, 1, 1, 1};
  r.rules = {{0, 1, rule_kind::equivalent, 0.5, 0.5, {10, 10, 10, 100}}, {2, 3, rule_kind::equivalent, 0.4, 0.4, {10, 10, 10, 100}}};
  r.rules[0].same_shape = 1;
  r.rules[1].same_shape_of = 0;
  cluster_rules(r, clusters::components{.join = {.views = false, .instances = false}});  // two patterns, not joined
  REQUIRE(r.clusters.size() == 2);
  CHECK_FALSE(r.rules[1].folded());
  CHECK(r.rules[0].same_shape == 0);
  CHECK(r.listed_rules() == 2);
}

TEST_CASE("pipeline.host_rule_delays_measured_apart_are_those_finish_rules_measures") {
  // Two clients look a name up, then open a web connection (client 1 20 ms later, client 2 40 ms),
  // 30 times each, beside a third client's lookups alone. The host rules' delays measured over
  // the host items alone and the flows (as rank 1 of expose-mine-mpi measures them) are the
  // delays finish_rules measures over the whole space, and finish_rules given them makes the same
  // rules: the same sides, delays, order.
  constexpr std::int64_t s = 1'000'000'000, ms = 1'000'000;
  std::vector<packet> trace;
  for (std::int64_t k = 0; k < 30; ++k) {
    const std::int64_t t = 1'767'600'000 * s + k * 20 * s;
    const auto port = static_cast<std::uint16_t>(40000 + k);
    trace.push_back(make_packet(t + 100 * ms, "10.0.0.1", static_cast<std::uint16_t>(port + 10000), "10.0.0.53", 53, proto::udp));
    trace.push_back(make_packet(t + 120 * ms, "10.0.0.1", port, "10.0.0.80", 80, proto::tcp));
    trace.push_back(make_packet(t + 500 * ms, "10.0.0.2", static_cast<std::uint16_t>(port + 10000), "10.0.0.53", 53, proto::udp));
    trace.push_back(make_packet(t + 540 * ms, "10.0.0.2", port, "10.0.0.80", 80, proto::tcp));
    trace.push_back(make_packet(t + 7 * s, "10.0.0.3", static_cast<std::uint16_t>(port + 10000), "10.0.0.53", 53, proto::udp));
  }
  const pipeline<> spec;
  mine_result read;
  activity act;
  {
    ingest<keys::five_tuple, windows::tumbling> in(spec.key, spec.window, {}, read);
    for (const auto& p : trace) in.take(p);
    act = std::move(in).finish();
  }
  const pattern_list flows = read.items;
  mine_result whole = read;
  const item_space space = generalize_items(whole, act, spec);
  const counted_pairs counted = count_pairs(space, spec);
  const item_space hosts_only = item_space::of_hosts(flows, act, make_host_items(flows, act, spec));
  CHECK(hosts_only.window_items() == space.base);  // host items keep their columns: ids from the flows'
  const measured_delays known = host_rule_delays(hosts_only, counted.hosts, spec);

  mine_result apart = whole, here = whole;
  bool asked = false;
  const host_delay_sources taken = finish_rules(apart, space, counted, spec, [&] {
    asked = true;
    return known;
  });
  const host_delay_sources measured = finish_rules(here, space, counted, spec);
  CHECK(asked);
  const auto offset = static_cast<std::uint32_t>(space.window_items());
  std::size_t host_rules = 0;
  REQUIRE(apart.rules.size() == here.rules.size());
  for (std::size_t i = 0; i < here.rules.size(); ++i) {
    const rule& a = apart.rules[i];
    const rule& h = here.rules[i];
    CHECK(a.lhs == h.lhs);
    CHECK(a.rhs == h.rhs);
    CHECK(a.delay == h.delay);
    CHECK(a.leads == h.leads);
    if (h.lhs < offset) continue;
    ++host_rules;
    // measured apart before the rule was turned round: as one side or the other
    const delay_summary* k = known.find(h.lhs - offset, h.rhs - offset);
    const delay_summary* turned = known.find(h.rhs - offset, h.lhs - offset);
    REQUIRE((k != nullptr || turned != nullptr));
    CHECK((k != nullptr ? *k : turned->reversed()) == h.delay);
  }
  CHECK(host_rules >= 1);
  CHECK(taken.taken == host_rules);  // every host rule's delays taken, none measured again
  CHECK(taken.measured == 0);
  CHECK(measured.taken == 0);
  CHECK(measured.measured == host_rules);
  const auto dns_web = std::find_if(here.rules.begin(), here.rules.end(), [&](const rule& x) {
    return io::rule_text(here, x) == "$A.* : 10.0.0.53.53 : udp <=> $A.* : 10.0.0.80.80 : tcp";
  });
  REQUIRE(dns_web != here.rules.end());
  CHECK(dns_web->delay.samples == 60);
  CHECK(dns_web->delay.hosts == 2);
  CHECK(known.entries.size() >= host_rules);
}
