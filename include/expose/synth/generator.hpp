#pragma once
// The synthetic trace generator: a site with the paper's case studies planted among random noise
// and always-on heavy flows, deterministic by seed, with the ground truth of what it planted.
//
//   namespace ex = expose;
//   const ex::synth::generator gen{.seed = 7, .duration = 1h, .hosts = 1000, .rates = {.ssh_scan = 0}};
//   gen.generate([&](const ex::packet& p) { writer.write(p); });   // time order, bounded memory
//   ex::synth::ground_truth truth = gen.truth();
//
// Planted: the paper's case studies, each described once in `synth::patterns` (its name and paper
// rule, what it sends, which hosts carry it, its ground truth), at random times: the gap between
// two events is uniform in [0.2, 1.8] x the mean, so nothing is periodic; rates in `pattern_rates`,
// per hour, 0 switches a pattern off.
// Background, which must yield no rule: `heavy_flows` always-on downloads (a 1500-byte packet every
// 5-40 ms and an ack every other one) and `noise_per_second` random one-off connections from
// clients to 198.18.0.0/15 on ports 443 and 80.
//
// The trace is made in time slices (`slice`, 30 s by default): every event starting in the slice
// is generated, the slice's packets sorted and handed on, and those that fall later (a long ftp
// session) kept for the next slice. Each planted process has its own random stream and packets
// with equal timestamps are ordered by (process, sequence), so the slice length does not change
// the trace.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "expose/address.hpp"
#include "expose/concepts.hpp"
#include "expose/detail/random.hpp"
#include "expose/error.hpp"
#include "expose/flow_key.hpp"
#include "expose/input.hpp"
#include "expose/packet.hpp"
#include "expose/synth/truth.hpp"

namespace expose::synth {

/// Planted events per hour: per client (or host) for the per-client patterns, per site otherwise.
/// 0 switches a pattern off (and leaves it out of the ground truth).
struct pattern_rates {
  double dns_web = 30;     ///< per client
  double ftp = 8;          ///< sessions per ftp client (one client in ten)
  double mail = 60;
  double ntp = 120;
  double ssh_scan = 40;
  double imap = 20;        ///< per imap client (one client in four)
  double dhcp = 60;
  double llmnr = 20;       ///< per Windows client (one client in five)
  double mdns = 60;
  double im = 60;          ///< per IM client (two clients)
  double crawler = 60;
  double traceroute = 40;
  double p2p = 720;        ///< bursts per P2P host (two hosts, 30 peers each)

  /// The patterns by their ground-truth names ("p2p" sets both P2P hosts).
  static constexpr std::array<std::string_view, 13> names = {
      "dns-before-web", "ftp-control-data", "mail-dead-hosts", "ntp-lockstep", "ssh-scan", "imap-imaps", "dhcp",
      "llmnr-dns-wins", "mdns-advert", "im-msn-aol", "web-crawler", "traceroute", "p2p"};

  /// The rate of a pattern named as in `names`; null when there is no such pattern.
  [[nodiscard]] double* find(std::string_view name);
};

/// The planted delay of each pattern whose flows come in order: from the first packet of the
/// member that leads to the first packet of the members that follow, in milliseconds; negative
/// (the default) keeps the pattern's own random delay (its range is in the ground truth).
struct pattern_delays {
  double dns_web = -1;  ///< the lookup, then the web connection
  double ftp = -1;      ///< PASV on the control connection, then the data connection
  double imap = -1;     ///< IMAP, then IMAPS
  double dhcp = -1;     ///< the client's broadcast, then the server's answer
  double llmnr = -1;    ///< LLMNR, then DNS and WINS
  double im = -1;       ///< the MSN session, then the AOL session

  /// The delay of a pattern named as in pattern_rates::names; null when the pattern has no order.
  [[nodiscard]] double* find(std::string_view name);
};

/// The address plan of the generated site.
namespace site {
[[nodiscard]] inline ip_address v4(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  return ip_address::v4((a << 24) | (b << 16) | (c << 8) | d);
}
inline constexpr std::uint32_t max_clients = 250 * 256;
/// Client i (from 0): 10.1.(i / 250).(i % 250 + 1).
[[nodiscard]] inline ip_address client(std::uint32_t i) { return v4(10, 1, i / 250, i % 250 + 1); }
[[nodiscard]] inline ip_address dns() { return v4(10, 0, 0, 53); }
[[nodiscard]] inline ip_address web() { return v4(10, 0, 0, 80); }
[[nodiscard]] inline ip_address web1() { return v4(10, 0, 0, 81); }
[[nodiscard]] inline ip_address web2() { return v4(10, 0, 0, 82); }
[[nodiscard]] inline ip_address mirror() { return v4(10, 0, 0, 21); }
[[nodiscard]] inline ip_address univ_mail() { return v4(10, 0, 0, 25); }
[[nodiscard]] inline ip_address old_mail(int k) { return v4(10, 0, 2, 25 + static_cast<std::uint32_t>(k)); }  // k = 0, 1
[[nodiscard]] inline ip_address ntp_server() { return v4(10, 0, 0, 123); }
[[nodiscard]] inline ip_address ntp_client(int k) { return v4(10, 0, 3, 21 + static_cast<std::uint32_t>(k)); }  // k = 0, 1
[[nodiscard]] inline ip_address router(int k) { return v4(10, 0, 0, 1 + static_cast<std::uint32_t>(k)); }  // k = 0, 1, 2
[[nodiscard]] inline ip_address scanner(int k) { return v4(192, 0, 2, 66 + 11 * static_cast<std::uint32_t>(k)); }
[[nodiscard]] inline ip_address imap() { return v4(10, 0, 0, 143); }
[[nodiscard]] inline ip_address dhcp() { return v4(10, 0, 0, 67); }
[[nodiscard]] inline ip_address unspecified() { return v4(0, 0, 0, 0); }
[[nodiscard]] inline ip_address broadcast() { return v4(255, 255, 255, 255); }
[[nodiscard]] inline ip_address llmnr() { return v4(224, 0, 0, 252); }
[[nodiscard]] inline ip_address wins() { return v4(10, 0, 0, 137); }
[[nodiscard]] inline ip_address mdns_host(int k) { return v4(10, 0, 4, 40 + static_cast<std::uint32_t>(k)); }  // 0 advertises to 1-4
[[nodiscard]] inline ip_address msn() { return v4(64, 4, 0, 1); }
[[nodiscard]] inline ip_address aol() { return v4(64, 12, 0, 1); }
[[nodiscard]] inline ip_address robot() { return v4(192, 0, 2, 99); }
[[nodiscard]] inline ip_address tracer() { return v4(10, 0, 5, 5); }
[[nodiscard]] inline ip_address trace_hop(int k) { return v4(198, 51, 100, 1 + static_cast<std::uint32_t>(k)); }  // k = 0..7
[[nodiscard]] inline ip_address trace_target() { return v4(198, 51, 100, 200); }
[[nodiscard]] inline ip_address p2p_host(int k) { return v4(10, 0, 6, 1 + static_cast<std::uint32_t>(k)); }  // k = 0, 1
[[nodiscard]] inline ip_address heavy_client(std::uint32_t i) { return v4(10, 2, i / 250, i % 250 + 1); }
[[nodiscard]] inline ip_address heavy_server(std::uint32_t i) { return v4(203, 0, 113, 1 + i % 200); }
[[nodiscard]] inline std::uint16_t heavy_port(std::uint32_t i) { return static_cast<std::uint16_t>(40000 + i % 20000); }
inline constexpr int trace_hops = 8;
inline constexpr int p2p_hosts = 2;
inline constexpr int p2p_peers = 30;
inline constexpr std::uint16_t passive_first = 50000, passive_last = 50999;
inline constexpr std::uint16_t probe_port = 33434;
}  // namespace site

/// The generator's settings; an aggregate configured with designated initializers.
struct generator {
  std::uint64_t seed = 1;
  std::chrono::seconds duration{600};
  std::uint32_t hosts = 50;          ///< client hosts, 1 to 64000
  double noise_per_second = 5.0;     ///< random one-off connections
  std::uint32_t heavy_flows = 8;     ///< always-on flows carrying most of the bytes
  pattern_rates rates{};
  pattern_delays delays{};           ///< fixed delays of the ordered patterns (default: their own random ones)
  std::chrono::seconds slice{30};    ///< longest generation slice (shorter at high rates): bounds memory, not the trace
  std::int64_t start_ns = 1767600000LL * 1'000'000'000;  ///< 2026-01-05 08:00:00 UTC

