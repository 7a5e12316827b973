#pragma once
// The default key: the whole initiator-oriented 5-tuple, `src.sport : dst.dport : proto`.

#include "expose/concepts.hpp"
#include <array>

#include "expose/flow_key.hpp"

namespace expose::keys {

struct five_tuple {
  using key_type = flow_key;
  using hash = flow_key_hash;
  static constexpr bool flow_per_item = true;  ///< every flow its own item (FlowPerItemKey)
  /// The fields the key holds (kept) and lacks (any), as its patterns show them.
  static constexpr std::array<slot, field_count> slots{slot::kept, slot::kept, slot::kept, slot::kept, slot::kept};
  [[nodiscard]] key_type key(const flow_key& f) const { return f; }
  [[nodiscard]] flow_pattern pattern(const key_type& k) const { return exact(k); }
};

static_assert(KeyPolicy<five_tuple> && FlowPerItemKey<five_tuple>);

}  // namespace expose::keys
