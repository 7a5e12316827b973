#include "expose/io/host_graph.hpp"

#include <sstream>
#include <string>
#include <vector>

#include "doctest.hpp"

using namespace expose;

namespace {

flow_pattern pattern_flow(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport, std::uint8_t p = proto::tcp) {
  return exact(flow_key{ip_address::v4(src), ip_address::v4(dst), sport, dport, p});
}

/// A result whose one cluster holds every item.
mine_result one_cluster_of(std::vector<flow_pattern> items) {
  mine_result r;
  r.items = std::move(items);
  r.clusters.resize(1);
  for (std::uint32_t i = 0; i < r.items.size(); ++i) r.clusters[0].items.push_back(i);
  return r;
}

std::vector<std::string> edge_texts(const io::host_graph& g) {
  std::vector<std::string> out;
  for (const auto& e : g.edges) out.push_back(g.nodes[e.from].label + " -> " + g.nodes[e.to].label + " [" + e.services + "]");
  return out;
}

constexpr std::uint32_t net10 = 0x0a000000;  // 10.0.0.0

}  // namespace

TEST_CASE("io.host_graph.hosts_are_nodes_and_services_label_the_edges") {
  // Client .5 asks .53 for names and fetches from .80 on two ports; a ping to .80 too.
  const auto r = one_cluster_of({pattern_flow(net10 | 5, 40000, net10 | 53, 53, proto::udp), pattern_flow(net10 | 5, 40001, net10 | 80, 80),
                              pattern_flow(net10 | 5, 40002, net10 | 80, 443), pattern_flow(net10 | 5, 0, net10 | 80, 0, proto::icmp),
                              pattern_flow(net10 | 5, 40003, net10 | 80, 80)});  // a second connection: the same edge
  const auto g = io::pattern_hosts(r, r.clusters[0]);
  REQUIRE(g.nodes.size() == 3);
  CHECK(g.nodes[0].label == "10.0.0.5");
  CHECK(g.nodes[0].what == io::host_graph::node::kind::host);
  CHECK(edge_texts(g) == std::vector<std::string>{"10.0.0.5 -> 10.0.0.53 [53/udp]", "10.0.0.5 -> 10.0.0.80 [80/tcp, 443/tcp, icmp]"});
}

TEST_CASE("io.host_graph.many_ports_are_counted") {
  std::vector<flow_pattern> items;
  for (std::uint16_t port = 20; port < 25; ++port) items.push_back(pattern_flow(net10 | 9, 50000, net10 | 7, port));
  items.push_back(pattern_flow(net10 | 9, 50000, net10 | 7, 53, proto::udp));
  const auto r = one_cluster_of(items);
  CHECK(edge_texts(io::pattern_hosts(r, r.clusters[0])) == std::vector<std::string>{"10.0.0.9 -> 10.0.0.7 [{5 ports}/tcp, 53/udp]"});
  // most_ports moves the line: 5 ports are listed when up to 5 may be.
  CHECK(edge_texts(io::pattern_hosts(r, r.clusters[0], {.most_ports = 5})) ==
        std::vector<std::string>{"10.0.0.9 -> 10.0.0.7 [20/tcp, 21/tcp, 22/tcp, 23/tcp, 24/tcp, 53/udp]"});
}

