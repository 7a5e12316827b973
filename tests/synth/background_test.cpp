#include "expose/synth/background.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "doctest.hpp"
#include "fixtures.hpp"
#include "expose/accuracy.hpp"
#include "expose/io/decode.hpp"
#include "expose/io/pcap_file.hpp"
#include "expose/io/pcap_writer.hpp"
#include "expose/synth/generator.hpp"
#include "expose/synth/truth_json.hpp"

using namespace expose;
using expose_test::ip;
using expose_test::sec;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path background_file(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "expose-background-test";
  fs::create_directories(dir);
  return dir / name;
}

using bytes = std::vector<std::uint8_t>;

void put16(bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
std::uint16_t get16(const bytes& b, std::size_t at) { return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]); }

// The one's-complement sum of a run of bytes (not yet complemented), as a test's own reference.
std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t s = 0) {
  for (std::size_t i = 0; i < n; i += 2) s += static_cast<std::uint32_t>(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s;
}
// True when a checksum over [p, p+n) (the checksum field included) plus `pseudo` verifies.
bool verifies(const std::uint8_t* p, std::size_t n, std::uint32_t pseudo = 0) { return sum16(p, n, pseudo) == 0xffff; }
// The pseudo-header sum of IPv4 addresses at `ip` (src at +12, dst at +16), protocol and length.
std::uint32_t pseudo4(const std::uint8_t* ip, std::uint8_t proto, std::size_t len) {
  return sum16(ip + 12, 8, proto + static_cast<std::uint32_t>(len));
}
std::uint32_t pseudo6(const std::uint8_t* ip, std::uint8_t proto, std::size_t len) {
  return sum16(ip + 8, 32, proto + static_cast<std::uint32_t>(len));
}

// An IPv4 header of `total` bytes from `src` to `dst` with a right checksum, at `at` in `b`.
void ipv4_header(bytes& b, std::size_t at, const char* src, const char* dst, std::uint8_t proto, std::size_t total) {
  b[at] = 0x45;
  put16(b, at + 2, static_cast<std::uint16_t>(total));
  b[at + 8] = 64;
  b[at + 9] = proto;
  std::copy_n(ip(src).bytes().data() + 12, 4, b.begin() + static_cast<std::ptrdiff_t>(at + 12));
  std::copy_n(ip(dst).bytes().data() + 12, 4, b.begin() + static_cast<std::ptrdiff_t>(at + 16));
  put16(b, at + 10, 0);
  put16(b, at + 10, static_cast<std::uint16_t>(~sum16(b.data() + at, 20)));
}

// An Ethernet frame: IPv4, TCP with a 12-byte payload, every checksum right.
bytes tcp_frame(const char* src, const char* dst, std::uint16_t sport, std::uint16_t dport) {
  bytes f(14 + 20 + 20 + 12, 0);
  f[0] = 0xaa, f[5] = 0x01, f[6] = 0xbb, f[11] = 0x02;
  put16(f, 12, 0x0800);
  ipv4_header(f, 14, src, dst, proto::tcp, 52);
  put16(f, 34, sport);
  put16(f, 36, dport);
  f[34 + 12] = 0x50;
  f[34 + 13] = tcp_flag::ack;
  for (std::size_t i = 0; i < 12; ++i) f[54 + i] = static_cast<std::uint8_t>('a' + i);
  put16(f, 34 + 16, static_cast<std::uint16_t>(~sum16(f.data() + 34, 32, pseudo4(f.data() + 14, proto::tcp, 32))));
  return f;
}

// An Ethernet frame: IPv6, UDP with a 6-byte payload, the checksum right.
bytes udp6_frame(const char* src, const char* dst) {
  bytes f(14 + 40 + 8 + 6, 0);
  put16(f, 12, 0x86dd);
  f[14] = 0x60;
  put16(f, 18, 14);
  f[20] = proto::udp;
  f[21] = 64;
  std::copy_n(ip(src).bytes().data(), 16, f.begin() + 22);
  std::copy_n(ip(dst).bytes().data(), 16, f.begin() + 38);
  put16(f, 54, 5353);
  put16(f, 56, 5353);
  put16(f, 58, 14);
  for (std::size_t i = 0; i < 6; ++i) f[62 + i] = static_cast<std::uint8_t>(i + 1);
  put16(f, 60, static_cast<std::uint16_t>(~sum16(f.data() + 54, 14, pseudo6(f.data() + 14, proto::udp, 14))));
  return f;
}

// An Ethernet frame: ICMP port unreachable from `router` to `host`, quoting the whole UDP datagram
// `host` sent to `quoted_dst` (IPv4 header, UDP header, 4 bytes of payload), every checksum right.
bytes icmp_unreachable_frame(const char* router, const char* host, const char* quoted_dst) {
  const std::size_t quoted = 20 + 8 + 4, icmp = 8 + quoted;
  bytes f(14 + 20 + icmp, 0);
  put16(f, 12, 0x0800);
  ipv4_header(f, 14, router, host, proto::icmp, 20 + icmp);
  const std::size_t t = 34, q = t + 8;
  f[t] = 3;
  f[t + 1] = 3;
  ipv4_header(f, q, host, quoted_dst, proto::udp, quoted);
  put16(f, q + 20, 40001);
  put16(f, q + 22, 53);
  put16(f, q + 24, 12);
  f[q + 28] = 0xde, f[q + 29] = 0xad, f[q + 30] = 0xbe, f[q + 31] = 0xef;
  put16(f, q + 26, static_cast<std::uint16_t>(~sum16(f.data() + q + 20, 12, pseudo4(f.data() + q, proto::udp, 12))));
  put16(f, t + 2, static_cast<std::uint16_t>(~sum16(f.data() + t, icmp)));
  return f;
}

bytes arp_frame() {
  bytes f(42, 0);
  put16(f, 12, 0x0806);
  return f;
}

// A capture of `frames` at the given times (nanoseconds), written with libpcap.
fs::path capture(const std::string& name, const std::vector<std::pair<std::int64_t, bytes>>& frames) {
  const auto path = background_file(name);
  io::pcap_writer w(path, {.nanosecond = true});
  for (const auto& [ts, f] : frames) w.write_frame(ts, f.data(), f.size());
  return path;
}

// A writer that keeps what it is given.
struct recording_writer {
  struct frame {
    std::int64_t ts_ns;
    bytes data;
    std::size_t wire_len;
    bool generated;
  };
  std::vector<frame> frames;
  void write(const packet& p) { frames.push_back({p.ts_ns, {}, p.length, true}); }
  void write_frame(std::int64_t ts, const std::uint8_t* d, std::size_t caplen, std::size_t wire_len) {
    frames.push_back({ts, bytes(d, d + caplen), wire_len, false});
  }
};

constexpr std::int64_t t0 = 1767600000LL * sec;

packet generated_packet(std::int64_t ts) {
  packet p;
  p.ts_ns = ts;
  p.src = ip("10.1.0.1");
  p.dst = ip("10.0.0.53");
  p.sport = 40000;
  p.dport = 53;
  p.proto = proto::udp;
  p.length = 80;
  return p;
}

packet decoded(const bytes& frame) {
  packet p;
  REQUIRE(io::decode(io::link::ethernet, frame.data(), frame.size(), p) == io::skip_reason::none);
  return p;
}

}  // namespace

