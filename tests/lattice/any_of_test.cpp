#include "expose/lattice/any_of.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "doctest.hpp"
#include "expose/io/text.hpp"
#include "expose/keys/host_pair.hpp"
#include "expose/lattice/templates.hpp"
#include "expose/pipeline.hpp"
#include "expose/synth/generator.hpp"

using namespace expose;

namespace {
using either = lattice::any_of<lattice::paper_templates, lattice::none>;

template <class L>
std::vector<std::string> rule_texts(const std::vector<packet>& trace, const L& l) {
  const auto r = mine(trace, pipeline<>{} | generalize_by(l));
  std::vector<std::string> out;
  for (const auto& x : r.rules) out.push_back(io::rule_text(r, x) + (x.alike_of != rule::not_alike ? " (alike)" : ""));
  return out;
}
}  // namespace

static_assert(InstanceKeepingLattice<either> && KeyCheckedLattice<either, keys::host_pair>);

TEST_CASE("lattice.any_of.mines_as_the_chosen_lattice") {
  const synth::generator gen{.seed = 4, .duration = std::chrono::seconds{1200}, .hosts = 40, .noise_per_second = 5};
  const auto trace = gen.packets();
  const auto paper = rule_texts(trace, lattice::paper_templates{});
  const auto plain = rule_texts(trace, lattice::none{});
  REQUIRE(paper.size() > plain.size());  // the generic rules are there, and not without templates
  CHECK(rule_texts(trace, either{}) == paper);  // the first alternative by default
  CHECK(rule_texts(trace, either{.chosen = lattice::none{}}) == plain);
  // keep_instances is any_of's own: the rules a generic rule explains come back
  const auto all = rule_texts(trace, lattice::paper_templates{.keep_instances = true});
  REQUIRE(all.size() > paper.size());
  CHECK(rule_texts(trace, either{.keep_instances = true}) == all);
  CHECK(rule_texts(trace, either{.chosen = lattice::paper_templates{.keep_instances = true}}) == paper);  // not the alternative's
}
