#include "expose/clusters/summary.hpp"

#include <string>
#include <vector>

#include "doctest.hpp"

using namespace expose;

namespace {
flow_pattern tcp_flow(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport, std::uint8_t p = proto::tcp) {
  return exact(flow_key{ip_address::v4(src), ip_address::v4(dst), sport, dport, p});
}
rule edge(std::uint32_t a, std::uint32_t b) {
  rule r;
  r.lhs = a;
  r.rhs = b;
  return r;
}
}  // namespace

TEST_CASE("clusters.summary.shared_fields_once_differing_ones_as_a_set") {
  std::vector<flow_pattern> items{tcp_flow(0x0a000063, 1, 0x0a000003, 22), tcp_flow(0x0a000063, 1, 0x0a000001, 22), tcp_flow(0x0a000063, 1, 0x0a000002, 22)};
  for (auto& p : items) {  // *.* : R.22, as the paper's scan rule
    p.slots[static_cast<std::size_t>(field::src_ip)] = slot::any;
    p.slots[static_cast<std::size_t>(field::src_port)] = slot::any;
  }
  std::vector<cluster> c(1);
  c[0].items = {0, 1, 2};
  c[0].rules = {0, 1, 2};
  clusters::describe(c, {edge(0, 1), edge(1, 2), edge(0, 2)}, items);
  CHECK(c[0].density == 1.0);
  CHECK(c[0].summary == "*.* : {10.0.0.1,10.0.0.2,10.0.0.3}.22 : tcp \u2014 clique of 3");
}

TEST_CASE("clusters.summary.stars_counts_and_density") {
  std::vector<flow_pattern> items;
  for (std::uint16_t i = 0; i < 6; ++i) items.push_back(tcp_flow(0x0a000005, 5000, 0x0a000010 + i, static_cast<std::uint16_t>(80 + i)));
  std::vector<cluster> star(1);
  star[0].items = {0, 1, 2, 3, 4, 5};
  star[0].rules = {0, 1, 2, 3, 4};
  clusters::describe(star, {edge(0, 1), edge(0, 2), edge(3, 0), edge(0, 4), edge(0, 5)}, items);
  CHECK(star[0].density == doctest::Approx(5.0 / 15));
  CHECK(star[0].summary == "10.0.0.5.5000 : {6 hosts}.{6 ports} : tcp \u2014 star of 6 around 10.0.0.5.5000 : 10.0.0.16.80 : tcp");
  std::vector<cluster> chain(1);
  chain[0].items = {0, 1, 2, 3};
  chain[0].rules = {0, 1, 2};
  clusters::describe(chain, {edge(0, 1), edge(1, 2), edge(2, 3)}, items);
  CHECK(chain[0].summary == "10.0.0.5.5000 : {10.0.0.16,10.0.0.17,10.0.0.18,10.0.0.19}.{80,81,82,83} : tcp \u2014 4 flows, 3 pairs, density 0.50");
}

TEST_CASE("clusters.summary.a_wildcard_among_many_hosts_is_not_counted_as_one") {
  // Four hosts to one port and the same port from any host: four hosts and `*`, not "5 hosts".
  std::vector<flow_pattern> items;
  for (std::uint16_t i = 0; i < 4; ++i) items.push_back(tcp_flow(0x0a000010 + i, 5353, 0xe00000fb, 5353, proto::udp));
  items.push_back(tcp_flow(0, 5353, 0xe00000fb, 5353, proto::udp));
  items.back().slots[static_cast<std::size_t>(field::src_ip)] = slot::any;
  std::vector<cluster> c(1);
  c[0].items = {0, 1, 2, 3, 4};
  c[0].rules = {0, 1, 2, 3};
  clusters::describe(c, {edge(4, 0), edge(4, 1), edge(4, 2), edge(4, 3)}, items);
  CHECK(c[0].summary.starts_with("{4 hosts,*}.5353 : 224.0.0.251.5353 : udp \u2014 star of 5 around "));
}

TEST_CASE("clusters.summary.a_name_two_items_share_is_listed_once") {
  flow_pattern x = tcp_flow(0x0a000001, 0, 0x0a000002, 0);
  x.slots[static_cast<std::size_t>(field::src_port)] = slot::any;
  x.slots[static_cast<std::size_t>(field::dst_port)] = slot::any;
  const flow_pattern y = tcp_flow(0x0a000001, 40000, 0x0a000002, 21), z = tcp_flow(0x0a000001, 40001, 0x0a000003, 80);
  const pattern_list items(std::vector<flow_pattern>{y, x, z, x, y});  // 1 and 3 one name (X and a rest of X), 0 and 4 another
  cluster c;
  c.items = {3, 0, 1, 2, 4};
  CHECK(clusters::listed_flows(c, items) == std::vector<std::uint32_t>{3, 0, 2});
  c.items = {2};
  CHECK(clusters::listed_flows(c, items) == std::vector<std::uint32_t>{2});
  // Described by name too: rules 1-2, 3-0 and 0-2 join three flow names, each to each (counted by
  // item: 4 items, 3 pairs of 6, density 0.5); a rule between items 1 and 3 (one name) is no pair.
  std::vector<cluster> cs(1);
  cs[0].items = {0, 1, 2, 3};
  cs[0].rules = {0, 1, 2, 3};
  clusters::describe(cs, {edge(1, 2), edge(3, 0), edge(0, 2), edge(1, 3)}, items);
  CHECK(cs[0].density == 1.0);
  CHECK(cs[0].summary == "10.0.0.1.{40000,40001,*} : {10.0.0.2,10.0.0.3}.{21,80,*} : tcp \u2014 clique of 3");
  c.items.clear();
  CHECK(clusters::listed_flows(c, items).empty());
}
