// Frame decoding: `io::decode` over a mix of Ethernet frames held in memory as a capture would
// hold them (IPv4 and IPv6, TCP and UDP, one frame in five 802.1Q-tagged, a few ARP frames),
// whole frames and frames cut at a 128-byte snap length. The reference beside it copies each
// frame (memcpy), the least any reader does with a frame.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include "expose/address.hpp"
#include "expose/io/decode.hpp"
#include "expose/io/encode.hpp"
#include "expose/packet.hpp"
#include "expose/synth/demo.hpp"

namespace {

using expose::packet;

struct capture {
  std::vector<std::uint8_t> data;     // frames back to back
  std::vector<std::size_t> offset;    // frame i: data[offset[i], offset[i] + caplen[i])
  std::vector<std::uint32_t> caplen;
  std::uint64_t bytes = 0;            // captured bytes, the sum of caplen
  std::uint64_t ip_frames = 0;        // frames that should decode
};

/// The demo trace as frames: every fourth packet moved to IPv6 (2001:db8::/96 + its IPv4
/// address), every fifth frame tagged, one frame in a hundred an ARP request.
capture make_capture(std::uint32_t snaplen) {
  const auto packets = expose::synth::demo{}.packets();
  capture c;
  auto push = [&](const std::vector<std::uint8_t>& f) {
    const auto len = static_cast<std::uint32_t>(std::min<std::size_t>(f.size(), snaplen));
    c.offset.push_back(c.data.size());
    c.caplen.push_back(len);
    c.data.insert(c.data.end(), f.begin(), f.begin() + len);
    c.bytes += len;
  };
  auto to_v6 = [](const expose::ip_address& a) {
    std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
    std::memcpy(b + 12, a.bytes().data() + 12, 4);
    return expose::ip_address::v6(b);
  };
  for (std::size_t i = 0; i < packets.size(); ++i) {
    packet p = packets[i];
    if (i % 4 == 3) {
      p.src = to_v6(p.src);
      p.dst = to_v6(p.dst);
      p.length += 20;
    }
    auto f = expose::io::encode_ethernet(p);
    if (i % 5 == 2) {  // 802.1Q: TPID, then the tag control word, before the original EtherType
      const std::uint8_t tag[4] = {0x81, 0x00, 0x00, static_cast<std::uint8_t>(10 + i % 7)};
      f.insert(f.begin() + 12, tag, tag + 4);
    }
    push(f);
    ++c.ip_frames;
    if (i % 100 == 50) {  // ARP who-has: 42 bytes, not IP
      std::vector<std::uint8_t> arp(42, 0);
      std::fill_n(arp.begin(), 6, 0xff);
      arp[6] = 0x02;
      arp[12] = 0x08;
      arp[13] = 0x06;
      push(arp);
    }
  }
  return c;
}

const capture& frames(std::int64_t snaplen) {
  static const capture full = make_capture(65535), cut = make_capture(128);
  return snaplen == 65535 ? full : cut;
}

void rate(benchmark::State& state, const capture& c) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(c.offset.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.bytes));
  state.counters["frames"] = static_cast<double>(c.offset.size());
  state.counters["avg_caplen"] = static_cast<double>(c.bytes) / static_cast<double>(c.offset.size());
}

/// Reference: copy every frame out of the buffer.
void BM_memcpy_frames(benchmark::State& state) {
  const capture& c = frames(state.range(0));
  std::vector<std::uint8_t> scratch(65536 + 64);
  for (auto _ : state) {
    for (std::size_t i = 0; i < c.offset.size(); ++i) {
      std::memcpy(scratch.data(), c.data.data() + c.offset[i], c.caplen[i]);
      benchmark::ClobberMemory();
    }
  }
  rate(state, c);
}
BENCHMARK(BM_memcpy_frames)->ArgName("snaplen")->Arg(65535)->Arg(128)->Unit(benchmark::kMicrosecond);

void BM_decode(benchmark::State& state) {
  const capture& c = frames(state.range(0));
  packet p;
  std::uint64_t decoded = 0;
  for (auto _ : state) {
    decoded = 0;
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < c.offset.size(); ++i) {
      if (expose::io::decode(expose::io::link::ethernet, c.data.data() + c.offset[i], c.caplen[i], p) ==
          expose::io::skip_reason::none) {
        ++decoded;
        sum += p.sport ^ p.dport ^ p.proto ^ p.src.bytes()[15] ^ p.dst.bytes()[15];
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  if (decoded != c.ip_frames) state.SkipWithError("decode missed IP frames of the mix");
  rate(state, c);
}
BENCHMARK(BM_decode)->ArgName("snaplen")->Arg(65535)->Arg(128)->Unit(benchmark::kMicrosecond);

}  // namespace
