#pragma once
// A capture file's bytes, for tests that damage or rewrite files by hand (tests/io/pcap_range_test.cpp,
// tests/mpi/pcap_split.cpp): read whole, written whole, and where each record of a classic pcap
// file in this machine's byte order starts. The standard library only.

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace expose_test {

inline std::vector<char> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline bool put_bytes(const std::filesystem::path& path, const std::vector<char>& b) {
  std::ofstream out(path, std::ios::binary);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
  return static_cast<bool>(out);
}

/// Where each record of a classic pcap file in this machine's byte order (`b`, its bytes) starts.
inline std::vector<std::size_t> record_starts(const std::vector<char>& b) {
  std::vector<std::size_t> starts;
  for (std::size_t at = 24; at + 16 <= b.size();) {
    starts.push_back(at);
    std::uint32_t caplen = 0;
    std::memcpy(&caplen, b.data() + at + 8, 4);
    at += 16 + caplen;
  }
  return starts;
}

}  // namespace expose_test
