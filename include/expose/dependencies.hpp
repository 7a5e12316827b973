#pragma once
// Service dependencies: the rules rolled up into "this service, then that one", the form
// NSDMiner's and Orion's users read. A rule side's service is where its flows go: the destination
// host, port and protocol, the client left out (`*.* : 10.0.0.53.53 : udp` and
// `$A.* : 10.0.0.53.53 : udp` are both the service `10.0.0.53.53 : udp`). A rule whose side that
// leads is known (rule::leads, delays.hpp) makes the dependency "the leading side's service, then
// the other's"; a rule without order makes "the two services together". Rules of one pair of
// services are one dependency (listed rules only: a rule folded into another, alike to it or the
// same with another host, counts for the rule it is folded into where it joins the same two
// services; one alike to it between other services, two other peers of a peer-to-peer mesh, is
// not a rule of this dependency and counts nowhere), with
//
//   rules   how many rules say it (the rules folded into its rules that join its two services included)
//   hosts   at least how many clients show it: the distinct client addresses its rules name, or
//           the most hosts one rule whose variable stands for the client (`$C.* : server`)
//           pooled its delays over, whichever is more (a rule whose variable stands for the
//           server, `scanner.* : $S.22`, pools over servers: its clients are those it names)
//   delay   the median, quartiles and samples of its rules' delays, from the first service to
//           the second: the sample-weighted median of the rules' medians (and of their quartiles)
//
// Dependencies come most significant first (by their best rule). A rule whose two sides go to the
// same service (two connections to one server) makes none.
//
//   for (const auto& d : dependencies_of(result)) ...   // io/deps.hpp writes them as text

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "expose/flow_key.hpp"
#include "expose/mine_result.hpp"
#include "expose/rule.hpp"

namespace expose {

/// One dependency between two services.
struct dependency {
  flow_pattern first;          ///< the service that comes first (or the first of two together)
  flow_pattern then;           ///< the service that follows (or the other)
  bool ordered = false;        ///< false: the two come together, in either order
  std::size_t rules = 0;
  std::uint64_t hosts = 0;
  delay_summary delay{};       ///< from `first` to `then` (samples 0: no rule measured one)
  std::vector<std::size_t> rule_indices;  ///< its rules, most significant first
};

/// A side's service: its destination host, port and protocol; the client any.
[[nodiscard]] inline flow_pattern service_of(flow_pattern p) {
  p.set(field::src_ip, slot::any);
  p.set(field::src_port, slot::any);
  return p;
}

namespace detail {
/// The sample-weighted median of values (each with its weight); 0 when there is no weight.
[[nodiscard]] inline double weighted_median(std::vector<std::pair<double, std::uint64_t>> v) {
  std::uint64_t total = 0;
  for (const auto& [x, w] : v) total += w;
  if (total == 0) return 0;
  std::sort(v.begin(), v.end());
  std::uint64_t seen = 0;
  for (const auto& [x, w] : v) {
    seen += w;
    if (2 * seen >= total) return x;
  }
  return v.back().first;
}
}  // namespace detail

/// The service dependencies of a result's rules, most significant first.
[[nodiscard]] inline std::vector<dependency> dependencies_of(const mine_result& r) {
  struct acc {
    dependency d;
    std::set<ip_address> clients;
    std::vector<std::pair<double, std::uint64_t>> medians, p25s, p75s;
  };
  std::map<std::tuple<flow_pattern, flow_pattern, bool>, acc> by_pair;
  std::vector<acc*> of_rule(r.rules.size(), nullptr);  // a listed rule's dependency
  const auto add_clients = [&](acc& e, const rule& x) {
    for (const auto side : {x.lhs, x.rhs})
      if (r.items.at(side, field::src_ip) == slot::kept) e.clients.insert(r.items.address(side, field::src_ip));
  };
  for (std::size_t i = 0; i < r.rules.size(); ++i) {
    const rule& x = r.rules[i];
    flow_pattern a = service_of(r.items[x.lhs]), b = service_of(r.items[x.rhs]);
    if (x.folded()) {
      // counted with the listed rule it is folded into (through a chain of folds), its clients
      // too, where it joins the same two services, in either order
      std::size_t root = i;
      for (std::size_t hops = 0; r.rules[root].folded() && hops < r.rules.size(); ++hops) root = r.rules[root].folded_into();
      if (root < i && of_rule[root] != nullptr) {
        acc& e = *of_rule[root];
        if ((a == e.d.first && b == e.d.then) || (a == e.d.then && b == e.d.first)) {
          ++e.d.rules;
          add_clients(e, x);
        }
      }
      continue;
    }
    if (a == b) continue;
    bool ordered = x.leads != rule_leads::together;
    delay_summary delay = x.delay;
    if (x.leads == rule_leads::rhs) {
      std::swap(a, b);
      delay = delay.reversed();
    } else if (!ordered && b < a) {
      std::swap(a, b);
      delay = delay.reversed();
    }
    auto& e = by_pair[{a, b, ordered}];
    if (e.d.rules == 0) {
      e.d.first = a;
      e.d.then = b;
      e.d.ordered = ordered;
    }
    ++e.d.rules;
    e.d.rule_indices.push_back(i);
    of_rule[i] = &e;
    add_clients(e, x);
    if (r.items.at(x.lhs, field::src_ip) == slot::var || r.items.at(x.rhs, field::src_ip) == slot::var)
      e.d.hosts = std::max(e.d.hosts, delay.hosts);
    if (delay.samples != 0) {
      e.medians.emplace_back(delay.median_ms, delay.samples);
      e.p25s.emplace_back(delay.p25_ms, delay.samples);
      e.p75s.emplace_back(delay.p75_ms, delay.samples);
      e.d.delay.samples += delay.samples;
    }
  }
  std::vector<dependency> out;
  for (auto& [key, e] : by_pair) {
    e.d.hosts = std::max<std::uint64_t>(e.d.hosts, e.clients.size());
    e.d.delay.median_ms = detail::weighted_median(std::move(e.medians));
    e.d.delay.p25_ms = detail::weighted_median(std::move(e.p25s));
    e.d.delay.p75_ms = detail::weighted_median(std::move(e.p75s));
    out.push_back(std::move(e.d));
  }
  std::sort(out.begin(), out.end(), [](const dependency& a, const dependency& b) { return a.rule_indices.front() < b.rule_indices.front(); });
  return out;
}

}  // namespace expose
