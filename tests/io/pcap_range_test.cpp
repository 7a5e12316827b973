#include "expose/io/pcap_range.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "doctest.hpp"
#include "fixtures.hpp"
#include "pcap_bytes.hpp"
#include "expose/detail/random.hpp"
#include "expose/io/pcap_file.hpp"
#include "expose/io/pcap_writer.hpp"

using namespace expose;
using expose_test::collected;
using expose_test::file_bytes;
using expose_test::put_bytes;
using expose_test::record_starts;
using expose_test::write_range_trace;
namespace fs = std::filesystem;

namespace {
fs::path range_file(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "expose-pcap-range-test";
  fs::create_directories(dir);
  return dir / name;
}

bool same(const packet& a, const packet& b) {
  return a.ts_ns == b.ts_ns && a.src == b.src && a.dst == b.dst && a.sport == b.sport && a.dport == b.dport && a.proto == b.proto &&
         a.length == b.length;
}

// The packets and counts of a file read in parts are those of one whole read.
void check_one_read(const collected& joined, const collected& whole) {
  CHECK(joined.stats.packets == whole.stats.packets);
  CHECK(joined.stats.decoded == whole.stats.decoded);
  CHECK(joined.stats.skipped == whole.stats.skipped);
  CHECK_FALSE(joined.stats.damaged);
  REQUIRE(joined.packets.size() == whole.packets.size());
  for (std::size_t i = 0; i < whole.packets.size(); ++i)
    if (!same(joined.packets[i], whole.packets[i])) FAIL_CHECK("packet " << i << " differs");
}
}  // namespace

TEST_CASE("io.pcap_range.boundary_found_from_every_byte") {
  for (bool nano : {false, true}) {
    const auto path = range_file(nano ? "every-nano.pcap" : "every.pcap");
    write_range_trace(path, 1'700'000'000'000'000'000LL, 300, 7, nano);
    const std::vector<char> trace = file_bytes(path);
    const auto* data = reinterpret_cast<const std::uint8_t*>(trace.data());
    const auto h = io::read_classic_header(path);
    REQUIRE(h.has_value());
    CHECK(h->nanos == nano);
    const std::vector<std::size_t> starts = record_starts(trace);  // the true record boundaries
    std::size_t next = 0;
    for (std::uint64_t at = 24; at < trace.size(); ++at) {
      while (next < starts.size() && starts[next] < at) ++next;
      const std::uint64_t want = next < starts.size() ? starts[next] : trace.size();
      const auto got = io::find_record_boundary(*h, data + at, trace.size() - at, at, true);
      REQUIRE(got.has_value());
      if (*got != want) FAIL_CHECK("from byte " << at << ": boundary " << *got << ", expected " << want);
    }
  }
}

TEST_CASE("io.pcap_range.ambiguous_headers_are_detected") {
  // Payload crafted to hold this file's own record headers can fool the search; the reader of the
  // range before then stops elsewhere than the boundary found, which expose::mpi sees, and reads
  // the range again from where the one before stopped (pcap_slice::exact): one read's records.
  const auto path = range_file("crafted.pcap");
  write_range_trace(path, 1'700'000'000'000'000'000LL, 300, 7, false, true);
  const auto size = fs::file_size(path);
  // Cut points: every 97th byte of the file, and every 7th byte of a stretch where crafted
  // headers lie (bytes 15,089 to 15,131 fool the search). Every 7th byte of the whole file is 13,000
  // reads, 2.5 minutes under AddressSanitizer, mostly the same case over again.
  std::vector<std::uint64_t> cuts;
  for (std::uint64_t at = 25; at < size; at += 97) cuts.push_back(at);
  for (std::uint64_t at = 14'000; at < 16'500 && at < size; at += 7) cuts.push_back(at);
  int fooled = 0;
  for (const std::uint64_t at : cuts) {
    io::pcap_slices before({{path, 0, at}}), after({{path, at, UINT64_MAX}});
    input_stats s1, s2;
    before.read([](const packet&) {}, s1);
    after.read([](const packet&) {}, s2);
    if (before.stops()[0] != after.starts()[0]) {
      ++fooled;
      io::pcap_slices again({{path, before.stops()[0], UINT64_MAX, true}});
      input_stats s3;
      again.read([](const packet&) {}, s3);
      CHECK(again.starts()[0] == before.stops()[0]);
      CHECK(s1.packets + s3.packets == 300);
      CHECK_FALSE(s3.damaged);
    } else {
      CHECK(s1.packets + s2.packets == 300);
    }
  }
  MESSAGE("crafted payload: " << fooled << " cut points resynchronized wrongly, each detected");
  CHECK(fooled > 0);  // the crafted payload does fool the search, so the detection is exercised
}

