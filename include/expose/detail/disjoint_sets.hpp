#pragma once
// Disjoint sets (union-find) with path halving; a union keeps the smaller id as the root, so the
// earliest member names a set and results do not depend on the order of unions.

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <vector>

namespace expose::detail {

template <class Id = std::size_t>
class disjoint_sets {
 public:
  explicit disjoint_sets(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), Id{0}); }

  [[nodiscard]] Id find(Id x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  /// Joins the sets of `a` and `b`; true when they were apart.
  bool unite(Id a, Id b) {
    a = find(a);
    b = find(b);
    if (a == b) return false;
    parent_[std::max(a, b)] = std::min(a, b);
    return true;
  }

 private:
  std::vector<Id> parent_;
};

}  // namespace expose::detail
