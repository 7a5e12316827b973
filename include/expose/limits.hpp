#pragma once
// Ingest limits: how many flows, and how much memory, a run may hold while it reads.
//
// Memory grows with two things only: flows (connection state and the item each one becomes) and
// activity entries (one per item per window it is active in). When a limit is reached the run
// evicts flows that are idle and rare — not seen for `idle_ns` and active in fewer than
// `evict_below` windows, so with `evict_below` at the minimum support no evicted flow could have
// made a rule of its own — and drops their activity. If that frees too little, packets of new
// connections are refused (counted as skipped, reason "flow limit") until idle flows can be
// evicted again; if the activity alone outgrows the memory limit, reading stops. Every one of
// these is said in the run's warnings.

#include <cstdint>

namespace expose {

struct ingest_limits {
  std::uint64_t max_flows = 0;   ///< flows held at once; 0: no limit
  std::uint64_t max_memory = 0;  ///< bytes for flows and activity (estimated, see below); 0: no limit
  std::int64_t idle_ns = 60'000'000'000;  ///< a flow not seen for this long may be evicted
  std::uint32_t evict_below = 3;          ///< ... if it was active in fewer windows than this

  /// The estimate behind `max_memory`, per flow and per activity entry, at the peak of a run with
  /// the paper's templates: the flow (while reading: its key and index slot; after: its item), the
  /// per-item window mark, the entry as read and in both sorted forms, and the generic items'
  /// share. Measured (README "Memory"): a SYN flood of 3 M one-packet flows peaks at 300 MB (100 B
  /// a flow, its entry included); the generator's 6-hour, 2000-host trace (1.08 M flows, 1.41 M
  /// entries, which its generic items about double) at 123 MB. The estimate stays above both, and
  /// above the peaks of earlier versions (427 and 215 MB).
  static constexpr std::uint64_t bytes_per_flow = 160;
  static constexpr std::uint64_t bytes_per_entry = 48;

  [[nodiscard]] bool limited() const noexcept { return max_flows != 0 || max_memory != 0; }
  [[nodiscard]] static constexpr std::uint64_t estimate(std::uint64_t flows, std::uint64_t entries) noexcept {
    return flows * bytes_per_flow + entries * bytes_per_entry;
  }
};

/// What the limits made a run do (all zero when no limit was reached).
struct limit_report {
  std::uint64_t evictions = 0;       ///< times idle flows were evicted
  std::uint64_t evicted_flows = 0;   ///< flows forgotten
  std::uint64_t evicted_entries = 0; ///< their activity entries, dropped
  std::uint64_t refused = 0;         ///< packets of new connections refused at the limit
  bool stopped = false;              ///< the activity alone reached the memory limit: later packets left out
  std::uint64_t stopped_after = 0;   ///< decoded packets taken before that
  std::uint64_t left_after_stop = 0; ///< decoded packets left out after it

  /// Adds what another reader's limits did (one MPI rank's range, say) to this one's.
  limit_report& operator+=(const limit_report& o) noexcept {
    evictions += o.evictions;
    evicted_flows += o.evicted_flows;
    evicted_entries += o.evicted_entries;
    refused += o.refused;
    stopped = stopped || o.stopped;
    stopped_after += o.stopped_after;
    left_after_stop += o.left_after_stop;
    return *this;
  }
};

}  // namespace expose
