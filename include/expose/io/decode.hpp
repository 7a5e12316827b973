#pragma once
// Decoding a captured frame into a packet record: link layer, tags and labels, IP, transport.
// Depends on nothing but the standard library, so any capture source can use it. A frame that
// cannot become a packet gets a reason, never an exception.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "expose/address.hpp"
#include "expose/packet.hpp"

namespace expose::io {

/// Why a frame did not become a packet.
enum class skip_reason : std::uint8_t {
  none,          ///< decoded
  truncated,     ///< the capture ends inside a header
  non_ip,        ///< ARP, LLDP, spanning tree and other non-IP frames
  link_type,     ///< a link type the decoder does not know
  bad_ip,        ///< an IP header that contradicts itself (version, lengths)
  fragment,      ///< a non-first IP fragment (no ports to key it by)
  wlan_control,  ///< 802.11 management or control frame
  wlan_protected,  ///< 802.11 data frame with encrypted payload
};

[[nodiscard]] constexpr std::string_view reason_name(skip_reason r) {
  switch (r) {
    case skip_reason::none: return "none";
    case skip_reason::truncated: return "truncated";
    case skip_reason::non_ip: return "non-ip";
    case skip_reason::link_type: return "unsupported-link-type";
    case skip_reason::bad_ip: return "bad-ip-header";
    case skip_reason::fragment: return "ip-fragment";
    case skip_reason::wlan_control: return "802.11-control-or-management";
    case skip_reason::wlan_protected: return "802.11-encrypted";
  }
  return "unknown";
}

/// libpcap link types (the DLT values `pcap_datalink` returns on Linux) the decoder reads.
namespace link {
inline constexpr int null = 0;        ///< BSD loopback, address family in the writer's byte order
inline constexpr int ethernet = 1;
inline constexpr int ppp = 9;
inline constexpr int raw = 12;        ///< raw IPv4/IPv6 (LINKTYPE_RAW)
inline constexpr int raw_openbsd = 14;
inline constexpr int ppp_hdlc = 50;
inline constexpr int raw_linktype = 101;
inline constexpr int ieee802_11 = 105;
inline constexpr int loop = 108;      ///< OpenBSD loopback, address family in network order
inline constexpr int linux_sll = 113;
inline constexpr int radiotap = 127;
inline constexpr int ipv4 = 228;
inline constexpr int ipv6 = 229;
inline constexpr int linux_sll2 = 276;
}  // namespace link

namespace detail {

inline std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
inline std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}
inline std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t{p[3]} | std::uint32_t{p[2]} << 8 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[0]} << 24;
}

class decoder {
 public:
  decoder(const std::uint8_t* data, std::size_t caplen, packet& out) : p_(data), end_(data + caplen), out_(out) {}

  skip_reason link(int type) {
    switch (type) {
      case io::link::ethernet: return ethernet(p_);
      case io::link::raw: case io::link::raw_openbsd: case io::link::raw_linktype: return ip_by_version(p_);
      case io::link::ipv4: return ipv4(p_);
      case io::link::ipv6: return ipv6(p_);
      case io::link::null: case io::link::loop: return loopback(p_, type == io::link::loop);
      case io::link::linux_sll:
        if (!have(p_, 16)) return skip_reason::truncated;
        return ethertype(be16(p_ + 14), p_ + 16);
      case io::link::linux_sll2:
        if (!have(p_, 20)) return skip_reason::truncated;
        return ethertype(be16(p_), p_ + 20);
      case io::link::ppp: case io::link::ppp_hdlc: return ppp(p_);
      case io::link::ieee802_11: return wlan(p_);
      case io::link::radiotap:
        if (!have(p_, 4)) return skip_reason::truncated;
        return wlan(p_ + (p_[2] | p_[3] << 8));
      default: return skip_reason::link_type;
    }
  }

 private:
  static constexpr int max_depth = 8;  // nested tags, labels and tunnels
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  packet& out_;
  int depth_ = 0;

  [[nodiscard]] bool have(const std::uint8_t* at, std::size_t n) const {
    return at <= end_ && static_cast<std::size_t>(end_ - at) >= n;
  }

  skip_reason ethernet(const std::uint8_t* at) {
    if (!have(at, 14)) return skip_reason::truncated;
    return ethertype(be16(at + 12), at + 14);
  }

