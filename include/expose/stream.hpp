#pragma once
// Mining as a stream (paper section 5, DESIGN.md section 1.6): packets are taken one at a time, in
// time order, and at the end of every epoch of trace time (say 10 minutes) the rules are mined and
// handed to the caller, so a live capture reports as it goes.
//
//   stream_miner miner(spec, {.epoch = 10min, .history = 6});
//   miner.run(io::pcap_live("eth0", {.stop = &stop}), [](epoch_result e) { print(e.result); });
//
// Counts carried forward: a sliding span, not a decay. The rules emitted at the end of epoch k are
// mined over epochs k-history+1 .. k (the last `history` epochs, the current one included) with
// exact counts, so the J-measure, the minimum support and the exact co-occurrence test mean what
// they mean for a trace of that length. A decayed count (each epoch weighing less) would make
// fractional supports that the hypergeometric test cannot take, and would blur which windows a
// rule held in. With the span longer than a pattern's period, a pattern that holds for days is in
// every epoch's rules; one that stopped leaves the rules `history` epochs later.
//
// What is held: for each epoch of the span, one packet record per flow per window in which the flow
// was active (the first packet of the flow in that window) — exactly what the activity matrix needs
// (a flow's orientation comes from its first packet, which is kept), so mining the held records
// gives the same rules as mining every packet of the span. Memory grows with the span's activity
// entries (about 48 bytes each), not with packets.
//
// Epochs are aligned to the Unix epoch (floor(ts / epoch)) and must be a whole number of windows.
// A report's N (its windows) runs from the span's first packet to the epoch's end, the quiet
// windows after its last packet included (the epoch in progress when the stream ends, to its last
// packet). An epoch in which no packet arrived is not reported. Records a source skips
// (undecodable, filtered) are counted in the epoch in which they were read.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <optional>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_set.hpp>

#include "expose/concepts.hpp"
#include "expose/error.hpp"
#include "expose/flow_key.hpp"
#include "expose/input.hpp"
#include "expose/limits.hpp"
#include "expose/packet.hpp"
#include "expose/pipeline.hpp"

namespace expose {

struct stream_options {
  std::chrono::nanoseconds epoch{std::chrono::minutes{10}};  ///< trace time between two reports
  std::uint32_t history = 6;  ///< epochs each report's counts span (the current one included), at least 1
};

/// The rules of one epoch: mined over the span [from_ns, end_ns) of the last `history` epochs.
struct epoch_result {
  std::int64_t index = 0;     ///< floor(start / epoch)
  std::int64_t start_ns = 0;  ///< this epoch: [start_ns, end_ns)
  std::int64_t end_ns = 0;
  std::int64_t from_ns = 0;   ///< start of the span the counts cover
  std::uint32_t epochs_in_span = 0;  ///< epochs of the span that saw packets
  bool partial = false;       ///< the stream ended (or was stopped) inside this epoch
  mine_result result;         ///< input counts: every record read in the span's epochs
};

template <class K, class W, class L, class S, class E, class C>
class stream_miner {
 public:
  using spec_type = pipeline<K, W, L, S, E, C>;

  stream_miner(const spec_type& spec, const stream_options& opt, const ingest_limits& limits = {})
      : spec_(spec), opt_(opt), limits_(limits) {
    if (opt.epoch.count() <= 0) throw bad_argument("stream: the epoch must be positive");
    if (opt.history == 0) throw bad_argument("stream: the history must span at least one epoch");
    const auto [lo, hi] = spec.window.window_range(0);
    const auto [lo2, hi2] = spec.window.window_range(opt.epoch.count());
    const double width_ns = spec.window.seconds() * 1e9;
    const double windows = static_cast<double>(opt.epoch.count()) / width_ns;
    if (lo != 0 || hi != 0 || lo2 != hi2 || windows < 1 || std::abs(windows - std::round(windows)) > 1e-9)
      throw bad_argument("stream: the epoch (" + std::to_string(static_cast<double>(opt.epoch.count()) / 1e9) +
                         " s) must be a whole number of windows (" + std::to_string(width_ns / 1e9) + " s)");
  }