TEST_CASE("synth.background.address_map_is_exact") {
  synth::address_map m(0, "a.pcap");
  CHECK(m.map(ip("192.168.1.5")) == ip("172.16.0.1"));
  CHECK(m.map(ip("10.0.0.1")) == ip("172.16.0.2"));
  CHECK(m.map(ip("192.168.1.5")) == ip("172.16.0.1"));  // one-to-one: the same address again
  CHECK(m.map(ip("192.168.1.255")) == ip("172.16.0.255"));  // a directed broadcast stays one
  CHECK(m.map(ip("10.0.0.255")) == ip("172.16.1.255"));
  CHECK(m.map(ip("fe80::1")) == ip("fd00:0:1::1"));
  CHECK(m.map(ip("2001:db8::7")) == ip("fd00:0:1::2"));
  for (const char* kept : {"224.0.0.251", "239.255.255.250", "255.255.255.255", "0.0.0.0", "ff02::1:2", "::"})
    CHECK(m.map(ip(kept)) == ip(kept));
  CHECK(m.owned() == std::vector{ip("172.16.0.1"), ip("172.16.0.2"), ip("172.16.0.255"), ip("172.16.1.255"), ip("fd00:0:1::1"),
                                 ip("fd00:0:1::2")});
  CHECK(m.mapping().front() == std::pair{ip("192.168.1.5"), ip("172.16.0.1")});
  CHECK(m.mapping().size() == 6);
  CHECK(m.shared().size() == 6);
  CHECK(m.v4_range() == "172.16.0.0/16");
  CHECK(m.v6_range() == "fd00:0:1::/48");

  // The 254th unicast address ends the first /24; the next starts the second; no .0 nor .255.
  synth::address_map d(3, "d.pcap");
  for (std::uint32_t i = 0; i < 253; ++i) (void)d.map(ip_address::v4(0x0b000000u + i));
  CHECK(d.map(ip("12.0.0.1")) == ip("172.19.0.254"));
  CHECK(d.map(ip("12.0.0.2")) == ip("172.19.1.1"));
  CHECK(d.v6_range() == "fd00:0:4::/48");

  // A range holds 65024 unicast addresses: one more is an error naming the capture.
  synth::address_map full(1, "big.pcap");
  for (std::uint32_t i = 0; i < synth::address_map::v4_unicast_capacity; ++i) (void)full.map(ip_address::v4(0x0b000000u + 2 * i));
  CHECK(full.owned().back() == ip("172.17.255.254"));
  CHECK_THROWS_WITH_AS((void)full.map(ip("12.0.0.1")), doctest::Contains("background 'big.pcap': more than 65024 IPv4 unicast addresses"),
                       bad_argument);
  CHECK_THROWS_AS(synth::address_map(16, "x"), bad_argument);
}

