#pragma once
// Host pairs: all traffic between an initiator and a responder is one item, `src.* : dst.* : *`.

#include "expose/concepts.hpp"
#include <array>

#include "expose/flow_key.hpp"

namespace expose::keys {

struct host_pair {
  using key_type = flow_key;
  using hash = flow_key_hash;
  /// The fields the key holds (kept) and lacks (any), as its patterns show them.
  static constexpr std::array<slot, field_count> slots{slot::kept, slot::any, slot::kept, slot::any, slot::any};
  [[nodiscard]] key_type key(const flow_key& f) const { return {f.src, f.dst, 0, 0, 0}; }
  [[nodiscard]] flow_pattern pattern(const key_type& k) const {
    return {k, slots};
  }
};

static_assert(KeyPolicy<host_pair>);

}  // namespace expose::keys
