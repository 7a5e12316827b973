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
  CHECK(d.find("subgraph cluster_0 {") != std::string::npos);
  CHECK(d.find("subgraph cluster_2 {") != std::string::npos);
  CHECK(d.find("subgraph cluster_3 {") == std::string::npos);
  CHECK(d.find("[label=\"10.0.0.21.123 : 10.0.0.1.123 : udp\"]") != std::string::npos);
  CHECK(d.find("[label=\"0.4854\\n+22 ms\", weight=48, penwidth=5.00, dir=both];") != std::string::npos);  // score and delay
  std::size_t edges = 0;
  for (std::size_t at = 0; (at = d.find(" -> ", at)) != std::string::npos; ++at) ++edges;
  CHECK(edges == 5);
  CHECK(d.substr(d.size() - 2) == "}\n");
}

TEST_CASE("io.dot.quotes_labels") { CHECK(io::detail::dot_quote("a\"b\\c") == "\"a\\\"b\\\\c\""); }
