// seed_corpus DIR [TRACE...]: writes the fuzzers' seed corpus from the tests' own fixtures.
//   DIR/decode/     one file per frame of tests/io/decode_test.cpp: a link-type byte (links.hpp),
//                   then the frame (every link type, tag, label, tunnel and skip reason it checks)
//   DIR/pcap_file/  the small files tests/io/pcap_file_test.cpp writes (micro- and nanosecond
//                   pcap, both byte orders, pcapng, a damaged pcap), one pcap per link type holding
//                   the decoder's frames of that type, and short traces of the project's generator
// Each TRACE given (fuzz/seed_corpus.sh passes the captures in EXPOSE_TRACE_DIR) adds its first
// 16 KiB to DIR/pcap_file/ and its first 64 frames of a link type the decoder reads to DIR/decode/.
// Nothing is copied into the source tree. Mirror a new fixture of those tests here.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "expose/io/encode.hpp"
#include "expose/io/pcap_writer.hpp"
#include "expose/synth/generator.hpp"
#include "links.hpp"

namespace fs = std::filesystem;
using namespace expose;
using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;

namespace {

packet tcp_packet(const char* s, const char* d) {
  packet p;
  p.src = *ip_address::parse(s);
  p.dst = *ip_address::parse(d);
  p.sport = 51234;
  p.dport = 80;
  p.proto = proto::tcp;
  p.tcp_flags = tcp_flag::syn;
  p.length = 60;
  return p;
}
bytes ip_of(const packet& p) {
  const auto f = io::encode_ethernet(p);
  return bytes(f.begin() + 14, f.end());
}
bytes cat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct frame {
  std::string name;
  int link;
  bytes data;
};

// The frames tests/io/decode_test.cpp decodes, named after its test cases.
std::vector<frame> decoder_frames() {
  std::vector<frame> out;
  const bytes macs(12, 0x02);
  const auto ip = ip_of(tcp_packet("10.0.0.1", "10.0.0.2"));
  out.push_back({"ethernet_ipv4_tcp", io::link::ethernet, io::encode_ethernet(tcp_packet("10.0.0.1", "10.0.0.2"))});
  out.push_back({"vlan", io::link::ethernet, cat(cat(macs, {0x81, 0x00, 0x00, 0x64, 0x08, 0x00}), ip)});
  out.push_back({"qinq", io::link::ethernet, cat(cat(macs, {0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00}), ip)});
  out.push_back({"mpls", io::link::ethernet, cat(cat(macs, {0x88, 0x47, 0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40}), ip)});
  out.push_back({"pppoe", io::link::ethernet, cat(cat(macs, {0x88, 0x64, 0x11, 0x00, 0x00, 0x01, 0x00, 0x40, 0x00, 0x21}), ip)});
  bytes sll(16, 0);
  sll[14] = 0x08;
  out.push_back({"linux_sll", io::link::linux_sll, cat(sll, ip)});
  bytes sll2(20, 0);
  sll2[0] = 0x08;
  out.push_back({"linux_sll2", io::link::linux_sll2, cat(sll2, ip)});
  out.push_back({"raw", io::link::raw, ip});
  out.push_back({"raw_openbsd", io::link::raw_openbsd, ip});
  out.push_back({"raw_linktype", io::link::raw_linktype, ip});
  out.push_back({"ipv4", io::link::ipv4, ip});
  out.push_back({"null_little_endian", io::link::null, cat({2, 0, 0, 0}, ip)});
  out.push_back({"null_big_endian", io::link::null, cat({0, 0, 0, 2}, ip)});
  out.push_back({"loop", io::link::loop, cat({0, 0, 0, 2}, ip)});
  out.push_back({"ppp_hdlc", io::link::ppp, cat({0xff, 0x03, 0x00, 0x21}, ip)});
  out.push_back({"ppp", io::link::ppp, cat({0x00, 0x21}, ip)});
  out.push_back({"ppp_hdlc_link", io::link::ppp_hdlc, cat({0xff, 0x03, 0x00, 0x21}, ip)});

  auto ip6 = ip_of(tcp_packet("2001:db8::1", "2001:db8::2"));
  out.push_back({"ipv6", io::link::raw, ip6});
  out.push_back({"ipv6_link", io::link::ipv6, ip6});
  out.push_back({"ethernet_ipv6", io::link::ethernet, io::encode_ethernet(tcp_packet("2001:db8::1", "2001:db8::2"))});
  bytes ext{44, 0, 0, 0, 0, 0, 0, 0};       // hop-by-hop, next: fragment
  const bytes frag{6, 0, 0x00, 0x01, 0, 0, 0, 1};  // first fragment, next: TCP
  ip6[6] = 0;
  bytes with(ip6.begin(), ip6.begin() + 40);
  with = cat(cat(cat(with, ext), frag), bytes(ip6.begin() + 40, ip6.end()));
  out.push_back({"ipv6_extension_headers", io::link::raw, with});
  with[40 + 8 + 2] = 0x01;
  out.push_back({"ipv6_later_fragment", io::link::raw, with});

  out.push_back({"arp", io::link::ethernet, cat(macs, {0x08, 0x06, 0, 1})});
  out.push_back({"truncated_ethernet", io::link::ethernet, bytes(10, 0)});
  out.push_back({"truncated_ip", io::link::raw, bytes(ip.begin(), ip.begin() + 30)});
  out.push_back({"bad_version", io::link::raw, {0x70, 0, 0}});
  out.push_back({"unknown_link_type", 147, ip});
  auto later = ip;
  later[6] = 0x00;
  later[7] = 0x10;
  out.push_back({"ipv4_later_fragment", io::link::raw, later});
  auto bad_ihl = ip;
  bad_ihl[0] = 0x44;
  out.push_back({"bad_ihl", io::link::raw, bad_ihl});

  packet u = tcp_packet("10.0.0.1", "10.0.0.2");
  u.proto = proto::udp;
  u.sport = u.dport = 5353;
  out.push_back({"udp", io::link::raw, ip_of(u)});
  packet i = u;
  i.proto = proto::icmp;
  i.icmp_type = 8;
  out.push_back({"icmp", io::link::raw, ip_of(i)});
  packet i6 = tcp_packet("2001:db8::1", "2001:db8::2");
  i6.proto = proto::icmp6;
  i6.icmp_type = 128;
  out.push_back({"icmp6", io::link::raw, ip_of(i6)});
  packet g = u;
  g.proto = 89;
  out.push_back({"ospf", io::link::raw, ip_of(g)});

  const auto inner = ip_of(tcp_packet("192.168.1.1", "192.168.1.2"));
  packet outer = tcp_packet("10.0.0.1", "10.0.0.2");
  outer.proto = 47;
  auto gre = ip_of(outer);
  gre.resize(20);
  out.push_back({"gre", io::link::raw, cat(cat(gre, {0x00, 0x00, 0x08, 0x00}), inner)});
  out.push_back({"gre_key_sequence", io::link::raw, cat(cat(gre, {0x30, 0x00, 0x08, 0x00, 0, 0, 0, 1, 0, 0, 0, 2}), inner)});
  // the GRE variants of tests/io/decode_test.cpp: Aruba WLAN, ERSPAN II and III, PPTP
  bytes qos(26, 0);
  qos[0] = 0x88;
  out.push_back({"gre_aruba", io::link::raw, cat(cat(cat(gre, {0x00, 0x00, 0x82, 0x00}), qos), cat({0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, inner))});
  const bytes ether = cat(cat(macs, {0x08, 0x00}), inner);
  out.push_back({"gre_erspan2", io::link::raw, cat(cat(cat(gre, {0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 7}), bytes(8, 0)), ether)});
  out.push_back({"gre_erspan3", io::link::raw, cat(cat(cat(gre, {0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1}), bytes(12, 0)), ether)});
  out.push_back({"gre_pptp", io::link::raw, cat(cat(gre, {0x30, 0x01, 0x88, 0x0b, 0, 40, 0, 1, 0, 0, 0, 9, 0xff, 0x03, 0x00, 0x21}), inner)});
  // an ICMP port unreachable quoting a UDP probe, and a first fragment
  packet probe = tcp_packet("10.0.0.1", "10.0.0.9");
  probe.proto = proto::udp;
  const auto quoted = ip_of(probe);
  packet icmp = tcp_packet("10.0.0.9", "10.0.0.1");
  icmp.proto = proto::icmp;
  auto icmp_ip = ip_of(icmp);
  icmp_ip.resize(20);
  out.push_back({"icmp_unreachable_quote", io::link::raw, cat(cat(icmp_ip, {3, 3, 0, 0, 0, 0, 0, 0}), bytes(quoted.begin(), quoted.begin() + 28))});
  auto first_fragment = ip;
  first_fragment[6] = 0x20;
  out.push_back({"ipv4_first_fragment", io::link::raw, first_fragment});
  outer.proto = 4;
  auto ipip = ip_of(outer);
  ipip.resize(20);
  out.push_back({"ipip", io::link::raw, cat(ipip, inner)});
  out.push_back({"ipip_cut_short", io::link::raw, cat(ipip, {0x45})});

  bytes hdr(24, 0);
  hdr[0] = 0x08;
  const bytes snap{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
  out.push_back({"wlan_data", io::link::ieee802_11, cat(cat(hdr, snap), ip)});
  const bytes radiotap{0, 0, 8, 0, 0, 0, 0, 0};
  out.push_back({"radiotap_data", io::link::radiotap, cat(cat(cat(radiotap, hdr), snap), ip)});
  bytes beacon(24, 0);
  beacon[0] = 0x80;
  out.push_back({"wlan_beacon", io::link::ieee802_11, beacon});
  auto prot = hdr;
  prot[1] = 0x40;
  out.push_back({"wlan_protected", io::link::ieee802_11, cat(cat(prot, snap), ip)});
  return out;
}

packet udp(std::int64_t ts_ns, std::uint32_t src, std::uint16_t sport) {
  packet p;
  p.ts_ns = ts_ns;
  p.src = ip_address::v4(src);
  p.dst = ip_address::v4(0x0a000001u);
  p.sport = sport;
  p.dport = 53;
  p.proto = proto::udp;
  p.length = 80;
  return p;
}
void put32(std::ofstream& f, std::uint32_t v, bool big) {
  const unsigned char b[4] = {static_cast<unsigned char>(big ? v >> 24 : v), static_cast<unsigned char>(big ? v >> 16 : v >> 8),
                              static_cast<unsigned char>(big ? v >> 8 : v >> 16), static_cast<unsigned char>(big ? v : v >> 24)};
  f.write(reinterpret_cast<const char*>(b), 4);
}
void write_bytes(const fs::path& path, const bytes& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// The files tests/io/pcap_file_test.cpp writes.
void pcap_test_files(const fs::path& dir) {
  for (bool nano : {false, true}) {
    io::pcap_writer w(dir / (nano ? "nano.pcap" : "micro.pcap"), {.nanosecond = nano});
    w.write(udp(1'700'000'000'123'456'789LL, 0x0a000002u, 40000));
    w.write(udp(1'700'000'001'000'000'001LL, 0x0a000003u, 40001));
  }
  const auto frame = io::encode_ethernet(udp(1'600'000'000'500'000'000LL, 0x0a000002u, 40000));
  for (bool big : {false, true}) {
    std::ofstream f(dir / (big ? "big.pcap" : "little.pcap"), std::ios::binary);
    put32(f, 0xa1b2c3d4u, big);
    const unsigned char version[4] = {0, 2, 0, 4};
    const unsigned char swapped[4] = {2, 0, 4, 0};
    f.write(reinterpret_cast<const char*>(big ? version : swapped), 4);
    put32(f, 0, big);
    put32(f, 0, big);
    put32(f, 65535, big);
    put32(f, 1, big);
    put32(f, 1'600'000'000u, big);
    put32(f, 500'000u, big);
    put32(f, static_cast<std::uint32_t>(frame.size()), big);
    put32(f, static_cast<std::uint32_t>(frame.size()), big);
    f.write(reinterpret_cast<const char*>(frame.data()), static_cast<std::streamsize>(frame.size()));
  }
  {
    std::ofstream f(dir / "one.pcapng", std::ios::binary);
    auto u32 = [&](std::uint32_t v) { put32(f, v, false); };
    u32(0x0a0d0d0a); u32(28); u32(0x1a2b3c4d); u32(0x00000001); u32(0xffffffff); u32(0xffffffff); u32(28);
    u32(1); u32(32); u32(0x00000001); u32(65535);
    u32(0x0001'0009); u32(0x0000'0009);
    u32(0); u32(32);
    const std::uint32_t padded = static_cast<std::uint32_t>((frame.size() + 3) / 4 * 4);
    const std::uint32_t len = 32 + padded;
    const std::uint64_t ts = 1'600'000'000'000'000'123ULL;
    u32(6); u32(len); u32(0); u32(static_cast<std::uint32_t>(ts >> 32)); u32(static_cast<std::uint32_t>(ts));
    u32(static_cast<std::uint32_t>(frame.size())); u32(static_cast<std::uint32_t>(frame.size()));
    f.write(reinterpret_cast<const char*>(frame.data()), static_cast<std::streamsize>(frame.size()));
    for (std::size_t k = frame.size(); k < padded; ++k) f.put(0);
    u32(len);
  }
  {
    // tests/io/pcapng_reader_test.cpp: interfaces of two link types (Ethernet, nanoseconds; raw IP),
    // which libpcap refuses and the own pcapng reader takes
    std::ofstream f(dir / "mixed.pcapng", std::ios::binary);
    auto u32 = [&](std::uint32_t v) { put32(f, v, false); };
    u32(0x0a0d0d0a); u32(28); u32(0x1a2b3c4d); u32(0x00000001); u32(0xffffffff); u32(0xffffffff); u32(28);
    u32(1); u32(24); u32(0x00000001); u32(65535); u32(0); u32(24);    // Ethernet
    u32(1); u32(24); u32(0x00000065); u32(65535); u32(0); u32(24);    // raw IP (101)
    auto epb = [&](std::uint32_t iface, const bytes& data) {
      const std::uint32_t padded = static_cast<std::uint32_t>((data.size() + 3) / 4 * 4);
      const std::uint32_t len = 32 + padded;
      u32(6); u32(len); u32(iface); u32(0x0005'af31); u32(0x1234'5678);
      u32(static_cast<std::uint32_t>(data.size())); u32(static_cast<std::uint32_t>(data.size()));
      f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
      for (std::size_t k = data.size(); k < padded; ++k) f.put(0);
      u32(len);
    };
    epb(0, frame);
    epb(1, bytes(frame.begin() + 14, frame.end()));
  }
  const fs::path damaged = dir / "damaged.pcap";
  {
    io::pcap_writer w(damaged);
    for (int k = 0; k < 10; ++k) w.write(udp(k * 1'000'000'000LL, 0x0a000002u, static_cast<std::uint16_t>(1000 + k)));
  }
  fs::resize_file(damaged, fs::file_size(damaged) - 20);
}

// Short traces of the generator (the fixtures of tests/synth and tests/read_ahead_test.cpp), cut
// to their first `max_packets` packets and `snaplen` bytes a frame so each stays a few kilobytes.
void generator_traces(const fs::path& dir) {
  struct trace {
    const char* name;
    synth::generator gen;
    std::size_t max_packets;
  };
  const trace traces[] = {
      {"synth_20_hosts.pcap", {.seed = 3, .duration = 60s, .hosts = 20}, 300},
      {"synth_busy.pcap", {.seed = 1, .duration = 30s, .hosts = 5, .noise_per_second = 20, .heavy_flows = 1}, 300},
  };
  for (const auto& t : traces) {
    io::pcap_writer w(dir / t.name, {.snaplen = 96});
    std::size_t n = 0;
    t.gen.generate([&](const packet& p) {
      if (n++ < t.max_packets) w.write(p);
    });
  }
}

// The first 16 KiB of a capture (a pcap file cut inside a record: damage, as the fuzzer likes it)
// and its first frames.
void trace_seeds(const fs::path& trace, const fs::path& decode_dir, const fs::path& pcap_dir) {
  const std::string stem = "trace_" + trace.filename().string();
  {
    std::ifstream in(trace, std::ios::binary);
    bytes head(16384);
    in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    write_bytes(pcap_dir / stem, head);
  }
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(trace.c_str(), err);
  if (p == nullptr) {
    std::fprintf(stderr, "seed_corpus: %s\n", err);
    return;
  }
  const int link = pcap_datalink(p);
  const std::uint8_t pick = fuzz::link_byte(link);
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  for (int k = 0; k < 64 && fuzz::links[pick] == link && pcap_next_ex(p, &h, &d) == 1; ++k)
    write_bytes(decode_dir / (stem + "_" + std::to_string(k)), cat({pick}, bytes(d, d + h->caplen)));
  pcap_close(p);
}

// Flow logs in the three formats tests/io/flow_log_test.cpp writes (and the CLI test's conn.log).
void flow_logs(const fs::path& dir) {
  fs::create_directories(dir);
  const std::string tsv_head =
      "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
      "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n"
      "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n";
  std::string tsv = tsv_head, json, csv = "proto,src,sport,dst,dport,start,duration,bytes\n";
  for (int k = 0; k < 4; ++k) {
    const std::string t = std::to_string(1'600'000'000 + 60 * k);
    tsv += t + ".000123\tC" + std::to_string(k) + "\t10.0.0.5\t4000" + std::to_string(k) + "\t10.0.0.53\t53\tudp\tdns\t0.01\t40\t120\tSF\n";
    tsv += t + ".25\tD" + std::to_string(k) + "\t2001:db8::5\t5000" + std::to_string(k) + "\t2001:db8::80\t80\ttcp\t-\t130.5\t-\t-\tS0\n";
    json += "{\"ts\":" + t + ".5,\"uid\":\"C\",\"id.orig_h\":\"10.0.0.7\",\"id.orig_p\":8,\"id.resp_h\":\"10.0.0.8\",\"id.resp_p\":0,"
            "\"proto\":\"icmp\",\"duration\":2.5}\n";
    csv += "tcp,10.0.0.5,5000" + std::to_string(k) + ",10.0.0.80,443," + t + ",61,100\n";
  }
  tsv += "#close\t2020-09-13-12-36-40\n";
  const auto put = [&](const char* name, const std::string& text) { write_bytes(dir / name, bytes(text.begin(), text.end())); };
  put("conn.log", tsv);
  put("conn.json", json);
  put("flows.csv", csv);
  put("nfdump.csv", "ts,te,td,sa,da,sp,dp,pr,flg\n2026-01-05 08:00:00,2026-01-05 08:00:02,2.000,10.0.0.1,10.0.0.2,123,123,UDP,........\nSummary\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: seed_corpus DIR [TRACE...]\n");
    return 2;
  }
  const fs::path decode_dir = fs::path(argv[1]) / "decode", pcap_dir = fs::path(argv[1]) / "pcap_file";
  fs::create_directories(decode_dir);
  fs::create_directories(pcap_dir);
  flow_logs(fs::path(argv[1]) / "flow_log");

  std::map<int, std::vector<frame>> by_link;
  const auto frames = decoder_frames();
  for (const auto& f : frames) {
    write_bytes(decode_dir / f.name, cat({fuzz::link_byte(f.link)}, f.data));
    by_link[f.link].push_back(f);
  }
  std::int64_t ts = 1'700'000'000'000'000'000LL;
  for (const auto& [link, list] : by_link) {
    try {
      io::pcap_writer w(pcap_dir / ("link_" + std::to_string(link) + ".pcap"), {.link_type = link});
      for (const auto& f : list) w.write_frame(ts += 250'000'000, f.data.data(), f.data.size());
    } catch (const bad_trace&) {  // a DLT with no savefile link type (14, OpenBSD's raw): frames only
    }
  }
  pcap_test_files(pcap_dir);
  generator_traces(pcap_dir);
  for (int i = 2; i < argc; ++i) trace_seeds(argv[i], decode_dir, pcap_dir);
  const auto files = [](const fs::path& dir) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}));
  };
  std::printf("seed_corpus: %zu files in %s, %zu in %s\n", files(decode_dir), decode_dir.c_str(), files(pcap_dir),
              pcap_dir.c_str());
  return 0;
}
