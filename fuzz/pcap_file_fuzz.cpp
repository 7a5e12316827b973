// libFuzzer target: the input as a capture file, mined whole.
//
// The bytes are put in an in-memory file (memfd) and read by expose::io::pcap_files through one
// expose::mine() run with the default pipeline, so a damaged pcap or pcapng file goes through
// libpcap, the reader, the decoder, the flow table, the windows, the lattice, the counting engine,
// the exact test and the clusters, then the text report. Built with
// -fsanitize=fuzzer,address,undefined (fuzz/run.sh). A file libpcap refuses outright is a
// bad_trace naming the file, as expected; any other exception escapes and is a crash. It aborts
// when an invariant of the result breaks:
//   - every record read is counted once: decoded + sum(skipped) == packets, and packets equals
//     the records libpcap itself returns before its end or its first error;
//   - damage comes with a warning; flows <= decoded; N >= 1 and start <= end when a packet decoded;
//   - each rule joins two different known items, with support <= both sides' counts <= samples
//     and a finite score; each cluster names known rules and items.


#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "fuzz_support.hpp"
#include "expose/io/pcap_file.hpp"
#include "expose/io/pcapng_reader.hpp"
#include "expose/io/text.hpp"
#include "expose/pipeline.hpp"

namespace {

#define EXPOSE_FUZZ_CHECK(cond)                         \
  do {                                                  \
    if (!(cond)) fuzz::broken("pcap_file_fuzz", #cond); \
  } while (false)


// Records libpcap returns before its end or its first error: what `input.packets` must count. When
// libpcap stops at a pcapng interface of another link type, the reader goes on with its own pcapng
// reader, so then it is the records that reader finds in the whole file.
std::uint64_t records(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (p == nullptr) return 0;
  std::uint64_t n = 0;
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(p, &h, &d)) == 1) ++n;
  const bool mixed = rc == PCAP_ERROR && std::string(pcap_geterr(p)).find("different from the type of the first interface") != std::string::npos;
  pcap_close(p);
  if (mixed) {
    expose::io::pcapng_reader own(path);
    expose::io::pcapng_reader::record r;
    n = 0;
    while (own.next(r)) ++n;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::memory_file file("expose-pcap-file");
  file.put(data, size);

  expose::mine_result r;
  try {
    r = expose::mine(expose::io::pcap_file(file.path), expose::pipeline<>{});
  } catch (const expose::bad_trace& e) {
    const std::string what = e.what();
    EXPOSE_FUZZ_CHECK(what.rfind("cannot read '" + file.path + "'", 0) == 0);
    return 0;
  }

  const expose::input_stats& in = r.input;
  std::uint64_t skipped = 0;
  for (const auto& [why, n] : in.skipped) {
    EXPOSE_FUZZ_CHECK(!why.empty() && n > 0);
    skipped += n;
  }
  EXPOSE_FUZZ_CHECK(in.decoded + skipped == in.packets);
  EXPOSE_FUZZ_CHECK(in.packets == records(file.path));
  EXPOSE_FUZZ_CHECK(!in.damaged || !in.warnings.empty());
  EXPOSE_FUZZ_CHECK(r.flows <= in.decoded);
  if (in.decoded > 0) {
    EXPOSE_FUZZ_CHECK(r.windows >= 1);
    EXPOSE_FUZZ_CHECK(in.start_ns <= in.end_ns);
    EXPOSE_FUZZ_CHECK(r.flows >= 1 && !r.items.empty());
  } else {
    EXPOSE_FUZZ_CHECK(r.flows == 0 && r.rules.empty());
  }
  for (const expose::rule& x : r.rules) {
    EXPOSE_FUZZ_CHECK(x.lhs < r.items.size() && x.rhs < r.items.size() && x.lhs != x.rhs);
    EXPOSE_FUZZ_CHECK(x.counts.n_xy <= x.counts.n_x && x.counts.n_xy <= x.counts.n_y);
    EXPOSE_FUZZ_CHECK(x.counts.n_x <= x.counts.n && x.counts.n_y <= x.counts.n);
    EXPOSE_FUZZ_CHECK(std::isfinite(x.score) && std::isfinite(x.reverse_score));
  }
  for (const expose::cluster& c : r.clusters) {
    for (const std::size_t i : c.rules) EXPOSE_FUZZ_CHECK(i < r.rules.size());
    for (const std::uint32_t i : c.items) EXPOSE_FUZZ_CHECK(i < r.items.size());
  }
  std::ostringstream text;
  expose::io::write_text(text, r);
  EXPOSE_FUZZ_CHECK(text.str().rfind("expose ", 0) == 0);
  return 0;
}

#undef EXPOSE_FUZZ_CHECK
