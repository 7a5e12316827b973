#pragma once
// Every public concept, so the contracts of the pipeline's stages read in one place.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <functional>
#include <utility>
#include <vector>

#include "expose/activity.hpp"
#include "expose/flow_key.hpp"
#include "expose/input.hpp"
#include "expose/item_space.hpp"
#include "expose/pattern_list.hpp"
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

/// A key policy under which every flow is an item of its own (its key is the flow itself): the
/// ingest then needs no index from keys to items (flow i is item i).
template <class K>
concept FlowPerItemKey = KeyPolicy<K> && requires { requires K::flow_per_item; };

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
struct sum_archetype {
  void operator()(std::span<std::uint64_t>) const {}
};
}  // namespace detail

/// Generalization: from the key policy's flows (patterns and activity) to the items rules are
/// mined over, adding generic items (patterns with `*` or a host variable). `keep(count, samples)`
/// says whether an item active in `count` of `samples` can take part in a rule at all, so items
/// without support are never built; a lattice may call it from several threads at once
/// (lattice::templates does), so it must not change state.
template <class L>
concept Lattice = requires(const L& l, pattern_list base, activity a, detail::keep_archetype keep) {
  { l.generalize(std::move(base), std::move(a), keep) } -> std::same_as<item_space>;
};

/// A lattice whose host-variable items can be built apart from its window items (on another
/// rank: expose/mpi/mine.hpp): `generalize` equals `generalize_windows`, then item_space::add_hosts
/// of `make_host_items` over the same flows and activity; `has_host_items` says whether it makes any.
/// `make_host_items(keep, base, a, part, sum)` makes them in parts, each the rows of a range of
/// windows (`sum` adds numbers up over the parts: lattice::templates says how), which
/// join_host_parts joins.
template <class L>
concept SplitLattice = Lattice<L> && requires(const L& l, pattern_list base, activity a, detail::keep_archetype keep, detail::sum_archetype sum) {
  { l.generalize_windows(std::move(base), std::move(a), keep) } -> std::same_as<item_space>;
  { l.make_host_items(keep, base, a) } -> std::same_as<host_items>;
  { l.make_host_items(keep, base, a, window_part{}, sum) } -> std::same_as<host_items>;
  { l.has_host_items() } -> std::convertible_to<bool>;
};

/// How a rule X => Y is scored from its counts, when it is kept, and which items can take part
/// at all (so the engine prunes before counting): `can_head` bounds any rule X => *, `can_appear`
/// any rule with X on either side. Engines and lattices call these from several threads at once.
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

// ---- Optional hooks --------------------------------------------------------------------------
// What a policy may offer beyond its stage's concept. The algorithms ask for a hook by one of
// these names only (`if constexpr (LaggedWindow<W>)`), and each model that means to offer one
// asserts it beside its definition, so a misspelt hook fails to compile where it is written
// instead of silently losing the feature.

/// A window policy whose rules may lag: the right side counts up to `lag` windows after the left
/// (windows::lagged). The counting engine must then be a LaggedEngine.
template <class W>
concept LaggedWindow = WindowPolicy<W> && requires(const W& w) {
  { w.lag } -> std::convertible_to<std::uint32_t>;
};

/// A counting engine that counts heads against tails, `count(heads, tails, scorer)`, for lagged
/// windows (engine::gustavson).
template <class E>
concept LaggedEngine = CountingEngine<E> && requires(const E& e, const activity& a, const detail::score_archetype& s) {
  { e.count(a, a, s) } -> std::same_as<std::vector<scored_pair>>;
};

/// A counting engine that counts only its share of the rows, `part` of `parts`: the MPI driver
/// gives each rank one (engine::gustavson).
template <class E>
concept PartitionedEngine = CountingEngine<E> && requires(E& e) {
  e.part = 0u;
  e.parts = 1u;
};

/// An engine whose rows several processes can share chunk by chunk, each taking the next chunk
/// when it is free: `deal(chunks)` gives this process's next chunk (expose/mpi/mine.hpp takes them
/// from a counter on one rank), so a process that starts late or runs slow takes fewer.
template <class E>
concept DealtEngine = PartitionedEngine<E> && requires(E& e) { e.deal = std::function<std::size_t(std::size_t)>{}; };

/// A scorer with a significance test over all pairs: `filter(pairs, hypotheses)` keeps the pairs
/// the test rejects chance for (scores::significant). A scorer without one must say so at the call
/// site: `score_by` takes it only wrapped as scores::untested.
template <class S>
concept TestedScore = ScorePolicy<S> && requires(const S& s, std::vector<scored_pair>& v, std::uint64_t hypotheses) {
  s.filter(v, hypotheses);
};

/// A tested scorer whose test over windows reads the run's item space (lifetimes, bursts):
/// `filter(pairs, hypotheses, space)` (scores::significant).
template <class S>
concept TimedTestedScore = TestedScore<S> && requires(const S& s, std::vector<scored_pair>& v, std::uint64_t k, const item_space& space) {
  s.filter(v, k, space);
};

/// A scorer that prepares a fast kernel for N samples, `prepare(n).keep(counts, score)` (support
/// checked first, a log table: scores::jmeasure); the engine calls it in its inner loop. It may
/// also offer `prepare(n, pairs)`, told at most how many pairs will be scored (so its tables need
/// be no larger than they can ask for); an engine calls that one where it is offered.
template <class S>
concept PreparedScore = ScorePolicy<S> && requires(const S& s, std::uint64_t n, const pair_counts& c, double& score) {
  { s.prepare(n).keep(c, score) } -> std::convertible_to<bool>;
};

/// A scorer that says it runs without a significance test (scores::untested).
template <class S>
concept UntestedScore = ScorePolicy<S> && S::without_test;

/// A lattice that checks a key policy when the pipeline is built, `L::check_key<K>()`, so that a
/// template naming a field the key lacks fails on the user's line (lattice::templates).
template <class L, class K>
concept KeyCheckedLattice = Lattice<L> && KeyPolicy<K> && requires { L::template check_key<K>(); };

/// A lattice that can keep the plain rules a generic rule explains, `keep_instances` (else they
/// are suppressed; lattice::templates).
template <class L>
concept InstanceKeepingLattice = Lattice<L> && requires(const L& l) {
  { l.keep_instances } -> std::convertible_to<bool>;
};

/// A cluster policy that joins the pieces of one pattern afterwards, `join` (clusters/join.hpp;
/// clusters::components, clusters::spectral).
template <class C>
concept JoiningClusters = ClusterPolicy<C> && requires(const C& c) { c.join; };

// Non-models: what is not a policy is refused by name.
static_assert(!PacketSource<int> && !KeyPolicy<int> && !WindowPolicy<int> && !Lattice<int> && !ScorePolicy<int> &&
              !NullModel<int> && !CountingEngine<int> && !ClusterPolicy<int>);
static_assert(!TestedScore<detail::score_archetype> && !PreparedScore<detail::score_archetype> &&
              !UntestedScore<detail::score_archetype>);

}  // namespace expose
