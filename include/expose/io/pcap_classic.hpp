#pragma once
// The records of a classic pcap file (the 24-byte file header, then a 16-byte header before each
// record) read in large pieces and parsed in place. libpcap reads each record with two
// `fread` calls into its own buffer: on a trace of many small packets that is about half the
// work of reading it (6 h of a 2000-host site, 21 M records: 5.1 s of wall time read and decoded
// through libpcap, 2.5 s this way). `pcap_records` opens every file with libpcap, which checks
// the file header, and reads the records of a classic file here; `pcap_slices` reads byte ranges.
// At damage the reader stops and says what libpcap would have said, and where.
//
//   classic_records in(std::move(file), 24, {.swapped = false, .nanos = false, .snaplen = 262144});
//   while (in.next()) use(in.current());   // time in ns, caplen (cut to the snapshot length), len, bytes
//   if (!in.damage().empty()) ...           // "truncated dump file; tried to read 60 captured bytes, only got 12"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace expose::io {

namespace detail {
struct record_header {
  std::uint32_t sec, frac, caplen, len;
};
[[nodiscard]] inline record_header parse_record(const std::uint8_t* p, bool swapped) {
  record_header r;
  std::memcpy(&r, p, 16);
  if (swapped) {
    r.sec = __builtin_bswap32(r.sec);
    r.frac = __builtin_bswap32(r.frac);
    r.caplen = __builtin_bswap32(r.caplen);
    r.len = __builtin_bswap32(r.len);
  }
  return r;
}
}  // namespace detail

class classic_records {
 public:
  /// How the file stores its records.
  struct format {
    bool swapped = false;  ///< written in the other byte order
    bool nanos = false;    ///< the fraction of a second is in nanoseconds (magic a1b23c4d)
    std::uint32_t snaplen = 262144;  ///< the snapshot length libpcap uses (longer records are cut to it)
    std::uint32_t max_caplen = 262144;  ///< a longer record is damage (libpcap's maximum for the link type)
  };
  /// One record. `data` stays valid until the next call to `next`.
  struct record {
    std::int64_t ts_ns = 0;
    std::uint32_t caplen = 0;  ///< bytes kept (at most the snapshot length)
    std::uint32_t stored = 0;  ///< bytes the file stores (more than caplen when cut)
    std::uint32_t len = 0;     ///< bytes on the wire
    const std::uint8_t* data = nullptr;
  };
  using file_ptr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

  static constexpr std::uint64_t file_header = 24;
  static constexpr std::uint64_t record_header = 16;

  /// The byte order and stamp precision a classic file's magic number (its first 4 bytes, read in
  /// this machine's order) says; nullopt for anything else (pcapng, libpcap's other variants).
  [[nodiscard]] static std::optional<format> from_magic(std::uint32_t magic) noexcept {
    switch (magic) {
      case 0xa1b2c3d4: return format{};
      case 0xd4c3b2a1: return format{.swapped = true};
      case 0xa1b23c4d: return format{.nanos = true};
      case 0x4d3cb2a1: return format{.swapped = true, .nanos = true};
      default: return std::nullopt;
    }
  }

  /// Reads `file` from byte `at` (where it stands: the caller has positioned it there).
  classic_records(file_ptr file, std::uint64_t at, format f) : file_(std::move(file)), at_(at), format_(f) {}

