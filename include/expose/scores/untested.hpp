#pragma once
// A scorer used without a significance test, said so where the pipeline is written:
//
//   score_by(scores::untested{scores::jmeasure{.min_score = 0.05}})
//
// Every pair the scorer accepts becomes a rule, however likely it is by chance (the original
// method's thresholds alone). score_by refuses a scorer that has no test unless it is wrapped so:
// dropping the test is a choice, not an accident of swapping one scorer for another.

#include <cstdint>

#include "expose/concepts.hpp"
#include "expose/rule.hpp"
#include "expose/scores/jmeasure.hpp"

namespace expose::scores {

template <ScorePolicy S = jmeasure>
struct untested {
  S scorer{};
  static constexpr bool without_test = true;  ///< what UntestedScore looks for

  [[nodiscard]] double score(const pair_counts& c) const { return scorer.score(c); }
  [[nodiscard]] bool accepts(const pair_counts& c, double s) const { return scorer.accepts(c, s); }
  [[nodiscard]] bool can_head(std::uint64_t n_x, std::uint64_t n) const { return scorer.can_head(n_x, n); }
  [[nodiscard]] bool can_appear(std::uint64_t n_x, std::uint64_t n) const { return scorer.can_appear(n_x, n); }
  /// The wrapped scorer's fast inner loop, when it has one (`pairs`: as the wrapped scorer's
  /// prepare takes it, when it does).
  [[nodiscard]] auto prepare(std::uint64_t n, std::uint64_t pairs = UINT64_MAX) const
    requires PreparedScore<S>
  {
    if constexpr (requires { scorer.prepare(n, pairs); }) return scorer.prepare(n, pairs);
    else return scorer.prepare(n);
  }
};

// Deduced from the scorer (`untested{jmeasure{}}`): Clang before 17 deduces no aggregate's arguments.
template <ScorePolicy S>
untested(S) -> untested<S>;

static_assert(UntestedScore<untested<>> && !TestedScore<untested<>> && PreparedScore<untested<>>);

}  // namespace expose::scores