  /// Takes one decoded packet; when it opens a later epoch, the epoch it closes is mined and
  /// passed to `emit(epoch_result&&)`.
  template <class Emit>
  void add(const packet& p, Emit&& emit) {
    ++total_.packets;
    ++total_.decoded;
    take(p, emit);
  }

  /// Reads a whole source (live or a file), reporting every epoch as it closes, then the last one.
  template <class Source, class Emit>
    requires PacketSource<std::remove_cvref_t<Source>>
  void run(Source&& source, Emit&& emit) {
    source.read([&](const packet& p) { take(p, emit); }, total_);
    finish(emit);
  }

  /// Mines the epoch in progress (marked partial) and reports it; nothing when no packet is held
  /// in it. The miner can take packets again afterwards.
  template <class Emit>
  void finish(Emit&& emit) {
    if (current_ && !held_.empty() && held_.back().index == *current_) close(emit, true, 0, 0);
  }

  /// Every record counted so far (all epochs).
  [[nodiscard]] const input_stats& total() const noexcept { return total_; }
  [[nodiscard]] std::size_t held_records() const noexcept {
    std::size_t n = 0;
    for (const auto& e : held_) n += e.packets.size();
    return n;
  }

 private:
  struct held_epoch {
    std::int64_t index = 0;
    std::vector<packet> packets;  // one per flow per window, first packet first
    input_stats stats;            // records read while it was current
    std::int64_t first_ns = 0, last_ns = 0;
  };
  struct seen_key {
    std::int64_t lo, hi;
    flow_key flow;
    friend bool operator==(const seen_key&, const seen_key&) = default;
  };
  struct seen_hash {
    using is_avalanching = void;
    std::size_t operator()(const seen_key& k) const noexcept {
      return flow_key_hash{}(k.flow) ^ static_cast<std::size_t>(flow_key_hash::mix(static_cast<std::uint64_t>(k.lo) * 0x9e3779b97f4a7c15ULL +
                                                                                    static_cast<std::uint64_t>(k.hi)));
    }
  };

  std::int64_t epoch_of(std::int64_t ts) const {
    const std::int64_t e = opt_.epoch.count();
    std::int64_t k = ts / e;
    if (ts % e != 0 && ts < 0) --k;
    return k;
  }

  template <class Emit>
  void take(const packet& p, Emit& emit) {
    const std::int64_t k = epoch_of(p.ts_ns);
    if (!first_) first_ = k;
    if (!current_ || k > *current_) {
      // The packet just counted belongs to the epoch it opens, not to the one it closes.
      if (current_ && !held_.empty() && held_.back().index == *current_) close(emit, false, 1, 1);
      current_ = k;
      seen_.clear();
      held_.push_back({k, {}, {}, p.ts_ns, p.ts_ns});
      while (held_.front().index <= k - static_cast<std::int64_t>(opt_.history)) held_.pop_front();
    }
    // A late packet (from an earlier epoch) is kept with the current one: its windows are its own.
    held_epoch& e = held_.back();
    e.first_ns = std::min(e.first_ns, p.ts_ns);
    e.last_ns = std::max(e.last_ns, p.ts_ns);
    const auto [lo, hi] = spec_.window.window_range(p.ts_ns);
    flow_key f{p.src, p.dst, p.sport, p.dport, p.proto};
    const flow_key r = f.reversed();
    if (r < f) f = r;
    if (seen_.insert(seen_key{lo, hi, f}).second) e.packets.push_back(p);
  }

