#pragma once
// Host pairs: all traffic between an initiator and a responder is one item, `src.* : dst.* : *`.

#include "expose/concepts.hpp"
#include "expose/flow_key.hpp"

namespace expose::keys {

struct host_pair {
  using key_type = flow_key;
  using hash = flow_key_hash;
  [[nodiscard]] key_type key(const flow_key& f) const { return {f.src, f.dst, 0, 0, 0}; }
  [[nodiscard]] flow_pattern pattern(const key_type& k) const {
    return {k, {slot::kept, slot::any, slot::kept, slot::any, slot::any}};
  }
};

static_assert(KeyPolicy<host_pair>);

}  // namespace expose::keys
