#include "expose/engine/gustavson.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "doctest.hpp"
#include "expose/detail/random.hpp"
#include "expose/engine/brute_force.hpp"
#include "expose/scores/jmeasure.hpp"

using namespace expose;

namespace {
// A random activity matrix: items with skewed rates, a few planted co-active pairs.
activity random_activity(std::uint64_t seed, std::size_t items, std::int64_t windows) {
  detail::splitmix64 rng(seed);
  std::vector<double> rate(items);
  for (auto& r : rate) r = 0.002 + 0.3 * rng.unit() * rng.unit() * rng.unit();
  std::vector<std::pair<std::int64_t, std::uint32_t>> entries;
  for (std::int64_t w = 0; w < windows; ++w) {
    for (std::uint32_t x = 0; x < items; ++x) {
      const bool partner_on = x % 7 == 1 && rng.chance(0.8) &&
                              !entries.empty() && entries.back().first == w && entries.back().second == x - 1;
      if (partner_on || rng.chance(rate[x])) entries.emplace_back(w, x);
    }
  }
  return activity::from_sorted(entries, items, static_cast<std::uint64_t>(windows));
}
}  // namespace

TEST_CASE("engine.gustavson.equals_brute_force") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const activity a = random_activity(seed, 120, 400);
    for (const scores::jmeasure j : {scores::jmeasure{.min_score = 0.0, .min_support = 1},
                                     scores::jmeasure{.min_score = 0.01, .min_support = 3},
                                     scores::jmeasure{.min_score = 0.05, .min_support = 5}}) {
      const auto expected = engine::brute_force{}.count(a, j);
      for (unsigned threads : {1u, 2u, 5u}) {
        const auto got = engine::gustavson{.threads = threads}.count(a, j);
        REQUIRE(got.size() == expected.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
          CHECK(got[i].x == expected[i].x);
          CHECK(got[i].y == expected[i].y);
          CHECK(got[i].counts == expected[i].counts);
          CHECK(got[i].score == doctest::Approx(expected[i].score).epsilon(1e-12));  // log table vs log2 of ratios
        }
      }
    }
  }
}

TEST_CASE("engine.gustavson.rows_that_are_not_windows_or_held_by_item_count_alike") {
  // The host matrix's rows carry no window index (activity::windows empty), the window items'
  // matrix holds no window -> items form: both engines count them as the same matrix whole.
  const activity a = random_activity(4, 60, 300);
  activity rows_only = a;
  rows_only.windows.clear();
  CHECK(rows_only.rows() == a.windows.size());
  // And the window items' matrix after generalization, held by item alone.
  activity by_item = a;
  by_item.drop_window_major();
  CHECK_FALSE(by_item.window_major());
  CHECK(by_item.rows() == a.windows.size());
  CHECK(by_item.entries() == a.entries());
  // Neither: rows that are not windows, held by item alone (rows() reads the items' last rows).
  activity neither = rows_only;
  neither.drop_window_major();
  CHECK(neither.rows() == a.windows.size());
  CHECK_FALSE(neither.window_major());
  for (const scores::jmeasure j : {scores::jmeasure{.min_score = 0.0, .min_support = 1}, scores::jmeasure{.min_score = 0.01, .min_support = 3}}) {
    const auto expected = engine::gustavson{.threads = 1}.count(a, j);
    REQUIRE(!expected.empty());
    for (const auto& got : {engine::gustavson{.threads = 2}.count(rows_only, j), engine::brute_force{}.count(rows_only, j),
                            engine::gustavson{.threads = 2}.count(by_item, j), engine::brute_force{}.count(by_item, j),
                            engine::gustavson{.threads = 2}.count(neither, j), engine::brute_force{}.count(neither, j)}) {
      REQUIRE(got.size() == expected.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].x == expected[i].x);
        CHECK(got[i].y == expected[i].y);
        CHECK(got[i].counts == expected[i].counts);
      }
    }
  }
}

TEST_CASE("engine.gustavson.counts_a_hand_made_matrix") {
  // windows 0..5; item 0 in {0,1,2}, item 1 in {0,1,2,3}, item 2 in {5}
  const std::vector<std::pair<std::int64_t, std::uint32_t>> e{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}, {2, 1}, {3, 1}, {5, 2}};
  const activity a = activity::from_sorted(e, 3, 6);
  const auto pairs = engine::gustavson{.threads = 1}.count(a, scores::jmeasure{.min_score = 0.0, .min_support = 1});
  REQUIRE(pairs.size() == 2);
  CHECK(pairs[0].x == 0);
  CHECK(pairs[0].y == 1);
  CHECK(pairs[0].counts == pair_counts{3, 4, 3, 6});
  CHECK(pairs[0].score == doctest::Approx(scores::jmeasure::score({3, 4, 3, 6})));
  CHECK(pairs[1].x == 1);
  CHECK(pairs[1].y == 0);
  CHECK(pairs[1].counts == pair_counts{4, 3, 3, 6});
}

