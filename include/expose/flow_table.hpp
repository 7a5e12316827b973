#pragma once
// The flow table: both directions of a connection map to one flow id, oriented initiator first.

#include <cstdint>
#include <optional>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/flow_key.hpp"
#include "expose/orientation.hpp"
#include "expose/packet.hpp"

namespace expose {

class flow_table {
 public:
  struct hit {
    std::uint32_t id;
    bool inserted;
  };

  /// The flow of a packet; a connection seen for the first time is oriented by `sender_is_initiator`.
  hit find_or_insert(const packet& p) {
    const flow_key k{p.src, p.dst, p.sport, p.dport, p.proto};
    auto [it, inserted] = index_.try_emplace(canonical(k), static_cast<std::uint32_t>(flows_.size()));
    if (inserted) flows_.push_back(sender_is_initiator(p) ? k : k.reversed());
    return {it->second, inserted};
  }

  /// The flow of a connection oriented elsewhere (another process's table, which saw its first
  /// packet): a new connection keeps the orientation given, a known one keeps its own.
  hit find_or_insert(const flow_key& oriented) {
    auto [it, inserted] = index_.try_emplace(canonical(oriented), static_cast<std::uint32_t>(flows_.size()));
    if (inserted) flows_.push_back(oriented);
    return {it->second, inserted};
  }

  /// The flow of a packet if its connection is known.
  [[nodiscard]] std::optional<std::uint32_t> find(const packet& p) const {
    const auto it = index_.find(canonical({p.src, p.dst, p.sport, p.dport, p.proto}));
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }

  static constexpr std::uint32_t gone = UINT32_MAX;
  /// Forgets the flows with `keep[id] == 0` and numbers the rest densely in their old order;
  /// returns each old id's new id (`gone` for a forgotten flow). A forgotten connection seen again
  /// is a new flow.
  std::vector<std::uint32_t> retain(const std::vector<char>& keep) {
    std::vector<std::uint32_t> renamed(flows_.size(), gone);
    std::size_t n = 0;
    for (std::size_t id = 0; id < flows_.size(); ++id)
      if (keep[id]) {
        renamed[id] = static_cast<std::uint32_t>(n);
        flows_[n++] = flows_[id];
      }
    flows_.resize(n);
    flows_.shrink_to_fit();
    index_.clear();
    index_.reserve(n);
    for (std::size_t id = 0; id < n; ++id) index_.emplace(canonical(flows_[id]), static_cast<std::uint32_t>(id));
    return renamed;
  }

  [[nodiscard]] const std::vector<flow_key>& flows() const noexcept { return flows_; }
  [[nodiscard]] std::size_t size() const noexcept { return flows_.size(); }
  void reserve(std::size_t n) {
    index_.reserve(n);
    flows_.reserve(n);
  }

 private:
  // Both directions of a connection have one canonical form: the lesser endpoint first, by any
  // strict total order on endpoints (this one compares words).
  static flow_key canonical(const flow_key& k) noexcept {
    return before(k.dst, k.dport, k.src, k.sport) ? k.reversed() : k;
  }
  static bool before(const ip_address& a, std::uint16_t pa, const ip_address& b, std::uint16_t pb) noexcept {
    const auto x = a.words(), y = b.words();
    if (x[0] != y[0]) return x[0] < y[0];
    if (x[1] != y[1]) return x[1] < y[1];
    return pa < pb;
  }
  boost::unordered_flat_map<flow_key, std::uint32_t, flow_key_hash> index_;
  std::vector<flow_key> flows_;  // by id, oriented
};

}  // namespace expose
