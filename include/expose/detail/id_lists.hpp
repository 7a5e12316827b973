#pragma once
// Many short lists of ascending ids, held as the gaps between them in as few bytes as each needs
// (7 bits a byte, the high bit saying more follow), one list after another:
//
//   detail::id_lists lists;
//   const std::uint32_t k = lists.add(flows);  // ascending, each once
//   lists.get(k, scratch);                     // the ids again
//
// For lists that are many and read a few times (the host items' candidates hold 2.1 M flow ids on
// the 6-hour trace: 8.5 MB as 4-byte ids, 2.3 MB as gaps).

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "expose/detail/growable.hpp"

namespace expose::detail {

class id_lists {
 public:
  /// Appends a list of ids (ascending, each once) and returns its number (0, 1, ...).
  std::uint32_t add(std::span<const std::uint32_t> ids) {
    assert(lists() < UINT32_MAX && "id_lists: at most 2^32 - 1 lists");
    std::uint32_t previous = 0;
    for (std::size_t k = 0; k < ids.size(); ++k) {
      assert((k == 0 || ids[k] > ids[k - 1]) && "id_lists::add: ids ascending, each once");
      std::uint32_t d = ids[k] - previous;
      previous = ids[k];
      while (d >= 0x80) {
        bytes_.push_back(static_cast<std::uint8_t>(d | 0x80));
        d >>= 7;
      }
      bytes_.push_back(static_cast<std::uint8_t>(d));
    }
    size_.push_back(static_cast<std::uint32_t>(ids.size()));
    start_.push_back(bytes_.size());
    return static_cast<std::uint32_t>(lists() - 1);
  }

  [[nodiscard]] std::size_t lists() const noexcept { return size_.size(); }
  /// The number of ids list k holds.
  [[nodiscard]] std::uint32_t size(std::size_t k) const noexcept { return size_[k]; }
  /// The bytes every list takes together.
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_.size(); }

  /// Calls f(id) for every id of list k, ascending.
  template <class F>
  void for_each(std::size_t k, F&& f) const {
    const std::uint8_t* p = bytes_.data() + start_[k];
    std::uint32_t id = 0;
    for (std::uint32_t left = size_[k]; left != 0; --left) {
      id += read_gap(p);
      f(id);
    }
  }

  /// The ids of list k, in `out` (replacing what it held).
  void get(std::size_t k, std::vector<std::uint32_t>& out) const {
    out.clear();
    out.reserve(size_[k]);
    for_each(k, [&](std::uint32_t id) { out.push_back(id); });
  }
  [[nodiscard]] std::vector<std::uint32_t> get(std::size_t k) const {
    std::vector<std::uint32_t> out;
    get(k, out);
    return out;
  }
  /// The first id of list k (not empty).
  [[nodiscard]] std::uint32_t front(std::size_t k) const {
    assert(size_[k] != 0 && "id_lists::front: an empty list");
    const std::uint8_t* p = bytes_.data() + start_[k];
    return read_gap(p);  // the first id is its gap from 0
  }

  void swap(id_lists& o) noexcept {  // for detail::release
    bytes_.swap(o.bytes_);
    start_.swap(o.start_);
    size_.swap(o.size_);
  }

 private:
  /// Reads one gap at p and moves p past it.
  [[nodiscard]] static std::uint32_t read_gap(const std::uint8_t*& p) noexcept {
    std::uint32_t g = 0;
    for (unsigned shift = 0;; shift += 7) {
      const std::uint8_t b = *p++;
      g |= static_cast<std::uint32_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return g;
    }
  }

  growable<std::uint8_t> bytes_;
  std::vector<std::size_t> start_{0};  ///< list k: bytes_[start_[k], start_[k + 1])
  std::vector<std::uint32_t> size_;
};

}  // namespace expose::detail
