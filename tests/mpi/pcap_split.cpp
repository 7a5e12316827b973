// pcap_split: cuts a classic pcap file into N files of consecutive records (as a capture rotated
// by size would be), for the tests of expose-mine-mpi over several files.
//
//   pcap_split IN N OUT_PREFIX     writes OUT_PREFIX-0.pcap ... OUT_PREFIX-(N-1).pcap

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: pcap_split IN N OUT_PREFIX\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  const std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const int n = std::stoi(argv[2]);
  std::uint32_t magic = 0;
  if (b.size() < 24 || n < 1) return 1;
  std::memcpy(&magic, b.data(), 4);
  if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
    std::fprintf(stderr, "pcap_split: '%s' is not a classic pcap file in this machine's byte order\n", argv[1]);
    return 1;
  }
  std::vector<std::size_t> starts;
  for (std::size_t at = 24; at + 16 <= b.size();) {
    starts.push_back(at);
    std::uint32_t caplen = 0;
    std::memcpy(&caplen, b.data() + at + 8, 4);
    at += 16 + caplen;
  }
  starts.push_back(b.size());
  const std::size_t records = starts.size() - 1;
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
