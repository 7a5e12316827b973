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
constexpr std::uint32_t ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d;
}
flow_pattern flow(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport, std::uint8_t p = proto::udp) {
  return exact(flow_key{ip_address::v4(src), ip_address::v4(dst), sport, dport, p});
}
flow_pattern widen(flow_pattern p, std::initializer_list<field> fields, slot s = slot::any) {
  for (auto f : fields) p.set(f, s);
  return p;
}

// A rule graph under construction: each cluster added is a clique of rules over its items.
struct graph {
  std::vector<rule> rules;
  std::vector<cluster> clusters;
  std::size_t tie(std::uint32_t a, std::uint32_t b) {
    rule r;
    r.lhs = a;
    r.rhs = b;
    rules.push_back(r);
    return rules.size() - 1;
  }
  graph& add(std::vector<std::uint32_t> items) {
    cluster c;
    for (std::size_t x = 0; x < items.size(); ++x)
      for (std::size_t y = x + 1; y < items.size(); ++y) c.rules.push_back(tie(items[x], items[y]));
    std::sort(items.begin(), items.end());
    c.items = std::move(items);
    clusters.push_back(std::move(c));
    return *this;
  }
};

// A traceroute as the miner sees it: items 0-2 are ICMP replies from three hops, item 3 the
// generic item covering all the UDP probes (`T.* : Target.* : udp`), items 4-6 the probes to each
// port (`T.* : Target.33434 : udp` ...), each covering 12 probe flows.
constexpr std::uint32_t tracer = ipv4(10, 0, 5, 5), target = ipv4(198, 51, 100, 200);
std::vector<flow_pattern> traceroute_items() {
  std::vector<flow_pattern> items;
  for (std::uint8_t h = 1; h <= 3; ++h) items.push_back(flow(tracer, 0, ipv4(198, 51, 100, h), 0, proto::icmp));
  items.push_back(widen(flow(tracer, 0, target, 0), {field::src_port, field::dst_port}));
  for (std::uint16_t port = 33434; port < 33437; ++port) items.push_back(widen(flow(tracer, 0, target, port), {field::src_port}));
  return items;
}
// FTP clients 10.1.0.1, 10.1.0.2 ...: per client its control connections to the mirror
// (`C.* : Mirror.21`) and its passive data connections (`C.* : Mirror.*`).
constexpr std::uint32_t mirror = ipv4(10, 0, 0, 21);
std::vector<flow_pattern> ftp_clients(std::uint8_t n) {
  std::vector<flow_pattern> items;
  for (std::uint8_t k = 1; k <= n; ++k) {
    items.push_back(widen(flow(ipv4(10, 1, 0, k), 0, mirror, 21, proto::tcp), {field::src_port}));
    items.push_back(widen(flow(ipv4(10, 1, 0, k), 0, mirror, 0, proto::tcp), {field::src_port, field::dst_port}));
  }
  return items;
}
graph traceroute_graph() { return graph{}.add({0, 1, 2, 3}).add({4, 5, 6}); }
constexpr clusters::join_options views_only{.instances = false};
constexpr clusters::join_options instances_only{.views = false};
}  // namespace

TEST_CASE("clusters.join.a_finer_view_of_a_generic_item_joins_its_cluster") {
  const auto items = traceroute_items();
  auto g = traceroute_graph();
  clusters::join(g.clusters, g.rules, items, {1, 1, 1, 36, 12, 12, 12}, views_only);
  REQUIRE(g.clusters.size() == 1);
  CHECK(g.clusters[0].items == std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6});
  CHECK(g.clusters[0].rules == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(g.clusters[0].parts == 2);
  auto apart = traceroute_graph();
  clusters::join(apart.clusters, apart.rules, items, {1, 1, 1, 36, 12, 12, 12}, instances_only);
  CHECK(apart.clusters.size() == 2);  // no host and port ties them: the ICMP cluster has no port
}

