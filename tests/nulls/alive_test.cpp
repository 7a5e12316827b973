#include "expose/nulls/alive.hpp"

#include <cstdint>
#include <utility>
#include <vector>

#include "doctest.hpp"
#include "expose/nulls/whole_trace.hpp"
#include "expose/scores/significant.hpp"

using namespace expose;

namespace {
using entries = std::vector<std::pair<std::int64_t, std::uint32_t>>;
activity matrix(entries e, std::size_t items, std::uint64_t n) {
  std::sort(e.begin(), e.end());
  return activity::from_sorted(e, items, n);
}
// A plain item space over `a`: item i is the flow 10.0.i.1 -> 10.1.i.1, no two items share a host.
item_space space_of(const activity& a) {
  std::vector<flow_pattern> items;
  for (std::uint32_t i = 0; i < a.items(); ++i)
    items.push_back(exact(flow_key{ip_address::v4(0x0a000001u + (i << 8)), ip_address::v4(0x0a010001u + (i << 8)), 40000, 80, 6}));
  return item_space::plain(std::move(items), a);
}
template <class Model>
pair_counts conditioned(const Model& model, const activity& a, const scored_pair& p) {
  return model.prepare(space_of(a)).condition(p);
}
scored_pair pair_of(const activity& a, std::uint32_t x, std::uint32_t y) {
  std::uint64_t both = 0;
  const auto wx = a.windows_of(x), wy = a.windows_of(y);
  for (std::size_t i = 0, j = 0; i < wx.size() && j < wy.size();) {
    if (wx[i] < wy[j]) ++i;
    else if (wy[j] < wx[i]) ++j;
    else ++both, ++i, ++j;
  }
  return {x, y, {a.count(x), a.count(y), both, a.samples}, 0.1};
}
}  // namespace

TEST_CASE("nulls.alive.counts_inside_both_lifetimes") {
  // X alive in windows 10..40 (active 10, 20, 30, 40), Y alive 25..60 (active 25, 30, 40, 60):
  // common life 25..40 = 16 windows; X has 30, 40 inside it, Y has 25, 30, 40.
  const activity a = matrix({{10, 0}, {20, 0}, {30, 0}, {40, 0}, {25, 1}, {30, 1}, {40, 1}, {60, 1}}, 2, 1000);
  const auto p = pair_of(a, 0, 1);
  CHECK(p.counts == pair_counts{4, 4, 2, 1000});
  CHECK(conditioned(nulls::alive{.margin = 0}, a, p) == pair_counts{2, 3, 2, 16});
  CHECK(conditioned(nulls::whole_trace{}, a, p) == p.counts);
  // Symmetric: the reversed pair is the reversed counts.
  CHECK(conditioned(nulls::alive{.margin = 0}, a, pair_of(a, 1, 0)) == pair_counts{3, 2, 2, 16});
  // A margin of 5 windows: X lives 5..45, Y 20..65, common 20..45 = 26 windows, X has 20, 30, 40
  // inside Y's life, Y has 25, 30, 40 inside X's.
  CHECK(conditioned(nulls::alive{.margin = 5}, a, p) == pair_counts{3, 3, 2, 26});
}

TEST_CASE("nulls.alive.gap_cuts_quiet_stretches") {
  // X active at 0, 1, 2 and 100, 101; Y at 1, 2 and 500. With gap 10, X lives 0..2 and 100..101,
  // Y 1..2 and 500..500: common 1..2.
  const activity a = matrix({{0, 0}, {1, 0}, {2, 0}, {100, 0}, {101, 0}, {1, 1}, {2, 1}, {500, 1}}, 2, 1000);
  const auto p = pair_of(a, 0, 1);
  CHECK(conditioned(nulls::alive{.gap = 10, .margin = 0}, a, p) == pair_counts{2, 2, 2, 2});
  // Unlimited gap: X 0..101, Y 1..500, common 1..101.
  CHECK(conditioned(nulls::alive{.margin = 0}, a, p) == pair_counts{4, 2, 2, 101});
}

