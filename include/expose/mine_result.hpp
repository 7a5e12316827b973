#pragma once
// What a run learned: the result of `mine` (pipeline.hpp), the MPI driver (mpi/mine.hpp) and each
// epoch of the stream driver (stream.hpp). The writers (io/text.hpp, io/json.hpp, io/dot.hpp,
// io/html.hpp) and the rule store (store/) read it without the pipeline.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "expose/activity.hpp"
#include "expose/flow_key.hpp"
#include "expose/input.hpp"
#include "expose/limits.hpp"
#include "expose/pattern_list.hpp"
#include "expose/rule.hpp"

namespace expose {

/// Everything a run learned: the input as read, the items (flows, or generic patterns), the rules
/// over item ids ranked most significant first, and the clusters of the rule graph.
struct mine_result {
  input_stats input;
  std::uint64_t flows = 0;      ///< connections seen (both directions one flow)
  std::map<std::uint8_t, std::uint64_t> flows_by_protocol;  ///< the same, by IP protocol number
  std::uint64_t windows = 0;    ///< N: windows spanned, empty ones included
  std::uint64_t host_samples = 0;  ///< (host, window) samples, for rules with a host variable
  double window_seconds = 0;
  std::uint64_t activity_entries = 0;
  pattern_list items;  ///< by id: the flows (or the key's items), then the generic patterns
  std::vector<std::uint32_t> item_flows;  ///< per item, the flows it covers (1 for a plain flow)
  std::vector<rule> rules;
  std::vector<cluster> clusters;
  limit_report limits;  ///< what the ingest limits made the run do
  /// The window items' activity, kept so that clusters made again (keep_top) know when they were
  /// active; no output writes it.
  std::shared_ptr<const activity> window_activity{};
  /// The host-variable items' activity over (host, window) samples, and where each window's rows of
  /// samples start (host_window_start[w] for window position w of window_activity: a row position
  /// in host_activity, whose rows carry no window index of their own), kept alike.
  std::shared_ptr<const activity> host_activity{};
  std::shared_ptr<const std::vector<std::size_t>> host_window_start{};

  /// When a cluster was active, in seconds since the epoch, as the reports say it: from the start
  /// of its first active window to the end of its last, within the first and last packet decoded
  /// (a window's edges can lie outside the capture: a 2-minute window from 16:50:00 in a capture
  /// from 16:51:53). The JSON's first_seen and last_seen are the window edges themselves.
  [[nodiscard]] std::pair<double, double> active_span(const cluster& c) const {
    double from = static_cast<double>(c.first_window) * window_seconds, to = static_cast<double>(c.last_window + 1) * window_seconds;
    if (input.decoded != 0) {
      from = std::max(from, static_cast<double>(input.start_ns) / 1e9);
      to = std::max(from, std::min(to, static_cast<double>(input.end_ns) / 1e9));
    }
    return {from, to};
  }

  /// Rules the outputs list: those not folded into a more significant one (rule::folded).
  [[nodiscard]] std::size_t listed_rules() const {
    return static_cast<std::size_t>(std::count_if(rules.begin(), rules.end(), [](const rule& x) { return !x.folded(); }));
  }
  /// The same among some of the rules (a cluster's, by index).
  [[nodiscard]] std::size_t listed_rules(const std::vector<std::size_t>& of) const {
    return static_cast<std::size_t>(std::count_if(of.begin(), of.end(), [&](std::size_t i) { return !rules[i].folded(); }));
  }
  /// Rules folded as the same as a more significant one with another host (rule::same_shape_of),
  /// and not alike to one.
  [[nodiscard]] std::size_t other_host_rules() const {
    return static_cast<std::size_t>(std::count_if(rules.begin(), rules.end(), [](const rule& x) { return other_host(x); }));
  }
  [[nodiscard]] std::size_t other_host_rules(const std::vector<std::size_t>& of) const {
    return static_cast<std::size_t>(std::count_if(of.begin(), of.end(), [&](std::size_t i) { return other_host(rules[i]); }));
  }

 private:
  [[nodiscard]] static bool other_host(const rule& x) { return x.alike_of == rule::not_alike && x.same_shape_of != rule::not_alike; }
};

/// The clusters in the order every report shows them, as patterns 1, 2, ...: by their most
/// significant rule.
[[nodiscard]] inline std::vector<std::size_t> pattern_order(const mine_result& r) {
  std::vector<std::size_t> order(r.clusters.size());
  for (std::size_t c = 0; c < order.size(); ++c) order[c] = c;
  const auto best = [&](std::size_t c) { return r.clusters[c].rules.empty() ? SIZE_MAX : r.clusters[c].rules.front(); };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return best(a) < best(b); });
  return order;
}

}  // namespace expose