TEST_CASE("io.pcap_range.parts_together_are_one_read") {
  const std::vector<fs::path> files = {range_file("a.pcap"), range_file("b.pcap"), range_file("c.pcap")};
  write_range_trace(files[0], 1'700'000'000'000'000'000LL, 500, 1, false);
  write_range_trace(files[1], 1'700'000'600'000'000'000LL, 40, 2, true);
  write_range_trace(files[2], 1'700'000'700'000'000'000LL, 700, 3, false);
  collected whole;
  io::pcap_files(files).read([&](const packet& p) { whole.packets.push_back(p); }, whole.stats);
  REQUIRE(whole.stats.packets == 1240);

  for (int parts = 1; parts <= 9; ++parts) {
    CAPTURE(parts);
    const auto cuts = io::cut(files, parts);
    REQUIRE(cuts.size() == static_cast<std::size_t>(parts));
    collected joined;
    std::vector<std::pair<fs::path, std::pair<std::uint64_t, std::uint64_t>>> met;  // per slice: file, (start, stop)
    for (const auto& slices : cuts) {
      io::pcap_slices src(slices);
      src.read([&](const packet& p) { joined.packets.push_back(p); }, joined.stats);
      for (std::size_t i = 0; i < slices.size(); ++i) met.push_back({slices[i].path, {src.starts()[i], src.stops()[i]}});
    }
    check_one_read(joined, whole);
    for (std::size_t i = 0; i + 1 < met.size(); ++i)
      if (met[i].first == met[i + 1].first) CHECK(met[i].second.second == met[i + 1].second.first);
  }
}

TEST_CASE("io.pcap_range.filter_and_damage_as_pcap_files") {
  const auto path = range_file("filtered.pcap");
  write_range_trace(path, 1'700'000'000'000'000'000LL, 200, 5, false);
  collected whole, parts;
  io::pcap_file(path, {.filter = "udp"}).read([&](const packet& p) { whole.packets.push_back(p); }, whole.stats);
  for (const auto& slices : io::cut({path}, 3)) {
    io::pcap_slices src(slices, {.filter = "udp"});
    src.read([&](const packet& p) { parts.packets.push_back(p); }, parts.stats);
  }
  CHECK(parts.stats.skipped == whole.stats.skipped);
  CHECK(parts.packets.size() == whole.packets.size());
  CHECK_THROWS_WITH_AS(io::pcap_slices({{path}}, {.filter = "port eighty"}).read([](const packet&) {}, parts.stats),
                       doctest::Contains("invalid filter 'port eighty'"), bad_argument);

  // A file cut short: the records before the damage, and a warning naming the file.
  const auto cut_short = range_file("short.pcap");
  fs::copy_file(path, cut_short, fs::copy_options::overwrite_existing);
  fs::resize_file(cut_short, fs::file_size(path) - 10);
  collected damaged;
  io::pcap_slices({{cut_short}}).read([&](const packet& p) { damaged.packets.push_back(p); }, damaged.stats);
  CHECK(damaged.stats.damaged);
  CHECK(damaged.stats.packets == 199);
  REQUIRE(damaged.stats.warnings.size() == 1);
  CHECK(damaged.stats.warnings[0].find("short.pcap' is damaged") != std::string::npos);
}

TEST_CASE("io.pcap_range.files_that_cannot_be_cut_go_whole") {
  const auto good = range_file("good.pcap");
  write_range_trace(good, 1'700'000'000'000'000'000LL, 100, 9, false);
  const auto text = range_file("not-a-trace.txt");
  std::ofstream(text) << std::string(5000, 'x');
  const auto missing = range_file("no-such.pcap");
  fs::remove(missing);
  const auto cuts = io::cut({good, text, missing}, 4);
  std::vector<int> whole_text, whole_missing;
  for (int r = 0; r < 4; ++r)
    for (const auto& s : cuts[static_cast<std::size_t>(r)]) {
      if (s.path == text) {
        CHECK(s.whole());
        whole_text.push_back(r);
      }
      if (s.path == missing) whole_missing.push_back(r);
    }
  CHECK(whole_text.size() == 1);
  CHECK(whole_missing.size() == 1);
  input_stats stats;
  CHECK_THROWS_WITH_AS(io::pcap_slices({{text}}).read([](const packet&) {}, stats), doctest::Contains("cannot read '"), bad_trace);
  CHECK_THROWS_WITH_AS(io::pcap_slices({{missing}}).read([](const packet&) {}, stats), doctest::Contains("no-such.pcap"), bad_trace);
}

namespace {
// Reads `path` cut into `parts` equal byte ranges, one pcap_slices each (as ranks would), into `out`;
// checks every range starts where the one before stopped, in the section it stopped in.
void read_in_parts(const fs::path& path, int parts, collected& out, const io::pcap_read_options& opt = {}) {
  const auto cuts = io::cut({path}, parts);
  std::optional<std::pair<std::uint64_t, std::uint64_t>> before;  // (stop, section at stop)
  for (const auto& slices : cuts) {
    io::pcap_slices src(slices, opt);
    src.read([&](const packet& p) { out.packets.push_back(p); }, out.stats);
    for (std::size_t i = 0; i < slices.size(); ++i) {
      if (before) {
        CHECK(before->first == src.starts()[i]);
        CHECK(before->second == src.sections()[i].first);
      }
      before = std::pair{src.stops()[i], src.sections()[i].second};
    }
  }
}
}  // namespace