TEST_CASE("nulls.alive.sides_of_one_host_live_as_long_as_the_host") {
  // A client H with two FTP sessions (windows 100..105 and 500..505) to the server S: control on
  // port 21 in all 12 windows, data in 4 of them. H is seen from window 50 to 950 (a lookup at each
  // end), S from 10 to 900 (another client). Two flows of other hosts to one multicast group meet
  // in windows 300..310: a group is no host, they keep their own lifetimes. A second client of S
  // holds a control connection in windows 101..104, inside H's first session.
  const auto H = *ip_address::parse("10.9.0.1"), S = *ip_address::parse("10.9.0.2"), group = *ip_address::parse("224.0.0.251");
  const auto flow = [](ip_address src, ip_address dst, std::uint16_t dport) { return exact(flow_key{src, dst, 40000, dport, 6}); };
  const std::vector<flow_pattern> items{flow(H, S, 21), flow(H, S, 20), flow(H, *ip_address::parse("10.9.0.3"), 53),
                                        flow(*ip_address::parse("10.9.0.4"), S, 80), flow(*ip_address::parse("10.9.0.5"), group, 5353),
                                        flow(*ip_address::parse("10.9.0.6"), group, 5353), flow(*ip_address::parse("10.9.0.7"), group, 5353),
                                        flow(*ip_address::parse("10.9.0.8"), S, 21)};
  entries e;
  for (const std::int64_t start : {100, 500}) {
    for (std::int64_t w = start; w <= start + 5; ++w) e.emplace_back(w, 0);
    e.emplace_back(start + 2, 1);
    e.emplace_back(start + 4, 1);
  }
  e.insert(e.end(), {{50, 2}, {950, 2}, {10, 3}, {900, 3}, {0, 6}, {999, 6}});
  for (std::int64_t w = 300; w <= 310; ++w) e.insert(e.end(), {{w, 4}, {w, 5}});
  for (std::int64_t w = 101; w <= 104; ++w) e.emplace_back(w, 7);
  const activity a = matrix(e, items.size(), 1000);
  const auto space = item_space::plain(items, a);
  const auto ftp = pair_of(a, 1, 0);
  REQUIRE(ftp.counts == pair_counts{4, 12, 4, 1000});
  // H and S both shared, H starts both: H's life, 50..950, widened by 30: 20..980.
  CHECK(nulls::alive{}.prepare(space).condition(ftp) == pair_counts{4, 12, 4, 961});
  // Without: the sessions' own lifetimes, 72..534 and 70..535.
  CHECK(nulls::alive{.shared_host = false}.prepare(space).condition(ftp) == pair_counts{4, 12, 4, 463});
  // H's and the other client's control connections share only their server, which starts
  // neither: their own lives, 70..535 and 71..134; H's is active in 6 of the 64 windows of both.
  const auto clients = pair_of(a, 0, 7);
  REQUIRE(clients.counts == pair_counts{12, 4, 4, 1000});
  CHECK(nulls::alive{}.prepare(space).condition(clients) == pair_counts{6, 4, 4, 64});
  // The group's flows: their own lives, 270..340.
  CHECK(nulls::alive{}.prepare(space).condition(pair_of(a, 4, 5)) == pair_counts{11, 11, 11, 71});
}

TEST_CASE("nulls.alive.always_alive_is_the_whole_trace") {
  const activity a = matrix({{0, 0}, {0, 1}, {5, 0}, {9, 1}, {9, 0}}, 2, 10);
  const auto p = pair_of(a, 0, 1);
  CHECK(conditioned(nulls::alive{}, a, p) == p.counts);
}

TEST_CASE("nulls.alive.flows_that_merely_share_a_stretch_are_not_significant") {
  // Two independent flows, each active in 60 % of the windows of one stretch 1000..1099 of a trace
  // of 6,700 windows, meeting as often as chance inside that stretch (36 windows), and a real pair
  // that keeps meeting over a long life (every 50th window, both, 100 times).
  entries e;
  for (std::int64_t w = 1000; w < 1100; ++w) {
    if (w % 5 < 3) e.emplace_back(w, 0);             // X: 60 windows
    if ((w / 5) % 5 < 3) e.emplace_back(w, 1);       // Y: 60 windows, met by X in 36
  }
  for (std::int64_t k = 0; k < 100; ++k) {
    e.emplace_back(50 * k + 7, 2);
    e.emplace_back(50 * k + 7, 3);
  }
  const activity a = matrix(e, 4, 6700);
  const auto chance = pair_of(a, 0, 1), real = pair_of(a, 2, 3);
  REQUIRE(chance.counts.n_xy == 36);
  // Under the whole trace, 36 meetings of two 60-window flows are far beyond the 0.5 expected.
  CHECK(scores::cooccurrence_p_value(conditioned(nulls::whole_trace{}, a, chance)) < 1e-30);
  // Inside their common life they are what chance gives (36 = 60 x 60 / 100).
  CHECK(scores::cooccurrence_p_value(conditioned(nulls::alive{.margin = 0}, a, chance)) > 0.3);
  CHECK(scores::cooccurrence_p_value(conditioned(nulls::alive{}, a, real)) < 1e-100);
  // The whole test (FDR over 6 hypotheses, bursts): the chance pair goes, the real one stays.
  std::vector<scored_pair> pairs{chance, real};
  scores::significant<>{}.filter(pairs, 6, space_of(a));
  REQUIRE(pairs.size() == 1);
  CHECK(pairs[0].x == 2);
  std::vector<scored_pair> old{chance, real};
  scores::significant<scores::jmeasure, nulls::whole_trace>{}.filter(old, 6, space_of(a));
  CHECK(old.size() == 2);
}
