#pragma once
// Real captures mixed under a generated trace, each with its own addresses (component expose::pcap):
// a known answer on real traffic. A rule tying hosts of two sources is false by construction;
// planted patterns found among real background give recall (DESIGN.md §6).
//
//   namespace ex = expose;
//   const ex::synth::generator gen{.seed = 1, .duration = 10min, .noise_per_second = 0, .heavy_flows = 0};
//   ex::synth::background_mix mix({.files = {"a.pcap", "b.pcapng"}, .spread_seed = 7},
//                                 gen.start_ns, gen.start_ns + 600'000'000'000);  // reads each capture once
//   ex::io::pcap_writer out("mix.pcap");
//   auto truth = gen.truth();
//   truth.sources = mix.write([&](auto&& sink) { gen.generate(sink); }, out);    // merged in time order
//
// What happens to a background capture:
//   - Every frame with an IP header is kept (outer header found as expose/io/decode.hpp finds it);
//     frames without one (ARP, 802.11 management, ...) and records whose time cannot be read are
//     left out and counted by reason. A damaged capture gives the frames before the damage and a
//     warning.
//   - Time: it is shifted so that its earliest packet falls at the generated part's start. With a
//     spread seed it starts instead at an instant drawn uniformly (whole microseconds) in
//     [start, start + max(0, D - L/2)], D the generated part's length and L the capture's, so at
//     least half of it lies within the generated part. A capture longer than that runs on past
//     the generated part's end: nothing is cut, the mixed trace is then longer than D.
//   - Addresses: capture i (from 0) maps its addresses one-to-one, in order of first appearance,
//     into ranges no other source uses: the n-th IPv4 unicast address to 172.(16+i).(n/254).(n%254+1)
//     (65024 of them; no address ending in .0 or .255), an address ending in .255 (a directed
//     broadcast) to 172.(16+i).k.255 for the k-th such (256 of them), the n-th IPv6 unicast
//     address (link-local included) to fd00:0:(i+1)::(n+1). Multicast (224.0.0.0/4, ff00::/8),
//     255.255.255.255, 0.0.0.0 and :: are kept as they are and belong to no source. The generated
//     part (10/8, 192.0.2/24, 198.18/15, 100.64/10 ...) uses none of 172.16.0.0/12 and fd00::/32.
//     At most 16 captures; more addresses than a range holds is an error naming the capture.
//   - Rewriting: the addresses of every IP header the decoder meets (the outer one, the inner one of
//     an IP-in-IP or GRE tunnel) and of the IP header an ICMP or ICMPv6 error quotes. The IPv4
//     header checksum is recomputed; TCP, UDP and ICMPv6 checksums (and ICMP's over a quoted
//     header, and the quoted header's own) are adjusted incrementally (RFC 1624), so a checksum that
//     was right stays right even when the capture holds only the headers. A zero UDP checksum (none)
//     stays zero. A GRE checksum is not adjusted.
//   - Framing: each kept frame is written as Ethernet (the capture's own MAC addresses when it was
//     Ethernet, else 02:00:00:00:00:xx from the last byte of the addresses) followed by its bytes
//     from the outer IP header on: VLAN tags, MPLS labels, PPPoE, Linux cooked and 802.11 headers
//     are dropped.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/address.hpp"
#include "expose/detail/random.hpp"
#include "expose/error.hpp"
#include "expose/flow_key.hpp"
#include "expose/io/decode.hpp"
#include "expose/io/pcap_records.hpp"
#include "expose/packet.hpp"
#include "expose/synth/truth.hpp"

namespace expose::synth {

/// The background captures to mix in, and where they start.
struct background {
  std::vector<std::filesystem::path> files;
  /// Unset: every capture starts at the generated part's start. Set: each starts at a random
  /// instant within it, drawn with this seed (the same seed and files give the same trace).
  std::optional<std::uint64_t> spread_seed{};

