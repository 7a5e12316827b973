#pragma once
// A pattern drawn at host level, for a person: hosts are the nodes, the services they use are the
// edges (`53/udp`, `{69 ports}/tcp`), and the generic parts stay generic (`*`, a host variable
// `$A`). Where one host talks to many hosts that talk to nobody else in the pattern, alike, those
// are folded into one node `{30 hosts}`: a port scan is two nodes, not a thousand. The rule graph
// (io/dot.hpp) draws flows and rules; this draws who talks to whom.
//
//   host_graph g = pattern_hosts(result, result.clusters[c], &names);   // nodes and edges
//   write_pattern_dot(out, result, {.names = &names});                   // every pattern, DOT

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "expose/address.hpp"
#include "expose/flow_key.hpp"
#include "expose/io/dot.hpp"
#include "expose/io/text.hpp"
#include "expose/mine_result.hpp"
#include "expose/names.hpp"
#include "expose/packet.hpp"

namespace expose::io {

/// One pattern's hosts and who talks to whom.
struct host_graph {
  struct node {
    enum class kind : std::uint8_t { host, any, variable, folded };
    kind what = kind::host;
    ip_address address{};  ///< a host's address
    std::size_t folded = 0;  ///< how many hosts a folded node stands for
    std::string label;     ///< as drawn: `name` and the address on a second line, `*`, `$A`, `{30 hosts}`
  };
  struct edge {
    std::size_t from = 0, to = 0;  ///< initiator, responder (node indices)
    std::string services;          ///< e.g. `53/udp, 80/tcp` or `{69 ports}/tcp`
  };
  std::vector<node> nodes;
  std::vector<edge> edges;
};

struct host_graph_options {
  const host_names* names = nullptr;  ///< names shown above addresses
  std::size_t fold_above = 4;         ///< more peers alike than this are folded into one node
  std::size_t most_ports = 3;         ///< more ports of one protocol on an edge are counted, `{N ports}`
};

namespace detail {

/// The services of one edge: ports grouped by protocol in numeric order, `80/tcp, 443/tcp`, or
/// `{12 ports}/tcp`; then the protocols without ports.
[[nodiscard]] inline std::string services_text(const std::set<std::pair<std::uint8_t, int>>& by_proto_port,
                                               const std::set<std::string>& whole, std::size_t most_ports) {
  std::map<std::uint8_t, std::vector<std::string>> ports;  // -1: any port, `*`
  for (const auto& [proto, port] : by_proto_port) ports[proto].push_back(port < 0 ? "*" : std::to_string(port));
  std::string out;
  for (const auto& [proto, list] : ports) {
    const std::string name = proto_name(proto);
    std::string part;
    if (list.size() > most_ports) {
      part = "{" + std::to_string(list.size()) + " ports}/" + name;
    } else {
      for (const auto& p : list) part += (part.empty() ? "" : ", ") + p + "/" + name;
    }
    out += (out.empty() ? "" : ", ") + part;
  }
  for (const auto& w : whole) out += (out.empty() ? "" : ", ") + w;
  return out;
}

}  // namespace detail

/// The host-level picture of one cluster of `r`.
[[nodiscard]] inline host_graph pattern_hosts(const mine_result& r, const cluster& c, const host_graph_options& opt = {}) {
  using node = host_graph::node;
  host_graph g;
  // Nodes: one per address, one for `*`, one per host variable.
  std::map<std::tuple<int, ip_address>, std::size_t> node_of;
  const auto side = [&](const flow_pattern& p, field f) {
    const slot s = p.at(f);
    const ip_address a = f == field::src_ip ? p.key.src : p.key.dst;
    const auto key = std::make_tuple(static_cast<int>(s), s == slot::kept ? a : ip_address{});
    const auto [it, fresh] = node_of.try_emplace(key, g.nodes.size());
    if (fresh) {
      node n;
      if (s == slot::kept) {
        n.address = a;
        const auto name = opt.names ? opt.names->best(a) : std::string_view{};
        n.label = name.empty() ? a.notation() : std::string(name) + "\n" + a.notation();
      } else {
        n.what = s == slot::any ? node::kind::any : node::kind::variable;
        n.label = p.field_text(f);
      }
      g.nodes.push_back(std::move(n));
    }
    return it->second;
  };
  // Edges: one per (initiator, responder), with every service between them.
  struct services {
    std::set<std::pair<std::uint8_t, int>> ports;  // (protocol, port; -1: any) of port protocols
    std::set<std::string> whole;                           // protocols without ports, `*`
  };
  std::map<std::pair<std::size_t, std::size_t>, services> between;
  for (const auto item : c.items) {
    const flow_pattern p = r.items[item];
    const auto from = side(p, field::src_ip), to = side(p, field::dst_ip);
    auto& s = between[{from, to}];
    if (p.at(field::proto) != slot::kept) {
      s.whole.insert(p.at(field::dst_port) == slot::kept ? std::to_string(p.key.dport) + "/*" : "*");
    } else if (proto::has_ports(p.key.proto)) {
      s.ports.insert({p.key.proto, p.at(field::dst_port) == slot::kept ? int{p.key.dport} : -1});
    } else {
      s.whole.insert(proto_name(p.key.proto));
    }
  }
  struct raw_edge {
    std::size_t from, to;
    std::string label;
  };
  std::vector<raw_edge> edges;
  for (const auto& [ends, s] : between)
    edges.push_back({ends.first, ends.second, detail::services_text(s.ports, s.whole, opt.most_ports)});

  // Folding: a node's peers that touch nothing else in the pattern, on the same side and with the
  // same services, become one node when there are more of them than fold_above.
  std::vector<std::size_t> degree(g.nodes.size(), 0);
  for (const auto& e : edges) {
    ++degree[e.from];
    if (e.to != e.from) ++degree[e.to];
  }
  std::map<std::tuple<std::size_t, bool, std::string>, std::vector<std::size_t>> leaves;  // (hub, hub initiates, label) -> edges
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const auto& e = edges[i];
    if (e.from == e.to) continue;
    const bool to_leaf = degree[e.to] == 1 && g.nodes[e.to].what == node::kind::host;
    const bool from_leaf = degree[e.from] == 1 && g.nodes[e.from].what == node::kind::host;
    if (to_leaf && !from_leaf) leaves[{e.from, true, e.label}].push_back(i);
    else if (from_leaf && !to_leaf) leaves[{e.to, false, e.label}].push_back(i);
  }
  std::vector<char> gone_edge(edges.size(), 0), gone_node(g.nodes.size(), 0);
  for (const auto& [group, list] : leaves) {
    if (list.size() <= opt.fold_above) continue;
    const auto& [hub, hub_initiates, label] = group;
    node n;
    n.what = node::kind::folded;
    n.folded = list.size();
    n.label = "{" + std::to_string(list.size()) + " hosts}";
    const std::size_t id = g.nodes.size();
    g.nodes.push_back(std::move(n));
    gone_node.push_back(0);
    for (const auto i : list) {
      gone_edge[i] = 1;
      gone_node[hub_initiates ? edges[i].to : edges[i].from] = 1;
    }
    edges.push_back(hub_initiates ? raw_edge{hub, id, label} : raw_edge{id, hub, label});
    gone_edge.push_back(0);
  }
  // Renumber what is left.
  std::vector<std::size_t> renamed(g.nodes.size(), 0);
  std::vector<node> kept;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (gone_node[i]) continue;
    renamed[i] = kept.size();
    kept.push_back(std::move(g.nodes[i]));
  }
  g.nodes = std::move(kept);
  for (std::size_t i = 0; i < edges.size(); ++i)
    if (!gone_edge[i]) g.edges.push_back({renamed[edges[i].from], renamed[edges[i].to], std::move(edges[i].label)});
  return g;
}

