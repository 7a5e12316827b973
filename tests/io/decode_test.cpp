#include "expose/io/decode.hpp"

#include <utility>
#include <vector>

#include "doctest.hpp"
#include "expose/flow_key.hpp"
#include "expose/io/encode.hpp"

using namespace expose;
using io::skip_reason;
using bytes = std::vector<std::uint8_t>;

namespace {
packet tcp_packet(const char* s, const char* d) {
  packet p;
  p.src = *ip_address::parse(s);
  p.dst = *ip_address::parse(d);
  p.sport = 51234;
  p.dport = 80;
  p.proto = proto::tcp;
  p.tcp_flags = tcp_flag::syn;
  p.length = 60;
  return p;
}
// The IP packet of an Ethernet frame (its 14-byte header removed).
bytes ip_of(const packet& p) {
  const auto f = io::encode_ethernet(p);
  return bytes(f.begin() + 14, f.end());
}
bytes cat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
std::string decoded(int link, const bytes& frame, skip_reason expect = skip_reason::none) {
  packet out;
  const skip_reason why = io::decode(link, frame.data(), frame.size(), out);
  CHECK(why == expect);
  if (why != skip_reason::none) return std::string(io::reason_name(why));
  return exact({out.src, out.dst, out.sport, out.dport, out.proto}).text();
}
const bytes macs(12, 0x02);
}  // namespace

TEST_CASE("io.decode.ethernet_ipv4_tcp") {
  packet out;
  const auto f = io::encode_ethernet(tcp_packet("10.0.0.1", "10.0.0.2"));
  REQUIRE(io::decode(io::link::ethernet, f.data(), f.size(), out) == skip_reason::none);
  CHECK(exact({out.src, out.dst, out.sport, out.dport, out.proto}).text() == "10.0.0.1.51234 : 10.0.0.2.80 : tcp");
  CHECK(out.tcp_flags == tcp_flag::syn);
}

TEST_CASE("io.decode.vlan_qinq_mpls_pppoe") {
  const auto ip = ip_of(tcp_packet("10.0.0.1", "10.0.0.2"));
  const std::string want = "10.0.0.1.51234 : 10.0.0.2.80 : tcp";
  CHECK(decoded(io::link::ethernet, cat(cat(macs, {0x81, 0x00, 0x00, 0x64, 0x08, 0x00}), ip)) == want);
  CHECK(decoded(io::link::ethernet, cat(cat(macs, {0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00}), ip)) == want);
  // two MPLS labels, the second bottom-of-stack
  CHECK(decoded(io::link::ethernet, cat(cat(macs, {0x88, 0x47, 0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40}), ip)) == want);
  CHECK(decoded(io::link::ethernet, cat(cat(macs, {0x88, 0x64, 0x11, 0x00, 0x00, 0x01, 0x00, 0x40, 0x00, 0x21}), ip)) == want);
}

TEST_CASE("io.decode.linux_cooked_raw_loopback_ppp") {
  const auto ip = ip_of(tcp_packet("10.0.0.1", "10.0.0.2"));
  const std::string want = "10.0.0.1.51234 : 10.0.0.2.80 : tcp";
  bytes sll(16, 0);
  sll[14] = 0x08;
  CHECK(decoded(io::link::linux_sll, cat(sll, ip)) == want);
  bytes sll2(20, 0);
  sll2[0] = 0x08;
  CHECK(decoded(io::link::linux_sll2, cat(sll2, ip)) == want);
  CHECK(decoded(io::link::raw, ip) == want);
  CHECK(decoded(io::link::ipv4, ip) == want);
  CHECK(decoded(io::link::null, cat({2, 0, 0, 0}, ip)) == want);   // little-endian writer
  CHECK(decoded(io::link::null, cat({0, 0, 0, 2}, ip)) == want);   // big-endian writer
  CHECK(decoded(io::link::loop, cat({0, 0, 0, 2}, ip)) == want);
  CHECK(decoded(io::link::ppp, cat({0xff, 0x03, 0x00, 0x21}, ip)) == want);
  CHECK(decoded(io::link::ppp, cat({0x00, 0x21}, ip)) == want);
}

