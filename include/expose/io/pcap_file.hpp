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
#include "expose/io/pcapng_reader.hpp"
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
    std::vector<cursor> files;
    files.reserve(paths_.size());
    std::uint64_t total = 0;
    for (const auto& path : paths_) {
      files.push_back(open(path));
      std::error_code ec;
      const auto size = std::filesystem::file_size(path, ec);
      if (!ec) total += size;
    }
    auto later = [&](std::size_t a, std::size_t b) { return files[a].ts_ns > files[b].ts_ns; };
    std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> order(later);
    for (std::size_t i = 0; i < files.size(); ++i)
      if (advance(files[i], stats)) order.push(i);

    std::uint64_t since_progress = 0;
    fragment_table fragments(opt_.fragments);
    packet p;
    while (!order.empty()) {
      const std::size_t i = order.top();
      order.pop();
      cursor& c = files[i];
      ++stats.packets;
      if (!c.ts_ok) {
        ++stats.skipped["bad-timestamp"];
      } else if (!passes(c)) {
        ++stats.skipped["filtered"];
      } else {
        decode_into(c.link_type, c.data, c.header->caplen, c.header->len, c.ts_ns, p, fragments, opt_.decode, stats, sink);
      }
      if (opt_.progress && ++since_progress == 4096) {
        since_progress = 0;
        std::uint64_t done = 0;
        for (auto& f : files) done += f.offset();
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
    std::string name;
    std::unique_ptr<pcap_t, pcap_closer> handle;
    std::unique_ptr<bpf_program, bpf_freer> filter;
    int link_type = 0;
    std::uint64_t records = 0;
    const pcap_pkthdr* header = nullptr;
    const std::uint8_t* data = nullptr;
    std::int64_t ts_ns = 0;
    bool ts_ok = true;  ///< false: the record's time does not fit in int64 nanoseconds (ts_ns keeps the last one)
    // After libpcap refused a pcapng file of mixed link types: the own reader, a BPF program per type.
    std::unique_ptr<pcapng_reader> own;
    pcap_pkthdr own_header{};
    std::map<int, std::unique_ptr<bpf_program, bpf_freer>> own_filters;
    [[nodiscard]] std::uint64_t offset() const {
      if (own) return own->position();
      FILE* f = handle ? pcap_file(handle.get()) : nullptr;
      const long at = f ? std::ftell(f) : -1;
      return at < 0 ? 0 : static_cast<std::uint64_t>(at);
    }
  };

  /// Whether the current record passes the BPF filter (compiled for its link type).
  bool passes(cursor& c) const {
    if (opt_.filter.empty()) return true;
    if (!c.own) return pcap_offline_filter(&*c.filter, c.header, c.data) != 0;
    auto& prog = c.own_filters[c.link_type];
    if (!prog) {
      std::unique_ptr<pcap_t, pcap_closer> dead(pcap_open_dead(c.link_type, 262144));
      prog.reset(new bpf_program{});
      if (!dead || pcap_compile(dead.get(), prog.get(), opt_.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        prog.reset();
        return false;  // the filter cannot speak of this link type: nothing of it passes
      }
    }
    return pcap_offline_filter(prog.get(), c.header, c.data) != 0;
  }

  cursor open(const std::filesystem::path& path) const {
    char err[PCAP_ERRBUF_SIZE] = {};
    cursor c;
    c.name = path.string();
    c.handle.reset(pcap_open_offline_with_tstamp_precision(c.name.c_str(), PCAP_TSTAMP_PRECISION_NANO, err));
    if (!c.handle) throw bad_trace("cannot read '" + c.name + "': " + err);
    c.link_type = pcap_datalink(c.handle.get());
    if (!opt_.filter.empty()) {
      c.filter.reset(new bpf_program{});
      if (pcap_compile(c.handle.get(), c.filter.get(), opt_.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        const std::string why = pcap_geterr(c.handle.get());
        c.filter.reset();
        throw bad_argument("invalid filter '" + opt_.filter + "' for '" + c.name + "': " + why);
      }
    }
    return c;
  }

  /// Moves a file to its next record; false at its end or at damage (with a warning).
  static bool advance(cursor& c, input_stats& stats) {
    if (c.own) return advance_own(c, stats);
    if (!c.handle) return false;
    pcap_pkthdr* h = nullptr;
    const u_char* d = nullptr;
    const int rc = pcap_next_ex(c.handle.get(), &h, &d);
    if (rc == 1) {
      c.header = h;
      c.data = d;
      // A pcapng block's 64-bit time in coarse units can lie past year 2262, beyond int64 nanoseconds:
      // such a record is skipped (bad-timestamp) and keeps its place in the merge.
      std::int64_t ns = 0;
      c.ts_ok = !__builtin_mul_overflow(static_cast<std::int64_t>(h->ts.tv_sec), std::int64_t{1'000'000'000}, &ns) &&
                !__builtin_add_overflow(ns, static_cast<std::int64_t>(h->ts.tv_usec), &ns);
      if (c.ts_ok) c.ts_ns = ns;
      ++c.records;
      return true;
    }
    if (rc == PCAP_ERROR && std::string_view(pcap_geterr(c.handle.get())).find("different from the type of the first interface") !=
                                std::string_view::npos) {
      // libpcap takes one link type per file: read on with the own reader, past the records it gave.
      c.handle.reset();
      c.own = std::make_unique<pcapng_reader>(c.name);
      pcapng_reader::record r;
      for (std::uint64_t k = 0; k < c.records; ++k)
        if (!c.own->next(r)) break;
      return advance_own(c, stats);
    }
    if (rc == PCAP_ERROR) {
      stats.damaged = true;
      stats.warnings.push_back("'" + c.name + "' is damaged after record " + std::to_string(c.records) +
                               " (near byte " + std::to_string(c.offset()) + "): " + pcap_geterr(c.handle.get()) +
                               "; the results hold the " + std::to_string(c.records) + " records before it");
    }
    c.handle.reset();
    return false;
  }

  static bool advance_own(cursor& c, input_stats& stats) {
    pcapng_reader::record r;
    if (c.own->next(r)) {
      c.link_type = r.link_type;
      c.own_header.caplen = r.caplen;
      c.own_header.len = r.len;
      c.header = &c.own_header;
      c.data = r.data;
      c.ts_ns = r.ts_ns;
      c.ts_ok = r.time_ok;
      ++c.records;
      return true;
    }
    if (!c.own->error().empty()) {
      stats.damaged = true;
      stats.warnings.push_back("'" + c.name + "' is damaged after record " + std::to_string(c.records) + " (at byte " +
                               std::to_string(c.own->offset()) + "): " + c.own->error() + "; the results hold the " +
                               std::to_string(c.records) + " records before it");
    }
    c.own.reset();
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
