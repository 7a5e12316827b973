#pragma once
// The demo trace: a small LAN with a few planted patterns that plain flows show, among noise.
// Deterministic by seed. Planted (all ports fixed, so each pattern is a set of specific flows):
//   - two NTP clients polling one server in lock step       -> one rule between their flows
//   - an IM client refreshing its MSN and AOL sessions together -> one rule
//   - a host advertising over mDNS to three others at once   -> a clique of three flows
// Around them: one always-on heavy flow, five independently active flows, and random one-off
// connections. None of those may appear in a rule.
//
// The trace is made whole in memory (unlike the generator's, which comes in slices), so it is
// for short runs: `check()` refuses settings whose trace would pass `max_packets`.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "expose/address.hpp"
#include "expose/detail/random.hpp"
#include "expose/error.hpp"
#include "expose/packet.hpp"

namespace expose::synth {

struct demo {
  std::uint64_t seed = 1;
  std::chrono::seconds duration{600};
  double noise_per_second = 2.0;  ///< random one-off connections
  static constexpr std::int64_t start_ns = 1767600000LL * 1'000'000'000;  ///< 2026-01-05 08:00:00 UTC

  /// The planted flows' texts, as the five-tuple key writes them.
  struct truth {
    static constexpr const char* ntp_a = "10.0.0.21.123 : 10.0.0.1.123 : udp";
    static constexpr const char* ntp_b = "10.0.0.22.123 : 10.0.0.1.123 : udp";
    static constexpr const char* msn = "10.0.0.30.50100 : 64.4.0.1.1863 : tcp";
    static constexpr const char* aol = "10.0.0.30.50101 : 64.12.0.1.5190 : tcp";
    static constexpr const char* mdns[3] = {"10.0.0.40.5353 : 10.0.0.41.5353 : udp",
                                            "10.0.0.40.5353 : 10.0.0.42.5353 : udp",
                                            "10.0.0.40.5353 : 10.0.0.43.5353 : udp"};
  };

  /// The most packets a demo trace may hold: 560 MB of them in memory at once. That is 55 hours at
  /// the default noise, or an hour at 900 random connections a second.
  static constexpr double max_packets = 10e6;

  /// About how many packets the trace holds (within 0.1 % at an hour): 44 a second from the
  /// planted and background flows, 40 of them the heavy flow's, and 3 for each random connection.
  [[nodiscard]] double expected_packets() const {
    return static_cast<double>(duration.count()) * (44.1 + 3 * noise_per_second);
  }

  /// Throws bad_argument when a setting is out of range or the trace would not fit in memory.
  void check() const {
    if (duration.count() <= 0) throw bad_argument("synth::demo: duration must be at least 1 s");
    if (!(noise_per_second == 0 || (noise_per_second >= 1e-6 && noise_per_second <= 1e6)))
      throw bad_argument("synth::demo: noise_per_second must be 0 or 0.000001 to 1000000");
    if (expected_packets() > max_packets)
      throw bad_argument("synth::demo: the trace would be about " + std::to_string(std::llround(expected_packets())) +
                         " packets, made whole in memory: at most " + std::to_string(std::llround(max_packets)) +
                         " (a shorter duration or less noise; synth::generator streams long traces)");
  }

