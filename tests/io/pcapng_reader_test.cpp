#include "expose/io/pcapng_reader.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "doctest.hpp"
#include "fixtures.hpp"
#include "expose/flow_key.hpp"
#include "expose/io/encode.hpp"
#include "expose/io/pcap_file.hpp"

using namespace expose;
using expose_test::read_all;
namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;

namespace {
// A pcapng file built block by block, in either byte order.
struct pcapng {
  bool big = false;
  bytes out;
  void u16(std::uint16_t v) {
    if (big) out.insert(out.end(), {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
    else out.insert(out.end(), {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)});
  }
  void u32(std::uint32_t v) {
    if (big) { u16(static_cast<std::uint16_t>(v >> 16)); u16(static_cast<std::uint16_t>(v)); }
    else { u16(static_cast<std::uint16_t>(v)); u16(static_cast<std::uint16_t>(v >> 16)); }
  }
  void block(std::uint32_t type, const bytes& body) {
    const auto padded = (body.size() + 3) / 4 * 4;
    const auto total = static_cast<std::uint32_t>(12 + padded);
    u32(type);
    u32(total);
    out.insert(out.end(), body.begin(), body.end());
    out.insert(out.end(), padded - body.size(), 0);
    u32(total);
  }
  bytes body(const std::vector<std::uint32_t>& words, const bytes& tail = {}) {
    pcapng b{big, {}};
    for (auto w : words) b.u32(w);
    b.out.insert(b.out.end(), tail.begin(), tail.end());
    return b.out;
  }
  void section() { block(0x0a0d0d0a, body({0x1a2b3c4d, 0x00000001, 0xffffffff, 0xffffffff})); }
  void interface(std::uint16_t link, std::int8_t tsresol = -1) {
    pcapng b{big, {}};
    b.u16(link); b.u16(0); b.u32(65535);
    if (tsresol >= 0) { b.u16(9); b.u16(1); b.out.insert(b.out.end(), {static_cast<std::uint8_t>(tsresol), 0, 0, 0}); }
    b.u16(0); b.u16(0);
    block(1, b.out);
  }
  void packet(std::uint32_t iface, std::uint64_t ts, const bytes& frame) {
    block(6, body({iface, static_cast<std::uint32_t>(ts >> 32), static_cast<std::uint32_t>(ts), static_cast<std::uint32_t>(frame.size()),
                   static_cast<std::uint32_t>(frame.size())}, frame));
  }
  fs::path write(const std::string& name) const {
    const auto path = fs::temp_directory_path() / ("expose_pcapng_" + name);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
    return path;
  }
};

expose::packet make(std::uint8_t proto, std::uint16_t dport) {
  expose::packet p;
  p.src = ip_address::v4(0x0a000002u);
  p.dst = ip_address::v4(0x0a000001u);
  p.sport = 40000;
  p.dport = dport;
  p.proto = proto;
  return p;
}
bytes ethernet_frame(std::uint8_t proto, std::uint16_t dport) { return io::encode_ethernet(make(proto, dport)); }
bytes raw_ip(std::uint8_t proto, std::uint16_t dport) {
  const auto f = io::encode_ethernet(make(proto, dport));
  return bytes(f.begin() + 14, f.end());
}

// Ethernet (nanosecond stamps) and raw IP (microsecond stamps, the default) in one section.
pcapng mixed(bool big) {
  pcapng f{big, {}};
  f.section();
  f.interface(1, 9);
  f.block(0x00000bad, {1, 2, 3, 4});  // a block type the reader does not know: passed over
  f.interface(101);
  f.packet(0, 1'600'000'000'000'000'123ULL, ethernet_frame(proto::udp, 53));
  f.packet(1, 1'600'000'001'000'001ULL, raw_ip(proto::tcp, 443));
  f.packet(0, 1'600'000'002'000'000'000ULL, ethernet_frame(proto::udp, 123));
  return f;
}

}  // namespace

TEST_CASE("io.pcapng_reader.interfaces_of_different_link_types_in_either_byte_order") {
  for (const bool big : {false, true}) {
    CAPTURE(big);
    io::pcapng_reader r(mixed(big).write(big ? "mixed_be.pcapng" : "mixed_le.pcapng"));
    io::pcapng_reader::record rec;
    REQUIRE(r.next(rec));
    CHECK(rec.link_type == 1);
    CHECK(rec.ts_ns == 1'600'000'000'000'000'123LL);
    CHECK(rec.caplen == ethernet_frame(proto::udp, 53).size());
    REQUIRE(r.next(rec));
    CHECK(rec.link_type == 101);
    CHECK(rec.ts_ns == 1'600'000'001'000'001'000LL);
    REQUIRE(r.next(rec));
    CHECK(rec.link_type == 1);
    CHECK(rec.ts_ns == 1'600'000'002'000'000'000LL);
    CHECK_FALSE(r.next(rec));
    CHECK(r.error().empty());
  }
}

TEST_CASE("io.pcapng_reader.pcap_files_reads_on_where_libpcap_refuses") {
  const auto path = mixed(false).write("mixed.pcapng");
  const auto c = read_all(io::pcap_file(path));
  CHECK(c.stats.packets == 3);
  CHECK(c.stats.decoded == 3);
  CHECK_FALSE(c.stats.damaged);
  REQUIRE(c.packets.size() == 3);
  CHECK(c.packets[1].ts_ns == 1'600'000'001'000'001'000LL);
  CHECK(exact({c.packets[1].src, c.packets[1].dst, c.packets[1].sport, c.packets[1].dport, c.packets[1].proto}).text() ==
        "10.0.0.2.40000 : 10.0.0.1.443 : tcp");
  // the filter is compiled for each link type
  const auto f = read_all(io::pcap_file(path, {.filter = "udp"}));
  CHECK(f.stats.decoded == 2);
  CHECK(f.stats.skipped.at("filtered") == 1);
}

TEST_CASE("io.pcapng_reader.damage_keeps_what_came_before") {
  auto f = mixed(false);
  const auto whole = f.out.size();
  f.out.resize(whole - 10);  // the last packet block cut short
  const auto path = f.write("cut.pcapng");
  const auto c = read_all(io::pcap_file(path));
  CHECK(c.stats.packets == 2);
  CHECK(c.stats.damaged);
  REQUIRE(c.stats.warnings.size() == 1);
  const auto last_block = whole - (12 + (ethernet_frame(proto::udp, 123).size() + 3) / 4 * 4 + 20);
  CHECK(c.stats.warnings[0].find("is damaged after record 2 (at byte " + std::to_string(last_block) + "): a block cut short") !=
        std::string::npos);

  pcapng g{false, {}};
  g.section();
  g.interface(1);
  g.interface(101);
  g.packet(7, 1, ethernet_frame(proto::udp, 53));
  io::pcapng_reader r(g.write("undescribed.pcapng"));
  io::pcapng_reader::record rec;
  CHECK_FALSE(r.next(rec));
  CHECK(r.error() == "a packet of interface 7, which was not described");

  pcapng h{false, {}};
  h.section();
  h.interface(1, 9);
  h.packet(0, ~0ULL, ethernet_frame(proto::udp, 53));  // 2^64 - 1 ns: year 2554, past int64 nanoseconds
  io::pcapng_reader far(h.write("far.pcapng"));
  REQUIRE(far.next(rec));
  CHECK_FALSE(rec.time_ok);

  io::pcapng_reader none("/nonexistent/x.pcapng");
  CHECK_FALSE(none.next(rec));
  CHECK(none.error() == "cannot open it");
}
