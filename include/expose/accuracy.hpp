#pragma once
// Scoring mined rules against the ground truth of a synthetic trace: recall (planted patterns
// found), precision (true rules over all rules), rules per found pattern, and every false rule
// with the reason it is false. Reading expose-mine's JSON is in expose/accuracy_json.hpp.
//
// A rule side *meets* a truth member when every field is compatible: equal values, a value inside
// the member's prefix or port range, or `*` / a host variable on either side. A rule is true when
//   - its sides are not the two directions of one connection, nor the same flow;
//   - neither side meets a background member (a heavy always-on flow, the random noise);
//   - both sides meet members of one planted pattern: two different members, or one member that
//     stands for several flows happening together (`many`), with the pattern's host variable bound
//     consistently (the client of `$C.* : DNS.53` and of `$C.* : Web.80` must be one host: two
//     different concrete clients are two instances, and their rule is chance);
//   - and, when one side covers the other (every flow of the narrower side is a flow of the wider
//     one), the wider side also meets a member the narrower does not: the rule then ties the rest
//     of the wider side to the narrower, as the paper's ftp rule `IP1.* : Mirror.* => IP1.* :
//     Mirror.21` does (data connections come with a control connection); without such a member the
//     wider side merely generalizes the narrower one and the rule is trivially true of any data.
// Everything else is false: noise, a side that meets no planted flow; cross-pattern, sides from two
// different patterns; other instances, one pattern but two of its instances (two different hosts
// for its host variable, or two flows of one member shape that is not `many`).
//
// When the truth names sources (a generated trace mixed with real captures, expose/synth/background.hpp),
// the hosts a rule names decide first. A host is a concrete address of a side (`*` and a host
// variable name none) that a source owns (multicast and broadcast addresses belong to none):
//   - cross-source: one side names a host of one source, the other a host of another. False by
//     construction: the sources never talked to each other.
//   - in-capture: every host it names belongs to one background capture. Neither a true planted
//     rule nor a false one: nobody knows what is true in real traffic. Left out of the planted
//     precision.
//   - otherwise (hosts of the generated part only, or none) it is judged as above, but for three cases:
//     unattributed, a rule that names no host of the generated part and has a side meeting no
//     generated flow at all (what would be noise). That side's flows come from the captures, so
//     it is not judged either (an IGMP rule `$A.0 : 224.0.0.22.0 : 2 => $A.0 : *.0 : icmp`).
//     The other two are rules naming no host that the above would call background, because a `*`
//     lets them touch the noise or a heavy flow, while a background capture could hold the flows of
//     both sides (it owns or shares every address they name; the truth gives no ports per source):
//     - widened, true: a planted rule whose fields became `*` where a capture has flows of the
//       same shape, as `$A.* : *.143 => $A.* : *.993` widens imap-imaps (`$C.* : IMAP.143 <=>
//       $C.* : IMAP.993`) when a capture also has a client of both ports. Each side covers a
//       member (every field equal, inside the member's prefix or range, or `*`; a host variable
//       exactly where the member has the pattern's variable, one letter on both sides), the two
//       members pair as above (two members, or one `many`; a side covering the other holds a
//       member the other does not), and a field was widened. The host variable binds one host per
//       instance, so the rule never crosses sources; a pattern without a variable is never
//       widened. Counted apart (`widened`), within the true rules.
//     - unattributed too: no side meets a planted member (`$A.* : *.8080 => $A.* : *.23`, a
//       capture's telnet scanner). Without ports per source, meeting no planted member is what
//       says it is not a planted-pattern rule.
//     A rule that touches the noise or a heavy flow and that no capture could hold stays background.
// The source precision, (rules not crossing sources) / (all rules), is the known answer on real
// traffic; the planted precision, true rules / (rules judged against the planted patterns), stays.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "expose/address.hpp"
#include "expose/flow_key.hpp"
#include "expose/synth/truth.hpp"

namespace expose {

/// A rule as a miner reported it: two flow patterns and the letters of their host variables.
struct mined_rule {
  flow_pattern lhs;
  flow_pattern rhs;
  std::string kind = "=>";  ///< "=>" or "<=>"
  std::string text;         ///< as the miner wrote it; made from the patterns when empty
  bool alike = false;       ///< alike to a more significant rule (expose-mine's "alike_of"): not scored
  /// The rule's delay (expose-mine's "delay": median from the left side to the right, samples 0
  /// where not measured) and which side leads ("lhs", "rhs" or "together").
  double delay_ms = 0;
  std::uint64_t delay_samples = 0;
  std::string leads = "together";
  std::array<char, field_count> lhs_vars{};  ///< letter of each `var` slot ('A' when 0)
  std::array<char, field_count> rhs_vars{};

