#pragma once
// The records of one capture file as they are stored, undecoded (component expose::pcap): pcap and
// pcapng through libpcap (both byte orders, micro- and nanosecond stamps, read as nanoseconds), and
// the project's own pcapng reader from where libpcap refuses a file whose interfaces have different
// link types. libpcap opens every file and checks its header; the records of a classic pcap file
// (version 2.4, a link type libpcap passes through unchanged) are then read through a large buffer
// (pcap_classic.hpp: twice as fast), with libpcap's words at damage. `pcap_files` decodes these
// records; tools that edit frames read them as they are.
//
//   io::pcap_records in("trace.pcapng");          // throws bad_trace naming the file when unreadable
//   while (in.next()) use(in.current());           // link type, time, caplen, len, bytes
//   if (!in.damage().empty()) warn(in.damage());   // a damaged file ends at the damage

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "expose/error.hpp"
#include "expose/io/held_path.hpp"
#include "expose/io/pcap_classic.hpp"
#include "expose/io/pcapng_reader.hpp"

namespace expose::io {

/// How the readers say a file is damaged: "'f.pcap' is damaged after record 12 (near byte 3400):
/// why" (`after`: the records read before it, "12", or of a range, "12 of this range"; `near`:
/// where the reader stood when it found the damage: every reader stands where libpcap would, and
/// the own pcapng reader says `why` in libpcap's words).
[[nodiscard]] inline std::string damaged_after(const std::string& file, const std::string& after, std::uint64_t near, const std::string& why) {
  return "'" + file + "' is damaged after record " + after + " (near byte " + std::to_string(near) + "): " + why;
}

/// What a damage warning adds when `records` records came before the damage.
[[nodiscard]] inline std::string held_before(std::uint64_t records) {
  return "; the results hold the " + (records == 1 ? std::string("record") : std::to_string(records) + " records") + " before it";
}

class pcap_records {
 public:
  /// One stored record. `data` stays valid until the next call to `next`.
  struct record {
    int link_type = 0;
    std::int64_t ts_ns = 0;  ///< nanoseconds since the Unix epoch
    /// False when the time does not fit in int64 nanoseconds (a pcapng time past 2262); `ts_ns` then
    /// keeps the previous record's.
    bool ts_ok = true;
    std::uint32_t caplen = 0;  ///< bytes stored
    std::uint32_t len = 0;     ///< bytes on the wire
    const std::uint8_t* data = nullptr;
  };

  /// Opens `path`; throws bad_trace naming the file and libpcap's reason when it cannot be read.
  explicit pcap_records(const std::filesystem::path& path) : name_(path.string()) {
    char err[PCAP_ERRBUF_SIZE] = {};
    handle_.reset(pcap_open_offline_with_tstamp_precision(name_.c_str(), PCAP_TSTAMP_PRECISION_NANO, err));
    if (!handle_) throw bad_trace("cannot read '" + name_ + "': " + err + unreadable_hint(path, err));
    current_.link_type = pcap_datalink(handle_.get());
    read_classic_records(path);
  }

  /// What to do when libpcap cannot take `path`: decompress a capture compressed with gzip (a
  /// compressed flow log never comes here: it is read as it is), and what comes through a pipe
  /// (there a compressed log cannot be judged without reading it); an empty file is said.
  static std::string unreadable_hint(const std::filesystem::path& path, std::string_view said) {
    if (said.find("unknown file format") == std::string_view::npos && said.find("truncated dump file") == std::string_view::npos)
      return {};
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    const std::string name = path.string();
    const bool held = held_descriptor(path) >= 0;
    if (status.type() == std::filesystem::file_type::fifo && !held)
      return said.find("unknown file format") == std::string_view::npos
                 ? std::string{}
                 : " (a named FIFO is read as a capture: give a flow log as a file, as - or as <(...))";
    if (name == "-" || status.type() == std::filesystem::file_type::fifo) {
      return said.find("unknown file format") == std::string_view::npos
                 ? std::string{}
                 : " (neither a capture nor a flow log by its first bytes; through a pipe a compressed one must be decompressed in the "
                   "pipe, <(zcat FILE))";
    }
    if (ec || status.type() != std::filesystem::file_type::regular) return {};
    if (std::filesystem::file_size(path, ec) == 0 && !ec) return " (the file is empty)";
    std::ifstream in(path, std::ios::binary);
    char magic[2] = {};
    if (in.read(magic, 2) && magic[0] == '\x1f' && magic[1] == '\x8b')
      return " (compressed with gzip, and no flow log once decompressed: a capture must be decompressed first, or read through a pipe: "
             "<(zcat '" + path.string() + "'))";
    return {};
  }