  /// IPv4 ranges of /16 in 172.16.0.0/12: the captures one mix can take.
  static constexpr std::size_t max_files = 16;
};

/// Whether an address is kept as it is in a mixed trace and owned by no source: multicast,
/// limited broadcast, unspecified.
[[nodiscard]] inline bool shared_address(const ip_address& a) {
  const auto& b = a.bytes();
  if (a.is_v4()) {
    const std::uint8_t* v = b.data() + 12;
    if ((v[0] & 0xf0) == 0xe0) return true;  // 224.0.0.0/4
    const bool zero = v[0] == 0 && v[1] == 0 && v[2] == 0 && v[3] == 0;
    const bool ones = v[0] == 255 && v[1] == 255 && v[2] == 255 && v[3] == 255;
    return zero || ones;
  }
  if (b[0] == 0xff) return true;  // ff00::/8
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

/// One source's addresses in a mixed trace. For a background capture, the one-to-one map of its
/// addresses into its own ranges (in order of first appearance); for the generated part, the
/// addresses it uses as they are.
class address_map {
 public:
  /// The generated part: addresses are recorded, not changed.
  address_map() = default;
  /// Background capture `index` (from 0): 172.(16+index).0.0/16 and fd00:0:(index+1)::/48.
  explicit address_map(std::size_t index, std::string name) : index_(index), name_(std::move(name)), maps_(true) {
    if (index >= background::max_files)
      throw bad_argument("background: at most " + std::to_string(background::max_files) + " captures can be mixed (one /16 of 172.16.0.0/12 each)");
  }

  /// The address `a` has in the mixed trace; a new address gets the next free one of the range.
  /// Throws bad_argument naming the capture when its range is full.
  ip_address map(const ip_address& a) {
    if (const auto it = index_of_.find(a); it != index_of_.end()) return it->second;
    ip_address to = a;
    if (shared_address(a)) {
      shared_.push_back(a);
    } else {
      if (maps_) to = next(a);
      owned_.push_back(to);
      if (maps_) mapping_.emplace_back(a, to);
    }
    index_of_.emplace(a, to);
    return to;
  }

  /// The mapped address of one already seen; nullopt otherwise.
  [[nodiscard]] std::optional<ip_address> find(const ip_address& a) const {
    const auto it = index_of_.find(a);
    if (it == index_of_.end()) return std::nullopt;
    return it->second;
  }

  [[nodiscard]] bool maps() const noexcept { return maps_; }
  /// Addresses owned, as in the mixed trace, in order of first appearance.
  [[nodiscard]] const std::vector<ip_address>& owned() const noexcept { return owned_; }
  /// Original -> mapped, in order of first appearance (backgrounds only).
  [[nodiscard]] const std::vector<std::pair<ip_address, ip_address>>& mapping() const noexcept { return mapping_; }
  /// Addresses kept as they were (multicast, broadcast, unspecified), in order of first appearance.
  [[nodiscard]] const std::vector<ip_address>& shared() const noexcept { return shared_; }

  [[nodiscard]] std::string v4_range() const {
    return maps_ ? ip_address::v4(v4_base()).to_string() + "/16" : std::string{};
  }
  [[nodiscard]] std::string v6_range() const { return maps_ ? v6_address(0).to_string() + "/48" : std::string{}; }

  /// Whether `a` lies in the ranges background captures are mapped into (172.16.0.0/12, fd00:0::/32).
  [[nodiscard]] static bool in_background_ranges(const ip_address& a) {
    const auto& b = a.bytes();
    if (a.is_v4()) return b[12] == 172 && (b[13] & 0xf0) == 16;
    return b[0] == 0xfd && b[1] == 0 && b[2] == 0 && b[3] == 0;
  }

  static constexpr std::uint32_t v4_unicast_capacity = 256 * 254;
  static constexpr std::uint32_t v4_broadcast_capacity = 256;

 private:
  [[nodiscard]] std::uint32_t v4_base() const { return (172u << 24) | static_cast<std::uint32_t>(16 + index_) << 16; }
  [[nodiscard]] ip_address v6_address(std::uint64_t n) const {
    std::uint8_t b[16] = {0xfd, 0x00, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(index_ + 1)};
    for (int i = 0; i < 8; ++i) b[15 - i] = static_cast<std::uint8_t>(n >> (8 * i));
    return ip_address::v6(b);
  }

  ip_address next(const ip_address& a) {
    if (!a.is_v4()) return v6_address(++v6_used_);
    if (a.bytes()[15] == 255) {
      if (broadcast_used_ == v4_broadcast_capacity)
        throw bad_argument("background '" + name_ + "': more than " + std::to_string(v4_broadcast_capacity) +
                           " IPv4 addresses ending in .255; its range " + v4_range() + " holds no more");
      return ip_address::v4(v4_base() | (broadcast_used_++ << 8) | 255u);
    }
    if (unicast_used_ == v4_unicast_capacity)
      throw bad_argument("background '" + name_ + "': more than " + std::to_string(v4_unicast_capacity) +
                         " IPv4 unicast addresses; its range " + v4_range() + " holds no more");
    const std::uint32_t n = unicast_used_++;
    return ip_address::v4(v4_base() | (n / 254) << 8 | (n % 254 + 1));
  }

  std::size_t index_ = 0;
  std::string name_;
  bool maps_ = false;
  std::uint32_t unicast_used_ = 0, broadcast_used_ = 0;
  std::uint64_t v6_used_ = 0;
  boost::unordered_flat_map<ip_address, ip_address, address_hash> index_of_;
  std::vector<ip_address> owned_, shared_;
  std::vector<std::pair<ip_address, ip_address>> mapping_;
};

namespace detail {

inline std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
inline void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

/// An incremental checksum update (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')), summed over the
/// 16-bit words that change.
class checksum_change {
 public:
  /// Bytes [old, old+n) became [now, now+n); n even, both aligned as the checksummed data.
  void bytes(const std::uint8_t* old, const std::uint8_t* now, std::size_t n) {
    for (std::size_t i = 0; i + 1 < n; i += 2) word(get16(old + i), get16(now + i));
  }
  void word(std::uint16_t old, std::uint16_t now) {
    if (old == now) return;
    sum_ += static_cast<std::uint16_t>(~old);
    sum_ += now;
  }
  /// Applies the change to the checksum at `at`. With `zero_is_none` (UDP) a zero checksum (none
  /// over IPv4) stays zero and a result of zero is written 0xffff, as RFC 768 sends it.
  void apply(std::uint8_t* at, bool zero_is_none = false) const {
    const std::uint16_t hc = get16(at);
    if (sum_ == 0 || (zero_is_none && hc == 0)) return;
    std::uint64_t s = static_cast<std::uint16_t>(~hc) + sum_;
    while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
    auto r = static_cast<std::uint16_t>(~s);
    if (zero_is_none && r == 0) r = 0xffff;
    put16(at, r);
  }
  [[nodiscard]] bool empty() const noexcept { return sum_ == 0; }

 private:
  std::uint64_t sum_ = 0;
};

/// The Internet checksum of [p, p+n).
[[nodiscard]] inline std::uint16_t internet_checksum(const std::uint8_t* p, std::size_t n) {
  std::uint64_t s = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) s += get16(p + i);
  if (n % 2 != 0) s += std::uint64_t{p[n - 1]} << 8;
  while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s);
}

/// Rewrites an IP header's two addresses at `src` and `dst` (4 or 16 bytes each) through `map`,
/// adding the change to `sum` (for the checksums over a pseudo-header that holds them).
inline void rewrite_pair(std::uint8_t* src, std::uint8_t* dst, bool v4, address_map& map, checksum_change& sum) {
  const std::size_t n = v4 ? 4 : 16;
  for (std::uint8_t* at : {src, dst}) {
    const ip_address old = v4 ? ip_address::v4(at) : ip_address::v6(at);
    const ip_address now = map.map(old);
    const std::uint8_t* b = now.bytes().data() + (v4 ? 12 : 0);
    sum.bytes(at, b, n);
    std::copy_n(b, n, at);
  }
}

/// Whether an ICMP (v4) or ICMPv6 message of this type quotes the packet that caused it.
[[nodiscard]] inline bool icmp_error(std::uint8_t proto, std::uint8_t type) {
  if (proto == expose::proto::icmp) return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
  return type >= 1 && type <= 4;
}

/// The packet an ICMP error quotes, from `q` to `end`: its addresses mapped, its header checksum
/// (IPv4) and its transport checksum, when held, adjusted.
inline void rewrite_quoted(std::uint8_t* q, const std::uint8_t* end, address_map& map) {
  const auto held = [&](const std::uint8_t* at, std::size_t n) { return at <= end && static_cast<std::size_t>(end - at) >= n; };
  if (!held(q, 1)) return;
  checksum_change pseudo;
  std::uint8_t proto = 0;
  std::uint8_t* l4 = nullptr;
  if ((q[0] >> 4) == 4 && held(q, 20)) {
    rewrite_pair(q + 12, q + 16, true, map, pseudo);
    pseudo.apply(q + 10);  // the quoted header's own checksum covers its addresses too
    const std::size_t ihl = std::size_t{q[0] & 0x0fu} * 4;
    if (ihl >= 20 && (get16(q + 6) & 0x1fff) == 0) proto = q[9], l4 = q + ihl;
  } else if ((q[0] >> 4) == 6 && held(q, 40)) {
    rewrite_pair(q + 8, q + 24, false, map, pseudo);
    proto = q[6];
    l4 = q + 40;
  } else {
    return;
  }
  if (l4 == nullptr) return;
  if (proto == expose::proto::tcp && held(l4, 18)) pseudo.apply(l4 + 16);
  if (proto == expose::proto::udp && held(l4, 8)) pseudo.apply(l4 + 6, true);
  if (proto == expose::proto::icmp6 && held(l4, 4)) pseudo.apply(l4 + 2);
}

/// One IP layer of a frame in `b` (its bytes up to `end`): addresses mapped, checksums kept right.
inline void rewrite_layer(std::uint8_t* b, const std::uint8_t* end, const io::frame_layout::ip_layer& l, address_map& map) {
  std::uint8_t* ip = b + l.ip;
  const bool v4 = (ip[0] >> 4) == 4;
  std::uint8_t* t = b + l.transport;
  const auto held = [&](const std::uint8_t* at, std::size_t n) { return at <= end && static_cast<std::size_t>(end - at) >= n; };
  // An ICMP error: its quoted packet first, the change summed into the ICMP checksum.
  checksum_change body;
  if (l.has_transport && (l.proto == expose::proto::icmp || l.proto == expose::proto::icmp6) && held(t, 8) && icmp_error(l.proto, t[0])) {
    std::uint8_t* q = t + 8;
    const std::vector<std::uint8_t> before(static_cast<const std::uint8_t*>(q), end);
    rewrite_quoted(q, end, map);
    body.bytes(before.data(), q, before.size() & ~std::size_t{1});
    if (before.size() % 2 != 0) body.word(static_cast<std::uint16_t>(before.back() << 8), static_cast<std::uint16_t>(end[-1] << 8));
  }
  checksum_change pseudo;
  if (v4) {
    rewrite_pair(ip + 12, ip + 16, true, map, pseudo);
    const std::size_t ihl = std::size_t{ip[0] & 0x0fu} * 4;
    put16(ip + 10, 0);
    put16(ip + 10, internet_checksum(ip, ihl));
  } else {
    rewrite_pair(ip + 8, ip + 24, false, map, pseudo);
  }
  if (!l.has_transport) return;
  switch (l.proto) {
    case expose::proto::tcp:
      if (held(t, 18)) pseudo.apply(t + 16);
      break;
    case expose::proto::udp:
      if (held(t, 8)) pseudo.apply(t + 6, true);
      break;
    case expose::proto::icmp:
      if (held(t, 4)) body.apply(t + 2);
      break;
    case expose::proto::icmp6:
      if (held(t, 4)) {
        body.apply(t + 2);
        pseudo.apply(t + 2);
      }
      break;
    default: break;
  }
}

}  // namespace detail

