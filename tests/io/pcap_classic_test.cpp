#include "expose/io/pcap_classic.hpp"

#include <pcap/pcap.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "doctest.hpp"
#include "fixtures.hpp"
#include "expose/io/encode.hpp"
#include "expose/io/pcap_file.hpp"
#include "expose/io/pcap_range.hpp"
#include "expose/io/pcap_records.hpp"

using namespace expose;
namespace fs = std::filesystem;

// The helpers and tests in a namespace of their own: test files are compiled in batches (a unity
// build), where another file's helpers of the same name would clash.
namespace classic_test {

fs::path temp(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "expose-pcap-classic-test";
  fs::create_directories(dir);
  return dir / name;
}

/// A classic pcap file written by hand: either byte order, micro- or nanosecond stamps, any
/// snapshot length, records whose stored length may differ from what follows them.
struct classic_file {
  bool big = false;
  bool nanos = false;
  std::uint32_t snaplen = 65535;
  std::uint32_t link = 1;
  std::vector<char> bytes{};

  void put32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>(big ? v >> (24 - 8 * i) : v >> (8 * i)));
  }
  void header() {
    put32(nanos ? 0xa1b23c4d : 0xa1b2c3d4);
    for (int i = 0; i < 2; ++i) bytes.push_back(static_cast<char>(big ? (i == 0 ? 0 : 2) : (i == 0 ? 2 : 0)));  // major 2
    for (int i = 0; i < 2; ++i) bytes.push_back(static_cast<char>(big ? (i == 0 ? 0 : 4) : (i == 0 ? 4 : 0)));  // minor 4
    put32(0);
    put32(0);
    put32(snaplen);
    put32(link);
  }
  /// A record claiming `caplen` bytes, with `stored` bytes after its header (pattern k, k+1, ...).
  void record(std::uint32_t sec, std::uint32_t frac, std::uint32_t caplen, std::uint32_t stored, std::uint8_t k) {
    put32(sec);
    put32(frac);
    put32(caplen);
    put32(caplen + 10);
    for (std::uint32_t i = 0; i < stored; ++i) bytes.push_back(static_cast<char>(k + i));
  }
  fs::path write(const std::string& name) const {
    const auto path = temp(name);
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
  }
};

struct seen {
  std::vector<std::int64_t> ts;
  std::vector<std::uint32_t> caplen, len;
  std::vector<std::vector<std::uint8_t>> data;
  std::string ending{};  ///< empty at a clean end, else the damage as pcap_records words it
  bool operator==(const seen&) const = default;
};

/// What libpcap itself reads: every record, then its error and file position at damage, worded as
/// pcap_records words damage.
seen by_libpcap(const fs::path& path) {
  seen s;
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  REQUIRE(p != nullptr);
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
    s.ts.push_back(static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000'000 + h->ts.tv_usec);
    s.caplen.push_back(h->caplen);
    s.len.push_back(h->len);
    s.data.emplace_back(d, d + h->caplen);
  }
  if (rc == PCAP_ERROR)
    s.ending = "'" + path.string() + "' is damaged after record " + std::to_string(s.ts.size()) + " (near byte " +
               std::to_string(std::ftell(pcap_file(p))) + "): " + pcap_geterr(p);
  pcap_close(p);
  return s;
}

/// Every record a reader gives (pcap_records or classic_records: their records name the fields alike).
template <class Reader>
void read_all_records(Reader& in, seen& s) {
  while (in.next()) {
    const auto& r = in.current();
    s.ts.push_back(r.ts_ns);
    s.caplen.push_back(r.caplen);
    s.len.push_back(r.len);
    s.data.emplace_back(r.data, r.data + r.caplen);
  }
}

seen by_records(const fs::path& path) {
  seen s;
  io::pcap_records in(path);
  read_all_records(in, s);
  s.ending = in.damage();
  return s;
}

/// The classic reader alone, from the first record on.
seen by_classic(const fs::path& path, const classic_file& f) {
  seen s;
  io::classic_records::file_ptr file(std::fopen(path.c_str(), "rb"), &std::fclose);
  REQUIRE(file);
  REQUIRE(std::fseek(file.get(), 24, SEEK_SET) == 0);
  io::classic_records in(std::move(file), 24, {.swapped = f.big, .nanos = f.nanos, .snaplen = f.snaplen});
  read_all_records(in, s);
  if (!in.damage().empty())
    s.ending = "'" + path.string() + "' is damaged after record " + std::to_string(in.records()) + " (near byte " +
               std::to_string(in.damage_offset()) + "): " + in.damage();
  return s;
}

