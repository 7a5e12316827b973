// pcap_split: cuts a classic pcap file into N files of consecutive records (as a capture rotated
// by size would be), or writes it again as pcapng, for the tests of expose-mine-mpi.
//
//   pcap_split IN N OUT_PREFIX      writes OUT_PREFIX-0.pcap ... OUT_PREFIX-(N-1).pcap
//   pcap_split IN --pcapng OUT      writes OUT: a section header, one interface (the file's link
//                                   type and snapshot length, stamps in its units), then an
//                                   enhanced packet block per record, every 50th preceded by an
//                                   interface statistics block (a block the readers pass over)
//   pcap_split IN --late-interface OUT  as --pcapng, with a second interface like the first
//                                   described after a fifth of the records, which the records
//                                   after it are on: a range that starts past it cannot know it
//   pcap_split IN --fragment OUT    writes OUT with every Ethernet IPv4 UDP or TCP datagram that
//                                   carries data sent as two IP fragments: the first (the transport
//                                   header, rounded up to 8 bytes) in its place, the later one 5
//                                   records on (with that record's time), so that ranges cut between them
//   pcap_split IN --damage OUT      writes OUT with the header of the first record that starts past
//                                   60 % of the file damaged (a captured length of 2^31 - 1, past any
//                                   snapshot length): a reader of the whole file stops there, and
//                                   one that starts later finds the records after it; IN may be
//                                   pcapng too (a packet block's total length made 2^31 - 16)
//   pcap_split IN --long-record OUT writes OUT with the captured length of the last record that
//                                   starts 1,000 bytes or more before the middle of the file made
//                                   to run over every record that starts up to 1,000 bytes after
//                                   it (within the snapshot length libpcap allows): a reader of
//                                   the whole file reads them as that record's data and goes on
//                                   after them, where one that starts at the middle finds the
//                                   records it ran over

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <algorithm>
#include <vector>