TEST_CASE("synth.background.rewritten_tcp_checksums_verify") {
  synth::address_map m(2, "c.pcap");
  const auto in = tcp_frame("192.168.7.9", "93.184.216.34", 51000, 80);
  REQUIRE(verifies(in.data() + 14, 20));
  REQUIRE(verifies(in.data() + 34, 32, pseudo4(in.data() + 14, proto::tcp, 32)));
  bytes out;
  std::size_t wire = 0;
  io::skip_reason why{};
  REQUIRE(synth::rewrite_frame(io::link::ethernet, in.data(), in.size(), in.size(), m, out, wire, why));
  REQUIRE(out.size() == in.size());
  CHECK(wire == in.size());
  const auto p = decoded(out);
  CHECK(p.src == ip("172.18.0.1"));
  CHECK(p.dst == ip("172.18.0.2"));
  CHECK(p.sport == 51000);
  CHECK(verifies(out.data() + 14, 20));                                              // IPv4 header
  CHECK(verifies(out.data() + 34, 32, pseudo4(out.data() + 14, proto::tcp, 32)));  // TCP over the new pseudo-header
  CHECK(std::equal(out.begin(), out.begin() + 12, in.begin()));                      // Ethernet addresses kept
  CHECK(std::equal(out.begin() + 54, out.end(), in.begin() + 54));                   // payload untouched

  // Cut to the headers (a capture of snap length 54): the TCP checksum is still adjusted, so the
  // whole segment would verify.
  bytes cut_out;
  REQUIRE(synth::rewrite_frame(io::link::ethernet, in.data(), 54, in.size(), m, cut_out, wire, why));
  CHECK(wire == in.size());
  REQUIRE(cut_out.size() == 54);
  CHECK(get16(cut_out, 50) == get16(out, 50));

  // IPv6 UDP: the checksum over the pseudo-header follows the new addresses.
  const auto in6 = udp6_frame("fe80::aa", "2001:db8::1");
  REQUIRE(verifies(in6.data() + 54, 14, pseudo6(in6.data() + 14, proto::udp, 14)));
  bytes out6;
  REQUIRE(synth::rewrite_frame(io::link::ethernet, in6.data(), in6.size(), in6.size(), m, out6, wire, why));
  CHECK(decoded(out6).src == ip("fd00:0:3::1"));
  CHECK(verifies(out6.data() + 54, 14, pseudo6(out6.data() + 14, proto::udp, 14)));

  // No IP header: left out, with the reason.
  const auto arp = arp_frame();
  CHECK_FALSE(synth::rewrite_frame(io::link::ethernet, arp.data(), arp.size(), arp.size(), m, out, wire, why));
  CHECK(why == io::skip_reason::non_ip);
}