  /// Calls `on_packet(const packet&)` for every packet of the trace, in time order.
  template <class Sink>
  void generate(Sink&& on_packet) const;

  /// The same, as a packet source: `mine(gen, spec)` mines the trace without writing it.
  template <class Sink>
  void read(Sink&& sink, input_stats& stats) const {
    generate([&](const packet& p) {
      ++stats.packets;
      ++stats.decoded;
      sink(p);
    });
  }

  /// Every packet in one vector: for short traces and tests.
  [[nodiscard]] std::vector<packet> packets() const {
    std::vector<packet> out;
    generate([&](const packet& p) { out.push_back(p); });
    return out;
  }

  /// What was planted, as flow patterns; background patterns (heavy, noise) included.
  [[nodiscard]] ground_truth truth() const;

  /// The clients that carry a per-client pattern: `count` of them spread over the hosts.
  [[nodiscard]] static std::vector<std::uint32_t> subset(std::uint32_t hosts, std::uint32_t count, std::uint32_t offset) {
    std::vector<std::uint32_t> out;
    if (hosts == 0) return out;
    count = std::clamp<std::uint32_t>(count, 1, hosts);
    const std::uint32_t every = hosts / count;
    for (std::uint32_t i = 0; i < count; ++i) out.push_back((offset + i * every) % hosts);
    return out;
  }
  [[nodiscard]] std::vector<std::uint32_t> ftp_clients() const { return subset(hosts, hosts / 10, 2); }
  [[nodiscard]] std::vector<std::uint32_t> imap_clients() const { return subset(hosts, hosts / 4, 1); }
  [[nodiscard]] std::vector<std::uint32_t> llmnr_clients() const { return subset(hosts, hosts / 5, 3); }
  [[nodiscard]] std::vector<std::uint32_t> im_clients() const { return subset(hosts, 2, 4); }

  /// Throws bad_argument when a setting is out of range.
  void check() const;
};

}  // namespace expose::synth

namespace expose::detail {

/// Units and TCP flags the generator's packets are written in.
namespace synth_units {
inline constexpr std::int64_t sec = 1'000'000'000, ms = 1'000'000, us = 1'000;
inline constexpr std::uint8_t ack = tcp_flag::ack, psh_ack = tcp_flag::ack | 0x08, syn = tcp_flag::syn,
                              syn_ack = tcp_flag::syn | tcp_flag::ack, fin_ack = tcp_flag::fin | tcp_flag::ack;
}  // namespace synth_units

/// One planted process of the generator: a client's name lookups, the site's NTP pair, a heavy flow...
enum class synth_process_kind : std::uint8_t {
  dns_web, ftp, mail, ntp, ssh_scan, imap, dhcp, llmnr, mdns, im, crawler, traceroute, p2p, heavy, noise
};

struct synth_process {
  synth_process_kind kind;
  std::uint32_t id = 0;     // ties between equal timestamps are broken by (id, seq)
  std::uint32_t host = 0;   // client index, heavy flow index or P2P host index
  std::int64_t next = 0;    // next event
  std::int64_t mean = 0;    // mean gap between events (ns)
  splitmix64 rng{0};
  std::uint64_t seq = 0;
  std::uint16_t port = 0;   // fresh-port counter, or the fixed port of a long-lived connection
  std::uint32_t events = 0;
};

struct synth_peer {
  ip_address addr;
  std::array<std::uint16_t, 3> local{};
  std::array<std::uint16_t, 3> remote{};
  std::uint8_t connections = 0;
  bool open = false;
};

/// One run of the generator: its processes, each with its own random stream, fired slice by slice.
/// The patterns (synth::patterns) write their packets with the public helpers below.
class synth_run {
 public:
  struct stamped {
    packet p;
    std::uint64_t order;
  };

  explicit synth_run(const synth::generator& g);

  /// The slice actually used: `slice`, shortened so that about 250,000 packets are held at a
  /// time at most (the trace does not depend on it).
  [[nodiscard]] std::int64_t slice_ns() const;  // after synth::patterns

  template <class Sink>
  void run(Sink& on_packet) {
    const std::int64_t width = slice_ns();
    for (std::int64_t s = t0_; s < end_; s += width) {
      const std::int64_t slice_end = std::min(s + width, end_);
      const std::size_t carried = buf_.size();
      for (auto& p : procs_)
        while (p.next < slice_end) {
          fire(p, p.next);
          ++p.events;
          p.next += gap(p);
        }
      auto less = [](const stamped& a, const stamped& b) {
        return a.p.ts_ns != b.p.ts_ns ? a.p.ts_ns < b.p.ts_ns : a.order < b.order;
      };
      std::sort(buf_.begin() + static_cast<std::ptrdiff_t>(carried), buf_.end(), less);
      std::inplace_merge(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(carried), buf_.end(), less);
      std::size_t k = 0;
      for (; k < buf_.size() && buf_[k].p.ts_ns < slice_end; ++k) on_packet(std::as_const(buf_[k].p));
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(k));
    }
  }

