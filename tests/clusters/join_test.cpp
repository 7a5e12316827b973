#include "expose/clusters/join.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "doctest.hpp"
#include "expose/accuracy.hpp"
#include "expose/clusters/components.hpp"
#include "expose/clusters/spectral.hpp"
#include "expose/pipeline.hpp"
#include "expose/synth/generator.hpp"

using namespace expose;

namespace {
constexpr std::uint32_t ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d;
}
flow_pattern flow(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport, std::uint8_t p = proto::udp) {
  return exact(flow_key{ip_address::v4(src), ip_address::v4(dst), sport, dport, p});
}
flow_pattern widen(flow_pattern p, std::initializer_list<field> fields) {
  for (auto f : fields) p.set(f, slot::any);
  return p;
}
cluster of(std::vector<std::uint32_t> items, std::vector<std::size_t> rules) {
  cluster c;
  c.items = std::move(items);
  c.rules = std::move(rules);
  return c;
}

// A traceroute as the miner sees it: items 0-2 are ICMP replies from three hops, item 3 the
// generic item covering all the UDP probes (`T.* : Target.* : udp`), items 4-6 the probes to each
// port (`T.* : Target.33434 : udp` ...), each covering 12 probe flows.
constexpr std::uint32_t tracer = ip(10, 0, 5, 5), target = ip(198, 51, 100, 200);
std::vector<flow_pattern> traceroute_items() {
  std::vector<flow_pattern> items;
  for (std::uint8_t h = 1; h <= 3; ++h) items.push_back(flow(tracer, 0, ip(198, 51, 100, h), 0, proto::icmp));
  items.push_back(widen(flow(tracer, 0, target, 0), {field::src_port, field::dst_port}));
  for (std::uint16_t port = 33434; port < 33437; ++port) items.push_back(widen(flow(tracer, 0, target, port), {field::src_port}));
  return items;
}
}  // namespace

TEST_CASE("clusters.join.a_finer_view_of_a_generic_item_joins_its_cluster") {
  const auto items = traceroute_items();
  std::vector<cluster> c{of({0, 1, 2, 3}, {0, 1, 2, 3, 4, 5}), of({4, 5, 6}, {6, 7, 8})};
  clusters::join(c, items, {1, 1, 1, 36, 12, 12, 12});
  REQUIRE(c.size() == 1);
  CHECK(c[0].items == std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6});
  CHECK(c[0].rules == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(c[0].parts == 2);
}

TEST_CASE("clusters.join.a_sliver_of_a_generic_item_stays_apart") {
  // The probes make up 36 of the generic item's 36 flows above; here the generic item covers 73
  // flows (a scan of the target), of which the three port items make up 36: less than half.
  const auto items = traceroute_items();
  std::vector<cluster> c{of({0, 1, 2, 3}, {0, 1, 2, 3, 4, 5}), of({4, 5, 6}, {6, 7, 8})};
  clusters::join(c, items, {1, 1, 1, 73, 12, 12, 12}, {.instances = false});
  CHECK(c.size() == 2);
  clusters::join(c, items, {1, 1, 1, 72, 12, 12, 12}, {.instances = false});
  CHECK(c.size() == 1);  // exactly half joins
}

TEST_CASE("clusters.join.every_item_must_be_covered") {
  auto items = traceroute_items();
  items[6] = flow(tracer, 40000, ip(198, 51, 100, 201), 33436);  // not the target: not covered
  std::vector<cluster> c{of({0, 1, 2, 3}, {0}), of({4, 5, 6}, {1})};
  clusters::join(c, items, {1, 1, 1, 24, 12, 12, 1}, {.instances = false});
  CHECK(c.size() == 2);
}

TEST_CASE("clusters.join.instances_around_one_host_with_flows_to_one_port") {
  // Three FTP clients, each a cluster of its control connection and its data connections to the
  // mirror; a fourth cluster, one client's ssh to the mirror and its mail, is another pattern.
  constexpr std::uint32_t mirror = ip(10, 0, 0, 21);
  std::vector<flow_pattern> items;
  for (std::uint8_t k = 1; k <= 3; ++k) {
    items.push_back(widen(flow(ip(10, 1, 0, k), 0, mirror, 21, proto::tcp), {field::src_port}));
    items.push_back(widen(flow(ip(10, 1, 0, k), 0, mirror, 0, proto::tcp), {field::src_port, field::dst_port}));
  }
  items.push_back(widen(flow(ip(10, 1, 0, 9), 0, mirror, 22, proto::tcp), {field::src_port}));
  items.push_back(widen(flow(ip(10, 1, 0, 9), 0, ip(10, 0, 0, 25), 25, proto::tcp), {field::src_port}));
  std::vector<cluster> c{of({0, 1}, {0}), of({6, 7}, {1}), of({2, 3}, {2}), of({4, 5}, {3})};
  const std::vector<std::uint32_t> flows(items.size(), 5);
  auto apart = c;
  clusters::join(apart, items, flows, {.instances = false});
  CHECK(apart.size() == 4);
  clusters::join(c, items, flows);
  REQUIRE(c.size() == 2);
  CHECK(c[0].items == std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5});
  CHECK(c[0].rules == std::vector<std::size_t>{0, 2, 3});
  CHECK(c[0].parts == 3);
  CHECK(c[1].items == std::vector<std::uint32_t>{6, 7});  // the client 10.1.0.9 is in both of its flows, but
  CHECK(c[1].parts == 1);                                  // no other cluster has a flow to 22 or 25 around it
}

