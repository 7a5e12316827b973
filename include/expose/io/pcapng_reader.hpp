#pragma once
// A pcapng reader for what libpcap cannot do: read a file whose interfaces have different link
// types (libpcap 1.10 takes the first interface's type for the whole file), and read a file from a
// block in its middle (io::pcap_slices, for ranks that share one file). Reads section headers in
// either byte order, interface descriptions (link type, snapshot length, if_tsresol, if_tsoffset)
// and enhanced, simple and obsolete packet blocks, as libpcap reads them: the first interface's
// snapshot length is the file's (a packet block that captured more, or an interface that says
// another, is damage; a simple packet block is cut to it and has time 0 of its interface), a
// block's length must match its trailing copy, a section must be version 1 and in the byte order
// of the one before; every other block is passed over. What is damaged in a block is said in
// libpcap's words and checked in its order, and the reader then stands where libpcap stands; a
// block larger than libpcap takes (16 MiB for most link types) is damage, in a file libpcap
// refuses (interfaces of different link types) too.
// `pcap_files` falls back to it; it needs nothing but the standard library. Format: IETF
// draft-ietf-opsawg-pcapng.
//
//   auto start = pcapng_reader::leading_section(path);       // the header blocks at the file's start
//   pcapng_reader r(path, boundary, *start);                 // read on from a block boundary
//   while (r.next(rec, end)) use(rec);                       // the packets whose blocks start before `end`

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace expose::io {

class pcapng_reader {
 public:
  /// One packet record: its interface's link type, capture time, the bytes captured.
  struct record {
    int link_type = 0;
    std::int64_t ts_ns = 0;
    std::uint32_t caplen = 0;
    std::uint32_t len = 0;  ///< bytes on the wire
    const std::uint8_t* data = nullptr;
    bool time_ok = true;  ///< false: the time lies beyond int64 nanoseconds (past 2262); `ts_ns` keeps the last good one
  };

  /// An interface description: what reading its packets needs.
  struct interface {
    int link_type = 0;
    std::uint32_t snaplen = 0;
    std::uint64_t units = 1'000'000;  ///< time units per second (if_tsresol; microseconds by default)
    std::int64_t offset_s = 0;        ///< if_tsoffset
    friend bool operator==(const interface&, const interface&) = default;
  };
  /// What a reader knows at a block boundary that the blocks after it do not say: the section's
  /// byte order and interfaces, and the file's snapshot length (libpcap's: the first interface's).
  struct section {
    bool big = false;
    std::vector<interface> interfaces;
    std::uint32_t snapshot = 0;  ///< 0 until the first interface is described
    std::uint32_t max_block = 16u << 20;  ///< the largest block libpcap reads in the file (set by its first interface)
    friend bool operator==(const section&, const section&) = default;
  };

  explicit pcapng_reader(const std::filesystem::path& path) : file_(std::fopen(path.c_str(), "rb")) {
    if (!file_) error_ = "cannot open it";
  }

  /// Reads from byte `at` of the file, a block boundary, in the section `s` (leading_section, or
  /// another reader's `state()` where it stopped).
  pcapng_reader(const std::filesystem::path& path, std::uint64_t at, section s) : pcapng_reader(path) {
    state_ = std::move(s);
    seen_section_ = true;
    if (file_ && std::fseek(file_.get(), static_cast<long>(at), SEEK_SET) != 0) error_ = "cannot seek to byte " + std::to_string(at);
  }

  /// The section in effect after the header blocks at the start of a pcapng file (its section
  /// header and the interface descriptions before its first packet), and where its first packet
  /// block begins; nullopt when the file is not pcapng, describes no interface there, or is
  /// damaged there.
  struct leading {
    section state;
    std::uint64_t first_packet = 0;  ///< the file's size when it holds no packet
  };
  [[nodiscard]] static std::optional<leading> leading_section(const std::filesystem::path& path) {
    pcapng_reader r(path);
    record rec;
    if (!r.file_) return std::nullopt;
    std::uint8_t magic[4];
    if (std::fread(magic, 1, 4, r.file_.get()) != 4 || magic[0] != 0x0a || magic[1] != 0x0d || magic[2] != 0x0d || magic[3] != 0x0a)
      return std::nullopt;
    std::rewind(r.file_.get());
    r.stop_at_packets_ = true;
    r.next(rec);
    if (!r.error_.empty() || !r.seen_section_ || r.state_.interfaces.empty()) return std::nullopt;
    return leading{r.state_, r.offset_};
  }

  /// The section in effect where the reader stands.
  [[nodiscard]] const section& state() const noexcept { return state_; }

  /// The next packet record whose block starts before byte `end`; false at the end of the file, at
  /// the first block starting at or after `end` (`offset()` is then where it starts), or at damage
  /// (then `error()` says what).
  bool next(record& r, std::uint64_t end = UINT64_MAX) {
    while (file_ && error_.empty()) {
      offset_ = static_cast<std::uint64_t>(std::ftell(file_.get()));
      if (offset_ >= end) return false;
      std::uint8_t head[8];
      const std::size_t got = std::fread(head, 1, 8, file_.get());
      if (got == 0) return false;  // a clean end
      if (got < 8) return truncated(8, got);
      std::uint32_t type = u32(head), total = u32(head + 4);
      if (stop_at_packets_ && (type == 2 || type == 3 || type == 6)) {
        std::fseek(file_.get(), static_cast<long>(offset_), SEEK_SET);
        return false;
      }
      if (type == section_type && !seen_section_) {  // the file's first: its byte order is its magic's
        std::uint8_t magic[4];
        if (std::fread(magic, 1, 4, file_.get()) != 4) return fail("a section header cut short");
        if (magic[0] == 0x1a && magic[1] == 0x2b) state_.big = true;
        else if (magic[0] == 0x4d && magic[1] == 0x3c) state_.big = false;
        else return fail("a section header with an unknown byte-order magic");
        total = u32(head + 4);
        state_.interfaces.clear();
        seen_section_ = true;
        if (total < 28 || total % 4 != 0 || total > max_block) return fail("a section header of impossible length " + std::to_string(total));
        if (!skip(total - 12)) return fail("a section header cut short");
        if (u16(body_.data()) != 1)
          return fail("unsupported pcapng savefile version " + std::to_string(u16(body_.data())) + "." + std::to_string(u16(body_.data() + 2)));
        if (u32(body_.data() + body_.size() - 4) != total) return fail("block total length in header and trailer don't match");
        continue;
      }
      if (!seen_section_) return fail("not a pcapng file (no section header first)");
      // libpcap's checks, in its order and words (so ranks reading one file say what one process
      // says): a later section header too is read in the byte order of the section before
      if (total < 12) return fail("block in pcapng dump file has a length of " + std::to_string(total) + " < 12");
      if (total % 4 != 0) return fail("block in pcapng dump file has a length of " + std::to_string(total) + " that is not a multiple of 4");
      if (total > state_.max_block)
        return fail("pcapng block size " + std::to_string(total) + " > maximum " + std::to_string(state_.max_block));
      body_.resize(total - 8);
      if (const std::size_t read = std::fread(body_.data(), 1, body_.size(), file_.get()); read != body_.size())
        return truncated(body_.size(), read);
      const std::uint8_t* b = body_.data();
      const std::size_t n = body_.size() - 4;  // without the trailing length
      if (u32(b + n) != total) return fail("block total length in header and trailer don't match");
      if (type == section_type) {  // a later section: in the same byte order (libpcap stops otherwise), version 1
        if (n < 16) return too_short(type);
        if (u32(b) == 0x4d3c2b1a) return fail("the file has sections with different byte orders");
        if (u32(b) != 0x1a2b3c4d) return fail("the file has a section with a bad byte order magic field");
        if (u16(b + 4) != 1) return fail("unknown pcapng savefile major version number " + std::to_string(u16(b + 4)));
        state_.interfaces.clear();
        continue;
      }
      switch (type) {
        case 1: {  // interface description
          if (n < 8) return too_short(type);
          interface i;
          i.link_type = u16(b);
          i.snaplen = u32(b + 4);
          // libpcap takes the first interface's snapshot length for the file, and stops at one that
          // differs, before it reads the interface's options
          const std::uint32_t snapshot = adjusted_snaplen(i);
          if (state_.snapshot != 0 && snapshot != state_.snapshot)
            return fail("an interface has a snapshot length " + std::to_string(i.snaplen) +
                        " different from the snapshot length of the first interface");
          if (auto why = options(b + 8, n - 8, i); !why.empty()) return fail(std::move(why));
          if (state_.snapshot == 0) {
            state_.snapshot = snapshot;
            state_.max_block = libpcap_max_block(i.link_type);
          }
          state_.interfaces.push_back(i);
          continue;
        }
        case 6: {  // enhanced packet
          if (n < 20) return too_short(type);
          const std::uint32_t id = u32(b);
          if (id >= state_.interfaces.size()) return undescribed(id);
          const std::uint32_t caplen = u32(b + 12);
          if (caplen > state_.snapshot) return too_long(caplen);
          if (caplen > n - 20) return too_short(type);
          return take(r, state_.interfaces[id], (std::uint64_t{u32(b + 4)} << 32) | u32(b + 8), caplen, u32(b + 16), b + 20);
        }
        case 3: {  // simple packet: interface 0, no time (libpcap gives it time 0 of the interface)
          if (n < 4) return too_short(type);
          if (state_.interfaces.empty()) return undescribed(0);
          const std::uint32_t len = u32(b);
          const std::uint32_t caplen = std::min(len, state_.snapshot);
          if (caplen > n - 4) return too_short(type);
          return take(r, state_.interfaces[0], 0, caplen, len, b + 4);
        }
        case 2: {  // packet (obsolete)
          if (n < 20) return too_short(type);
          const std::uint32_t id = u16(b);
          if (id >= state_.interfaces.size()) return undescribed(id);
          const std::uint32_t caplen = u32(b + 12);
          if (caplen > state_.snapshot) return too_long(caplen);
          if (caplen > n - 20) return too_short(type);
          return take(r, state_.interfaces[id], (std::uint64_t{u32(b + 4)} << 32) | u32(b + 8), caplen, u32(b + 16), b + 20);
        }
        default: continue;  // statistics, name resolution, custom blocks: not needed
      }
    }
    return false;
  }

  /// What went wrong, empty when nothing did: in libpcap's words where libpcap checks the same.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  /// Where the reader stood in the file when it found what went wrong: where libpcap stands there.
  [[nodiscard]] std::uint64_t damage_offset() const noexcept { return damage_offset_; }
  /// Where the last block began (where a range's reading stopped).
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
  /// Bytes read so far.
  [[nodiscard]] std::uint64_t position() const {
    const long at = file_ ? std::ftell(file_.get()) : -1;
    return at < 0 ? 0 : static_cast<std::uint64_t>(at);
  }

 private:
  static constexpr std::uint32_t section_type = 0x0a0d0d0a;
  static constexpr std::uint32_t max_block = 256u << 20;  ///< of a section header
  static constexpr std::uint32_t max_snaplen = 262144;  ///< libpcap's MAXIMUM_SNAPLEN

  /// The largest block libpcap reads in a file whose first interface has link type `link`: 16 MiB,
  /// or a packet block of the largest snapshot length the type allows and 128 KiB of options.
  [[nodiscard]] static std::uint32_t libpcap_max_block(int link) {
    const std::uint32_t most = adjusted_snaplen({.link_type = link, .snaplen = 0});
    return std::max<std::uint32_t>(16u << 20, 8 + 20 + most + 131072 + 4);
  }

  /// The snapshot length libpcap takes for an interface (pcap_adjust_snapshot): its own, or the
  /// largest its link type allows when it says 0 (or more than INT_MAX).
  [[nodiscard]] static std::uint32_t adjusted_snaplen(const interface& i) {
    std::uint32_t most = max_snaplen;
    if (i.link_type == 231) most = 128u << 20;      // D-Bus
    else if (i.link_type == 279) most = 8u << 20;   // EBHSCR
    else if (i.link_type == 249) most = 1u << 20;   // USBPcap
    return i.snaplen == 0 || i.snaplen > 0x7fffffffu ? most : i.snaplen;
  }
  struct closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  // Numbers in the section's byte order (the block type of a section header reads the same both ways).
  [[nodiscard]] std::uint16_t u16(const std::uint8_t* p) const {
    return state_.big ? static_cast<std::uint16_t>(p[0] << 8 | p[1]) : static_cast<std::uint16_t>(p[1] << 8 | p[0]);
  }
  [[nodiscard]] std::uint32_t u32(const std::uint8_t* p) const {
    return state_.big ? (std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3])
                : (std::uint32_t{p[3]} << 24 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[1]} << 8 | p[0]);
  }

  bool skip(std::uint32_t n) {
    body_.resize(n);
    return std::fread(body_.data(), 1, n, file_.get()) == n;
  }
  // libpcap's words
  bool too_long(std::uint32_t caplen) {
    return fail("invalid packet capture length " + std::to_string(caplen) + ", bigger than snaplen of " + std::to_string(state_.snapshot));
  }
  bool too_short(std::uint32_t type) { return fail("block of type " + std::to_string(type) + " in pcapng dump file is too short"); }
  bool undescribed(std::uint32_t id) {
    return fail("a packet arrived on interface " + std::to_string(id) + ", but there's no Interface Description Block for that interface");
  }
  bool truncated(std::size_t wanted, std::size_t got) {
    return fail("truncated pcapng dump file; tried to read " + std::to_string(wanted) + " bytes, only got " + std::to_string(got));
  }
  bool fail(std::string why) {
    error_ = std::move(why);
    damage_offset_ = position();
    return false;
  }

  /// An interface description's options (if_tsresol, if_tsoffset), checked as libpcap 1.10's
  /// process_idb_options checks them, in its words: what is wrong, or empty.
  [[nodiscard]] std::string options(const std::uint8_t* p, std::size_t n, interface& i) const {
    const std::string idb = "Interface Description Block ";
    bool saw_tsresol = false, saw_tsoffset = false;
    while (n >= 4) {
      const std::uint16_t code = u16(p), len = u16(p + 2);
      const std::size_t padded = (std::size_t{len} + 3) / 4 * 4;
      if (4 + padded > n) return "block of type 1 in pcapng dump file is too short";
      if (code == 0) {  // opt_endofopt
        if (len != 0) return idb + "has opt_endofopt option with length " + std::to_string(len) + " != 0";
        return {};
      }
      if (code == 9) {  // if_tsresol: 10^-v, or 2^-v with the top bit set
        if (len != 1) return idb + "has if_tsresol option with length " + std::to_string(len) + " != 1";
        if (saw_tsresol) return idb + "has more than one if_tsresol option";
        saw_tsresol = true;
        const std::uint8_t v = p[4];
        const unsigned e = v & 0x7f;
        const bool binary = (v & 0x80) != 0;
        if (binary ? e > 63 : e > 19)
          return idb + "if_tsresol option resolution " + (binary ? "2^-" : "10^-") + std::to_string(e) + " is too high";
        std::uint64_t units = 1;
        for (unsigned k = 0; k < e; ++k) units *= binary ? 2 : 10;
        i.units = units;
      } else if (code == 14) {  // if_tsoffset, seconds
        if (len != 8) return idb + "has if_tsoffset option with length " + std::to_string(len) + " != 8";
        if (saw_tsoffset) return idb + "has more than one if_tsoffset option";
        saw_tsoffset = true;
        const std::uint64_t first = u32(p + 4), second = u32(p + 8);
        i.offset_s = static_cast<std::int64_t>(state_.big ? (first << 32 | second) : (second << 32 | first));
      }
      p += 4 + padded;
      n -= 4 + padded;
    }
    return {};
  }

  bool take(record& r, const interface& i, std::uint64_t ts, std::uint32_t caplen, std::uint32_t len, const std::uint8_t* data) {
    const std::uint64_t sec = ts / i.units, frac = ts % i.units;
    const auto frac_ns = static_cast<std::int64_t>(static_cast<unsigned __int128>(frac) * 1'000'000'000u / i.units);
    std::int64_t s = 0, ns = 0;
    const bool ok = sec <= static_cast<std::uint64_t>(INT64_MAX) && !__builtin_add_overflow(static_cast<std::int64_t>(sec), i.offset_s, &s) &&
                    !__builtin_mul_overflow(s, std::int64_t{1'000'000'000}, &ns) && !__builtin_add_overflow(ns, frac_ns, &ns);
    if (ok) last_ts_ = ns;
    r = {i.link_type, last_ts_, caplen, len, data, ok};
    return true;
  }

  std::unique_ptr<std::FILE, closer> file_;
  std::vector<std::uint8_t> body_;
  section state_;
  bool seen_section_ = false;
  bool stop_at_packets_ = false;  // leading_section: stop before the first packet block
  std::int64_t last_ts_ = 0;
  std::uint64_t offset_ = 0;
  std::uint64_t damage_offset_ = 0;
  std::string error_;
};

}  // namespace expose::io