/// Rewrites one captured frame of link type `link_type` into `out` as an Ethernet frame with its
/// addresses mapped through `map` (see the top of this file). Returns false, with `why` set, when
/// the frame holds no IP header (it is then left out). `wire_len` is the frame's length on the
/// wire; `out_wire_len` gets the rewritten frame's.
[[nodiscard]] inline bool rewrite_frame(int link_type, const std::uint8_t* data, std::size_t caplen, std::size_t wire_len,
                                        address_map& map, std::vector<std::uint8_t>& out, std::size_t& out_wire_len,
                                        io::skip_reason& why) {
  io::frame_layout layout;
  packet scratch;
  why = io::decode(link_type, data, caplen, scratch, layout);
  if (layout.count == 0) {
    if (why == io::skip_reason::none) why = io::skip_reason::non_ip;
    return false;
  }
  const std::size_t ip0 = layout.layers[0].ip;
  out.resize(14 + caplen - ip0);
  std::copy(data + ip0, data + caplen, out.begin() + 14);
  std::uint8_t* b = out.data() + 14;
  const std::uint8_t* end = out.data() + out.size();
  for (std::size_t i = 0; i < layout.count; ++i) {  // numbered outer first, then inner, then what an ICMP error quotes
    const std::uint8_t* ip = b + (layout.layers[i].ip - ip0);
    const bool v4 = (ip[0] >> 4) == 4;
    (void)map.map(v4 ? ip_address::v4(ip + 12) : ip_address::v6(ip + 8));
    (void)map.map(v4 ? ip_address::v4(ip + 16) : ip_address::v6(ip + 24));
  }
  for (std::size_t i = layout.count; i-- > 0;) {  // inner layers first: the outer checksums see them done
    auto l = layout.layers[i];
    l.ip -= static_cast<std::uint32_t>(ip0);
    l.transport -= l.has_transport ? static_cast<std::uint32_t>(ip0) : 0;
    detail::rewrite_layer(b, end, l, map);
  }
  const bool v4 = (b[0] >> 4) == 4;
  if (link_type == io::link::ethernet && ip0 >= 14) {
    std::copy_n(data, 12, out.begin());
  } else {
    std::fill_n(out.begin(), 12, std::uint8_t{0});
    out[0] = out[6] = 0x02;
    out[5] = v4 ? b[19] : b[39];   // destination's last byte
    out[11] = v4 ? b[15] : b[23];  // source's
  }
  detail::put16(out.data() + 12, v4 ? 0x0800 : 0x86dd);
  out_wire_len = std::max(out.size(), wire_len >= ip0 ? wire_len - ip0 + 14 : out.size());
  return true;
}