  // ---- what a pattern writes with ----
  [[nodiscard]] const synth::generator& settings() const noexcept { return g_; }
  /// The P2P hosts' peers, by the host's process `host`.
  [[nodiscard]] std::vector<std::vector<synth_peer>>& peers() noexcept { return peers_; }
  std::vector<synth_peer>& add_peers() { return peers_.emplace_back(); }
  static std::uint16_t fresh(synth_process& p) {
    p.port = static_cast<std::uint16_t>(49152 + (p.port - 49152 + 1 + p.rng.below(7)) % 16384);
    return p.port;
  }
  static std::int64_t between(synth_process& p, std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(p.rng.below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  void emit(synth_process& p, std::int64_t t, const ip_address& s, std::uint16_t sp, const ip_address& d, std::uint16_t dp,
            std::uint8_t pr, std::uint8_t flags, std::uint32_t len, std::uint8_t icmp_type = 0, std::uint8_t icmp_code = 0) {
    if (t >= end_) return;
    buf_.push_back({packet{t, s, d, sp, dp, pr, flags, icmp_type, icmp_code, len}, (std::uint64_t{p.id} << 40) | p.seq++});
  }
  void udp(synth_process& p, std::int64_t t, const ip_address& s, std::uint16_t sp, const ip_address& d, std::uint16_t dp, std::uint32_t len) {
    emit(p, t, s, sp, d, dp, proto::udp, 0, len);
  }
  void tcp(synth_process& p, std::int64_t t, const ip_address& s, std::uint16_t sp, const ip_address& d, std::uint16_t dp,
           std::uint8_t flags, std::uint32_t len) {
    emit(p, t, s, sp, d, dp, proto::tcp, flags, len);
  }
  /// A request and an answer `rtt` later on an open connection (or a UDP exchange).
  void exchange(synth_process& p, std::int64_t t, std::uint8_t pr, const ip_address& c, std::uint16_t cp, const ip_address& s,
                std::uint16_t sp, std::int64_t rtt, std::uint32_t req, std::uint32_t resp) {
    const std::uint8_t f = pr == proto::tcp ? psh_ack : 0;
    emit(p, t, c, cp, s, sp, pr, f, req);
    emit(p, t + rtt, s, sp, c, cp, pr, f, resp);
  }
  /// Opens a TCP connection: SYN, SYN-ACK after `rtt`, ACK. Returns the time the client may send.
  std::int64_t open(synth_process& p, std::int64_t t, const ip_address& c, std::uint16_t cp, const ip_address& s,
                    std::uint16_t sp, std::int64_t rtt) {
    tcp(p, t, c, cp, s, sp, syn, 60);
    tcp(p, t + rtt, s, sp, c, cp, syn_ack, 60);
    tcp(p, t + rtt + 50 * us, c, cp, s, sp, ack, 54);
    return t + rtt + 100 * us;
  }
  /// Closes it: FIN from the client, FIN-ACK, ACK.
  void close(synth_process& p, std::int64_t t, const ip_address& c, std::uint16_t cp, const ip_address& s, std::uint16_t sp,
             std::int64_t rtt) {
    tcp(p, t, c, cp, s, sp, fin_ack, 54);
    tcp(p, t + rtt, s, sp, c, cp, fin_ack, 54);
    tcp(p, t + rtt + 50 * us, c, cp, s, sp, ack, 54);
  }
  /// A whole short TCP fetch: open, a request, `n` data packets back, close. Returns its end.
  std::int64_t fetch(synth_process& p, std::int64_t t, const ip_address& c, std::uint16_t cp, const ip_address& s,
                     std::uint16_t sp, std::int64_t rtt, std::uint32_t n) {
    t = open(p, t, c, cp, s, sp, rtt);
    tcp(p, t, c, cp, s, sp, psh_ack, 400);
    t += rtt;
    for (std::uint32_t i = 0; i < n; ++i) {
      tcp(p, t, s, sp, c, cp, i + 1 == n ? psh_ack : ack, i + 1 == n ? 600 + static_cast<std::uint32_t>(p.rng.below(800)) : 1514);
      if (i % 2 == 1 || i + 1 == n) tcp(p, t + 100 * us, c, cp, s, sp, ack, 54);
      t += between(p, 200 * us, 2 * ms);
    }
    close(p, t, c, cp, s, sp, rtt);
    return t + rtt;
  }

 private:
  static constexpr std::int64_t sec = synth_units::sec, ms = synth_units::ms, us = synth_units::us;
  static constexpr std::uint8_t ack = synth_units::ack, psh_ack = synth_units::psh_ack, syn = synth_units::syn,
                                syn_ack = synth_units::syn_ack, fin_ack = synth_units::fin_ack;

  static std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t kind, std::uint64_t index) {
    splitmix64 m(seed ^ (kind * 0x9e3779b97f4a7c15ULL) ^ (index * 0xd1b54a32d192ed03ULL));
    m.next();
    return m.next();
  }
  static std::int64_t gap(synth_process& p) {
    if (p.kind == synth_process_kind::heavy) return 5 * ms + static_cast<std::int64_t>(p.rng.below(35 * ms));
    const auto m = static_cast<std::uint64_t>(p.mean);
    return static_cast<std::int64_t>(std::max<std::uint64_t>(1, m / 5 + p.rng.below(m * 8 / 5 + 1)));
  }
  /// A new process: its own random stream, its fresh-port counter, its first event within one mean gap.
  synth_process& add(synth_process_kind k, std::uint32_t host, std::int64_t mean) {
    synth_process p{.kind = k, .id = static_cast<std::uint32_t>(procs_.size()), .host = host, .mean = mean};
    p.rng = splitmix64(stream_seed(g_.seed, static_cast<std::uint64_t>(k), host));
    p.port = static_cast<std::uint16_t>(49152 + p.rng.below(16000));
    p.next = t0_ + static_cast<std::int64_t>(p.rng.below(static_cast<std::uint64_t>(mean)));
    return procs_.emplace_back(p);
  }

  void fire(synth_process& p, std::int64_t t);  // after synth::patterns

  /// Background: an always-on download.
  void fire_heavy(synth_process& p, std::int64_t t) {
    const auto c = synth::site::heavy_client(p.host), s = synth::site::heavy_server(p.host);
    const auto cp = synth::site::heavy_port(p.host);
    if (p.events == 0) t = open(p, t, c, cp, s, 443, 2 * ms);
    tcp(p, t, s, 443, c, cp, ack, 1514);
    if (p.events % 2 == 1) tcp(p, t + 200 * us, c, cp, s, 443, ack, 54);
  }
  /// Background: a random one-off connection. The ground truth's noise members (generator::truth)
  /// say exactly what this sends: change the two together.
  void fire_noise(synth_process& p, std::int64_t t) {
    const auto c = synth::site::client(static_cast<std::uint32_t>(p.rng.below(g_.hosts)));
    const auto s = ip_address::v4(0xc6120000u | static_cast<std::uint32_t>(p.rng.below(1u << 17)));  // 198.18.0.0/15
    const auto dport = static_cast<std::uint16_t>(p.rng.chance(0.7) ? 443 : 80);
    // A call's draws are made one by one before it (C++ leaves the order of arguments unspecified, and
    // Clang's differs from GCC's), last argument first: GCC 12's order, kept so that a seed's trace stays
    // the one the tests' exact counts were taken on.
    const auto n = 1 + static_cast<std::uint32_t>(p.rng.below(8));
    const auto rtt = between(p, 10 * ms, 80 * ms);
    const auto cp = static_cast<std::uint16_t>(49152 + p.rng.below(16384));
    fetch(p, t, c, cp, s, dport, rtt, n);
  }

  const synth::generator& g_;
  std::int64_t t0_, end_;
  std::vector<synth_process> procs_;
  std::vector<std::vector<synth_peer>> peers_;
  std::vector<stamped> buf_;
};

}  // namespace expose::detail

namespace expose::synth {

/// Writes the ground truth: a pattern's members and the pattern itself, from its description.
class truth_writer {
 public:
  explicit truth_writer(ground_truth& t) : t_(t) {}

  /// A member from its fields: a null address or port 0 with `any` means the field varies.
  [[nodiscard]] static truth_member member(std::string role, std::uint8_t pr, slot src_slot, ip_address src, slot sport_slot,
                                           std::uint16_t sport, slot dst_slot, ip_address dst, slot dport_slot, std::uint16_t dport) {
    truth_member m;
    m.role = std::move(role);
    m.flow.key = {src, dst, sport, dport, pr};
    m.flow.slots = {src_slot, sport_slot, dst_slot, dport_slot, slot::kept};
    return m;
  }
  /// Pattern P as planted: `instances` carriers at `rate` an hour; `name` when not P's own.
  template <class P>
  void pattern(std::uint64_t instances, double rate, std::vector<truth_member> members, std::string name = {}) {
    add(name.empty() ? std::string(P::name) : std::move(name), std::string(P::paper_rule), std::string(P::description), std::string(P::per),
        instances, rate, P::var, std::move(members));
  }
  /// A background pattern (it must yield no rule).
  void background(std::string name, std::string paper, std::string what, std::uint64_t instances, double rate, std::vector<truth_member> members) {
    add(std::move(name), std::move(paper), std::move(what), "site", instances, rate, 'C', std::move(members));
    t_.patterns.back().background = true;
  }

