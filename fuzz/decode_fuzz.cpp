// libFuzzer target: one captured frame through expose::io::decode.
//
// Input: the first byte picks a link type from links.hpp (the decoder's expose::io::link::*
// list, plus one it does not know), the rest is the frame. Built with
// -fsanitize=fuzzer,address,undefined (cmake -DEXPOSE_BUILD_FUZZERS=ON with clang; fuzz/run.sh),
// so a read past the frame is an ASan report. Besides memory safety it aborts when an invariant
// of the decoder breaks:
//   - the reason is one of skip_reason's values;
//   - decoding is a function of the frame alone: the same frame decoded into a fresh packet and
//     into one holding another packet's fields gives the same fields (a field left over from the
//     previous record would key a packet wrongly: pcap_files reuses one packet for every record);
//   - the timestamp and the length are never touched;
//   - a decoded packet has ports only for TCP, UDP and SCTP, TCP flags only for TCP, ICMP type
//     and code only for ICMP and ICMPv6; its flow key prints;
//   - reading host names (decode_options::names: the DNS, mDNS, LLMNR, NetBIOS and DHCP parsers)
//     changes nothing of the packet, and every name read is non-empty and prints as a label.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "expose/flow_key.hpp"
#include "expose/io/decode.hpp"
#include "expose/names.hpp"
#include "links.hpp"

namespace {

using expose::fuzz::links;
using expose::fuzz::n_links;
using expose::io::skip_reason;

[[noreturn]] void broken(const char* what, int link_type) {
  std::fprintf(stderr, "decode_fuzz: invariant broken (link type %d): %s\n", link_type, what);
  std::abort();
}
#define EXPOSE_FUZZ_CHECK(cond) \
  do {                          \
    if (!(cond)) broken(#cond, link_type); \
  } while (false)

bool same_fields(const expose::packet& a, const expose::packet& b) {
  return a.src == b.src && a.dst == b.dst && a.sport == b.sport && a.dport == b.dport && a.proto == b.proto &&
         a.tcp_flags == b.tcp_flags && a.icmp_type == b.icmp_type && a.icmp_code == b.icmp_code;
}

// A packet whose every field differs from what a decode of the fuzzer's frames is likely to give.
expose::packet stale_packet() {
  expose::packet p;
  p.ts_ns = 0x1234'5678'9abc'def0LL;
  p.src = *expose::ip_address::parse("2001:db8::dead");
  p.dst = *expose::ip_address::parse("2001:db8::beef");
  p.sport = 0xfeed;
  p.dport = 0xf00d;
  p.proto = 0xee;
  p.tcp_flags = 0xff;
  p.icmp_type = 0xfe;
  p.icmp_code = 0xfd;
  p.length = 0xabcdef;
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int link_type = links[data[0] % n_links];
  const std::uint8_t* frame = data + 1;
  const std::size_t caplen = size - 1;

  expose::packet fresh;
  const skip_reason why = expose::io::decode(link_type, frame, caplen, fresh);
  EXPOSE_FUZZ_CHECK(expose::io::reason_name(why) != "unknown");
  EXPOSE_FUZZ_CHECK(fresh.ts_ns == 0 && fresh.length == 0);

  static const expose::packet stale = stale_packet();
  expose::packet reused = stale;
  const skip_reason again = expose::io::decode(link_type, frame, caplen, reused);
  EXPOSE_FUZZ_CHECK(again == why);
  EXPOSE_FUZZ_CHECK(reused.ts_ns == stale.ts_ns && reused.length == stale.length);
  if (why != skip_reason::none) return 0;

  EXPOSE_FUZZ_CHECK(same_fields(fresh, reused));
  const bool ports = fresh.proto == expose::proto::tcp || fresh.proto == expose::proto::udp || fresh.proto == 132;
  if (!ports) EXPOSE_FUZZ_CHECK(fresh.sport == 0 && fresh.dport == 0);
  if (fresh.proto != expose::proto::tcp) EXPOSE_FUZZ_CHECK(fresh.tcp_flags == 0);
  if (fresh.proto != expose::proto::icmp && fresh.proto != expose::proto::icmp6)
    EXPOSE_FUZZ_CHECK(fresh.icmp_type == 0 && fresh.icmp_code == 0);
  const std::string text = expose::exact({fresh.src, fresh.dst, fresh.sport, fresh.dport, fresh.proto}).text();
  EXPOSE_FUZZ_CHECK(!text.empty());

  expose::host_names names;
  expose::packet named;
  EXPOSE_FUZZ_CHECK(expose::io::decode(link_type, frame, caplen, named, {.names = &names}) == why);
  EXPOSE_FUZZ_CHECK(same_fields(fresh, named));
  for (const auto& [address, list] : names.all()) {
    EXPOSE_FUZZ_CHECK(!list.empty() && list.size() <= expose::host_names::max_per_address);
    for (const auto& e : list) EXPOSE_FUZZ_CHECK(!e.name.empty());
    EXPOSE_FUZZ_CHECK(names.label(address).size() > address.to_string().size());
  }
  return 0;
}

#undef EXPOSE_FUZZ_CHECK
