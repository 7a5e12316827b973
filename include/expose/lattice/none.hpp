#pragma once
// No generalization: every item is a flow as the key policy made it.

#include <vector>

#include "expose/activity.hpp"
#include "expose/concepts.hpp"
#include "expose/flow_key.hpp"
#include "expose/item_space.hpp"
#include "expose/pattern_list.hpp"

namespace expose::lattice {

struct none {
  template <class Keep>
  [[nodiscard]] item_space generalize(pattern_list base, activity a, const Keep&) const {
    return item_space::plain(std::move(base), std::move(a));
  }
  template <class Keep>
  [[nodiscard]] item_space generalize_windows(pattern_list base, activity a, const Keep& keep) const {
    return generalize(std::move(base), std::move(a), keep);
  }
  [[nodiscard]] static constexpr bool has_host_items() noexcept { return false; }
  template <class Keep>
  [[nodiscard]] host_items make_host_items(const Keep&, const pattern_list&, const activity&) const {
    return {};
  }
  template <class Keep, class Sum>
  [[nodiscard]] host_items make_host_items(const Keep&, const pattern_list&, const activity&, window_part, const Sum&) const {
    return {};
  }
};

static_assert(Lattice<none> && SplitLattice<none> && !InstanceKeepingLattice<none>);

}  // namespace expose::lattice