TEST_CASE("clusters.join.a_sliver_of_a_generic_item_stays_apart") {
  // The probes make up 36 of the generic item's 36 flows above; here the generic item covers 73
  // flows (a scan of the target), of which the three port items make up 36: less than half.
  const auto items = traceroute_items();
  auto g = traceroute_graph();
  clusters::join(g.clusters, g.rules, items, {1, 1, 1, 73, 12, 12, 12}, views_only);
  CHECK(g.clusters.size() == 2);
  clusters::join(g.clusters, g.rules, items, {1, 1, 1, 72, 12, 12, 12}, views_only);
  CHECK(g.clusters.size() == 1);  // exactly half joins
}

TEST_CASE("clusters.join.the_share_counts_the_most_specific_cover_once") {
  // Beside `T.* : Target.* : udp` (36 flows), cluster A also holds `*.* : Target.* : udp` (40
  // flows: the same probes and 4 from elsewhere). The probes are 36 of 36 of the most specific
  // cover, not 36 of 76.
  auto items = traceroute_items();
  items.push_back(widen(flow(tracer, 0, target, 0), {field::src_ip, field::src_port, field::dst_port}));
  auto g = graph{}.add({0, 1, 2, 3, 7}).add({4, 5, 6});
  clusters::join(g.clusters, g.rules, items, {1, 1, 1, 36, 12, 12, 12, 40}, views_only);
  CHECK(g.clusters.size() == 1);
  // A probe item covered by another item of its own cluster counts once, through that item: the
  // generic probe item moved into B (now 36 + 12 + 12 + 12 flows of B, but 36 distinct) against
  // A's `*.* : Target.* : udp` of 80 flows stays apart.
  auto h = graph{}.add({0, 1, 2, 7}).add({3, 4, 5, 6});
  clusters::join(h.clusters, h.rules, items, {1, 1, 1, 36, 12, 12, 12, 80}, views_only);
  CHECK(h.clusters.size() == 2);
}

TEST_CASE("clusters.join.every_item_must_be_covered") {
  auto items = traceroute_items();
  items[6] = flow(tracer, 40000, ipv4(198, 51, 100, 201), 33436);  // not the target: not covered
  auto g = traceroute_graph();
  clusters::join(g.clusters, g.rules, items, {1, 1, 1, 24, 12, 12, 1}, views_only);
  CHECK(g.clusters.size() == 2);
}

TEST_CASE("clusters.join.instances_of_a_host_variable") {
  // A: every client resolves a name, then fetches a page (`$A.* : DNS.53`, `$A.* : Web.80`, 1000
  // flows each). B: two clients' page fetches that met by chance (5 flows each): a sliver, but
  // each is an instance of `$A.* : Web.80`, so B joins A. C: a client's fetch from another web
  // server beside one from Web: not every item an instance, C stays apart. D: `*.* : DNS.53` and
  // `*.* : Web.80` of the window space, equal to A's items but for the variable: D joins A.
  constexpr std::uint32_t dns = ipv4(10, 0, 0, 53), web = ipv4(10, 0, 0, 80), other = ipv4(10, 0, 0, 81);
  std::vector<flow_pattern> items{
      widen(widen(flow(0, 0, dns, 53), {field::src_port}), {field::src_ip}, slot::var),
      widen(widen(flow(0, 0, web, 80, proto::tcp), {field::src_port}), {field::src_ip}, slot::var),
      widen(flow(ipv4(10, 1, 0, 8), 0, web, 80, proto::tcp), {field::src_port}),
      widen(flow(ipv4(10, 1, 0, 64), 0, web, 80, proto::tcp), {field::src_port}),
      widen(flow(ipv4(10, 1, 0, 9), 0, web, 80, proto::tcp), {field::src_port}),
      widen(flow(ipv4(10, 1, 0, 9), 0, other, 80, proto::tcp), {field::src_port}),
      widen(flow(0, 0, dns, 53), {field::src_ip, field::src_port}),
      widen(flow(0, 0, web, 80, proto::tcp), {field::src_ip, field::src_port}),
  };
  CHECK(items[0].text() == "$A.* : 10.0.0.53.53 : udp");
  auto g = graph{}.add({0, 1}).add({2, 3}).add({4, 5}).add({6, 7});
  clusters::join(g.clusters, g.rules, items, {1000, 1000, 5, 5, 5, 5, 1000, 1000}, views_only);
  REQUIRE(g.clusters.size() == 2);
  CHECK(g.clusters[0].items == std::vector<std::uint32_t>{0, 1, 2, 3, 6, 7});
  CHECK(g.clusters[0].parts == 3);
  CHECK(g.clusters[1].items == std::vector<std::uint32_t>{4, 5});
}