TEST_CASE("io.pcap_range.real_pcapng_files_in_parts_are_one_libpcap_read") {
  const char* dir = std::getenv("EXPOSE_TRACE_DIR");
  if (dir == nullptr) {
    MESSAGE("SKIPPED: EXPOSE_TRACE_DIR is not set");
    return;
  }
  // Ethernet with nanosecond stamps (Wireshark); Ethernet, IPv4 and IPv6; BSD loopback (null link).
  for (const std::string name :
       {"wireshark_logistics_multicast.pcapng", "edge/chrissanders_http_ip4and6.pcapng", "edge/wireshark_grpc_web_nulllink.pcapng"}) {
    const fs::path path = fs::path(dir) / name;
    REQUIRE(fs::exists(path));
    for (const std::string filter : {"", "tcp"}) {
      collected whole;
      io::pcap_file(path, {.filter = filter}).read([&](const packet& p) { whole.packets.push_back(p); }, whole.stats);
      REQUIRE(whole.stats.packets > 0);
      for (int parts : {2, 3, 8}) {
        CAPTURE(name);
        CAPTURE(filter);
        CAPTURE(parts);
        collected joined;
        read_in_parts(path, parts, joined, {.filter = filter});
        check_one_read(joined, whole);
      }
    }
  }
}

namespace {
// A pcapng file of `n` packets on one Ethernet interface, with blocks libpcap and the reader pass
// over, and frames full of bytes that look like block headers.
expose_test::pcapng_builder built_pcapng(bool big, int n) {
  expose_test::pcapng_builder f{big, {}};
  f.section();
  f.interface(1, 9, 400);
  std::uint64_t s = 7;
  auto next = [&] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
  };
  for (int i = 0; i < n; ++i) {
    const std::uint64_t ts = 1'700'000'000'000'000'000ULL + static_cast<std::uint64_t>(i) * 1'000'000ULL + next() % 1000;
    if (i % 5 == 4) {  // an ARP frame whose bytes are plausible block headers of this file
      std::vector<std::uint8_t> frame(14 + 4 * (next() % 40), 0);
      frame[12] = 0x08;
      frame[13] = 0x06;
      expose_test::pcapng_builder fake{big, {}};
      while (fake.out.size() + 12 <= frame.size() - 14) fake.u32(fake.out.size() % 8 == 0 ? 6 : 32);
      std::copy(fake.out.begin(), fake.out.end(), frame.begin() + 14);
      f.packet(0, ts, frame);
    } else {
      if (i % 7 == 3) f.block(5, f.body({0, 1, 2}));  // an interface statistics block
      packet p = expose_test::make_packet(static_cast<std::int64_t>(ts), "10.0.0.2", static_cast<std::uint16_t>(1024 + next() % 60000), "10.1.0.1",
                                          next() % 2 ? 53 : 80, proto::udp, static_cast<std::uint32_t>(60 + next() % 200));
      p.src = ip_address::v4(0x0a000000u + static_cast<std::uint32_t>(next() % 50));
      f.packet(0, ts, io::encode_ethernet(p));
    }
  }
  return f;
}
}  // namespace

TEST_CASE("io.pcap_range.pcapng_in_parts_is_one_libpcap_read") {
  for (const bool big : {false, true}) {
    CAPTURE(big);
    const auto path = built_pcapng(big, 600).write(big ? "parts_be.pcapng" : "parts_le.pcapng");
    collected whole;
    io::pcap_file(path).read([&](const packet& p) { whole.packets.push_back(p); }, whole.stats);
    REQUIRE(whole.stats.packets == 600);
    REQUIRE(whole.stats.skipped.at("non-ip") == 120);
    for (int parts = 1; parts <= 9; ++parts) {
      CAPTURE(parts);
      collected joined;
      read_in_parts(path, parts, joined);
      check_one_read(joined, whole);
    }
  }
}

TEST_CASE("io.pcap_range.pcapng_interface_described_mid_file_is_detected_and_read_again") {
  // An interface described after packets: a range that starts past it is read without it, and
  // the section it was read in differs from the one the range before it stopped in.
  auto f = built_pcapng(false, 100);
  f.interface(1, 9, 400);
  for (int i = 0; i < 100; ++i)
    f.packet(1, 1'700'000'100'000'000'000ULL + static_cast<std::uint64_t>(i) * 1'000'000ULL,
             io::encode_ethernet(expose_test::make_packet(0, "10.0.0.3", 5000, "10.1.0.1", 53, proto::udp)));
  const auto path = f.write("late_interface.pcapng");
  const auto cuts = io::cut({path}, 4);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> sections;
  input_stats stats;
  for (const auto& slices : cuts) {
    io::pcap_slices src(slices);
    src.read([](const packet&) {}, stats);
    sections.insert(sections.end(), src.sections().begin(), src.sections().end());
  }
  REQUIRE(sections.size() == 4);
  CHECK(sections[0].first == sections[0].second);  // no interface described in the first quarter
  int changed = 0;                                 // the new interface lies in one of the others
  for (std::size_t i = 0; i + 1 < sections.size(); ++i) changed += sections[i].second != sections[i + 1].first ? 1 : 0;
  CHECK(changed == 1);
  CHECK(stats.damaged);  // the ranges after it meet packets of an interface they know nothing of

  // Each range read again exactly from where the one before stopped, in the section it stopped
  // in (pcap_slice::section): the ranges meet, and together they are one whole read.
  const auto whole = expose_test::read_all(io::pcap_files({path}));
  REQUIRE(whole.stats.decoded == 180);  // every fifth of the first 100 is an ARP frame
  collected joined;
  std::optional<std::pair<std::uint64_t, io::pcapng_reader::section>> before;  // (stop, section there)
  int given = 0;  // ranges read in a section other than the file's first
  for (auto slices : cuts) {
    if (before) {
      slices[0].begin = before->first;
      slices[0].exact = true;
      slices[0].section = before->second;
      given += before->second.interfaces.size() == 2 ? 1 : 0;
    }
    io::pcap_slices src(slices);
    src.read([&](const packet& p) { joined.packets.push_back(p); }, joined.stats);
    if (before) CHECK(src.starts()[0] == before->first);
    before = std::pair{src.stops()[0], src.stop_sections()[0]};
  }
  CHECK(given >= 1);
  check_one_read(joined, whole);
}