void same_as_libpcap(const classic_file& f, const std::string& name, std::size_t records, const std::string& damage) {
  CAPTURE(name);
  const auto path = f.write(name);
  const auto truth = by_libpcap(path);
  CHECK(truth.ts.size() == records);
  CHECK(truth.ending.find(damage) != std::string::npos);
  CHECK(by_classic(path, f) == truth);
  CHECK(by_records(path) == truth);
}

classic_file ten_records(bool big, bool nanos, std::uint32_t snaplen = 65535) {
  classic_file f{.big = big, .nanos = nanos, .snaplen = snaplen};
  f.header();
  for (std::uint8_t i = 0; i < 10; ++i) f.record(1'700'000'000u + i, nanos ? 999'999'999u - i : 999'999u - i, 60u + i, 60u + i, i);
  return f;
}


TEST_CASE("io.pcap_classic.intact_files_as_libpcap_reads_them") {
  for (bool big : {false, true})
    for (bool nanos : {false, true}) {
      const auto f = ten_records(big, nanos);
      same_as_libpcap(f, std::string(big ? "big" : "little") + (nanos ? "-ns" : "-us") + ".pcap", 10, "");
    }
  // The magic numbers, as this machine reads the file's first 4 bytes
  CHECK_FALSE(io::classic_records::from_magic(0xa1b2c3d4)->swapped);
  CHECK_FALSE(io::classic_records::from_magic(0xa1b2c3d4)->nanos);
  CHECK(io::classic_records::from_magic(0xd4c3b2a1)->swapped);
  CHECK(io::classic_records::from_magic(0xa1b23c4d)->nanos);
  CHECK(io::classic_records::from_magic(0x4d3cb2a1)->swapped);
  CHECK(io::classic_records::from_magic(0x4d3cb2a1)->nanos);
  CHECK_FALSE(io::classic_records::from_magic(0x0a0d0d0a).has_value());  // pcapng's section header
  // 1.7e9 s and 999'999 us: nanoseconds since the epoch, without loss
  const auto f = ten_records(false, false);
  const auto s = by_classic(f.write("stamps.pcap"), f);
  REQUIRE(s.ts.size() == 10);
  CHECK(s.ts[0] == 1'700'000'000'999'999'000LL);
  CHECK(s.ts[9] == 1'700'000'009'999'990'000LL);
  CHECK(s.len[3] == 73);
}

TEST_CASE("io.pcap_classic.records_longer_than_the_snapshot_are_cut_to_it") {
  auto f = ten_records(false, false, 64);  // records of 60 to 69 bytes
  same_as_libpcap(f, "cut.pcap", 10, "");
  const auto s = by_classic(f.write("cut.pcap"), f);
  REQUIRE(s.caplen.size() == 10);
  CHECK(s.caplen[3] == 63);
  CHECK(s.caplen[4] == 64);
  CHECK(s.caplen[9] == 64);
  CHECK(s.data[9].front() == 9);
}

TEST_CASE("io.pcap_classic.damage_in_libpcaps_words_at_libpcaps_byte") {
  auto f = ten_records(false, false);
  const std::size_t whole = f.bytes.size();
  const std::size_t last_record = whole - (16 + 69);

  auto cut = f;
  cut.bytes.resize(whole - 20);  // the last record's data cut short
  same_as_libpcap(cut, "cut-data.pcap", 9, "truncated dump file; tried to read 69 captured bytes, only got 49");

  cut = f;
  cut.bytes.resize(last_record + 7);  // inside the last record's header
  same_as_libpcap(cut, "cut-header.pcap", 9, "truncated dump file; tried to read 16 header bytes, only got 7");

  auto garbage = f;  // the sixth record's captured length beyond any snapshot length
  const std::size_t sixth = 24 + (16 + 60) + (16 + 61) + (16 + 62) + (16 + 63) + (16 + 64);
  for (int i = 0; i < 4; ++i) garbage.bytes[sixth + 8 + static_cast<std::size_t>(i)] = "\xf0\xff\xff\x7f"[i];
  same_as_libpcap(garbage, "garbage.pcap", 5, "invalid packet capture length 2147483632, bigger than snaplen of 65535");

  // records longer than the snapshot length (64): libpcap reads the 64 bytes it keeps, then passes
  // over the rest, and names whichever read came up short
  auto long_records = ten_records(false, false, 64);
  long_records.bytes.resize(long_records.bytes.size() - 3);  // 66 of the last record's 69 bytes
  same_as_libpcap(long_records, "cut-past-snapshot.pcap", 9, "truncated dump file; tried to read 69 captured bytes, only got 66");
  long_records.bytes.resize(long_records.bytes.size() - 16);  // 50 of them
  same_as_libpcap(long_records, "cut-in-snapshot.pcap", 9, "truncated dump file; tried to read 64 captured bytes, only got 50");

  auto big = ten_records(true, true);  // the same in the other byte order
  big.bytes.resize(big.bytes.size() - 20);
  same_as_libpcap(big, "cut-data-big.pcap", 9, "truncated dump file; tried to read 69 captured bytes, only got 49");
}

