#pragma once
// Reading pcap and pcapng files through libpcap (component expose::pcap): both byte orders,
// micro- and nanosecond stamps, a BPF filter as tcpdump takes it, several files merged in time order.
// A damaged file yields every record before the damage and a warning naming the file and offset.
// A pcapng file whose interfaces have different link types, which libpcap refuses, is read from where
// libpcap stopped by the project's own pcapng reader (each packet decoded by its interface's type).

#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "expose/concepts.hpp"
#include "expose/error.hpp"
#include "expose/input.hpp"
#include "expose/io/decode.hpp"
#include "expose/io/pcap_records.hpp"
#include "expose/packet.hpp"

namespace expose::io {

struct pcap_read_options {
  std::string filter{};  ///< BPF expression, as tcpdump takes it; empty: every packet
  /// Called every few thousand records with (bytes read, bytes in all files).
  std::function<void(std::uint64_t, std::uint64_t)> progress{};
  decode_options decode{};
  fragment_options fragments{};  ///< how long later IP fragments may wait for their first
};

/// One or more capture files read as one time-ordered stream.
class pcap_files {
 public:
  using options = pcap_read_options;

  explicit pcap_files(std::vector<std::filesystem::path> paths, options opt = {})
      : paths_(std::move(paths)), opt_(std::move(opt)) {
    if (paths_.empty()) throw bad_argument("pcap_files: no input file given");
  }

  template <class Sink>
  void read(Sink&& sink, input_stats& stats) {
    fragment_table fragments(opt_.fragments);
    read_with(fragments, sink, stats);
  }

  /// As `read`, with a fragment table the caller keeps (a reader of several pieces of a stream,
  /// io::pcap_slices, keeps one for all of them).
  template <class Sink>
  void read_with(fragment_table& fragments, Sink&& sink, input_stats& stats) {
    std::vector<cursor> files;
    files.reserve(paths_.size());
    std::uint64_t total = 0;
    for (const auto& path : paths_) {
      files.push_back(open(path));
      std::error_code ec;
      const auto size = std::filesystem::file_size(path, ec);
      if (!ec) total += size;
    }
    auto later = [&](std::size_t a, std::size_t b) { return files[a].in.current().ts_ns > files[b].in.current().ts_ns; };
    std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> order(later);
    for (std::size_t i = 0; i < files.size(); ++i)
      if (advance(files[i], stats)) order.push(i);

    std::uint64_t since_progress = 0;
    packet p;
    while (!order.empty()) {
      const std::size_t i = order.top();
      order.pop();
      cursor& c = files[i];
      const auto& r = c.in.current();
      ++stats.packets;
      if (!r.ts_ok) {
        ++stats.skipped["bad-timestamp"];
      } else if (!passes(c)) {
        ++stats.skipped["filtered"];
      } else {
        decode_into(r.link_type, r.data, r.caplen, r.len, r.ts_ns, p, fragments, opt_.decode, stats, sink);
      }
      if (opt_.progress && ++since_progress == 4096) {
        since_progress = 0;
        std::uint64_t done = 0;
        for (auto& f : files) done += f.in.offset();
        opt_.progress(done, total);
      }
      if (advance(c, stats)) order.push(i);
    }
    if (opt_.progress) opt_.progress(total, total);
  }

 private:
  struct pcap_closer {
    void operator()(pcap_t* p) const { pcap_close(p); }
  };
  struct bpf_freer {
    void operator()(bpf_program* b) const {
      pcap_freecode(b);
      delete b;
    }
  };
  struct cursor {
    pcap_records in;
    std::unique_ptr<bpf_program, bpf_freer> filter{};
    // After libpcap refused a pcapng file of mixed link types: a BPF program per link type.
    std::map<int, std::unique_ptr<bpf_program, bpf_freer>> own_filters{};
  };

  /// Whether the current record passes the BPF filter (compiled for its link type).
  bool passes(cursor& c) const {
    if (opt_.filter.empty()) return true;
    pcap_pkthdr h{};
    h.caplen = c.in.current().caplen;
    h.len = c.in.current().len;
    if (!c.in.own_reader()) return pcap_offline_filter(&*c.filter, &h, c.in.current().data) != 0;
    auto& prog = c.own_filters[c.in.link_type()];
    if (!prog) {
      std::unique_ptr<pcap_t, pcap_closer> dead(pcap_open_dead(c.in.link_type(), 262144));
      prog.reset(new bpf_program{});
      if (!dead || pcap_compile(dead.get(), prog.get(), opt_.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        prog.reset();
        return false;  // the filter cannot speak of this link type: nothing of it passes
      }
    }
    return pcap_offline_filter(prog.get(), &h, c.in.current().data) != 0;
  }

  cursor open(const std::filesystem::path& path) const {
    cursor c{.in = pcap_records(path)};
    if (!opt_.filter.empty()) {
      c.filter.reset(new bpf_program{});
      if (pcap_compile(c.in.handle(), c.filter.get(), opt_.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        const std::string why = pcap_geterr(c.in.handle());
        c.filter.reset();
        throw bad_argument("invalid filter '" + opt_.filter + "' for '" + c.in.name() + "': " + why);
      }
    }
    return c;
  }

  /// Moves a file to its next record; false at its end or at damage (with a warning).
  static bool advance(cursor& c, input_stats& stats) {
    if (c.in.next()) return true;
    if (!c.in.damage().empty()) {
      stats.damaged = true;
      stats.warnings.push_back(c.in.damage() + held_before(c.in.records()));
    }
    return false;
  }

  std::vector<std::filesystem::path> paths_;
  options opt_;
};

/// One capture file.
[[nodiscard]] inline pcap_files pcap_file(const std::filesystem::path& path, pcap_files::options opt = {}) {
  return pcap_files({path}, std::move(opt));
}

static_assert(PacketSource<pcap_files>);

}  // namespace expose::io
