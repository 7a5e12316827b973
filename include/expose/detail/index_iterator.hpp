#pragma once
// A random-access iterator over a list that gives its elements by value (`list[i]` makes one
// again from how the list holds it: pattern_list, flow_list). Its reference is a const value, so
// it is an input iterator to the classic categories and random-access to the C++20 concepts.

#include <compare>
#include <cstddef>
#include <iterator>

namespace expose::detail {

template <class List, class Value>
class index_iterator {
 public:
  using iterator_concept = std::random_access_iterator_tag;
  using iterator_category = std::input_iterator_tag;  // the reference is no lvalue
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using reference = const Value;

  index_iterator() = default;
  index_iterator(const List* list, std::size_t at) noexcept : list_(list), at_(at) {}
  [[nodiscard]] const Value operator*() const noexcept { return (*list_)[at_]; }
  [[nodiscard]] const Value operator[](difference_type n) const noexcept { return (*list_)[at_ + static_cast<std::size_t>(n)]; }
  index_iterator& operator++() noexcept { ++at_; return *this; }
  index_iterator operator++(int) noexcept { auto old = *this; ++at_; return old; }
  index_iterator& operator--() noexcept { --at_; return *this; }
  index_iterator operator--(int) noexcept { auto old = *this; --at_; return old; }
  index_iterator& operator+=(difference_type n) noexcept { at_ = static_cast<std::size_t>(static_cast<difference_type>(at_) + n); return *this; }
  index_iterator& operator-=(difference_type n) noexcept { return *this += -n; }
  [[nodiscard]] friend index_iterator operator+(index_iterator i, difference_type n) noexcept { return i += n; }
  [[nodiscard]] friend index_iterator operator+(difference_type n, index_iterator i) noexcept { return i += n; }
  [[nodiscard]] friend index_iterator operator-(index_iterator i, difference_type n) noexcept { return i -= n; }
  [[nodiscard]] friend difference_type operator-(const index_iterator& a, const index_iterator& b) noexcept {
    return static_cast<difference_type>(a.at_) - static_cast<difference_type>(b.at_);
  }
  [[nodiscard]] friend bool operator==(const index_iterator& a, const index_iterator& b) noexcept { return a.at_ == b.at_; }
  [[nodiscard]] friend auto operator<=>(const index_iterator& a, const index_iterator& b) noexcept { return a.at_ <=> b.at_; }

 private:
  const List* list_ = nullptr;
  std::size_t at_ = 0;
};

}  // namespace expose::detail