TEST_CASE("io.pcap_range.filter_of_a_file_whose_first_section_holds_no_packet") {
  // A first section describing a BSD loopback interface and no packet, then the packets in a
  // section of Ethernet (files joined with cat): libpcap compiles the filter for the file's first
  // interface, and a range must not take that program for the Ethernet packets (every packet was
  // "filtered" on 2 and 3 ranks before 2026-12-07, none in one read).
  expose_test::pcapng_builder f{false, {}};
  f.section();
  f.interface(0, 9);  // DLT_NULL
  f.section();
  f.interface(1, 9);  // Ethernet, nanoseconds
  for (int i = 0; i < 200; ++i)
    f.packet(0, 1'700'000'000'000'000'000ULL + static_cast<std::uint64_t>(i) * 1'000'000ULL,
             io::encode_ethernet(expose_test::make_packet(0, "10.0.0.3", static_cast<std::uint16_t>(5000 + i), "10.1.0.1",
                                                          static_cast<std::uint16_t>(i % 2 == 0 ? 53 : 80), i % 2 == 0 ? proto::udp : proto::tcp)));
  const auto path = f.write("null_first.pcapng");
  collected whole;
  io::pcap_file(path, {.filter = "udp"}).read([&](const packet& p) { whole.packets.push_back(p); }, whole.stats);
  REQUIRE(whole.stats.decoded == 100);
  for (int parts : {1, 2, 3}) {
    CAPTURE(parts);
    collected joined;
    read_in_parts(path, parts, joined, {.filter = "udp"});
    check_one_read(joined, whole);
  }
}

TEST_CASE("io.pcap_range.one_fragment_table_for_every_slice_whole_files_too") {
  // A datagram's first fragment ends one pcapng file, its later fragment starts the next: a rank
  // given both files whole (through libpcap) places the later one, as one read does.
  const auto ether = io::encode_ethernet(expose_test::make_packet(0, "10.0.0.1", 4000, "10.0.0.2", 80, proto::tcp));
  std::vector<std::uint8_t> first(ether.begin() + 14, ether.end());
  first[4] = 0x12;  // identification 0x1234
  first[5] = 0x34;
  first[6] = 0x20;  // more fragments, offset 0
  std::vector<std::uint8_t> later(first.begin(), first.begin() + 20);
  later[6] = 0x00;
  later[7] = 185;
  later.resize(120, 0xee);
  expose_test::pcapng_builder a{false, {}}, b{false, {}};
  for (auto* f : {&a, &b}) {
    f->section();
    f->interface(101, 9);  // raw IP
  }
  a.packet(0, 1'700'000'000'000'000'000ULL, first);
  b.packet(0, 1'700'000'001'000'000'000ULL, later);
  const auto pa = a.write("fragment-a.pcapng"), pb = b.write("fragment-b.pcapng");
  const auto whole = expose_test::read_all(io::pcap_files({pa, pb}));
  REQUIRE(whole.stats.decoded == 2);
  io::pcap_slices both({{pa}, {pb}});
  collected taken;
  both.read([&](const packet& p) { taken.packets.push_back(p); }, taken.stats);
  CHECK(taken.stats.decoded == 2);
  CHECK(taken.stats.skipped.empty());
  check_one_read(taken, whole);
}