  /// Moves to the next record; false at the end of the file or at damage (`damage()` then says where).
  bool next() {
    if (classic_) return next_classic();
    if (own_) return next_own();
    if (!handle_) return false;
    pcap_pkthdr* h = nullptr;
    const u_char* d = nullptr;
    const int rc = pcap_next_ex(handle_.get(), &h, &d);
    if (rc == 1) {
      std::int64_t ns = 0;
      current_.ts_ok = !__builtin_mul_overflow(static_cast<std::int64_t>(h->ts.tv_sec), std::int64_t{1'000'000'000}, &ns) &&
                       !__builtin_add_overflow(ns, static_cast<std::int64_t>(h->ts.tv_usec), &ns);
      if (current_.ts_ok) current_.ts_ns = ns;
      current_.caplen = h->caplen;
      current_.len = h->len;
      current_.data = d;
      ++records_;
      return true;
    }
    if (rc == PCAP_ERROR &&
        std::string_view(pcap_geterr(handle_.get())).find("different from the type of the first interface") != std::string_view::npos) {
      // libpcap takes one link type per file: read on with the own reader, past the records it gave.
      handle_.reset();
      own_ = std::make_unique<pcapng_reader>(name_);
      pcapng_reader::record r;
      for (std::uint64_t k = 0; k < records_; ++k)
        if (!own_->next(r)) break;
      return next_own();
    }
    if (rc == PCAP_ERROR)
      damage_ = damaged_after(name_, std::to_string(records_), offset(), pcap_geterr(handle_.get()));
    handle_.reset();
    return false;
  }

  [[nodiscard]] const record& current() const noexcept { return current_; }
  /// The link type of the current record (of the file before the first).
  [[nodiscard]] int link_type() const noexcept { return current_.link_type; }
  /// Records read so far.
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }
  /// Bytes of the file read so far.
  [[nodiscard]] std::uint64_t offset() const {
    if (classic_) return classic_->next_offset();
    if (own_) return own_->position();
    FILE* f = handle_ ? pcap_file(handle_.get()) : nullptr;
    const long at = f ? std::ftell(f) : -1;
    return at < 0 ? 0 : static_cast<std::uint64_t>(at);
  }
  /// Empty, or what ended the file early: "'f.pcap' is damaged after record 12 (near byte 3400): ...".
  [[nodiscard]] const std::string& damage() const noexcept { return damage_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// A libpcap handle of the file's link type (to compile a BPF filter for it): libpcap's own while
  /// it reads the file, a dead one while classic_records does; null once the own pcapng reader
  /// took over or the file ended.
  [[nodiscard]] pcap_t* handle() const noexcept { return handle_.get(); }
  /// True once the own pcapng reader reads the file (each record with its interface's link type).
  [[nodiscard]] bool own_reader() const noexcept { return own_ != nullptr; }

 private:
  struct pcap_closer {
    void operator()(pcap_t* p) const { pcap_close(p); }
  };

  /// A classic pcap file libpcap opened: its records are read here, as libpcap would read them,
  /// when libpcap does nothing to them but cut them to the snapshot length (not for the link types
  /// whose headers it rewrites, nor for those whose maximum length differs, nor for the old
  /// versions whose length fields may be swapped, nor for BSD loopback in the other byte order,
  /// whose filters only libpcap's own handle compiles right), and when the file is a regular file opened a
  /// second time (a pipe or FIFO, or "-" for standard input, stays with libpcap: its first bytes
  /// are in libpcap's buffer). libpcap's handle is then closed, and a dead handle of the file's
  /// link type and snapshot length stands in for it to compile BPF filters: one descriptor and
  /// one buffer a file, as before.
  void read_classic_records(const std::filesystem::path& path) {
    if (pcap_major_version(handle_.get()) != 2 || pcap_minor_version(handle_.get()) != 4) return;
    const int snaplen = pcap_snapshot(handle_.get());
    if (snaplen <= 0 || snaplen > 262144) return;
    switch (current_.link_type) {
      case 113: case 117: case 189: case 220: case 231: case 239: case 249: case 276: case 279:
        return;  // Linux SLL and SLL2, pflog, Linux USB, D-Bus, NFLOG, USBPcap, EBHSCR
      default: break;
    }
    std::FILE* by_libpcap = pcap_file(handle_.get());
    struct stat theirs{}, ours{};
    if (!by_libpcap || ::fstat(::fileno(by_libpcap), &theirs) != 0 || !S_ISREG(theirs.st_mode)) return;
    classic_records::file_ptr f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f || ::fstat(::fileno(f.get()), &ours) != 0 || ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino) return;
    std::setvbuf(f.get(), nullptr, _IONBF, 0);  // classic_records reads in large pieces of its own
    std::uint8_t head[classic_records::file_header];
    if (std::fread(head, 1, sizeof head, f.get()) != sizeof head) return;
    std::uint32_t magic;
    std::memcpy(&magic, head, 4);
    auto format = classic_records::from_magic(magic);
    if (!format || format->swapped != (pcap_is_swapped(handle_.get()) == 1)) return;  // pcapng, or a variant libpcap reads its own way
    // A BPF filter on BSD loopback swaps the address family it tests when the file is in the
    // other byte order, which it learns from libpcap's handle of the file (a dead one has none).
    if (format->swapped && (current_.link_type == DLT_NULL || current_.link_type == DLT_LOOP)) return;
    format->snaplen = static_cast<std::uint32_t>(snaplen);
    std::unique_ptr<pcap_t, pcap_closer> dead(pcap_open_dead_with_tstamp_precision(current_.link_type, snaplen, PCAP_TSTAMP_PRECISION_NANO));
    if (!dead) return;
    classic_ = std::make_unique<classic_records>(std::move(f), classic_records::file_header, *format);
    handle_ = std::move(dead);
  }

  bool next_classic() {
    if (classic_->next()) {
      const auto& r = classic_->current();
      current_.ts_ok = true;  // 32-bit seconds fit in int64 nanoseconds
      current_.ts_ns = r.ts_ns;
      current_.caplen = r.caplen;
      current_.len = r.len;
      current_.data = r.data;
      ++records_;
      return true;
    }
    if (!classic_->damage().empty())
      damage_ = damaged_after(name_, std::to_string(records_), classic_->damage_offset(), classic_->damage());
    classic_.reset();
    handle_.reset();
    return false;
  }

  bool next_own() {
    pcapng_reader::record r;
    if (own_->next(r)) {
      current_ = {.link_type = r.link_type, .ts_ns = r.ts_ns, .ts_ok = r.time_ok, .caplen = r.caplen, .len = r.len, .data = r.data};
      ++records_;
      return true;
    }
    if (!own_->error().empty())
      damage_ = damaged_after(name_, std::to_string(records_), own_->damage_offset(), own_->error());
    own_.reset();
    return false;
  }

  std::string name_;
  std::unique_ptr<pcap_t, pcap_closer> handle_;
  std::unique_ptr<classic_records> classic_;
  std::unique_ptr<pcapng_reader> own_;
  record current_{};
  std::uint64_t records_ = 0;
  std::string damage_;
};

}  // namespace expose::io
