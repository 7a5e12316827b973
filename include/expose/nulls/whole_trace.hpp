#pragma once
// The whole-trace null model (the method's original): under independence each side is placed in
// its windows uniformly among all N windows of the trace. It holds for stationary traffic; on real
// traffic, whose hosts come and go, two flows that are both active only inside one short stretch
// of a long trace look dependent under it (nulls/alive.hpp conditions on that instead).
//
//   score_by(scores::significant<scores::jmeasure, nulls::whole_trace>{})

#include "expose/item_space.hpp"
#include "expose/concepts.hpp"
#include "expose/rule.hpp"

namespace expose::nulls {

struct whole_trace {
  /// The counts as the engine counted them: N is every window of the trace.
  struct in_run {
    [[nodiscard]] pair_counts condition(const scored_pair& pair) const { return pair.counts; }
  };
  [[nodiscard]] in_run prepare(const item_space&) const { return {}; }
};

static_assert(NullModel<whole_trace>);

}  // namespace expose::nulls
