#pragma once
// Who opened a connection: the initiator is `src`. Decided once, on the first packet seen of it.

#include <algorithm>
#include <array>
#include <cstdint>

#include "expose/packet.hpp"

namespace expose {

/// How likely a port is a server's: 0 well-known (1-1023), 1 a common registered service,
/// 2 other registered (1024-49151), 3 dynamic (49152-65535), 4 none (port 0).
[[nodiscard]] inline int service_rank(std::uint16_t port) {
  static constexpr std::array<std::uint16_t, 40> common = {
      1080, 1194, 1433, 1434, 1521, 1701, 1723, 1812, 1813, 1863, 1900, 2049, 2082, 3128,
      3268, 3306, 3389, 3478, 4500, 5060, 5061, 5190, 5222, 5353, 5355, 5432, 5900, 6379,
      6667, 8000, 8008, 8080, 8081, 8443, 8888, 9001, 9090, 9200, 11211, 27017};
  if (port == 0) return 4;
  if (port < 1024) return 0;
  if (std::binary_search(common.begin(), common.end(), port)) return 1;
  if (port < 49152) return 2;
  return 3;
}

/// Evidence a packet gives about its own direction.
enum class direction_hint : std::uint8_t {
  from_initiator,  ///< a TCP SYN, an ICMP echo request: the sender opened the exchange
  from_responder,  ///< a TCP SYN-ACK, an ICMP echo reply or error: the receiver opened it
  none             ///< mid-connection: look at the ports, then at who spoke first
};

[[nodiscard]] inline direction_hint hint_of(const packet& p) {
  if (p.proto == proto::tcp) {
    if ((p.tcp_flags & tcp_flag::syn) != 0) {
      return (p.tcp_flags & tcp_flag::ack) != 0 ? direction_hint::from_responder : direction_hint::from_initiator;
    }
    return direction_hint::none;
  }
  if (p.proto == proto::icmp) {
    switch (p.icmp_type) {
      case 8: case 13: case 15: case 17: return direction_hint::from_initiator;  // requests
      case 0: case 3: case 4: case 5: case 11: case 12: case 14: case 16: case 18:
        return direction_hint::from_responder;  // replies and errors go to who caused them
      default: return direction_hint::none;
    }
  }
  if (p.proto == proto::icmp6) {
    if (p.icmp_type == 128) return direction_hint::from_initiator;
    if (p.icmp_type == 129 || (p.icmp_type >= 1 && p.icmp_type <= 4)) return direction_hint::from_responder;
    return direction_hint::none;
  }
  return direction_hint::none;
}

/// True when the packet's sender is the connection's initiator.
/// Handshake evidence wins; without it the port that looks more like a service is the responder's
/// (for TCP, the lower port breaks a tie, since a captured-midway connection shows no opening);
/// failing that, whoever was seen first opened the exchange.
[[nodiscard]] inline bool sender_is_initiator(const packet& p) {
  switch (hint_of(p)) {
    case direction_hint::from_initiator: return true;
    case direction_hint::from_responder: return false;
    case direction_hint::none: break;
  }
  const int rs = service_rank(p.sport), rd = service_rank(p.dport);
  if (rs != rd) return rd < rs;  // the destination looks more like a server
  if (p.proto == proto::tcp && p.sport != p.dport) return p.dport < p.sport;
  return true;
}

}  // namespace expose