#include "pcap_bytes.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: pcap_split IN N OUT_PREFIX\n");
    return 2;
  }
  const std::vector<char> b = expose_test::file_bytes(argv[1]);
  const bool late_interface = std::string(argv[2]) == "--late-interface";
  const bool to_pcapng = std::string(argv[2]) == "--pcapng" || late_interface;
  const bool fragment = std::string(argv[2]) == "--fragment";
  const bool damage = std::string(argv[2]) == "--damage";
  const bool long_record = std::string(argv[2]) == "--long-record";
  const int n = to_pcapng || fragment || damage || long_record ? 1 : std::stoi(argv[2]);
  std::uint32_t magic = 0;
  if (b.size() < 24 || n < 1) return 1;
  std::memcpy(&magic, b.data(), 4);
  if (damage && magic == 0x0a0d0d0a) {  // pcapng, this machine's byte order: the blocks one by one
    std::vector<char> d = b;
    std::size_t packets = 0;
    for (std::size_t at = 0; at + 8 <= d.size();) {
      std::uint32_t type = 0, total = 0;
      std::memcpy(&type, d.data() + at, 4);
      std::memcpy(&total, d.data() + at + 4, 4);
      if (total < 12) return 1;
      if (type == 6) ++packets;
      if (type == 6 && at * 10 >= d.size() * 6) {
        const std::uint32_t bogus = 0x7ffffff0;
        std::memcpy(d.data() + at + 4, &bogus, 4);
        std::ofstream out(argv[3], std::ios::binary);
        out.write(d.data(), static_cast<std::streamsize>(d.size()));
        std::printf("damaged packet block %zu at byte %zu\n", packets, at);
        return out ? 0 : 1;
      }
      at += total;
    }
    return 1;
  }
  if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
    std::fprintf(stderr, "pcap_split: '%s' is not a classic pcap file in this machine's byte order\n", argv[1]);
    return 1;
  }
  std::vector<std::size_t> starts = expose_test::record_starts(b);
  starts.push_back(b.size());
  const std::size_t records = starts.size() - 1;
  if (damage) {
    std::vector<char> d = b;
    const auto at = std::find_if(starts.begin(), starts.end(), [&](std::size_t x) { return x * 10 >= b.size() * 6; });
    if (at == starts.end() || *at + 16 > b.size()) return 1;
    const std::uint32_t caplen = 0x7fffffff;
    std::memcpy(d.data() + *at + 8, &caplen, 4);
    std::ofstream out(argv[3], std::ios::binary);
    out.write(d.data(), static_cast<std::streamsize>(d.size()));
    std::printf("damaged record %zu of %zu at byte %zu\n", static_cast<std::size_t>(at - starts.begin()) + 1, records, *at);
    return out ? 0 : 1;
  }
  if (long_record) {
    std::vector<char> d = b;
    const std::size_t middle = b.size() / 2;
    const auto after = std::find_if(starts.begin(), starts.end(), [&](std::size_t x) { return x > middle + 1000; });
    auto from = std::find_if(starts.begin(), starts.end(), [&](std::size_t x) { return x + 1000 > middle; });
    if (from == starts.begin() || after == starts.end()) return 1;
    --from;
    const auto caplen = static_cast<std::uint32_t>(*after - *from - 16);
    if (caplen > 262144) return 1;
    std::uint32_t len = 0;
    std::memcpy(&len, d.data() + *from + 12, 4);
    len = std::max(len, caplen);
    std::memcpy(d.data() + *from + 8, &caplen, 4);
    std::memcpy(d.data() + *from + 12, &len, 4);
    std::ofstream out(argv[3], std::ios::binary);
    out.write(d.data(), static_cast<std::streamsize>(d.size()));
    std::printf("record %zu of %zu at byte %zu runs over the %zu records after it, to byte %zu\n", static_cast<std::size_t>(from - starts.begin()) + 1,
                records, *from, static_cast<std::size_t>(after - from) - 1, *after);
    return out ? 0 : 1;
  }
  if (fragment) {
    std::ofstream out(argv[3], std::ios::binary);
    out.write(b.data(), 24);
    struct later_one {
      std::size_t due;           // written before record `due`
      std::vector<char> frame;   // Ethernet and IPv4 header
      std::uint32_t len;         // bytes on the wire
    };
    std::vector<later_one> waiting;
    const auto write = [&](std::uint32_t sec, std::uint32_t frac, const char* frame, std::uint32_t caplen, std::uint32_t len) {
      const std::uint32_t h[4] = {sec, frac, caplen, len};
      out.write(reinterpret_cast<const char*>(h), 16);
      out.write(frame, caplen);
    };
    const auto be16 = [](const char* p) { return static_cast<std::uint16_t>(static_cast<std::uint8_t>(p[0]) << 8 | static_cast<std::uint8_t>(p[1])); };
    const auto put16 = [](char* p, std::uint16_t v) {
      p[0] = static_cast<char>(v >> 8);
      p[1] = static_cast<char>(v);
    };
    for (std::size_t r = 0; records > 0 && r <= records; ++r) {
      std::uint32_t h[4] = {};
      std::memcpy(h, b.data() + starts[r < records ? r : records - 1], 16);  // after the last: its time
      for (auto it = waiting.begin(); it != waiting.end();)
        if (it->due <= r || r == records) {
          write(h[0], h[1], it->frame.data(), static_cast<std::uint32_t>(it->frame.size()), it->len);
          it = waiting.erase(it);
        } else {
          ++it;
        }
      if (r == records) break;
      const char* f = b.data() + starts[r] + 16;
      const bool ip4 = h[2] >= 14 + 20 + 20 && be16(f + 12) == 0x0800 && static_cast<std::uint8_t>(f[14]) == 0x45 &&
                       (be16(f + 14 + 6) & 0x3fff) == 0;
      const int proto = ip4 ? f[14 + 9] : 0;
      // the first fragment carries the transport header, rounded up to 8 bytes
      const std::uint16_t head = proto == 17 ? 8 : proto == 6 ? static_cast<std::uint16_t>((static_cast<std::uint8_t>(f[14 + 20 + 12]) >> 4) * 4 + 7) / 8 * 8 : 0;
      const std::uint16_t total = ip4 ? be16(f + 14 + 2) : 0;
      if (head == 0 || total <= 20 + head || h[2] < 14u + 20u + head) {
        write(h[0], h[1], f, h[2], h[3]);
        continue;
      }
      std::vector<char> first(f, f + 14 + 20 + head);
      put16(first.data() + 14 + 2, static_cast<std::uint16_t>(20 + head));
      put16(first.data() + 14 + 6, 0x2000);  // more fragments, offset 0
      write(h[0], h[1], first.data(), static_cast<std::uint32_t>(first.size()), 14u + 20u + head);
      std::vector<char> rest(f, f + 14 + 20);
      put16(rest.data() + 14 + 2, static_cast<std::uint16_t>(total - head));
      put16(rest.data() + 14 + 6, static_cast<std::uint16_t>(head / 8));  // the last fragment, after the first's bytes
      rest.insert(rest.end(), std::min<std::size_t>(h[2] - (14u + 20u + head), 8), 0);
      waiting.push_back({r + 5, std::move(rest), static_cast<std::uint32_t>(14 + total - head)});
    }
    return out ? 0 : 1;
  }
  if (to_pcapng) {
    std::ofstream out(argv[3], std::ios::binary);
    const auto u32 = [&](std::uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
    const auto u16 = [&](std::uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
    std::uint32_t snaplen = 0, link = 0;
    std::memcpy(&snaplen, b.data() + 16, 4);
    std::memcpy(&link, b.data() + 20, 4);
    const bool nanos = magic == 0xa1b23c4d;
    u32(0x0a0d0d0a), u32(28), u32(0x1a2b3c4d), u16(1), u16(0), u32(0xffffffff), u32(0xffffffff), u32(28);  // section header
    const auto interface = [&] {
      u32(1), u32(32), u16(static_cast<std::uint16_t>(link)), u16(0), u32(snaplen);  // interface
      u16(9), u16(1), u32(nanos ? 9 : 6), u16(0), u16(0), u32(32);                    // if_tsresol, end
    };
    interface();
    std::uint32_t on = 0;  // the interface the records are on
    for (std::size_t r = 0; r < records; ++r) {
      if (late_interface && r == records / 5) interface(), on = 1;
      if (r % 50 == 49) u32(5), u32(24), u32(on), u32(0), u32(0), u32(24);  // interface statistics: no options
      std::uint32_t h[4];
      std::memcpy(h, b.data() + starts[r], 16);
      const std::uint64_t ts = std::uint64_t{h[0]} * (nanos ? 1'000'000'000u : 1'000'000u) + h[1];
      const std::uint32_t padded = (h[2] + 3) / 4 * 4, total = 32 + padded;
      u32(6), u32(total), u32(on), u32(static_cast<std::uint32_t>(ts >> 32)), u32(static_cast<std::uint32_t>(ts)), u32(h[2]), u32(h[3]);
      out.write(b.data() + starts[r] + 16, h[2]);
      for (std::uint32_t k = h[2]; k < padded; ++k) out.put(0);
      u32(total);
    }
    return out ? 0 : 1;
  }
  for (int i = 0; i < n; ++i) {
    const std::size_t lo = starts[records * static_cast<std::size_t>(i) / static_cast<std::size_t>(n)];
    const std::size_t hi = starts[records * static_cast<std::size_t>(i + 1) / static_cast<std::size_t>(n)];
    std::ofstream out(std::string(argv[3]) + "-" + std::to_string(i) + ".pcap", std::ios::binary);
    out.write(b.data(), 24);
    out.write(b.data() + lo, static_cast<std::streamsize>(hi - lo));
    if (!out) return 1;
  }
  return 0;
}
