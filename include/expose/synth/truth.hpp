#pragma once
// Ground truth: what a synthetic trace planted, as flow patterns the accuracy harness matches
// mined rules against (expose/accuracy.hpp). No JSON here: expose/synth/truth_json.hpp reads and
// writes it with nlohmann/json.
//
// A pattern is a set of member flow shapes that happen together. A member is a flow pattern
// (`slot::any` where a field varies, e.g. an ephemeral port; `slot::var` for the pattern's host
// variable: the same host in every member, as `$C` binds one client on both sides of a rule),
// refined where a kept field stands for a range: an address prefix (`10.1.0.0/16`) or a port range
// (`6881-6889`). Background patterns (always-on heavy flows, random noise) are planted to be
// ignored: every rule touching them is false.
//
// A trace mixed with real background captures (expose/synth/background.hpp) also names its
// sources: the generated part and each capture, with the addresses each owns after mapping. A rule
// tying hosts of two sources is false by construction.

#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expose/address.hpp"
#include "expose/flow_key.hpp"
#include "expose/packet.hpp"

namespace expose::detail {
inline bool parse_u64(std::string_view s, std::uint64_t& out, std::uint64_t max) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size() && out <= max;
}
}  // namespace expose::detail

namespace expose::synth {

/// One flow shape of a planted pattern.
struct truth_member {
  std::string role;   ///< what it is, e.g. "name lookup"
  flow_pattern flow;  ///< kept fields are values; `*` varies; a variable is the pattern's host
  /// A kept address stands for a network of this many leading bits (of 32 for IPv4, of 128 for
  /// IPv6); 0 means the address itself.
  std::uint8_t src_prefix = 0;
  std::uint8_t dst_prefix = 0;
  /// A kept port stands for the range [port, last] when last > port.
  std::uint16_t sport_last = 0;
  std::uint16_t dport_last = 0;
  /// Several flows of this shape happen together (a P2P host's connections to one peer), so a
  /// rule between two of them belongs to the pattern.
  bool many = false;

  friend bool operator==(const truth_member&, const truth_member&) = default;
};

/// One planted pattern (a case study's twin) or a background that must yield no rule.
struct truth_pattern {
  std::string name;         ///< e.g. "dns-before-web"
  std::string paper_rule;   ///< the rule it mirrors, in the paper's notation
  std::string description;  ///< what the generator does
  bool background = false;  ///< heavy always-on flows or noise: rules touching them are false
  std::string per = "site";  ///< "client" (every instance is a client host), "host" or "site"
  std::uint64_t instances = 1;  ///< hosts carrying it (clients for per-client patterns)
  double rate_per_hour = 0;     ///< planted events per hour, per instance
  char var = 'C';               ///< the letter its host variable is written with
  std::vector<truth_member> members;
  /// Where the members come in order: the member that comes first (its index; -1: no order), and
  /// by how long the others follow its first packet: `delay_ms` when the generator was given a
  /// fixed delay (pattern_delays), else -1 and the delay is drawn from `delay_range_ms`.
  int leader = -1;
  double delay_ms = -1;
  std::array<double, 2> delay_range_ms{0, 0};
  [[nodiscard]] bool ordered() const { return leader >= 0 && static_cast<std::size_t>(leader) < members.size(); }

  /// A planted pattern counts for recall when a rule can tie two of its flows together.
  [[nodiscard]] bool multi_flow() const {
    if (background) return false;
    if (members.size() >= 2) return true;
    return members.size() == 1 && members.front().many;
  }
  friend bool operator==(const truth_pattern&, const truth_pattern&) = default;
};

/// One source of a mixed trace: the generated part ("generated") or a background capture.
struct truth_source {
  std::string name{};  ///< "generated", or the capture's file name (made unique: "a.pcap (2)")
  std::string file{};  ///< the path a background capture was read from; empty for the generated part
  std::int64_t start_ns = 0;  ///< its first packet in the mixed trace
  std::int64_t end_ns = 0;  ///< its last packet in the mixed trace
  std::int64_t shift_ns = 0;  ///< added to a capture's times (its own time = mixed time - shift_ns)
  std::uint64_t packets = 0;  ///< packets it put in the mixed trace
  std::string v4_range{};  ///< where a capture's IPv4 addresses were mapped, e.g. "172.16.0.0/16"
  std::string v6_range{};  ///< where its IPv6 addresses were mapped, e.g. "fd00:0:1::/48"
  /// The addresses it owns, as they stand in the mixed trace, in order of first appearance: no two
  /// sources share one.
  std::vector<ip_address> addresses{};
  /// A capture's original address -> the address it has in the mixed trace, in order of first appearance.
  std::vector<std::pair<ip_address, ip_address>> mapping{};
  /// Addresses kept as they were and owned by no source: multicast, 255.255.255.255, 0.0.0.0, ::.
  std::vector<ip_address> shared{};
  /// Frames of a capture that were not taken, by reason ("non-ip", "bad-timestamp", ...).
  std::map<std::string, std::uint64_t> left_out{};