TEST_CASE("io.pcap_range.damage_is_said_by_the_range_a_whole_read_stops_in") {
  // Record 120's header says a captured length past the snapshot length: a reader of the whole
  // file stops before it. A range that ends right at it says so too (its reader looks at the
  // record the next range starts with): one process would stop there, where the next range starts
  // after it. A range that starts later counts its own records.
  const auto path = range_file("damaged-middle.pcap");
  write_range_trace(path, 1'700'000'000'000'000'000LL, 200, 11, false);
  std::vector<std::uint64_t> starts;
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto size = fs::file_size(path);
    for (std::uint64_t at = 24; at < size;) {
      starts.push_back(at);
      std::uint32_t caplen = 0;
      f.seekg(static_cast<std::streamoff>(at + 8));
      f.read(reinterpret_cast<char*>(&caplen), 4);
      at += 16 + caplen;
    }
    const std::uint32_t bogus = 0x7fffffff;
    f.seekp(static_cast<std::streamoff>(starts[119] + 8));
    f.write(reinterpret_cast<const char*>(&bogus), 4);
  }
  const std::string name = path.string();
  const std::string why = "invalid packet capture length 2147483647, bigger than snaplen of 400";
  const std::string near = "near byte " + std::to_string(starts[119] + 16);
  const std::string whole_read = "'" + name + "' is damaged after record 119 (" + near + "): " + why + "; the results hold the 119 records before it";
  {  // one reader of the whole file, and pcap_files (libpcap's words): alike
    input_stats stats, libpcap;
    io::pcap_slices whole({{path}});
    whole.read([](const packet&) {}, stats);
    CHECK(stats.packets == 119);
    REQUIRE(stats.warnings.size() == 1);
    CHECK(stats.warnings[0] == whole_read);
    REQUIRE(whole.damages().size() == 1);
    CHECK(whole.damages()[0].found);
    CHECK(whole.damages()[0].records == 119);
    CHECK(whole.records() == std::vector<std::uint64_t>{119});
    io::pcap_files({path}).read([](const packet&) {}, libpcap);
    CHECK(libpcap.warnings == stats.warnings);
  }
  {  // cut right at the damaged record: the first range says it, the second reads past it
    input_stats first, second;
    io::pcap_slices a({{path, 0, starts[119]}}), b({{path, starts[119], UINT64_MAX}});
    a.read([](const packet&) {}, first);
    b.read([](const packet&) {}, second);
    CHECK(first.packets == 119);
    CHECK(first.damaged);
    CHECK(first.warnings == std::vector<std::string>{whole_read});
    CHECK(a.stops()[0] == starts[119]);
    CHECK(b.starts()[0] == starts[120]);  // the damaged header is passed over
    CHECK(second.packets == 80);
    CHECK_FALSE(second.damaged);
    CHECK_FALSE(b.damages()[0].found);
  }
  {  // cut before it: the second range counts its own records, and says what one read would say
    input_stats first, second;
    io::pcap_slices a({{path, 0, starts[100]}}), b({{path, starts[100], UINT64_MAX}});
    a.read([](const packet&) {}, first);
    b.read([](const packet&) {}, second);
    CHECK_FALSE(first.damaged);
    CHECK(a.records()[0] == 100);
    CHECK(second.packets == 19);
    const auto& d = b.damages()[0];
    REQUIRE(d.found);
    CHECK(d.records == 19);
    CHECK(second.warnings == std::vector<std::string>{"'" + name + "' is damaged after record 19 of this range (" + near + "): " + why +
                                                      "; the results hold the records before it"});
    CHECK(d.warning(name, a.records()[0]) == whole_read);
  }
}

TEST_CASE("io.pcap_range.pcapng_damage_at_a_range_boundary_is_said_before_it") {
  // Packet block 300's total length is impossible: a reader of the whole file stops before it. A
  // range that ends right at it says so (its reader looks at the next range's first packet
  // block); the next range passes over it to the next block boundary.
  auto f = built_pcapng(false, 400);
  std::vector<std::size_t> packets;  // where each packet block starts
  for (std::size_t at = 0; at + 8 <= f.out.size();) {
    std::uint32_t type = 0, total = 0;
    std::memcpy(&type, f.out.data() + at, 4);
    std::memcpy(&total, f.out.data() + at + 4, 4);
    if (type == 6) packets.push_back(at);
    at += total;
  }
  REQUIRE(packets.size() == 400);
  const std::uint32_t bogus = 0x7ffffff0;
  std::memcpy(f.out.data() + packets[299] + 4, &bogus, 4);
  const auto path = f.write("damaged-middle.pcapng");
  input_stats whole_stats;
  io::pcap_slices whole({{path, 0, UINT64_MAX - 1}});  // read by the own reader, as a range
  whole.read([](const packet&) {}, whole_stats);
  CHECK(whole_stats.packets == 299);
  REQUIRE(whole.damages()[0].found);
  CHECK(whole.damages()[0].records == 299);
  input_stats first, second;
  io::pcap_slices a({{path, 0, packets[299]}}), b({{path, packets[299], UINT64_MAX}});
  a.read([](const packet&) {}, first);
  b.read([](const packet&) {}, second);
  CHECK(first.packets == 299);
  CHECK(first.damaged);
  REQUIRE(a.damages()[0].found);
  CHECK(a.damages()[0].records == 299);
  CHECK(a.damages()[0].why == whole.damages()[0].why);
  CHECK(first.warnings == whole_stats.warnings);
  CHECK(a.stops()[0] == packets[299]);
  CHECK(b.starts()[0] > packets[299]);  // past the damaged block
  CHECK(second.packets == 100);
  CHECK_FALSE(second.damaged);
}