/// The statements of one host graph in DOT, node names prefixed by `prefix` (so several graphs
/// can share one drawing), indented by `indent`.
inline void write_host_statements(std::ostream& out, const host_graph& g, const std::string& prefix, const std::string& indent) {
  using node = host_graph::node;
  const auto lines = [](const std::string& label) {  // a label's line break as DOT's `\n`
    std::string q;
    for (char ch : detail::dot_quote(label)) q += ch == '\n' ? std::string("\\n") : std::string(1, ch);
    return q;
  };
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const auto& n = g.nodes[i];
    out << indent << prefix << i << " [label=" << lines(n.label);
    if (n.what == node::kind::any || n.what == node::kind::variable) out << ", style=\"rounded,dashed\"";
    if (n.what == node::kind::folded) out << ", style=\"rounded,filled\", fillcolor=\"#eef2fb\"";
    out << "];\n";
  }
  for (const auto& e : g.edges)
    out << indent << prefix << e.from << " -> " << prefix << e.to << " [label=" << detail::dot_quote(e.services) << "];\n";
}

/// The DOT graph header every host drawing starts with.
inline void write_host_graph_head(std::ostream& out) {
  out << "digraph patterns {\n  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, nodesep=0.25, ranksep=0.5];\n"
      << "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10, margin=\"0.1,0.03\"];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#5b6b8c\", fontcolor=\"#333344\"];\n";
}

/// One cluster of `r` drawn at host level, as a whole DOT graph.
inline void write_pattern_dot(std::ostream& out, const mine_result& r, std::size_t cluster_index, const host_graph_options& opt = {}) {
  write_host_graph_head(out);
  write_host_statements(out, pattern_hosts(r, r.clusters.at(cluster_index), opt), "h", "  ");
  out << "}\n";
}

/// Every pattern of `r` at host level in one DOT graph, most significant first, each a subgraph
/// labelled `pattern K: SUMMARY` (what `expose-mine --format svg` draws).
inline void write_patterns_dot(std::ostream& out, const mine_result& r, const host_graph_options& opt = {}) {
  write_host_graph_head(out);
  const auto order = pattern_order(r);
  if (order.empty())  // said in the drawing, as the HTML report says it, not a blank page
    out << "  none [shape=plaintext, label="
        << detail::dot_quote(r.rules.empty() ? "No pattern: no rule was found." : "No pattern: the rules were not clustered.") << "];\n";
  // Graphviz stacks the subgraphs of a left-to-right graph bottom up: written last first, the
  // most significant pattern is drawn on top.
  for (std::size_t k = order.size(); k-- > 0;) {
    out << "  subgraph cluster_" << k + 1 << " {\n    label=" << detail::dot_quote("pattern " + std::to_string(k + 1) + ": " + r.clusters[order[k]].summary)
        << "; labeljust=l; style=\"rounded,dashed\"; color=gray60;\n";
    write_host_statements(out, pattern_hosts(r, r.clusters[order[k]], opt), "p" + std::to_string(k + 1) + "_", "    ");
    out << "  }\n";
  }
  out << "}\n";
}

}  // namespace expose::io
