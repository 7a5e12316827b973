#pragma once
// Rules and their counts: X => Y ("whenever X happens, Y happens too") and X <=> Y.

#include <cstddef>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "expose/address.hpp"

namespace expose {

/// The sufficient statistics of a pair: samples where X, Y and both are active, and N.
struct pair_counts {
  std::uint64_t n_x = 0;
  std::uint64_t n_y = 0;
  std::uint64_t n_xy = 0;
  std::uint64_t n = 0;
  [[nodiscard]] pair_counts reversed() const { return {n_y, n_x, n_xy, n}; }
  friend bool operator==(const pair_counts&, const pair_counts&) = default;
};

/// One direction X => Y that passed the scorer, as the counting engine reports it.
struct scored_pair {
  std::uint32_t x = 0;
  std::uint32_t y = 0;
  pair_counts counts;
  double score = 0;
  friend bool operator==(const scored_pair&, const scored_pair&) = default;
};

enum class rule_kind : std::uint8_t { implies, equivalent };

/// What a rule says about time: nothing (same window), or, under lagged windows, that the left
/// side comes first (its rule scores well above the reverse one).
enum class rule_order : std::uint8_t { together, lhs_first };

[[nodiscard]] inline const char* order_text(rule_order o) { return o == rule_order::together ? "together" : "lhs_first"; }

[[nodiscard]] inline const char* kind_text(rule_kind k) { return k == rule_kind::implies ? "=>" : "<=>"; }

/// Which side of a rule comes first inside the windows where both are active (delays.hpp).
enum class rule_leads : std::uint8_t { together, lhs, rhs };

[[nodiscard]] inline const char* leads_text(rule_leads l) { return l == rule_leads::lhs ? "lhs" : l == rule_leads::rhs ? "rhs" : "together"; }

/// The delays from a rule's left side's first packet to its right side's first packet, over the
/// samples where both are active (positive: the right side follows). `samples` 0: not measured.
struct delay_summary {
  double median_ms = 0;
  double p25_ms = 0;
  double p75_ms = 0;
  std::uint64_t samples = 0;
  std::uint64_t hosts = 0;  ///< a host-variable rule: the hosts whose own pairs were pooled (else 0)
  /// The same delays seen from the other side.
  [[nodiscard]] delay_summary reversed() const { return {-median_ms, -p75_ms, -p25_ms, samples, hosts}; }
  friend bool operator==(const delay_summary&, const delay_summary&) = default;
};

/// A delay as the outputs write it: `+20 ms`, `-3.5 ms`, `+1.2 s`. The unit follows the value as
/// written, rounded: 999.9 ms is `+1.0 s`, not `+1000 ms`, and 9.96 ms `+10 ms`.
[[nodiscard]] inline std::string delay_ms_text(double ms) {
  char buf[32];
  const double a = std::fabs(ms);
  if (a >= 999.5) std::snprintf(buf, sizeof buf, "%+.1f s", ms / 1000);
  else if (a >= 9.95) std::snprintf(buf, sizeof buf, "%+.0f ms", ms);
  else std::snprintf(buf, sizeof buf, "%+.1f ms", ms);
  return buf;
}

/// A reported rule over item ids. For `<=>` the lhs is the side that leads where the delays say
/// which does (delays.hpp), else the side whose rule scores higher; `score` is the higher of the
/// two directions' scores (lhs => rhs but for a turned `<=>`), `reverse_score` the other.
struct rule {
  std::uint32_t lhs = 0;
  std::uint32_t rhs = 0;
  rule_kind kind = rule_kind::implies;
  double score = 0;          ///< score of lhs => rhs (of a `<=>`: its higher direction)
  double reverse_score = 0;  ///< score of rhs => lhs (of a `<=>`: its other direction)
  pair_counts counts;        ///< n_x is the lhs count, n_y the rhs count, n_xy the support, n the samples
  std::uint32_t lag = 0;     ///< windows the rhs may follow the lhs by (lagged windows), else 0
  rule_order order = rule_order::together;
  delay_summary delay{};                  ///< when the right side comes after the left (delays.hpp)
  rule_leads leads = rule_leads::together;  ///< which side comes first, where the delays are clear
  static constexpr std::uint32_t not_alike = UINT32_MAX;
  /// The index of the first (most significant) rule this one is alike to, or not_alike: its sides
  /// are active in exactly the samples of that rule's sides, so it says the same thing
  /// (mark_alike in rule_set.hpp). Outputs show only rules that are not alike to another.
  std::uint32_t alike_of = not_alike;
  std::uint32_t alike = 0;  ///< how many later rules are alike to this one
  /// The index of the first (most significant) rule that is this one with another host in one
  /// place, or not_alike: both rules join two connections between the same two hosts, one host is
  /// common to both rules and the other differs (a BitTorrent host's connections to each of its
  /// peers: one rule per peer, `Host.* : $P.* <=> Host.* : $P.*`; mark_same_shape in rule_set.hpp).
  std::uint32_t same_shape_of = not_alike;
  std::uint32_t same_shape = 0;  ///< how many later rules are this one with another host
  ip_address same_shape_host{};  ///< where same_shape != 0: this rule's host that the others replace
  /// Folded into a more significant rule (alike to it, or the same with another host): outputs
  /// count it and do not list it.
  [[nodiscard]] bool folded() const noexcept { return alike_of != not_alike || same_shape_of != not_alike; }
  /// The rule it is folded into (alike_of first), or not_alike.
  [[nodiscard]] std::uint32_t folded_into() const noexcept { return alike_of != not_alike ? alike_of : same_shape_of; }
  /// The mark the outputs put beside the rule: `+20 ms` (the right side follows the left, median),
  /// `-20 ms` (it comes first: a `=>` rule), `together`, or empty where not measured.
  [[nodiscard]] std::string delay_mark() const {
    if (delay.samples == 0) return {};
    return leads == rule_leads::together ? std::string("together") : delay_ms_text(delay.median_ms);
  }
  [[nodiscard]] double confidence() const {
    return counts.n_x == 0 ? 0.0 : static_cast<double>(counts.n_xy) / static_cast<double>(counts.n_x);
  }
};

/// A group of the rule graph: its items (ascending ids), the rules among them (indexes into the
/// run's rules, most significant first), how dense it is, one line saying what it is, and when it
/// was active (clusters/timing.hpp; over its window items, from the run's activity).
struct cluster {
  std::vector<std::uint32_t> items;
  std::vector<std::size_t> rules;
  double density = 0;   ///< pairs of its items joined by a rule / all pairs (1: a clique)
  std::string summary{};  ///< e.g. `*.* : {10.0.0.1,10.0.0.2,10.0.0.3}.22 : tcp — clique of 3`
  std::size_t parts = 1;  ///< clusters of the policy joined into this one (clusters/join.hpp)
  std::int64_t first_window = 0, last_window = -1;  ///< absolute windows of its first and last activity
  std::uint64_t windows_active = 0;                  ///< windows with any of its items active (0: not known)
  std::vector<std::uint32_t> per_minute{};           ///< windows active in each minute of the trace
  std::vector<std::uint32_t> timeline{};             ///< windows active in each 60th of the trace
  double period_seconds = 0;                         ///< its activity's period, where it is periodic (0: not)
};

}  // namespace expose