TEST_CASE("synth.background.icmp_error_quote_is_rewritten") {
  synth::address_map m(0, "a.pcap");
  (void)m.map(ip("192.168.1.10"));  // the host first: 172.16.0.1
  const auto in = icmp_unreachable_frame("192.168.1.1", "192.168.1.10", "8.8.8.8");
  const std::size_t t = 34, q = 42;
  REQUIRE(verifies(in.data() + t, in.size() - t));
  bytes out;
  std::size_t wire = 0;
  io::skip_reason why{};
  REQUIRE(synth::rewrite_frame(io::link::ethernet, in.data(), in.size(), in.size(), m, out, wire, why));
  auto v4 = [&](std::size_t at) { return ip_address::v4(out.data() + at); };
  CHECK(v4(14 + 12) == ip("172.16.0.2"));  // the router
  CHECK(v4(14 + 16) == ip("172.16.0.1"));  // the host
  CHECK(v4(q + 12) == ip("172.16.0.1"));   // quoted source: the host again
  CHECK(v4(q + 16) == ip("172.16.0.3"));   // quoted destination
  CHECK(verifies(out.data() + 14, 20));
  CHECK(verifies(out.data() + t, out.size() - t));                                    // ICMP over the changed quote
  CHECK(verifies(out.data() + q, 20));                                                // the quoted header's own
  CHECK(verifies(out.data() + q + 20, 12, pseudo4(out.data() + q, proto::udp, 12)));  // the quoted UDP datagram
  // The decoder joins the error to the quoted flow, now between mapped addresses.
  const auto p = decoded(out);
  CHECK(p.proto == proto::udp);
  CHECK(p.src == ip("172.16.0.3"));
  CHECK(p.dst == ip("172.16.0.1"));
  CHECK(p.sport == 53);
}

TEST_CASE("synth.background.time_shift_merge_and_left_out_frames") {
  const std::int64_t own = 1'300'000'000LL * sec;  // the capture's own time, long before
  const auto path = capture("shift.pcap", {{own + 5 * sec, tcp_frame("192.168.7.9", "93.184.216.34", 51000, 80)},
                                           {own + 5 * sec + 500, arp_frame()},
                                           {own + 6 * sec, tcp_frame("93.184.216.34", "192.168.7.9", 80, 51000)},
                                           {own + 7 * sec + 250'000'000, tcp_frame("192.168.7.9", "10.9.9.9", 51001, 443)}});
  synth::background_mix mix({.files = {path}}, t0, t0 + 60 * sec);
  REQUIRE(mix.captures().size() == 1);
  const auto& c = mix.captures().front();
  CHECK(c.name == "shift.pcap");
  CHECK(c.packets == 3);
  CHECK(c.records == 4);
  CHECK(c.left_out == std::map<std::string, std::uint64_t>{{"non-ip", 1}});
  CHECK(c.shift_ns == t0 - (own + 5 * sec));
  CHECK(mix.warnings().empty());

  recording_writer w;
  const auto sources = mix.write(
      [&](auto&& sink) {
        sink(generated_packet(t0));  // same time as the capture's first: the generated one first
        sink(generated_packet(t0 + 1500 * 1'000'000LL));
      },
      w);
  REQUIRE(w.frames.size() == 5);
  std::vector<std::int64_t> times;
  for (const auto& f : w.frames) times.push_back(f.ts_ns);
  CHECK(times == std::vector<std::int64_t>{t0, t0, t0 + sec, t0 + 1500'000'000, t0 + 2 * sec + 250'000'000});
  CHECK(w.frames[0].generated);
  CHECK_FALSE(w.frames[1].generated);
  CHECK(decoded(w.frames[1].data).src == ip("172.16.0.1"));
  CHECK(decoded(w.frames[2].data).src == ip("172.16.0.2"));
  CHECK(decoded(w.frames[4].data).dst == ip("172.16.0.3"));

  REQUIRE(sources.size() == 2);
  CHECK(sources[0].name == "generated");
  CHECK(sources[0].packets == 2);
  CHECK(sources[0].addresses == std::vector{ip("10.1.0.1"), ip("10.0.0.53")});
  CHECK(sources[1].name == "shift.pcap");
  CHECK(sources[1].packets == 3);
  CHECK(sources[1].start_ns == t0);
  CHECK(sources[1].end_ns == t0 + 2 * sec + 250'000'000);
  CHECK(sources[1].shift_ns == c.shift_ns);
  CHECK(sources[1].mapping == std::vector<std::pair<ip_address, ip_address>>{{ip("192.168.7.9"), ip("172.16.0.1")},
                                                                              {ip("93.184.216.34"), ip("172.16.0.2")},
                                                                              {ip("10.9.9.9"), ip("172.16.0.3")}});
  CHECK(sources[1].left_out == c.left_out);
}

