// ambiguous_trace DIR: for the tests of expose-mine-mpi's ranges that do not meet. Writes
// DIR/crafted.pcap, the trace of io.pcap_range.ambiguous_headers_are_detected (its payload imitates
// its own record headers, so that looking for the next record from bytes 15,089 to 15,131 finds a
// false one), and for 2, 3 and 4 ranks DIR/filler-R.pcap: a valid trace of such a size that, given
// before crafted.pcap, the first range boundary of R ranks falls at byte 15,110 of crafted.pcap.
// Rank 1 then resynchronizes where rank 0's reader did not stop, reads its range again from there,
// and the results must be one process's.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../fixtures.hpp"

namespace fs = std::filesystem;

namespace {

/// A classic pcap file of exactly `bytes` bytes (at least 24 + 17): the header `header` (24 bytes,
/// another file's, so the same link type and snapshot length), then records of zeros, one second
/// apart, long before the crafted trace (files are given in time order).
void write_filler(const fs::path& path, const std::vector<char>& header, std::uint64_t bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(header.data(), 24);
  std::uint64_t left = bytes - 24;
  for (std::uint32_t second = 1'600'000'000; left > 0; ++second) {
    // 200 bytes a record, the last ones sized so that none is left shorter than a record
    std::uint64_t cap = left - 16 <= 200 ? left - 16 : (left - 16 - 200 < 17 ? left - 16 - 17 : 200);
    const std::uint32_t h[4] = {second, 0, static_cast<std::uint32_t>(cap), static_cast<std::uint32_t>(cap)};
    out.write(reinterpret_cast<const char*>(h), 16);
    out.write(std::string(cap, '\0').data(), static_cast<std::streamsize>(cap));
    left -= 16 + cap;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ambiguous_trace DIR\n");
    return 2;
  }
  const fs::path dir = argv[1];
  const fs::path crafted = dir / "crafted.pcap";
  expose_test::write_range_trace(crafted, 1'700'000'000'000'000'000LL, 300, 7, false, true);
  std::ifstream in(crafted, std::ios::binary);
  std::vector<char> header(24);
  in.read(header.data(), 24);
  const auto size = static_cast<std::int64_t>(fs::file_size(crafted));
  constexpr std::int64_t at = 15'110;  // where in crafted.pcap the first boundary must fall
  for (std::int64_t ranks = 2; ranks <= 4; ++ranks) {
    // io::cut puts the first boundary at total / ranks: (filler + size) / ranks = filler + at
    const std::int64_t filler = (size - ranks * at) / (ranks - 1);
    if (filler < 24 + 17) {
      std::fprintf(stderr, "ambiguous_trace: crafted.pcap is too short for %lld ranks\n", static_cast<long long>(ranks));
      return 1;
    }
    write_filler(dir / ("filler-" + std::to_string(ranks) + ".pcap"), header, static_cast<std::uint64_t>(filler));
  }
  return 0;
}