  /// Every packet of the trace, in time order. Starts at 2026-01-05 08:00:00 UTC.
  [[nodiscard]] std::vector<packet> packets() const {
    check();
    constexpr std::int64_t sec = 1'000'000'000;
    const std::int64_t t0 = start_ns;
    const std::int64_t end = t0 + duration.count() * sec;
    expose::detail::splitmix64 rng(seed);
    std::vector<packet> out;
    out.reserve(static_cast<std::size_t>(expected_packets() * 1.02) + 1000);  // not twice the trace while the vector grows
    auto lan = [](std::uint32_t host) { return ip_address::v4(0x0a000000u | host); };
    auto add = [&](std::int64_t t, ip_address s, std::uint16_t sp, ip_address d, std::uint16_t dp, std::uint8_t pr,
                   std::uint8_t flags, std::uint32_t len) {
      if (t < end) out.push_back({t, s, d, sp, dp, pr, flags, 0, 0, len});
    };
    // A request and its answer a few milliseconds later.
    auto exchange = [&](std::int64_t t, ip_address c, std::uint16_t cp, ip_address s, std::uint16_t sp,
                        std::uint8_t pr, std::uint32_t len) {
      const std::uint8_t f = pr == proto::tcp ? (tcp_flag::ack | 0x08) : 0;
      add(t, c, cp, s, sp, pr, f, len);
      add(t + static_cast<std::int64_t>(2 + rng.below(20)) * 1'000'000, s, sp, c, cp, pr, f, len);
    };
    auto jitter_ms = [&](std::uint64_t ms) { return static_cast<std::int64_t>(rng.below(ms)) * 1'000'000; };

    // Two lock-step NTP clients: every 3-6 s, both within 50 ms.
    for (std::int64_t t = t0 + sec / 10; t < end; t += static_cast<std::int64_t>(3 + rng.below(4)) * sec) {
      exchange(t, lan(21), 123, lan(1), 123, proto::udp, 90);
      exchange(t + jitter_ms(50), lan(22), 123, lan(1), 123, proto::udp, 90);
    }
    // An IM client refreshing both sessions together, every 5-12 s.
    const ip_address msn = ip_address::v4(0x40040001u), aol = ip_address::v4(0x400c0001u);
    add(t0, lan(30), 50100, msn, 1863, proto::tcp, tcp_flag::syn, 60);
    add(t0, lan(30), 50101, aol, 5190, proto::tcp, tcp_flag::syn, 60);
    for (std::int64_t t = t0 + sec / 3; t < end; t += static_cast<std::int64_t>(5 + rng.below(8)) * sec) {
      exchange(t, lan(30), 50100, msn, 1863, proto::tcp, 120);
      exchange(t + jitter_ms(80), lan(30), 50101, aol, 5190, proto::tcp, 120);
    }
    // mDNS advertisements to three hosts at once, every 8-15 s.
    for (std::int64_t t = t0 + sec / 2; t < end; t += static_cast<std::int64_t>(8 + rng.below(8)) * sec)
      for (std::uint32_t h = 41; h <= 43; ++h) add(t + jitter_ms(30), lan(40), 5353, lan(h), 5353, proto::udp, 0, 300);
    // One always-on heavy flow: a packet every 50 ms each way.
    const ip_address cdn = ip_address::v4(0xcb00710au);  // 203.0.113.10
    add(t0, lan(50), 40000, cdn, 443, proto::tcp, tcp_flag::syn, 60);
    for (std::int64_t t = t0 + sec / 20; t < end; t += sec / 20) {
      add(t, cdn, 443, lan(50), 40000, proto::tcp, tcp_flag::ack, 1500);
      add(t + 1'000'000, lan(50), 40000, cdn, 443, proto::tcp, tcp_flag::ack, 60);
    }
    // Five flows active independently, each in about a quarter of the seconds.
    for (std::uint32_t i = 0; i < 5; ++i)
      for (std::int64_t s = 0; s < duration.count(); ++s)
        if (rng.chance(0.25)) exchange(t0 + s * sec + jitter_ms(1000), lan(60 + i), 5000, lan(2), 8080, proto::tcp, 200);
    // Random one-off connections between random hosts.
    const auto noise = static_cast<std::uint64_t>(noise_per_second * static_cast<double>(duration.count()));
    for (std::uint64_t i = 0; i < noise; ++i) {
      const std::int64_t t = t0 + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(end - t0)));
      const auto c = lan(100 + static_cast<std::uint32_t>(rng.below(100)));
      const auto s = ip_address::v4(0xc6336400u | static_cast<std::uint32_t>(rng.below(200)));  // 198.51.100.x
      const auto cp = static_cast<std::uint16_t>(49152 + rng.below(16000));
      add(t, c, cp, s, 443, proto::tcp, tcp_flag::syn, 60);
      exchange(t + 5'000'000, c, cp, s, 443, proto::tcp, 600);
    }
    std::stable_sort(out.begin(), out.end(), [](const packet& a, const packet& b) { return a.ts_ns < b.ts_ns; });
    return out;
  }
};

}  // namespace expose::synth