TEST_CASE("synth.background.spread_is_reproducible_and_keeps_half_inside") {
  const std::int64_t own = 1'400'000'000LL * sec;
  const auto a = capture("spread-a.pcap", {{own, tcp_frame("192.168.1.1", "192.168.1.2", 1, 2)},
                                            {own + 40 * sec, tcp_frame("192.168.1.2", "192.168.1.1", 2, 1)}});
  const auto b = capture("spread-b.pcap", {{own, tcp_frame("192.168.1.1", "192.168.1.2", 1, 2)},
                                            {own + 200 * sec, tcp_frame("192.168.1.2", "192.168.1.1", 2, 1)}});
  const std::int64_t d = 100 * sec;
  auto starts = [&](std::uint64_t seed) {
    synth::background_mix mix({.files = {a, b, a}, .spread_seed = seed}, t0, t0 + d);
    std::vector<std::int64_t> out;
    for (const auto& c : mix.captures()) out.push_back(c.first_ns + c.shift_ns - t0);
    return out;
  };
  const auto first = starts(7);
  CHECK(starts(7) == first);
  CHECK(starts(8) != first);
  REQUIRE(first.size() == 3);
  CHECK(first[0] >= 0);
  CHECK(first[0] <= d - 20 * sec);  // 40 s long: starts within [0, D - L/2]
  CHECK(first[0] % 1000 == 0);      // whole microseconds
  CHECK(first[1] == 0);             // 200 s long, twice D: no room, it starts with the generated part
  CHECK(first[2] <= d - 20 * sec);
  CHECK(first[0] != first[2]);  // the same file twice: two draws
  // Without a seed every capture starts at the start.
  synth::background_mix fixed({.files = {a, b}}, t0, t0 + d);
  for (const auto& c : fixed.captures()) CHECK(c.first_ns + c.shift_ns == t0);
  CHECK(fixed.captures()[0].name == "spread-a.pcap");
  synth::background_mix twice({.files = {a, a}}, t0, t0 + d);
  CHECK(twice.captures()[1].name == "spread-a.pcap (2)");
}

TEST_CASE("synth.background.errors_name_the_file") {
  CHECK_THROWS_WITH_AS(synth::background_mix({.files = {background_file("no-such.pcap")}}, t0, t0 + sec), doctest::Contains("no-such.pcap"), bad_trace);
  std::vector<fs::path> many(17, background_file("no-such.pcap"));
  CHECK_THROWS_WITH_AS(synth::background_mix({.files = many}, t0, t0 + sec), doctest::Contains("at most 16"), bad_argument);
  // A damaged capture: the records before the damage and a warning naming it.
  const auto whole = capture("damaged.pcap", {{t0, tcp_frame("192.168.1.1", "192.168.1.2", 1, 2)},
                                              {t0 + sec, tcp_frame("192.168.1.2", "192.168.1.1", 2, 1)}});
  fs::resize_file(whole, fs::file_size(whole) - 10);
  synth::background_mix mix({.files = {whole}}, t0, t0 + sec);
  CHECK(mix.captures().front().packets == 1);
  REQUIRE(mix.warnings().size() == 1);
  CHECK(mix.warnings().front().find("damaged.pcap' is damaged after record 1") != std::string::npos);
  recording_writer w;
  const auto sources = mix.write([](auto&&) {}, w);
  CHECK(w.frames.size() == 1);
  CHECK(sources[1].packets == 1);
}