 private:
  void add(std::string name, std::string paper, std::string what, std::string per, std::uint64_t instances, double rate, char var,
           std::vector<truth_member> members) {
    truth_pattern p;
    p.name = std::move(name);
    p.paper_rule = std::move(paper);
    p.description = std::move(what);
    p.per = std::move(per);
    p.instances = instances;
    p.rate_per_hour = rate;
    p.var = var;
    p.members = std::move(members);
    t_.patterns.push_back(std::move(p));
  }
  ground_truth& t_;
};

/// The planted patterns, one struct each: its name, paper rule and description (the ground truth's),
/// its rate in pattern_rates, the hosts that carry it (one process each), how an event is sent
/// (`fire`) and what the ground truth says was planted (`plant`).
namespace patterns {

inline constexpr slot K = slot::kept, A = slot::any, V = slot::var;  // the truth members' slots
inline const ip_address none{};                                       // a field that varies

/// What every pattern has unless it says otherwise: one process for the whole site, nothing to
/// set up on it.
struct pattern_base {
  [[nodiscard]] static std::vector<std::uint32_t> carriers(const generator&) { return {0}; }
  static void setup(expose::detail::synth_run&, expose::detail::synth_process&) {}
  /// The delay an ordered pattern plants: the one drawn (always drawn, so that a fixed delay
  /// changes no other draw), or the fixed one of pattern_delays (`which`) when set.
  [[nodiscard]] static std::int64_t planted(const expose::detail::synth_run& run, double pattern_delays::*which, std::int64_t drawn) {
    const double fixed = run.settings().delays.*which;
    return fixed < 0 ? drawn : std::llround(fixed * 1e6);
  }
};

/// A pattern whose members come in order: `delay` names its fixed delay in pattern_delays,
/// `leads` the role of the member that comes first, `delay_range_ms` the range of its own delay.
/// The generator's own description of its patterns, not a contract of the pipeline (concepts.hpp).
template <class P>
concept OrderedPattern = requires {
  { P::delay } -> std::convertible_to<double pattern_delays::*>;
  { P::leads } -> std::convertible_to<std::string_view>;
  { P::delay_range_ms } -> std::convertible_to<std::array<double, 2>>;
};

/// The planted pattern "dns-before-web".
struct dns_web : pattern_base {
  static constexpr std::string_view name = "dns-before-web";
  static constexpr std::string_view paper_rule = "$C.* : Web.80 => $C.* : DNS.53";
  static constexpr std::string_view description = "every client resolves a name (UDP to DNS:53 from a fresh port), then fetches a page (TCP to Web:80 from a fresh port) 5-100 ms later";
  static constexpr std::string_view per = "client";
  static constexpr char var = 'C';
  static constexpr double pattern_rates::*rate = &pattern_rates::dns_web;
  static constexpr auto kind = expose::detail::synth_process_kind::dns_web;
  static constexpr int start = 0;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 12;
  [[nodiscard]] static std::vector<std::uint32_t> carriers(const generator& g) {
    std::vector<std::uint32_t> all(g.hosts);
    for (std::uint32_t c = 0; c < g.hosts; ++c) all[c] = c;
    return all;
  }
  static constexpr double pattern_delays::*delay = &pattern_delays::dns_web;
  static constexpr std::string_view leads = "name lookup";
  static constexpr std::array<double, 2> delay_range_ms = {6, 120};  // the lookup's round trip, then 5-100 ms
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    const auto c = synth::site::client(p.host);
    const auto rtt = run.between(p, 1 * ms, 20 * ms);
    run.exchange(p, t, proto::udp, c, run.fresh(p), synth::site::dns(), 53, rtt, 74, 120);
    const auto n = 2 + static_cast<std::uint32_t>(p.rng.below(5));  // drawn last argument first (fire_noise)
    const auto web_rtt = run.between(p, 300 * us, 3 * ms);
    const auto cp = run.fresh(p);
    const auto lag = rtt + run.between(p, 5 * ms, 100 * ms);
    run.fetch(p, t + planted(run, delay, lag), c, cp, synth::site::web(), 80, web_rtt, n);
  }
  static void plant(const generator& g, truth_writer& w) {
    w.pattern<dns_web>(g.hosts, g.rates.dns_web,
                       {w.member("name lookup", proto::udp, V, none, A, 0, K, site::dns(), K, 53),
                        w.member("web fetch", proto::tcp, V, none, A, 0, K, site::web(), K, 80)});
  }
};

/// The planted pattern "ftp-control-data".
struct ftp : pattern_base {
  static constexpr std::string_view name = "ftp-control-data";
  static constexpr std::string_view paper_rule = "IP1.* : Mirror.* => IP1.* : Mirror.21";
  static constexpr std::string_view description = "a control connection to Mirror:21 kept open and active while passive data connections run from fresh ports to Mirror:50000-50999";
  static constexpr std::string_view per = "client";
  static constexpr char var = 'C';
  static constexpr double pattern_rates::*rate = &pattern_rates::ftp;
  static constexpr auto kind = expose::detail::synth_process_kind::ftp;
  static constexpr int start = 1;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 100;
  [[nodiscard]] static std::vector<std::uint32_t> carriers(const generator& g) { return g.ftp_clients(); }
  static constexpr double pattern_delays::*delay = &pattern_delays::ftp;
  static constexpr std::string_view leads = "control connection";
  static constexpr std::array<double, 2> delay_range_ms = {1.3, 13};  // PASV's round trip, then 1-10 ms
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    const auto c = synth::site::client(p.host);
    const auto cp = run.fresh(p);
    const auto rtt = run.between(p, 300 * us, 3 * ms);
    t = run.open(p, t, c, cp, synth::site::mirror(), 21, rtt);
    run.tcp(p, t, synth::site::mirror(), 21, c, cp, psh_ack, 120);  // banner
    t += run.between(p, 100 * ms, 800 * ms);
    run.exchange(p, t, proto::tcp, c, cp, synth::site::mirror(), 21, rtt, 70, 90);  // USER
    t += run.between(p, 100 * ms, 800 * ms);
    run.exchange(p, t, proto::tcp, c, cp, synth::site::mirror(), 21, rtt, 70, 90);  // PASS
    const auto transfers = 1 + p.rng.below(4);
    for (std::uint64_t i = 0; i < transfers; ++i) {
      t += run.between(p, 1 * sec, 6 * sec);
      run.exchange(p, t, proto::tcp, c, cp, synth::site::mirror(), 21, rtt, 60, 100);  // PASV, 227
      const auto dport = static_cast<std::uint16_t>(synth::site::passive_first + p.rng.below(synth::site::passive_last - synth::site::passive_first + 1));
      const auto n = 4 + static_cast<std::uint32_t>(p.rng.below(40));
      const auto data_port = run.fresh(p);
      const auto lag = rtt + run.between(p, 1 * ms, 10 * ms);
      t = run.fetch(p, t + planted(run, delay, lag), c, data_port, synth::site::mirror(), dport, rtt, n);
      run.tcp(p, t, synth::site::mirror(), 21, c, cp, psh_ack, 90);  // 226 Transfer complete
    }
    t += run.between(p, 500 * ms, 3 * sec);
    run.exchange(p, t, proto::tcp, c, cp, synth::site::mirror(), 21, rtt, 60, 70);  // QUIT
    run.close(p, t + rtt + 1 * ms, c, cp, synth::site::mirror(), 21, rtt);
  }
  static void plant(const generator& g, truth_writer& w) {
    auto data = w.member("passive data connection", proto::tcp, V, none, A, 0, K, site::mirror(), K, site::passive_first);
    data.dport_last = site::passive_last;
    w.pattern<ftp>(g.ftp_clients().size(), g.rates.ftp, {w.member("control connection", proto::tcp, V, none, A, 0, K, site::mirror(), K, 21), data});
  }
};

