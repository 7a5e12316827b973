// tests/fixtures.hpp: what more than one test file needs. The test files are compiled in batches
// (a unity build, see CMakeLists.txt), so a helper two files define alike lives here, once.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "expose/address.hpp"
#include "expose/io/pcap_writer.hpp"
#include "expose/input.hpp"
#include "expose/packet.hpp"

namespace expose_test {

inline constexpr std::int64_t sec = 1'000'000'000;  // nanoseconds

/// An address from its text; the text is the test's own, so it is known to parse.
inline expose::ip_address ip(const char* text) { return *expose::ip_address::parse(text); }

/// A decoded packet from `src`.`sport` to `dst`.`dport` at `ts_ns`; a TCP one is a SYN (the client
/// starts the connection), of `length` bytes.
inline expose::packet make_packet(std::int64_t ts_ns, const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport,
                                  std::uint8_t protocol, std::uint32_t length = 60) {
  expose::packet p;
  p.ts_ns = ts_ns;
  p.src = ip(src);
  p.dst = ip(dst);
  p.sport = sport;
  p.dport = dport;
  p.proto = protocol;
  if (protocol == expose::proto::tcp) p.tcp_flags = expose::tcp_flag::syn;
  p.length = length;
  return p;
}

/// Every packet a source gives, and its input statistics.
struct collected {
  expose::input_stats stats;
  std::vector<expose::packet> packets;
};
template <class Source>
collected read_all(Source src) {
  collected c;
  src.read([&](const expose::packet& p) { c.packets.push_back(p); }, c.stats);
  return c;
}

/// A pcapng file built block by block, in either byte order.
struct pcapng_builder {
  bool big = false;
  std::vector<std::uint8_t> out;
  void u16(std::uint16_t v) {
    if (big) out.insert(out.end(), {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
    else out.insert(out.end(), {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)});
  }
  void u32(std::uint32_t v) {
    if (big) { u16(static_cast<std::uint16_t>(v >> 16)); u16(static_cast<std::uint16_t>(v)); }
    else { u16(static_cast<std::uint16_t>(v)); u16(static_cast<std::uint16_t>(v >> 16)); }
  }
  void block(std::uint32_t type, const std::vector<std::uint8_t>& body) {
    const auto padded = (body.size() + 3) / 4 * 4;
    const auto total = static_cast<std::uint32_t>(12 + padded);
    u32(type);
    u32(total);
    out.insert(out.end(), body.begin(), body.end());
    out.insert(out.end(), padded - body.size(), 0);
    u32(total);
  }
  std::vector<std::uint8_t> body(const std::vector<std::uint32_t>& words, const std::vector<std::uint8_t>& tail = {}) {
    pcapng_builder b{big, {}};
    for (auto w : words) b.u32(w);
    b.out.insert(b.out.end(), tail.begin(), tail.end());
    return b.out;
  }
  void section() {  // byte-order magic, version 1.0, section length unknown
    pcapng_builder b{big, {}};
    b.u32(0x1a2b3c4d);
    b.u16(1);
    b.u16(0);
    b.u32(0xffffffff);
    b.u32(0xffffffff);
    block(0x0a0d0d0a, b.out);
  }
  void interface(std::uint16_t link, std::int8_t tsresol = -1, std::uint32_t snaplen = 65535) {
    pcapng_builder b{big, {}};
    b.u16(link); b.u16(0); b.u32(snaplen);
    if (tsresol >= 0) { b.u16(9); b.u16(1); b.out.insert(b.out.end(), {static_cast<std::uint8_t>(tsresol), 0, 0, 0}); }
    b.u16(0); b.u16(0);
    block(1, b.out);
  }
  void packet(std::uint32_t iface, std::uint64_t ts, const std::vector<std::uint8_t>& frame) {
    block(6, body({iface, static_cast<std::uint32_t>(ts >> 32), static_cast<std::uint32_t>(ts), static_cast<std::uint32_t>(frame.size()),
                   static_cast<std::uint32_t>(frame.size())}, frame));
  }
  std::filesystem::path write(const std::string& name) const {
    const auto path = std::filesystem::temp_directory_path() / ("expose_pcapng_" + name);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
    return path;
  }
};

/// A classic pcap trace of `n` records one millisecond apart from `t0` (ns) whose records vary in
/// size: TCP and UDP packets, and every third record a non-IP frame of zeros and random bytes, or
/// (`crafted`) full of 16-byte words that look like this file's own record headers, which can
/// fool a reader that looks for the next record from a byte inside the file (io::pcap_slices;
/// tests/io/pcap_range_test.cpp, tests/mpi/ambiguous_trace.cpp).
inline void write_range_trace(const std::filesystem::path& path, std::int64_t t0, int n, std::uint64_t seed, bool nano,
                              bool crafted = false) {
  expose::io::pcap_writer w(path, {.snaplen = 400, .nanosecond = nano});
  std::uint64_t s = seed;
  auto next = [&] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
  };
  for (int i = 0; i < n; ++i) {
    const std::int64_t ts = t0 + i * 1'000'000LL + static_cast<std::int64_t>(next() % 1000) * (nano ? 1 : 1000);
    if (i % 3 == 2) {
      std::vector<std::uint8_t> frame(14 + next() % 300, 0);
      frame[12] = 0x08;
      frame[13] = 0x06;  // ARP: skipped as non-ip
      for (std::size_t k = 14; k + 16 <= frame.size(); k += 16) {
        const std::uint32_t words[4] = {crafted ? static_cast<std::uint32_t>(ts / 1'000'000'000) : static_cast<std::uint32_t>(next()), 5,
                                        static_cast<std::uint32_t>(next() % 200), static_cast<std::uint32_t>(300)};
        if (i % 2 == 0 || crafted) std::memcpy(frame.data() + k, words, 16);
      }
      w.write_frame(ts, frame.data(), frame.size());
    } else {
      expose::packet p;
      p.ts_ns = ts;
      p.src = expose::ip_address::v4(0x0a000000u + static_cast<std::uint32_t>(next() % 50));
      p.dst = expose::ip_address::v4(0x0a010000u + static_cast<std::uint32_t>(next() % 5));
      p.sport = static_cast<std::uint16_t>(1024 + next() % 60000);
      p.dport = static_cast<std::uint16_t>(next() % 2 ? 53 : 80);
      p.proto = p.dport == 53 ? expose::proto::udp : expose::proto::tcp;
      p.length = static_cast<std::uint32_t>(60 + next() % 1400);
      w.write(p);
    }
  }
}

}  // namespace expose_test
