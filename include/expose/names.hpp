#pragma once
// Host names: what an address is called, and who said so. Filled from the trace itself (DNS and
// mDNS answers, NetBIOS name service, DHCP host names: io/name_decode.hpp) and from an operator's
// inventory (a CSV file of `address,name` lines). Names are for people: they never change what a
// flow or a rule is (the rule store and `expose-db diff` key on addresses).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "expose/address.hpp"
#include "expose/error.hpp"
#include "expose/flow_key.hpp"

namespace expose {

/// Where a name came from, most trusted first.
enum class name_source : std::uint8_t {
  inventory,  ///< the operator's own file (--names FILE)
  dhcp,       ///< a DHCP client's host name (option 12) for the address it asked for or holds
  netbios,    ///< a NetBIOS name service registration or answer
  mdns,       ///< a multicast DNS answer (a host announcing its own .local name)
  llmnr,      ///< a link-local multicast name resolution answer (a host's own name)
  dns,        ///< a DNS answer (A or AAAA, the name the client asked for, through CNAMEs)
};

[[nodiscard]] inline std::string_view source_name(name_source s) {
  switch (s) {
    case name_source::inventory: return "inventory";
    case name_source::dhcp: return "dhcp";
    case name_source::netbios: return "netbios";
    case name_source::mdns: return "mdns";
    case name_source::llmnr: return "llmnr";
    case name_source::dns: return "dns";
  }
  return "?";
}

/// Every name seen for each address, in the order first seen, at most `max_per_address` of them
/// (a CDN address answers for many names; the first few say enough).
class host_names {
 public:
  struct entry {
    std::string name;
    name_source source;
  };
  static constexpr std::size_t max_per_address = 4;

  /// Records a name for an address; a repeat, an empty name or one past the limit is dropped.
  /// Names are kept as they were written, but compared without case (DNS names have none).
  void add(const ip_address& address, std::string_view name, name_source source) {
    while (!name.empty() && name.back() == '.') name.remove_suffix(1);  // the root label's dot
    if (name.empty() || address == ip_address{} || address == ip_address::v4(0u)) return;  // no address: :: or 0.0.0.0
    auto& list = names_[address];
    const auto same = [&](const entry& e) { return same_name(e.name, name); };
    if (std::any_of(list.begin(), list.end(), same) || list.size() >= max_per_address) return;
    list.push_back({std::string(name), source});
  }

  /// All names of an address, or none.
  [[nodiscard]] const std::vector<entry>& of(const ip_address& address) const {
    static const std::vector<entry> none;
    const auto it = names_.find(address);
    return it == names_.end() ? none : it->second;
  }

  /// The one name to show: the most trusted source's first name; empty when there is none.
  [[nodiscard]] std::string_view best(const ip_address& address) const {
    const auto& list = of(address);
    const entry* pick = nullptr;
    for (const auto& e : list)
      if (pick == nullptr || e.source < pick->source) pick = &e;
    return pick == nullptr ? std::string_view{} : std::string_view(pick->name);
  }

  /// An address as the outputs write it with its name: `name(address)`, or the address alone.
  [[nodiscard]] std::string label(const ip_address& address) const {
    const auto name = best(address);
    return name.empty() ? address.notation() : std::string(name) + "(" + address.notation() + ")";
  }

  [[nodiscard]] std::size_t size() const { return names_.size(); }
  [[nodiscard]] bool empty() const { return names_.empty(); }
  /// Addresses in byte order, each with its names.
  [[nodiscard]] const std::map<ip_address, std::vector<entry>>& all() const { return names_; }

