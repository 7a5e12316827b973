#pragma once
// The flow key (initiator first) and the flow pattern: a key whose fields may be `*` or a host variable.

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string>

#include "expose/address.hpp"
#include "expose/packet.hpp"

namespace expose {

/// A connection's identity, initiator first: `src.sport : dst.dport : proto`.
struct flow_key {
  ip_address src;
  ip_address dst;
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  std::uint8_t proto = 0;

  [[nodiscard]] flow_key reversed() const { return {dst, src, dport, sport, proto}; }
  friend auto operator<=>(const flow_key&, const flow_key&) = default;
  friend bool operator==(const flow_key&, const flow_key&) = default;
};

/// A well-mixed hash (declared avalanching, so Boost's flat maps use it as it is).
struct flow_key_hash {
  using is_avalanching = void;
  [[nodiscard]] std::size_t operator()(const flow_key& k) const noexcept {
    // Each address folded by one multiply, then one full mix: cheap, and every bit of the key
    // reaches every bit of the hash.
    const auto s = k.src.words(), d = k.dst.words();
    const std::uint64_t ports = (std::uint64_t{k.sport} << 24) ^ (std::uint64_t{k.dport} << 8) ^ k.proto;
    const std::uint64_t a = (s[0] ^ (s[1] * 0x9e3779b97f4a7c15ULL)) * 0xc2b2ae3d27d4eb4fULL;
    const std::uint64_t b = (d[0] ^ (d[1] * 0x165667b19e3779f9ULL)) * 0xd6e8feb86659fd93ULL;
    return static_cast<std::size_t>(mix(a ^ ((b << 31) | (b >> 33)) ^ ports));
  }
  static constexpr std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64 finalizer
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
};

/// A hash of one address for Boost's flat maps (declared avalanching: mixed like flow_key_hash).
struct address_hash {
  using is_avalanching = void;
  [[nodiscard]] std::size_t operator()(const ip_address& a) const noexcept {
    const auto w = a.words();
    return static_cast<std::size_t>(flow_key_hash::mix(w[0] ^ (w[1] * 0x9e3779b97f4a7c15ULL)));
  }
};

/// Name of an IP protocol as the outputs spell it: tcp, udp, icmp, icmp6 or the number.
[[nodiscard]] inline std::string proto_name(std::uint8_t p) {
  switch (p) {
    case proto::tcp: return "tcp";
    case proto::udp: return "udp";
    case proto::icmp: return "icmp";
    case proto::icmp6: return "icmp6";
    default: return std::to_string(p);
  }
}

/// The fields of a flow key, in the order the paper writes them.
enum class field : std::uint8_t { src_ip, src_port, dst_ip, dst_port, proto };
inline constexpr std::size_t field_count = 5;

/// What a pattern holds in one field: the key's value, any value, or a host variable.
enum class slot : std::uint8_t { kept, any, var };

/// A flow pattern: a key plus, per field, whether its value is kept, `*` or a host variable.
/// A plain flow is a pattern with every field kept.
struct flow_pattern {
  flow_key key;
  std::array<slot, field_count> slots{};  // all kept

  [[nodiscard]] slot at(field f) const { return slots[static_cast<std::size_t>(f)]; }

  /// Sets one field's slot; a field no longer kept has its key value zeroed, so that patterns equal
  /// in what they keep compare and hash equal.
  void set(field f, slot s) {
    slots[static_cast<std::size_t>(f)] = s;
    if (s == slot::kept) return;
    switch (f) {
      case field::src_ip: key.src = {}; break;
      case field::src_port: key.sport = 0; break;
      case field::dst_ip: key.dst = {}; break;
      case field::dst_port: key.dport = 0; break;
      case field::proto: key.proto = 0; break;
    }
  }
  friend auto operator<=>(const flow_pattern&, const flow_pattern&) = default;
  friend bool operator==(const flow_pattern&, const flow_pattern&) = default;

  /// One field as the JSON output spells it: the value, "*" or "$" + the variable's letter.
  [[nodiscard]] std::string field_text(field f, char var_letter = 'A') const {
    switch (at(f)) {
      case slot::any: return "*";
      case slot::var: return std::string("$") + var_letter;
      case slot::kept: break;
    }
    switch (f) {
      case field::src_ip: return key.src.to_string();
      case field::dst_ip: return key.dst.to_string();
      case field::src_port: return std::to_string(key.sport);
      case field::dst_port: return std::to_string(key.dport);
      case field::proto: return proto_name(key.proto);
    }
    return {};
  }

  /// The paper's notation, `src.sport : dst.dport : proto`; IPv6 addresses in brackets.
  [[nodiscard]] std::string text(char var_letter = 'A') const {
    auto host = [&](field ip) {
      return at(ip) == slot::kept ? (ip == field::src_ip ? key.src : key.dst).notation() : field_text(ip, var_letter);
    };
    return host(field::src_ip) + "." + field_text(field::src_port, var_letter) + " : " + host(field::dst_ip) +
           "." + field_text(field::dst_port, var_letter) + " : " + field_text(field::proto, var_letter);
  }
};

/// Hashes a pattern: its key and its slots.
struct flow_pattern_hash {
  using is_avalanching = void;
  [[nodiscard]] std::size_t operator()(const flow_pattern& p) const noexcept {
    std::uint64_t s = 0;
    for (slot x : p.slots) s = s << 2 | static_cast<std::uint64_t>(x);
    return flow_key_hash{}(p.key) ^ static_cast<std::size_t>(flow_key_hash::mix(s + 0x9e3779b97f4a7c15ULL));
  }
};

namespace detail {
/// Whether field `fa` of `a` holds the value field `fb` of `b` holds (two address fields, two port
/// fields, or the protocols), whatever the patterns' slots.
[[nodiscard]] inline bool same_value(const flow_key& a, field fa, const flow_key& b, field fb) {
  switch (fa) {
    case field::src_ip:
    case field::dst_ip: {
      const auto& x = fa == field::src_ip ? a.src : a.dst;
      const auto& y = fb == field::src_ip ? b.src : b.dst;
      return x == y;
    }
    case field::src_port:
    case field::dst_port: return (fa == field::src_port ? a.sport : a.dport) == (fb == field::src_port ? b.sport : b.dport);
    case field::proto: return a.proto == b.proto;
  }
  return false;
}
}  // namespace detail

/// The pattern of one plain flow.
[[nodiscard]] inline flow_pattern exact(const flow_key& k) { return {k, {}}; }

}  // namespace expose