TEST_CASE("io.pcap_range.pcapng_damage_is_said_in_libpcaps_words") {
  // A range of a pcapng file is read by the own reader (libpcap reads a pcapng file only from its
  // start): what it says of damage, and where, must be what a whole read by libpcap says
  // (pcap_files), so that ranks that share a damaged file say it as one process does, and it must
  // stop where libpcap stops (a block of 17 MiB is one libpcap refuses). Packet block 30 is damaged
  // in every way a block can be, or a block libpcap refuses comes before it; the reader of a range
  // that starts at the file's start says it as a whole read does.
  for (const bool big : {false, true}) {
    CAPTURE(big);
    const auto base = built_pcapng(big, 50);
    std::vector<std::size_t> packets;  // where each packet block starts
    const auto u32_at = [&](const std::vector<std::uint8_t>& b, std::size_t at) {
      return big ? (std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 | std::uint32_t{b[at + 2]} << 8 | b[at + 3])
                 : (std::uint32_t{b[at + 3]} << 24 | std::uint32_t{b[at + 2]} << 16 | std::uint32_t{b[at + 1]} << 8 | b[at]);
    };
    for (std::size_t at = 0; at + 8 <= base.out.size(); at += u32_at(base.out, at + 4))
      if (u32_at(base.out, at) == 6) packets.push_back(at);
    REQUIRE(packets.size() == 50);
    const std::size_t at = packets[29], total = u32_at(base.out, at + 4);
    const auto put = [&](std::vector<std::uint8_t>& b, std::size_t where, std::uint32_t v) {
      expose_test::pcapng_builder w{big, {}};
      w.u32(v);
      std::copy(w.out.begin(), w.out.end(), b.begin() + static_cast<std::ptrdiff_t>(where));
    };
    struct damage {
      std::string name;
      std::function<void(std::vector<std::uint8_t>&)> make;
      std::string why;
    };
    const std::vector<damage> damages = {
        {"a huge length", [&](auto& b) { put(b, at + 4, 0x7ffffff0); }, "pcapng block size 2147483632 > maximum 16777216"},
        {"a whole block longer than libpcap takes",
         [&](auto& b) {
           expose_test::pcapng_builder statistics{big, {}};
           statistics.block(5, std::vector<std::uint8_t>(17u << 20, 0));
           b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), statistics.out.begin(), statistics.out.end());
         },
         "pcapng block size " + std::to_string(12 + (17u << 20)) + " > maximum 16777216"},
        {"a length below a block's", [&](auto& b) { put(b, at + 4, 8); }, "block in pcapng dump file has a length of 8 < 12"},
        {"a length not a multiple of 4", [&](auto& b) { put(b, at + 4, static_cast<std::uint32_t>(total + 2)); },
         "block in pcapng dump file has a length of " + std::to_string(total + 2) + " that is not a multiple of 4"},
        {"the header cut short", [&](auto& b) { b.resize(at + 5); }, "truncated pcapng dump file; tried to read 8 bytes, only got 5"},
        {"the body cut short", [&](auto& b) { b.resize(at + 30); },
         "truncated pcapng dump file; tried to read " + std::to_string(total - 8) + " bytes, only got 22"},
        {"a trailer of another length", [&](auto& b) { put(b, at + total - 4, static_cast<std::uint32_t>(total + 4)); },
         "block total length in header and trailer don't match"},
        {"an undescribed interface", [&](auto& b) { put(b, at + 8, 7); },
         "a packet arrived on interface 7, but there's no Interface Description Block for that interface"},
        {"a captured length past the snapshot length", [&](auto& b) { put(b, at + 20, 401); },
         "invalid packet capture length 401, bigger than snaplen of 400"},
        {"a captured length past the block", [&](auto& b) { put(b, at + 20, static_cast<std::uint32_t>(total - 32 + 4)); },
         "block of type 6 in pcapng dump file is too short"},
        {"a block too short for a packet", [&](auto& b) { put(b, at + 4, 28); put(b, at + 24, 28); },
         "block of type 6 in pcapng dump file is too short"},
        {"an interface of another snapshot length",
         [&](auto& b) {
           expose_test::pcapng_builder idb{big, {}};
           idb.interface(1, 9, 300);
           b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), idb.out.begin(), idb.out.end());
         },
         "an interface has a snapshot length 300 different from the snapshot length of the first interface"},
        {"a section in the other byte order",
         [&](auto& b) {
           expose_test::pcapng_builder shb{!big, {}};
           shb.section();
           b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), shb.out.begin(), shb.out.end());
         },
         "pcapng block size 469762048 > maximum 16777216"},  // its length of 28 read in the byte order before it
        {"a section of another version",
         [&](auto& b) {
           expose_test::pcapng_builder shb{big, {}};
           shb.section();
           expose_test::pcapng_builder major{big, {}};
           major.u16(2);  // version 2.0
           std::copy(major.out.begin(), major.out.end(), shb.out.begin() + 12);
           b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), shb.out.begin(), shb.out.end());
         },
         "unknown pcapng savefile major version number 2"},
    };
    for (const auto& d : damages) {
      CAPTURE(d.name);
      auto damaged = base.out;
      d.make(damaged);
      expose_test::pcapng_builder f{big, std::move(damaged)};
      const auto path = f.write("libpcaps-words.pcapng");
      input_stats libpcap, own;
      io::pcap_file(path).read([](const packet&) {}, libpcap);
      io::pcap_slices range({{path, 0, UINT64_MAX - 1}});  // read by the own reader, as a range
      range.read([](const packet&) {}, own);
      CHECK(libpcap.packets == 29);
      CHECK(own.packets == 29);
      REQUIRE(libpcap.warnings.size() == 1);
      CHECK(libpcap.warnings[0].find(d.why) != std::string::npos);
      CHECK(own.warnings == libpcap.warnings);
    }
  }
}

