// tests/fixtures.hpp: what more than one test file needs. The test files are compiled in batches
// (a unity build, see CMakeLists.txt), so a helper two files define alike lives here, once.
#pragma once

#include <cstdint>
#include <vector>

#include "expose/address.hpp"
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

}  // namespace expose_test
