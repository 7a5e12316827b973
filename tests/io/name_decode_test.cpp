// Names read from DNS, mDNS, LLMNR, NetBIOS and DHCP payloads (expose/io/name_decode.hpp), built
// byte by byte here.
#include "expose/io/name_decode.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "doctest.hpp"
#include "expose/io/decode.hpp"
#include "fixtures.hpp"

namespace ex = expose;
using expose_test::ip;

namespace {

/// A message under construction, big-endian fields.
struct wire {
  std::vector<std::uint8_t> b;
  wire& u8(unsigned v) {
    b.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  wire& u16(unsigned v) { return u8(v >> 8).u8(v & 0xff); }
  wire& u32(std::uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
  /// A name in labels, ending with the root label.
  wire& name(const std::string& dotted) {
    std::size_t from = 0;
    while (from < dotted.size()) {
      const auto dot = dotted.find('.', from);
      const auto label = dotted.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
      u8(static_cast<unsigned>(label.size()));
      for (char c : label) u8(static_cast<unsigned char>(c));
      if (dot == std::string::npos) break;
      from = dot + 1;
    }
    return u8(0);
  }
  wire& pointer(unsigned offset) { return u16(0xc000 | offset); }
  wire& raw(const std::vector<std::uint8_t>& more) {
    b.insert(b.end(), more.begin(), more.end());
    return *this;
  }
};

/// A packet of the name protocol on these ports (what read_names looks at besides the payload).
ex::packet name_packet(std::uint16_t sport, std::uint16_t dport) {
  ex::packet p;
  p.proto = ex::proto::udp;
  p.sport = sport;
  p.dport = dport;
  return p;
}

ex::host_names read_payload(const ex::packet& p, const wire& m) {
  ex::host_names names;
  ex::io::read_names(p, m.b.data(), m.b.size(), names);
  return names;
}

std::string names_text(const ex::host_names& names, const char* address) {
  std::string out;
  for (const auto& e : names.of(ip(address))) out += (out.empty() ? "" : ", ") + e.name + " (" + std::string(ex::source_name(e.source)) + ")";
  return out;
}

/// www.example.org asked; answered through a CNAME (written with compression pointers), plus an
/// unrelated A record in the additional section.
wire dns_answer() {
  wire m;
  m.u16(0x1234).u16(0x8180).u16(1).u16(2).u16(0).u16(1);
  m.name("www.example.org").u16(1).u16(1);                      // question at offset 12
  m.pointer(12).u16(5).u16(1).u32(300).u16(12).name("e1.cdn.net");  // CNAME: 10 + 12 wire of data
  const unsigned cname_at = 12 + 17 + 4 + 12;                    // where "e1.cdn.net" starts
  m.pointer(cname_at).u16(1).u16(1).u32(300).u16(4).u8(93).u8(184).u8(216).u8(34);
  m.name("ns.other.org").u16(1).u16(1).u32(300).u16(4).u8(1).u8(2).u8(3).u8(4);
  return m;
}

}  // namespace

TEST_CASE("io.name_decode.dns_answer_names_the_address_as_asked_through_cnames") {
  const auto names = read_payload(name_packet(53, 40000), dns_answer());
  CHECK(names.size() == 2);
  CHECK(names_text(names, "93.184.216.34") == "www.example.org (dns)");
  CHECK(names_text(names, "1.2.3.4") == "ns.other.org (dns)");  // not reached from the question: its own name
}

TEST_CASE("io.name_decode.queries_and_other_ports_name_nothing") {
  auto query = dns_answer();
  query.b[2] = 0x01;  // QR clear: a query
  CHECK(read_payload(name_packet(53, 40000), query).empty());
  CHECK(read_payload(name_packet(40000, 53), query).empty());
  CHECK(read_payload(name_packet(40000, 8053), dns_answer()).empty());  // not a name port
  auto tcp = name_packet(53, 40000);
  tcp.proto = ex::proto::tcp;
  CHECK(read_payload(tcp, dns_answer()).empty());
}

TEST_CASE("io.name_decode.a_cut_or_malformed_message_gives_what_it_holds") {
  const auto whole = dns_answer();
  // Cut inside the last record (by the snap length): the first A record stands.
  wire cut;
  cut.b.assign(whole.b.begin(), whole.b.end() - 3);
  const auto names = read_payload(name_packet(53, 40000), cut);
  CHECK(names_text(names, "93.184.216.34") == "www.example.org (dns)");
  CHECK(names.of(ip("1.2.3.4")).empty());
  // Every shorter cut reads without a fault, and never names an address wrongly.
  for (std::size_t n = 0; n < whole.b.size(); ++n) {
    wire part;
    part.b.assign(whole.b.begin(), whole.b.begin() + static_cast<std::ptrdiff_t>(n));
    const auto got = read_payload(name_packet(53, 40000), part);
    for (const auto& [address, list] : got.all())
      for (const auto& e : list) CHECK((e.name == "www.example.org" || e.name == "ns.other.org"));
  }
  // A compression pointer to itself: no name, no endless loop.
  wire loop;
  loop.u16(1).u16(0x8180).u16(1).u16(1).u16(0).u16(0).pointer(12).u16(1).u16(1);
  loop.pointer(12).u16(1).u16(1).u32(1).u16(4).u32(0x0a000001);
  CHECK(read_payload(name_packet(53, 40000), loop).empty());
}

TEST_CASE("io.name_decode.mdns_and_llmnr_answers_name_the_host_by_its_own_name") {
  wire m;  // no question; a CNAME among the answers (the decoder once followed a chain it did not have)
  m.u16(0).u16(0x8400).u16(0).u16(3).u16(0).u16(0);
  m.name("printer.local").u16(1).u16(0x8001).u32(120).u16(4).u8(192).u8(168).u8(1).u8(50);
  m.name("alias.local").u16(5).u16(1).u32(120).u16(15).name("printer.local");
  m.name("printer.local").u16(28).u16(0x8001).u32(120).u16(16).raw({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x50});
  const auto names = read_payload(name_packet(5353, 5353), m);
  CHECK(names_text(names, "192.168.1.50") == "printer.local (mdns)");
  CHECK(names_text(names, "fe80::50") == "printer.local (mdns)");
  CHECK(names.label(ip("fe80::50")) == "printer.local([fe80::50])");

  wire l;
  l.u16(7).u16(0x8000).u16(1).u16(1).u16(0).u16(0).name("ws12").u16(1).u16(1);
  l.pointer(12).u16(1).u16(1).u32(30).u16(4).u8(10).u8(0).u8(0).u8(12);
  CHECK(names_text(read_payload(name_packet(5355, 51000), l), "10.0.0.12") == "ws12 (llmnr)");
}

namespace {
/// A NetBIOS name in first-level encoding: 15 characters padded with spaces, then the suffix.
std::string netbios_encoded(std::string name, std::uint8_t suffix) {
  name.resize(15, ' ');
  name += static_cast<char>(suffix);
  std::string out;
  for (unsigned char c : name) {
    out += static_cast<char>('A' + (c >> 4));
    out += static_cast<char>('A' + (c & 0x0f));
  }
  return out;
}
}  // namespace

TEST_CASE("io.name_decode.netbios_registrations_name_unique_names_only") {
  wire m;  // a registration request: the name in the question, the address in an additional record
  m.u16(0x8001).u16(0x2910).u16(1).u16(0).u16(0).u16(1);
  m.name(netbios_encoded("WORKSTATION7", 0x00)).u16(0x20).u16(1);
  m.pointer(12).u16(0x20).u16(1).u32(300000).u16(6).u16(0x0000).u8(192).u8(168).u8(1).u8(20);
  CHECK(names_text(read_payload(name_packet(137, 137), m), "192.168.1.20") == "WORKSTATION7 (netbios)");

  wire group;  // the workgroup's name: the G bit set, no host named
  group.u16(0x8002).u16(0x2910).u16(1).u16(0).u16(0).u16(1);
  group.name(netbios_encoded("WORKGROUP", 0x00)).u16(0x20).u16(1);
  group.pointer(12).u16(0x20).u16(1).u32(300000).u16(6).u16(0x8000).u8(192).u8(168).u8(1).u8(20);
  CHECK(read_payload(name_packet(137, 137), group).empty());

  wire domain;  // a domain controller's name (suffix 0x1c): not a host name
  domain.u16(0x8003).u16(0x2910).u16(1).u16(0).u16(0).u16(1);
  domain.name(netbios_encoded("CORP", 0x1c)).u16(0x20).u16(1);
  domain.pointer(12).u16(0x20).u16(1).u32(300000).u16(6).u16(0x0000).u8(192).u8(168).u8(1).u8(2);
  CHECK(read_payload(name_packet(137, 137), domain).empty());
}

namespace {
/// A DHCP message with these options after the magic cookie; ciaddr and yiaddr as given.
wire dhcp_message(std::uint32_t ciaddr, std::uint32_t yiaddr, const std::vector<std::uint8_t>& options) {
  wire m;
  m.u8(1).u8(1).u8(6).u8(0).u32(0xdeadbeef).u16(0).u16(0).u32(ciaddr).u32(yiaddr).u32(0).u32(0);
  m.b.resize(236, 0);  // chaddr, sname, file
  m.u32(0x63825363).raw(options).u8(255);
  return m;
}
}  // namespace

TEST_CASE("io.name_decode.dhcp_names_the_address_held_asked_for_or_given") {
  // A request: host name "laptop-7" (option 12), asking for 192.168.1.33 (option 50).
  const std::vector<std::uint8_t> request = {53, 1, 3, 12, 8, 'l', 'a', 'p', 't', 'o', 'p', '-', '7', 50, 4, 192, 168, 1, 33};
  CHECK(names_text(read_payload(name_packet(68, 67), dhcp_message(0, 0, request)), "192.168.1.33") == "laptop-7 (dhcp)");
  // A renewal from the address held (ciaddr) wins over option 50.
  CHECK(names_text(read_payload(name_packet(68, 67), dhcp_message(0xc0a80128, 0, request)), "192.168.1.40") == "laptop-7 (dhcp)");
  // An ACK with the name echoed, naming the address given (yiaddr).
  const std::vector<std::uint8_t> ack = {53, 1, 5, 12, 4, 'h', 'o', 's', 't'};
  CHECK(names_text(read_payload(name_packet(67, 68), dhcp_message(0, 0xc0a80109, ack)), "192.168.1.9") == "host (dhcp)");
  // The FQDN option in wire format (E bit) when there is no host name.
  const std::vector<std::uint8_t> fqdn = {81, 16, 0x05, 0, 0, 3, 'p', 'c', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 50, 4, 10, 1, 1, 1};
  CHECK(names_text(read_payload(name_packet(68, 67), dhcp_message(0, 0, fqdn)), "10.1.1.1") == "pc1.example (dhcp)");
  // No cookie, or no name, or no address: nothing.
  auto plain = dhcp_message(0, 0, request);
  plain.b[236] = 0;
  CHECK(read_payload(name_packet(68, 67), plain).empty());
  CHECK(read_payload(name_packet(68, 67), dhcp_message(0, 0, {53, 1, 1})).empty());
  CHECK(read_payload(name_packet(68, 67), dhcp_message(0, 0, {12, 4, 'h', 'o', 's', 't'})).empty());
}

TEST_CASE("io.name_decode.the_decoder_reads_names_when_asked") {
  // Ethernet, IPv4, UDP from port 53, the answer above; the frame padded past the UDP length.
  const auto answer = dns_answer();
  wire f;
  f.raw(std::vector<std::uint8_t>(12, 0x02)).u16(0x0800);
  const unsigned udp_length = 8 + static_cast<unsigned>(answer.b.size());
  f.u8(0x45).u8(0).u16(20 + udp_length).u16(1).u16(0).u8(64).u8(17).u16(0).u32(0x0a000035).u32(0x0a000001);
  f.u16(53).u16(40000).u16(udp_length).u16(0).raw(answer.b).raw({0xc0, 0x0c, 0, 1});  // trailing junk, outside the UDP length
  ex::packet with, without;
  ex::host_names names;
  REQUIRE(ex::io::decode(ex::io::link::ethernet, f.b.data(), f.b.size(), with, {.names = &names}) == ex::io::skip_reason::none);
  REQUIRE(ex::io::decode(ex::io::link::ethernet, f.b.data(), f.b.size(), without) == ex::io::skip_reason::none);
  CHECK(with.src == without.src);
  CHECK(with.sport == 53);
  CHECK(names_text(names, "93.184.216.34") == "www.example.org (dns)");
  CHECK(names.size() == 2);
}
