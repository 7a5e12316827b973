#pragma once
// The counting engine: one antecedent at a time, a dense accumulator over its co-active items
// (a row of A'A, Gustavson's method), the row scored and reset. No global pair table: memory is
// the activity, the row lists of the items that can take part in a rule (made from the matrix's
// item -> rows form; its own row -> items form is read as it is where every item can and it is
// held), and, per thread, one counter per such item. Antecedents that can head no rule are never
// expanded, and rows are shared among threads.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "expose/activity.hpp"
#include "expose/concepts.hpp"
#include "expose/detail/release.hpp"
#include "expose/rule.hpp"

namespace expose::engine {

struct gustavson {
  unsigned threads = 0;  ///< 0: one per core
  /// Count only part `part` of `parts` (rows go to parts by chunks of 32, round robin), so several
  /// processes can share one count: the parts' outputs together, sorted by (x, y), are the whole.
  unsigned part = 0;
  unsigned parts = 1;
  /// Or, where several processes share one count as each is free: the next chunk of rows for this
  /// process (chunks of 32, in order), given how many there are; `chunks` or more when none is
  /// left. This count's threads call it one at a time (a deal shared by several counts at once
  /// must guard itself). The chunks every process counted, together and sorted
  /// by (x, y), are the whole. Empty: this process takes every chunk (or its part of `parts`).
  std::function<std::size_t(std::size_t)> deal{};

  template <class S>
  [[nodiscard]] std::vector<scored_pair> count(const activity& a, const S& scorer) const {
    return count(a, a, scorer);
  }