/// The planted pattern "mail-dead-hosts".
struct mail : pattern_base {
  static constexpr std::string_view name = "mail-dead-hosts";
  static constexpr std::string_view paper_rule = "UnivMail.* : OldMail1.25 <=> UnivMail.* : OldMail2.25";
  static constexpr std::string_view description = "the mail server delivers to a list with users on two dead hosts: unanswered SYNs to both at once, from fresh ports";
  static constexpr std::string_view per = "site";
  static constexpr char var = 'C';
  static constexpr double pattern_rates::*rate = &pattern_rates::mail;
  static constexpr auto kind = expose::detail::synth_process_kind::mail;
  static constexpr int start = 5;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 6;
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    for (int k = 0; k < 2; ++k) {
      const auto cp = run.fresh(p);
      const auto t1 = t + run.between(p, 0, 100 * ms);
      for (std::int64_t retry : {std::int64_t{0}, 1 * sec, 3 * sec}) run.tcp(p, t1 + retry, synth::site::univ_mail(), cp, synth::site::old_mail(k), 25, syn, 74);
    }
  }
  static void plant(const generator& g, truth_writer& w) {
    w.pattern<mail>(1, g.rates.mail,
                    {w.member("to OldMail1", proto::tcp, K, site::univ_mail(), A, 0, K, site::old_mail(0), K, 25),
                     w.member("to OldMail2", proto::tcp, K, site::univ_mail(), A, 0, K, site::old_mail(1), K, 25)});
  }
};

/// The planted pattern "ntp-lockstep".
struct ntp : pattern_base {
  static constexpr std::string_view name = "ntp-lockstep";
  static constexpr std::string_view paper_rule = "Client1.123 : NTP.123 <=> Client2.123 : NTP.123";
  static constexpr std::string_view description = "two clients with the same NTP client poll one server within 50 ms of each other";
  static constexpr std::string_view per = "site";
  static constexpr char var = 'C';
  static constexpr double pattern_rates::*rate = &pattern_rates::ntp;
  static constexpr auto kind = expose::detail::synth_process_kind::ntp;
  static constexpr int start = 6;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 4;
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    for (int k = 0; k < 2; ++k) {
      const auto rtt = run.between(p, 1 * ms, 10 * ms);
      const auto at = t + run.between(p, 0, 50 * ms);
      run.exchange(p, at, proto::udp, synth::site::ntp_client(k), 123, synth::site::ntp_server(), 123, rtt, 90, 90);
    }
  }
  static void plant(const generator& g, truth_writer& w) {
    w.pattern<ntp>(1, g.rates.ntp,
                   {w.member("client 1", proto::udp, K, site::ntp_client(0), K, 123, K, site::ntp_server(), K, 123),
                    w.member("client 2", proto::udp, K, site::ntp_client(1), K, 123, K, site::ntp_server(), K, 123)});
  }
};

/// The planted pattern "ssh-scan".
struct ssh_scan : pattern_base {
  static constexpr std::string_view name = "ssh-scan";
  static constexpr std::string_view paper_rule = "*.* : Router1.22 <=> *.* : Router2.22 (three router clique)";
  static constexpr std::string_view description = "one of three scanners opens ssh connections to the three main routers within 300 ms and tries passwords";
  static constexpr std::string_view per = "host";
  static constexpr char var = 'S';
  static constexpr double pattern_rates::*rate = &pattern_rates::ssh_scan;
  static constexpr auto kind = expose::detail::synth_process_kind::ssh_scan;
  static constexpr int start = 7;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 60;
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    const auto s = synth::site::scanner(static_cast<int>(p.rng.below(3)));
    for (int r = 0; r < 3; ++r) {
      const auto cp = run.fresh(p);
      const auto rtt = run.between(p, 50 * ms, 250 * ms);
      auto t1 = run.open(p, t + run.between(p, 0, 300 * ms), s, cp, synth::site::router(r), 22, rtt);
      run.tcp(p, t1 + rtt / 2, synth::site::router(r), 22, s, cp, psh_ack, 95);  // banner
      run.exchange(p, t1 + rtt, proto::tcp, s, cp, synth::site::router(r), 22, rtt, 95, 1100);  // key exchange
      t1 += 3 * rtt;
      const auto tries = 2 + p.rng.below(4);
      for (std::uint64_t i = 0; i < tries; ++i) {
        run.exchange(p, t1, proto::tcp, s, cp, synth::site::router(r), 22, rtt, 150, 90);
        t1 += rtt + run.between(p, 100 * ms, 600 * ms);
      }
      run.close(p, t1, s, cp, synth::site::router(r), 22, rtt);
    }
  }
  static void plant(const generator& g, truth_writer& w) {
    w.pattern<ssh_scan>(3, g.rates.ssh_scan,
                        {w.member("to router 1", proto::tcp, V, none, A, 0, K, site::router(0), K, 22),
                         w.member("to router 2", proto::tcp, V, none, A, 0, K, site::router(1), K, 22),
                         w.member("to router 3", proto::tcp, V, none, A, 0, K, site::router(2), K, 22)});
  }
};

/// The planted pattern "imap-imaps".
struct imap : pattern_base {
  static constexpr std::string_view name = "imap-imaps";
  static constexpr std::string_view paper_rule = "$C.* : IMAP.143 <=> $C.* : IMAP.993";
  static constexpr std::string_view description = "a mail client checks IMAP and IMAPS together (within 200 ms)";
  static constexpr std::string_view per = "client";
  static constexpr char var = 'C';
  static constexpr double pattern_rates::*rate = &pattern_rates::imap;
  static constexpr auto kind = expose::detail::synth_process_kind::imap;
  static constexpr int start = 2;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 20;
  [[nodiscard]] static std::vector<std::uint32_t> carriers(const generator& g) { return g.imap_clients(); }
  static constexpr double pattern_delays::*delay = &pattern_delays::imap;
  static constexpr std::string_view leads = "imap";
  static constexpr std::array<double, 2> delay_range_ms = {0, 200};
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    const auto c = synth::site::client(p.host);
    const auto rtt = run.between(p, 300 * us, 3 * ms);
    const auto n1 = 1 + static_cast<std::uint32_t>(p.rng.below(3));
    const auto cp1 = run.fresh(p);
    run.fetch(p, t, c, cp1, synth::site::imap(), 143, rtt, n1);
    const auto n2 = 1 + static_cast<std::uint32_t>(p.rng.below(4));
    const auto cp2 = run.fresh(p);
    const auto lag = run.between(p, 0, 200 * ms);
    run.fetch(p, t + planted(run, delay, lag), c, cp2, synth::site::imap(), 993, rtt, n2);
  }
  static void plant(const generator& g, truth_writer& w) {
    w.pattern<imap>(g.imap_clients().size(), g.rates.imap,
                    {w.member("imap", proto::tcp, V, none, A, 0, K, site::imap(), K, 143),
                     w.member("imaps", proto::tcp, V, none, A, 0, K, site::imap(), K, 993)});
  }
};

