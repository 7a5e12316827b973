#pragma once
// Services: every client of one server port is one item, `*.* : dst.dport : proto`.

#include "expose/concepts.hpp"
#include <array>

#include "expose/flow_key.hpp"

namespace expose::keys {

struct service {
  using key_type = flow_key;
  using hash = flow_key_hash;
  /// The fields the key holds (kept) and lacks (any), as its patterns show them.
  static constexpr std::array<slot, field_count> slots{slot::any, slot::any, slot::kept, slot::kept, slot::kept};
  [[nodiscard]] key_type key(const flow_key& f) const { return {{}, f.dst, 0, f.dport, f.proto}; }
  [[nodiscard]] flow_pattern pattern(const key_type& k) const {
    return {k, slots};
  }
};

static_assert(KeyPolicy<service>);

}  // namespace expose::keys
