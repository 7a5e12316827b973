#pragma once
// Gives a container's memory back now, where a phase is done with it:
//
//   detail::release(entries);
//
// `v = {}` does not: for a std::vector (or a Boost flat map or set) it picks the assignment from
// an empty initializer list, which empties the container and keeps its memory.

#include <utility>

namespace expose::detail {

/// Empties `c` and frees what it holds (swapped with an empty one, which then goes).
template <class Container>
void release(Container& c) noexcept {
  Container().swap(c);
}

}  // namespace expose::detail
