#pragma once
// A list of trivially copyable values that grows with realloc, for the lists that grow while a
// trace is read (the flows' keys, the activity entries):
//
//   detail::growable<timed_entry> entries;
//   entries.push_back(e);
//
// A std::vector grows by allocating a block twice the size and copying into it, so for a moment
// it holds its values twice: on a list of tens of MB that moment sets the reading's peak. glibc
// gives a large block its own mapping (the tools set the threshold to 1 MiB: M_MMAP_THRESHOLD),
// and realloc grows a mapped block by moving its pages (mremap), never holding them twice.

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

namespace expose::detail {

template <class T>
  requires std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T> && (alignof(T) <= alignof(std::max_align_t))
class growable {
 public:
  using value_type = T;

  growable() = default;
  growable(const growable&) = delete;
  growable& operator=(const growable&) = delete;
  growable(growable&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)), capacity_(std::exchange(o.capacity_, 0)) {}
  growable& operator=(growable&& o) noexcept {
    growable(std::move(o)).swap(*this);
    return *this;
  }
  ~growable() { std::free(data_); }

  void swap(growable& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] T* data() noexcept { return data_; }
  [[nodiscard]] const T* data() const noexcept { return data_; }
  [[nodiscard]] T* begin() noexcept { return data_; }
  [[nodiscard]] T* end() noexcept { return data_ + size_; }
  [[nodiscard]] const T* begin() const noexcept { return data_; }
  [[nodiscard]] const T* end() const noexcept { return data_ + size_; }
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return data_[i]; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  [[nodiscard]] T& back() noexcept { return data_[size_ - 1]; }
  [[nodiscard]] const T& back() const noexcept { return data_[size_ - 1]; }
  [[nodiscard]] operator std::span<const T>() const noexcept { return {data_, size_}; }

  void push_back(const T& v) {
    if (size_ == capacity_) grow(std::max<std::size_t>(16, capacity_ * 2));
    data_[size_++] = v;
  }
  /// Appends the values [first, last) (not of this list).
  void append(const T* first, const T* last) {
    const auto k = static_cast<std::size_t>(last - first);
    if (size_ + k > capacity_) grow(std::max(size_ + k, capacity_ * 2));
    std::copy(first, last, data_ + size_);
    size_ += k;
  }
  void reserve(std::size_t n) {
    if (n > capacity_) grow(n);
  }
  /// Keeps the first n values, or adds copies of `v` up to n.
  void resize(std::size_t n, const T& v = T{}) {
    if (n > capacity_) grow(std::max(n, capacity_ * 2));
    std::fill(data_ + std::min(size_, n), data_ + n, v);
    size_ = n;
  }
  void clear() noexcept { size_ = 0; }
  /// Gives back the room beyond size() (realloc shrinks a mapped block in place).
  void shrink_to_fit() {
    if (size_ == capacity_) return;
    if (size_ == 0) {
      std::free(std::exchange(data_, nullptr));
      capacity_ = 0;
      return;
    }
    grow(size_);
  }

 private:
  void grow(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    void* p = std::realloc(data_, n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    data_ = static_cast<T*>(p);
    capacity_ = n;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace expose::detail