  [[nodiscard]] std::string display() const {
    if (!text.empty()) return text;
    char letter = 'A';
    for (const auto* vars : {&lhs_vars, &rhs_vars})
      for (char c : *vars)
        if (c != 0 && letter == 'A') letter = c;
    return lhs.text(letter) + " " + kind + " " + rhs.text(letter);
  }
};

/// Why a rule is judged as it is.
enum class verdict : std::uint8_t {
  true_rule,        ///< both sides belong to one planted pattern
  same_connection,  ///< the two directions of one connection
  generalization,   ///< one side merely generalizes the other (or they are the same flow)
  background,       ///< a side touches a heavy always-on flow or the random noise
  cross_pattern,    ///< the sides belong to two different planted patterns
  other_instances,  ///< one pattern, but two of its instances: two hosts where it binds one, or two
                    ///< flows of one shape (two clients' control connections meeting by chance)
  noise,            ///< a side meets no planted flow
  cross_source,     ///< its sides name hosts of two different sources of a mixed trace: false by construction
  in_capture,       ///< every host it names belongs to one background capture: neither true nor false
  unattributed,     ///< names no host of the generated part, and a side meets no generated flow: not judged
};

[[nodiscard]] inline const char* verdict_text(verdict v) {
  switch (v) {
    case verdict::true_rule: return "true";
    case verdict::same_connection: return "same-connection";
    case verdict::generalization: return "generalization";
    case verdict::background: return "background";
    case verdict::cross_pattern: return "cross-pattern";
    case verdict::other_instances: return "other-instances";
    case verdict::noise: return "noise";
    case verdict::cross_source: return "cross-source";
    case verdict::in_capture: return "in-capture";
    case verdict::unattributed: return "unattributed";
  }
  return "?";
}

/// One rule's judgement.
struct judged_rule {
  std::size_t index = 0;  ///< position in the input
  verdict why = verdict::noise;
  std::vector<std::string> patterns;  ///< true: the planted patterns it belongs to; background: what it touches
  std::string detail;                 ///< a sentence for the operator
  std::string text;                   ///< the rule as written
  std::vector<std::string> sources{};  ///< the sources of the hosts it names (mixed traces only)
  bool widened = false;  ///< true as a planted rule widened to `*` within one source (mixed traces only)
  [[nodiscard]] bool correct() const { return why == verdict::true_rule; }
  /// Not judged: a mixed trace's rule within one background capture, or unattributed.
  [[nodiscard]] bool unjudged() const { return why == verdict::in_capture || why == verdict::unattributed; }
  /// False: everything but true rules and the rules not judged.
  [[nodiscard]] bool wrong() const { return why != verdict::true_rule && !unjudged(); }
};

struct pattern_accuracy {
  std::string name;
  std::string paper_rule;
  bool found = false;
  std::size_t rules = 0;                  ///< true rules belonging to it
  std::vector<std::size_t> rule_indices;  ///< their positions in the input
  std::size_t widened = 0;                ///< ... of its true rules, widened matches (mixed traces only)
  /// A pattern whose members come in order (truth_pattern::ordered): its first member, the delay
  /// planted (-1: drawn from `planted_range_ms`), and what its most significant true rule between
  /// the first member and another one measured: the median delay from the first member's side to
  /// the other (`timed` false when no such rule has delays), and whether the rule puts the first
  /// member first (`order_right`: it leads, not `together` or the other side).
  bool ordered = false;
  std::string first;
  double planted_delay_ms = -1;
  std::array<double, 2> planted_range_ms{0, 0};
  bool timed = false;
  double measured_delay_ms = 0;
  bool order_right = false;
  std::size_t delay_rule = 0;  ///< the rule measured (position in the input)
  /// The measured median within 2 ms of a fixed planted delay, or inside the range of a drawn one.
  [[nodiscard]] bool delay_right() const {
    if (!timed) return false;
    if (planted_delay_ms >= 0) return std::abs(measured_delay_ms - planted_delay_ms) <= 2.0;
    return measured_delay_ms >= planted_range_ms[0] && measured_delay_ms <= planted_range_ms[1];
  }
};

/// One source of a mixed trace and the rules about it.
struct source_accuracy {
  std::string name;
  std::size_t addresses = 0;     ///< addresses it owns
  std::size_t rules = 0;         ///< rules naming hosts, all of this source
  std::size_t true_rules = 0;    ///< ... of them true planted rules
  std::size_t cross_source = 0;  ///< cross-source rules naming a host of it
};

struct accuracy_report {
  std::size_t planted = 0;     ///< planted multi-flow patterns
  std::size_t found = 0;       ///< ... with at least one true rule
  std::size_t rules = 0;       ///< rules scored (not those alike to another)
  std::size_t alike = 0;       ///< rules alike to a more significant one, not scored
  std::size_t alike_judged = 0;  ///< ... of them judged against the planted patterns (as planted_judged)
  std::size_t alike_true = 0;    ///< ... of them true (judged all the same, for precision_with_alike)
  std::size_t true_rules = 0;
  std::size_t planted_judged = 0;  ///< rules judged against the planted patterns: all but in-capture and unattributed ones
  double recall = 0;           ///< found / planted (1 when nothing was planted)
  double precision = 1;        ///< true_rules / planted_judged (1 when there are none: nothing false was said)
  /// The same with the rules alike to another counted as rules: how precision was measured before
  /// rules alike were folded (every clique's rules one by one), to compare with those figures.
  double precision_with_alike = 1;
  double rules_per_found_pattern = 0;  ///< true_rules / found (0 when none was found)
  std::vector<pattern_accuracy> patterns;  ///< every planted multi-flow pattern, in truth order
  std::vector<judged_rule> judged;         ///< every rule, in input order
  // A mixed trace (the truth names sources); zeros and empty otherwise.
  std::size_t cross_source = 0;  ///< rules tying hosts of two sources: false
  std::size_t in_capture = 0;    ///< rules within one background capture: not judged
  std::size_t unattributed = 0;  ///< rules naming no host of the generated part, a side meeting no generated flow: not judged
  std::size_t widened = 0;       ///< true rules that are planted rules widened to `*` within one source (in true_rules)
  double source_precision = 1;   ///< (rules - cross_source) / rules (1 when there are no rules)
  std::vector<source_accuracy> sources{};  ///< in truth order, the generated part first

