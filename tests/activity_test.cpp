#include "expose/activity.hpp"

#include <vector>

#include "doctest.hpp"

using namespace expose;

namespace {
std::vector<std::uint32_t> as_vector(std::span<const std::uint32_t> s) { return {s.begin(), s.end()}; }
}  // namespace

TEST_CASE("activity.one_entry_per_item_per_window") {
  activity_builder b;
  b.add(100, 0);
  b.add(100, 0);
  b.add(100, 1);
  b.add(101, 1);
  b.add(104, 0);
  CHECK(b.entries() == 4);
  const activity a = std::move(b).finish(2);
  CHECK(a.samples == 5);  // windows 100..104, the empty 102 and 103 included
  CHECK(a.windows == std::vector<std::int64_t>{100, 101, 104});
  CHECK(a.count(0) == 2);
  CHECK(a.count(1) == 2);
  CHECK(as_vector(a.windows_of(0)) == std::vector<std::uint32_t>{0, 2});
  CHECK(as_vector(a.windows_of(1)) == std::vector<std::uint32_t>{0, 1});
  CHECK(as_vector(a.items_in(0)) == std::vector<std::uint32_t>{0, 1});
  CHECK(as_vector(a.items_in(2)) == std::vector<std::uint32_t>{0});
  CHECK(a.rows() == 3);
}

TEST_CASE("activity.dilate_back_reads_a_matrix_held_by_item_alone") {
  const activity a = activity::from_sorted(std::vector<std::pair<std::int64_t, std::uint32_t>>{{10, 0}, {12, 1}, {13, 0}, {13, 1}}, 2, 6);
  activity by_item = a;
  by_item.drop_window_major();
  CHECK(by_item.window_items.empty());
  CHECK(by_item.window_start.empty());
  const activity d = dilate_back(by_item, 1);
  CHECK(d.windows == dilate_back(a, 1).windows);
  CHECK(d.window_items == dilate_back(a, 1).window_items);
  CHECK(d.windows == std::vector<std::int64_t>{10, 11, 12, 13});
  CHECK(as_vector(d.windows_of(0)) == std::vector<std::uint32_t>{0, 2, 3});
}

TEST_CASE("activity.rows_that_are_not_windows_are_indexed_from_the_window_major_form") {
  // Three rows (no window index: the host items' samples), items 0 and 1.
  const activity a = activity::from_window_major({}, {0, 2, 3, 4}, {0, 1, 1, 0}, 2, 10);
  CHECK(a.windows.empty());
  CHECK(a.rows() == 3);
  CHECK(a.entries() == 4);
  CHECK(as_vector(a.windows_of(0)) == std::vector<std::uint32_t>{0, 2});
  CHECK(as_vector(a.windows_of(1)) == std::vector<std::uint32_t>{0, 1});
  CHECK(activity{}.rows() == 0);
  // Nothing to lag: its rows are not windows.
  CHECK_THROWS_WITH_AS((void)dilate_back(a, 1), "dilate_back: the matrix names no windows (its rows are other samples): nothing to lag",
                       bad_argument);
  // Held by item alone as well: rows() reads its items' last rows (row 2 is item 0's last).
  activity neither = a;
  neither.drop_window_major();
  CHECK(neither.rows() == 3);
  CHECK_FALSE(neither.window_major());
  CHECK(a.window_major());
}

TEST_CASE("activity.out_of_order_entries_are_sorted_and_merged") {
  activity_builder b;
  b.add(10, 2);
  b.add(8, 2);
  b.add(10, 1);
  b.add(10, 2);  // again after going back in time
  b.add(9, 0);
  const activity a = std::move(b).finish(3);
  CHECK(a.samples == 3);
  CHECK(a.entries() == 4);
  CHECK(a.windows == std::vector<std::int64_t>{8, 9, 10});
  CHECK(as_vector(a.items_in(2)) == std::vector<std::uint32_t>{1, 2});
  CHECK(as_vector(a.windows_of(2)) == std::vector<std::uint32_t>{0, 2});
}