  /// Moves to the next record whose start is before `end` (default: any); false at the end of the
  /// file, at `end`, or at damage (`damage()` then says what).
  bool next(std::uint64_t end = UINT64_MAX) {
    if (!damage_.empty() || !file_) return false;
    pos_ += step_;
    at_ += step_;
    step_ = 0;
    if (at_ >= end) return false;
    if (!fill(record_header)) {
      // libpcap: a header cut short is damage, no bytes at all the end
      if (have_ != pos_) fail("truncated dump file; tried to read 16 header bytes, only got " + std::to_string(have_ - pos_), at_ + (have_ - pos_));
      return false;
    }
    const auto h = detail::parse_record(buf_.data() + pos_, format_.swapped);
    if (h.caplen > format_.max_caplen) {
      fail("invalid packet capture length " + std::to_string(h.caplen) + ", bigger than snaplen of " + std::to_string(format_.snaplen),
           at_ + record_header);
      return false;
    }
    const std::uint32_t keep = std::min(h.caplen, format_.snaplen);
    if (!fill(record_header + h.caplen)) {
      const std::uint64_t got = have_ - pos_ - record_header;
      // libpcap reads the kept bytes, then passes over the rest; it names whichever came up short
      const std::uint32_t tried = got < keep ? keep : h.caplen;
      fail("truncated dump file; tried to read " + std::to_string(tried) + " captured bytes, only got " + std::to_string(got),
           at_ + record_header + got);
      return false;
    }
    // As libpcap widens the stored 32-bit fields: with sign in the file's own byte order (a
    // second or fraction from 2^31 on is negative), without in the other (it swaps them unsigned).
    const auto widen = [&](std::uint32_t v) {
      return format_.swapped ? static_cast<std::int64_t>(v) : static_cast<std::int64_t>(static_cast<std::int32_t>(v));
    };
    current_.ts_ns = widen(h.sec) * 1'000'000'000 + widen(h.frac) * (format_.nanos ? 1 : 1000);
    current_.caplen = keep;
    current_.stored = h.caplen;
    current_.len = h.len;
    current_.data = buf_.data() + pos_ + record_header;
    step_ = record_header + h.caplen;
    ++records_;
    return true;
  }

  [[nodiscard]] const record& current() const noexcept { return current_; }
  /// Where the current record starts (before the first: where reading starts; after the last:
  /// where the record after it would start).
  [[nodiscard]] std::uint64_t offset() const noexcept { return at_; }
  /// Where the next record starts.
  [[nodiscard]] std::uint64_t next_offset() const noexcept { return at_ + step_; }
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }
  /// Empty, or libpcap's words for what ended the file early.
  [[nodiscard]] const std::string& damage() const noexcept { return damage_; }
  /// Where the damage was noticed: the byte libpcap's file position would be at.
  [[nodiscard]] std::uint64_t damage_offset() const noexcept { return damage_at_; }

 private:
  /// True when `need` bytes from pos_ are buffered. A read error ends the reading as the end of
  /// the file does, and is said (as libpcap says it) only where a record is then cut short: the
  /// records buffered before it are read first.
  bool fill(std::size_t need) {
    if (have_ - pos_ >= need) return true;
    std::memmove(buf_.data(), buf_.data() + pos_, have_ - pos_);
    have_ -= pos_;
    pos_ = 0;
    if (buf_.size() < need) buf_.resize(need);
    while (!eof_ && have_ < buf_.size()) {
      const std::size_t got = std::fread(buf_.data() + have_, 1, buf_.size() - have_, file_.get());
      have_ += got;
      if (got == 0) {
        eof_ = true;
        if (std::ferror(file_.get())) read_error_ = errno;
      }
    }
    if (have_ - pos_ >= need) return true;
    if (read_error_ != 0) fail("error reading dump file: " + std::string(std::strerror(read_error_)), at_ + (have_ - pos_));
    return false;
  }
  void fail(std::string why, std::uint64_t at) {
    if (!damage_.empty()) return;
    damage_ = std::move(why);
    damage_at_ = at;
  }

  file_ptr file_;
  std::uint64_t at_ = 0;
  format format_;
  // 256 KiB (libpcap's own buffer is the snapshot length, 256 KiB): reads of that size cost no
  // more than larger ones, and a run holds one for every file it merges. A longer record grows it.
  std::vector<std::uint8_t> buf_ = std::vector<std::uint8_t>(std::size_t{256} << 10);
  std::size_t have_ = 0, pos_ = 0, step_ = 0;
  bool eof_ = false;
  int read_error_ = 0;  ///< errno of a failed read, said when a record is cut short by it
  record current_{};
  std::uint64_t records_ = 0;
  std::string damage_;
  std::uint64_t damage_at_ = 0;
};

}  // namespace expose::io
