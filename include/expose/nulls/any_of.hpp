#pragma once
// A null model chosen at run time among several (expose-mine's --null): one scorer type serves
// every choice, so the mining job is instantiated once.
//
//   nulls::any_of<nulls::alive, nulls::whole_trace> n{.chosen = nulls::whole_trace{}};

#include <utility>
#include <variant>

#include "expose/item_space.hpp"
#include "expose/concepts.hpp"
#include "expose/nulls/alive.hpp"
#include "expose/rule.hpp"

namespace expose::nulls {

template <NullModel... Models>
struct any_of {
  std::variant<Models...> chosen{};

  /// The chosen model's, prepared for one run.
  struct in_run {
    std::variant<decltype(std::declval<const Models&>().prepare(std::declval<const item_space&>()))...> chosen;
    [[nodiscard]] pair_counts condition(const scored_pair& pair) const {
      return std::visit([&](const auto& model) { return model.condition(pair); }, chosen);
    }
  };
  [[nodiscard]] in_run prepare(const item_space& space) const {
    return std::visit([&](const auto& model) { return in_run{model.prepare(space)}; }, chosen);
  }
};

static_assert(NullModel<any_of<alive>>);

}  // namespace expose::nulls
