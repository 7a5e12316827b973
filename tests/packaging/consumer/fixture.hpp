#pragma once
// What every packaging consumer mines: 36 packets made in code, five flows over 19 one-second
// windows, and exactly one rule to find.
//   A  10.0.0.1.1000 -> 10.0.0.2.53 udp, request and answer   seconds 0, 2, ..., 18
//   B  10.0.0.1.40000 -> 10.0.0.3.80 tcp                       seconds 0, 2, ..., 18 (with A: A <=> B)
//   C  10.0.0.4.5000 -> 10.0.0.5.5001 udp                      seconds 1, 3, 5, 7 (never with A or B)
//   D, E                                                       second 1 only: together with C once,
//                                                              below min_support = 2, so no rule
// Only the core headers: the core-only consumers (expose::expose, pkg-config) use it as is.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <expose/expose.hpp>

namespace consumer {

inline constexpr std::uint64_t expected_packets = 36;
inline constexpr std::uint64_t expected_flows = 5;
inline constexpr std::uint64_t expected_windows = 19;
inline constexpr std::size_t expected_rules = 1;

inline std::vector<expose::packet> packets() {
  namespace ex = expose;
  constexpr std::int64_t sec = 1'000'000'000, ms = 1'000'000;
  const std::int64_t t0 = 1767600000LL * sec;
  auto host = [](std::uint32_t h) { return ex::ip_address::v4(0x0a000000u | h); };
  std::vector<ex::packet> out;
  auto add = [&](std::int64_t t, std::uint32_t s, std::uint16_t sp, std::uint32_t d, std::uint16_t dp, std::uint8_t pr) {
    ex::packet p;
    p.ts_ns = t;
    p.src = host(s);
    p.dst = host(d);
    p.sport = sp;
    p.dport = dp;
    p.proto = pr;
    p.tcp_flags = pr == ex::proto::tcp ? ex::tcp_flag::ack : 0;
    p.length = 100;
    out.push_back(p);
  };
  for (std::int64_t s = 0; s <= 18; s += 2) {
    add(t0 + s * sec + 100 * ms, 1, 1000, 2, 53, ex::proto::udp);
    add(t0 + s * sec + 105 * ms, 2, 53, 1, 1000, ex::proto::udp);
    add(t0 + s * sec + 200 * ms, 1, 40000, 3, 80, ex::proto::tcp);
  }
  for (std::int64_t s = 1; s <= 7; s += 2) add(t0 + s * sec + 300 * ms, 4, 5000, 5, 5001, ex::proto::udp);
  add(t0 + 1 * sec + 400 * ms, 6, 6000, 7, 6001, ex::proto::udp);
  add(t0 + 1 * sec + 500 * ms, 8, 7000, 9, 7001, ex::proto::udp);
  std::stable_sort(out.begin(), out.end(), [](const ex::packet& a, const ex::packet& b) { return a.ts_ns < b.ts_ns; });
  return out;
}

/// The pipeline every consumer runs: built before any data exists.
inline auto spec() {
  namespace ex = expose;
  return ex::key_by(ex::keys::five_tuple{}) | ex::score_by(ex::scores::untested{ex::scores::jmeasure{.min_support = 2}});
}

/// Prints one line `expose VERSION LABEL: packets=.. flows=.. windows=.. rules=..` and the rules;
/// false (with the reason on stderr) when anything differs from what the fixture plants.
inline bool check(const char* label, const expose::mine_result& r) {
  std::printf("expose %s %s: packets=%llu flows=%llu windows=%llu rules=%zu\n", expose::version, label,
              static_cast<unsigned long long>(r.input.packets), static_cast<unsigned long long>(r.flows),
              static_cast<unsigned long long>(r.windows), r.rules.size());
  for (const auto& x : r.rules)
    std::printf("  %s  support %llu/%llu\n", expose::io::rule_text(r, x).c_str(),
                static_cast<unsigned long long>(x.counts.n_xy), static_cast<unsigned long long>(x.counts.n));
  bool ok = r.input.packets == expected_packets && r.input.decoded == expected_packets && r.flows == expected_flows &&
            r.windows == expected_windows && r.rules.size() == expected_rules;
  if (ok) {
    const auto& x = r.rules.front();
    const std::string text = expose::io::rule_text(r, x);
    ok = x.kind == expose::rule_kind::equivalent && x.counts.n_xy == 10 && x.counts.n == expected_windows &&
         text.find(".53 : udp") != std::string::npos && text.find(".80 : tcp") != std::string::npos;
  }
  if (!ok) std::fprintf(stderr, "%s: the result differs from the fixture's planted rule\n", label);
  return ok;
}

/// The version the build system reported (find_package, pkg-config, meson) must be the headers'.
inline bool check_version() {
#ifdef EXPOSE_EXPECTED_VERSION
  if (std::strcmp(EXPOSE_EXPECTED_VERSION, expose::version) != 0) {
    std::fprintf(stderr, "version mismatch: the package says %s, the headers %s\n", EXPOSE_EXPECTED_VERSION,
                 expose::version);
    return false;
  }
  std::printf("expose version %s matches the package\n", expose::version);
#endif
  return true;
}

}  // namespace consumer