TEST_CASE("clusters.join.instances_around_one_host_with_flows_to_one_port") {
  // Three FTP clients, each a cluster of its control connection and its data connections to the
  // mirror. A fourth cluster, one client's ssh to the mirror and its mail, is another pattern; a
  // fifth has a flow to the mirror's port 21, but its other flow goes elsewhere, so the mirror is
  // not in every flow of it (and its client, in both, is in no other cluster).
  auto items = ftp_clients(3);
  items.push_back(widen(flow(ipv4(10, 1, 0, 9), 0, mirror, 22, proto::tcp), {field::src_port}));
  items.push_back(widen(flow(ipv4(10, 1, 0, 9), 0, ipv4(10, 0, 0, 25), 25, proto::tcp), {field::src_port}));
  items.push_back(widen(flow(ipv4(10, 1, 0, 10), 0, mirror, 21, proto::tcp), {field::src_port}));
  items.push_back(widen(flow(ipv4(10, 1, 0, 10), 0, ipv4(10, 0, 0, 80), 80, proto::tcp), {field::src_port}));
  auto g = graph{}.add({0, 1}).add({6, 7}).add({2, 3}).add({4, 5}).add({8, 9});
  const std::vector<std::uint32_t> flows(items.size(), 5);
  auto apart = g;
  clusters::join(apart.clusters, apart.rules, items, flows, views_only);
  CHECK(apart.clusters.size() == 5);
  clusters::join(g.clusters, g.rules, items, flows, instances_only);
  REQUIRE(g.clusters.size() == 3);
  CHECK(g.clusters[0].items == std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5});
  CHECK(g.clusters[0].rules == std::vector<std::size_t>{0, 2, 3});
  CHECK(g.clusters[0].parts == 3);
  CHECK(g.clusters[1].items == std::vector<std::uint32_t>{6, 7});
  CHECK(g.clusters[1].parts == 1);
  CHECK(g.clusters[2].items == std::vector<std::uint32_t>{8, 9});
}

TEST_CASE("clusters.join.rules_the_policy_cut_between_joined_parts_come_back") {
  // Spectral clustering drops the rules it cuts; when the parts join again, so do those rules.
  const auto items = ftp_clients(2);
  auto g = graph{}.add({0, 1}).add({2, 3});
  g.tie(1, 2);  // rule 2: cut by the policy, in no cluster
  clusters::join(g.clusters, g.rules, items, std::vector<std::uint32_t>(items.size(), 5));
  REQUIRE(g.clusters.size() == 1);
  CHECK(g.clusters[0].rules == std::vector<std::size_t>{0, 1, 2});
}

