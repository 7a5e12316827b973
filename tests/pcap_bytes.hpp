#pragma once
// A capture file's bytes, for tests that damage or rewrite files by hand (tests/io/pcap_range_test.cpp,
// tests/mpi/pcap_split.cpp): read whole, written whole, and where each record of a classic pcap
// file in this machine's byte order starts. The standard library only.

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace expose_test {

/// The file's bytes (a regular file's), read in one call (not byte by byte through stream
/// iterators: in the unoptimized sanitized build that took 3.5 s for the MPI tests' 13 MB trace,
/// which their fixture reads seven times); empty if it cannot be opened, what was read if a read
/// fails part way.
inline std::vector<char> file_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) return {};
  std::vector<char> b(static_cast<std::size_t>(size));
  in.read(b.data(), static_cast<std::streamsize>(b.size()));
  b.resize(static_cast<std::size_t>(in.gcount()));
  return b;
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
