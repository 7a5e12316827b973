#pragma once
// A small deterministic random source: the same seed gives the same trace on every compiler
// (the standard distributions are not specified bit for bit, so none is used).

#include <cstdint>

namespace expose::detail {

class splitmix64 {
 public:
  explicit constexpr splitmix64(std::uint64_t seed) : state_(seed) {}
  constexpr std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is below 2^-32 for n < 2^32).
  constexpr std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next() >> 32) * n) >> 32);
  }
  /// Uniform in [0, 1).
  constexpr double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  constexpr bool chance(double p) { return unit() < p; }

 private:
  std::uint64_t state_;
};

}  // namespace expose::detail