/// Background captures read once and planned: names, time shifts, address maps. `write` then
/// writes them with the generated packets, merged in time order.
class background_mix {
 public:
  /// One capture as planned.
  struct capture {
    std::filesystem::path file{};
    std::string name{};  ///< the file name, made unique among the mix's sources
    std::int64_t first_ns = 0;  ///< its earliest and latest kept packet, in its own time
    std::int64_t last_ns = 0;
    std::int64_t shift_ns = 0;  ///< added to its times
    std::uint64_t records = 0;  ///< records read (up to the damage, if any)
    std::uint64_t packets = 0;  ///< frames kept
    std::map<std::string, std::uint64_t> left_out{};  ///< frames not kept, by reason
    std::string damage{};  ///< empty, or the warning of a damaged capture
    address_map addresses{};
  };

  /// Reads every capture once: what it keeps, its time span and its address map. The generated
  /// part covers [start_ns, end_ns). Throws bad_trace naming a capture that cannot be read,
  /// bad_argument for more than 16 captures or a capture with more addresses than its range holds.
  background_mix(const background& opt, std::int64_t start_ns, std::int64_t end_ns) : start_ns_(start_ns), end_ns_(end_ns) {
    if (opt.files.size() > background::max_files)
      throw bad_argument(std::to_string(opt.files.size()) + " background captures given, at most " +
                         std::to_string(background::max_files) + " can be mixed (one /16 of 172.16.0.0/12 each)");
    std::optional<expose::detail::splitmix64> rng;
    if (opt.spread_seed) rng.emplace(*opt.spread_seed);
    std::map<std::string, int> names{{"generated", 1}};
    for (std::size_t i = 0; i < opt.files.size(); ++i) {
      capture c{.file = opt.files[i], .name = opt.files[i].filename().string()};
      if (const int seen = names[c.name]++; seen > 0) c.name += " (" + std::to_string(seen + 1) + ")";
      c.addresses = address_map(i, c.name);
      scan(c);
      const std::int64_t length = c.last_ns - c.first_ns;
      std::int64_t offset = 0;
      if (rng) {
        const std::int64_t room_us = std::max<std::int64_t>(0, (end_ns_ - start_ns_ - length / 2) / 1000);
        offset = static_cast<std::int64_t>(std::floor(rng->unit() * static_cast<double>(room_us + 1))) * 1000;
      }
      c.shift_ns = start_ns_ + offset - c.first_ns;
      captures_.push_back(std::move(c));
    }
  }