TEST_CASE("io.host_graph.peers_alike_are_folded") {
  // A scanner reaches 6 hosts on 22/tcp (each reached by nobody else), one of them on 80/tcp as
  // well, and a 7th host on 23/tcp; host .200 also reaches .101, so .101 is no leaf.
  std::vector<flow_pattern> items;
  for (std::uint32_t h = 101; h <= 106; ++h) items.push_back(pattern_flow(net10 | 1, 0, net10 | h, 22));
  items.push_back(pattern_flow(net10 | 1, 0, net10 | 106, 80));
  items.push_back(pattern_flow(net10 | 1, 0, net10 | 107, 23));
  items.push_back(pattern_flow(net10 | 200, 0, net10 | 101, 22));
  const auto r = one_cluster_of(items);
  const auto g = io::pattern_hosts(r, r.clusters[0]);
  // .102-.105 are four leaves alike: not more than fold_above (4), so they stay.
  CHECK(g.nodes.size() == 9);
  const auto folded = io::pattern_hosts(r, r.clusters[0], {.fold_above = 3});
  CHECK(edge_texts(folded) == std::vector<std::string>{"10.0.0.1 -> 10.0.0.101 [22/tcp]", "10.0.0.1 -> 10.0.0.106 [22/tcp, 80/tcp]",
                                                       "10.0.0.1 -> 10.0.0.107 [23/tcp]", "10.0.0.200 -> 10.0.0.101 [22/tcp]",
                                                       "10.0.0.1 -> {4 hosts} [22/tcp]"});
  REQUIRE(folded.nodes.size() == 6);
  CHECK(folded.nodes.back().what == io::host_graph::node::kind::folded);
  CHECK(folded.nodes.back().folded == 4);
  // Leaves that start the flows fold on the other side: 5 clients of one server.
  std::vector<flow_pattern> clients;
  for (std::uint32_t h = 11; h <= 15; ++h) clients.push_back(pattern_flow(net10 | h, 40000, net10 | 2, 6346));
  const auto r2 = one_cluster_of(clients);
  CHECK(edge_texts(io::pattern_hosts(r2, r2.clusters[0])) == std::vector<std::string>{"{5 hosts} -> 10.0.0.2 [6346/tcp]"});
}

TEST_CASE("io.host_graph.generic_sides_and_names") {
  auto scan = pattern_flow(net10 | 1, 0, net10 | 2, 0);  // 10.0.0.1.* : $A.* : tcp, and *.* : 10.0.0.3.22 : tcp
  scan.set(field::src_port, slot::any);
  scan.set(field::dst_ip, slot::var);
  scan.set(field::dst_port, slot::any);
  auto any_client = pattern_flow(0, 0, net10 | 3, 22);
  any_client.set(field::src_ip, slot::any);
  any_client.set(field::src_port, slot::any);
  const auto r = one_cluster_of({scan, any_client});
  host_names names;
  names.add(ip_address::v4(net10 | 3), "ssh.example.org", name_source::dns);
  const auto g = io::pattern_hosts(r, r.clusters[0], {.names = &names});
  CHECK(edge_texts(g) == std::vector<std::string>{"10.0.0.1 -> $A [*/tcp]", "* -> ssh.example.org\n10.0.0.3 [22/tcp]"});
  CHECK(g.nodes[1].what == io::host_graph::node::kind::variable);
  CHECK(g.nodes[2].what == io::host_graph::node::kind::any);

  std::ostringstream dot;
  io::write_pattern_dot(dot, r, 0, {.names = &names});
  const std::string d = dot.str();
  CHECK(d.rfind("digraph patterns {\n", 0) == 0);
  CHECK(d.find("  h1 [label=\"$A\", style=\"rounded,dashed\"];\n") != std::string::npos);
  CHECK(d.find("  h3 [label=\"ssh.example.org\\n10.0.0.3\"];\n") != std::string::npos);  // DOT's line break
  CHECK(d.find("  h2 -> h3 [label=\"22/tcp\"];\n") != std::string::npos);
  CHECK(d.substr(d.size() - 2) == "}\n");
}

TEST_CASE("io.host_graph.every_pattern_in_one_graph") {
  auto r = one_cluster_of({pattern_flow(net10 | 1, 1000, net10 | 2, 53, proto::udp), pattern_flow(net10 | 1, 1001, net10 | 3, 80)});
  r.rules.resize(2);
  r.clusters.resize(2);  // the second cluster holds rule 0, so it is the most significant
  r.clusters[0].items = {1};
  r.clusters[0].rules = {1};
  r.clusters[0].summary = "web";
  r.clusters[1].items = {0};
  r.clusters[1].rules = {0};
  r.clusters[1].summary = "dns";
  std::ostringstream dot;
  io::write_patterns_dot(dot, r);
  const std::string d = dot.str();
  const auto first = d.find("subgraph cluster_1 {\n    label=\"pattern 1: dns\"");
  const auto second = d.find("subgraph cluster_2 {\n    label=\"pattern 2: web\"");
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  CHECK(second < first);  // written last, pattern 1 is drawn on top (Graphviz stacks a left-to-right graph's subgraphs bottom up)
  CHECK(d.find("    p1_0 -> p1_1 [label=\"53/udp\"];\n") != std::string::npos);
  CHECK(d.find("    p2_0 -> p2_1 [label=\"80/tcp\"];\n") != std::string::npos);
}
