#pragma once
// Ingest, written once for every driver: packets into flows (flow_table), flows into items under
// the key policy (flow_items), the items' activity per window (activity_builder), within the ingest
// limits (limits.hpp: at a flow or memory limit idle, rare items are evicted; with nothing to evict
// new connections wait; when the activity alone fills the budget reading stops).
//
//   ingest<keys::five_tuple, windows::tumbling> in(spec.key, spec.window, limits, result);
//   source.read([&](const packet& p) { in.take(p); }, result.input);
//   activity a = std::move(in).finish();
//
// `mine` (pipeline.hpp) and `stream` run packets through it; the MPI driver's rank 0 gives the
// flows its ranks built to flow_items, the same flow-to-item step.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <ranges>
#include <string>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/activity.hpp"
#include "expose/concepts.hpp"
#include "expose/detail/release.hpp"
#include "expose/flow_key.hpp"
#include "expose/flow_table.hpp"
#include "expose/input.hpp"
#include "expose/limits.hpp"
#include "expose/mine_result.hpp"
#include "expose/packet.hpp"

namespace expose {

/// Puts what the limits made a run do into the input's counts (packets left out are skipped, not
/// decoded) and its warnings, one sentence each. A flow log's records are not packets (each makes
/// one packet a window its connection spans): what was left out is said, and the records' counts
/// stay (subtracting packets from records wrapped `decoded` round).
inline void describe(const limit_report& done, const ingest_limits& limits, input_stats& input) {
  const bool of_packets = input.record == "packet";
  if (of_packets) {
    input.decoded -= done.refused + done.left_after_stop;
    if (done.refused != 0) input.skipped["flow limit"] += done.refused;
    if (done.left_after_stop != 0) input.skipped["memory limit"] += done.left_after_stop;
  }
  const std::string what = of_packets ? " packets" : " of the packets the connection records make (one a window each spans)";
  if (done.evicted_flows != 0)
    input.warnings.push_back("flow or memory limit reached " + std::to_string(done.evictions) + " time(s): evicted " +
                             std::to_string(done.evicted_flows) + " flows idle for " + std::to_string(limits.idle_ns / 1'000'000'000) +
                             " s and active in fewer than " + std::to_string(limits.evict_below) + " windows (" +
                             std::to_string(done.evicted_entries) + " activity entries dropped; generic rules do not count them)");
  if (done.refused != 0)
    input.warnings.push_back("flow or memory limit reached with no idle flow to evict: " + std::to_string(done.refused) + what +
                             " of new connections were left out" + (of_packets ? " (skipped: flow limit)" : ""));
  if (done.stopped)
    input.warnings.push_back("memory limit reached by the activity itself: the results cover the first " +
                             std::to_string(done.stopped_after) + (of_packets ? " decoded packets (the rest: skipped, memory limit)" : what));
}

/// Flows to items: a flow's key under the key policy; the flows of one key are one item, named by
/// the key's pattern. Flows come in the order of their ids (0, 1, 2, ...). Under a key where every
/// flow is its own item (FlowPerItemKey: the 5-tuple) flow i is item i, and no index is kept: 60
/// bytes a flow less.
template <KeyPolicy K>
class flow_items {
 public:
  /// The item of the next flow, made (appended to `r.items`) when its key is new; counts the flow
  /// in `r.flows_by_protocol`.
  std::uint32_t add(const K& policy, const flow_key& f, mine_result& r) {
    ++r.flows_by_protocol[f.proto];
    if constexpr (FlowPerItemKey<K>) {  // the items are made from the flows at the end (finish)
      return static_cast<std::uint32_t>(flows_++);
    }
    const auto key = policy.key(f);
    const auto [it, fresh] = item_of_key_.try_emplace(key, static_cast<std::uint32_t>(r.items.size()));
    if (fresh) r.items.push_back(policy.pattern(key));
    item_of_flow_.push_back(it->second);
    return it->second;
  }
  /// The items so far (the next flow's item, if new, is this one).
  [[nodiscard]] std::size_t items(const mine_result& r) const noexcept {
    if constexpr (FlowPerItemKey<K>) return flows_;
    return r.items.size();
  }
  /// After the last flow: where every flow is its own item, the items are made now, from `flows`
  /// (the flows in id order: a flow_list, a std::vector<flow_key>), so that ingest never holds a
  /// flow twice.
  template <std::ranges::sized_range Flows>
  void finish(const K& policy, const Flows& flows, mine_result& r) const {
    if constexpr (FlowPerItemKey<K>) {
      // with room for the generic items a lattice adds (under 1% of the flows on the generator's
      // traces; room for 6%), so that adding them does not copy every flow's pattern
      r.items.reserve(r.items.size() + flows.size() + flows.size() / 16 + 1024);
      for (const auto& f : flows) r.items.push_back(policy.pattern(policy.key(f)));
    }
  }
  [[nodiscard]] std::uint32_t operator[](std::uint32_t flow) const noexcept {
    if constexpr (FlowPerItemKey<K>) return flow;
    return item_of_flow_[flow];
  }
  [[nodiscard]] std::size_t flows() const noexcept {
    if constexpr (FlowPerItemKey<K>) return flows_;
    return item_of_flow_.size();
  }
  /// After an eviction: `item_renamed` maps old item ids to new ones (flow_table::gone: evicted),
  /// `flow_renamed` old flow ids to new ones, over `flows_kept` flows left.
  void retain(const std::vector<std::uint32_t>& item_renamed, const std::vector<std::uint32_t>& flow_renamed, std::size_t flows_kept) {
    if constexpr (FlowPerItemKey<K>) {  // flows and items go together, and keep their order
      flows_ = flows_kept;
      return;
    }
    std::vector<std::uint32_t> kept(flows_kept);
    for (std::size_t f = 0; f < flow_renamed.size(); ++f)
      if (flow_renamed[f] != flow_table::gone) kept[flow_renamed[f]] = item_renamed[item_of_flow_[f]];
    item_of_flow_ = std::move(kept);
    boost::unordered::erase_if(item_of_key_, [&](const auto& kv) { return item_renamed[kv.second] == flow_table::gone; });
    for (auto& kv : item_of_key_) kv.second = item_renamed[kv.second];
  }

 private:
  boost::unordered_flat_map<typename K::key_type, std::uint32_t, typename K::hash> item_of_key_;
  std::vector<std::uint32_t> item_of_flow_;
  std::size_t flows_ = 0;  // FlowPerItemKey: flows (and items) so far
};

/// A stretch of trace time that was watched, packets or not (ns, both ends included): the windows
/// it covers count in N beside those the packets fell in (a stream's epoch runs to its end, though
/// its last packet may come minutes before).
struct observed_span {
  std::int64_t from_ns = 0;
  std::int64_t to_ns = 0;
};

/// Packets to the items' activity, within the limits. Writes the items, flows by protocol and
/// what the limits did into the result it is given; finish() gives the activity.
template <KeyPolicy K, WindowPolicy W>
class ingest {
 public:
  ingest(const K& key, const W& window, const ingest_limits& limits, mine_result& r)
      : key_(key), window_(window), width_ns_(std::llround(window.seconds() * 1e9)), limits_(limits), r_(r) {}
  ingest(const ingest&) = delete;
  ingest& operator=(const ingest&) = delete;

  /// One decoded packet.
  void take(const packet& p) {
    if (r_.limits.stopped) {
      ++r_.limits.left_after_stop;
      return;
    }
    const auto [lo, hi] = window_.window_range(p.ts_ns);
    if (limits_.limited() && !room_for(p, lo)) return;
    ++taken_;
    const auto [flow, inserted] = table_.find_or_insert(p);
    if (inserted) {
      ++flows_seen_;
      items_.add(key_, table_.flows()[flow], r_);
    }
    first_ = std::min(first_, p.ts_ns);
    last_ = std::max(last_, p.ts_ns);
    overlapping_ = overlapping_ || hi != lo;
    for (auto w = lo; w <= hi; ++w) act_.add(w, items_[flow], offset_in_window(p.ts_ns, w, width_ns_));
  }

  /// Counts the windows of `span` in N too (observed_span).
  void observe(const observed_span& span) {
    if (span.to_ns < span.from_ns) return;
    act_.touch(window_.window_range(span.from_ns).first);
    act_.touch(window_.window_range(span.to_ns).second);
  }

  /// The items' activity; the result gets the time span, the flows seen, the window length and
  /// what the limits made the run do (describe).
  [[nodiscard]] activity finish() && {
    describe(r_.limits, limits_, r_.input);
    if (first_ <= last_) {
      r_.input.start_ns = first_;
      r_.input.end_ns = last_;
    }
    r_.flows = flows_seen_;
    r_.window_seconds = window_.seconds();
    activity a;
    {
      const auto flows = std::move(table_).take_flows();  // the key index freed first
      a = std::move(act_).finish(items_.items(r_));
      items_.finish(key_, flows, r_);
    }  // the flows live on as items
    table_ = {};
    // Offsets count from multiples of the width (tumbling and lagged windows); windows that
    // overlap start elsewhere, so their activity keeps no times and no delay is measured.
    if (overlapping_) detail::release(a.item_offsets);
    return a;
  }

 private:
  /// At the limits: evicts when over them, refuses new connections while nothing can be evicted,
  /// stops when the activity alone fills the memory budget. False: the packet is left out.
  bool room_for(const packet& p, std::int64_t now_window) {
    if (refusing_ && ++since_refusal_try_ >= 65536) {  // flows age: try to make room again
      since_refusal_try_ = 0;
      refusing_ = !evict(now_window);
    }
    if (++since_check_ >= 4096 || (limits_.max_flows != 0 && table_.size() >= limits_.max_flows)) {
      since_check_ = 0;
      if (!refusing_ && over()) refusing_ = !evict(now_window);
      if (limits_.max_memory != 0 && act_.entries() * ingest_limits::bytes_per_entry >= limits_.max_memory) {
        r_.limits.stopped = true;  // the activity itself fills the budget: take no more
        r_.limits.stopped_after = taken_;
        ++r_.limits.left_after_stop;
        return false;
      }
    }
    if (refusing_ && !table_.find(p)) {
      ++r_.limits.refused;
      return false;
    }
    return true;
  }

  [[nodiscard]] bool over() const {
    return (limits_.max_flows != 0 && table_.size() >= limits_.max_flows) ||
           (limits_.max_memory != 0 && ingest_limits::estimate(table_.size(), act_.entries()) >= limits_.max_memory);
  }

  /// Evicts idle, rare items and every flow that maps to them; true when it freed a tenth of the room.
  bool evict(std::int64_t now_window) {
    const auto idle = static_cast<std::int64_t>(std::ceil(static_cast<double>(limits_.idle_ns) / 1e9 / window_.seconds()));
    const std::size_t n_items = items_.items(r_);
    const auto counts = act_.counts(n_items);
    std::vector<std::uint32_t> renamed(n_items, flow_table::gone);
    std::uint32_t kept_items = 0;
    std::uint64_t dropped_entries = 0;
    for (std::uint32_t i = 0; i < n_items; ++i) {
      const bool idle_and_rare = act_.last_window(i) + idle < now_window && counts[i] < limits_.evict_below;
      if (idle_and_rare) dropped_entries += counts[i];
      else renamed[i] = kept_items++;
    }
    const std::size_t before = table_.size();
    std::vector<char> keep_flow(table_.size());
    for (std::size_t f = 0; f < table_.size(); ++f) keep_flow[f] = renamed[items_[static_cast<std::uint32_t>(f)]] != flow_table::gone;
    const auto flow_renamed = table_.retain(keep_flow);
    items_.retain(renamed, flow_renamed, table_.size());
    r_.items.retain([&](std::size_t i) { return renamed[i] != flow_table::gone; });
    act_.retain(renamed);
    ++r_.limits.evictions;
    r_.limits.evicted_flows += before - table_.size();
    r_.limits.evicted_entries += dropped_entries;
    return !over() && (limits_.max_flows == 0 || table_.size() <= limits_.max_flows - limits_.max_flows / 10) &&
           (limits_.max_memory == 0 || ingest_limits::estimate(table_.size(), act_.entries()) <= limits_.max_memory - limits_.max_memory / 10);
  }

  K key_;                 // copies: the policies and limits are small, and a caller's temporary
  W window_;              // (`ingest in(key, window, {}, r)`) must not dangle
  std::int64_t width_ns_;  // the window's width, for when in it a packet falls
  ingest_limits limits_;
  mine_result& r_;
  flow_table table_;
  flow_items<K> items_;
  activity_builder act_;
  std::int64_t first_ = std::numeric_limits<std::int64_t>::max(), last_ = std::numeric_limits<std::int64_t>::min();
  std::uint64_t flows_seen_ = 0;
  std::uint64_t taken_ = 0;            // decoded packets taken into flows
  bool refusing_ = false;              // at the limit with nothing to evict: new connections wait
  bool overlapping_ = false;           // a packet fell in several windows: no offsets
  std::uint64_t since_check_ = 0;      // packets since the memory estimate was last looked at
  std::uint64_t since_refusal_try_ = 0;
};

}  // namespace expose
