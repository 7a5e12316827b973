#pragma once
// The pipeline: stages composed at the call site, built before any data exists, run in one call.
//
//   auto spec = key_by(keys::five_tuple{}) | window_by(windows::tumbling{1s})
//             | score_by(scores::significant<scores::jmeasure>{.scorer = {.min_score = 0.01}});
//   auto result = mine(io::pcap_file("trace.pcap"), spec);

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "expose/activity.hpp"
#include "expose/clusters/components.hpp"
#include "expose/clusters/summary.hpp"
#include "expose/clusters/timing.hpp"
#include "expose/concepts.hpp"
#include "expose/delays.hpp"
#include "expose/detail/release.hpp"
#include "expose/engine/gustavson.hpp"
#include "expose/error.hpp"
#include "expose/flow_key.hpp"
#include "expose/ingest.hpp"
#include "expose/input.hpp"
#include "expose/io/packets.hpp"
#include "expose/io/read_ahead.hpp"
#include "expose/item_space.hpp"
#include "expose/limits.hpp"
#include "expose/mine_result.hpp"
#include "expose/keys/five_tuple.hpp"
#include "expose/lattice/none.hpp"
#include "expose/lattice/templates.hpp"
#include "expose/rule.hpp"
#include "expose/rule_set.hpp"
#include "expose/scores/jmeasure.hpp"
#include "expose/scores/significant.hpp"
#include "expose/scores/untested.hpp"
#include "expose/windows/lagged.hpp"
#include "expose/windows/tumbling.hpp"