/// The planted pattern "dhcp".
struct dhcp : pattern_base {
  static constexpr std::string_view name = "dhcp";
  static constexpr std::string_view paper_rule = "*.67 : 255.255.255.255.68 <=> IP1.68 : *.67";
  static constexpr std::string_view description = "a client broadcasts from 0.0.0.0:68 to 255.255.255.255:67 and the server answers from port 67 to port 68 (broadcast or the client)";
  static constexpr std::string_view per = "site";
  static constexpr char var = 'C';
  static constexpr double pattern_rates::*rate = &pattern_rates::dhcp;
  static constexpr auto kind = expose::detail::synth_process_kind::dhcp;
  static constexpr int start = 8;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 4;
  static constexpr double pattern_delays::*delay = &pattern_delays::dhcp;
  static constexpr std::string_view leads = "client broadcast";
  static constexpr std::array<double, 2> delay_range_ms = {1, 5};  // discover, then the offer
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    const auto c = synth::site::client(static_cast<std::uint32_t>(p.rng.below(run.settings().hosts)));
    run.udp(p, t, synth::site::unspecified(), 68, synth::site::broadcast(), 67, 342);  // discover
    t += planted(run, delay, run.between(p, 1 * ms, 5 * ms));
    run.udp(p, t, synth::site::dhcp(), 67, synth::site::broadcast(), 68, 342);  // offer
    t += run.between(p, 10 * ms, 60 * ms);
    run.udp(p, t, synth::site::unspecified(), 68, synth::site::broadcast(), 67, 342);  // request
    t += run.between(p, 1 * ms, 5 * ms);
    run.udp(p, t, synth::site::dhcp(), 67, p.rng.chance(0.5) ? synth::site::broadcast() : c, 68, 342);  // ack
  }
  static void plant(const generator& g, truth_writer& w) {
    auto unicast = w.member("answer to the client", proto::udp, K, site::dhcp(), K, 67, K, site::client(0), K, 68);
    unicast.dst_prefix = 16;
    unicast.flow.key.dst = site::v4(10, 1, 0, 0);
    w.pattern<dhcp>(1, g.rates.dhcp,
                    {w.member("client broadcast", proto::udp, K, site::unspecified(), K, 68, K, site::broadcast(), K, 67),
                     w.member("broadcast answer", proto::udp, K, site::dhcp(), K, 67, K, site::broadcast(), K, 68), unicast});
  }
};

/// The planted pattern "llmnr-dns-wins".
struct llmnr : pattern_base {
  static constexpr std::string_view name = "llmnr-dns-wins";
  static constexpr std::string_view paper_rule = "Host.* : Multicast.5355 <=> Host.* : DNS.53; Host.137 : WINS.137 <=> Host.* : DNS.53; Host.137 : WINS.137 <=> Host.* : Multicast.5355";
  static constexpr std::string_view description = "a Windows client looks a name up over LLMNR (224.0.0.252:5355), DNS and WINS (from port 137) at once";
  static constexpr std::string_view per = "client";
  static constexpr char var = 'C';
  static constexpr double pattern_rates::*rate = &pattern_rates::llmnr;
  static constexpr auto kind = expose::detail::synth_process_kind::llmnr;
  static constexpr int start = 3;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 8;
  [[nodiscard]] static std::vector<std::uint32_t> carriers(const generator& g) { return g.llmnr_clients(); }
  static constexpr double pattern_delays::*delay = &pattern_delays::llmnr;
  static constexpr std::string_view leads = "llmnr";
  static constexpr std::array<double, 2> delay_range_ms = {0, 50};  // DNS and WINS each
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    const auto c = synth::site::client(p.host);
    const auto cp = run.fresh(p);
    run.udp(p, t, c, cp, synth::site::llmnr(), 5355, 70);
    run.udp(p, t + 100 * ms, c, cp, synth::site::llmnr(), 5355, 70);
    const auto dns_rtt = run.between(p, 1 * ms, 20 * ms);
    const auto dns_port = run.fresh(p);
    const auto dns_lag = run.between(p, 0, 50 * ms);
    run.exchange(p, t + planted(run, delay, dns_lag), proto::udp, c, dns_port, synth::site::dns(), 53, dns_rtt, 74, 120);
    const auto wins_rtt = run.between(p, 1 * ms, 10 * ms);
    const auto wins_lag = run.between(p, 0, 50 * ms);
    run.exchange(p, t + planted(run, delay, wins_lag), proto::udp, c, 137, synth::site::wins(), 137, wins_rtt, 92, 104);
  }
  static void plant(const generator& g, truth_writer& w) {
    w.pattern<llmnr>(g.llmnr_clients().size(), g.rates.llmnr,
                     {w.member("llmnr", proto::udp, V, none, A, 0, K, site::llmnr(), K, 5355),
                      w.member("dns", proto::udp, V, none, A, 0, K, site::dns(), K, 53),
                      w.member("wins", proto::udp, V, none, K, 137, K, site::wins(), K, 137)});
  }
};

/// The planted pattern "mdns-advert".
struct mdns : pattern_base {
  static constexpr std::string_view name = "mdns-advert";
  static constexpr std::string_view paper_rule = "H1.5353 : H2.5353 <=> H1.5353 : H3.5353; H1.5353 : H4.5353";
  static constexpr std::string_view description = "a host advertises its music over mDNS to four others at once";
  static constexpr std::string_view per = "site";
  static constexpr char var = 'C';
  static constexpr double pattern_rates::*rate = &pattern_rates::mdns;
  static constexpr auto kind = expose::detail::synth_process_kind::mdns;
  static constexpr int start = 9;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 4;
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    for (int k = 1; k <= 4; ++k) run.udp(p, t + run.between(p, 0, 30 * ms), synth::site::mdns_host(0), 5353, synth::site::mdns_host(k), 5353, 300);
  }
  static void plant(const generator& g, truth_writer& w) {
    std::vector<truth_member> m;
    for (int k = 1; k <= 4; ++k)
      m.push_back(w.member("advertisement to H" + std::to_string(k + 1), proto::udp, K, site::mdns_host(0), K, 5353, K, site::mdns_host(k), K, 5353));
    w.pattern<mdns>(1, g.rates.mdns, std::move(m));
  }
};

/// The planted pattern "im-msn-aol".
struct im : pattern_base {
  static constexpr std::string_view name = "im-msn-aol";
  static constexpr std::string_view paper_rule = "Host.* : MSNServ.1863 <=> Host.* : AOLServ.5190";
  static constexpr std::string_view description = "an aggregating IM client refreshes its long-lived MSN and AOL sessions together";
  static constexpr std::string_view per = "client";
  static constexpr char var = 'C';
  static constexpr double pattern_rates::*rate = &pattern_rates::im;
  static constexpr auto kind = expose::detail::synth_process_kind::im;
  static constexpr int start = 4;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 4;
  [[nodiscard]] static std::vector<std::uint32_t> carriers(const generator& g) { return g.im_clients(); }
  static constexpr double pattern_delays::*delay = &pattern_delays::im;
  static constexpr std::string_view leads = "msn session";
  static constexpr std::array<double, 2> delay_range_ms = {0, 80};
  /// MSN on a long-lived port, AOL on the next one.
  static void setup(expose::detail::synth_run&, expose::detail::synth_process& p) { p.port = static_cast<std::uint16_t>(49152 + p.rng.below(15000)); }
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    const auto c = synth::site::client(p.host);
    const std::uint16_t msn_port = p.port, aol_port = static_cast<std::uint16_t>(p.port + 1);
    if (p.events == 0) {
      run.open(p, t, c, msn_port, synth::site::msn(), 1863, 40 * ms);
      run.open(p, t, c, aol_port, synth::site::aol(), 5190, 60 * ms);
      t += 100 * ms;
    }
    run.exchange(p, t, proto::tcp, c, msn_port, synth::site::msn(), 1863, run.between(p, 20 * ms, 80 * ms), 120, 180);
    const auto aol_rtt = run.between(p, 20 * ms, 80 * ms);
    const auto aol_lag = run.between(p, 0, 80 * ms);
    run.exchange(p, t + planted(run, delay, aol_lag), proto::tcp, c, aol_port, synth::site::aol(), 5190, aol_rtt, 120, 180);
  }
  static void plant(const generator& g, truth_writer& w) {
    w.pattern<im>(g.im_clients().size(), g.rates.im,
                  {w.member("msn session", proto::tcp, V, none, A, 0, K, site::msn(), K, 1863),
                   w.member("aol session", proto::tcp, V, none, A, 0, K, site::aol(), K, 5190)});
  }
};

