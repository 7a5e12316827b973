#pragma once
// A lattice chosen at run time among several: one pipeline type serves every choice, so a tool
// that lets the user pick the templates instantiates the mining job once, not once per lattice
// (expose-mine's `-T paper|none` compiles in about half the time it took with a pipeline for each).
//
//   lattice::any_of<lattice::paper_templates, lattice::none> l{.chosen = lattice::none{}};
//
// `keep_instances` is any_of's own (the alternatives' are not read), as a pipeline of a lattice
// that keeps instances reads it: true reports the rules a more general rule explains and marks no
// rule alike to another. A pipeline of lattice::none alone marks alike rules: leave it false there.
// Each alternative that checks the key when the pipeline is built (lattice::templates) checks it.

#include <utility>
#include <variant>
#include <vector>

#include "expose/activity.hpp"
#include "expose/concepts.hpp"
#include "expose/flow_key.hpp"
#include "expose/item_space.hpp"
#include "expose/pattern_list.hpp"
#include "expose/lattice/none.hpp"

namespace expose::lattice {

template <Lattice... Lattices>
struct any_of {
  std::variant<Lattices...> chosen{};
  bool keep_instances = false;  ///< report rules a more general rule explains (--all-rules)

  template <class Key>
  static constexpr void check_key() {
    (check_one<Lattices, Key>(), ...);
  }

  template <class Keep>
  [[nodiscard]] item_space generalize(pattern_list base, activity a, const Keep& keep) const {
    return std::visit([&](const auto& l) { return l.generalize(std::move(base), std::move(a), keep); }, chosen);
  }

  // Host-variable items apart (SplitLattice), where every alternative can build them so.
  template <class Keep>
    requires(SplitLattice<Lattices> && ...)
  [[nodiscard]] item_space generalize_windows(pattern_list base, activity a, const Keep& keep) const {
    return std::visit([&](const auto& l) { return l.generalize_windows(std::move(base), std::move(a), keep); }, chosen);
  }
  [[nodiscard]] bool has_host_items() const noexcept
    requires(SplitLattice<Lattices> && ...)
  {
    return std::visit([](const auto& l) { return static_cast<bool>(l.has_host_items()); }, chosen);
  }
  template <class Keep>
    requires(SplitLattice<Lattices> && ...)
  [[nodiscard]] host_items make_host_items(const Keep& keep, const pattern_list& base, const activity& a) const {
    return std::visit([&](const auto& l) { return l.make_host_items(keep, base, a); }, chosen);
  }
  template <class Keep, class Sum>
    requires(SplitLattice<Lattices> && ...)
  [[nodiscard]] host_items make_host_items(const Keep& keep, const pattern_list& base, const activity& a, window_part part, const Sum& sum) const {
    return std::visit([&](const auto& l) { return l.make_host_items(keep, base, a, part, sum); }, chosen);
  }

 private:
  template <class L, class Key>
  static constexpr void check_one() {
    if constexpr (KeyCheckedLattice<L, Key>) L::template check_key<Key>();
  }
};

static_assert(Lattice<any_of<none>> && SplitLattice<any_of<none>> && InstanceKeepingLattice<any_of<none>>);

}  // namespace expose::lattice
