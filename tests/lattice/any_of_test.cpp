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

TEST_CASE("lattice.any_of.builds_host_items_apart_as_the_chosen_lattice") {
  // A driver that builds the host-variable items apart (on another rank) asks any_of, which asks
  // the chosen lattice: the paper's templates make host items, lattice::none makes none.
  static_assert(SplitLattice<either>);
  const synth::generator gen{.seed = 4, .duration = std::chrono::seconds{600}, .hosts = 30, .noise_per_second = 5};
  std::vector<packet> trace = gen.packets();
  mine_result r;
  activity a;
  {
    ingest<keys::five_tuple, windows::lagged> in(keys::five_tuple{}, windows::lagged{}, {}, r);
    for (const auto& p : trace) in.take(p);
    a = std::move(in).finish();
  }
  const auto keep = [](std::uint64_t count, std::uint64_t samples) { return count >= 3 && count < samples; };
  CHECK(either{}.has_host_items());
  CHECK_FALSE(either{.chosen = lattice::none{}}.has_host_items());
  const host_items paper = either{}.make_host_items(keep, r.items, a);
  const item_space whole = lattice::paper_templates{}.generalize(r.items, a, keep);
  CHECK(paper.closures.size() == whole.hosts.items());
  CHECK(paper.closures.size() > 0);
  CHECK(either{.chosen = lattice::none{}}.make_host_items(keep, r.items, a).closures.empty());
  const item_space windows_only = either{}.generalize_windows(r.items, a, keep);
  CHECK(windows_only.items.size() == whole.windows.items());
  CHECK(either{.chosen = lattice::none{}}.generalize_windows(r.items, a, keep).items.size() == r.items.size());
}