TEST_CASE("synth.background.truth_sources_round_trip") {
  auto t = synth::generator{.seed = 3, .duration = 60s, .hosts = 5}.truth();
  CHECK(synth::to_json(t).contains("sources") == false);  // a generated trace alone: as before
  t.sources.push_back({.name = "generated", .start_ns = t0, .end_ns = t0 + 59 * sec, .packets = 12,
                       .addresses = {ip("10.1.0.1"), ip("10.0.0.53")}, .shared = {ip("255.255.255.255")}});
  t.sources.push_back({.name = "a.pcap",
                       .file = "traces/a.pcap",
                       .start_ns = t0,
                       .end_ns = t0 + 30 * sec,
                       .shift_ns = -1'234'567'891,
                       .packets = 7,
                       .v4_range = "172.16.0.0/16",
                       .v6_range = "fd00:0:1::/48",
                       .addresses = {ip("172.16.0.1"), ip("fd00:0:1::1")},
                       .mapping = {{ip("192.168.1.5"), ip("172.16.0.1")}, {ip("fe80::1"), ip("fd00:0:1::1")}},
                       .shared = {ip("224.0.0.251")},
                       .left_out = {{"non-ip", 3}}});
  std::stringstream s;
  synth::write_json(s, t);
  const auto back = synth::read_truth_json(s);
  CHECK(back == t);
  const auto j = nlohmann::json::parse(synth::to_json(t).dump());
  CHECK(j["sources"][1]["mapping"][0] == nlohmann::json::array({"192.168.1.5", "172.16.0.1"}));
  CHECK(j["sources"][1]["left_out"]["non-ip"] == 3);
  std::istringstream bad(R"({"patterns": [], "sources": [{"name": "a", "addresses": ["10.0.0.300"]}]})");
  CHECK_THROWS_WITH_AS((void)synth::read_truth_json(bad), doctest::Contains("source 'a' addresses: \"10.0.0.300\" is not an IP address"),
                       bad_argument);
}

TEST_CASE("synth.background.real_traces_mix") {
  const char* dir = std::getenv("EXPOSE_TRACE_DIR");
  if (dir == nullptr) {
    std::printf("SKIPPED: EXPOSE_TRACE_DIR is not set, so synth.background.real_traces_mix reads no real trace\n");
    return;
  }
  // gnutella: 1343 IP packets; honeynet: 745 records, 20 of them not IP (ARP); the pcapng: 885
  // records, 3 not IP. Mixed under a generated part with nothing planted but one DNS exchange rate.
  const std::vector<fs::path> files = {fs::path(dir) / "ppa_gnutella.pcap", fs::path(dir) / "honeynet2010-2_suspicious-time.pcap",
                                       fs::path(dir) / "wireshark_logistics_multicast.pcapng"};
  const synth::generator gen{.seed = 2, .duration = 300s, .hosts = 3, .noise_per_second = 0, .heavy_flows = 0};
  synth::background_mix mix({.files = files, .spread_seed = 11}, gen.start_ns, gen.start_ns + 300 * sec);
  CHECK(mix.captures()[0].packets == 1343);
  CHECK(mix.captures()[1].packets == 725);
  CHECK(mix.captures()[1].left_out == std::map<std::string, std::uint64_t>{{"non-ip", 20}});
  CHECK(mix.captures()[2].packets == 882);
  const auto path = background_file("real-mix.pcap");
  std::vector<synth::truth_source> sources;
  std::uint64_t generated = 0;
  {
    io::pcap_writer out(path, {.snaplen = 262144});
    sources = mix.write(
        [&](auto&& sink) {
          gen.generate([&](const packet& p) {
            ++generated;
            sink(p);
          });
        },
        out);
  }
  CHECK(sources[0].packets == generated);
  // Read back: exactly the sum of the sources, every one decoded, in time order.
  input_stats stats;
  std::vector<packet> packets;
  io::pcap_file(path).read([&](const packet& p) { packets.push_back(p); }, stats);
  CHECK(stats.packets == generated + 1343 + 725 + 882);
  CHECK(stats.decoded == stats.packets);
  CHECK(std::is_sorted(packets.begin(), packets.end(), [](const packet& x, const packet& y) { return x.ts_ns < y.ts_ns; }));
  // The sources' addresses are disjoint, and every address in the trace is owned by one or shared.
  std::set<ip_address> owned, shared;
  for (const auto& s : sources) {
    for (const auto& a : s.addresses) {
      CAPTURE(a.to_string());
      CHECK(owned.insert(a).second);
    }
    shared.insert(s.shared.begin(), s.shared.end());
  }
  for (const auto& a : shared) CHECK(owned.count(a) == 0);
  for (const auto& p : packets) {
    CHECK((owned.count(p.src) + shared.count(p.src)) == 1);
    CHECK((owned.count(p.dst) + shared.count(p.dst)) == 1);
  }
  // Each capture's mapped addresses are exactly the originals' count.
  CHECK(sources[1].mapping.size() == sources[1].addresses.size());
  CHECK(sources[1].addresses.size() == 82);
  // Rules across captures are false; within one capture, not judged.
  synth::ground_truth truth = gen.truth();
  truth.sources = sources;
  const source_index index(truth);
  CHECK(index.owner(sources[2].addresses.front()) == 2u);
  CHECK_FALSE(index.owner(ip("255.255.255.255")).has_value());
}