  /// Adds an operator's inventory: a CSV file of `address,name` lines (a header line, blank
  /// lines and `#` comments are skipped; a UTF-8 byte order mark too). The name is the second
  /// field, quoted as CSV quotes (`"web, east"`, `""` for a quote) or up to the next comma; later
  /// columns are not read. Control characters in a name are shown as `?` (a name reaches terminals,
  /// SVG and HTML). Throws bad_argument naming the file and line of the first line that is neither.
  /// An address named twice shows its first name (the others are kept, see `of`): returns a
  /// warning that counts such addresses and names the first (none when every address has one name).
  std::vector<std::string> load_csv(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))  // a directory opens as a stream and reads as nothing
      throw bad_argument("--names: cannot read '" + path.string() + "': it is a directory");
    std::ifstream in(path);
    if (!in) throw bad_argument("--names: cannot read '" + path.string() + "'");
    std::string line;
    bool first = true;  // the first line that is not blank or a comment may be a header
    struct first_name {
      std::size_t line;
      std::string name;
      bool another = false;  // a later line gave it another name
    };
    std::map<ip_address, first_name> named;
    std::size_t twice = 0;  // addresses given another name
    std::string first_twice;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
      if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto text = trim(line);
      if (text.empty() || text.front() == '#') continue;
      const bool header_allowed = std::exchange(first, false);
      const auto comma = text.find(',');
      const auto address = ip_address::parse(trim(text.substr(0, comma)));
      const std::string name = comma == std::string_view::npos ? std::string{} : csv_field(trim(text.substr(comma + 1)));
      if (!address || name.empty()) {
        if (header_allowed && !address) continue;  // a header line such as `address,name`
        throw bad_argument("--names: " + path.string() + ":" + std::to_string(number) + ": expected 'address,name', got '" +
                           std::string(text) + "'");
      }
      add(*address, name, name_source::inventory);
      std::string_view bare = name;  // as add() keeps it: without the root label's dot
      while (!bare.empty() && bare.back() == '.') bare.remove_suffix(1);
      const auto [at, fresh] = named.try_emplace(*address, first_name{number, std::string(bare)});
      if (fresh || same_name(at->second.name, bare) || std::exchange(at->second.another, true)) continue;
      if (twice++ == 0)
        first_twice = address->notation() + " is '" + at->second.name + "' on line " + std::to_string(at->second.line) + " and '" +
                      std::string(bare) + "' on line " + std::to_string(number);
    }
    if (twice == 0) return {};
    return {"--names: " + path.string() + ": " + std::to_string(twice) + (twice == 1 ? " address has" : " addresses have") +
            " another name on a later line; the first name is shown: " + first_twice};
  }

 private:
  static char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
  /// Names are compared without case (DNS names have none).
  static bool same_name(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) { return lower(x) == lower(y); });
  }
  /// The first CSV field of `s`: quoted (`"a, b"`, `""` a quote) or up to the next comma, trimmed,
  /// control characters as `?`.
  static std::string csv_field(std::string_view s) {
    std::string out;
    if (!s.empty() && s.front() == '"') {
      for (std::size_t i = 1; i < s.size(); ++i) {
        if (s[i] != '"') out += s[i];
        else if (i + 1 < s.size() && s[i + 1] == '"') out += s[++i];
        else break;  // the closing quote: what follows is later columns
      }
    } else {
      out = std::string(trim(s.substr(0, s.find(','))));
    }
    for (auto& c : out)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return std::string(trim(out));
  }
  static std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  }
  std::map<ip_address, std::vector<entry>> names_;
};

/// A pattern in the paper's notation with names beside its addresses, `name(address).port`
/// (flow_pattern::text when `names` is null or knows neither address).
[[nodiscard]] inline std::string named_text(const flow_pattern& p, const host_names* names, char var_letter = 'A') {
  if (names == nullptr) return p.text(var_letter);
  const auto host = [&](field f) {
    if (p.at(f) != slot::kept) return p.field_text(f, var_letter);
    return names->label(f == field::src_ip ? p.key.src : p.key.dst);
  };
  return host(field::src_ip) + "." + p.field_text(field::src_port, var_letter) + " : " + host(field::dst_ip) + "." +
         p.field_text(field::dst_port, var_letter) + " : " + p.field_text(field::proto, var_letter);
}

}  // namespace expose