namespace {
// Reads `path` in two pieces cut at byte `cut`: the packets joined, and each piece's reader.
struct two_pieces {
  collected joined;
  io::pcap_slices first, second;
  two_pieces(const fs::path& path, std::uint64_t cut) : first({{path, 0, cut}}), second({{path, cut, UINT64_MAX}}) {
    first.read([&](const packet& p) { joined.packets.push_back(p); }, joined.stats);
    second.read([&](const packet& p) { joined.packets.push_back(p); }, joined.stats);
  }
};

}  // namespace

TEST_CASE("io.pcap_range.records_the_next_piece_passes_over_are_taken_by_the_piece_before") {
  // A piece takes the records that start before where the next piece starts, not only those
  // before its end: where the next piece's search for a boundary passes over records it cannot
  // vouch for, they are the piece before's, and the two meet (before, the pieces did not meet, and
  // expose-mine-mpi stopped: "a range was resynchronized ... run with another number of ranks").
  SUBCASE("classic pcap: a record that captured nothing") {
    const auto path = range_file("empty-record.pcap");
    write_range_trace(path, 1'700'000'000'000'000'000LL, 200, 5, false);
    auto b = file_bytes(path);
    const auto starts = record_starts(b);
    std::uint32_t caplen = 0;  // record 101 captured nothing: libpcap reads it, a boundary search does not vouch for it
    std::memcpy(&caplen, b.data() + starts[100] + 8, 4);
    b.erase(b.begin() + static_cast<std::ptrdiff_t>(starts[100] + 16), b.begin() + static_cast<std::ptrdiff_t>(starts[100] + 16 + caplen));
    std::memset(b.data() + starts[100] + 8, 0, 4);
    put_bytes(path, b);
    collected whole;
    io::pcap_files({path}).read([&](const packet& p) { whole.packets.push_back(p); }, whole.stats);
    REQUIRE(whole.stats.packets == 200);
    const two_pieces parts(path, starts[99] + 3);  // the second piece's search starts at record 100
    CHECK(parts.second.starts()[0] == starts[101] - caplen);  // past record 101, which it cannot vouch for
    CHECK(parts.first.stops()[0] == parts.second.starts()[0]);
    CHECK(parts.first.records()[0] == 101);
    check_one_read(parts.joined, whole);
  }
  SUBCASE("pcapng: a block of a type the standard does not define") {
    expose_test::pcapng_builder f{false, {}};
    f.section();
    f.interface(1, 9, 400);
    std::vector<std::size_t> packets;
    for (int i = 0; i < 200; ++i) {
      if (i == 101) f.block(0x20, f.body({1, 2, 3}));  // passed over by libpcap and the reader; a search cannot vouch for it
      packets.push_back(f.out.size());
      const auto ts = 1'700'000'000'000'000'000ULL + static_cast<std::uint64_t>(i) * 1'000'000ULL;
      f.packet(0, ts, io::encode_ethernet(expose_test::make_packet(static_cast<std::int64_t>(ts), "10.0.0.2", 4000, "10.1.0.1", 53, proto::udp, 80)));
    }
    const auto path = f.write("unknown-block.pcapng");
    collected whole;
    io::pcap_files({path}).read([&](const packet& p) { whole.packets.push_back(p); }, whole.stats);
    REQUIRE(whole.stats.packets == 200);
    const two_pieces parts(path, packets[100] - 2);  // the second piece's search starts at packet block 100
    CHECK(parts.second.starts()[0] == packets[101]);  // past packet 100 and the block after it
    CHECK(parts.first.stops()[0] == packets[101]);
    CHECK(parts.first.records()[0] == 101);
    check_one_read(parts.joined, whole);
  }
}

TEST_CASE("io.pcap_range.a_record_that_runs_over_the_next_ones_is_read_through_from_where_the_piece_before_stopped") {
  // A damaged captured length (within the largest libpcap takes) makes record 101 hold records 102
  // to 105 as its data: one reader reads them so, and goes on at record 106. A piece whose search
  // starts among them finds record 103 (a true record, for all the search can tell), where the
  // piece before stopped at 106: read again from there (exact), the two are one read.
  const auto path = range_file("long-record.pcap");
  write_range_trace(path, 1'700'000'000'000'000'000LL, 200, 5, false);
  auto b = file_bytes(path);
  const auto starts = record_starts(b);
  const auto caplen = static_cast<std::uint32_t>(starts[105] - starts[100] - 16);
  std::memcpy(b.data() + starts[100] + 8, &caplen, 4);
  std::memcpy(b.data() + starts[100] + 12, &caplen, 4);
  put_bytes(path, b);
  collected whole;
  io::pcap_files({path}).read([&](const packet& p) { whole.packets.push_back(p); }, whole.stats);
  REQUIRE(whole.stats.packets == 196);
  const two_pieces parts(path, starts[102] - 3);
  CHECK(parts.second.starts()[0] == starts[102]);
  CHECK(parts.first.stops()[0] == starts[105]);
  CHECK(parts.first.records()[0] == 101);
  CHECK(parts.joined.stats.packets == 101 + 98);  // records 103 to 105 twice: once as data, once as records
  collected joined;
  io::pcap_slices first({{path, 0, starts[102] - 3}}), again({{path, starts[105], UINT64_MAX, true}});
  first.read([&](const packet& p) { joined.packets.push_back(p); }, joined.stats);
  again.read([&](const packet& p) { joined.packets.push_back(p); }, joined.stats);
  CHECK(again.starts()[0] == starts[105]);
  CHECK(again.records()[0] == 95);
  check_one_read(joined, whole);
}