  /// Rules X => Y with X counted in `heads` and Y in `tails` (the same items and samples, e.g.
  /// `tails = dilate_back(heads, k)` for "Y within k windows after X"). Two matrices must both
  /// name their windows (check_windowed: bad_argument).
  template <class S>
  [[nodiscard]] std::vector<scored_pair> count(const activity& heads, const activity& a, const S& scorer) const {
    check_windowed(heads, a, "engine::gustavson::count");
    const auto n_items = static_cast<std::uint32_t>(a.items());
    const std::uint64_t n = a.samples;
    // Where each of the heads' windows stands among the tails' windows (none: it has no tails).
    constexpr std::uint32_t absent = UINT32_MAX;
    std::vector<std::uint32_t> at;
    if (&heads != &a) {
      at.assign(heads.windows.size(), absent);
      for (std::size_t i = 0, j = 0; i < heads.windows.size(); ++i) {
        while (j < a.windows.size() && a.windows[j] < heads.windows[i]) ++j;
        if (j < a.windows.size() && a.windows[j] == heads.windows[i]) at[i] = static_cast<std::uint32_t>(j);
      }
    }

    // Consequents: only items that can appear in a rule stay in the row lists, renumbered densely
    // (`item_of` names them again), so each thread's accumulator holds one counter per such item,
    // not per item: on a long trace most flows are seen in too few windows to appear.
    std::vector<std::uint32_t> rows;     // the antecedents worth a row
    std::vector<std::uint32_t> item_of;  // consequent number -> item
    std::size_t kept_entries = 0;
    for (std::uint32_t x = 0; x < n_items; ++x) {
      const std::uint64_t hc = heads.count(x);
      if (scorer.can_appear(hc, n) && scorer.can_head(hc, n)) rows.push_back(x);
      if (scorer.can_appear(a.count(x), n)) {
        item_of.push_back(x);
        kept_entries += a.count(x);
      }
    }
    const bool all_appear = item_of.size() == n_items;
    const std::size_t nw = a.rows();
    const bool as_held = all_appear && a.window_major();
    const auto consequents = static_cast<std::uint32_t>(item_of.size());
    if (all_appear) expose::detail::release(item_of);
    const auto item = [&](std::uint32_t k) { return all_appear ? k : item_of[k]; };
    unsigned t = threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
    t = static_cast<unsigned>(std::min<std::size_t>(t, std::max<std::size_t>(1, rows.size() / 16)));
    // A scorer may offer a prepared kernel for this N (support checked first, log table, ...).
    const auto kernel = [&] {
      // pairs scored: at most antecedents x consequents (the scorer may size its tables by it)
      const std::uint64_t pairs = consequents != 0 && rows.size() > UINT64_MAX / consequents ? UINT64_MAX : rows.size() * consequents;
      if constexpr (PreparedScore<S> && requires { scorer.prepare(n, pairs); }) return scorer.prepare(n, pairs);
      else if constexpr (PreparedScore<S>) return scorer.prepare(n);
      else return 0;
    }();
    auto keep = [&](const pair_counts& c, double& s) {
      if constexpr (PreparedScore<S>) {
        return kernel.keep(c, s);
      } else {
        s = scorer.score(c);
        return scorer.accepts(c, s);
      }
    };
    // Rows are handed out in chunks; each chunk's rules are kept apart and joined in chunk order,
    // so the output comes out sorted by (x, y) without a global sort.
    constexpr std::size_t chunk = 32;
    const std::size_t chunks = (rows.size() + chunk - 1) / chunk;
    std::vector<std::vector<scored_pair>> found(chunks);
    std::atomic<std::size_t> next{0};
    std::mutex dealing;
    const auto take = [&]() -> std::size_t {
      if (!deal) return next.fetch_add(1);
      const std::lock_guard lock(dealing);
      return deal(chunks);
    };
    // Counts over the row lists: row w's consequents are row_items[row_start[w], row_start[w + 1]).
    const auto count_rows = [&]<class RowItem>(const entry_index* row_start, const RowItem* row_items) {
      auto work = [&] {
        std::vector<std::uint32_t> acc(consequents, 0);
        // the consequents a row touched, first touch first: written at every entry, kept where
        // it was the first (no branch to mispredict in the inner loop); room for what a window
        // may add (at most every consequent) and one, grown as windows need it
        std::vector<std::uint32_t> touched(1);
        std::size_t n_touched = 0;
        for (std::size_t c; (c = take()) < chunks;) {
          if (!deal && parts > 1 && c % parts != part) continue;
          auto& out = found[c];
          const std::size_t end = std::min((c + 1) * chunk, rows.size());
          for (std::size_t h = c * chunk; h < end; ++h) {
            const std::uint32_t x = rows[h];
            for (std::uint32_t hw : heads.windows_of(x)) {
              const std::uint32_t w = at.empty() ? hw : at[hw];
              if (w == absent) continue;
              const std::size_t room = std::min<std::size_t>(n_touched + (row_start[w + 1] - row_start[w]), consequents) + 1;
              if (touched.size() < room) touched.resize(room);
              for (std::size_t i = row_start[w]; i < row_start[w + 1]; ++i) {
                const std::uint32_t k = row_items[i];
                touched[n_touched] = k;
                n_touched += acc[k]++ == 0 ? 1 : 0;
              }
            }
            const std::size_t first = out.size();
            const std::uint64_t hx = heads.count(x);
            for (std::uint32_t k : std::span<const std::uint32_t>{touched.data(), n_touched}) {
              if (const std::uint32_t y = item(k); y != x) {
                const pair_counts c2{hx, a.count(y), acc[k], n};
                double s = 0;
                if (keep(c2, s)) out.push_back({x, y, c2, s});
              }
              acc[k] = 0;
            }
            std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                      [](const scored_pair& l, const scored_pair& r) { return l.y < r.y; });
            n_touched = 0;
          }
        }
      };
      if (t == 1) {
        work();
      } else {
        {
          std::vector<std::jthread> pool;
          for (unsigned id = 0; id < t; ++id) pool.emplace_back(work);
        }
        expose::detail::trim_heap();  // what the threads freed (their accumulators)
      }
    };
    // The row lists: where every item appears and the matrix holds its window -> items form, that
    // form as it is; else made from the item -> windows form (a counting sort by row, items taken
    // in order, so each list is ascending), at their final size (their entries are the counts of
    // the items kept), a consequent in 1, 2 or 4 bytes as their number allows (the host items'
    // 37 over 2.2 M entries: 2 MB where 4-byte numbers took 9).
    const auto count_made_rows = [&]<class RowItem>(RowItem) {
      check_activity_entries(kept_entries);
      std::vector<entry_index> start(nw + 1, 0);
      for (std::uint32_t k = 0; k < consequents; ++k)
        for (const auto w : a.windows_of(item(k))) ++start[w + 1];
      for (std::size_t w = 0; w < nw; ++w) start[w + 1] += start[w];
      std::vector<RowItem> kept(kept_entries);
      for (std::uint32_t k = 0; k < consequents; ++k)  // start[w] walks to window w's end
        for (const auto w : a.windows_of(item(k))) kept[start[w]++] = static_cast<RowItem>(k);
      for (std::size_t w = nw; w > 0; --w) start[w] = start[w - 1];
      start[0] = 0;
      count_rows(start.data(), kept.data());
    };
    if (as_held) count_rows(a.window_start.data(), a.window_items.data());
    else if (consequents <= std::size_t{UINT8_MAX} + 1) count_made_rows(std::uint8_t{});
    else if (consequents <= std::size_t{UINT16_MAX} + 1) count_made_rows(std::uint16_t{});
    else count_made_rows(std::uint32_t{});
    if (found.size() == 1) return std::move(found[0]);
    std::size_t total = 0;
    for (const auto& f : found) total += f.size();
    std::vector<scored_pair> all;
    all.reserve(total);
    for (auto& f : found) {
      all.insert(all.end(), f.begin(), f.end());
      expose::detail::release(f);
    }
    return all;
  }
};

static_assert(CountingEngine<gustavson> && LaggedEngine<gustavson> && PartitionedEngine<gustavson> && DealtEngine<gustavson>);

}  // namespace expose::engine
