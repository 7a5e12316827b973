#pragma once
// The flow table: both directions of a connection map to one flow id, oriented initiator first.

#include <cstdint>
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
    flow_key k{p.src, p.dst, p.sport, p.dport, p.proto};
    const bool swap = before(k.dst, k.dport, k.src, k.sport);
    const flow_key canonical = swap ? k.reversed() : k;
    auto [it, inserted] = index_.try_emplace(canonical, static_cast<std::uint32_t>(flows_.size()));
    if (inserted) flows_.push_back(sender_is_initiator(p) ? k : k.reversed());
    return {it->second, inserted};
  }

  [[nodiscard]] const std::vector<flow_key>& flows() const noexcept { return flows_; }
  [[nodiscard]] std::size_t size() const noexcept { return flows_.size(); }
  void reserve(std::size_t n) {
    index_.reserve(n);
    flows_.reserve(n);
  }

 private:
  // Any strict total order on endpoints picks the canonical direction; this one compares words.
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
