#pragma once
// Decoding a captured frame into a packet record: link layer, tags and labels, tunnels, IP,
// transport. Any capture source can use it. A frame that cannot become a packet gets a reason,
// never an exception. Stateless, except for the optional fragment table that lets later IP
// fragments join the flow of their first.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "expose/address.hpp"
#include "expose/input.hpp"
#include "expose/io/fragments.hpp"
#include "expose/io/name_decode.hpp"
#include "expose/names.hpp"
#include "expose/packet.hpp"

namespace expose::io {

/// Why a frame did not become a packet.
enum class skip_reason : std::uint8_t {
  none,          ///< decoded
  truncated,     ///< the capture ends inside a header
  non_ip,        ///< ARP, LLDP, spanning tree and other non-IP frames
  link_type,     ///< a link type the decoder does not know
  bad_ip,        ///< an IP header that contradicts itself (version, lengths)
  fragment,      ///< a later IP fragment whose first fragment was not seen (no ports to key it by)
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

/// How the decoder treats what could be read two ways.
struct decode_options {
  /// ICMP destination-unreachable and packet-too-big errors count toward the flow they quote (as a
  /// packet from the quoted destination back to its source): a refused port or an unreachable host
  /// is the answer within that conversation. Time-exceeded (traceroute), redirects and parameter
  /// problems stay ICMP flows from the router that sent them, whose identity is the news.
  bool icmp_errors_join_quoted_flow = true;
  /// When set, the names that DNS, mDNS, LLMNR, NetBIOS and DHCP payloads carry are added here
  /// (io/name_decode.hpp); the packets decode the same either way.
  host_names* names = nullptr;
};

/// Where the IP layers of a frame lie, as the decoder found them: offsets from the frame's first
/// byte, outermost first (an IP-in-IP or GRE tunnel adds the inner packet). For tools that edit
/// captured frames (expose/synth/background.hpp) without a second link-layer parser.
struct frame_layout {
  struct ip_layer {
    std::uint32_t ip = 0;         ///< the IP header
    std::uint32_t transport = 0;  ///< the transport header (after IPv6 extension headers); valid when `has_transport`
    std::uint8_t proto = 0;       ///< the transport protocol
    bool has_transport = false;   ///< false for a later fragment: no transport header
  };
  static constexpr std::size_t max_layers = 4;
  std::array<ip_layer, max_layers> layers{};
  std::size_t count = 0;  ///< layers found; 0: no IP in the frame
};

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
  decoder(const std::uint8_t* data, std::size_t caplen, packet& out, const decode_options& opt = {},
          fragment_table* fragments = nullptr, frame_layout* layout = nullptr)
      : p_(data), end_(data + caplen), out_(out), opt_(opt), fragments_(fragments), layout_(layout) {}

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
  const decode_options& opt_;
  fragment_table* fragments_;
  frame_layout* layout_;
  int depth_ = 0;

  std::size_t ip_seen_ = 0;  // IP headers met, recorded in the layout or not

  void ip_found(const std::uint8_t* at) {
    if (layout_ == nullptr || ip_seen_++ >= frame_layout::max_layers) return;
    layout_->layers[layout_->count++] = {.ip = static_cast<std::uint32_t>(at - p_)};
  }
  void transport_found(std::uint8_t proto, const std::uint8_t* at) {
    if (layout_ == nullptr || layout_->count == 0 || ip_seen_ != layout_->count) return;  // not the recorded layer's
    auto& l = layout_->layers[layout_->count - 1];
    l.transport = static_cast<std::uint32_t>(at - p_);
    l.proto = proto;
    l.has_transport = true;
  }

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
    ip_found(at);
    const fragment_table::datagram d{out_.src, out_.dst, be16(at + 4), at[9]};
    if ((frag & 0x1fff) != 0) return later_fragment(d);
    const int depth = depth_;
    const skip_reason r = transport(at[9], at + ihl);
    if ((frag & 0x2000) != 0) first_fragment(d, r, depth);
    return r;
  }

  // A first fragment (more fragments follow, offset 0) that decoded: later ones may join its flow.
  void first_fragment(const fragment_table::datagram& d, skip_reason r, int depth_before) {
    if (fragments_ == nullptr || r != skip_reason::none || depth_ != depth_before) return;  // tunnels: not followed
    fragments_->first(d, {out_.sport, out_.dport, out_.icmp_type, out_.icmp_code}, out_.ts_ns);
  }
  skip_reason later_fragment(const fragment_table::datagram& d) {
    if (fragments_ == nullptr) return skip_reason::fragment;
    const auto known = fragments_->later(d, out_.ts_ns);
    if (!known) return skip_reason::fragment;
    out_.proto = d.proto;
    out_.sport = known->sport;
    out_.dport = known->dport;
    out_.icmp_type = known->icmp_type;
    out_.icmp_code = known->icmp_code;
    out_.tcp_flags = 0;
    return skip_reason::none;
  }

