#pragma once
// The flow table: both directions of a connection map to one flow id, oriented initiator first.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "expose/detail/id_index.hpp"
#include "expose/flow_key.hpp"
#include "expose/flow_list.hpp"
#include "expose/orientation.hpp"
#include "expose/packet.hpp"

namespace expose {

/// Flows by id, and an index from a connection to its id. The flows are held at 16 bytes a flow
/// (flow_list); the index holds ids alone (4 bytes a slot) and finds a connection's key through
/// the flows it indexes: 40 bytes a flow less than a map from keys to ids.
class flow_table {
 public:
  struct hit {
    std::uint32_t id;
    bool inserted;
  };

  flow_table()
      : flows_(std::make_unique<flow_list>()), index_(detail::make_id_index<flow_key, flow_key_hash>(canonical_of{flows_.get()})) {}
  /// The flows stay where they are, so the moved index still finds them. A table moved from may
  /// only be assigned to or destroyed.
  flow_table(flow_table&&) noexcept = default;
  flow_table& operator=(flow_table&&) noexcept = default;
  flow_table(const flow_table&) = delete;
  flow_table& operator=(const flow_table&) = delete;

  /// The flow of a packet; a connection seen for the first time is oriented by `sender_is_initiator`.
  hit find_or_insert(const packet& p) {
    const flow_key k{p.src, p.dst, p.sport, p.dport, p.proto};
    const flow_key c = canonical(k);
    if (const auto it = index_.find(c); it != index_.end()) return {*it, false};
    return {add(sender_is_initiator(p) ? k : k.reversed()), true};
  }

  /// The flow of a connection oriented elsewhere (another process's table, which saw its first
  /// packet): a new connection keeps the orientation given, a known one keeps its own.
  hit find_or_insert(const flow_key& oriented) {
    if (const auto it = index_.find(canonical(oriented)); it != index_.end()) return {*it, false};
    return {add(oriented), true};
  }

  /// The flow of a packet if its connection is known.
  [[nodiscard]] std::optional<std::uint32_t> find(const packet& p) const {
    const auto it = index_.find(canonical({p.src, p.dst, p.sport, p.dport, p.proto}));
    if (it == index_.end()) return std::nullopt;
    return *it;
  }

  /// Both directions of a connection have one canonical form: the lesser endpoint first, by any
  /// strict total order on endpoints (this one compares words).
  [[nodiscard]] static flow_key canonical(const flow_key& k) noexcept {
    return before(k.dst, k.dport, k.src, k.sport) ? k.reversed() : k;
  }

  static constexpr std::uint32_t gone = UINT32_MAX;
  /// Forgets the flows with `keep[id] == 0` and numbers the rest densely in their old order;
  /// returns each old id's new id (`gone` for a forgotten flow). A forgotten connection seen again
  /// is a new flow.
  std::vector<std::uint32_t> retain(const std::vector<char>& keep) {
    std::vector<std::uint32_t> renamed(flows_->size(), gone);
    std::size_t n = 0;
    for (std::size_t id = 0; id < flows_->size(); ++id)
      if (keep[id]) renamed[id] = static_cast<std::uint32_t>(n++);
    flows_->retain(keep);
    index_.clear();
    index_.reserve(n);
    for (std::size_t id = 0; id < n; ++id) index_.insert(static_cast<std::uint32_t>(id));
    return renamed;
  }

  /// The flows by id (each key a value made again from the list's 16 bytes).
  [[nodiscard]] const flow_list& flows() const noexcept { return *flows_; }
  /// The flows by id, taken out of a table that is done with (its index freed first, so the
  /// flows can be turned into something else without the index beside them).
  [[nodiscard]] flow_list take_flows() && {
    index_ = decltype(index_)(0, index_.hash_function(), index_.key_eq());
    auto flows = std::move(*flows_);
    flows_->clear();
    return flows;
  }
  [[nodiscard]] std::size_t size() const noexcept { return flows_->size(); }
  void reserve(std::size_t n) {
    index_.reserve(n);
    flows_->reserve(n);
  }

 private:
  static bool before(const ip_address& a, std::uint16_t pa, const ip_address& b, std::uint16_t pb) noexcept {
    const auto x = a.words(), y = b.words();
    if (x[0] != y[0]) return x[0] < y[0];
    if (x[1] != y[1]) return x[1] < y[1];
    return pa < pb;
  }
  // The index sees an id as its flow's canonical key.
  struct canonical_of {
    const flow_list* flows;
    [[nodiscard]] flow_key operator()(std::uint32_t id) const noexcept { return canonical((*flows)[id]); }
  };
  std::uint32_t add(const flow_key& oriented) {
    const auto id = static_cast<std::uint32_t>(flows_->size());
    flows_->push_back(oriented);
    index_.insert(id);
    return id;
  }
  // By id, oriented; on the heap, where the index finds it. 16 bytes a flow, grown by realloc,
  // never held twice while it grows (flow_list): it is the largest list while a trace is read.
  std::unique_ptr<flow_list> flows_;
  detail::id_index<flow_key, flow_key_hash, canonical_of> index_;
};

}  // namespace expose