TEST_CASE("clusters.join.no_pivot_without_one_host_and_a_service_port") {
  // Clusters whose every flow goes to 255.255.255.255:67, to 10.0.0.255:137, to 224.0.0.251:5353
  // or to [ff02::fb]:5353, two each from different hosts, share only the destination; two
  // clusters of one host's pings (ICMP, port 0) beside different UDP services share only ICMP.
  // An IPv6 host with two clusters of flows to its port 443 is one.
  const auto v6 = [](const char* s) { return *ip_address::parse(s); };
  const auto flow6 = [&](const char* src, const char* dst, std::uint16_t dport) {
    return exact(flow_key{v6(src), v6(dst), 40000, dport, proto::udp});
  };
  std::vector<flow_pattern> items{flow(ipv4(10, 0, 0, 1), 68, 0xffffffffu, 67),          flow(ipv4(10, 0, 0, 2), 68, 0xffffffffu, 67),
                                  flow(ipv4(10, 0, 0, 3), 68, 0xffffffffu, 67),          flow(ipv4(10, 0, 0, 4), 68, 0xffffffffu, 67),
                                  flow(ipv4(10, 0, 0, 5), 137, ipv4(10, 0, 0, 255), 137),  flow(ipv4(10, 0, 0, 6), 137, ipv4(10, 0, 0, 255), 137),
                                  flow(ipv4(10, 0, 0, 7), 137, ipv4(10, 0, 0, 255), 137),  flow(ipv4(10, 0, 0, 8), 137, ipv4(10, 0, 0, 255), 137),
                                  flow(ipv4(10, 0, 0, 9), 5353, ipv4(224, 0, 0, 251), 5353), flow(ipv4(10, 0, 0, 10), 5353, ipv4(224, 0, 0, 251), 5353),
                                  flow(ipv4(10, 0, 0, 11), 5353, ipv4(224, 0, 0, 251), 5353), flow(ipv4(10, 0, 0, 12), 5353, ipv4(224, 0, 0, 251), 5353),
                                  flow6("fe80::1", "ff02::fb", 5353),                  flow6("fe80::2", "ff02::fb", 5353),
                                  flow6("fe80::3", "ff02::fb", 5353),                  flow6("fe80::4", "ff02::fb", 5353),
                                  flow(ipv4(10, 0, 0, 20), 0, ipv4(10, 0, 0, 1), 0, proto::icmp), flow(ipv4(10, 0, 0, 20), 5000, ipv4(10, 0, 0, 53), 53),
                                  flow(ipv4(10, 0, 0, 20), 0, ipv4(10, 0, 0, 2), 0, proto::icmp), flow(ipv4(10, 0, 0, 20), 123, ipv4(10, 0, 0, 123), 123),
                                  flow6("2001:db8::1", "2001:db8::443", 443),          flow6("2001:db8::2", "2001:db8::443", 443),
                                  flow6("2001:db8::3", "2001:db8::443", 443),          flow6("2001:db8::4", "2001:db8::443", 443)};
  auto g = graph{};
  for (std::uint32_t k = 0; k < items.size(); k += 2) g.add({k, k + 1});
  clusters::join(g.clusters, g.rules, items, std::vector<std::uint32_t>(items.size(), 1), instances_only);
  REQUIRE(g.clusters.size() == 11);
  CHECK(g.clusters[10].items == std::vector<std::uint32_t>{20, 21, 22, 23});
}

TEST_CASE("clusters.join.parts_in_the_summary") {
  const auto items = traceroute_items();
  auto g = traceroute_graph();
  clusters::join(g.clusters, g.rules, items, {1, 1, 1, 36, 12, 12, 12});
  clusters::describe(g.clusters, g.rules, items);
  REQUIRE(g.clusters.size() == 1);
  CHECK(g.clusters[0].summary ==
        "10.0.5.5.{0,*} : {198.51.100.1,198.51.100.2,198.51.100.3,198.51.100.200}.{4 ports,*} : {icmp,udp} "
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
      // A host-variable item is a pattern's only where the member names each address the item
      // keeps: `$A.* : Mirror.*` is FTP's, not the BitTorrent host's `Host.* : *.*` peers'.
      const auto names_kept_hosts = [](const flow_pattern& item, const synth::truth_member& m) {
        const bool var = std::any_of(item.slots.begin(), item.slots.end(), [](slot s) { return s == slot::var; });
        if (!var) return true;
        for (const field f : {field::src_ip, field::dst_ip})
          if (item.at(f) == slot::kept && m.flow.at(f) != slot::kept) return false;
        return true;
      };
      const auto owners = [&](std::uint32_t item) {
        std::vector<std::size_t> out;
        for (std::size_t p = 0; p < truth.patterns.size(); ++p)
          for (const auto& m : truth.patterns[p].members)
            if (detail::meets(r.items[item], m) && names_kept_hosts(r.items[item], m)) {
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