TEST_CASE("clusters.join.broadcast_and_multicast_are_no_pivot") {
  // Two clusters whose every flow goes to 255.255.255.255:67, and two to 224.0.0.251:5353, from
  // different hosts: nothing ties them but the shared destination.
  std::vector<flow_pattern> items{flow(ip(10, 0, 0, 1), 68, 0xffffffffu, 67), flow(ip(10, 0, 0, 2), 68, 0xffffffffu, 67),
                                  flow(ip(10, 0, 0, 3), 68, 0xffffffffu, 67), flow(ip(10, 0, 0, 4), 68, 0xffffffffu, 67),
                                  flow(ip(10, 0, 0, 5), 5353, ip(224, 0, 0, 251), 5353), flow(ip(10, 0, 0, 6), 5353, ip(224, 0, 0, 251), 5353),
                                  flow(ip(10, 0, 0, 7), 5353, ip(224, 0, 0, 251), 5353), flow(ip(10, 0, 0, 8), 5353, ip(224, 0, 0, 251), 5353)};
  std::vector<cluster> c{of({0, 1}, {0}), of({2, 3}, {1}), of({4, 5}, {2}), of({6, 7}, {3})};
  clusters::join(c, items, std::vector<std::uint32_t>(items.size(), 1));
  CHECK(c.size() == 4);
}

TEST_CASE("clusters.join.parts_in_the_summary") {
  const auto items = traceroute_items();
  std::vector<rule> rules;
  const auto tie = [&](std::uint32_t a, std::uint32_t b) {
    rule r;
    r.lhs = a;
    r.rhs = b;
    rules.push_back(r);
  };
  for (std::uint32_t a = 0; a < 4; ++a)
    for (std::uint32_t b = a + 1; b < 4; ++b) tie(a, b);  // rules 0-5: the replies and the generic item
  tie(4, 5);                                              // rules 6-8: the probes
  tie(4, 6);
  tie(5, 6);
  std::vector<cluster> c{of({0, 1, 2, 3}, {0, 1, 2, 3, 4, 5}), of({4, 5, 6}, {6, 7, 8})};
  clusters::join(c, items, {1, 1, 1, 36, 12, 12, 12});
  clusters::describe(c, rules, items);
  REQUIRE(c.size() == 1);
  CHECK(c[0].summary ==
        "10.0.5.5.{0,*} : {198.51.100.1,198.51.100.2,198.51.100.3,198.51.100.200}.{5 ports} : {icmp,udp} "
        "\u2014 2 parts: clique of 4; clique of 3");
}

TEST_CASE("clusters.join.generated_traces_one_cluster_per_planted_pattern") {
  // Every planted pattern of more than one flow comes out as one cluster, the traceroute's ICMP
  // replies and UDP probes, each FTP client's connections and each BitTorrent host's peers
  // included; and no cluster holds flows of two patterns that share no flow (the DNS lookup
  // belongs to both dns-before-web and llmnr-dns-wins, so those two are one group here). Both
  // cluster policies, two seeds.
  for (std::uint64_t seed : {1u, 2u}) {
    const synth::generator gen{.seed = seed, .duration = std::chrono::seconds(1200), .hosts = 100, .noise_per_second = 10};
    const auto truth = gen.truth();
    const auto check = [&](const mine_result& r, const std::string& policy) {
      INFO("seed ", seed, ", ", policy);
      const auto owners = [&](std::uint32_t item) {
        std::vector<std::size_t> out;
        for (std::size_t p = 0; p < truth.patterns.size(); ++p)
          for (const auto& m : truth.patterns[p].members)
            if (detail::meets(r.items[item], m)) {
              out.push_back(p);
              break;
            }
        return out;
      };
      // Patterns that share a flow are one group.
      std::vector<std::size_t> group(truth.patterns.size());
      std::iota(group.begin(), group.end(), std::size_t{0});
      const auto find = [&](std::size_t p) {
        while (group[p] != p) p = group[p];
        return p;
      };
      for (std::uint32_t item = 0; item < r.items.size(); ++item) {
        const auto o = owners(item);
        for (std::size_t k = 1; k < o.size(); ++k) group[find(o[k])] = find(o[0]);
      }
      std::map<std::string, std::set<std::size_t>> where;  // pattern -> clusters holding its flows
      for (std::size_t c = 0; c < r.clusters.size(); ++c) {
        std::set<std::size_t> groups;
        for (auto item : r.clusters[c].items)
          for (auto p : owners(item)) {
            groups.insert(find(p));
            where[truth.patterns[p].name].insert(c);
          }
        CHECK_MESSAGE(groups.size() <= 1, "cluster ", c, " mixes patterns: ", r.clusters[c].summary);
      }
      std::size_t seen = 0;
      for (const auto& p : truth.patterns) {
        const bool many_flows = p.members.size() > 1 || std::any_of(p.members.begin(), p.members.end(), [](const auto& m) { return m.many; });
        if (!many_flows || p.name == "noise" || p.name == "heavy") continue;
        ++seen;
        CHECK_MESSAGE(where[p.name].size() == 1, p.name, " is spread over ", where[p.name].size(), " clusters");
      }
      CHECK(seen == 14);  // 13 kinds, BitTorrent on two hosts
    };
    check(mine(gen, pipeline<>{}), "components");
    check(mine(gen, pipeline<>{} | cluster_by(clusters::spectral{})), "spectral");
  }
}
