#pragma once
// Spectral clustering of the rule graph (Kannan, Vempala and Vetta's "good, bad and spectral"):
// items are nodes, rules are edges weighted by score. Each connected group is cut in two along the
// sweep of its Fiedler vector (the second eigenvector of the normalized Laplacian) where the
// conductance — the weight crossing the cut over the smaller side's volume — is least; a group is
// cut while that conductance is below `max_conductance`, and the parts are split again. Dense
// eigen-decomposition (Eigen) for small groups, Lanczos (Spectra) for large sparse ones, and lazy
// power steps where Lanczos does not settle. Results are deterministic: ties broken by item id,
// eigenvector signs fixed, fixed start vectors.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/clusters/fiedler.hpp"
#include "expose/clusters/join.hpp"
#include "expose/concepts.hpp"
#include "expose/rule.hpp"

namespace expose::clusters {

struct spectral {
  double max_conductance = 0.1;   ///< cut a group while its best cut's conductance is below this
  std::size_t min_items = 2;      ///< smaller clusters are not reported
  std::size_t dense_below = 100;  ///< groups smaller than this use a dense eigen-solver
  int lanczos_rounds = 20;        ///< restarts of the sparse solver before lazy power steps take over
  int power_steps = 300;          ///< those steps
  join_options join{};            ///< what the pipeline joins after cutting (clusters/join.hpp)

  [[nodiscard]] std::vector<expose::cluster> cluster(const std::vector<rule>& rules, [[maybe_unused]] std::size_t n_items) const {
    // The weighted graph over the items in rules: one edge per pair, its best rule's score.
    boost::unordered_flat_map<std::uint32_t, std::uint32_t> local;  // item -> node: the items of rules only
    std::vector<std::uint32_t> global;
    for (const auto& r : rules)
      for (auto i : {r.lhs, r.rhs})
        if (local.try_emplace(i, static_cast<std::uint32_t>(global.size())).second) global.push_back(i);
    // Nodes numbered by item id, so every later tie-break is by item id.
    std::sort(global.begin(), global.end());
    for (std::uint32_t k = 0; k < global.size(); ++k) local[global[k]] = k;
    const std::size_t n = global.size();
    std::vector<std::pair<std::uint64_t, double>> edges;  // (u << 32 | v, weight), u < v
    edges.reserve(rules.size());
    for (const auto& r : rules) {
      auto u = local[r.lhs], v = local[r.rhs];
      if (u == v) continue;
      if (u > v) std::swap(u, v);
      edges.emplace_back(std::uint64_t{u} << 32 | v, std::max(r.score, 1e-12));
    }
    std::sort(edges.begin(), edges.end());
    std::size_t m = 0;
    for (std::size_t i = 0; i < edges.size(); ++i) {
      if (m > 0 && edges[m - 1].first == edges[i].first) edges[m - 1].second = std::max(edges[m - 1].second, edges[i].second);
      else edges[m++] = edges[i];
    }
    edges.resize(m);
    graph g;
    g.start.assign(n + 1, 0);
    for (const auto& [uv, w] : edges) {
      ++g.start[(uv >> 32) + 1];
      ++g.start[(uv & 0xffffffffu) + 1];
    }
    for (std::size_t i = 0; i < n; ++i) g.start[i + 1] += g.start[i];
    g.to.resize(2 * edges.size());
    g.weight.resize(2 * edges.size());
    std::vector<std::size_t> fill(g.start.begin(), g.start.end() - 1);
    for (const auto& [uv, w] : edges) {
      const auto u = static_cast<std::uint32_t>(uv >> 32), v = static_cast<std::uint32_t>(uv & 0xffffffffu);
      g.to[fill[u]] = v;
      g.weight[fill[u]++] = w;
      g.to[fill[v]] = u;
      g.weight[fill[v]++] = w;
    }

    // Split every connected group until no cut is cheap enough.
    std::vector<std::uint32_t> label(n, UINT32_MAX);
    std::uint32_t next = 0;
    std::vector<char> all(n, 1);
    std::vector<std::uint32_t> everyone(n);
    std::iota(everyone.begin(), everyone.end(), 0u);
    std::vector<std::vector<std::uint32_t>> work = components_of(g, all, everyone);
    while (!work.empty()) {
      std::vector<std::uint32_t> group = std::move(work.back());
      work.pop_back();
      auto [side, phi] = best_cut(g, group);
      if (group.size() < 3 || phi >= max_conductance) {
        for (auto v : group) label[v] = next;
        ++next;
        continue;
      }
      std::vector<char> in(n, 0);
      std::vector<std::uint32_t> a, b;
      for (std::size_t k = 0; k < group.size(); ++k) (side[k] ? a : b).push_back(group[k]);
      for (auto part : {std::move(a), std::move(b)}) {
        for (auto v : part) in[v] = 1;
        for (auto& c : components_of(g, in, part)) work.push_back(std::move(c));
        for (auto v : part) in[v] = 0;
      }
    }

    // Clusters in the order of their most significant rule; a rule between clusters joins none.
    std::vector<std::int64_t> slot(next, -1);
    std::vector<expose::cluster> out;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const auto l = label[local[rules[i].lhs]], r = label[local[rules[i].rhs]];
      if (l != r) continue;
      if (slot[l] < 0) {
        slot[l] = static_cast<std::int64_t>(out.size());
        out.emplace_back();
      }
      out[static_cast<std::size_t>(slot[l])].rules.push_back(i);
    }
    for (std::uint32_t v = 0; v < n; ++v)
      if (slot[label[v]] >= 0) out[static_cast<std::size_t>(slot[label[v]])].items.push_back(global[v]);
    std::erase_if(out, [&](const expose::cluster& c) { return c.items.size() < min_items; });
    return out;
  }

