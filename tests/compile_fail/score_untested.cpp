// Must not compile when EXPOSE_KO is defined: a scorer without a significance test handed to
// score_by as it is, which would drop the test unseen. Compiles without it: the same scorer kept
// under the test (scores::significant) and visibly without it (scores::untested).
#include <vector>

#include "expose/expose.hpp"

int main() {
  namespace ex = expose;
  const std::vector<ex::packet> trace;
#ifdef EXPOSE_KO
  auto spec = ex::score_by(ex::scores::jmeasure{.min_score = 0.05});
#else
  auto spec = ex::score_by(ex::scores::significant<ex::scores::jmeasure>{.scorer = {.min_score = 0.05}});
  auto plain = ex::score_by(ex::scores::untested{ex::scores::jmeasure{.min_score = 0.05}});
  if (!ex::mine(trace, plain).rules.empty()) return 1;
#endif
  return static_cast<int>(ex::mine(trace, spec).rules.size());
}
