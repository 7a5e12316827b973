#pragma once
// Reading a byte range of a classic pcap or a pcapng file (component expose::pcap), so that several
// processes can share one large file: a range holds the records (blocks) that *start* inside it.
// A reader dropped at an arbitrary byte of a classic pcap file finds the next record boundary by
// looking for a chain of plausible record headers (lengths within the snapshot length, the
// fraction of a second in range, timestamps close to each other); in a pcapng file, for a chain of
// blocks whose lengths agree with the copy each block ends with. A pcapng range is read in the
// section described at the file's start (its byte order and interfaces), or in one its own blocks
// describe. The caller can check both against where the previous range's reader stopped
// (`pcap_slices::stops`, `pcap_slices::sections`), which is exact, and read a range again from
// there, in the section that reader was in (`pcap_slices::stop_sections`), where they differ
// (`pcap_slice::exact`, `pcap_slice::section`). Anything else libpcap reads is read whole,
// through libpcap.
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
#include <map>
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
#include "expose/io/pcap_records.hpp"
#include "expose/io/pcapng_reader.hpp"
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
  /// `begin` is where a record (block) starts, as the reader of the range before found it (where it
  /// stopped): read from there, not from the first boundary a search finds at or after it (which
  /// can lie inside a record whose length runs over the next ones, or be a false one).
  bool exact = false;
  /// With `exact`, in a pcapng file: the section the reader of the range before was in where it
  /// stopped (its byte order and interfaces, which blocks before `begin` described); else the
  /// piece is read in the section described at the file's start, or in one its own blocks describe.
  std::optional<pcapng_reader::section> section{};
  [[nodiscard]] bool whole() const noexcept { return begin == 0 && end == UINT64_MAX; }
};


