#pragma once
// Host names read from the trace itself, one UDP payload at a time: DNS answers (port 53: A and
// AAAA records, named as the client asked, through CNAMEs), multicast DNS (5353) and LLMNR (5355)
// answers (a host's own name), NetBIOS name service (137: registrations and answers, unique names
// only) and DHCP (67, 68: the client's host name, option 12, or its FQDN, option 81, for the address
// it holds or asks for). Every read is bounded by the captured bytes: a payload cut by the snap
// length gives what it holds, a malformed one gives nothing.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "expose/address.hpp"
#include "expose/names.hpp"
#include "expose/packet.hpp"

namespace expose::io {

namespace detail::names {

inline constexpr int max_records = 64;  // resource records read from one message
inline constexpr int max_jumps = 16;    // compression pointers followed in one name

/// A bounded view of one message.
struct message {
  const std::uint8_t* begin;
  const std::uint8_t* end;
  [[nodiscard]] std::size_t size() const { return static_cast<std::size_t>(end - begin); }
  [[nodiscard]] std::uint16_t u16(std::size_t at) const { return static_cast<std::uint16_t>(begin[at] << 8 | begin[at + 1]); }
};

/// Reads the (possibly compressed) domain name at `at` into `out` as dotted text; returns the offset
/// just past the name where it is written, or 0 when it is malformed or cut.
inline std::size_t read_name(const message& m, std::size_t at, std::string& out) {
  out.clear();
  std::size_t next = 0;  // where the name ends in place (set at the first pointer)
  int jumps = 0;
  while (true) {
    if (at >= m.size()) return 0;
    const std::uint8_t len = m.begin[at];
    if (len == 0) return next != 0 ? next : at + 1;
    if ((len & 0xc0) == 0xc0) {
      if (at + 1 >= m.size() || ++jumps > max_jumps) return 0;
      if (next == 0) next = at + 2;
      at = static_cast<std::size_t>((len & 0x3f) << 8 | m.begin[at + 1]);
      continue;
    }
    if ((len & 0xc0) != 0 || at + 1 + len > m.size() || out.size() + len + 1 > 255) return 0;
    if (!out.empty()) out += '.';
    for (std::size_t i = 0; i < len; ++i) {
      const char c = static_cast<char>(m.begin[at + 1 + i]);
      out += (c > ' ' && c < 0x7f && c != '(' && c != ')') ? c : '?';  // printable, and the notation's brackets kept free
    }
    at += 1 + len;
  }
}

/// One resource record: its owner, type and where its data lies.
struct record {
  std::string owner;
  std::uint16_t type = 0;
  std::size_t data = 0, length = 0;
};

/// The questions' first name and every record of the answer, authority and additional sections
/// (at most max_records); false when the header or a question is cut. Records after a cut one are
/// not read.
inline bool read_message(const message& m, std::string& question, std::vector<record>& records) {
  question.clear();
  records.clear();
  if (m.size() < 12) return false;
  const int questions = m.u16(4), rrs = m.u16(6) + m.u16(8) + m.u16(10);
  std::size_t at = 12;
  std::string name;
  for (int q = 0; q < questions; ++q) {
    at = read_name(m, at, name);
    if (at == 0 || at + 4 > m.size()) return false;
    if (q == 0) question = name;
    at += 4;
  }
  for (int r = 0; r < rrs && r < max_records; ++r) {
    record x;
    at = read_name(m, at, x.owner);
    if (at == 0 || at + 10 > m.size()) break;
    x.type = m.u16(at);
    x.length = m.u16(at + 8);
    x.data = at + 10;
    if (x.data + x.length > m.size()) break;  // cut by the snap length: what came before stands
    at = x.data + x.length;
    records.push_back(std::move(x));
  }
  return true;
}

inline bool same_name(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

/// DNS, mDNS and LLMNR answers: each A or AAAA record names its address. A DNS answer names it as
/// the client asked when the record's owner is the question or reached from it through CNAMEs; mDNS
/// and LLMNR answers name it by the record's owner (the host's own name).
inline void dns(const message& m, name_source source, host_names& names) {
  if (m.size() < 12 || (m.begin[2] & 0x80) == 0) return;  // answers only (QR set)
  std::string question;
  std::vector<record> records;
  if (!read_message(m, question, records)) return;
  // The names the question reaches through CNAMEs, in answer order.
  std::vector<std::string> chain;
  if (!question.empty()) chain.push_back(question);
  std::string target;
  for (bool grew = !chain.empty(); grew && chain.size() < 16;) {  // no question (mDNS): no chain
    grew = false;
    for (const auto& r : records) {
      if (r.type != 5 || !same_name(r.owner, chain.back())) continue;
      if (read_name(m, r.data, target) == 0) continue;
      bool seen = false;
      for (const auto& c : chain) seen = seen || same_name(c, target);
      if (seen) continue;
      chain.push_back(target);
      grew = true;
      break;
    }
  }
  for (const auto& r : records) {
    ip_address address;
    if (r.type == 1 && r.length == 4) address = ip_address::v4(m.begin + r.data);
    else if (r.type == 28 && r.length == 16) address = ip_address::v6(m.begin + r.data);
    else continue;
    bool asked = false;
    for (const auto& c : chain) asked = asked || same_name(c, r.owner);
    names.add(address, source == name_source::dns && asked ? question : r.owner, source);
  }
}

/// A NetBIOS name from its first-level encoding (32 letters 'A'..'P', two per byte): the name's
/// 15 characters without trailing spaces, and its 16th byte (the suffix: 0x00 workstation, 0x20
/// server). False when it is not such a name.
inline bool netbios_name(const std::string& encoded, std::string& out, std::uint8_t& suffix) {
  const std::string label = encoded.substr(0, encoded.find('.'));  // a scope id may follow
  if (label.size() != 32) return false;
  std::array<std::uint8_t, 16> raw{};
  for (std::size_t i = 0; i < 16; ++i) {
    const int hi = label[2 * i] - 'A', lo = label[2 * i + 1] - 'A';
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return false;
    raw[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  out.assign(raw.begin(), raw.begin() + 15);
  while (!out.empty() && (out.back() == ' ' || out.back() == '\0')) out.pop_back();
  for (char& c : out)
    if (c <= ' ' || c >= 0x7f || c == '(' || c == ')') c = '?';
  suffix = raw[15];
  return !out.empty() && out != "*";
}

/// NetBIOS name service: every NB record (a registration's, a refresh's or an answer's) of a
/// unique workstation or server name names the addresses it carries. Group names (a domain, a
/// workgroup) name no host and are skipped.
inline void netbios(const message& m, host_names& names) {
  std::string question, name;
  std::vector<record> records;
  if (!read_message(m, question, records)) return;
  for (const auto& r : records) {
    std::uint8_t suffix = 0;
    if (r.type != 0x20 || !netbios_name(r.owner, name, suffix) || (suffix != 0x00 && suffix != 0x20)) continue;
    for (std::size_t at = r.data; at + 6 <= r.data + r.length; at += 6) {
      const bool group = (m.begin[at] & 0x80) != 0;
      if (!group) names.add(ip_address::v4(m.begin + at + 2), name, name_source::netbios);
    }
  }
}

/// DHCP (BOOTP with the magic cookie): a message carrying the client's host name (option 12) or
/// FQDN (option 81) names the address the client holds (ciaddr), asks for (option 50) or is given
/// (yiaddr), the first of these that is set.
inline void dhcp(const message& m, host_names& names) {
  if (m.size() < 240 || m.u16(236) != 0x6382 || m.u16(238) != 0x5363) return;
  std::string host, fqdn;
  const std::uint8_t* requested = nullptr;
  for (std::size_t at = 240; at < m.size();) {
    const std::uint8_t code = m.begin[at];
    if (code == 0) {
      ++at;
      continue;
    }
    if (code == 255 || at + 1 >= m.size()) break;
    const std::size_t len = m.begin[at + 1], data = at + 2;
    if (data + len > m.size()) break;
    const auto text = [&](std::size_t from, std::size_t to) {
      std::string s;
      for (std::size_t i = from; i < to; ++i) {
        const char c = static_cast<char>(m.begin[i]);
        if (c == '\0') break;
        s += (c > ' ' && c < 0x7f && c != '(' && c != ')') ? c : '?';
      }
      return s;
    };
    if (code == 12) host = text(data, data + len);
    if (code == 50 && len == 4) requested = m.begin + data;
    if (code == 81 && len > 3) {
      if ((m.begin[data] & 0x04) == 0) {
        fqdn = text(data + 3, data + len);  // ASCII (deprecated form)
      } else {
        const message inner{m.begin + data + 3, m.begin + data + len};  // wire format, uncompressed
        if (read_name(inner, 0, fqdn) == 0) fqdn.clear();
      }
    }
    at = data + len;
  }
  const std::string& name = !host.empty() ? host : fqdn;
  if (name.empty()) return;
  static constexpr std::uint8_t zero[4] = {0, 0, 0, 0};
  const auto set = [&](const std::uint8_t* p) { return p != nullptr && std::memcmp(p, zero, 4) != 0; };
  const std::uint8_t* address = set(m.begin + 12) ? m.begin + 12 : set(requested) ? requested : set(m.begin + 16) ? m.begin + 16 : nullptr;
  if (address != nullptr) names.add(ip_address::v4(address), name, name_source::dhcp);
}

}  // namespace detail::names

/// Reads the names one UDP payload carries, by its ports (53 DNS answers, 5353 mDNS, 5355 LLMNR,
/// 137 NetBIOS name service, 67 and 68 DHCP) into `names`; other payloads are left alone.
inline void read_names(const packet& p, const std::uint8_t* payload, std::size_t size, host_names& names) {
  if (p.proto != expose::proto::udp || payload == nullptr) return;
  const detail::names::message m{payload, payload + size};
  const auto either = [&](std::uint16_t port) { return p.sport == port || p.dport == port; };
  if (p.sport == 53) detail::names::dns(m, name_source::dns, names);
  else if (either(5353)) detail::names::dns(m, name_source::mdns, names);
  else if (either(5355)) detail::names::dns(m, name_source::llmnr, names);
  else if (either(137)) detail::names::netbios(m, names);
  else if (either(67) || either(68)) detail::names::dhcp(m, names);
}

}  // namespace expose::io
