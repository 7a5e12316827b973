#pragma once
// IP fragments joined to their flow: the first fragment of a datagram carries the ports, the later
// ones only the datagram's identity. The table remembers the ports of first fragments for a while so
// later fragments count toward the same flow. Bounded: at most `capacity` datagrams, each forgotten
// `timeout` of trace time after its first fragment (RFC 791 suggests 15 s; Linux waits 30 s).
//
// A reader of one range of a trace (io::pcap_slices, for one of several processes) starts with an
// empty table where one whole read would hold the datagrams of the ranges before. It can `record`
// what it does with fragments until the table it would have inherited cannot matter any more (a
// timeout of trace time after its first fragment), keeping the later fragments it could not place
// (`keep_orphan`); once the table of the range before is known (`save` there), `replay` places
// them as one whole read would have.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/address.hpp"
#include "expose/flow_key.hpp"
#include "expose/packet.hpp"

namespace expose::io {

struct fragment_options {
  std::size_t capacity = 65536;                   ///< datagrams remembered at once (oldest forgotten first)
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);  ///< of trace time, after the first fragment
};

class fragment_table {
 public:
  /// What identifies one datagram among the fragments in flight (RFC 791 §2.3; RFC 8200 §4.5).
  struct datagram {
    ip_address src;
    ip_address dst;
    std::uint32_t id = 0;
    std::uint8_t proto = 0;
    friend bool operator==(const datagram&, const datagram&) = default;
  };
  /// What a first fragment says that later ones do not: ports, or ICMP type and code.
  struct transport_fields {
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;
    std::uint8_t icmp_type = 0;
    std::uint8_t icmp_code = 0;
  };

  /// A datagram remembered: its first fragment's fields and time.
  struct entry {
    transport_fields p;
    std::int64_t first_ns = 0;
  };
  /// A first fragment in the order seen (the oldest is forgotten first; a datagram whose first
  /// fragment came again is listed twice, and forgotten with the later).
  struct seen {
    datagram d;
    std::int64_t first_ns = 0;
  };
  /// Everything the table holds, to be carried to the reader of the next range.
  struct state {
    std::vector<seen> order;
    std::vector<std::pair<datagram, entry>> entries;
  };

  fragment_table() = default;
  explicit fragment_table(fragment_options opt) : opt_(opt) {}

  /// The first fragment of a datagram was seen at `ts_ns` with these transport fields.
  void first(const datagram& d, transport_fields p, std::int64_t ts_ns) {
    if (recording_) note({.d = d, .p = p, .ts_ns = ts_ns, .kind = event::kind_t::first_fragment});
    just_missed_ = false;
    expire(ts_ns);
    auto [it, fresh] = table_.try_emplace(d, entry{p, ts_ns});
    if (!fresh) it->second = entry{p, ts_ns};
    order_.push_back({d, ts_ns});
    while (table_.size() > opt_.capacity) forget_oldest();
  }

  /// The transport fields of a later fragment's datagram, when its first fragment was seen and not forgotten.
  [[nodiscard]] std::optional<transport_fields> later(const datagram& d, std::int64_t ts_ns) {
    const bool noted = recording_ && note({.d = d, .ts_ns = ts_ns, .kind = event::kind_t::missed});
    expire(ts_ns);
    const auto it = table_.find(d);
    just_missed_ = noted && it == table_.end();
    if (it == table_.end()) return std::nullopt;
    if (noted) events_.back().kind = event::kind_t::placed;
    return it->second.p;
  }

  [[nodiscard]] std::size_t size() const noexcept { return table_.size(); }

  [[nodiscard]] state save() const {
    state s;
    s.order.assign(order_.begin(), order_.end());
    s.entries.assign(table_.begin(), table_.end());
    return s;
  }

  /// Records from now on what the table is asked, until a timeout of trace time after the first
  /// question (when no datagram of an earlier range can be remembered any more), or at most 2^20
  /// questions (a flood of fragments: the replay then says it is not exact).
  void record() {
    recording_ = true;
    events_.clear();
    orphans_.clear();
  }
  /// True while recording; false once a timeout has passed (or when never asked to record).
  [[nodiscard]] bool recording() const noexcept { return recording_; }
  /// Whether the last question was a later fragment this table could not place, asked while
  /// recording: its decoded packet (everything but the transport fields) should be kept.
  [[nodiscard]] bool wants_orphan() const noexcept { return just_missed_; }
  void keep_orphan(const packet& p) {
    just_missed_ = false;
    events_.back().orphan = static_cast<std::uint32_t>(orphans_.size());
    orphans_.push_back(p);
  }
  /// Later fragments kept while recording.
  [[nodiscard]] std::size_t orphans() const noexcept { return orphans_.size(); }