  [[nodiscard]] const std::vector<capture>& captures() const noexcept { return captures_; }

  /// Warnings of damaged captures (each names the file and where it ends).
  [[nodiscard]] std::vector<std::string> warnings() const {
    std::vector<std::string> w;
    for (const auto& c : captures_)
      if (!c.damage.empty()) w.push_back(c.damage + "; the mix holds the " + std::to_string(c.packets) + " packets before it");
    return w;
  }

  /// Writes the generated packets and every capture's, merged in time order (at equal times the
  /// generated packet first, then the captures in the order given). `generate(sink)` calls
  /// `sink(const packet&)` for each generated packet in time order; `out` takes `write(const
  /// packet&)` and `write_frame(ts_ns, data, caplen, wire_len)` (io::pcap_writer does). Returns
  /// the sources of the mixed trace, the generated part first, for `ground_truth::sources`.
  template <class Generate, class Writer>
  std::vector<truth_source> write(Generate&& generate, Writer& out) {
    std::vector<reader> readers;
    readers.reserve(captures_.size());
    for (auto& c : captures_) readers.push_back(reader{.plan = &c, .in = io::pcap_records(c.file)});
    auto later = [&](std::size_t a, std::size_t b) {
      return readers[a].ts_ns != readers[b].ts_ns ? readers[a].ts_ns > readers[b].ts_ns : a > b;
    };
    std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> order(later);
    for (std::size_t i = 0; i < readers.size(); ++i)
      if (readers[i].advance()) order.push(i);
    auto flush_before = [&](std::int64_t t, bool all) {
      while (!order.empty() && (all || readers[order.top()].ts_ns < t)) {
        const std::size_t i = order.top();
        order.pop();
        reader& r = readers[i];
        out.write_frame(r.ts_ns, r.frame.data(), r.frame.size(), r.wire_len);
        ++r.written;
        if (r.advance()) order.push(i);
      }
    };
    address_map generated;
    truth_source gen{.name = "generated", .start_ns = start_ns_, .end_ns = start_ns_};
    generate([&](const packet& p) {
      flush_before(p.ts_ns, false);
      generated.map(p.src);
      generated.map(p.dst);
      if (gen.packets++ == 0) gen.start_ns = p.ts_ns;
      gen.end_ns = p.ts_ns;
      out.write(p);
    });
    flush_before(0, true);
    for (const auto& a : generated.owned())
      if (address_map::in_background_ranges(a) && !captures_.empty())
        throw error("background: the generated part uses " + a.to_string() + ", inside the ranges kept for background captures");
    gen.addresses = generated.owned();
    gen.shared = generated.shared();
    std::vector<truth_source> sources{std::move(gen)};
    for (std::size_t i = 0; i < captures_.size(); ++i) {
      const capture& c = captures_[i];
      sources.push_back({.name = c.name,
                         .file = c.file.string(),
                         .start_ns = c.first_ns + c.shift_ns,
                         .end_ns = c.last_ns + c.shift_ns,
                         .shift_ns = c.shift_ns,
                         .packets = readers[i].written,
                         .v4_range = c.addresses.v4_range(),
                         .v6_range = c.addresses.v6_range(),
                         .addresses = c.addresses.owned(),
                         .mapping = c.addresses.mapping(),
                         .shared = c.addresses.shared(),
                         .left_out = c.left_out});
    }
    return sources;
  }

