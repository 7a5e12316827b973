#pragma once
// IP fragments joined to their flow: the first fragment of a datagram carries the ports, the later
// ones only the datagram's identity. The table remembers the ports of first fragments for a while so
// later fragments count toward the same flow. Bounded: at most `capacity` datagrams, each forgotten
// `timeout` of trace time after its first fragment (RFC 791 suggests 15 s; Linux waits 30 s).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/address.hpp"
#include "expose/flow_key.hpp"

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

  explicit fragment_table(fragment_options opt = {}) : opt_(opt) {}

  /// The first fragment of a datagram was seen at `ts_ns` with these transport fields.
  void first(const datagram& d, transport_fields p, std::int64_t ts_ns) {
    expire(ts_ns);
    auto [it, fresh] = table_.try_emplace(d, entry{p, ts_ns});
    if (!fresh) it->second = entry{p, ts_ns};
    order_.push_back({d, ts_ns});
    while (table_.size() > opt_.capacity) forget_oldest();
  }

  /// The transport fields of a later fragment's datagram, when its first fragment was seen and not forgotten.
  [[nodiscard]] std::optional<transport_fields> later(const datagram& d, std::int64_t ts_ns) {
    expire(ts_ns);
    const auto it = table_.find(d);
    if (it == table_.end()) return std::nullopt;
    return it->second.p;
  }

  [[nodiscard]] std::size_t size() const noexcept { return table_.size(); }

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
  struct entry {
    transport_fields p;
    std::int64_t first_ns = 0;
  };
  struct seen {
    datagram d;
    std::int64_t first_ns = 0;
  };

  void expire(std::int64_t now_ns) {
    while (!order_.empty() && order_.front().first_ns + opt_.timeout.count() < now_ns) forget_oldest();
  }
  void forget_oldest() {
    const seen s = order_.front();
    order_.pop_front();
    const auto it = table_.find(s.d);
    if (it != table_.end() && it->second.first_ns == s.first_ns) table_.erase(s.d);
  }

  fragment_options opt_;
  boost::unordered_flat_map<datagram, entry, hash> table_;
  std::deque<seen> order_;
};

}  // namespace expose::io