TEST_CASE("io.decode.ipv6_with_extension_headers") {
  auto ip = ip_of(tcp_packet("2001:db8::1", "2001:db8::2"));
  REQUIRE(ip.size() >= 60);
  CHECK(decoded(io::link::raw, ip) == "[2001:db8::1].51234 : [2001:db8::2].80 : tcp");
  // insert hop-by-hop (8 bytes) and a first fragment (offset 0) before TCP
  bytes ext{6 /*unused*/, 0, 0, 0, 0, 0, 0, 0};
  bytes frag{6, 0, 0x00, 0x01, 0, 0, 0, 1};  // offset 0, more fragments
  ext[0] = 44;  // hop-by-hop's next header: fragment
  ip[6] = 0;    // IPv6 next header: hop-by-hop
  bytes with(ip.begin(), ip.begin() + 40);
  with = cat(cat(cat(with, ext), frag), bytes(ip.begin() + 40, ip.end()));
  CHECK(decoded(io::link::raw, with) == "[2001:db8::1].51234 : [2001:db8::2].80 : tcp");
  with[40 + 8 + 2] = 0x01;  // fragment offset 32: a later fragment
  CHECK(decoded(io::link::raw, with, skip_reason::fragment) == "ip-fragment");
}

TEST_CASE("io.decode.reasons_for_what_is_not_a_packet") {
  auto ip = ip_of(tcp_packet("10.0.0.1", "10.0.0.2"));
  CHECK(decoded(io::link::ethernet, cat(macs, {0x08, 0x06, 0, 1}), skip_reason::non_ip) == "non-ip");  // ARP
  CHECK(decoded(io::link::ethernet, bytes(10, 0), skip_reason::truncated) == "truncated");
  CHECK(decoded(io::link::raw, bytes(ip.begin(), ip.begin() + 30), skip_reason::truncated) == "truncated");
  CHECK(decoded(io::link::raw, {0x70, 0, 0}, skip_reason::bad_ip) == "bad-ip-header");
  CHECK(decoded(147, ip, skip_reason::link_type) == "unsupported-link-type");
  auto frag = ip;
  frag[6] = 0x00;
  frag[7] = 0x10;  // fragment offset 16 bytes
  CHECK(decoded(io::link::raw, frag, skip_reason::fragment) == "ip-fragment");
  auto bad_ihl = ip;
  bad_ihl[0] = 0x44;
  CHECK(decoded(io::link::raw, bad_ihl, skip_reason::bad_ip) == "bad-ip-header");
}

TEST_CASE("io.decode.udp_icmp_and_other_protocols") {
  packet u = tcp_packet("10.0.0.1", "10.0.0.2");
  u.proto = proto::udp;
  u.sport = 5353;
  u.dport = 5353;
  CHECK(decoded(io::link::raw, ip_of(u)) == "10.0.0.1.5353 : 10.0.0.2.5353 : udp");
  packet i = u;
  i.proto = proto::icmp;
  i.icmp_type = 8;
  packet out;
  const auto ib = ip_of(i);
  REQUIRE(io::decode(io::link::raw, ib.data(), ib.size(), out) == skip_reason::none);
  CHECK(out.proto == proto::icmp);
  CHECK(out.icmp_type == 8);
  CHECK(out.sport == 0);
  packet g = u;
  g.proto = 89;  // OSPF: a flow between the hosts, no ports
  CHECK(decoded(io::link::raw, ip_of(g)) == "10.0.0.1.0 : 10.0.0.2.0 : 89");
}

