#pragma once
// A null model chosen at run time among several (expose-mine's --null): one scorer type serves
// every choice, so the mining job is instantiated once.
//
//   nulls::any_of<nulls::alive, nulls::whole_trace> n{.chosen = nulls::whole_trace{}};

#include <variant>

#include "expose/activity.hpp"
#include "expose/concepts.hpp"
#include "expose/nulls/alive.hpp"
#include "expose/rule.hpp"

namespace expose::nulls {

template <NullModel... Models>
struct any_of {
  std::variant<Models...> chosen{};

  [[nodiscard]] pair_counts condition(const scored_pair& pair, const activity& a) const {
    return std::visit([&](const auto& model) { return model.condition(pair, a); }, chosen);
  }
};

static_assert(NullModel<any_of<alive>>);

}  // namespace expose::nulls
