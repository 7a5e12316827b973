#pragma once
// Reading a byte range of a classic pcap file (component expose::pcap), so that several processes
// can share one large file: a range holds the records that *start* inside it. A reader dropped at
// an arbitrary byte finds the next record boundary by looking for a chain of plausible record
// headers (lengths within the snapshot length, the fraction of a second in range, timestamps
// close to each other); the caller can check the boundary against where the previous range's
// reader stopped (`pcap_slices::stops`), which is exact. pcapng files (and anything libpcap reads
// that is not classic pcap) are read whole, through libpcap.
//
// Records are decoded as `pcap_files` decodes them (same timestamps in ns, same BPF filter, same
// skip reasons), so a file read in consecutive ranges yields the packets of one whole read, in
// the same order.

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "expose/concepts.hpp"
#include "expose/error.hpp"
#include "expose/input.hpp"
#include "expose/io/decode.hpp"
#include "expose/io/pcap_classic.hpp"
#include "expose/io/pcap_file.hpp"
#include "expose/packet.hpp"

namespace expose::io {

/// The global header of a classic pcap file.
struct pcap_classic_header {
  bool swapped = false;  ///< written in the other byte order
  bool nanos = false;    ///< nanosecond timestamps (magic a1b23c4d)
  std::uint32_t snaplen = 0;
  int link_type = 0;     ///< as libpcap reports it (LINKTYPE_RAW read as DLT_RAW)
  std::optional<std::uint32_t> first_sec;  ///< the first record's second, when there is one
  static constexpr std::uint64_t size = 24;
  static constexpr std::uint64_t record_header = 16;
  static constexpr std::uint32_t max_snaplen = 262144;  ///< libpcap's MAXIMUM_SNAPLEN
};

/// The header of a classic pcap file; nullopt when the file is something else (pcapng, damaged,
/// unreadable).
[[nodiscard]] inline std::optional<pcap_classic_header> read_classic_header(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return std::nullopt;
  std::uint8_t h[28];
  const std::size_t got = std::fread(h, 1, sizeof h, f.get());
  if (got < 24) return std::nullopt;
  std::uint32_t magic;
  std::memcpy(&magic, h, 4);
  const auto format = classic_records::from_magic(magic);
  if (!format) return std::nullopt;
  pcap_classic_header out;
  out.swapped = format->swapped;
  out.nanos = format->nanos;
  const auto u32 = [&](std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, h + at, 4);
    return out.swapped ? __builtin_bswap32(v) : v;
  };
  out.snaplen = u32(16);
  if (out.snaplen == 0 || out.snaplen > pcap_classic_header::max_snaplen) out.snaplen = pcap_classic_header::max_snaplen;
  out.link_type = static_cast<int>(u32(20) & 0x03FFFFFF);
  if (out.link_type == link::raw_linktype) out.link_type = link::raw;  // libpcap's linktype_to_dlt
  if (got == sizeof h) out.first_sec = u32(24);
  return out;
}

/// The records of one capture file that start in the bytes [begin, end).
struct pcap_slice {
  std::filesystem::path path;
  std::uint64_t begin = 0;
  std::uint64_t end = UINT64_MAX;
  [[nodiscard]] bool whole() const noexcept { return begin == 0 && end == UINT64_MAX; }
};


/// Where the first record starting at or after `offset` begins, for a classic pcap file whose
/// bytes from `offset` on are `bytes` (`at_eof`: they run to the end of the file). A boundary is a
/// place from which `chain` record headers in a row are plausible (or the chain ends exactly at
/// the end of the file): a fraction of a second in range, 0 < captured length <= the snapshot
/// length and <= the original length, the second within a day before and a year
/// after the file's first record and within a day of the previous header's. nullopt when there is
/// none in `bytes`.
[[nodiscard]] inline std::optional<std::uint64_t> find_record_boundary(const pcap_classic_header& h, const std::uint8_t* bytes,
                                                                       std::size_t n, std::uint64_t offset, bool at_eof,
                                                                       int chain = 8) {
  constexpr std::uint32_t day = 86400;
  const std::uint32_t frac_limit = h.nanos ? 1'000'000'000u : 1'000'000u;
  const auto plausible = [&](const detail::record_header& r) {
    const bool when = !h.first_sec || (std::uint64_t{r.sec} + day >= *h.first_sec && r.sec <= std::uint64_t{*h.first_sec} + 366 * day);
    return when && r.frac < frac_limit && r.caplen != 0 && r.caplen <= h.snaplen && r.len >= r.caplen && r.len <= 0x7fffffff;
  };
  for (std::size_t start = 0; start + pcap_classic_header::record_header <= n; ++start) {
    std::size_t at = start;
    int seen = 0;
    std::uint32_t prev_sec = 0;
    bool ok = true;
    while (seen < chain) {
      if (at == n && at_eof) break;                       // the chain ends exactly at the end
      if (at + pcap_classic_header::record_header > n) {  // cannot tell from these bytes
        ok = at_eof ? false : seen >= 2;
        break;
      }
      const auto r = detail::parse_record(bytes + at, h.swapped);
      const bool near = seen == 0 || (std::uint64_t{r.sec} + day >= prev_sec && r.sec <= std::uint64_t{prev_sec} + day);
      if (!plausible(r) || !near) {
        ok = false;
        break;
      }
      prev_sec = r.sec;
      at += pcap_classic_header::record_header + r.caplen;
      ++seen;
      if (at > n && at_eof) {  // runs past the end: damage, or not a record
        ok = false;
        break;
      }
    }
    if (ok && seen > 0) return offset + start;
  }
  if (at_eof) return offset + n;  // no record starts in these bytes
  return std::nullopt;
}