  /// Every false rule (in-capture rules are not false), in input order.
  [[nodiscard]] std::vector<judged_rule> false_rules() const {
    std::vector<judged_rule> out;
    for (const auto& j : judged)
      if (j.wrong()) out.push_back(j);
    return out;
  }
};

/// Which source of a mixed trace owns an address: built once from the truth's sources.
class source_index {
 public:
  source_index() = default;
  explicit source_index(const synth::ground_truth& truth) {
    for (std::size_t s = 0; s < truth.sources.size(); ++s) {
      for (const auto& a : truth.sources[s].addresses) owner_.emplace_back(a, s);
      for (const auto& a : truth.sources[s].shared) shared_.emplace_back(a, s);
      if (!truth.sources[s].addresses.empty() || !truth.sources[s].shared.empty()) has_flows_.push_back(s);
    }
    const auto less = [](const auto& x, const auto& y) { return ip_address::word_less{}(x.first, y.first); };
    std::sort(owner_.begin(), owner_.end(), less);
    std::sort(shared_.begin(), shared_.end(), less);
  }
  /// The index in `ground_truth::sources` of the source owning `a`; nullopt for an address no
  /// source owns (multicast, broadcast, or unknown).
  [[nodiscard]] std::optional<std::size_t> owner(const ip_address& a) const {
    const auto it = std::lower_bound(owner_.begin(), owner_.end(), a,
                                     [](const auto& x, const ip_address& y) { return ip_address::word_less{}(x.first, y); });
    if (it == owner_.end() || !(it->first == a)) return std::nullopt;
    return it->second;
  }
  /// The sources of the hosts one rule side names (concrete addresses; `*` and variables name none).
  [[nodiscard]] std::vector<std::size_t> of(const flow_pattern& side) const {
    std::vector<std::size_t> out;
    for (field f : {field::src_ip, field::dst_ip}) {
      if (side.at(f) != slot::kept) continue;
      const auto s = owner(f == field::src_ip ? side.key.src : side.key.dst);
      if (s && std::find(out.begin(), out.end(), *s) == out.end()) out.push_back(*s);
    }
    return out;
  }
  /// The sources whose traffic could hold flows of one rule side, ascending: for each concrete
  /// address the source owning it or the sources using it as a shared address (multicast,
  /// broadcast); `*` and a host variable take any source with an address. Ports are not known
  /// per source, so they do not narrow it.
  [[nodiscard]] std::vector<std::size_t> of_flows(const flow_pattern& side) const {
    std::vector<std::size_t> out = has_flows_;
    for (field f : {field::src_ip, field::dst_ip}) {
      if (side.at(f) != slot::kept) continue;
      const auto& a = f == field::src_ip ? side.key.src : side.key.dst;
      std::vector<std::size_t> here;
      if (const auto s = owner(a)) here.push_back(*s);
      auto it = std::lower_bound(shared_.begin(), shared_.end(), a,
                                 [](const auto& x, const ip_address& y) { return ip_address::word_less{}(x.first, y); });
      for (; it != shared_.end() && it->first == a; ++it) here.push_back(it->second);
      std::erase_if(out, [&](std::size_t s) { return std::find(here.begin(), here.end(), s) == here.end(); });
    }
    return out;
  }
  [[nodiscard]] bool empty() const noexcept { return owner_.empty(); }

