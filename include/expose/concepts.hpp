#pragma once
// Every public concept, so the contracts of the pipeline's stages read in one place.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "expose/activity.hpp"
#include "expose/flow_key.hpp"
#include "expose/input.hpp"
#include "expose/item_space.hpp"
#include "expose/packet.hpp"
#include "expose/rule.hpp"

namespace expose {

namespace detail {
struct packet_sink_archetype {
  void operator()(const packet&) const {}
};
}  // namespace detail

/// Where packets come from: calls the sink once per decoded packet, in time order as far as the
/// input allows, and accounts every record (read, decoded, skipped by reason, damage) in `stats`.
template <class S>
concept PacketSource = requires(S& s, detail::packet_sink_archetype sink, input_stats& stats) {
  s.read(sink, stats);
};

/// What a flow is: maps an initiator-oriented 5-tuple to the key that identifies an item, and
/// describes a key as a pattern for the outputs.
template <class K>
concept KeyPolicy = requires(const K& k, const flow_key& f, const typename K::key_type& key) {
  typename K::key_type;
  typename K::hash;
  { K::slots } -> std::convertible_to<std::array<slot, field_count>>;  // which fields the key holds
  { k.key(f) } -> std::same_as<typename K::key_type>;
  { k.pattern(key) } -> std::same_as<flow_pattern>;
};

/// How time is cut: the inclusive range of windows a timestamp (ns) belongs to, and the width.
template <class W>
concept WindowPolicy = requires(const W& w, std::int64_t ts_ns) {
  { w.window_range(ts_ns) } -> std::same_as<std::pair<std::int64_t, std::int64_t>>;
  { w.seconds() } -> std::convertible_to<double>;
};

namespace detail {
struct keep_archetype {
  bool operator()(std::uint64_t, std::uint64_t) const { return true; }
};
}  // namespace detail

/// Generalization: from the key policy's flows (patterns and activity) to the items rules are
/// mined over, adding generic items (patterns with `*` or a host variable). `keep(count, samples)`
/// says whether an item active in `count` of `samples` can take part in a rule at all, so items
/// without support are never built.
template <class L>
concept Lattice = requires(const L& l, std::vector<flow_pattern> base, activity a, detail::keep_archetype keep) {
  { l.generalize(std::move(base), std::move(a), keep) } -> std::same_as<item_space>;
};

/// How a rule X => Y is scored from its counts, when it is kept, and which items can take part
/// at all (so the engine prunes before counting): `can_head` bounds any rule X => *, `can_appear`
/// any rule with X on either side.
template <class S>
concept ScorePolicy = requires(const S& s, const pair_counts& c, double score, std::uint64_t n_x, std::uint64_t n) {
  { s.score(c) } -> std::convertible_to<double>;
  { s.accepts(c, score) } -> std::same_as<bool>;
  { s.can_head(n_x, n) } -> std::same_as<bool>;
  { s.can_appear(n_x, n) } -> std::same_as<bool>;
};

/// What "by chance" means for the significance test (scores/significant.hpp): `prepare` reads
/// what the model needs of one run's item space once (lifetimes of items and hosts), and the
/// object it returns gives the counts each pair of window items is tested on. Models:
/// nulls::alive (each side placed at random within its own lifetime, or its shared host's),
/// nulls::whole_trace (within the whole trace), nulls::any_of (one of them, chosen at run time).
template <class N>
concept NullModel = requires(const N& n, const item_space& s, const scored_pair& p) {
  { n.prepare(s).condition(p) } -> std::same_as<pair_counts>;
};

namespace detail {
struct score_archetype {
  [[nodiscard]] double score(const pair_counts&) const { return 0; }
  [[nodiscard]] bool accepts(const pair_counts&, double) const { return false; }
  [[nodiscard]] bool can_head(std::uint64_t, std::uint64_t) const { return false; }
  [[nodiscard]] bool can_appear(std::uint64_t, std::uint64_t) const { return false; }
};
}  // namespace detail

/// Counts co-occurrence and scores it: every pair X => Y the scorer accepts, sorted by (x, y).
template <class E>
concept CountingEngine = requires(const E& e, const activity& a, const detail::score_archetype& s) {
  { e.count(a, s) } -> std::same_as<std::vector<scored_pair>>;
};

/// Groups the rule graph (items as nodes, rules as edges) into clusters.
template <class C>
concept ClusterPolicy = requires(const C& c, const std::vector<rule>& rules, std::size_t n_items) {
  { c.cluster(rules, n_items) } -> std::same_as<std::vector<cluster>>;
};

}  // namespace expose
