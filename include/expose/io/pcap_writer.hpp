#pragma once
// Writing packet records to a pcap file with libpcap's dump API (component expose::pcap).

#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "expose/error.hpp"
#include "expose/io/encode.hpp"
#include "expose/packet.hpp"

namespace expose::io {

struct pcap_writer_options {
  std::uint32_t snaplen = 65535;  ///< bytes of each frame kept
  bool nanosecond = false;        ///< nanosecond stamps (else microsecond)
  int link_type = 1;              ///< DLT of the frames given to `write_frame`
};

class pcap_writer {
 public:
  using options = pcap_writer_options;

  explicit pcap_writer(const std::filesystem::path& path, options opt = {}) : opt_(opt), path_(path) {
    dead_.reset(pcap_open_dead_with_tstamp_precision(
        opt.link_type, static_cast<int>(opt.snaplen),
        opt.nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO));
    if (!dead_) throw error("pcap_writer: libpcap could not set up a writer");
    dump_.reset(pcap_dump_open(dead_.get(), path.string().c_str()));
    if (!dump_) throw bad_trace("cannot write '" + path.string() + "': " + pcap_geterr(dead_.get()));
  }

  /// Writes `p` as an Ethernet frame of `p.length` bytes, cut to the snap length.
  void write(const packet& p) {
    const auto frame = encode_ethernet(p);
    write_frame(p.ts_ns, frame.data(), frame.size());
  }

  /// Writes raw frame bytes of the writer's link type.
  void write_frame(std::int64_t ts_ns, const std::uint8_t* data, std::size_t len) { write_frame(ts_ns, data, len, len); }

  /// Writes the `caplen` bytes held of a frame that was `wire_len` bytes on the wire (a record of
  /// another capture, cut by its snap length), cut further to this writer's snap length.
  void write_frame(std::int64_t ts_ns, const std::uint8_t* data, std::size_t caplen, std::size_t wire_len) {
    pcap_pkthdr h{};
    std::int64_t sec = ts_ns / 1'000'000'000, frac = ts_ns % 1'000'000'000;
    if (frac < 0) { frac += 1'000'000'000; --sec; }
    h.ts.tv_sec = static_cast<time_t>(sec);
    h.ts.tv_usec = static_cast<suseconds_t>(opt_.nanosecond ? frac : frac / 1000);
    h.len = static_cast<bpf_u_int32>(std::max(wire_len, caplen));
    h.caplen = static_cast<bpf_u_int32>(std::min<std::size_t>(caplen, opt_.snaplen));
    pcap_dump(reinterpret_cast<u_char*>(dump_.get()), &h, data);
    // pcap_dump says nothing of a failed write: look at the stream now and then, so that a full
    // disk stops a long run early instead of at close().
    if (++written_ % check_every == 0 && std::ferror(pcap_dump_file(dump_.get())) != 0) fail(errno);
  }

  [[nodiscard]] std::uint64_t written() const noexcept { return written_; }

  /// Flushes and closes the file; throws bad_trace naming the file when a write failed (a full
  /// disk, /dev/full), so that a caller never reports a file written that is not. Destruction
  /// closes too, but cannot say that a write failed: call close() to know.
  void close() {
    if (dump_) {
      if (pcap_dump_flush(dump_.get()) != 0) fail(errno);
      if (std::ferror(pcap_dump_file(dump_.get())) != 0) fail(errno);
    }
    dump_.reset();
    dead_.reset();
  }

 private:
  struct dump_closer {
    void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
  };
  struct pcap_closer {
    void operator()(pcap_t* p) const { pcap_close(p); }
  };
  static constexpr std::uint64_t check_every = 4096;
  /// A write failed (`cause`: errno after it, 0 if unknown): closes the file and says so.
  [[noreturn]] void fail(int cause) {
    dump_.reset();
    dead_.reset();
    throw bad_trace("cannot write '" + path_.string() + "': " + (cause != 0 ? std::strerror(cause) : "a write failed") + " (" +
                    std::to_string(written_) + " packets given; the file is incomplete)");
  }
  options opt_;
  std::filesystem::path path_;
  std::unique_ptr<pcap_t, pcap_closer> dead_;
  std::unique_ptr<pcap_dumper_t, dump_closer> dump_;
  std::uint64_t written_ = 0;
};

}  // namespace expose::io
