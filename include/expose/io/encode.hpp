#pragma once
// Encoding a packet record as an Ethernet frame (IPv4 or IPv6, then TCP, UDP or ICMP), the
// inverse of `decode` for the generator and the tests. Checksums are left zero.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "expose/packet.hpp"

namespace expose::io {

/// The whole frame of `p` on the wire, `p.length` bytes (at least its headers); the capture keeps
/// the first `snaplen` of them.
[[nodiscard]] inline std::vector<std::uint8_t> encode_ethernet(const packet& p) {
  const bool v4 = p.src.is_v4() && p.dst.is_v4();
  const std::size_t l3 = v4 ? 20 : 40;
  const std::size_t l4 = p.proto == proto::tcp ? 20 : (p.proto == proto::udp ? 8 : (p.proto == proto::icmp || p.proto == proto::icmp6) ? 8 : 0);
  const std::size_t headers = 14 + l3 + l4;
  const std::size_t total = std::max<std::size_t>(headers, p.length);
  std::vector<std::uint8_t> f(total, 0);
  auto put16 = [&](std::size_t at, std::uint16_t v) {
    f[at] = static_cast<std::uint8_t>(v >> 8);
    f[at + 1] = static_cast<std::uint8_t>(v);
  };
  // Ethernet: locally administered MACs derived from the addresses' last bytes.
  f[0] = 0x02; f[5] = p.dst.bytes()[15];
  f[6] = 0x02; f[11] = p.src.bytes()[15];
  put16(12, v4 ? 0x0800 : 0x86dd);
  std::uint8_t* ip = f.data() + 14;
  const std::size_t ip_len = total - 14;
  if (v4) {
    ip[0] = 0x45;
    put16(14 + 2, static_cast<std::uint16_t>(std::min<std::size_t>(ip_len, 0xffff)));
    ip[8] = 64;
    ip[9] = p.proto;
    std::copy_n(p.src.bytes().data() + 12, 4, ip + 12);
    std::copy_n(p.dst.bytes().data() + 12, 4, ip + 16);
  } else {
    ip[0] = 0x60;
    put16(14 + 4, static_cast<std::uint16_t>(std::min<std::size_t>(ip_len - 40, 0xffff)));
    ip[6] = p.proto;
    ip[7] = 64;
    std::copy_n(p.src.bytes().data(), 16, ip + 8);
    std::copy_n(p.dst.bytes().data(), 16, ip + 24);
  }
  const std::size_t t = 14 + l3;
  if (p.proto == proto::tcp || p.proto == proto::udp) {
    put16(t, p.sport);
    put16(t + 2, p.dport);
  }
  if (p.proto == proto::tcp) {
    f[t + 12] = 0x50;  // data offset: 5 words
    f[t + 13] = p.tcp_flags;
    put16(t + 14, 65535);
  } else if (p.proto == proto::udp) {
    put16(t + 4, static_cast<std::uint16_t>(std::min<std::size_t>(total - t, 0xffff)));
  } else if (p.proto == proto::icmp || p.proto == proto::icmp6) {
    f[t] = p.icmp_type;
    f[t + 1] = p.icmp_code;
  }
  return f;
}

}  // namespace expose::io