/// Where the first record starting at or after `offset` begins, for a classic pcap file whose
/// bytes from `offset` on are `bytes` (`at_eof`: they run to the end of the file). A boundary is a
/// place from which `chain` record headers in a row are plausible (or the chain ends exactly at
/// the end of the file): a fraction of a second in range, 0 < captured length <= the snapshot
/// length and <= the original length, the second within a day before and a year
/// after the file's first record and within a day of the previous header's. nullopt when there is
/// none in `bytes`. A chain that runs past `bytes` (not the file's end) is a boundary when two
/// headers in a row were plausible, or with `decide_short` false, says nothing: nullopt at once
/// (search more bytes: what they find then is what a search of those bytes would find first).
[[nodiscard]] inline std::optional<std::uint64_t> find_record_boundary(const pcap_classic_header& h, const std::uint8_t* bytes,
                                                                       std::size_t n, std::uint64_t offset, bool at_eof,
                                                                       bool decide_short = true, int chain = 8) {
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
        if (!at_eof && !decide_short) return std::nullopt;
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

/// Where the first pcapng block starting at or after `offset` begins, for a pcapng file whose
/// bytes from `offset` on are `bytes` (`at_eof`: they run to the end of the file) and whose
/// section there is in big-endian byte order or not (`big`). Blocks start on 4-byte boundaries of
/// the file; a boundary is a place from which `chain` blocks in a row have a block type the
/// standard defines (or one for local use, the top bit set) and a
/// total length (a multiple of 4, at least 12) that the block's last four bytes repeat (or the
/// chain ends exactly at the end of the file). nullopt when there is none in `bytes`; a chain that
/// runs past `bytes` as in find_record_boundary (`decide_short`).
[[nodiscard]] inline std::optional<std::uint64_t> find_block_boundary(const std::uint8_t* bytes, std::size_t n, std::uint64_t offset,
                                                                      bool big, bool at_eof, bool decide_short = true, int chain = 4) {
  const auto u32 = [&](std::size_t at, bool b) {
    return b ? (std::uint32_t{bytes[at]} << 24 | std::uint32_t{bytes[at + 1]} << 16 | std::uint32_t{bytes[at + 2]} << 8 | bytes[at + 3])
             : (std::uint32_t{bytes[at + 3]} << 24 | std::uint32_t{bytes[at + 2]} << 16 | std::uint32_t{bytes[at + 1]} << 8 | bytes[at]);
  };
  const auto known = [](std::uint32_t type) {  // the standard's, and those for local use (the top bit set)
    return (type >= 1 && type <= 10) || type == 0x0a0d0d0a || type == 0x00000bad || type == 0x40000bad || (type & 0x80000000u) != 0;
  };
  constexpr std::uint32_t max_block = 256u << 20;
  for (std::size_t start = static_cast<std::size_t>((4 - offset % 4) % 4); start + 8 <= n; start += 4) {
    std::size_t at = start;
    bool order = big;
    int seen = 0;
    bool ok = true;
    while (seen < chain) {
      if (at == n && at_eof) break;  // the chain ends exactly at the end
      if (at + 12 > n) {             // cannot tell from these bytes
        if (!at_eof && !decide_short) return std::nullopt;
        ok = at_eof ? false : seen >= 2;
        break;
      }
      if (u32(at, order) == 0x0a0d0d0a) {  // a section header says its own byte order
        if (bytes[at + 8] == 0x1a && bytes[at + 9] == 0x2b) order = true;
        else if (bytes[at + 8] == 0x4d && bytes[at + 9] == 0x3c) order = false;
        else { ok = false; break; }
      }
      const std::uint32_t type = u32(at, order), total = u32(at + 4, order);
      if (!known(type) || total < 12 || total % 4 != 0 || total > max_block) { ok = false; break; }
      if (at + total > n) {
        if (!at_eof && !decide_short) return std::nullopt;
        ok = at_eof ? false : seen >= 2;
        break;
      }
      if (u32(at + total - 4, order) != total) { ok = false; break; }
      at += total;
      ++seen;
    }
    if (ok && seen > 0) return offset + start;
  }
  if (at_eof) return offset + n;  // no block starts in these bytes
  return std::nullopt;
}

/// Pieces of classic pcap and pcapng files (and whole files of any kind libpcap reads) read in the
/// given order as one stream. After `read`, `stops()[i]` is the offset of the first record of
/// slice i's file that it did not take (where the next slice must start: a slice takes the records
/// that start before the boundary the next slice finds at or after its end), and `starts()[i]`
/// the boundary found at or after its begin; for a pcapng piece, `sections()[i]` is a digest of the
/// section it was read in from its start and of the one in effect where it stopped (the next
/// piece must have been read in that one).
class pcap_slices {
 public:
  using options = pcap_read_options;

  /// `carry_fragments`: the fragment table records until what the range before would have left in
  /// it has expired (fragment_table::record), so that the later fragments whose first fragment
  /// lies in the range before can be placed once its table is known (`fragments().replay`).
  explicit pcap_slices(std::vector<pcap_slice> slices, options opt = {}, bool carry_fragments = false)
      : slices_(std::move(slices)), opt_(std::move(opt)), fragments_(opt_.fragments) {
    if (carry_fragments) fragments_.record();
  }

  /// The IP fragment table, one for all the slices, whole files too (they are read one after the
  /// other, as one stream): where the last one ended, and what it recorded.
  [[nodiscard]] const fragment_table& fragments() const noexcept { return fragments_; }
  [[nodiscard]] fragment_table& fragments() noexcept { return fragments_; }

  [[nodiscard]] const std::vector<std::uint64_t>& starts() const noexcept { return starts_; }
  [[nodiscard]] const std::vector<std::uint64_t>& stops() const noexcept { return stops_; }
  /// The first and last record timestamps (ns) of each slice (first > last: no record).
  [[nodiscard]] const std::vector<std::pair<std::int64_t, std::int64_t>>& spans() const noexcept { return spans_; }
  /// Of each slice, digests of the pcapng section it was read in at its start and at its stop
  /// (both 0 for other files).
  [[nodiscard]] const std::vector<std::pair<std::uint64_t, std::uint64_t>>& sections() const noexcept { return sections_; }
  /// Of each slice of a pcapng file, the section in effect where it stopped (what a piece read
  /// from there must be read in: `pcap_slice::section`); a section with no interface for other files.
  [[nodiscard]] const std::vector<pcapng_reader::section>& stop_sections() const noexcept { return stop_sections_; }
  /// Of each piece of a classic pcap or pcapng file, the records read (0 for a file read whole).
  [[nodiscard]] const std::vector<std::uint64_t>& records() const noexcept { return records_; }

  /// Damage found in a piece: after how many of its records, where and why. A piece that starts
  /// at its file's first record says it as a reader of the whole file does (`warning(file, 0)`);
  /// one that starts later counts its own records (`range_warning`): a driver that reads the
  /// pieces apart says `warning(file, records of the file's pieces before)` instead
  /// (expose/mpi/mine.hpp), what one reader of the file says.
  struct damage_found {
    bool found = false;
    std::uint64_t records = 0;  ///< the piece's records before the damage
    std::uint64_t near = 0;     ///< the byte a reader of the whole file (libpcap) stands at then
    std::string why;
    [[nodiscard]] std::string warning(const std::string& file, std::uint64_t before) const {
      return damaged_after(file, std::to_string(before + records), near, why) + held_before(before + records);
    }
    [[nodiscard]] std::string range_warning(const std::string& file) const {
      return damaged_after(file, std::to_string(records) + " of this range", near, why) + "; the results hold the records before it";
    }
  };
  /// Of each slice, the damage found in it (none for a file read whole: pcap_files says it).
  [[nodiscard]] const std::vector<damage_found>& damages() const noexcept { return damages_; }

  /// A digest of a pcapng section (byte order, interfaces, snapshot length), never 0.
  [[nodiscard]] static std::uint64_t digest(const pcapng_reader::section& s) {
    std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ (s.big ? 1 : 2) ^ (std::uint64_t{s.snapshot} << 8);
    const auto mix = [&](std::uint64_t v) {
      h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      h *= 0xff51afd7ed558ccdULL;
    };
    for (const auto& i : s.interfaces) {
      mix(static_cast<std::uint64_t>(i.link_type));
      mix(i.snaplen);
      mix(i.units);
      mix(static_cast<std::uint64_t>(i.offset_s));
    }
    return h == 0 ? 1 : h;
  }

  template <class Sink>
  void read(Sink&& sink, input_stats& stats) {
    starts_.assign(slices_.size(), 0);
    stops_.assign(slices_.size(), 0);
    spans_.assign(slices_.size(), {INT64_MAX, INT64_MIN});
    sections_.assign(slices_.size(), {0, 0});
    stop_sections_.assign(slices_.size(), {});
    records_.assign(slices_.size(), 0);
    damages_.assign(slices_.size(), {});
    std::uint64_t total = 0;
    for (const auto& s : slices_) total += s.whole() ? file_size(s.path) : s.end - s.begin;
    done_ = 0;
    for (std::size_t i = 0; i < slices_.size(); ++i) {
      const auto& s = slices_[i];
      const auto header = read_classic_header(s.path);
      if (!header && !s.whole()) {
        const auto leading = pcapng_reader::leading_section(s.path);
        if (!leading)
          throw bad_trace("cannot read '" + s.path.string() + "' from byte " + std::to_string(s.begin) +
                          ": only classic pcap and pcapng files can be read in pieces");
        read_pcapng(i, *leading, sink, stats, total);
        continue;
      }
      if (!header) {
        const auto size = file_size(s.path);
        auto first = INT64_MAX, last = INT64_MIN;
        pcap_files whole({s.path}, {.filter = opt_.filter, .decode = opt_.decode, .fragments = opt_.fragments});
        whole.read_with(fragments_, [&](const packet& p) {
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

  /// The first boundary at or after byte `at` of a file of `size` bytes that `find` (over bytes
  /// read from `at`: find_record_boundary or find_block_boundary, with `decide_short`) finds in the
  /// next 16 MiB: first in the next 1 MiB, where that can tell (a page fault costs more than the
  /// search: most boundaries are found in the first few KiB), the same answer.
  template <class Find>
  static std::uint64_t boundary_after(std::FILE* f, const std::string& name, std::uint64_t at, std::uint64_t size, const char* what,
                                      Find&& find) {
    for (const std::uint64_t most : {std::uint64_t{1} << 20, std::uint64_t{16} << 20}) {
      const auto look = static_cast<std::size_t>(std::min(size - at, most));
      std::vector<std::uint8_t> probe(look);
      if (std::fseek(f, static_cast<long>(at), SEEK_SET) != 0 || std::fread(probe.data(), 1, look, f) != look)
        throw bad_trace("cannot read '" + name + "' at byte " + std::to_string(at) + ": " + std::strerror(errno));
      const bool last = most == (std::uint64_t{16} << 20);
      if (const auto found = find(probe.data(), look, at, at + look == size, last)) return *found;
    }
    throw bad_trace("'" + name + "': no " + what + " boundary found in the 16 MiB after byte " + std::to_string(at));
  }

  static void free_program(bpf_program* b) {
    pcap_freecode(b);
    delete b;
  }
  using filter_program = std::unique_ptr<bpf_program, void (*)(bpf_program*)>;

  /// The filter compiled by libpcap's handle of the file, as on a whole read (the code for BSD
  /// loopback depends on the file's byte order, which only that handle knows); null without one.
  /// `link_type`: the link type it is compiled for (the file's first interface's, in a pcapng
  /// file: not the one in effect at its first packet when a first section holds none).
  [[nodiscard]] filter_program compile_for_file(const std::filesystem::path& path, int* link_type = nullptr) const {
    filter_program prog(nullptr, &free_program);
    if (opt_.filter.empty()) return prog;
    char err[PCAP_ERRBUF_SIZE] = {};
    std::unique_ptr<pcap_t, void (*)(pcap_t*)> handle(pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err),
                                                      &pcap_close);
    if (!handle) throw bad_trace("cannot read '" + path.string() + "': " + err);
    if (link_type != nullptr) *link_type = pcap_datalink(handle.get());
    auto* raw = new bpf_program{};
    if (pcap_compile(handle.get(), raw, opt_.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      const std::string why = pcap_geterr(handle.get());
      delete raw;
      throw bad_argument("invalid filter '" + opt_.filter + "' for '" + path.string() + "': " + why);
    }
    prog.reset(raw);
    return prog;
  }

  template <class Sink>
  void read_classic(std::size_t index, const pcap_classic_header& h, Sink& sink, input_stats& stats, std::uint64_t total) {
    const pcap_slice& s = slices_[index];
    const std::string name = s.path.string();
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(s.path.c_str(), "rb"), &std::fclose);
    if (!f) throw bad_trace("cannot read '" + name + "': " + std::strerror(errno));
    const std::uint64_t size = file_size(s.path);
    const std::uint64_t end = std::min(s.end, size);

    const filter_program filter = compile_for_file(s.path);
    // Where a piece that begins at `begin` starts: the first record boundary at or after it.
    const auto start_of = [&](std::uint64_t begin) {
      const std::uint64_t at = std::max<std::uint64_t>(begin, pcap_classic_header::size);
      if (begin <= pcap_classic_header::size || at >= size) return std::min(at, size);
      const auto find = [&](const std::uint8_t* b, std::size_t n, std::uint64_t o, bool eof, bool decide) {
        return find_record_boundary(h, b, n, o, eof, decide);
      };
      return boundary_after(f.get(), name, at, size, "pcap record", find);
    };
    const std::uint64_t at = s.exact ? std::min(std::max<std::uint64_t>(s.begin, pcap_classic_header::size), size) : start_of(s.begin);
    // Records are taken while they start before the next piece's start, which lies past `end` where
    // that piece's search passed over damage (or records it cannot vouch for): those in between are
    // this piece's, as one reader of the whole file takes them, up to the damage.
    const std::uint64_t limit = end < size ? start_of(end) : end;
    starts_[index] = at;
    if (std::fseek(f.get(), static_cast<long>(at), SEEK_SET) != 0)
      throw bad_trace("cannot read '" + name + "' at byte " + std::to_string(at) + ": " + std::strerror(errno));

    // Records through a large buffer, each handed over while its start lies before `end`.
    classic_records in(std::move(f), at, {.swapped = h.swapped, .nanos = h.nanos, .snaplen = h.snaplen});
    std::uint64_t since_progress = 0;
    packet p;
    pcap_pkthdr ph{};
    auto& span = spans_[index];
    while (in.next(limit)) {
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
        decode_into(h.link_type, r.data, r.caplen, r.len, r.ts_ns, p, fragments_, opt_.decode, stats, sink);
      }
      done_ += pcap_classic_header::record_header + r.stored;
      if (opt_.progress && ++since_progress == 4096) {
        since_progress = 0;
        opt_.progress(std::min(done_, total), total);  // a piece reads on past its end at times
      }
    }
    records_[index] = in.records();
    // Ended at the next piece's start: the record there is that piece's, but where it is damaged a
    // reader of the whole file stops before it, so this piece says so. It is read, not taken.
    if (in.damage().empty() && in.next_offset() < size && in.offset() >= limit) static_cast<void>(in.next());
    if (!in.damage().empty()) {
      stats.damaged = true;
      damages_[index] = {true, in.records(), in.damage_offset(), in.damage()};
      stats.warnings.push_back(say(index));
    }
    stops_[index] = in.offset();
  }

  /// A piece of a pcapng file, through the own reader (libpcap reads a pcapng file only from its
  /// start): from the first block boundary at or after the piece's begin (the first packet block
  /// when it begins in the header blocks), in the section described at the file's start; or from
  /// its begin, in the section it is given (`pcap_slice::exact`, `pcap_slice::section`).
  template <class Sink>
  void read_pcapng(std::size_t index, const pcapng_reader::leading& leading, Sink& sink, input_stats& stats, std::uint64_t total) {
    const pcap_slice& s = slices_[index];
    const std::string name = s.path.string();
    const std::uint64_t size = file_size(s.path);
    const std::uint64_t end = std::min(s.end, size);
    // Where a piece that begins at `begin` starts: the first block boundary at or after it.
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(nullptr, &std::fclose);
    const auto start_of = [&](std::uint64_t begin) {
      const std::uint64_t at = std::max(begin, leading.first_packet);
      if (at <= leading.first_packet || at >= size) return std::min(at, size);
      if (!f) f.reset(std::fopen(s.path.c_str(), "rb"));
      if (!f) throw bad_trace("cannot read '" + name + "': " + std::strerror(errno));
      const auto find = [&](const std::uint8_t* b, std::size_t n, std::uint64_t o, bool eof, bool decide) {
        return find_block_boundary(b, n, o, leading.state.big, eof, decide);
      };
      return boundary_after(f.get(), name, at, size, "pcapng block", find);
    };
    const std::uint64_t at = s.exact ? std::min(std::max(s.begin, leading.first_packet), size) : start_of(s.begin);
    // Packets are taken while their blocks start before the next piece's start (as read_classic).
    const std::uint64_t limit = end < size ? start_of(end) : end;
    f.reset();
    starts_[index] = at;
    const pcapng_reader::section& state = s.exact && s.section ? *s.section : leading.state;
    pcapng_reader in(s.path, at, state);
    sections_[index].first = digest(state);
    // The filter, compiled per link type as pcap_files compiles it: for the first interface's type
    // by libpcap's handle of the file, as on a whole read (a filter it cannot take is an error);
    // for any other when a packet of it comes (a filter that cannot speak of that type lets none
    // of it pass).
    std::map<int, filter_program> filters;
    if (!opt_.filter.empty() && !leading.state.interfaces.empty()) {
      int first_type = 0;
      auto prog = compile_for_file(s.path, &first_type);
      if (first_type == link::raw) first_type = link::raw_linktype;  // the reader names it as the file does
      filters.emplace(first_type, std::move(prog));
    }
    const auto compile = [&](int link_type) -> const filter_program& {
      filter_program prog(nullptr, &free_program);
      std::unique_ptr<pcap_t, void (*)(pcap_t*)> dead(pcap_open_dead(link_type, 262144), &pcap_close);
      auto* raw = new bpf_program{};
      if (dead && pcap_compile(dead.get(), raw, opt_.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0) prog.reset(raw);
      else delete raw;
      return filters.emplace(link_type, std::move(prog)).first->second;
    };
    const auto passes = [&](const pcapng_reader::record& r) {
      if (opt_.filter.empty()) return true;
      const auto it = filters.find(r.link_type);
      const filter_program& prog = it != filters.end() ? it->second : compile(r.link_type);
      if (!prog) return false;
      pcap_pkthdr ph{};
      ph.caplen = r.caplen;
      ph.len = r.len;
      return pcap_offline_filter(prog.get(), &ph, r.data) != 0;
    };
    std::uint64_t since_progress = 0, records = 0;
    packet p;
    auto& span = spans_[index];
    pcapng_reader::record r;
    std::uint64_t before = at;
    while (in.next(r, limit)) {
      ++records;
      ++stats.packets;
      if (!r.time_ok) {
        ++stats.skipped["bad-timestamp"];
      } else {
        span.first = std::min(span.first, r.ts_ns);
        span.second = std::max(span.second, r.ts_ns);
        if (!passes(r)) ++stats.skipped["filtered"];
        else decode_into(r.link_type, r.data, r.caplen, r.len, r.ts_ns, p, fragments_, opt_.decode, stats, sink);
      }
      const std::uint64_t now = in.position();
      done_ += now - before;
      before = now;
      if (opt_.progress && ++since_progress == 4096) {
        since_progress = 0;
        opt_.progress(std::min(done_, total), total);  // a piece reads on past its end at times
      }
    }
    records_[index] = records;
    stops_[index] = std::min(in.offset(), size);
    sections_[index].second = digest(in.state());
    stop_sections_[index] = in.state();
    // Ended at the next piece's start: as read_classic, its first packet block is looked at (blocks
    // before it passed over), not taken: where it is damaged, a reader of the whole file stops.
    if (in.error().empty() && stops_[index] < size && stops_[index] >= limit) {
      pcapng_reader::record next;
      static_cast<void>(in.next(next));
    }
    if (!in.error().empty()) {
      stats.damaged = true;
      damages_[index] = {true, records, in.damage_offset(), in.error()};
      stats.warnings.push_back(say(index));
    }
  }

  /// The warning for slice `index`'s damage: a whole file's when the slice starts at the file's start.
  [[nodiscard]] std::string say(std::size_t index) const {
    const std::string name = slices_[index].path.string();
    return from_file_start(index) ? damages_[index].warning(name, 0) : damages_[index].range_warning(name);
  }
  /// Whether a slice's records are counted from its file's first (it begins in the file's header).
  [[nodiscard]] bool from_file_start(std::size_t index) const noexcept { return slices_[index].begin <= pcap_classic_header::size; }

  std::vector<pcap_slice> slices_;
  options opt_;
  fragment_table fragments_;
  std::vector<std::uint64_t> starts_, stops_, records_;
  std::vector<damage_found> damages_;
  std::vector<std::pair<std::int64_t, std::int64_t>> spans_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> sections_;
  std::vector<pcapng_reader::section> stop_sections_;
  std::uint64_t done_ = 0;
};

static_assert(PacketSource<pcap_slices>);

/// Cuts the files, taken as one stream in the order given, into `parts` equal byte ranges: one
/// list of slices per part (a part may get none). A file that cannot be cut (neither classic pcap nor pcapng, or unreadable) goes whole
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
    const bool cuttable = size > pcap_classic_header::size &&
                          (read_classic_header(files[i]).has_value() || pcapng_reader::leading_section(files[i]).has_value());
    if (!cuttable) {
      out[owner(g)].push_back({files[i]});
    } else {
      for (std::uint64_t r = owner(g); r < r_count && bound(r) < g + size; ++r) {
        const std::uint64_t lo = std::max(bound(r), g), hi = r + 1 == r_count ? g + size : std::min(bound(r + 1), g + size);
        if (lo >= hi) continue;
        pcap_slice s{files[i], lo - g, hi == g + size ? UINT64_MAX : hi - g};
        out[r].push_back(std::move(s));
      }
    }
    g += size;
  }
  return out;
}


}  // namespace expose::io