/// Pieces of classic pcap files (and whole files of any kind libpcap reads) read in the given
/// order as one stream. After `read`, `stops()[i]` is the offset of the first record of slice i's
/// file at or after the slice's end (where the next slice must start), and `starts()[i]` the
/// boundary found at or after its begin.
class pcap_slices {
 public:
  using options = pcap_read_options;

  explicit pcap_slices(std::vector<pcap_slice> slices, options opt = {}) : slices_(std::move(slices)), opt_(std::move(opt)) {}

  [[nodiscard]] const std::vector<std::uint64_t>& starts() const noexcept { return starts_; }
  [[nodiscard]] const std::vector<std::uint64_t>& stops() const noexcept { return stops_; }
  /// The first and last record timestamps (ns) of each slice (first > last: no record).
  [[nodiscard]] const std::vector<std::pair<std::int64_t, std::int64_t>>& spans() const noexcept { return spans_; }

  template <class Sink>
  void read(Sink&& sink, input_stats& stats) {
    starts_.assign(slices_.size(), 0);
    stops_.assign(slices_.size(), 0);
    spans_.assign(slices_.size(), {INT64_MAX, INT64_MIN});
    std::uint64_t total = 0;
    for (const auto& s : slices_) total += s.whole() ? file_size(s.path) : s.end - s.begin;
    done_ = 0;
    for (std::size_t i = 0; i < slices_.size(); ++i) {
      const auto& s = slices_[i];
      const auto header = read_classic_header(s.path);
      if (!header) {
        if (!s.whole())
          throw bad_trace("cannot read '" + s.path.string() + "' from byte " + std::to_string(s.begin) +
                          ": only classic pcap files can be read in pieces (not pcapng)");
        const auto size = file_size(s.path);
        auto first = INT64_MAX, last = INT64_MIN;
        pcap_files whole({s.path}, {.filter = opt_.filter, .decode = opt_.decode, .fragments = opt_.fragments});
        whole.read([&](const packet& p) {
          first = std::min(first, p.ts_ns);
          last = std::max(last, p.ts_ns);
          sink(p);
        }, stats);
        spans_[i] = {first, last};
        starts_[i] = 0;
        stops_[i] = size;
        done_ += size;
        continue;
      }
      read_classic(i, *header, sink, stats, total);
    }
    if (opt_.progress) opt_.progress(total, total);
  }

