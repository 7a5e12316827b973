#pragma once
// No generalization: every item is a flow as the key policy made it. The default until templates land.

#include <vector>

#include "expose/activity.hpp"
#include "expose/concepts.hpp"
#include "expose/flow_key.hpp"

namespace expose::lattice {

struct none {
  void expand(activity&, std::vector<flow_pattern>&) const {}
};

static_assert(Lattice<none>);

}  // namespace expose::lattice