  friend bool operator==(const truth_source&, const truth_source&) = default;
};

/// Everything a generator planted, with the settings that made the trace.
struct ground_truth {
  std::string generator;  ///< "expose::synth::generator" or "expose::synth::demo"
  std::uint64_t seed = 0;
  std::int64_t start_ns = 0;  ///< the trace covers [start_ns, end_ns)
  std::int64_t end_ns = 0;
  std::uint32_t hosts = 0;
  double noise_per_second = 0;
  std::uint32_t heavy_flows = 0;
  std::vector<truth_pattern> patterns;
  /// Empty for a generated trace alone; with background captures, the generated part first.
  std::vector<truth_source> sources;

  [[nodiscard]] const truth_pattern* find(std::string_view name) const {
    for (const auto& p : patterns)
      if (p.name == name) return &p;
    return nullptr;
  }
  friend bool operator==(const ground_truth&, const ground_truth&) = default;
};

// ---- member fields as text: "10.0.0.53", "10.1.0.0/16", "6881-6889", "*", "$C", "udp" ----


/// A protocol as the outputs spell it ("tcp", "udp", "icmp", "icmp6" or the number); nullopt if neither.
[[nodiscard]] inline std::optional<std::uint8_t> parse_proto(std::string_view s) {
  if (s == "tcp") return proto::tcp;
  if (s == "udp") return proto::udp;
  if (s == "icmp") return proto::icmp;
  if (s == "icmp6") return proto::icmp6;
  std::uint64_t v = 0;
  if (detail::parse_u64(s, v, 255)) return static_cast<std::uint8_t>(v);
  return std::nullopt;
}

/// The text of one member field: the value (with "/bits" or "-last" when it is a range), "*" or "$" + var.
[[nodiscard]] inline std::string member_field_text(const truth_member& m, field f, char var) {
  const slot s = m.flow.at(f);
  if (s != slot::kept) return m.flow.field_text(f, var);
  std::string t = m.flow.field_text(f);
  switch (f) {
    case field::src_ip:
      if (m.src_prefix != 0) t += "/" + std::to_string(m.src_prefix);
      break;
    case field::dst_ip:
      if (m.dst_prefix != 0) t += "/" + std::to_string(m.dst_prefix);
      break;
    case field::src_port:
      if (m.sport_last > m.flow.key.sport) t += "-" + std::to_string(m.sport_last);
      break;
    case field::dst_port:
      if (m.dport_last > m.flow.key.dport) t += "-" + std::to_string(m.dport_last);
      break;
    case field::proto: break;
  }
  return t;
}

/// A member in the paper's notation, ranges included: `$C.* : 10.0.0.53.53 : udp`.
[[nodiscard]] inline std::string member_text(const truth_member& m, char var) {
  auto host = [&](field ip) {
    std::string s = member_field_text(m, ip, var);
    const ip_address& a = ip == field::src_ip ? m.flow.key.src : m.flow.key.dst;
    if (m.flow.at(ip) == slot::kept && !a.is_v4()) s = "[" + s + "]";
    return s;
  };
  return host(field::src_ip) + "." + member_field_text(m, field::src_port, var) + " : " + host(field::dst_ip) + "." +
         member_field_text(m, field::dst_port, var) + " : " + member_field_text(m, field::proto, var);
}

/// Sets one member field from its text; false when the text is not a value of that field.
/// A variable's letter is stored in `var` (left alone otherwise).
[[nodiscard]] inline bool set_member_field(truth_member& m, field f, std::string_view text, char& var) {
  auto& slots = m.flow.slots;
  const auto i = static_cast<std::size_t>(f);
  if (text == "*") {
    slots[i] = slot::any;
    return true;
  }
  if (text.size() == 2 && text[0] == '$') {
    if (f != field::src_ip && f != field::dst_ip) return false;  // host variables bind hosts
    slots[i] = slot::var;
    var = text[1];
    return true;
  }
  slots[i] = slot::kept;
  switch (f) {
    case field::src_ip:
    case field::dst_ip: {
      std::string_view addr = text;
      std::uint64_t bits = 0;
      if (const auto slash = text.find('/'); slash != std::string_view::npos) {
        addr = text.substr(0, slash);
        if (!detail::parse_u64(text.substr(slash + 1), bits, 128) || bits == 0) return false;
      }
      const auto a = ip_address::parse(addr);
      if (!a || (a->is_v4() && bits > 32)) return false;
      (f == field::src_ip ? m.flow.key.src : m.flow.key.dst) = *a;
      (f == field::src_ip ? m.src_prefix : m.dst_prefix) = static_cast<std::uint8_t>(bits);
      return true;
    }
    case field::src_port:
    case field::dst_port: {
      std::uint64_t lo = 0, hi = 0;
      const auto dash = text.find('-');
      if (!detail::parse_u64(text.substr(0, dash), lo, 65535)) return false;
      if (dash != std::string_view::npos && (!detail::parse_u64(text.substr(dash + 1), hi, 65535) || hi < lo)) return false;
      (f == field::src_port ? m.flow.key.sport : m.flow.key.dport) = static_cast<std::uint16_t>(lo);
      (f == field::src_port ? m.sport_last : m.dport_last) = static_cast<std::uint16_t>(hi > lo ? hi : 0);
      return true;
    }
    case field::proto: {
      const auto p = parse_proto(text);
      if (!p) return false;
      m.flow.key.proto = *p;
      return true;
    }
  }
  return false;
}

}  // namespace expose::synth
