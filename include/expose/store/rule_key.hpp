#pragma once
// A rule's identity across runs, sites and versions (DESIGN.md section 1.6): its canonical
// generalized text. The text is the paper's notation as expose-mine prints it,
// `src.sport : dst.dport : proto KIND src.sport : dst.dport : proto`, built from the rule's
// structured fields (the JSON report's `lhs`/`rhs` objects, a contract that is never renamed), with
// one normalization: the two sides of a `<=>` rule are put in byte order, since which side a run
// reports first depends on which direction happened to score higher. `=>` keeps its direction.
// Needs no optional library.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "expose/error.hpp"
#include "expose/flow_key.hpp"
#include "expose/mine_result.hpp"
#include "expose/rule.hpp"

namespace expose::store {

/// One side of a rule as the JSON report spells it: proto, src, sport, dst, dport (each a value,
/// `*` or a host variable `$A`).
struct side {
  std::string proto, src, sport, dst, dport;

  /// `src.sport : dst.dport : proto`; IPv6 addresses (they hold a `:`) in brackets.
  [[nodiscard]] std::string text() const {
    const auto host = [](const std::string& h) { return h.find(':') != std::string::npos ? "[" + h + "]" : h; };
    return host(src) + "." + sport + " : " + host(dst) + "." + dport + " : " + proto;
  }
  [[nodiscard]] static side of(const flow_pattern& p) {
    return {p.field_text(field::proto), p.field_text(field::src_ip), p.field_text(field::src_port),
            p.field_text(field::dst_ip), p.field_text(field::dst_port)};
  }
  friend bool operator==(const side&, const side&) = default;
};

/// A rule's identity: canonical orientation of its sides, its kind, and the canonical text.
struct rule_key {
  side lhs, rhs;
  std::string kind;     ///< "=>" or "<=>"
  bool flipped = false; ///< the rule as reported had its sides the other way round
  [[nodiscard]] std::string text() const { return lhs.text() + " " + kind + " " + rhs.text(); }
  /// The rule as the run reported it: sides in the reported order.
  [[nodiscard]] std::string reported_text() const { return flipped ? rhs.text() + " " + kind + " " + lhs.text() : text(); }
};

/// The canonical key of a rule reported as `lhs kind rhs` (kind `=>` or `<=>`).
[[nodiscard]] inline rule_key canonical(side lhs, const std::string& kind, side rhs) {
  if (kind != "=>" && kind != "<=>") throw bad_argument("rule kind '" + kind + "' is neither => nor <=>");
  rule_key k{std::move(lhs), std::move(rhs), kind, false};
  if (kind == "<=>" && k.rhs.text() < k.lhs.text()) {
    std::swap(k.lhs, k.rhs);
    k.flipped = true;
  }
  return k;
}

/// The canonical key of a rule of a run.
[[nodiscard]] inline rule_key canonical(const mine_result& r, const rule& x) {
  return canonical(side::of(r.items[x.lhs]), kind_text(x.kind), side::of(r.items[x.rhs]));
}

/// A rule as one run reported it, with its identity: what a rule store keeps of each run.
struct observed_rule {
  rule_key key;
  double score = 0;          ///< of the rule as reported (lhs => rhs before any flip)
  double reverse_score = 0;
  std::uint64_t support = 0;
  std::uint64_t lhs_count = 0;  ///< as reported
  std::uint64_t rhs_count = 0;
  std::uint64_t samples = 0;
  std::string order = "together";
  std::uint32_t lag_windows = 0;

  /// The rule as the run reported it: sides in the reported order.
  [[nodiscard]] const side& reported_lhs() const { return key.flipped ? key.rhs : key.lhs; }
  [[nodiscard]] const side& reported_rhs() const { return key.flipped ? key.lhs : key.rhs; }
  [[nodiscard]] std::string reported_text() const { return key.reported_text(); }
  [[nodiscard]] double confidence() const { return lhs_count == 0 ? 0.0 : static_cast<double>(support) / static_cast<double>(lhs_count); }
};

/// What a run of the library found, as the store keeps it (rules in the run's order).
[[nodiscard]] inline std::vector<observed_rule> observe(const mine_result& r) {
  std::vector<observed_rule> out;
  out.reserve(r.rules.size());
  for (const rule& x : r.rules)
    out.push_back({canonical(r, x), x.score, x.reverse_score, x.counts.n_xy, x.counts.n_x, x.counts.n_y, x.counts.n,
                   order_text(x.order), x.lag});
  return out;
}

}  // namespace expose::store