 private:
  // The second read of a capture: its next kept frame, rewritten, at its time in the mix.
  struct reader {
    capture* plan;
    io::pcap_records in;
    std::vector<std::uint8_t> frame{};
    std::size_t wire_len = 0;
    std::int64_t ts_ns = 0;
    std::uint64_t written = 0;

    bool advance() {
      while (in.records() < plan->records && in.next()) {
        const auto& r = in.current();
        if (!r.ts_ok) continue;
        io::skip_reason why{};
        if (!rewrite_frame(r.link_type, r.data, r.caplen, r.len, plan->addresses, frame, wire_len, why)) continue;
        ts_ns = r.ts_ns + plan->shift_ns;
        return true;
      }
      return false;
    }
  };

  // The first read: what is kept, the time span, every address mapped in order of first appearance.
  static void scan(capture& c) {
    io::pcap_records in(c.file);
    std::vector<std::uint8_t> frame;
    std::size_t wire_len = 0;
    bool any = false;
    while (in.next()) {
      const auto& r = in.current();
      if (!r.ts_ok) {
        ++c.left_out["bad-timestamp"];
        continue;
      }
      io::skip_reason why{};
      if (!rewrite_frame(r.link_type, r.data, r.caplen, r.len, c.addresses, frame, wire_len, why)) {
        ++c.left_out[std::string(io::reason_name(why))];
        continue;
      }
      ++c.packets;
      c.first_ns = any ? std::min(c.first_ns, r.ts_ns) : r.ts_ns;
      c.last_ns = any ? std::max(c.last_ns, r.ts_ns) : r.ts_ns;
      any = true;
    }
    c.records = in.records();
    c.damage = in.damage();
  }

  std::int64_t start_ns_ = 0, end_ns_ = 0;
  std::vector<capture> captures_;
};

}  // namespace expose::synth