TEST_CASE("io.decode.tunnels_key_the_inner_packet") {
  const auto inner = ip_of(tcp_packet("192.168.1.1", "192.168.1.2"));
  packet outer = tcp_packet("10.0.0.1", "10.0.0.2");
  outer.proto = 47;
  auto gre = ip_of(outer);
  gre.resize(20);
  gre = cat(cat(gre, {0x00, 0x00, 0x08, 0x00}), inner);
  CHECK(decoded(io::link::raw, gre) == "192.168.1.1.51234 : 192.168.1.2.80 : tcp");
  outer.proto = 4;
  auto ipip = ip_of(outer);
  ipip.resize(20);
  CHECK(decoded(io::link::raw, cat(ipip, inner)) == "192.168.1.1.51234 : 192.168.1.2.80 : tcp");
  CHECK(decoded(io::link::raw, cat(ipip, {0x45})) == "10.0.0.1.0 : 10.0.0.2.0 : 4");  // inner cut short: the tunnel
}

TEST_CASE("io.decode.wlan_data_frames") {
  const auto ip = ip_of(tcp_packet("10.0.0.1", "10.0.0.2"));
  bytes hdr(24, 0);
  hdr[0] = 0x08;  // data
  const bytes snap{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
  CHECK(decoded(io::link::ieee802_11, cat(cat(hdr, snap), ip)) == "10.0.0.1.51234 : 10.0.0.2.80 : tcp");
  bytes radiotap{0, 0, 8, 0, 0, 0, 0, 0};
  CHECK(decoded(io::link::radiotap, cat(cat(cat(radiotap, hdr), snap), ip)) == "10.0.0.1.51234 : 10.0.0.2.80 : tcp");
  bytes beacon(24, 0);
  beacon[0] = 0x80;
  CHECK(decoded(io::link::ieee802_11, beacon, skip_reason::wlan_control) == "802.11-control-or-management");
  auto prot = hdr;
  prot[1] = 0x40;
  CHECK(decoded(io::link::ieee802_11, cat(cat(prot, snap), ip), skip_reason::wlan_protected) == "802.11-encrypted");
}

namespace {
// An IPv4 header of protocol `proto` from 10.0.0.1 to 10.0.0.2 followed by `payload`.
bytes ipv4_carrying(std::uint8_t proto, const bytes& payload) {
  packet outer = tcp_packet("10.0.0.1", "10.0.0.2");
  outer.proto = proto;
  auto ip = ip_of(outer);
  ip.resize(20);
  return cat(ip, payload);
}
}  // namespace

TEST_CASE("io.decode.gre_variants_of_wireless_controllers_switches_and_pptp") {
  const auto inner = ip_of(tcp_packet("192.168.1.1", "192.168.1.2"));
  const std::string want = "192.168.1.1.51234 : 192.168.1.2.80 : tcp";
  const bytes ether = cat(cat(macs, {0x08, 0x00}), inner);
  // Aruba: GRE type 0x8200 carries the client's 802.11 QoS data frame, LLC/SNAP, IP
  bytes qos(26, 0);
  qos[0] = 0x88;
  const bytes snap{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
  CHECK(decoded(io::link::raw, ipv4_carrying(47, cat(cat({0x00, 0x00, 0x82, 0x00}, qos), cat(snap, inner)))) == want);
  // ERSPAN type II: sequence number in GRE, then an 8-byte ERSPAN header, then the mirrored frame
  CHECK(decoded(io::link::raw, ipv4_carrying(47, cat(cat({0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 7}, bytes(8, 0)), ether))) == want);
  // ERSPAN type I: no sequence number, no header
  CHECK(decoded(io::link::raw, ipv4_carrying(47, cat({0x00, 0x00, 0x88, 0xbe}, ether))) == want);
  // ERSPAN type III: 12-byte header, and 8 more when its O bit is set
  bytes e3(12, 0);
  CHECK(decoded(io::link::raw, ipv4_carrying(47, cat(cat({0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1}, e3), ether))) == want);
  e3[11] = 0x01;
  CHECK(decoded(io::link::raw, ipv4_carrying(47, cat(cat(cat({0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1}, e3), bytes(8, 0)), ether))) == want);
  // PPTP: enhanced GRE (version 1, key always, sequence number), PPP with address and control
  CHECK(decoded(io::link::raw, ipv4_carrying(47, cat({0x30, 0x01, 0x88, 0x0b, 0, 40, 0, 1, 0, 0, 0, 9, 0xff, 0x03, 0x00, 0x21}, inner))) ==
        want);
  // Encrypted PPTP payload (MPPE, protocol 0x00fd) or a GRE version 2: the tunnel itself is the flow
  CHECK(decoded(io::link::raw, ipv4_carrying(47, {0x30, 0x01, 0x88, 0x0b, 0, 4, 0, 1, 0, 0, 0, 9, 0x00, 0xfd, 1, 2})) ==
        "10.0.0.1.0 : 10.0.0.2.0 : 47");
  CHECK(decoded(io::link::raw, ipv4_carrying(47, cat({0x00, 0x02, 0x08, 0x00}, inner))) == "10.0.0.1.0 : 10.0.0.2.0 : 47");
}

namespace {
// The first and the last fragment of one IPv4 datagram (identification 0x1234): a TCP segment from
// 10.0.0.1.51234 to 10.0.0.2.80, its last fragment at offset 185 * 8.
std::pair<bytes, bytes> fragments_of_one_datagram() {
  auto first = ip_of(tcp_packet("10.0.0.1", "10.0.0.2"));
  first[4] = 0x12;
  first[5] = 0x34;
  first[6] = 0x20;  // more fragments, offset 0
  auto later = bytes(first.begin(), first.begin() + 20);
  later[6] = 0x00;
  later[7] = 185;
  return {first, cat(later, bytes(100, 0xee))};
}
}  // namespace

TEST_CASE("io.decode.later_fragments_join_the_flow_of_their_first") {
  const auto [first, later] = fragments_of_one_datagram();
  io::fragment_table table;
  auto run = [&](const bytes& f, std::int64_t ts, skip_reason expect = skip_reason::none) {
    packet out;
    out.ts_ns = ts;
    const skip_reason why = io::decode(io::link::raw, f.data(), f.size(), out, table);
    CHECK(why == expect);
    return why == skip_reason::none ? exact({out.src, out.dst, out.sport, out.dport, out.proto}).text() : std::string(io::reason_name(why));
  };
  CHECK(run(later, 0, skip_reason::fragment) == "ip-fragment");  // before its first: nothing to join
  CHECK(run(first, 1'000'000'000) == "10.0.0.1.51234 : 10.0.0.2.80 : tcp");
  CHECK(table.size() == 1);
  CHECK(run(later, 2'000'000'000) == "10.0.0.1.51234 : 10.0.0.2.80 : tcp");
  auto other = later;
  other[5] = 0x35;  // another datagram
  CHECK(run(other, 2'000'000'000, skip_reason::fragment) == "ip-fragment");
  // 30 s of trace time later the first fragment is forgotten
  CHECK(run(later, 31'000'000'001, skip_reason::fragment) == "ip-fragment");
  CHECK(table.size() == 0);
  // without a table, later fragments are skipped as before
  CHECK(decoded(io::link::raw, later, skip_reason::fragment) == "ip-fragment");

  // IPv6: the fragment header's identification, with a hop-by-hop header before it
  auto ip6 = ip_of(tcp_packet("2001:db8::1", "2001:db8::2"));
  ip6[6] = 0;
  const bytes hop{44, 0, 0, 0, 0, 0, 0, 0};
  const bytes frag_first{6, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef};
  const bytes frag_later{6, 0, 0x05, 0x00, 0xde, 0xad, 0xbe, 0xef};
  const bytes head(ip6.begin(), ip6.begin() + 40);
  CHECK(run(cat(cat(cat(head, hop), frag_first), bytes(ip6.begin() + 40, ip6.end())), 40'000'000'000) ==
        "[2001:db8::1].51234 : [2001:db8::2].80 : tcp");
  CHECK(run(cat(cat(cat(head, hop), frag_later), bytes(64, 0xee)), 40'000'000'001) == "[2001:db8::1].51234 : [2001:db8::2].80 : tcp");

  // the table holds at most its capacity, forgetting the oldest first
  io::fragment_table small({.capacity = 2});
  for (std::uint32_t id = 0; id < 5; ++id) small.first({ip_address::v4(1u), ip_address::v4(2u), id, proto::udp}, {1, 2, 0, 0}, 0);
  CHECK(small.size() == 2);
  CHECK_FALSE(small.later({ip_address::v4(1u), ip_address::v4(2u), 2, proto::udp}, 0));
  CHECK(small.later({ip_address::v4(1u), ip_address::v4(2u), 4, proto::udp}, 0)->dport == 2);
}

TEST_CASE("io.decode.a_range_reader_places_later_fragments_once_the_table_before_is_known") {
  const auto [first, later] = fragments_of_one_datagram();
  auto other = later;
  other[5] = 0x35;  // a datagram whose first fragment nobody saw
  constexpr std::int64_t s = 1'000'000'000;
  input_stats stats;
  std::vector<packet> taken;
  auto sink = [&](const packet& q) { taken.push_back(q); };
  auto read = [&](io::fragment_table& t, const bytes& f, std::int64_t ts) {
    packet p;
    io::decode_into(io::link::raw, f.data(), f.size(), 1500, ts, p, t, {}, stats, sink);
  };
  io::fragment_table before;  // the range before: it saw the first fragment
  read(before, first, 1 * s);
  io::fragment_table table;  // this range, from its start
  table.record();
  read(table, later, 2 * s);
  read(table, other, 3 * s);
  CHECK(taken.size() == 1);
  CHECK(stats.skipped.at("ip-fragment") == 2);
  CHECK(table.orphans() == 2);
  CHECK(table.recording());
  const auto r = table.replay(before.save());
  REQUIRE(r.placed.size() == 1);
  CHECK(exact({r.placed[0].src, r.placed[0].dst, r.placed[0].sport, r.placed[0].dport, r.placed[0].proto}).text() ==
        "10.0.0.1.51234 : 10.0.0.2.80 : tcp");
  CHECK(r.placed[0].ts_ns == 2 * s);
  CHECK(r.placed[0].length == 1500);
  CHECK(r.exact);
  CHECK(r.end.entries.size() == 1);  // still recording: the table it ends with is the replay's, with the datagram before

  // A timeout after its first question the table stops recording: from there its own run is right.
  io::fragment_table quiet;
  quiet.record();
  read(quiet, later, 2 * s);
  read(quiet, other, 40 * s);
  CHECK_FALSE(quiet.recording());
  CHECK(quiet.orphans() == 1);
  const auto q = quiet.replay(before.save());
  CHECK(q.placed.size() == 1);
  CHECK(q.exact);
  CHECK(q.end.entries.empty());

  // Time running backwards across the ranges: the datagram before outlives the recording.
  io::fragment_table late_before;
  read(late_before, first, 100 * s);
  CHECK_FALSE(quiet.replay(late_before.save()).exact);
}

TEST_CASE("io.decode.icmp_unreachable_joins_the_flow_it_quotes") {
  packet probe = tcp_packet("10.0.0.1", "10.0.0.9");
  probe.proto = proto::udp;
  probe.sport = 40000;
  probe.dport = 33434;
  const auto quoted = ip_of(probe);
  const bytes quote(quoted.begin(), quoted.begin() + 28);  // IP header and 8 bytes, as routers send
  packet icmp = tcp_packet("10.0.0.9", "10.0.0.1");
  icmp.proto = proto::icmp;
  auto error = [&](std::uint8_t type, std::uint8_t code) {
    auto ip = ip_of(icmp);
    ip.resize(20);
    return cat(cat(ip, {type, code, 0, 0, 0, 0, 0, 0}), quote);
  };
  // port unreachable: a packet of the probe's flow, from its destination back to its source
  CHECK(decoded(io::link::raw, error(3, 3)) == "10.0.0.9.33434 : 10.0.0.1.40000 : udp");
  // time exceeded (traceroute): the router's own ICMP flow
  CHECK(decoded(io::link::raw, error(11, 0)) == "10.0.0.9.0 : 10.0.0.1.0 : icmp");
  // a quote cut short stays ICMP
  auto cut = error(3, 1);
  cut.resize(cut.size() - 6);
  CHECK(decoded(io::link::raw, cut) == "10.0.0.9.0 : 10.0.0.1.0 : icmp");
  // and the option keeps every error apart
  packet out;
  const auto f = error(3, 3);
  REQUIRE(io::decode(io::link::raw, f.data(), f.size(), out, io::decode_options{.icmp_errors_join_quoted_flow = false}) ==
          skip_reason::none);
  CHECK(out.proto == proto::icmp);
  CHECK(out.icmp_type == 3);
  // ICMPv6 destination unreachable quoting a TCP SYN
  const auto syn6 = ip_of(tcp_packet("2001:db8::1", "2001:db8::2"));
  packet icmp6 = tcp_packet("2001:db8::ff", "2001:db8::1");
  icmp6.proto = proto::icmp6;
  auto ip6 = ip_of(icmp6);
  ip6.resize(40);
  CHECK(decoded(io::link::raw, cat(cat(ip6, {1, 4, 0, 0, 0, 0, 0, 0}), bytes(syn6.begin(), syn6.begin() + 48))) ==
        "[2001:db8::2].80 : [2001:db8::1].51234 : tcp");
}

TEST_CASE("io.decode.frame_layout_finds_the_ip_layers") {
  auto layout_of = [](int link, const bytes& frame) {
    io::frame_layout l;
    packet out;
    (void)io::decode(link, frame.data(), frame.size(), out, l);
    return l;
  };
  const auto ip = ip_of(tcp_packet("10.0.0.1", "10.0.0.2"));
  // Behind a VLAN tag: the IP header at 18, TCP at 38.
  auto l = layout_of(io::link::ethernet, cat(cat(macs, {0x81, 0x00, 0x00, 0x64, 0x08, 0x00}), ip));
  REQUIRE(l.count == 1);
  CHECK(l.layers[0].ip == 18);
  CHECK(l.layers[0].transport == 38);
  CHECK(l.layers[0].proto == proto::tcp);
  CHECK(l.layers[0].has_transport);
  // IPv6 with a hop-by-hop header: TCP after it.
  auto ip6 = ip_of(tcp_packet("2001:db8::1", "2001:db8::2"));
  bytes hop{6, 0, 0, 0, 0, 0, 0, 0};
  ip6[6] = 0;
  l = layout_of(io::link::raw, cat(cat(bytes(ip6.begin(), ip6.begin() + 40), hop), bytes(ip6.begin() + 40, ip6.end())));
  REQUIRE(l.count == 1);
  CHECK(l.layers[0].ip == 0);
  CHECK(l.layers[0].transport == 48);
  // IP in IP: two layers, the outer's transport is the inner header.
  packet outer = tcp_packet("192.0.2.1", "192.0.2.2");
  outer.proto = 4;
  auto ipip = ip_of(outer);
  ipip.resize(20);
  l = layout_of(io::link::raw, cat(ipip, ip));
  REQUIRE(l.count == 2);
  CHECK(l.layers[0].proto == 4);
  CHECK(l.layers[0].transport == 20);
  CHECK(l.layers[1].ip == 20);
  CHECK(l.layers[1].transport == 40);
  // A later fragment: the IP header, no transport. ARP: nothing. A cut TCP header: the IP header.
  auto later = ip;
  later[7] = 0x10;  // fragment offset 16 (x 8 bytes)
  l = layout_of(io::link::raw, later);
  REQUIRE(l.count == 1);
  CHECK_FALSE(l.layers[0].has_transport);
  CHECK(layout_of(io::link::ethernet, cat(macs, {0x08, 0x06, 0, 1})).count == 0);
  CHECK(layout_of(io::link::raw, bytes(ip.begin(), ip.begin() + 24)).count == 1);
}