TEST_CASE("io.pcap_range.damage_the_next_piece_passes_over_is_said_by_the_piece_before") {
  // Record 103 is damaged: the second piece's search, from record 101 on, passes over it (a chain
  // of records through it fails) and starts at record 104. The first piece reads on to there, as
  // one reader of the whole file reads up to the damage, and says it in that reader's words.
  const auto path = range_file("damaged-after-cut.pcap");
  write_range_trace(path, 1'700'000'000'000'000'000LL, 200, 9, false);
  auto b = file_bytes(path);
  const auto starts = record_starts(b);
  const std::uint32_t bogus = 0x7fffffff;
  std::memcpy(b.data() + starts[102] + 8, &bogus, 4);
  put_bytes(path, b);
  input_stats whole;
  io::pcap_files({path}).read([](const packet&) {}, whole);
  REQUIRE(whole.packets == 102);
  REQUIRE(whole.warnings.size() == 1);
  const two_pieces parts(path, starts[99] + 3);
  CHECK(parts.second.starts()[0] > starts[102]);
  REQUIRE(parts.first.damages()[0].found);
  CHECK(parts.first.records()[0] == 102);
  CHECK(parts.first.damages()[0].warning(path.string(), 0) == whole.warnings[0]);
}

TEST_CASE("io.pcap_range.a_boundary_past_the_first_mebibyte_is_found_as_in_sixteen") {
  // A piece's search for its first block reads 1 MiB, and 16 MiB where those cannot tell: a block
  // of 2 MiB right after the cut runs past the first, so the search reads more and starts the
  // piece at that block, as a search of 16 MiB at once does. A chain cut short by the first
  // probe's end is neither taken for a boundary nor passed over: here the block holds what looks
  // like blocks, which a search that passed over its start would take for the next boundary.
  const auto frame = [](int i) {
    const auto ts = 1'700'000'000'000'000'000LL + i * 1'000'000LL;
    return io::encode_ethernet(expose_test::make_packet(ts, "10.0.0.2", 4000, "10.1.0.1", 53, proto::udp, 80));
  };
  const auto packets = [&](expose_test::pcapng_builder& f, int from, int n) {
    for (int i = from; i < from + n; ++i) f.packet(0, 1'700'000'000'000'000'000ULL + static_cast<std::uint64_t>(i) * 1'000'000ULL, frame(i));
  };
  expose_test::pcapng_builder f{false, {}};
  f.section();
  f.interface(1, 9, 400);
  packets(f, 0, 100);
  const std::size_t names = f.out.size();
  expose_test::pcapng_builder fake{false, {}};  // 2 MiB of statistics blocks of 32 bytes
  while (fake.out.size() < (2u << 20)) fake.block(5, fake.body({0, 1, 2, 3, 4}));
  f.block(4, fake.out);  // in a name resolution block
  packets(f, 100, 100);
  const auto path = f.write("large-block.pcapng");
  collected whole;
  io::pcap_files({path}).read([&](const packet& p) { whole.packets.push_back(p); }, whole.stats);
  REQUIRE(whole.stats.packets == 200);
  const two_pieces parts(path, names - 2);
  CHECK(parts.second.starts()[0] == names);
  CHECK(parts.first.stops()[0] == names);
  CHECK(parts.first.records()[0] == 100);
  check_one_read(parts.joined, whole);
}

TEST_CASE("io.pcap_range.a_later_section_in_parts_is_one_read") {
  // A second section header, alike to the first, read by the pieces as the blocks before it.
  expose_test::pcapng_builder f{true, {}};
  for (int s = 0; s < 2; ++s) {
    f.section();
    f.interface(1, 9, 400);
    for (int i = 0; i < 150; ++i) {
      const auto ts = 1'700'000'000'000'000'000ULL + static_cast<std::uint64_t>(s * 150 + i) * 1'000'000ULL;
      f.packet(0, ts, io::encode_ethernet(expose_test::make_packet(static_cast<std::int64_t>(ts), "10.0.0.2", 4000, "10.1.0.1", 53, proto::udp, 80)));
    }
  }
  const auto path = f.write("two-sections.pcapng");
  collected whole;
  io::pcap_files({path}).read([&](const packet& p) { whole.packets.push_back(p); }, whole.stats);
  REQUIRE(whole.stats.packets == 300);
  for (int n = 2; n <= 7; ++n) {
    CAPTURE(n);
    collected joined;
    read_in_parts(path, n, joined);
    check_one_read(joined, whole);
  }
}