TEST_CASE("engine.gustavson.empty_input") {
  const activity a = activity::from_sorted(std::vector<timed_entry>{}, 0, 0);
  CHECK(engine::gustavson{}.count(a, scores::jmeasure{}).empty());
}

TEST_CASE("engine.gustavson.heads_and_tails_equal_brute_force") {
  const activity a = random_activity(9, 80, 300);
  const activity tails = dilate_back(a, 2);
  const scores::jmeasure j{.min_score = 0.005, .min_support = 2};
  const auto expected = engine::brute_force{}.count(a, tails, j);
  REQUIRE_FALSE(expected.empty());
  const auto got = engine::gustavson{.threads = 2}.count(a, tails, j);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].x == expected[i].x);
    CHECK(got[i].y == expected[i].y);
    CHECK(got[i].counts == expected[i].counts);
  }
}

TEST_CASE("engine.gustavson.parts_together_are_the_whole") {
  // Several processes share one count (expose::mpi): each counts part i of n; the parts are
  // disjoint, and together, sorted by (x, y), they are the whole count.
  const activity a = random_activity(4, 300, 500);
  const scores::jmeasure j{.min_score = 0.0, .min_support = 1};
  const auto whole = engine::gustavson{.threads = 2}.count(a, j);
  const activity tails = dilate_back(a, 2);
  const auto whole_lagged = engine::gustavson{.threads = 1}.count(a, tails, j);
  for (unsigned parts : {2u, 3u, 7u}) {
    CAPTURE(parts);
    std::vector<scored_pair> joined, joined_lagged;
    for (unsigned part = 0; part < parts; ++part) {
      const engine::gustavson e{.threads = 2, .part = part, .parts = parts};
      const auto some = e.count(a, j);
      if (parts == 2) CHECK(!some.empty());
      joined.insert(joined.end(), some.begin(), some.end());
      const auto lagged = e.count(a, tails, j);
      joined_lagged.insert(joined_lagged.end(), lagged.begin(), lagged.end());
    }
    const auto by_items = [](const scored_pair& l, const scored_pair& r) { return l.x != r.x ? l.x < r.x : l.y < r.y; };
    std::sort(joined.begin(), joined.end(), by_items);
    std::sort(joined_lagged.begin(), joined_lagged.end(), by_items);
    CHECK(joined == whole);
    CHECK(joined_lagged == whole_lagged);
  }
}

TEST_CASE("engine.gustavson.dealt_chunks_together_are_the_whole") {
  // Several processes share one count chunk by chunk (expose::mpi: a counter on rank 0): each
  // counts the chunks it is dealt; the chunks together, sorted by (x, y), are the whole count.
  const activity a = random_activity(5, 300, 500);
  const scores::jmeasure j{.min_score = 0.0, .min_support = 1};
  const auto whole = engine::gustavson{.threads = 1}.count(a, j);
  const auto by_items = [](const scored_pair& l, const scored_pair& r) { return l.x != r.x ? l.x < r.x : l.y < r.y; };
  // one process dealt chunks 0, 2 and 5, the other every other one, one after the other
  const std::vector<std::size_t> first_takes{0, 2, 5};
  std::size_t chunks_seen = 0;
  std::size_t at = 0;
  const engine::gustavson first{.threads = 2, .deal = [&](std::size_t chunks) {
                                  chunks_seen = chunks;
                                  return at < first_takes.size() ? first_takes[at++] : chunks;
                                }};
  const auto some = first.count(a, j);
  REQUIRE(chunks_seen == 9);  // the rows of the items that can head a rule, in chunks of 32
  CHECK(at == 3);
  CHECK(std::is_sorted(some.begin(), some.end(), by_items));
  std::size_t next = 0;
  const engine::gustavson second{.threads = 1, .deal = [&](std::size_t chunks) {
                                   while (next < chunks && std::find(first_takes.begin(), first_takes.end(), next) != first_takes.end()) ++next;
                                   return next < chunks ? next++ : chunks;
                                 }};
  const auto rest = second.count(a, j);
  CHECK(!some.empty());
  CHECK(!rest.empty());
  std::vector<scored_pair> joined(some);
  joined.insert(joined.end(), rest.begin(), rest.end());
  std::sort(joined.begin(), joined.end(), by_items);
  CHECK(joined == whole);
  // two processes at once, taking from one counter as each is free (two threads each)
  std::atomic<std::size_t> counter{0};
  const engine::gustavson shared{.threads = 2, .deal = [&](std::size_t) { return counter.fetch_add(1); }};
  std::vector<scored_pair> left, right;
  {
    std::jthread other([&] { right = shared.count(a, j); });
    left = shared.count(a, j);
  }
  joined = left;
  joined.insert(joined.end(), right.begin(), right.end());
  std::sort(joined.begin(), joined.end(), by_items);
  CHECK(joined == whole);
  // a process that is dealt nothing counts nothing
  const engine::gustavson late{.threads = 1, .deal = [](std::size_t chunks) { return chunks; }};
  CHECK(late.count(a, j).empty());
}

