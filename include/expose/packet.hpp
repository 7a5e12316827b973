#pragma once
// A decoded packet record: what the method needs of one IP packet, nothing more.

#include <cstdint>

#include "expose/address.hpp"

namespace expose {

/// IP protocol numbers the library names.
namespace proto {
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
inline constexpr std::uint8_t icmp6 = 58;
inline constexpr std::uint8_t sctp = 132;
/// True for the protocols whose header starts with source and destination ports.
[[nodiscard]] constexpr bool has_ports(std::uint8_t p) { return p == tcp || p == udp || p == sctp; }
}  // namespace proto

/// TCP flag bits as they stand in the header.
namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flag

/// One IP packet as seen on the wire, in the sender's direction.
/// Ports are 0 for protocols without ports; for ICMP the type and code are kept apart.
struct packet {
  std::int64_t ts_ns = 0;  ///< capture time, nanoseconds since the Unix epoch
  ip_address src;
  ip_address dst;
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  std::uint8_t proto = 0;
  std::uint8_t tcp_flags = 0;  ///< TCP only
  std::uint8_t icmp_type = 0;  ///< ICMP and ICMPv6 only
  std::uint8_t icmp_code = 0;
  std::uint32_t length = 0;  ///< bytes on the wire
};

}  // namespace expose