  /// What a whole read would have done with the fragments recorded here, had this table started
  /// from `before` (the table where the range before this one ended): the orphans it would have
  /// placed (whole packets, in the order seen), the table it would end with, and whether the
  /// replay agrees with this table's own run (`exact`; false when a datagram of the range before
  /// is still remembered where recording stopped, or when a fragment placed here would not have
  /// been: the table full of the range before's datagrams).
  struct replayed {
    std::vector<packet> placed;
    state end;
    bool exact = true;
  };
  [[nodiscard]] replayed replay(const state& before) const {
    replayed out;
    out.exact = !overflowed_;
    fragment_table t(opt_);
    t.restore(before);
    for (const auto& e : events_) {
      if (e.kind == event::kind_t::first_fragment) {
        t.first(e.d, e.p, e.ts_ns);
        continue;
      }
      const auto found = t.later(e.d, e.ts_ns);
      if (e.kind == event::kind_t::placed) {
        if (!found) out.exact = false;
      } else if (found && e.orphan != event::no_orphan) {
        packet p = orphans_[e.orphan];
        p.proto = e.d.proto;
        p.sport = found->sport;
        p.dport = found->dport;
        p.icmp_type = found->icmp_type;
        p.icmp_code = found->icmp_code;
        p.tcp_flags = 0;
        out.placed.push_back(p);
      }
    }
    if (recording_) {  // every question of the range was recorded: the replay's table is the one it ends with
      out.end = t.save();
    } else {  // the table's own, unless the range before's datagrams outlived the recording
      t.expire(stopped_ns_);
      for (const auto& [d, en] : before.entries)
        if (const auto it = t.table_.find(d); it != t.table_.end() && it->second.first_ns == en.first_ns) out.exact = false;
      out.end = save();
    }
    return out;
  }

 private:
  struct hash {
    using is_avalanching = void;
    std::size_t operator()(const datagram& d) const noexcept {
      const auto s = d.src.words(), t = d.dst.words();
      std::uint64_t h = flow_key_hash::mix(s[0] ^ (s[1] * 0x9e3779b97f4a7c15ULL));
      h = flow_key_hash::mix(h ^ t[0] ^ (t[1] * 0xc2b2ae3d27d4eb4fULL));
      return static_cast<std::size_t>(flow_key_hash::mix(h ^ (std::uint64_t{d.id} << 8 | d.proto)));
    }
  };
  struct event {
    enum class kind_t : std::uint8_t { first_fragment, placed, missed };
    datagram d;
    transport_fields p{};
    std::int64_t ts_ns = 0;
    kind_t kind = kind_t::first_fragment;
    static constexpr std::uint32_t no_orphan = UINT32_MAX;
    std::uint32_t orphan = no_orphan;  // missed: its position among the orphans, when kept
  };

  /// Records a question; false once a timeout of trace time has passed since the first (what the
  /// range before left has expired: from here on this table's own run is a whole read's).
  bool note(event e) {
    if (events_.empty()) {
      since_ns_ = e.ts_ns;
    } else if (e.ts_ns - since_ns_ > opt_.timeout.count() || events_.size() >= max_events) {
      recording_ = false;
      stopped_ns_ = e.ts_ns;
      overflowed_ = events_.size() >= max_events;
      return false;
    }
    events_.push_back(e);
    return true;
  }

  void restore(const state& s) {
    order_.assign(s.order.begin(), s.order.end());
    table_.clear();
    for (const auto& [d, e] : s.entries) table_.emplace(d, e);
  }

  void expire(std::int64_t now_ns) {
    while (!order_.empty() && order_.front().first_ns + opt_.timeout.count() < now_ns) forget_oldest();
  }
  void forget_oldest() {
    const seen s = order_.front();
    order_.pop_front();
    const auto it = table_.find(s.d);
    if (it != table_.end() && it->second.first_ns == s.first_ns) table_.erase(s.d);
  }

  fragment_options opt_{};
  boost::unordered_flat_map<datagram, entry, hash> table_;
  std::deque<seen> order_;
  static constexpr std::size_t max_events = std::size_t{1} << 20;  // a recording's bound: some 100 MB with the orphans
  bool recording_ = false;
  bool overflowed_ = false;      // the recording stopped at its bound, before the timeout
  bool just_missed_ = false;     // the last question was recorded, and its datagram unknown
  std::int64_t since_ns_ = 0;    // the first recorded question's time
  std::int64_t stopped_ns_ = 0;  // the time of the question that stopped the recording
  std::vector<event> events_;
  std::vector<packet> orphans_;
};

}  // namespace expose::io