  /// Counts read since the last close, less `packets`/`decoded` records that belong to the next epoch.
  input_stats delta(std::uint64_t packets, std::uint64_t decoded) {
    input_stats d;
    d.packets = total_.packets - packets - mark_.packets;
    d.decoded = total_.decoded - decoded - mark_.decoded;
    for (const auto& [why, n] : total_.skipped) {
      const auto it = mark_.skipped.find(why);
      const std::uint64_t before = it == mark_.skipped.end() ? 0 : it->second;
      if (n > before) d.skipped[why] = n - before;
    }
    d.warnings.assign(total_.warnings.begin() + static_cast<std::ptrdiff_t>(mark_.warnings.size()), total_.warnings.end());
    d.damaged = total_.damaged && !mark_.damaged;
    mark_ = total_;
    mark_.packets -= packets;
    mark_.decoded -= decoded;
    return d;
  }

  template <class Emit>
  void close(Emit& emit, bool partial, std::uint64_t next_packets, std::uint64_t next_decoded) {
    held_epoch& cur = held_.back();
    cur.stats = delta(next_packets, next_decoded);
    auto records = held_ | std::views::transform([](const held_epoch& h) -> const std::vector<packet>& { return h.packets; }) |
                   std::views::join;
    std::uint64_t held = 0;
    for (const auto& h : held_) held += h.packets.size();
    epoch_result out;
    out.index = cur.index;
    out.start_ns = cur.index * opt_.epoch.count();
    out.end_ns = out.start_ns + opt_.epoch.count();
    // The span starts `history` epochs back, but not before the first epoch the stream saw: the
    // first epochs' counts cover only what there was.
    out.from_ns = std::max(cur.index - static_cast<std::int64_t>(opt_.history) + 1, *first_) * opt_.epoch.count();
    out.epochs_in_span = static_cast<std::uint32_t>(held_.size());
    out.partial = partial;
    // N runs to the epoch's end, its quiet windows after the last packet included: a packet of a
    // later epoch closed it, so they were watched (the epoch in progress when the stream ended
    // runs to its last packet). It starts at the span's first packet, as a run's does.
    std::optional<observed_span> watched;
    if (!partial) watched = observed_span{out.end_ns - 1, out.end_ns - 1};
    out.result = mine(io::packets{records}, spec_, limits_, watched);
    // The input as read, not the held records: every record of the span's epochs.
    input_stats& in = out.result.input;
    const std::uint64_t left_out = held - in.decoded;  // records a flow or memory limit refused
    input_stats real;
    for (const auto& h : held_) {
      real.packets += h.stats.packets;
      real.decoded += h.stats.decoded;
      for (const auto& [why, n] : h.stats.skipped) real.skipped[why] += n;
      real.warnings.insert(real.warnings.end(), h.stats.warnings.begin(), h.stats.warnings.end());
      real.damaged = real.damaged || h.stats.damaged;
    }
    for (const auto& [why, n] : in.skipped) real.skipped[why] += n;
    real.decoded -= std::min(real.decoded, left_out);
    real.warnings.insert(real.warnings.end(), in.warnings.begin(), in.warnings.end());
    real.start_ns = held_.front().first_ns;
    real.end_ns = cur.last_ns;
    for (const auto& h : held_) {
      real.start_ns = std::min(real.start_ns, h.first_ns);
      real.end_ns = std::max(real.end_ns, h.last_ns);
    }
    in = std::move(real);
    emit(std::move(out));
  }

  spec_type spec_;
  stream_options opt_;
  ingest_limits limits_;
  std::deque<held_epoch> held_;  // the span, oldest first; the last is the current epoch
  std::optional<std::int64_t> current_;
  std::optional<std::int64_t> first_;  // the first epoch a packet fell in: no span starts before it
  boost::unordered_flat_set<seen_key, seen_hash> seen_;  // (windows, flow) pairs of the current epoch
  input_stats total_, mark_;
};

template <class K, class W, class L, class S, class E, class C>
stream_miner(const pipeline<K, W, L, S, E, C>&, const stream_options&, const ingest_limits& = {}) -> stream_miner<K, W, L, S, E, C>;

}  // namespace expose