 private:
  static std::uint64_t file_size(const std::filesystem::path& p) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(p, ec);
    return ec ? 0 : n;
  }

  template <class Sink>
  void read_classic(std::size_t index, const pcap_classic_header& h, Sink& sink, input_stats& stats, std::uint64_t total) {
    const pcap_slice& s = slices_[index];
    const std::string name = s.path.string();
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(s.path.c_str(), "rb"), &std::fclose);
    if (!f) throw bad_trace("cannot read '" + name + "': " + std::strerror(errno));
    const std::uint64_t size = file_size(s.path);
    const std::uint64_t end = std::min(s.end, size);

    // The filter, compiled for this file's link type (as libpcap would on the opened file).
    std::unique_ptr<pcap_t, void (*)(pcap_t*)> dead(nullptr, &pcap_close);
    std::unique_ptr<bpf_program, void (*)(bpf_program*)> filter(nullptr, [](bpf_program* b) {
      pcap_freecode(b);
      delete b;
    });
    if (!opt_.filter.empty()) {
      dead.reset(pcap_open_dead_with_tstamp_precision(h.link_type, static_cast<int>(h.snaplen), PCAP_TSTAMP_PRECISION_NANO));
      auto* prog = new bpf_program{};
      if (pcap_compile(dead.get(), prog, opt_.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        const std::string why = pcap_geterr(dead.get());
        delete prog;
        throw bad_argument("invalid filter '" + opt_.filter + "' for '" + name + "': " + why);
      }
      filter.reset(prog);
    }

    // The first boundary at or after the slice's begin.
    std::uint64_t at = std::max<std::uint64_t>(s.begin, pcap_classic_header::size);
    if (s.begin > pcap_classic_header::size && at < size) {
      const std::size_t look = static_cast<std::size_t>(std::min<std::uint64_t>(size - at, 16u << 20));
      std::vector<std::uint8_t> probe(look);
      if (std::fseek(f.get(), static_cast<long>(at), SEEK_SET) != 0 || std::fread(probe.data(), 1, look, f.get()) != look)
        throw bad_trace("cannot read '" + name + "' at byte " + std::to_string(at) + ": " + std::strerror(errno));
      const auto found = find_record_boundary(h, probe.data(), look, at, at + look == size);
      if (!found)
        throw bad_trace("'" + name + "': no pcap record boundary found in the 16 MiB after byte " + std::to_string(at));
      at = *found;
    }
    at = std::min(at, size);
    starts_[index] = at;
    if (std::fseek(f.get(), static_cast<long>(at), SEEK_SET) != 0)
      throw bad_trace("cannot read '" + name + "' at byte " + std::to_string(at) + ": " + std::strerror(errno));

    // Records through a large buffer, each handed over while its start lies before `end`.
    classic_records in(std::move(f), at, {.swapped = h.swapped, .nanos = h.nanos, .snaplen = h.snaplen});
    std::uint64_t since_progress = 0;
    packet p;
    fragment_table fragments(opt_.fragments);  // per range: a later fragment whose first lies in the range before is skipped
    pcap_pkthdr ph{};
    auto& span = spans_[index];
    while (in.next(end)) {
      const auto& r = in.current();
      span.first = std::min(span.first, r.ts_ns);
      span.second = std::max(span.second, r.ts_ns);
      ++stats.packets;
      bool pass = true;
      if (filter) {
        ph.caplen = r.caplen;
        ph.len = r.len;
        pass = pcap_offline_filter(filter.get(), &ph, r.data) != 0;
      }
      if (!pass) {
        ++stats.skipped["filtered"];
      } else {
        decode_into(h.link_type, r.data, r.caplen, r.len, r.ts_ns, p, fragments, opt_.decode, stats, sink);
      }
      done_ += pcap_classic_header::record_header + r.stored;
      if (opt_.progress && ++since_progress == 4096) {
        since_progress = 0;
        opt_.progress(done_, total);
      }
    }
    if (!in.damage().empty()) {
      stats.damaged = true;
      stats.warnings.push_back("'" + name + "' is damaged after record " + std::to_string(in.records()) + " of this range (near byte " +
                               std::to_string(in.damage_offset()) + "): " + in.damage() + "; the results hold the records before it");
    }
    stops_[index] = in.offset();
  }

  std::vector<pcap_slice> slices_;
  options opt_;
  std::vector<std::uint64_t> starts_, stops_;
  std::vector<std::pair<std::int64_t, std::int64_t>> spans_;
  std::uint64_t done_ = 0;
};

static_assert(PacketSource<pcap_slices>);

/// Cuts the files, taken as one stream in the order given, into `parts` equal byte ranges: one
/// list of slices per part (a part may get none). A file that cannot be cut (not classic pcap, or unreadable) goes whole
/// to the part its first byte falls to. Every record of every file
/// is in exactly one part (a record belongs to the range its first byte is in).
[[nodiscard]] inline std::vector<std::vector<pcap_slice>> cut(const std::vector<std::filesystem::path>& files, int parts) {
  std::vector<std::uint64_t> sizes;
  std::uint64_t total = 0;
  for (const auto& f : files) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(f, ec);
    sizes.push_back(ec ? 0 : n);
    total += sizes.back();
  }
  const auto r_count = static_cast<std::uint64_t>(std::max(parts, 1));
  const auto bound = [&](std::uint64_t r) {  // global byte where part r's range begins
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(total) * r) / r_count);
  };
  const auto owner = [&](std::uint64_t g) {  // the part whose range holds global byte g
    std::uint64_t r = 0;
    while (r + 1 < r_count && bound(r + 1) <= g) ++r;
    return r;
  };
  std::vector<std::vector<pcap_slice>> out(r_count);
  std::uint64_t g = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::uint64_t size = sizes[i];
    const bool cuttable = size > pcap_classic_header::size && read_classic_header(files[i]).has_value();
    if (!cuttable) {
      out[owner(g)].push_back({files[i]});
    } else {
      for (std::uint64_t r = owner(g); r < r_count && bound(r) < g + size; ++r) {
        const std::uint64_t lo = std::max(bound(r), g), hi = r + 1 == r_count ? g + size : std::min(bound(r + 1), g + size);
        if (lo >= hi) continue;
        pcap_slice s{files[i], lo - g, hi == g + size ? UINT64_MAX : hi - g};
        if (s.begin == 0 && s.end == UINT64_MAX) s = {files[i]};
        out[r].push_back(std::move(s));
      }
    }
    g += size;
  }
  return out;
}


}  // namespace expose::io
