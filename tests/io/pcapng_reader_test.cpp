#include "expose/io/pcapng_reader.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "doctest.hpp"
#include "fixtures.hpp"
#include "expose/flow_key.hpp"
#include "expose/io/encode.hpp"
#include "expose/io/pcap_file.hpp"

using namespace expose;
using expose_test::read_all;
using pcapng = expose_test::pcapng_builder;
namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;

namespace {
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
  const auto last_total = 12 + (ethernet_frame(proto::udp, 123).size() + 3) / 4 * 4 + 20;  // libpcap's words, where it stands
  CHECK(c.stats.warnings[0].find("is damaged after record 2 (near byte " + std::to_string(whole - 10) +
                                 "): truncated pcapng dump file; tried to read " + std::to_string(last_total - 8) + " bytes, only got " +
                                 std::to_string(last_total - 18)) != std::string::npos);

  pcapng g{false, {}};
  g.section();
  g.interface(1);
  g.interface(101);
  g.packet(7, 1, ethernet_frame(proto::udp, 53));
  io::pcapng_reader r(g.write("undescribed.pcapng"));
  io::pcapng_reader::record rec;
  CHECK_FALSE(r.next(rec));
  CHECK(r.error() == "a packet arrived on interface 7, but there's no Interface Description Block for that interface");

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

TEST_CASE("io.pcapng_reader.captured_length_beyond_the_snapshot_is_damage_as_libpcap_says") {
  pcapng f{false, {}};
  f.section();
  f.interface(1, 9, 64);  // the file's snapshot length: the first interface's
  f.packet(0, 1'000, bytes(60, 0));
  f.packet(0, 2'000, bytes(100, 0));
  const auto path = f.write("beyond_snapshot.pcapng");
  io::pcapng_reader own(path);
  io::pcapng_reader::record rec;
  REQUIRE(own.next(rec));
  CHECK(rec.caplen == 60);
  CHECK_FALSE(own.next(rec));
  CHECK(own.error() == "invalid packet capture length 100, bigger than snaplen of 64");
  const auto c = read_all(io::pcap_file(path));  // libpcap
  CHECK(c.stats.packets == 1);
  REQUIRE(c.stats.warnings.size() == 1);
  CHECK(c.stats.warnings[0].find("invalid packet capture length 100, bigger than snaplen of 64") != std::string::npos);
}

TEST_CASE("io.pcapng_reader.read_on_from_a_block_in_the_middle") {
  for (const bool big : {false, true}) {
    CAPTURE(big);
    const auto f = mixed(big);
    const auto path = f.write(big ? "middle_be.pcapng" : "middle_le.pcapng");
    const auto leading = io::pcapng_reader::leading_section(path);
    REQUIRE(leading);
    CHECK(leading->state.big == big);
    REQUIRE(leading->state.interfaces.size() == 2);
    CHECK(leading->state.interfaces[0].units == 1'000'000'000);
    CHECK(leading->state.interfaces[1].link_type == 101);
    CHECK(leading->state.snapshot == 65535);
    // the first packet block follows the section header, the interfaces and the unknown block
    const std::uint64_t first = 28 + 32 + 16 + 24;
    CHECK(leading->first_packet == first);
    io::pcapng_reader all(path);
    io::pcapng_reader::record rec, again;
    REQUIRE(all.next(rec));
    const std::uint64_t second = all.position();
    io::pcapng_reader from(path, second, leading->state);
    REQUIRE(all.next(rec));
    REQUIRE(from.next(again));
    CHECK(again.link_type == rec.link_type);
    CHECK(again.ts_ns == rec.ts_ns);
    CHECK(again.caplen == rec.caplen);
    // a reader stops before the first block that starts at or after `end`
    const std::uint64_t third = from.position();
    CHECK_FALSE(from.next(again, third));
    CHECK(from.offset() == third);
    CHECK(from.error().empty());
    CHECK(from.next(again));
    CHECK(from.state() == leading->state);
  }
  CHECK_FALSE(io::pcapng_reader::leading_section("/nonexistent/x.pcapng"));
  pcapng no_section{false, {}};
  no_section.interface(1);
  CHECK_FALSE(io::pcapng_reader::leading_section(no_section.write("no_section.pcapng")));
}

TEST_CASE("io.pcapng_reader.snapshot_lengths_and_simple_packets_as_libpcap_reads_them") {
  // libpcap takes the first interface's snapshot length (0: the link type's largest) for the file
  // and stops at an interface that says another.
  for (const auto& [first, second, packets] : {std::tuple{0u, 0u, 2}, {0u, 262144u, 2}, {65535u, 0u, 1}, {300000u, 0u, 1}, {100u, 200u, 1}}) {
    CAPTURE(first);
    CAPTURE(second);
    pcapng f{false, {}};
    f.section();
    f.interface(1, 9, first);
    f.packet(0, 1000, bytes(60, 0));
    f.interface(1, 9, second);
    f.packet(1, 2000, bytes(60, 0));
    const auto path = f.write("snapshots.pcapng");
    const auto c = read_all(io::pcap_file(path));  // libpcap
    CHECK(c.stats.packets == static_cast<std::uint64_t>(packets));
    io::pcapng_reader own(path);
    io::pcapng_reader::record rec;
    int n = 0;
    while (own.next(rec)) ++n;
    CHECK(n == packets);
    CHECK(own.error().empty() == (packets == 2));
    if (packets == 1) {
      REQUIRE(c.stats.warnings.size() == 1);
      CHECK(c.stats.warnings[0].find("different from the snapshot length of the first interface") != std::string::npos);
      CHECK(own.error().find("different from the snapshot length of") != std::string::npos);
    }
  }
  // A simple packet block has time 0 (libpcap gives it no other); a block whose trailing length
  // differs from its own is damage.
  pcapng g{false, {}};
  g.section();
  g.interface(1, 9, 0);
  g.packet(0, 5'000'000'000, bytes(60, 0));
  pcapng spb{false, {}};
  spb.u32(60);
  spb.out.resize(64, 0);
  g.block(3, spb.out);
  const auto path = g.write("simple.pcapng");
  io::pcapng_reader own(path);
  io::pcapng_reader::record rec;
  REQUIRE(own.next(rec));
  CHECK(rec.ts_ns == 5'000'000'000);
  REQUIRE(own.next(rec));
  CHECK(rec.ts_ns == 0);
  CHECK(rec.caplen == 60);
  const auto c = read_all(io::pcap_file(path));  // libpcap agrees
  REQUIRE(c.stats.packets == 2);
  g.out[g.out.size() - 1] = 0x7f;  // the last block's trailing length
  io::pcapng_reader bad(g.write("trailer.pcapng"));
  CHECK(bad.next(rec));
  CHECK_FALSE(bad.next(rec));
  CHECK(bad.error() == "block total length in header and trailer don't match");
}

TEST_CASE("io.pcapng_reader.interface_options_libpcap_refuses_are_damage_in_its_words") {
  // An interface described in a later section with an option libpcap 1.10's process_idb_options
  // refuses: libpcap stops there, and so does the reader, with the same words (it took them as
  // they came before 2026-12-07, and the ranges of expose-mine-mpi read on).
  const auto option = [](std::uint16_t code, bytes value) {
    bytes o{static_cast<std::uint8_t>(code), static_cast<std::uint8_t>(code >> 8), static_cast<std::uint8_t>(value.size()), 0};
    o.insert(o.end(), value.begin(), value.end());
    o.resize((o.size() + 3) / 4 * 4, 0);
    return o;
  };
  const std::vector<std::pair<bytes, std::string>> cases = {
      {option(9, {20}), "Interface Description Block if_tsresol option resolution 10^-20 is too high"},
      {option(9, {0x80 | 70}), "Interface Description Block if_tsresol option resolution 2^-70 is too high"},
      {option(9, {6, 0}), "Interface Description Block has if_tsresol option with length 2 != 1"},
      {[&] { auto o = option(9, {6}); const auto t = option(9, {6}); o.insert(o.end(), t.begin(), t.end()); return o; }(),
       "Interface Description Block has more than one if_tsresol option"},
      {option(14, bytes(4, 0)), "Interface Description Block has if_tsoffset option with length 4 != 8"},
      {[&] { auto o = option(14, bytes(8, 0)); const auto t = option(14, bytes(8, 0)); o.insert(o.end(), t.begin(), t.end()); return o; }(),
       "Interface Description Block has more than one if_tsoffset option"},
      {option(0, bytes(4, 0)), "Interface Description Block has opt_endofopt option with length 4 != 0"},
      {bytes{2, 0, 40, 0, 'a', 'b', 'c', 'd'}, "block of type 1 in pcapng dump file is too short"},
  };
  for (std::size_t c = 0; c < cases.size(); ++c) {
    CAPTURE(c);
    pcapng f{false, {}};
    f.section();
    f.interface(1);
    f.packet(0, 1'000, ethernet_frame(proto::udp, 53));
    f.section();
    pcapng idb{false, {}};
    idb.u16(1);
    idb.u16(0);
    idb.u32(65535);
    idb.out.insert(idb.out.end(), cases[c].first.begin(), cases[c].first.end());
    f.block(1, idb.out);
    f.packet(0, 2'000, ethernet_frame(proto::udp, 53));
    const auto path = f.write("bad_option.pcapng");
    io::pcapng_reader own(path);
    io::pcapng_reader::record rec;
    REQUIRE(own.next(rec));
    CHECK_FALSE(own.next(rec));
    CHECK(own.error() == cases[c].second);
    const auto whole = read_all(io::pcap_file(path));  // libpcap
    CHECK(whole.stats.packets == 1);
    REQUIRE(whole.stats.warnings.size() == 1);
    CHECK(whole.stats.warnings[0].find(cases[c].second) != std::string::npos);
  }
}