/// The planted pattern "web-crawler".
struct crawler : pattern_base {
  static constexpr std::string_view name = "web-crawler";
  static constexpr std::string_view paper_rule = "Robot.* : Web1.80 <=> Robot.* : Web2.80";
  static constexpr std::string_view description = "a crawler fetches from two web servers within the same second, in either order";
  static constexpr std::string_view per = "site";
  static constexpr char var = 'C';
  static constexpr double pattern_rates::*rate = &pattern_rates::crawler;
  static constexpr auto kind = expose::detail::synth_process_kind::crawler;
  static constexpr int start = 10;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 25;
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    const bool first1 = p.rng.chance(0.5);
    const auto rtt = run.between(p, 30 * ms, 100 * ms);
    const auto n1 = 2 + static_cast<std::uint32_t>(p.rng.below(7));
    const auto cp1 = run.fresh(p);
    run.fetch(p, t, synth::site::robot(), cp1, first1 ? synth::site::web1() : synth::site::web2(), 80, rtt, n1);
    const auto n2 = 2 + static_cast<std::uint32_t>(p.rng.below(7));
    const auto cp2 = run.fresh(p);
    const auto at = t + run.between(p, 100 * ms, 800 * ms);
    run.fetch(p, at, synth::site::robot(), cp2, first1 ? synth::site::web2() : synth::site::web1(), 80, rtt, n2);
  }
  static void plant(const generator& g, truth_writer& w) {
    w.pattern<crawler>(1, g.rates.crawler,
                       {w.member("to Web1", proto::tcp, K, site::robot(), A, 0, K, site::web1(), K, 80),
                        w.member("to Web2", proto::tcp, K, site::robot(), A, 0, K, site::web2(), K, 80)});
  }
};

/// The planted pattern "traceroute".
struct traceroute : pattern_base {
  static constexpr std::string_view name = "traceroute";
  static constexpr std::string_view paper_rule = "Host.0 : IP1.0 : 1 <=> Host.0 : IP2.0 : 1; Host.0 : IP3.0 : 1 ...";
  static constexpr std::string_view description = "a host's traceroute probes are answered by ICMP from eight routers and the target within 100 ms";
  static constexpr std::string_view per = "site";
  static constexpr char var = 'C';
  static constexpr double pattern_rates::*rate = &pattern_rates::traceroute;
  static constexpr auto kind = expose::detail::synth_process_kind::traceroute;
  static constexpr int start = 11;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 18;
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    const auto sp = run.fresh(p);
    for (int ttl = 1; ttl <= synth::site::trace_hops + 1; ++ttl) {
      const auto tp = t + ttl * 5 * ms;
      run.udp(p, tp, synth::site::tracer(), sp, synth::site::trace_target(), static_cast<std::uint16_t>(synth::site::probe_port + ttl - 1), 60);
      const auto back = tp + ttl * 3 * ms + run.between(p, 0, 2 * ms);
      if (ttl <= synth::site::trace_hops) run.emit(p, back, synth::site::trace_hop(ttl - 1), 0, synth::site::tracer(), 0, proto::icmp, 0, 70, 11, 0);
      else run.emit(p, back, synth::site::trace_target(), 0, synth::site::tracer(), 0, proto::icmp, 0, 70, 3, 3);
    }
  }
  static void plant(const generator& g, truth_writer& w) {
    std::vector<truth_member> m;
    for (int k = 0; k < site::trace_hops; ++k)
      m.push_back(w.member("time exceeded from hop " + std::to_string(k + 1), proto::icmp, K, site::tracer(), K, 0, K, site::trace_hop(k), K, 0));
    m.push_back(w.member("port unreachable from the target", proto::icmp, K, site::tracer(), K, 0, K, site::trace_target(), K, 0));
    auto probes = w.member("probes", proto::udp, K, site::tracer(), A, 0, K, site::trace_target(), K, site::probe_port);
    probes.dport_last = static_cast<std::uint16_t>(site::probe_port + site::trace_hops);
    probes.many = true;
    m.push_back(probes);
    w.pattern<traceroute>(1, g.rates.traceroute, std::move(m));
  }
};

/// The planted pattern "p2p".
struct p2p : pattern_base {
  static constexpr std::string_view name = "p2p";
  static constexpr std::string_view paper_rule = "Host.* : Peer.6881 <=> Host.* : Peer.6883 (BitTorrent ports 6881-6889)";
  static constexpr std::string_view description = "a BitTorrent host with 30 peers; bursts on its 2-3 long-lived connections to one peer at a time";
  static constexpr std::string_view per = "host";
  static constexpr char var = 'P';
  static constexpr double pattern_rates::*rate = &pattern_rates::p2p;
  static constexpr auto kind = expose::detail::synth_process_kind::p2p;
  static constexpr int start = 12;                 // its processes' place among all (their ids)
  static constexpr double packets_per_event = 15;
  [[nodiscard]] static std::vector<std::uint32_t> carriers(const generator&) {
    std::vector<std::uint32_t> hosts;
    for (std::uint32_t h = 0; h < site::p2p_hosts; ++h) hosts.push_back(h);
    return hosts;
  }
  /// The host's 30 peers, each with 2-3 connections on ports 6881-6889.
  static void setup(expose::detail::synth_run& run, expose::detail::synth_process& p) {
    auto& peers = run.add_peers();
    for (int k = 0; k < site::p2p_peers; ++k) {
      expose::detail::synth_peer peer;
      peer.addr = ip_address::v4(0x64400000u | static_cast<std::uint32_t>(p.rng.below(1u << 22)));  // 100.64.0.0/10
      peer.connections = static_cast<std::uint8_t>(2 + p.rng.below(2));
      std::array<std::uint16_t, 9> ports{};
      for (std::uint16_t i = 0; i < 9; ++i) ports[i] = static_cast<std::uint16_t>(6881 + i);
      for (std::uint8_t i = 0; i < peer.connections; ++i) {
        std::swap(ports[i], ports[i + p.rng.below(9u - i)]);
        peer.remote[i] = ports[i];
        peer.local[i] = run.fresh(p);
      }
      peers.push_back(peer);
    }
    p.host = static_cast<std::uint32_t>(run.peers().size() - 1);
  }
  static void fire(expose::detail::synth_run& run, expose::detail::synth_process& p, std::int64_t t) {
    using namespace expose::detail::synth_units;
    auto& peer = run.peers()[p.host][p.rng.below(synth::site::p2p_peers)];
    const auto h = synth::site::p2p_host(static_cast<int>(p.host));
    for (std::uint8_t i = 0; i < peer.connections; ++i) {
      auto t1 = t + run.between(p, 0, 150 * ms);
      const auto rtt = run.between(p, 20 * ms, 200 * ms);
      if (!peer.open) t1 = run.open(p, t1, h, peer.local[i], peer.addr, peer.remote[i], rtt);
      run.tcp(p, t1, h, peer.local[i], peer.addr, peer.remote[i], psh_ack, 85);  // have / request
      const auto pieces = 1 + p.rng.below(3);
      for (std::uint64_t k = 0; k < pieces; ++k)
        run.tcp(p, t1 + rtt + static_cast<std::int64_t>(k) * ms, peer.addr, peer.remote[i], h, peer.local[i], ack, 1514);
      run.tcp(p, t1 + rtt + 5 * ms, h, peer.local[i], peer.addr, peer.remote[i], ack, 54);
    }
    peer.open = true;
  }
  static void plant(const generator& g, truth_writer& w) {
    for (int h = 0; h < site::p2p_hosts; ++h) {
      auto m = w.member("connections to one peer", proto::tcp, K, site::p2p_host(h), A, 0, V, none, K, 6881);
      m.dport_last = 6889;
      m.many = true;
      w.pattern<p2p>(1, g.rates.p2p, {m}, "p2p-" + std::to_string(h + 1));
    }
  }
};