  skip_reason ipv6(const std::uint8_t* at) {
    if (!have(at, 40)) return skip_reason::truncated;
    if ((at[0] >> 4) != 6) return skip_reason::bad_ip;
    out_.src = ip_address::v6(at + 8);
    out_.dst = ip_address::v6(at + 24);
    ip_found(at);
    return ipv6_next(at[6], at + 40, max_depth);
  }

  // The extension headers after the fixed IPv6 header, then the transport.
  skip_reason ipv6_next(std::uint8_t next, const std::uint8_t* at, int headers_left) {
    for (; headers_left > 0; --headers_left) {
      switch (next) {
        case 0: case 43: case 60: case 135: case 139: case 140:  // hop-by-hop, routing, options, mobility, HIP, shim6
          if (!have(at, 8)) return skip_reason::truncated;
          next = at[0];
          at += (std::size_t{at[1]} + 1) * 8;
          continue;
        case 44: {  // fragment
          if (!have(at, 8)) return skip_reason::truncated;
          const fragment_table::datagram d{out_.src, out_.dst, be32(at + 4), at[0]};
          if ((be16(at + 2) & 0xfff8) != 0) return later_fragment(d);
          if ((at[3] & 0x01) == 0) {  // an atomic fragment (RFC 6946): the whole datagram
            next = at[0];
            at += 8;
            continue;
          }
          const int depth = depth_;
          const skip_reason r = ipv6_next(at[0], at + 8, headers_left - 1);
          first_fragment(d, r, depth);
          return r;
        }
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

  // What GRE carries, by its protocol type: an EtherType, or one of the vendor payloads seen in
  // wireless controllers' and switches' mirrored traffic.
  skip_reason gre_payload(std::uint16_t type, const std::uint8_t* at, bool sequenced) {
    if (type >= 0x8200 && type <= 0x83ff) return wlan(at);  // Aruba WLAN: the client's 802.11 frame
    switch (type) {
      case 0x88be: return ethernet(at + (sequenced ? 8 : 0));  // ERSPAN type II (8-byte header), type I (none)
      case 0x22eb: {  // ERSPAN type III: 12-byte header, 8 more when its O bit says a subheader follows
        if (!have(at, 12)) return skip_reason::truncated;
        return ethernet(at + 12 + ((at[11] & 0x01) != 0 ? 8 : 0));
      }
      case 0x880b: return ppp(at);  // PPTP
      default: return ethertype(type, at);
    }
  }

  // An ICMP error quotes the IP header and first eight bytes of the packet that caused it; when that
  // packet had ports, the error becomes a packet of its flow, from the quoted destination back.
  void join_quoted_flow(const std::uint8_t* at) {
    if (!have(at, 1)) return;
    ip_address src, dst;
    std::uint8_t proto = 0;
    const std::uint8_t* l4 = nullptr;
    if ((at[0] >> 4) == 4) {
      if (!have(at, 20)) return;
      const std::size_t ihl = std::size_t{at[0] & 0x0fu} * 4;
      if (ihl < 20 || (be16(at + 6) & 0x1fff) != 0) return;
      src = ip_address::v4(at + 12);
      dst = ip_address::v4(at + 16);
      proto = at[9];
      l4 = at + ihl;
    } else if ((at[0] >> 4) == 6) {
      if (!have(at, 40)) return;
      src = ip_address::v6(at + 8);
      dst = ip_address::v6(at + 24);
      proto = at[6];
      l4 = at + 40;
    } else {
      return;
    }
    if (!expose::proto::has_ports(proto) || !have(l4, 4)) return;
    out_.src = dst;
    out_.dst = src;
    out_.sport = be16(l4 + 2);
    out_.dport = be16(l4);
    out_.proto = proto;
    out_.tcp_flags = out_.icmp_type = out_.icmp_code = 0;
  }

  skip_reason transport(std::uint8_t proto, const std::uint8_t* at) {
    transport_found(proto, at);
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
      case expose::proto::udp: case expose::proto::sctp:  // UDP, SCTP: ports first
        if (!have(at, 4)) return skip_reason::truncated;
        out_.sport = be16(at);
        out_.dport = be16(at + 2);
        if (proto == expose::proto::udp && opt_.names != nullptr && have(at, 8)) {
          // The payload as the UDP length gives it, and no more than was captured.
          const auto captured = static_cast<std::size_t>(end_ - (at + 8));
          const std::size_t length = be16(at + 4);
          read_names(out_, at + 8, length >= 8 ? std::min(length - 8, captured) : captured, *opt_.names);
        }
        return skip_reason::none;
      case expose::proto::icmp: case expose::proto::icmp6: {
        if (!have(at, 2)) return skip_reason::truncated;
        out_.icmp_type = at[0];
        out_.icmp_code = at[1];
        const bool unreachable = proto == expose::proto::icmp ? at[0] == 3 : (at[0] == 1 || at[0] == 2);
        if (unreachable && opt_.icmp_errors_join_quoted_flow) join_quoted_flow(at + 8);
        return skip_reason::none;
      }
      case 4: case 41: {  // IPv4 or IPv6 in IP: key the inner packet when it decodes
        if (++depth_ > max_depth) return skip_reason::none;
        const packet outer = out_;
        const skip_reason inner = proto == 4 ? ipv4(at) : ipv6(at);
        if (inner != skip_reason::none) out_ = outer;
        return skip_reason::none;
      }
      case 47: {  // GRE: key the inner packet when it decodes, else the tunnel itself
        if (!have(at, 4) || ++depth_ > max_depth) return skip_reason::none;
        const unsigned version = at[1] & 0x07u;
        const bool sequenced = (at[0] & 0x10) != 0;
        std::size_t len = 4;
        if (version == 0) {  // RFC 2784/2890
          if ((at[0] & 0x40) != 0) return skip_reason::none;  // RFC 1701 source routing: not followed
          if ((at[0] & 0x80) != 0) len += 4;  // checksum (and reserved)
          if ((at[0] & 0x20) != 0) len += 4;  // key
          if (sequenced) len += 4;
        } else if (version == 1) {  // enhanced GRE of PPTP (RFC 2637): key always, then sequence, ack
          len += 4;
          if (sequenced) len += 4;
          if ((at[1] & 0x80) != 0) len += 4;
        } else {
          return skip_reason::none;
        }
        const packet outer = out_;
        const skip_reason inner = gre_payload(be16(at + 2), at + len, sequenced);
        if (inner != skip_reason::none) out_ = outer;
        return skip_reason::none;
      }
      default: return skip_reason::none;  // other protocols: a flow between the two hosts
    }
  }
};

}  // namespace detail

/// Decodes one frame of link type `link_type` into `out` (all but the timestamp and length).
/// Returns `skip_reason::none` when `out` holds a packet. Later IP fragments are skipped.
[[nodiscard]] inline skip_reason decode(int link_type, const std::uint8_t* data, std::size_t caplen, packet& out,
                                        const decode_options& opt = {}) {
  return detail::decoder(data, caplen, out, opt).link(link_type);
}

/// As above, with a fragment table: later IP fragments whose first fragment it remembers join that
/// flow. `out.ts_ns` must hold the frame's time (it ages the table).
[[nodiscard]] inline skip_reason decode(int link_type, const std::uint8_t* data, std::size_t caplen, packet& out,
                                        fragment_table& fragments, const decode_options& opt = {}) {
  return detail::decoder(data, caplen, out, opt, &fragments).link(link_type);
}

/// As above, also finding where the frame's IP layers lie (`layout.count` is 0 when it has none,
/// whatever the reason returned: a truncated transport header still has its IP header).
[[nodiscard]] inline skip_reason decode(int link_type, const std::uint8_t* data, std::size_t caplen, packet& out, frame_layout& layout,
                                        const decode_options& opt = {}) {
  layout.count = 0;
  return detail::decoder(data, caplen, out, opt, nullptr, &layout).link(link_type);
}

/// What every capture reader does with a frame: decodes it (time `ts_ns`, `len` bytes on the wire)
/// and hands the packet to `sink`, or counts why it could not (a later fragment the table cannot
/// place is also given to the table when it records: fragment_table::keep_orphan).
template <class Sink>
void decode_into(int link_type, const std::uint8_t* data, std::size_t caplen, std::uint32_t len, std::int64_t ts_ns, packet& p,
                 fragment_table& fragments, const decode_options& opt, input_stats& stats, Sink& sink) {
  p.ts_ns = ts_ns;
  const skip_reason why = decode(link_type, data, caplen, p, fragments, opt);
  if (why != skip_reason::none) {
    ++stats.skipped[std::string(reason_name(why))];
    if (why == skip_reason::fragment && fragments.wants_orphan()) {  // a range's reader: it may be placed later
      p.length = len;
      fragments.keep_orphan(p);
    }
    return;
  }
  ++stats.decoded;
  p.length = len;
  sink(static_cast<const packet&>(p));
}

}  // namespace expose::io