 private:
  struct graph {
    std::vector<std::size_t> start;
    std::vector<std::uint32_t> to;
    std::vector<double> weight;
  };

  /// The connected pieces of `nodes` (marked in `in`), each ascending, in order of least node.
  static std::vector<std::vector<std::uint32_t>> components_of(const graph& g, const std::vector<char>& in,
                                                               const std::vector<std::uint32_t>& nodes) {
    std::vector<std::vector<std::uint32_t>> out;
    std::vector<char> seen(in.size(), 0);
    for (auto s : nodes) {
      if (seen[s]) continue;
      std::vector<std::uint32_t> piece{s}, stack{s};
      seen[s] = 1;
      while (!stack.empty()) {
        const auto u = stack.back();
        stack.pop_back();
        for (std::size_t e = g.start[u]; e < g.start[u + 1]; ++e) {
          const auto v = g.to[e];
          if (in[v] && !seen[v]) {
            seen[v] = 1;
            piece.push_back(v);
            stack.push_back(v);
          }
        }
      }
      std::sort(piece.begin(), piece.end());
      out.push_back(std::move(piece));
    }
    return out;
  }

  /// The least-conductance sweep cut of a connected group: which nodes go to the first side, and
  /// the cut's conductance (1 when the group cannot be cut).
  std::pair<std::vector<char>, double> best_cut(const graph& g, const std::vector<std::uint32_t>& group) const {
    const std::size_t k = group.size();
    if (k < 3) return {std::vector<char>(k, 0), 1.0};
    std::vector<std::int64_t> pos(g.start.size(), -1);
    for (std::size_t i = 0; i < k; ++i) pos[group[i]] = static_cast<std::int64_t>(i);
    std::vector<double> degree(k, 0);
    std::vector<detail::matrix_entry> t;
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t e = g.start[group[i]]; e < g.start[group[i] + 1]; ++e)
        if (pos[g.to[e]] >= 0) degree[i] += g.weight[e];
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t e = g.start[group[i]]; e < g.start[group[i] + 1]; ++e)
        if (const auto j = pos[g.to[e]]; j >= 0)
          t.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j),
                       g.weight[e] / std::sqrt(degree[i] * degree[static_cast<std::size_t>(j)])});
    // The normalized adjacency D^-1/2 W D^-1/2: its second largest eigenvector is the Fiedler vector.
    const std::vector<double> fiedler = detail::fiedler(
        k, t, degree, {.dense_below = dense_below, .lanczos_rounds = lanczos_rounds, .power_steps = power_steps, .seed = group.front()});
    // Sweep in the order of the embedding f_i / sqrt(d_i); ties by item id.
    std::vector<double> x(k);
    std::size_t biggest = 0;
    for (std::size_t i = 0; i < k; ++i) {
      x[i] = fiedler[i] / std::sqrt(degree[i]);
      if (std::abs(fiedler[i]) > std::abs(fiedler[biggest]) + 1e-12) biggest = i;
    }
    if (fiedler[biggest] < 0)
      for (auto& v : x) v = -v;  // the sign of an eigenvector is arbitrary: fix it
    std::vector<std::uint32_t> order(k);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return x[a] < x[b]; });
    const double total = std::accumulate(degree.begin(), degree.end(), 0.0);
    std::vector<char> first(k, 0);
    double cut = 0, vol = 0, best = 1.0;
    std::size_t best_at = 0;
    for (std::size_t s = 0; s + 1 < k; ++s) {
      const auto i = order[s];
      first[i] = 1;
      vol += degree[i];
      for (std::size_t e = g.start[group[i]]; e < g.start[group[i] + 1]; ++e)
        if (const auto j = pos[g.to[e]]; j >= 0) cut += first[static_cast<std::size_t>(j)] ? -g.weight[e] : g.weight[e];
      const double phi = cut / std::min(vol, total - vol);
      if (phi < best - 1e-12) {
        best = phi;
        best_at = s + 1;
      }
    }
    std::vector<char> side(k, 0);
    for (std::size_t s = 0; s < best_at; ++s) side[order[s]] = 1;
    return {side, best};
  }
};

static_assert(ClusterPolicy<spectral> && JoiningClusters<spectral>);

}  // namespace expose::clusters