TEST_CASE("io.pcap_classic.stamps_widened_as_libpcap_widens_them") {
  // Seconds and fractions from 2^31 on: libpcap takes them as signed in the file's own byte order
  // and as unsigned in the other (it swaps them unsigned).
  for (bool big : {false, true}) {
    classic_file f{.big = big};
    f.header();
    f.record(0x80000005u, 0xfffffff0u, 60, 60, 1);
    f.record(1'700'000'000u, 0x80000000u, 60, 60, 2);
    f.record(0xfffffffeu, 7, 60, 60, 3);
    const std::string name = big ? "wide-big.pcap" : "wide-little.pcap";
    same_as_libpcap(f, name, 3, "");
    const auto s = by_classic(f.write(name), f);
    REQUIRE(s.ts.size() == 3);
    if (big) CHECK(s.ts[0] == 0x80000005LL * 1'000'000'000 + 0xfffffff0LL * 1000);
    else CHECK(s.ts[0] == -0x7ffffffbLL * 1'000'000'000 - 16 * 1000);
  }
}

TEST_CASE("io.pcap_classic.other_link_types_and_empty_files") {
  // Link types whose headers libpcap may rewrite in a file of the other byte order stay with
  // libpcap: pflog (libpcap swaps its ids: 16 bytes of this record) and Linux cooked, big-endian.
  for (std::uint32_t link : {117u, 113u}) {
    classic_file f{.big = true, .link = link};
    f.header();
    f.record(1'700'000'000u, 5, 100, 100, 64);  // pflog: a header length of 64, then the ids libpcap swaps
    const auto path = f.write("link-" + std::to_string(link) + ".pcap");
    const auto truth = by_libpcap(path);
    REQUIRE(truth.ts.size() == 1);
    CHECK(by_records(path) == truth);
  }

  classic_file empty;
  empty.header();
  same_as_libpcap(empty, "empty.pcap", 0, "");
  const auto s = by_classic(empty.write("empty.pcap"), empty);
  CHECK(s.ts.empty());
  CHECK(s.ending.empty());
}

TEST_CASE("io.pcap_classic.loopback_in_the_other_byte_order_filtered_as_libpcap_filters_it") {
  // BSD loopback: a 4-byte address family in the capturing machine's byte order, which libpcap's
  // filter code swaps for a file in the other byte order. Read whole, and in two ranges.
  classic_file f{.big = true, .link = 0};
  f.header();
  packet p = expose_test::make_packet(0, "10.0.0.1", 4000, "10.0.0.2", 80, proto::tcp);
  const auto frame = io::encode_ethernet(p);
  for (std::uint32_t i = 0; i < 40; ++i) {
    f.put32(1'700'000'000u + i);
    f.put32(0);
    f.put32(static_cast<std::uint32_t>(4 + frame.size() - 14));
    f.put32(static_cast<std::uint32_t>(4 + frame.size() - 14));
    f.put32(2);  // AF_INET
    f.bytes.insert(f.bytes.end(), frame.begin() + 14, frame.end());
  }
  const auto path = f.write("loopback-big.pcap");
  const auto whole = expose_test::read_all(io::pcap_file(path, {.filter = "tcp"}));
  CHECK(whole.stats.decoded == 40);
  input_stats parts;
  std::size_t taken = 0;
  for (const auto& slices : io::cut({path}, 2)) io::pcap_slices(slices, {.filter = "tcp"}).read([&](const packet&) { ++taken; }, parts);
  CHECK(taken == 40);
  CHECK(parts.skipped.empty());
}

TEST_CASE("io.pcap_classic.reading_stops_before_a_given_byte") {
  const auto f = ten_records(false, false);
  const auto path = f.write("range.pcap");
  io::classic_records::file_ptr file(std::fopen(path.c_str(), "rb"), &std::fclose);
  REQUIRE(std::fseek(file.get(), 24, SEEK_SET) == 0);
  io::classic_records in(std::move(file), 24, {});
  const std::uint64_t third = 24 + (16 + 60) + (16 + 61);
  std::size_t n = 0;
  while (in.next(third + 1)) ++n;  // the third record starts before the end: it is read
  CHECK(n == 3);
  CHECK(in.offset() == third + 16 + 62);  // where the fourth starts: where a reader of the next range begins
  CHECK(in.damage().empty());
}

}  // namespace classic_test
