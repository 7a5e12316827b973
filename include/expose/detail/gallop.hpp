#pragma once
// Searching a sorted list from where the last search stopped: for walking a short sorted list
// against a long one (their common values) in about |short| * log(|long| / |short|) steps.

#include <algorithm>
#include <cstddef>
#include <iterator>

namespace expose::detail {

/// The first position in [from, end) (sorted ascending) whose value is not less than `v`, found
/// in steps that double from `from` and then by bisection of the last step: about log of the
/// distance to it, not of the whole range.
template <std::random_access_iterator It, class T>
[[nodiscard]] It gallop(It from, It end, const T& v) {
  It lo = from;
  for (std::ptrdiff_t step = 1; from != end && *from < v; step *= 2) {
    lo = from;
    from = end - from > step ? from + step : end;
  }
  return std::lower_bound(lo, from, v);
}

/// Calls found(i) for each position i of `few` (sorted ascending, each value once) whose value
/// `many` (sorted ascending) holds too, in ascending order of i.
template <class Few, class Many, class Found>
void each_common(const Few& few, const Many& many, Found&& found) {
  const auto f0 = std::begin(few), f1 = std::end(few);
  const auto m0 = std::begin(many), m1 = std::end(many);
  if (static_cast<std::size_t>(f1 - f0) <= static_cast<std::size_t>(m1 - m0)) {
    auto at = m0;
    for (auto f = f0; f != f1; ++f) {
      at = gallop(at, m1, *f);
      if (at == m1) return;
      if (*at == *f) found(static_cast<std::size_t>(f - f0));
    }
  } else {
    auto at = f0;
    for (auto m = m0; m != m1; ++m) {
      at = gallop(at, f1, *m);
      if (at == f1) return;
      if (*at == *m) found(static_cast<std::size_t>(at - f0));
    }
  }
}

/// Whether `outer` (sorted ascending) holds every value of `inner` (sorted ascending, each value
/// once): std::includes, but galloping through `outer`, so a short list against a long one takes
/// about |inner| * log(|outer| / |inner|) steps where std::includes walks `outer` up to the last
/// value of `inner` (measured: most of the window rests' time on the 6-hour trace, whose large
/// generic items each hold many smaller ones).
template <class Outer, class Inner>
[[nodiscard]] bool includes(const Outer& outer, const Inner& inner) {
  auto at = std::begin(outer);
  const auto end = std::end(outer);
  for (const auto& v : inner) {
    at = gallop(at, end, v);
    if (at == end || v < *at) return false;
    ++at;
  }
  return true;
}

}  // namespace expose::detail
