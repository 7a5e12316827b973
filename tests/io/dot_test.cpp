#include "expose/io/dot.hpp"

#include <sstream>

#include "doctest.hpp"
#include "expose/pipeline.hpp"
#include "expose/synth/demo.hpp"

using namespace expose;

TEST_CASE("io.dot.clusters_as_subgraphs_rules_as_edges") {
  const auto r = mine(synth::demo{.seed = 1}.packets(), pipeline<>{});
  std::ostringstream s;
  io::write_dot(s, r);
  const std::string d = s.str();
  CHECK(d.rfind("digraph expose {\n", 0) == 0);
  // numbered as every report numbers the patterns, from 1, pattern 1 written last (drawn on top)
  CHECK(d.find("subgraph cluster_0 {") == std::string::npos);
  const auto first = d.find("subgraph cluster_1 {\n    label=\"pattern 1: ");
  const auto third = d.find("subgraph cluster_3 {\n    label=\"pattern 3: ");
  REQUIRE(first != std::string::npos);
  REQUIRE(third != std::string::npos);
  CHECK(third < first);
  CHECK(d.find("subgraph cluster_4 {") == std::string::npos);
  CHECK(d.find("label=\"expose: 5 rules over ") != std::string::npos);
  CHECK(d.find("[label=\"10.0.0.21.123 : 10.0.0.1.123 : udp\"]") != std::string::npos);
  CHECK(d.find("[label=\"0.4854\\n+22 ms\", weight=48, penwidth=5.00, dir=both];") != std::string::npos);  // score and delay
  std::size_t edges = 0;
  for (std::size_t at = 0; (at = d.find(" -> ", at)) != std::string::npos; ++at) ++edges;
  CHECK(edges == 5);
  CHECK(d.substr(d.size() - 2) == "}\n");
}

TEST_CASE("io.dot.one_node_a_flow_name") {
  // Items 1 and 3 have one name (a generic X and a rest of it named by its closure): one node,
  // and the rule of either is drawn from it.
  flow_pattern x = exact(flow_key{ip_address::v4(0x0a000001), ip_address::v4(0x0a000002), 0, 0, 6});
  x.set(field::src_port, slot::any);
  x.set(field::dst_port, slot::any);
  const flow_pattern y = exact(flow_key{ip_address::v4(0x0a000001), ip_address::v4(0x0a000002), 40000, 21, 6}),
                     z = exact(flow_key{ip_address::v4(0x0a000001), ip_address::v4(0x0a000003), 40001, 80, 6});
  mine_result r;
  r.items = pattern_list(std::vector<flow_pattern>{y, x, z, x});
  rule a, b;
  a.lhs = 1;
  a.rhs = 2;
  b.lhs = 3;
  b.rhs = 0;
  r.rules = {a, b};
  r.clusters.resize(1);
  r.clusters[0].items = {0, 1, 2, 3};
  r.clusters[0].rules = {0, 1};
  std::ostringstream s;
  io::write_dot(s, r);
  const std::string d = s.str();
  CHECK(d.find("n1 [label=\"10.0.0.1.* : 10.0.0.2.* : tcp\"]") != std::string::npos);
  CHECK(d.find("n3 [") == std::string::npos);
  CHECK(d.find("n1 -> n2") != std::string::npos);
  CHECK(d.find("n1 -> n0") != std::string::npos);
  CHECK(d.find("n3") == std::string::npos);
}

TEST_CASE("io.dot.quotes_labels") {
  CHECK(io::detail::dot_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  // An ampersand is one in the drawing: Graphviz reads `&amp;` in a label as an entity, so a name
  // `x&amp;y` from the traffic was drawn `x&y`.
  CHECK(io::detail::dot_quote("x&amp;y<z>") == "\"x&amp;amp;y<z>\"");
}