namespace expose {

/// A whole mining job's policies. Every stage has a default; replace one with `|` and a verb.
template <KeyPolicy K = keys::five_tuple, WindowPolicy W = windows::tumbling, Lattice L = lattice::paper_templates,
          ScorePolicy S = scores::significant<scores::jmeasure>, CountingEngine E = engine::gustavson, ClusterPolicy C = clusters::components>
struct pipeline {
  K key{};
  W window{};
  L lattice{};
  S score{};
  E engine{};
  C cluster{};
};

namespace detail {
enum class stage_slot { key, window, lattice, score, engine, cluster };

template <stage_slot Slot, class P>
struct stage {
  P policy;
};

template <class K, class W, class L, class S, class E, class C, stage_slot Slot, class P>
auto with(const pipeline<K, W, L, S, E, C>& p, const P& policy) {
  if constexpr (Slot == stage_slot::key) return pipeline<P, W, L, S, E, C>{policy, p.window, p.lattice, p.score, p.engine, p.cluster};
  else if constexpr (Slot == stage_slot::window) return pipeline<K, P, L, S, E, C>{p.key, policy, p.lattice, p.score, p.engine, p.cluster};
  else if constexpr (Slot == stage_slot::lattice) return pipeline<K, W, P, S, E, C>{p.key, p.window, policy, p.score, p.engine, p.cluster};
  else if constexpr (Slot == stage_slot::score) return pipeline<K, W, L, P, E, C>{p.key, p.window, p.lattice, policy, p.engine, p.cluster};
  else if constexpr (Slot == stage_slot::engine) return pipeline<K, W, L, S, P, C>{p.key, p.window, p.lattice, p.score, policy, p.cluster};
  else return pipeline<K, W, L, S, E, P>{p.key, p.window, p.lattice, p.score, p.engine, policy};
}
}  // namespace detail

/// The stage verbs: each names one stage and is checked against that stage's concept.
template <KeyPolicy K> constexpr auto key_by(K k) { return detail::stage<detail::stage_slot::key, K>{k}; }
template <WindowPolicy W> constexpr auto window_by(W w) { return detail::stage<detail::stage_slot::window, W>{w}; }
template <Lattice L> constexpr auto generalize_by(L l) { return detail::stage<detail::stage_slot::lattice, L>{l}; }
/// The scorer, with its significance test or visibly without one: a scorer that has no test is
/// taken only wrapped as `scores::untested{...}` (wrap it in `scores::significant<S>{.scorer = ...}`
/// to keep the test).
template <ScorePolicy S>
constexpr auto score_by(S s) {
  static_assert(TestedScore<S> || UntestedScore<S>,
                "score_by: this scorer has no significance test. Keep the test: score_by(scores::significant<S>{.scorer = ...}); "
                "or drop it where it shows: score_by(scores::untested{...})");
  return detail::stage<detail::stage_slot::score, S>{s};
}
template <CountingEngine E> constexpr auto count_by(E e) { return detail::stage<detail::stage_slot::engine, E>{e}; }
template <ClusterPolicy C> constexpr auto cluster_by(C c) { return detail::stage<detail::stage_slot::cluster, C>{c}; }

namespace detail {
/// Checks a pipeline's key against its lattice where the pipeline is written: a lattice that
/// cannot serve the key fails to compile on the user's `|` line, the error naming both.
template <class K, class W, class L, class S, class E, class C>
constexpr void check_key_fits(const pipeline<K, W, L, S, E, C>&) {
  if constexpr (KeyCheckedLattice<L, K>) L::template check_key<K>();
}
}  // namespace detail

template <class K, class W, class L, class S, class E, class C, detail::stage_slot Slot, class P>
auto operator|(const pipeline<K, W, L, S, E, C>& p, const detail::stage<Slot, P>& s) {
  auto out = detail::with<K, W, L, S, E, C, Slot, P>(p, s.policy);
  detail::check_key_fits(out);
  return out;
}
namespace detail {
template <stage_slot A, class PA, stage_slot B, class PB>
auto operator|(const stage<A, PA>& a, const stage<B, PB>& b) {
  return pipeline<>{} | a | b;
}
}  // namespace detail

/// Clusters a result's rules by the policy, joins the pieces of one pattern when the policy asks
/// (`.join`, clusters/join.hpp), and describes each cluster.
template <ClusterPolicy C>
void cluster_rules(mine_result& r, const C& clustering) {
  r.clusters = clustering.cluster(r.rules, r.items.size());
  if constexpr (JoiningClusters<C>) clusters::join(r.clusters, r.rules, r.items, r.item_flows, clustering.join);
  // A pattern lists at least one rule: where every rule of a cluster is folded into a rule of
  // another cluster (alike to it, or the same with another host), its best one is listed again.
  for (const auto& cl : r.clusters) {
    if (cl.rules.empty() || std::any_of(cl.rules.begin(), cl.rules.end(), [&](std::size_t i) { return !r.rules[i].folded(); })) continue;
    rule& x = r.rules[cl.rules.front()];
    if (x.alike_of != rule::not_alike) --r.rules[x.alike_of].alike;
    if (x.same_shape_of != rule::not_alike) --r.rules[x.same_shape_of].same_shape;
    x.alike_of = x.same_shape_of = rule::not_alike;
  }
  clusters::describe(r.clusters, r.rules, r.items);
  if (r.window_activity)
    clusters::describe_time(r.clusters, *r.window_activity, r.window_seconds, r.host_activity.get(), r.host_window_start.get());
}

/// Keeps the `n` most significant rules (with the rules folded into them: alike, or the same with
/// another host) and
/// clusters what is left again.
template <ClusterPolicy C>
void keep_top(mine_result& r, std::size_t n, const C& clustering) {
  std::vector<std::uint32_t> moved(r.rules.size(), rule::not_alike);  // old index -> new
  std::size_t shown = 0;
  std::uint32_t out = 0;
  for (std::size_t i = 0; i < r.rules.size(); ++i) {
    rule x = r.rules[i];
    if (x.folded() ? moved[x.folded_into()] == rule::not_alike : shown++ >= n) continue;
    if (x.alike_of != rule::not_alike) x.alike_of = moved[x.alike_of];
    if (x.same_shape_of != rule::not_alike) x.same_shape_of = moved[x.same_shape_of];
    moved[i] = out;
    r.rules[out++] = x;
  }
  if (out == r.rules.size()) return;
  r.rules.resize(out);
  cluster_rules(r, clustering);
}


namespace detail {
/// Which items a lattice keeps: those that could make a rule (the score's can_appear).
template <class K, class W, class L, class S, class E, class C>
[[nodiscard]] auto keep_of(const pipeline<K, W, L, S, E, C>& spec) {
  return [&score = spec.score](std::uint64_t count, std::uint64_t samples) { return score.can_appear(count, samples); };
}

template <class S>
inline constexpr bool in_memory = false;
template <class R>
inline constexpr bool in_memory<io::packets<R>> = true;
}  // namespace detail

/// The phases of `mine` after ingest, for drivers that ingest another way (several processes,
/// see expose/mpi/mine.hpp): `generalize_items`, then `count_pairs` (which needs only the space's
/// two activity matrices), then `finish_rules`. `mine` is exactly these three after its ingest.
///
/// Generalizes the base items of `r` (their activity `a`, one column per item of `r.items`): sets
/// the result's activity entries and sample counts, moves `r.items` into the returned space.
template <class K, class W, class L, class S, class E, class C>
[[nodiscard]] item_space generalize_items(mine_result& r, activity a, const pipeline<K, W, L, S, E, C>& spec) {
  r.activity_entries = a.entries();
  detail::check_key_fits(spec);  // for a pipeline built without `|` (which checks it there)
  item_space space = spec.lattice.generalize(std::move(r.items), std::move(a), detail::keep_of(spec));
  r.windows = space.windows.samples;
  r.host_samples = space.hosts.samples;
  return space;
}

/// generalize_items with the host-variable items built apart (a SplitLattice's; on another rank,
/// expose/mpi/mine.hpp): the window items here, then `hosts(space)`, called once they are in
/// `space` (a driver may count them while it waits), gives the host items, which
/// make_host_items(base, a, spec) made elsewhere of the same flows (`r.items` as given) and
/// activity `a`. The result equals generalize_items(r, a, spec).
template <class K, class W, class L, class S, class E, class C, class Hosts>
  requires SplitLattice<L>
[[nodiscard]] item_space generalize_items(mine_result& r, activity a, const pipeline<K, W, L, S, E, C>& spec, Hosts&& hosts) {
  r.activity_entries = a.entries();
  detail::check_key_fits(spec);
  item_space space = spec.lattice.generalize_windows(std::move(r.items), std::move(a), detail::keep_of(spec));
  space.add_hosts(std::forward<Hosts>(hosts)(std::as_const(space)));
  r.windows = space.windows.samples;
  r.host_samples = space.hosts.samples;
  return space;
}

/// The host-variable items of the flows `base` (the base items, as generalize_items is given them)
/// and their activity `a`, as read (with its window -> items form; bad_argument when a matrix
/// generalization gave back is passed): what generalize_items(r, a, spec, hosts)'s `hosts` must give.
template <class K, class W, class L, class S, class E, class C>
  requires SplitLattice<L>
[[nodiscard]] host_items make_host_items(const pattern_list& base, const activity& a, const pipeline<K, W, L, S, E, C>& spec) {
  detail::check_key_fits(spec);
  return spec.lattice.make_host_items(detail::keep_of(spec), base, a);
}

/// make_host_items in parts, each the rows of a range of windows (`part`) with `sum` adding numbers
/// up over the parts (SplitLattice): join_host_parts of the parts in window order gives
/// make_host_items(base, a, spec).
template <class K, class W, class L, class S, class E, class C, class Sum>
  requires SplitLattice<L>
[[nodiscard]] host_items make_host_items(const pattern_list& base, const activity& a, const pipeline<K, W, L, S, E, C>& spec, window_part part,
                                         const Sum& sum) {
  detail::check_key_fits(spec);
  return spec.lattice.make_host_items(detail::keep_of(spec), base, a, part, sum);
}

/// The scored pairs of both sample spaces, each sorted by (x, y) as the engine returns them.
struct counted_pairs {
  std::vector<scored_pair> windows;  ///< over window items
  std::vector<scored_pair> hosts;    ///< over host-variable items, ids from 0 (not yet offset)
};

/// The window items' scored pairs (`windows`: an item space's), with the pipeline's engine:
/// lagged windows count heads against tails (Y within `lag` windows after X).
template <class K, class W, class L, class S, class E, class C>
[[nodiscard]] std::vector<scored_pair> count_window_pairs(const activity& windows, const pipeline<K, W, L, S, E, C>& spec) {
  std::uint32_t lag = 0;
  if constexpr (LaggedWindow<W>) lag = spec.window.lag;
  if (lag == 0) return spec.engine.count(windows, spec.score);
  if constexpr (LaggedEngine<E>) {
    const activity tails = dilate_back(windows, lag);
    return spec.engine.count(windows, tails, spec.score);
  } else {
    throw bad_argument("mine: lagged windows need a counting engine that takes heads and tails (engine::gustavson)");
  }
}

/// The host-variable items' scored pairs (`hosts`: an item space's, ids from 0), counted without lag.
template <class K, class W, class L, class S, class E, class C>
[[nodiscard]] std::vector<scored_pair> count_host_pairs(const activity& hosts, const pipeline<K, W, L, S, E, C>& spec) {
  return spec.engine.count(hosts, spec.score);
}

/// Counts each sample space with the pipeline's engine (count_window_pairs, count_host_pairs).
template <class K, class W, class L, class S, class E, class C>
[[nodiscard]] counted_pairs count_pairs(const item_space& space, const pipeline<K, W, L, S, E, C>& spec) {
  return {count_window_pairs(space.windows, spec), count_host_pairs(space.hosts, spec)};
}

namespace detail {
/// The hypotheses of a sample space: the pairs of its items that could make a rule.
template <class S>
[[nodiscard]] std::uint64_t testable_pairs(const activity& space_activity, const S& score) {
  std::uint64_t k = 0;
  for (std::uint32_t i = 0; i < space_activity.items(); ++i) k += score.can_appear(space_activity.count(i), space_activity.samples) ? 1 : 0;
  return k * (k > 0 ? k - 1 : 0) / 2;
}

/// The host-variable items' pairs (ids from 0) as finish_rules keeps them: trivial pairs dropped
/// (their items share a flow), then the significance test over the host items' hypotheses.
template <class K, class W, class L, class S, class E, class C>
void test_host_pairs(std::vector<scored_pair>& host_pairs, const item_space& space, const pipeline<K, W, L, S, E, C>& spec) {
  const auto offset = static_cast<std::uint32_t>(space.window_items());
  std::erase_if(host_pairs, [&](const scored_pair& p) { return space.overlap(p.x + offset, p.y + offset); });
  if constexpr (TestedScore<S>) spec.score.filter(host_pairs, testable_pairs(space.hosts, spec.score));
}
}  // namespace detail

/// The delays of the host-variable rules that `host_pairs` (counted over `space.hosts`, ids from 0,
/// sorted by (x, y)) make, as finish_rules would measure them over `space`: for a driver that
/// measures them where the host items were built (another rank, expose/mpi/mine.hpp), which
/// finish_rules then takes as they are. `space` need hold only the flows, their activity (with its
/// offsets) and the host items (item_space::of_hosts).
template <class K, class W, class L, class S, class E, class C>
[[nodiscard]] measured_delays host_rule_delays(const item_space& space, std::vector<scored_pair> host_pairs, const pipeline<K, W, L, S, E, C>& spec) {
  detail::test_host_pairs(host_pairs, space, spec);
  const auto offset = static_cast<std::uint32_t>(space.window_items());
  for (auto& p : host_pairs) {
    p.x += offset;
    p.y += offset;
  }
  std::vector<rule> rules = make_rules(host_pairs, spec.score);
  measure_delays(rules, space, spec.window.seconds());
  return measured_delays::of(rules, space);
}

/// From counted pairs to the result: trivial pairs dropped, the significance test over every
/// testable pair, rules made and ranked (lag and order), explained rules suppressed, rules that
/// read as a more significant one dropped (drop_same_text), delays measured (delays.hpp: the side
/// that leads on the left), rules alike or the same for other hosts marked (neither suppressed nor
/// marked with the lattice's keep_instances), clusters.
/// `host_delays()`, called once just before the rules are timed, gives delays of host rules
/// measured apart (host_rule_delays; those it lacks are measured here). Returns how many host
/// rules' delays were taken from it and how many measured here.
template <class K, class W, class L, class S, class E, class C, class HostDelays>
host_delay_sources finish_rules(mine_result& r, item_space space, counted_pairs counted, const pipeline<K, W, L, S, E, C>& spec, HostDelays&& host_delays) {
  std::uint32_t lag = 0;
  if constexpr (LaggedWindow<W>) lag = spec.window.lag;
  auto& pairs = counted.windows;
  auto& host_pairs = counted.hosts;
  const auto offset = static_cast<std::uint32_t>(space.window_items());
  std::erase_if(pairs, [&](const scored_pair& p) { return space.overlap(p.x, p.y); });
  if constexpr (TestedScore<S>) {
    // The hypotheses are all pairs of items that could make a rule in each sample space.
    if constexpr (TimedTestedScore<S>)
      spec.score.filter(pairs, detail::testable_pairs(space.windows, spec.score), space);  // windows in time order: lifetimes, bursts
    else
      spec.score.filter(pairs, detail::testable_pairs(space.windows, spec.score));
  }
  detail::test_host_pairs(host_pairs, space, spec);
  for (auto& p : host_pairs) {
    p.x += offset;
    p.y += offset;
  }
  pairs.insert(pairs.end(), host_pairs.begin(), host_pairs.end());
  r.rules = make_rules(pairs, spec.score);
  if (lag > 0) {
    // Which way: the reverse of a lagged => was not kept; a <=> leans one way when its reverse
    // scores well below it. (For a lagged =>, reverse_score is J of the swapped counts, with the
    // rhs's lagged count as the antecedent's: a bound of comparison, not a lagged rhs => lhs.)
    for (auto& x : r.rules) {
      if (x.lhs >= offset) continue;  // host-variable rules are counted without lag
      x.lag = lag;
      if (x.kind == rule_kind::implies || x.score > 1.5 * x.reverse_score) x.order = rule_order::lhs_first;
    }
  }
  bool every_rule = false;  // keep_instances: every rule reported and listed
  if constexpr (InstanceKeepingLattice<L>) every_rule = spec.lattice.keep_instances;
  if constexpr (InstanceKeepingLattice<L>)
    if (!every_rule) suppress_explained(r.rules, space);
  drop_same_text(r.rules, space.items);
  const host_delay_sources sources = time_rules(r.rules, space, r.window_seconds, std::forward<HostDelays>(host_delays)());  // delays; the side that leads on the left
  if (!every_rule) {
    mark_alike(r.rules, space.windows, space.hosts, offset);
    mark_same_shape(r.rules, space.items);
  }
  r.item_flows.resize(space.items.size());
  for (std::size_t i = 0; i < space.items.size(); ++i) r.item_flows[i] = static_cast<std::uint32_t>(space.members(static_cast<std::uint32_t>(i)).size());
  expose::detail::release(space.generic_members);  // read no more: 5 MB on the 6-hour trace, given back before the clusters are made
  r.items = std::move(space.items);
  r.window_activity = std::make_shared<const activity>(std::move(space.windows));
  if (space.hosts.items() != 0 && !space.host_window_start.empty()) {
    r.host_activity = std::make_shared<const activity>(std::move(space.hosts));
    r.host_window_start = std::make_shared<const std::vector<std::size_t>>(std::move(space.host_window_start));
  }
  cluster_rules(r, spec.cluster);
  return sources;
}

/// finish_rules measuring every rule's delays itself.
template <class K, class W, class L, class S, class E, class C>
host_delay_sources finish_rules(mine_result& r, item_space space, counted_pairs counted, const pipeline<K, W, L, S, E, C>& spec) {
  return finish_rules(r, std::move(space), std::move(counted), spec, [] { return measured_delays{}; });
}

/// Runs a pipeline over a packet source (or any range of packets). `observed`: a stretch of time
/// that was watched, whose windows count in N though no packet fell in them (stream_miner's
/// epochs); without it N runs from the first packet's window to the last's.
template <class Source, class K, class W, class L, class S, class E, class C>
[[nodiscard]] mine_result mine(Source&& source, const pipeline<K, W, L, S, E, C>& spec, const ingest_limits& limits = {},
                               const std::optional<observed_span>& observed = std::nullopt) {
  if constexpr (!PacketSource<std::remove_cvref_t<Source>>) {
    static_assert(std::ranges::input_range<Source>, "mine: the source must model PacketSource or be a range of expose::packet");
    return mine(io::packets{std::views::all(std::forward<Source>(source))}, spec, limits, observed);
  } else {
    mine_result r;
    activity act;
    {  // the ingest (its flow table, its key index) lives only as long as the reading: what follows needs the items alone
      ingest<K, W> in(spec.key, spec.window, limits, r);
      const auto sink = [&](const packet& p) { in.take(p); };
      // A file or generator is read on a second core; packets already in memory are taken as they are.
      if constexpr (detail::in_memory<std::remove_cvref_t<Source>>) source.read(sink, r.input);
      else io::read_ahead(source, sink, r.input);
      if (observed) in.observe(*observed);
      act = std::move(in).finish();
    }
    item_space space = generalize_items(r, std::move(act), spec);
    auto counted = count_pairs(space, spec);
    finish_rules(r, std::move(space), std::move(counted), spec);
    return r;
  }
}

/// Runs a single stage with defaults for the others: `mine(trace, key_by(keys::service{}))`.
template <class Source, detail::stage_slot Slot, class P>
[[nodiscard]] mine_result mine(Source&& source, const detail::stage<Slot, P>& stage, const ingest_limits& limits = {}) {
  return mine(std::forward<Source>(source), pipeline<>{} | stage, limits);
}

}  // namespace expose