TEST_CASE("activity.huge_gaps_cost_nothing_per_empty_window") {
  activity_builder b;
  b.add(0, 0);                 // 1970
  b.add(1'767'600'000, 0);     // 2026, in 1-s windows
  b.add(1'767'600'000, 1);
  const activity a = std::move(b).finish(2);
  CHECK(a.samples == 1'767'600'001ULL);
  CHECK(a.windows.size() == 2);
  CHECK(a.window_start.size() == 3);
}

TEST_CASE("activity.touch_extends_the_span") {
  activity_builder b;
  b.add(5, 0);
  b.touch(9);
  const activity a = std::move(b).finish(1);
  CHECK(a.samples == 5);
}

TEST_CASE("activity.empty") {
  activity_builder b;
  const activity a = std::move(b).finish(0);
  CHECK(a.samples == 0);
  CHECK(a.items() == 0);
  CHECK(a.entries() == 0);
}

TEST_CASE("activity.retain_drops_and_renames_items") {
  activity_builder b;
  b.add(10, 0);
  b.add(10, 1);
  b.add(11, 2);
  b.add(12, 1);
  CHECK(b.counts(3) == std::vector<std::uint32_t>{1, 2, 1});
  CHECK(b.last_window(1) == 12);
  b.retain({UINT32_MAX, 0, 1});  // item 0 goes; 1 -> 0, 2 -> 1
  CHECK(b.entries() == 3);
  CHECK(b.last_window(0) == 12);
  CHECK(b.last_window(1) == 11);
  b.add(12, 0);  // already active in window 12: no new entry
  b.add(13, 2);  // a new item after the renaming
  const activity a = std::move(b).finish(3);
  CHECK(a.samples == 4);
  CHECK(as_vector(a.windows_of(0)) == std::vector<std::uint32_t>{0, 2});
  CHECK(as_vector(a.windows_of(1)) == std::vector<std::uint32_t>{1});
  CHECK(as_vector(a.windows_of(2)) == std::vector<std::uint32_t>{3});
}

TEST_CASE("activity.offsets_keep_when_in_its_window_an_item_was_first_active") {
  // 65536ths of a window: a quarter of a 1 s window is 16384; before the window 0, past it the most.
  constexpr std::int64_t s = 1'000'000'000;
  CHECK(offset_in_window(7 * s + s / 4, 7, s) == 16384);
  CHECK(offset_in_window(7 * s, 7, s) == 0);
  CHECK(offset_in_window(7 * s - 1, 7, s) == 0);
  CHECK(offset_in_window(8 * s + 5, 7, s) == 65535);
  CHECK(offset_in_window(-s + s / 2, -1, s) == 32768);  // before 1970
  activity_builder b;
  b.add(100, 0, 500);
  b.add(100, 0, 300);  // an earlier packet after a later one, same window: the earliest stands
  b.add(100, 1, 900);
  b.add(101, 1, 40);
  b.add(100, 1, 20);   // back to window 100: sorted and merged at the end, the earliest kept
  const activity a = std::move(b).finish(2);
  CHECK(a.timed());
  CHECK(std::vector<window_offset>(a.offsets_of(0).begin(), a.offsets_of(0).end()) == std::vector<window_offset>{300});
  CHECK(std::vector<window_offset>(a.offsets_of(1).begin(), a.offsets_of(1).end()) == std::vector<window_offset>{20, 40});
  // A matrix built without times has none.
  const activity plain = activity::from_sorted(std::vector<std::pair<std::int64_t, std::uint32_t>>{{1, 0}}, 1, 1);
  CHECK_FALSE(plain.timed());
  CHECK(plain.offsets_of(0).empty());
}

TEST_CASE("activity.from_window_major_matches_from_sorted") {
  const std::vector<std::pair<std::int64_t, std::uint32_t>> entries{{3, 0}, {3, 2}, {7, 1}, {7, 2}, {9, 2}};
  const activity a = activity::from_sorted(entries, 4, 10);
  const activity b = activity::from_window_major({3, 7, 9}, {0, 2, 4, 5}, {0, 2, 1, 2, 2}, 4, 10);
  CHECK(b.samples == 10);
  CHECK(b.windows == a.windows);
  CHECK(b.window_start == a.window_start);
  CHECK(b.window_items == a.window_items);
  CHECK(b.item_start == a.item_start);  // item 3 is never active
  CHECK(b.item_windows == a.item_windows);
  CHECK(b.item_windows == std::vector<std::uint32_t>{0, 1, 0, 1, 2});
  CHECK_FALSE(b.timed());
  const activity none = activity::from_window_major({}, {0}, {}, 2, 0);
  CHECK(none.entries() == 0);
  CHECK(none.count(1) == 0);
}

TEST_CASE("activity.a_matrix_holds_at_most_max_activity_entries") {
  static_assert(sizeof(entry_index) == 4 && max_activity_entries == 4294967295u);
  CHECK_NOTHROW(check_activity_entries(max_activity_entries));
  CHECK_THROWS_WITH_AS(check_activity_entries(max_activity_entries + 1),
                       "activity: 4294967296 (item, window) entries, more than the 4294967295 one matrix holds; use wider windows "
                       "(--window), a lower --max-memory or --max-flows, or cut the trace in parts",
                       error);
  // the starts are 4-byte positions
  activity a = activity::from_window_major({1, 2}, {0, 1, 2}, {0, 1}, 2, 2);
  CHECK(a.item_start == std::vector<entry_index>{0, 1, 2});
  CHECK(a.count(0) == 1);
}