  skip_reason ethertype(std::uint16_t type, const std::uint8_t* at) {
    if (++depth_ > max_depth) return skip_reason::non_ip;
    switch (type) {
      case 0x0800: return ipv4(at);
      case 0x86dd: return ipv6(at);
      case 0x8100: case 0x88a8: case 0x9100:  // 802.1Q, 802.1ad, old QinQ
        if (!have(at, 4)) return skip_reason::truncated;
        return ethertype(be16(at + 2), at + 4);
      case 0x8847: case 0x8848: return mpls(at);
      case 0x8864:  // PPPoE session: 6-byte header, then a PPP protocol number
        if (!have(at, 8)) return skip_reason::truncated;
        return ppp_protocol(be16(at + 6), at + 8);
      case 0x6558: return ethernet(at);  // transparent Ethernet bridging (GRE)
      default: return skip_reason::non_ip;
    }
  }

  skip_reason mpls(const std::uint8_t* at) {
    for (int i = 0; i < max_depth; ++i, at += 4) {
      if (!have(at, 4)) return skip_reason::truncated;
      if ((at[2] & 0x01) != 0) return ip_by_version(at + 4);  // bottom of stack: guess from the version
    }
    return skip_reason::non_ip;
  }

  skip_reason ppp(const std::uint8_t* at) {
    if (!have(at, 2)) return skip_reason::truncated;
    if (at[0] == 0xff && at[1] == 0x03) at += 2;  // HDLC address and control
    if (!have(at, 1)) return skip_reason::truncated;
    if ((at[0] & 0x01) != 0) return ppp_protocol(at[0], at + 1);  // compressed protocol field
    if (!have(at, 2)) return skip_reason::truncated;
    return ppp_protocol(be16(at), at + 2);
  }

  skip_reason ppp_protocol(std::uint16_t proto, const std::uint8_t* at) {
    switch (proto) {
      case 0x0021: return ipv4(at);
      case 0x0057: return ipv6(at);
      case 0x0281: case 0x0283: return mpls(at);
      default: return skip_reason::non_ip;
    }
  }

  skip_reason loopback(const std::uint8_t* at, bool network_order) {
    if (!have(at, 4)) return skip_reason::truncated;
    std::uint32_t family = network_order ? be32(at) : le32(at);
    if (!network_order && family > 0xffff) family = be32(at);  // written on a big-endian machine
    switch (family) {
      case 2: return ipv4(at + 4);
      case 10: case 24: case 28: case 30: return ipv6(at + 4);  // Linux, NetBSD/OpenBSD, FreeBSD, macOS
      default: return skip_reason::non_ip;
    }
  }

  skip_reason wlan(const std::uint8_t* at) {
    if (!have(at, 2)) return skip_reason::truncated;
    const std::uint8_t fc0 = at[0], fc1 = at[1];
    if (((fc0 >> 2) & 0x3) != 2) return skip_reason::wlan_control;  // not a data frame
    if (!have(at, 24)) return skip_reason::truncated;
    if ((fc0 & 0x40) != 0) return skip_reason::non_ip;               // null-function: no payload
    if ((fc1 & 0x40) != 0) return skip_reason::wlan_protected;
    std::size_t len = 24;
    if ((fc1 & 0x03) == 0x03) len += 6;  // four addresses
    if ((fc0 & 0x80) != 0) len += 2;     // QoS control
    if ((fc1 & 0x80) != 0 && (fc0 & 0x80) != 0) len += 4;  // HT control
    at += len;
    if (!have(at, 8)) return skip_reason::truncated;
    if (at[0] != 0xaa || at[1] != 0xaa || at[2] != 0x03) return skip_reason::non_ip;  // not LLC/SNAP
    return ethertype(be16(at + 6), at + 8);
  }

  skip_reason ip_by_version(const std::uint8_t* at) {
    if (!have(at, 1)) return skip_reason::truncated;
    switch (at[0] >> 4) {
      case 4: return ipv4(at);
      case 6: return ipv6(at);
      default: return skip_reason::bad_ip;
    }
  }