TEST_CASE("engine.gustavson.heads_and_tails_must_name_their_windows") {
  // Heads and tails of two matrices are matched by window: a matrix whose rows are other samples
  // (the host items') is refused by name, by both engines, either way round.
  const activity a = random_activity(9, 20, 50);
  activity rows_only = a;
  rows_only.windows.clear();
  const scores::jmeasure j{.min_score = 0.0, .min_support = 1};
  CHECK_THROWS_WITH_AS((void)engine::gustavson{}.count(rows_only, a, j),
                       doctest::Contains("engine::gustavson::count: heads and tails are matched by window"), bad_argument);
  CHECK_THROWS_AS((void)engine::gustavson{}.count(a, rows_only, j), bad_argument);
  CHECK_THROWS_WITH_AS((void)engine::brute_force{}.count(a, rows_only, j),
                       doctest::Contains("engine::brute_force::count: heads and tails are matched by window"), bad_argument);
  // One matrix counted against itself needs no windows.
  CHECK(engine::gustavson{}.count(rows_only, rows_only, j).size() == engine::gustavson{}.count(a, j).size());
  // An empty matrix names none and has nothing to match.
  const activity empty = activity::from_sorted(std::vector<timed_entry>{}, 20, 0);
  CHECK(engine::gustavson{}.count(empty, a, j).empty());
}

TEST_CASE("engine.gustavson.row_lists_name_consequents_in_one_two_or_four_bytes") {
  // Row lists made from the item -> windows form (the matrix held by item alone) take a
  // consequent's number in 1 byte up to 256 of them, 2 up to 65,536, else 4: each count alike.
  const scores::jmeasure j{.min_score = 0.0, .min_support = 2};
  for (const std::size_t items : {std::size_t{100}, std::size_t{700}}) {  // 1 and 2 bytes
    const activity a = random_activity(11, items, 200);
    activity by_item = a;
    by_item.drop_window_major();
    const auto expected = engine::brute_force{}.count(a, j);
    const auto got = engine::gustavson{.threads = 2}.count(by_item, j);
    REQUIRE(got.size() == expected.size());
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < got.size(); ++i) wrong += got[i].x != expected[i].x || got[i].y != expected[i].y || got[i].counts != expected[i].counts;
    CHECK(wrong == 0);
  }
  // Each side of both bounds (256 and 257 items, 65,536 and 65,537) and 70,000: items 2w and
  // 2w + 1 active together in window w alone, every item a consequent (an odd last item is alone
  // in its window).
  for (const std::uint32_t n_items : {256u, 257u, 65'536u, 65'537u, 70'000u}) {
    const std::uint32_t windows = (n_items + 1) / 2;
    std::vector<std::pair<std::int64_t, std::uint32_t>> e;
    for (std::uint32_t x = 0; x < n_items; ++x) e.emplace_back(x / 2, x);
    activity a = activity::from_sorted(e, n_items, windows);
    a.drop_window_major();
    const auto got = engine::gustavson{.threads = 2}.count(a, scores::jmeasure{.min_score = 0.0, .min_support = 1});
    REQUIRE(got.size() == n_items / 2 * 2);  // an odd last item is alone in its window: no pair
    std::size_t wrong = 0;
    for (const auto& p : got) wrong += (p.x ^ 1u) != p.y || p.counts != pair_counts{1, 1, 1, windows};
    CHECK(wrong == 0);
  }
}
