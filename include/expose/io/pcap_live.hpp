#pragma once
// Live capture from a network interface through libpcap (component expose::pcap): a packet source
// that reads until asked to stop — a flag set from a signal handler (SIGINT), a packet count, or a
// duration — and then returns normally, so what was captured is mined and written out.
// Capturing needs root or CAP_NET_RAW; the error says so.

#include <pcap/pcap.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "expose/concepts.hpp"
#include "expose/error.hpp"
#include "expose/input.hpp"
#include "expose/io/decode.hpp"
#include "expose/packet.hpp"

namespace expose::io {

struct pcap_live_options {
  std::string filter{};              ///< BPF expression, as tcpdump takes it
  int snaplen = 262144;              ///< bytes kept of each packet (decoding needs the headers only)
  bool promiscuous = false;
  /// Checked between packets and at least every `poll`: when it becomes true, reading stops.
  /// A `volatile std::sig_atomic_t`-like flag a signal handler may set (lock-free atomic).
  const std::atomic<bool>* stop = nullptr;
  std::chrono::milliseconds poll{100};
  std::uint64_t max_packets = 0;     ///< stop after this many records (0: no limit)
  std::chrono::nanoseconds max_duration{0};  ///< stop after this long (0: no limit)
  decode_options decode{};
  fragment_options fragments{};  ///< how long later IP fragments may wait for their first
};

static_assert(std::atomic<bool>::is_always_lock_free, "the stop flag is set from a signal handler");

/// Packets from an interface, as they arrive, until stopped. Records count as read (`packets`)
/// when libpcap hands them over; what the kernel dropped is reported as a warning at the end.
class pcap_live {
 public:
  using options = pcap_live_options;

  explicit pcap_live(std::string interface, options opt = {}) : interface_(std::move(interface)), opt_(std::move(opt)) {
    if (interface_.empty()) throw bad_argument("pcap_live: no interface given");
    open();
  }

  template <class Sink>
  void read(Sink&& sink, input_stats& stats) {
    const auto started = std::chrono::steady_clock::now();
    const int link = pcap_datalink(handle_.get());
    packet p;
    fragment_table fragments(opt_.fragments);
    std::uint64_t records = 0;
    for (;;) {
      if (opt_.stop && opt_.stop->load(std::memory_order_relaxed)) break;
      if (opt_.max_packets != 0 && records >= opt_.max_packets) break;
      if (opt_.max_duration.count() != 0 && std::chrono::steady_clock::now() - started >= opt_.max_duration) break;
      pcap_pkthdr* h = nullptr;
      const u_char* d = nullptr;
      const int rc = pcap_next_ex(handle_.get(), &h, &d);
      if (rc == 0) {  // nothing waiting (non-blocking): wait for the socket, at most one poll period
        pollfd fd{pcap_get_selectable_fd(handle_.get()), POLLIN, 0};
        if (fd.fd >= 0) ::poll(&fd, 1, static_cast<int>(opt_.poll.count()));
        continue;
      }
      if (rc == PCAP_ERROR_BREAK) break;
      if (rc != 1) {
        stats.warnings.push_back("capture on '" + interface_ + "' ended: " + pcap_geterr(handle_.get()));
        break;
      }
      ++records;
      ++stats.packets;
      const std::int64_t ts = static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000'000 + static_cast<std::int64_t>(h->ts.tv_usec) * (nano_ ? 1 : 1000);
      decode_into(link, d, h->caplen, h->len, ts, p, fragments, opt_.decode, stats, sink);
    }
    pcap_stat st{};
    if (pcap_stats(handle_.get(), &st) == 0 && (st.ps_drop != 0 || st.ps_ifdrop != 0))
      stats.warnings.push_back("capture on '" + interface_ + "': the kernel dropped " + std::to_string(st.ps_drop) +
                               " packets (buffer full) and the interface " + std::to_string(st.ps_ifdrop));
  }

  [[nodiscard]] const std::string& interface() const noexcept { return interface_; }

 private:
  struct pcap_closer {
    void operator()(pcap_t* p) const { pcap_close(p); }
  };

  void open() {
    char err[PCAP_ERRBUF_SIZE] = {};
    handle_.reset(pcap_create(interface_.c_str(), err));
    if (!handle_) throw bad_trace("cannot capture on '" + interface_ + "': " + err);
    pcap_set_snaplen(handle_.get(), opt_.snaplen);
    pcap_set_promisc(handle_.get(), opt_.promiscuous ? 1 : 0);
    pcap_set_timeout(handle_.get(), static_cast<int>(opt_.poll.count()));
    pcap_set_immediate_mode(handle_.get(), 1);  // packets as they come, not when a buffer block fills
    pcap_set_tstamp_precision(handle_.get(), PCAP_TSTAMP_PRECISION_NANO);  // falls back to micro where unsupported
    const int rc = pcap_activate(handle_.get());
    if (rc < 0) {
      std::string why = rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface"
                        : rc == PCAP_ERROR_PERM_DENIED  ? "permission denied (capturing needs root or CAP_NET_RAW)"
                                                        : pcap_geterr(handle_.get());
      if (rc == PCAP_ERROR_NO_SUCH_DEVICE && *pcap_geterr(handle_.get())) why += std::string(" (") + pcap_geterr(handle_.get()) + ")";
      handle_.reset();
      throw bad_trace("cannot capture on '" + interface_ + "': " + why);
    }
    // Non-blocking, with poll() on the socket: a blocking read may wait forever on a quiet link
    // (Linux TPACKET_V3 starts its timeout at the first packet), and the stop flag must be seen.
    if (pcap_setnonblock(handle_.get(), 1, err) != 0) throw bad_trace("cannot capture on '" + interface_ + "': " + err);
    nano_ = pcap_get_tstamp_precision(handle_.get()) == PCAP_TSTAMP_PRECISION_NANO;
    if (!opt_.filter.empty()) {
      bpf_program prog{};
      if (pcap_compile(handle_.get(), &prog, opt_.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
        throw bad_argument("invalid filter '" + opt_.filter + "' for '" + interface_ + "': " + pcap_geterr(handle_.get()));
      const int set = pcap_setfilter(handle_.get(), &prog);
      pcap_freecode(&prog);
      if (set != 0) throw bad_argument("cannot set filter '" + opt_.filter + "' on '" + interface_ + "': " + pcap_geterr(handle_.get()));
    }
  }

  std::string interface_;
  options opt_;
  std::unique_ptr<pcap_t, pcap_closer> handle_;
  bool nano_ = true;
};

static_assert(PacketSource<pcap_live>);

}  // namespace expose::io