  skip_reason ipv4(const std::uint8_t* at) {
    if (!have(at, 20)) return skip_reason::truncated;
    const std::size_t ihl = std::size_t{at[0] & 0x0fu} * 4;
    if ((at[0] >> 4) != 4 || ihl < 20) return skip_reason::bad_ip;
    if (!have(at, ihl)) return skip_reason::truncated;
    const std::uint16_t frag = be16(at + 6);
    out_.src = ip_address::v4(at + 12);
    out_.dst = ip_address::v4(at + 16);
    if ((frag & 0x1fff) != 0) return skip_reason::fragment;
    return transport(at[9], at + ihl);
  }

  skip_reason ipv6(const std::uint8_t* at) {
    if (!have(at, 40)) return skip_reason::truncated;
    if ((at[0] >> 4) != 6) return skip_reason::bad_ip;
    out_.src = ip_address::v6(at + 8);
    out_.dst = ip_address::v6(at + 24);
    std::uint8_t next = at[6];
    at += 40;
    for (int i = 0; i < max_depth; ++i) {
      switch (next) {
        case 0: case 43: case 60: case 135: case 139: case 140:  // hop-by-hop, routing, options, mobility, HIP, shim6
          if (!have(at, 8)) return skip_reason::truncated;
          next = at[0];
          at += (std::size_t{at[1]} + 1) * 8;
          continue;
        case 44:  // fragment
          if (!have(at, 8)) return skip_reason::truncated;
          if ((be16(at + 2) & 0xfff8) != 0) return skip_reason::fragment;
          next = at[0];
          at += 8;
          continue;
        case 51:  // authentication header
          if (!have(at, 8)) return skip_reason::truncated;
          next = at[0];
          at += (std::size_t{at[1]} + 2) * 4;
          continue;
        default: return transport(next, at);
      }
    }
    return skip_reason::bad_ip;
  }

  skip_reason transport(std::uint8_t proto, const std::uint8_t* at) {
    out_.proto = proto;
    out_.sport = out_.dport = 0;
    out_.tcp_flags = out_.icmp_type = out_.icmp_code = 0;
    switch (proto) {
      case expose::proto::tcp:
        if (!have(at, 14)) return skip_reason::truncated;
        out_.sport = be16(at);
        out_.dport = be16(at + 2);
        out_.tcp_flags = at[13];
        return skip_reason::none;
      case expose::proto::udp: case 132:  // UDP, SCTP: ports first
        if (!have(at, 4)) return skip_reason::truncated;
        out_.sport = be16(at);
        out_.dport = be16(at + 2);
        return skip_reason::none;
      case expose::proto::icmp: case expose::proto::icmp6:
        if (!have(at, 2)) return skip_reason::truncated;
        out_.icmp_type = at[0];
        out_.icmp_code = at[1];
        return skip_reason::none;
      case 4: case 41: {  // IPv4 or IPv6 in IP: key the inner packet when it decodes
        if (++depth_ > max_depth) return skip_reason::none;
        const packet outer = out_;
        const skip_reason inner = proto == 4 ? ipv4(at) : ipv6(at);
        if (inner != skip_reason::none) out_ = outer;
        return skip_reason::none;
      }
      case 47: {  // GRE version 0: key the inner packet when it decodes, else the tunnel itself
        if (!have(at, 4) || (at[1] & 0x07) != 0 || ++depth_ > max_depth) return skip_reason::none;
        std::size_t len = 4;
        if ((at[0] & 0x80) != 0) len += 4;  // checksum (and reserved)
        if ((at[0] & 0x20) != 0) len += 4;  // key
        if ((at[0] & 0x10) != 0) len += 4;  // sequence number
        const packet outer = out_;
        const skip_reason inner = ethertype(be16(at + 2), at + len);
        if (inner != skip_reason::none) out_ = outer;
        return skip_reason::none;
      }
      default: return skip_reason::none;  // other protocols: a flow between the two hosts
    }
  }
};

}  // namespace detail

/// Decodes one frame of link type `link_type` into `out` (all but the timestamp and length).
/// Returns `skip_reason::none` when `out` holds a packet.
[[nodiscard]] inline skip_reason decode(int link_type, const std::uint8_t* data, std::size_t caplen, packet& out) {
  return detail::decoder(data, caplen, out).link(link_type);
}

}  // namespace expose::io