 private:
  std::vector<std::pair<ip_address, std::size_t>> owner_;
  std::vector<std::pair<ip_address, std::size_t>> shared_;
  std::vector<std::size_t> has_flows_;  ///< sources owning or sharing at least one address, ascending
};

// ---- reading a rule side from its five field texts ----

/// Sets one field of a rule side from its text: a value, "*", or a host variable "$A" (addresses only).
/// False when the text is none of those.
[[nodiscard]] inline bool set_rule_field(flow_pattern& p, std::array<char, field_count>& vars, field f, std::string_view text) {
  if (!text.empty() && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  synth::truth_member m;
  m.flow = p;
  char var = 0;
  if (!synth::set_member_field(m, f, text, var)) return false;
  if (m.src_prefix != 0 || m.dst_prefix != 0 || m.sport_last != 0 || m.dport_last != 0) return false;  // no ranges in rules
  p = m.flow;
  vars[static_cast<std::size_t>(f)] = m.flow.at(f) == slot::var ? var : 0;
  return true;
}

namespace detail {

[[nodiscard]] inline bool in_prefix(const ip_address& a, const ip_address& net, unsigned bits) {
  if (bits == 0) return a == net;
  if (net.is_v4()) {
    if (!a.is_v4()) return false;
    bits += 96;
  }
  bits = std::min(bits, 128u);
  const auto& x = a.bytes();
  const auto& y = net.bytes();
  std::size_t i = 0;
  for (; bits >= 8; bits -= 8, ++i)
    if (x[i] != y[i]) return false;
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
  return (x[i] & mask) == (y[i] & mask);
}

/// Every field compatible: equal, inside the member's prefix or range, or `*`/variable on either side.
[[nodiscard]] inline bool meets(const flow_pattern& side, const synth::truth_member& m) {
  for (std::size_t i = 0; i < field_count; ++i) {
    const auto f = static_cast<field>(i);
    if (side.at(f) != slot::kept || m.flow.at(f) != slot::kept) continue;
    const auto& a = side.key;
    const auto& b = m.flow.key;
    bool ok = true;
    switch (f) {
      case field::src_ip: ok = in_prefix(a.src, b.src, m.src_prefix); break;
      case field::dst_ip: ok = in_prefix(a.dst, b.dst, m.dst_prefix); break;
      case field::src_port: ok = m.sport_last > b.sport ? (a.sport >= b.sport && a.sport <= m.sport_last) : a.sport == b.sport; break;
      case field::dst_port: ok = m.dport_last > b.dport ? (a.dport >= b.dport && a.dport <= m.dport_last) : a.dport == b.dport; break;
      case field::proto: ok = a.proto == b.proto; break;
    }
    if (!ok) return false;
  }
  return true;
}

/// Field fa of x and field fb of y say the same: both `*`, both variables, or equal values.
[[nodiscard]] inline bool same_field(const flow_pattern& x, field fa, const flow_pattern& y, field fb) {
  if (x.at(fa) != y.at(fb)) return false;
  return x.at(fa) != slot::kept || same_value(x.key, fa, y.key, fb);
}

[[nodiscard]] inline bool same_flow(const flow_pattern& x, const flow_pattern& y) {
  for (std::size_t i = 0; i < field_count; ++i)
    if (!same_field(x, static_cast<field>(i), y, static_cast<field>(i))) return false;
  return true;
}

/// x is y seen from the other end: `a.p : b.q` and `b.q : a.p`.
[[nodiscard]] inline bool reversed_flow(const flow_pattern& x, const flow_pattern& y) {
  return same_field(x, field::src_ip, y, field::dst_ip) && same_field(x, field::dst_ip, y, field::src_ip) &&
         same_field(x, field::src_port, y, field::dst_port) && same_field(x, field::dst_port, y, field::src_port) &&
         same_field(x, field::proto, y, field::proto);
}

/// Every flow of `narrow` is a flow of `wide` (variables count as `*`).
[[nodiscard]] inline bool covers(const flow_pattern& wide, const flow_pattern& narrow) {
  for (std::size_t i = 0; i < field_count; ++i) {
    const auto f = static_cast<field>(i);
    if (wide.at(f) != slot::kept) continue;
    if (narrow.at(f) != slot::kept || !same_value(wide.key, f, narrow.key, f)) return false;
  }
  return true;
}

/// The host variable of a pattern is bound to one host: the fields where the members have it must
/// not name two different hosts, nor two different variables of the rule.
[[nodiscard]] inline bool binds_one_host(const mined_rule& r, const synth::truth_member& ml, const synth::truth_member& mr) {
  std::optional<ip_address> host;
  char letter = 0;
  auto take = [&](const flow_pattern& side, const std::array<char, field_count>& vars, const synth::truth_member& m) {
    for (field f : {field::src_ip, field::dst_ip}) {
      if (m.flow.at(f) != slot::var) continue;
      const auto i = static_cast<std::size_t>(f);
      if (side.at(f) == slot::kept) {
        const auto& a = f == field::src_ip ? side.key.src : side.key.dst;
        if (host && *host != a) return false;
        host = a;
      } else if (side.at(f) == slot::var) {
        const char l = vars[i] != 0 ? vars[i] : 'A';
        if (letter != 0 && letter != l) return false;
        letter = l;
      }
    }
    return true;
  };
  return take(r.lhs, r.lhs_vars, ml) && take(r.rhs, r.rhs_vars, mr);
}

/// The member holds the pattern's host variable.
[[nodiscard]] inline bool has_var(const synth::truth_member& m) {
  return m.flow.at(field::src_ip) == slot::var || m.flow.at(field::dst_ip) == slot::var;
}

/// A rule side covers a planted member as that member widened: every field equal (or inside the
/// member's prefix or range), or `*` where the member names a value; a host variable exactly where
/// the member has the pattern's variable, with the letter `letter` (set by the first side); `*`
/// where the member varies. `widened` is set when a value became `*`, and names it in `what`.
[[nodiscard]] inline bool widens(const flow_pattern& side, const std::array<char, field_count>& vars, const synth::truth_member& m,
                                 char& letter, bool& widened, std::string& what) {
  for (std::size_t i = 0; i < field_count; ++i) {
    const auto f = static_cast<field>(i);
    const slot ms = m.flow.at(f), ss = side.at(f);
    if (ms == slot::var || ss == slot::var) {
      if (ms != ss) return false;
      const char l = vars[i] != 0 ? vars[i] : 'A';
      if (letter != 0 && letter != l) return false;
      letter = l;
    } else if (ms == slot::any) {
      if (ss != slot::any) return false;
    } else if (ss == slot::any) {
      widened = true;
      if (!what.empty()) what += ", ";
      static constexpr const char* names[field_count] = {"src", "sport", "dst", "dport", "proto"};
      what += std::string(names[i]) + " " + synth::member_field_text(m, f, 'C');
    } else {
      synth::truth_member one = m;  // the side's value against the member's value, prefix or range
      for (std::size_t k = 0; k < field_count; ++k)
        if (k != i) one.flow.set(static_cast<field>(k), slot::any);
      if (!meets(side, one)) return false;
    }
  }
  return true;
}

}  // namespace detail

/// Judges one rule against the truth, with the truth's sources indexed once (`sources`).
[[nodiscard]] inline judged_rule judge(const mined_rule& r, const synth::ground_truth& truth, const source_index& sources,
                                       std::size_t index = 0) {
  judged_rule j;
  j.index = index;
  j.text = r.display();
  if (!truth.sources.empty()) {
    const auto lhs = sources.of(r.lhs), rhs = sources.of(r.rhs);
    std::vector<std::size_t> named = lhs;
    for (auto s : rhs)
      if (std::find(named.begin(), named.end(), s) == named.end()) named.push_back(s);
    for (auto s : named) j.sources.push_back(truth.sources[s].name);
    for (auto a : lhs)
      for (auto b : rhs)
        if (a != b) {
          j.why = verdict::cross_source;
          j.detail = "'" + truth.sources[a].name + "' with '" + truth.sources[b].name + "'";
          return j;
        }
    // The first source is the generated part; every other a background capture.
    if (!named.empty() && std::find(named.begin(), named.end(), std::size_t{0}) == named.end()) {
      j.why = verdict::in_capture;
      j.detail = "within '" + truth.sources[named.front()].name + "'";
      return j;
    }
  }
  if (detail::reversed_flow(r.lhs, r.rhs)) {
    j.why = verdict::same_connection;
    j.detail = "the two directions of one connection";
    return j;
  }
  if (detail::same_flow(r.lhs, r.rhs)) {
    j.why = verdict::generalization;
    j.detail = "both sides are the same flow";
    return j;
  }
  for (const auto& p : truth.patterns) {
    if (!p.background) continue;
    for (const auto& m : p.members)
      if (detail::meets(r.lhs, m) || detail::meets(r.rhs, m)) {
        j.patterns.push_back(p.name);
        break;
      }
  }
  const bool lhs_wide = detail::covers(r.lhs, r.rhs), rhs_wide = detail::covers(r.rhs, r.lhs);
  if (!j.patterns.empty()) {
    // A mixed trace: a generic rule touching the noise or a heavy flow may be about a background
    // capture's flows instead: a planted rule widened by them, or a capture's own pattern.
    if (!truth.sources.empty() && j.sources.empty()) {
      const auto lhs_sources = sources.of_flows(r.lhs), rhs_sources = sources.of_flows(r.rhs);
      const bool a_capture = std::any_of(lhs_sources.begin(), lhs_sources.end(), [&](std::size_t s) {
        return s != 0 && std::find(rhs_sources.begin(), rhs_sources.end(), s) != rhs_sources.end();
      });
      if (a_capture) {
        std::vector<std::string> widened;
        std::string what_lhs, what_rhs;
        bool meets_planted = false;
        for (const auto& p : truth.patterns) {
          if (p.background) continue;
          bool match = false;
          for (std::size_t i = 0; i < p.members.size(); ++i) {
            const auto& mi = p.members[i];
            if (detail::meets(r.lhs, mi) || detail::meets(r.rhs, mi)) meets_planted = true;
            for (std::size_t k = 0; k < p.members.size() && !match; ++k) {
              const auto& mk = p.members[k];
              if (i == k && !mi.many) continue;
              if (!detail::has_var(mi) || !detail::has_var(mk)) continue;  // without one host per instance it could cross
              char letter = 0;
              bool wl = false, wr = false;
              std::string what_l, what_r;
              if (!detail::widens(r.lhs, r.lhs_vars, mi, letter, wl, what_l) || !detail::widens(r.rhs, r.rhs_vars, mk, letter, wr, what_r))
                continue;
              if (!wl && !wr) continue;
              // As above: a side covering the other must hold a member the other does not.
              if (i == k ? (lhs_wide || rhs_wide) : ((lhs_wide && detail::meets(r.rhs, mi)) || (rhs_wide && detail::meets(r.lhs, mk))))
                continue;
              match = true;
              if (widened.empty()) what_lhs = what_l, what_rhs = what_r;
            }
          }
          if (match) widened.push_back(p.name);
        }
        if (!widened.empty()) {
          j.why = verdict::true_rule;
          j.widened = true;
          j.patterns = std::move(widened);
          std::string what;
          if (what_lhs == what_rhs) what = what_lhs + " became * on both sides";
          else if (what_rhs.empty()) what = "left " + what_lhs + " became *";
          else if (what_lhs.empty()) what = "right " + what_rhs + " became *";
          else what = "left " + what_lhs + ", right " + what_rhs + " became *";
          j.detail = "widens '" + j.patterns.front() + "' (" + what + "); its host variable binds one host per instance: it crosses no source";
          return j;
        }
        if (!meets_planted) {
          j.why = verdict::unattributed;
          j.detail = "names no host and meets no planted flow: its flows could be a background capture's (it also covers generated '" +
                     j.patterns.front() + "')";
          return j;
        }
      }
    }
    j.why = verdict::background;
    j.detail = "touches background '" + j.patterns.front() + "'";
    return j;
  }
  bool lhs_planted = false, rhs_planted = false, wide_only = false, other_instances = false;
  std::string lhs_name, rhs_name, instance_pattern, instance_detail;
  for (const auto& p : truth.patterns) {
    if (p.background) continue;
    std::vector<std::size_t> lm, rm;
    for (std::size_t i = 0; i < p.members.size(); ++i) {
      if (detail::meets(r.lhs, p.members[i])) lm.push_back(i);
      if (detail::meets(r.rhs, p.members[i])) rm.push_back(i);
    }
    if (!lm.empty() && !lhs_planted) lhs_planted = true, lhs_name = p.name;
    if (!rm.empty() && !rhs_planted) rhs_planted = true, rhs_name = p.name;
    bool match = false;
    for (auto i : lm) {
      for (auto k : rm) {
        const auto& mi = p.members[i];
        const auto& mk = p.members[k];
        if (i == k && !mi.many) {
          if (lhs_wide || rhs_wide) {
            wide_only = true;  // one flow shape and its own generalization
          } else if (!other_instances) {
            other_instances = true;
            instance_pattern = p.name;
            instance_detail = "two flows of one shape ('" + (mi.role.empty() ? synth::member_text(mi, p.var) : mi.role) + "')";
          }
          continue;
        }
        if (!detail::binds_one_host(r, mi, mk)) {
          if (!other_instances) {
            other_instances = true;
            instance_pattern = p.name;
            instance_detail = "two different hosts";
          }
          continue;
        }
        // A side that covers the other must hold a member the other does not (the rest of it).
        if (i != k && ((lhs_wide && detail::meets(r.rhs, mi)) || (rhs_wide && detail::meets(r.lhs, mk)))) {
          wide_only = true;
          continue;
        }
        match = true;
        break;
      }
      if (match) break;
    }
    if (match) j.patterns.push_back(p.name);
  }
  if (!j.patterns.empty()) {
    j.why = verdict::true_rule;
    j.detail = "belongs to '" + j.patterns.front() + "'";
  } else if (wide_only) {
    j.why = verdict::generalization;
    j.detail = std::string(lhs_wide ? "the left side" : "the right side") + " merely generalizes the other";
  } else if (other_instances) {
    j.why = verdict::other_instances;
    j.detail = instance_detail + " of '" + instance_pattern + "'";
  } else if (lhs_planted && rhs_planted) {
    j.why = verdict::cross_pattern;
    j.detail = "'" + lhs_name + "' with '" + rhs_name + "'";
  } else if (!truth.sources.empty() && j.sources.empty()) {  // (a background host alone was in-capture above)
    j.why = verdict::unattributed;
    j.detail = std::string(lhs_planted ? "the right side" : "the left side") + " meets no generated flow and no host of the generated part is named";
  } else {
    j.why = verdict::noise;
    j.detail = std::string(lhs_planted ? "the right side" : "the left side") + " meets no planted flow";
  }
  return j;
}

/// Judges one rule against the truth.
[[nodiscard]] inline judged_rule judge(const mined_rule& r, const synth::ground_truth& truth, std::size_t index = 0) {
  return judge(r, truth, source_index(truth), index);
}

/// Scores a list of rules against the truth.
[[nodiscard]] inline accuracy_report score_accuracy(std::span<const mined_rule> rules, const synth::ground_truth& truth) {
  accuracy_report rep;
  for (const auto& p : truth.patterns)
    if (p.multi_flow()) {
      pattern_accuracy pa;
      pa.name = p.name;
      pa.paper_rule = p.paper_rule;
      if (p.ordered()) {
        pa.ordered = true;
        pa.first = p.members[static_cast<std::size_t>(p.leader)].role;
        pa.planted_delay_ms = p.delay_ms;
        pa.planted_range_ms = p.delay_range_ms;
      }
      rep.patterns.push_back(std::move(pa));
    }
  const source_index sources(truth);
  for (const auto& s : truth.sources) rep.sources.push_back({.name = s.name, .addresses = s.addresses.size()});
  auto source_named = [&](const std::string& name) -> source_accuracy& {
    for (auto& s : rep.sources)
      if (s.name == name) return s;
    return rep.sources.front();  // never: judge names sources of the truth
  };
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].alike) {
      ++rep.alike;
      const auto j = judge(rules[i], truth, sources, i);
      if (!j.unjudged()) ++rep.alike_judged;
      if (j.correct()) ++rep.alike_true;
      continue;
    }
    auto j = judge(rules[i], truth, sources, i);
    if (j.why == verdict::cross_source) {
      ++rep.cross_source;
      for (const auto& name : j.sources) ++source_named(name).cross_source;
    } else if (j.sources.size() == 1) {
      auto& s = source_named(j.sources.front());
      ++s.rules;
      if (j.correct()) ++s.true_rules;
    }
    if (j.why == verdict::in_capture) ++rep.in_capture;
    if (j.why == verdict::unattributed) ++rep.unattributed;
    if (j.correct()) {
      ++rep.true_rules;
      if (j.widened) ++rep.widened;
      for (const auto& name : j.patterns)
        for (auto& pa : rep.patterns)
          if (pa.name == name) {
            pa.found = true;
            ++pa.rules;
            pa.rule_indices.push_back(i);
            if (j.widened) ++pa.widened;
          }
    }
    rep.judged.push_back(std::move(j));
  }
  rep.rules = rules.size() - rep.alike;
  rep.planted = rep.patterns.size();
  rep.found = static_cast<std::size_t>(std::count_if(rep.patterns.begin(), rep.patterns.end(), [](const auto& p) { return p.found; }));
  rep.recall = rep.planted == 0 ? 1.0 : static_cast<double>(rep.found) / static_cast<double>(rep.planted);
  rep.planted_judged = rep.rules - rep.in_capture - rep.unattributed;
  rep.precision = rep.planted_judged == 0 ? 1.0 : static_cast<double>(rep.true_rules) / static_cast<double>(rep.planted_judged);
  rep.precision_with_alike = rep.planted_judged + rep.alike_judged == 0
                                 ? 1.0
                                 : static_cast<double>(rep.true_rules + rep.alike_true) / static_cast<double>(rep.planted_judged + rep.alike_judged);
  rep.source_precision = rep.rules == 0 ? 1.0 : static_cast<double>(rep.rules - rep.cross_source) / static_cast<double>(rep.rules);
  rep.rules_per_found_pattern = rep.found == 0 ? 0.0 : static_cast<double>(rep.true_rules) / static_cast<double>(rep.found);
  // Delays: per ordered pattern, its most significant true rule with the first member on one side
  // and only other members on the other.
  for (auto& pa : rep.patterns) {
    if (!pa.ordered) continue;
    const auto* p = truth.find(pa.name);
    if (p == nullptr) continue;
    const auto& lead = p->members[static_cast<std::size_t>(p->leader)];
    const auto only_lead = [&](const flow_pattern& side) {
      if (!detail::meets(side, lead)) return false;
      return std::none_of(p->members.begin(), p->members.end(), [&](const auto& m) { return &m != &lead && detail::meets(side, m); });
    };
    // (the other side may also meet the first member's shape: a rest, `C.* : Mirror.*` minus the
    // control connection, is written as its closure)
    const auto only_others = [&](const flow_pattern& side) {
      return std::any_of(p->members.begin(), p->members.end(), [&](const auto& m) { return &m != &lead && detail::meets(side, m); });
    };
    for (const auto i : pa.rule_indices) {
      const auto& r = rules[i];
      if (r.delay_samples == 0) continue;
      const bool left = only_lead(r.lhs) && only_others(r.rhs);
      const bool right = only_lead(r.rhs) && only_others(r.lhs);
      if (!left && !right) continue;
      pa.timed = true;
      pa.delay_rule = i;
      pa.measured_delay_ms = left ? r.delay_ms : -r.delay_ms;
      pa.order_right = r.leads == (left ? "lhs" : "rhs");
      break;
    }
  }
  return rep;
}

}  // namespace expose
