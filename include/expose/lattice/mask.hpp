#pragma once
// The generalization lattice at compile time: key fields are tags, a template's mask marks each
// field kept, `*` (any value) or a host variable. Per field the order is kept < var < any; the
// lattice of masks is the product of those chains, so order, join and meet are per field.

#include <array>
#include <cstddef>
#include <cstdint>

#include "expose/flow_key.hpp"

namespace expose {

/// Key fields as types, so a template names them at compile time.
namespace fields {
template <field F>
struct tag {
  static constexpr field id = F;
};
using src_ip = tag<field::src_ip>;
using src_port = tag<field::src_port>;
using dst_ip = tag<field::dst_ip>;
using dst_port = tag<field::dst_port>;
using proto = tag<field::proto>;
}  // namespace fields

namespace lattice {

/// What a template does to each field of a key.
struct mask {
  std::array<slot, field_count> slots{};  // all kept: the identity template

  [[nodiscard]] constexpr slot operator[](field f) const { return slots[static_cast<std::size_t>(f)]; }
  [[nodiscard]] constexpr std::size_t vars() const {
    std::size_t n = 0;
    for (slot s : slots) n += s == slot::var ? 1 : 0;
    return n;
  }
  friend constexpr bool operator==(const mask&, const mask&) = default;
};

[[nodiscard]] constexpr int generality(slot s) { return s == slot::kept ? 0 : (s == slot::var ? 1 : 2); }

/// a <= b: b is at least as general as a in every field.
[[nodiscard]] constexpr bool leq(const mask& a, const mask& b) {
  for (std::size_t i = 0; i < field_count; ++i)
    if (generality(a.slots[i]) > generality(b.slots[i])) return false;
  return true;
}
/// The most specific mask at least as general as both.
[[nodiscard]] constexpr mask join(const mask& a, const mask& b) {
  mask m;
  for (std::size_t i = 0; i < field_count; ++i)
    m.slots[i] = generality(a.slots[i]) >= generality(b.slots[i]) ? a.slots[i] : b.slots[i];
  return m;
}
/// The most general mask at most as general as both.
[[nodiscard]] constexpr mask meet(const mask& a, const mask& b) {
  mask m;
  for (std::size_t i = 0; i < field_count; ++i)
    m.slots[i] = generality(a.slots[i]) <= generality(b.slots[i]) ? a.slots[i] : b.slots[i];
  return m;
}
inline constexpr mask identity{};
inline constexpr mask top{{slot::any, slot::any, slot::any, slot::any, slot::any}};

/// Marks for a template's fields: `any<fields::src_port>` is `*`, `var<fields::src_ip>` a host variable.
template <class F>
struct any {
  using field_tag = F;
  static constexpr slot mark = slot::any;
};
template <class F>
struct var {
  using field_tag = F;
  static_assert(F::id == field::src_ip || F::id == field::dst_ip, "lattice::var: only a host field (src_ip, dst_ip) can be a host variable");
  using field_tag_checked = F;
  static constexpr slot mark = slot::var;
};

/// A template: the fields it marks; every other field is kept.
///   using same_client = lattice::shape<lattice::var<fields::src_ip>, lattice::any<fields::src_port>>;
template <class... Marks>
struct shape {
  static constexpr mask value = [] {
    mask m;
    ((m.slots[static_cast<std::size_t>(Marks::field_tag::id)] = Marks::mark), ...);
    return m;
  }();
  static_assert(value.vars() <= 1, "lattice::shape: a template binds at most one host variable");
  /// The fields the template names (kept fields are not named).
  static constexpr bool names(field f) { return ((Marks::field_tag::id == f) || ...); }
};

// The laws, checked where they are stated.
namespace detail {
inline constexpr mask law_a{{slot::kept, slot::any, slot::kept, slot::kept, slot::kept}};
inline constexpr mask law_b{{slot::var, slot::any, slot::kept, slot::any, slot::kept}};
inline constexpr mask law_c{{slot::any, slot::kept, slot::var, slot::kept, slot::kept}};
static_assert(join(law_a, law_b) == join(law_b, law_a) && meet(law_a, law_b) == meet(law_b, law_a), "commutative");
static_assert(join(join(law_a, law_b), law_c) == join(law_a, join(law_b, law_c)) && meet(meet(law_a, law_b), law_c) == meet(law_a, meet(law_b, law_c)), "associative");
static_assert(join(law_a, law_a) == law_a && meet(law_a, law_a) == law_a, "idempotent");
static_assert(join(law_a, meet(law_a, law_b)) == law_a && meet(law_a, join(law_a, law_b)) == law_a, "absorption");
static_assert(leq(law_a, join(law_a, law_b)) && leq(meet(law_a, law_b), law_a), "join is an upper bound, meet law_a lower bound");
static_assert(leq(identity, law_a) && leq(law_a, top) && !leq(top, law_a), "identity at the bottom, all-any at the top");
static_assert(leq(law_a, law_b) == (join(law_a, law_b) == law_b), "order agrees with join");
}  // namespace detail

}  // namespace lattice
}  // namespace expose