/// Every pattern, in the ground truth's order (pattern_rates::names).
using all = std::tuple<dns_web, ftp, mail, ntp, ssh_scan, imap, dhcp, llmnr, mdns, im, crawler, traceroute, p2p>;

/// Calls `f.template operator()<P>()` for each pattern P, in that order.
template <class F>
void for_each(F&& f) {
  [&]<class... P>(std::tuple<P...>*) { (f.template operator()<P>(), ...); }(static_cast<all*>(nullptr));
}

template <class... P>
constexpr bool named_as_the_rates(std::tuple<P...>*) {
  std::size_t i = 0;
  return ((i < pattern_rates::names.size() && pattern_rates::names[i++] == P::name) && ...) && i == pattern_rates::names.size();
}
static_assert(named_as_the_rates(static_cast<all*>(nullptr)), "synth::patterns::all and pattern_rates::names list the patterns alike");

}  // namespace patterns

inline double* pattern_rates::find(std::string_view name) {
  double* out = nullptr;
  patterns::for_each([&]<class P>() {
    if (P::name == name) out = &(this->*P::rate);
  });
  return out;
}

inline double* pattern_delays::find(std::string_view name) {
  double* out = nullptr;
  patterns::for_each([&]<class P>() {
    if constexpr (patterns::OrderedPattern<P>)
      if (P::name == name) out = &(this->*P::delay);
  });
  return out;
}

inline void generator::check() const {
    if (hosts == 0 || hosts > site::max_clients)
      throw bad_argument("synth::generator: hosts must be 1 to " + std::to_string(site::max_clients));
    if (duration.count() <= 0 || duration.count() > 366LL * 86400)
      throw bad_argument("synth::generator: duration must be 1 s to 366 days");
    if (slice.count() <= 0) throw bad_argument("synth::generator: slice must be positive");
    if (!(noise_per_second == 0 || (noise_per_second >= 1e-6 && noise_per_second <= 1e6)))
      throw bad_argument("synth::generator: noise_per_second must be 0 or 0.000001 to 1000000");
    if (heavy_flows > 50000) throw bad_argument("synth::generator: heavy_flows must be at most 50000");
  patterns::for_each([&]<class P>() {
    const double r = rates.*P::rate;
    if (!(r == 0 || (r >= 1e-3 && r <= 3.6e6)))
      throw bad_argument("synth::generator: a pattern rate must be 0 (off) or 0.001 to 3600000 per hour");
    if constexpr (patterns::OrderedPattern<P>) {
      const double d = delays.*P::delay;
      if (!(d < 0 || d <= 60'000)) throw bad_argument("synth::generator: a planted delay must be 0 to 60000 ms (negative: the pattern's own)");
    }
  });
}

}  // namespace expose::synth

namespace expose::detail {

inline synth_run::synth_run(const synth::generator& g) : g_(g), t0_(g.start_ns), end_(g.start_ns + g.duration.count() * sec) {
  g.check();
  auto per_hour = [](double rate) { return static_cast<std::int64_t>(std::llround(3.6e12 / rate)); };
  // The patterns' processes in their `start` order (the order fixes their ids, which break ties).
  for (int start = 0; start < static_cast<int>(std::tuple_size_v<synth::patterns::all>); ++start)
    synth::patterns::for_each([&]<class P>() {
      const double rate = g.rates.*P::rate;
      if (P::start != start || rate <= 0) return;
      for (const auto c : P::carriers(g)) P::setup(*this, add(P::kind, c, per_hour(rate)));
    });
  for (std::uint32_t i = 0; i < g.heavy_flows; ++i) {
    auto& p = add(synth_process_kind::heavy, i, 22 * ms);
    p.next = t0_ + static_cast<std::int64_t>(p.rng.below(5 * ms));
  }
  if (g.noise_per_second > 0) add(synth_process_kind::noise, 0, std::max<std::int64_t>(1, std::llround(1e9 / g.noise_per_second)));
}

inline std::int64_t synth_run::slice_ns() const {
  double per_hour = 0;
  synth::patterns::for_each([&]<class P>() {
    per_hour += static_cast<double>(P::carriers(g_).size()) * (g_.rates.*P::rate) * P::packets_per_event;
  });
  const double per_second = per_hour / 3600 + g_.noise_per_second * 12 + static_cast<double>(g_.heavy_flows) * 70;
  const double fit = per_second > 0 ? 2.5e5 / per_second : 1e9;  // seconds
  const std::int64_t longest = g_.slice.count() * sec;
  return fit * 1e9 >= static_cast<double>(longest) ? longest : std::max<std::int64_t>(10 * ms, static_cast<std::int64_t>(fit * 1e9));
}

inline void synth_run::fire(synth_process& p, std::int64_t t) {
  if (p.kind == synth_process_kind::heavy) return fire_heavy(p, t);
  if (p.kind == synth_process_kind::noise) return fire_noise(p, t);
  synth::patterns::for_each([&]<class P>() {
    if (P::kind == p.kind) P::fire(*this, p, t);
  });
}

}  // namespace expose::detail

namespace expose::synth {

template <class Sink>
void generator::generate(Sink&& on_packet) const {
  expose::detail::synth_run run(*this);
  run.run(on_packet);
}

inline ground_truth generator::truth() const {
  check();
  ground_truth t;
  t.generator = "expose::synth::generator";
  t.seed = seed;
  t.start_ns = start_ns;
  t.end_ns = start_ns + duration.count() * 1'000'000'000;
  t.hosts = hosts;
  t.noise_per_second = noise_per_second;
  t.heavy_flows = heavy_flows;
  truth_writer w(t);
  patterns::for_each([&]<class P>() {
    if (rates.*P::rate <= 0) return;
    const auto first = t.patterns.size();
    P::plant(*this, w);
    if constexpr (patterns::OrderedPattern<P>)
      for (auto k = first; k < t.patterns.size(); ++k) {
        auto& planted = t.patterns[k];
        const auto lead = std::find_if(planted.members.begin(), planted.members.end(), [](const auto& m) { return m.role == P::leads; });
        planted.leader = static_cast<int>(lead - planted.members.begin());
        planted.delay_ms = delays.*P::delay;
        planted.delay_range_ms = P::delay_range_ms;
      }
  });
  using patterns::K, patterns::A;
  if (heavy_flows > 0) {
    std::vector<truth_member> m;
    for (std::uint32_t i = 0; i < heavy_flows; ++i)
      m.push_back(w.member("heavy download " + std::to_string(i + 1), proto::tcp, K, site::heavy_client(i), K, site::heavy_port(i), K,
                           site::heavy_server(i), K, 443));
    w.background("heavy", "(none: always-on flows carry no information)",
                 "always-on downloads: a 1500-byte packet every 5-40 ms and an ack every other one", heavy_flows, 0, std::move(m));
  }
  if (noise_per_second > 0) {
    // One member per port the noise uses (fire_noise), each as narrow as the noise is: a `*`
    // destination port made every rule on a client's ports (a BitTorrent host's `$A.* : *.6882 <=>
    // $A.* : *.6885`) touch the noise, and scored a true rule as background.
    std::vector<truth_member> m;
    for (const std::uint16_t port : {443, 80}) {
      auto to = w.member("random connection to port " + std::to_string(port), proto::tcp, K, site::v4(10, 1, 0, 0), K, 49152, K,
                         site::v4(198, 18, 0, 0), K, port);
      to.src_prefix = 16;
      to.sport_last = 65535;
      to.dst_prefix = 15;
      m.push_back(std::move(to));
    }
    w.background("noise", "(none: independent connections)", "random one-off connections from clients to 198.18.0.0/15, ports 443 and 80", 1,
                 noise_per_second * 3600, std::move(m));
  }
  return t;
}

static_assert(PacketSource<const generator>);

}  // namespace expose::synth
