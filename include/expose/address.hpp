#pragma once
// IPv4 and IPv6 addresses in one 16-byte value type; IPv4 is held v4-mapped (::ffff:a.b.c.d).

#include <arpa/inet.h>

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace expose {

class ip_address {
 public:
  constexpr ip_address() = default;

  /// From four bytes in network order.
  static ip_address v4(const std::uint8_t* b) {
    ip_address a;
    a.bytes_[10] = 0xff;
    a.bytes_[11] = 0xff;
    std::memcpy(a.bytes_.data() + 12, b, 4);
    return a;
  }
  /// From a host-order integer, e.g. 0x0a000001 for 10.0.0.1.
  static ip_address v4(std::uint32_t host_order) {
    const std::uint8_t b[4] = {static_cast<std::uint8_t>(host_order >> 24),
                               static_cast<std::uint8_t>(host_order >> 16),
                               static_cast<std::uint8_t>(host_order >> 8),
                               static_cast<std::uint8_t>(host_order)};
    return v4(b);
  }
  /// From sixteen bytes in network order.
  static ip_address v6(const std::uint8_t* b) {
    ip_address a;
    std::memcpy(a.bytes_.data(), b, 16);
    return a;
  }
  /// Parses dotted IPv4 or any IPv6 text form; nullopt when it is neither.
  static std::optional<ip_address> parse(std::string_view text) {
    std::string s(text);
    std::uint8_t buf[16];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) return v4(buf);
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return v6(buf);
    return std::nullopt;
  }

  [[nodiscard]] bool is_v4() const noexcept {
    static constexpr std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(bytes_.data(), prefix, 12) == 0;
  }
  [[nodiscard]] const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }

  /// Dotted quad for IPv4, RFC 5952 text for IPv6.
  [[nodiscard]] std::string to_string() const {
    char buf[INET6_ADDRSTRLEN];
    if (is_v4()) inet_ntop(AF_INET, bytes_.data() + 12, buf, sizeof buf);
    else inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
    return buf;
  }
  /// As the outputs write an address beside a port: to_string(), IPv6 in brackets (`[2001:db8::1]`).
  [[nodiscard]] std::string notation() const { return is_v4() ? to_string() : "[" + to_string() + "]"; }

  friend auto operator<=>(const ip_address&, const ip_address&) = default;
  /// Two words compared at once (the flow table's hot path); the order above stays byte-wise.
  friend bool operator==(const ip_address& a, const ip_address& b) noexcept {
    const auto x = a.words(), y = b.words();
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
  }
  /// A cheap strict total order (by machine words) for sorting and searching where the order
  /// itself is never shown; text output uses the byte order of `<=>`.
  struct word_less {
    bool operator()(const ip_address& a, const ip_address& b) const noexcept {
      const auto x = a.words(), y = b.words();
      return x[0] != y[0] ? x[0] < y[0] : x[1] < y[1];
    }
  };
  /// The address as two machine words (for hashing and fast comparison; not an order).
  [[nodiscard]] std::array<std::uint64_t, 2> words() const noexcept {
    std::array<std::uint64_t, 2> w;
    std::memcpy(w.data(), bytes_.data(), 16);
    return w;
  }

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

/// True for an address that is one host: not broadcast (limited, or an IPv4 address ending in
/// .255), multicast or unspecified.
[[nodiscard]] inline bool one_host(const ip_address& a) {
  const auto& b = a.bytes();
  if (a.is_v4()) {
    const auto x = std::uint32_t{b[12]} << 24 | std::uint32_t{b[13]} << 16 | std::uint32_t{b[14]} << 8 | b[15];
    return x != 0 && (x & 0xffu) != 0xffu && (x >> 28) != 0xe;
  }
  return b[0] != 0xff && a != ip_address{};
}

}  // namespace expose
