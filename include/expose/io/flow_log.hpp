#pragma once
// Flow logs as input (component expose::json, for Zeek's JSON logs): Zeek `conn.log` as TSV or as
// JSON lines, and a CSV of connections. Each connection becomes the packets the pipeline would have
// counted: one at its start, from originator to responder, and one at the start of every later
// window it spans, so a connection is active in every window from its first to its last. Give the
// source the pipeline's window width as `step`.
//
// CSV: a header row names the columns, in any order, unknown ones ignored:
//   start   (required) Unix seconds with up to nine decimals, or `YYYY-MM-DD[T ]hh:mm:ss[.frac][Z]` (UTC)
//   end | duration     end time as `start`, or seconds; neither: a one-moment connection
//   src, dst (required) IPv4 or IPv6 address         sport, dport   ports (0 when absent or empty)
//   proto  (required)  tcp, udp, icmp, icmp6, igmp, sctp, gre, esp, ah, ospf, pim, vrrp ... or an IP protocol number
// nfdump's `-o csv` is read as it comes (names ts, te, td, sa, da, sp, dp, pr; its summary
// trailer ignored); its date-times are local time, so run it with TZ=UTC.
// For ICMP the ports are the type and code, as Zeek writes them.
//
// A log may be compressed with gzip (as Zeek archives its logs: conn.00:00:00-01:00:00.log.gz): it
// is inflated with zlib as it is read (component expose::json links zlib). A compressed file that
// ends early or is damaged gives the records before the damage, and a warning (one cut before any
// of its text says so; one empty once inflated is an error); bytes after the last member that
// begin no other member are passed over with a warning, as gzip does. `-` is standard
// input; a pipe this process holds (`-`, a shell's <(zcat ...)) is judged by what waits in it.
//
// CSV is read as RFC 4180 has it: a field in double quotes may hold commas, "" is a quote; a line
// with more or fewer fields than the header is malformed. A byte order mark and '#' lines before
// the header (within the first 64 KiB) are passed over, and so are nfdump's totals.
//
// A line that cannot be read is skipped and counted ("malformed record"), with one warning per
// file naming the first such line; a file that cannot be opened, or lacks a required column, is an
// error naming it.
//
// Logs are written as connections end, so a connection that began long before the others (an ssh
// session of weeks in an hour's log) would make every window since it began, with nothing else in
// them. The others are the connections that began at most `lead` before the earliest end of any
// connection in the logs; one that began more than `lead` before the earliest start of the others is
// counted from that start, with a warning naming the earliest so cut (when every connection began
// that early, none is cut). The records are read whole before any is counted (72 bytes a record).

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expose/address.hpp"
#include "expose/concepts.hpp"
#include "expose/error.hpp"
#include "expose/input.hpp"
#include "expose/io/held_path.hpp"
#include "expose/io/utc_time.hpp"
#include "expose/packet.hpp"

namespace expose::io {

enum class flow_log_format { zeek_tsv, zeek_json, csv };

[[nodiscard]] constexpr std::string_view format_name(flow_log_format f) {
  switch (f) {
    case flow_log_format::zeek_tsv: return "Zeek conn.log (TSV)";
    case flow_log_format::zeek_json: return "Zeek conn.log (JSON)";
    case flow_log_format::csv: return "CSV flows";
  }
  return "flows";
}

struct flow_log_options {
  /// The pipeline's window width: a connection is counted in every window of this width it spans.
  std::chrono::nanoseconds step = std::chrono::seconds(1);
  /// Longer connections are taken for damage and skipped ("implausible duration").
  std::chrono::nanoseconds max_duration = std::chrono::hours(24 * 366);
  /// A connection that began more than this long before the others (those that began at most this
  /// long before the earliest end of any connection in the logs) began before the time the logs
  /// cover: it is counted from the earliest start of the others.
  std::chrono::nanoseconds lead = std::chrono::minutes(5);
  /// Called every few thousand records with (bytes read, bytes in all files).
  std::function<void(std::uint64_t, std::uint64_t)> progress{};
};

namespace detail {

/// Decimal seconds ("1300475167.096535", "-3", "12.5") as nanoseconds, exactly.
[[nodiscard]] inline std::optional<std::int64_t> decimal_seconds(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const bool negative = s.front() == '-';
  if (negative) s.remove_prefix(1);
  const auto dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  if (whole.empty() && frac.empty()) return std::nullopt;
  std::int64_t sec = 0;
  if (!whole.empty()) {
    const auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), sec);
    if (ec != std::errc{} || p != whole.data() + whole.size() || sec > 9'000'000'000LL) return std::nullopt;
  }
  std::int64_t ns = 0;
  for (std::size_t i = 0; i < frac.size(); ++i) {
    if (frac[i] < '0' || frac[i] > '9') return std::nullopt;
    if (i < 9) ns = ns * 10 + (frac[i] - '0');
  }
  for (std::size_t i = frac.size(); i < 9; ++i) ns *= 10;
  const std::int64_t total = sec * 1'000'000'000 + ns;
  return negative ? -total : total;
}

/// `YYYY-MM-DD[T ]hh:mm:ss[.frac][Z]`, UTC, as nanoseconds since the epoch.
[[nodiscard]] inline std::optional<std::int64_t> utc_datetime(std::string_view s) {
  if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  auto num = [&](std::size_t at, std::size_t len) -> int {
    int v = 0;
    const auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + len, v);
    return ec == std::errc{} && p == s.data() + at + len ? v : -1;
  };
  const int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), se = num(17, 2);
  if (y < 1970 || y > 2262 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
    return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{y} / mo / d};
  if (!date.ok()) return std::nullopt;  // 2020-02-31 is no day (it read as 2 March)
  const auto days = std::chrono::sys_days{date}.time_since_epoch().count();
  std::int64_t ns = 0;
  if (s.size() > 19) {
    const auto frac = decimal_seconds(std::string("0") + std::string(s.substr(19)));
    if (!frac || s[19] != '.') return std::nullopt;
    ns = *frac;
  }
  std::int64_t t = 0;
  if (__builtin_mul_overflow((static_cast<std::int64_t>(days) * 24 + h) * 60 + mi, 60'000'000'000LL, &t) ||
      __builtin_add_overflow(t, se * 1'000'000'000LL + ns, &t))
    return std::nullopt;  // past 2262-04-11, beyond int64 nanoseconds
  return t;
}

[[nodiscard]] inline std::optional<std::int64_t> timestamp(std::string_view s) {
  if (auto t = decimal_seconds(s)) return t;
  return utc_datetime(s);
}

[[nodiscard]] inline std::optional<std::uint16_t> port_number(std::string_view s) {
  if (s.empty() || s == "-") return std::uint16_t{0};
  unsigned v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

[[nodiscard]] inline std::optional<std::uint8_t> protocol_number(std::string_view s) {
  std::string lower(s);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // as Zeek and nfdump write them (nfdump: IGMP for multicast joins, seen in every capture with multicast)
  static constexpr std::array<std::pair<std::string_view, std::uint8_t>, 20> names = {{
      {"tcp", 6},  {"udp", 17},  {"icmp", 1},    {"icmp6", 58}, {"ipv6-icmp", 58}, {"sctp", 132}, {"gre", 47},
      {"esp", 50}, {"ah", 51},   {"igmp", 2},    {"ipip", 4},   {"ipv6", 41},      {"rsvp", 46},  {"eigrp", 88},
      {"ospf", 89}, {"pim", 103}, {"vrrp", 112}, {"l2tp", 115}, {"egp", 8},        {"udplite", 136}}};
  for (const auto& [name, n] : names)
    if (lower == name) return n;
  unsigned v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v > 255) return std::nullopt;
  return static_cast<std::uint8_t>(v);
}

[[nodiscard]] inline std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  std::size_t from = 0;
  while (true) {
    const auto at = line.find(sep, from);
    out.push_back(line.substr(from, at == std::string_view::npos ? std::string_view::npos : at - from));
    if (at == std::string_view::npos) return out;
    from = at + 1;
  }
}

/// A CSV line's fields (RFC 4180: a field in double quotes may hold commas, "" in it is a quote;
/// spaces around an unquoted field are dropped, as around a quoted one), or nothing when a quote
/// is not closed or text follows a closing quote.
[[nodiscard]] inline std::optional<std::vector<std::string>> split_csv(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && line[i] == ' ') ++i;
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return std::nullopt;  // not closed (a field over several lines is not a flow record)
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      while (i < line.size() && line[i] == ' ') ++i;
      if (i < line.size() && line[i] != ',') return std::nullopt;
    } else {
      const auto at = line.find(',', i);
      std::string_view v = line.substr(i, at == std::string_view::npos ? std::string_view::npos : at - i);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      field = v;
      i = at == std::string_view::npos ? line.size() : at;
    }
    out.push_back(std::move(field));
    if (i >= line.size()) return out;
    ++i;  // the comma
  }
}

/// `2026-01-05 10:00:03 UTC` of a time in nanoseconds since the epoch, for warnings.
[[nodiscard]] inline std::string log_time_text(std::int64_t ns) { return utc_time_text(utc_nanoseconds(ns), {.zone = true}); }

/// `5 min`, `90 s`, `250 ms` of a duration, for warnings.
[[nodiscard]] inline std::string duration_text(std::chrono::nanoseconds d) {
  const auto ns = d.count();
  if (ns % 60'000'000'000 == 0 && ns != 0) return std::to_string(ns / 60'000'000'000) + " min";
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + " s";
  return std::to_string(ns / 1'000'000) + " ms";
}

/// What log_lines says of compressed data that ends before its member does.
inline constexpr std::string_view ends_early = "the compressed data ends early";

/// A UTF-8 byte order mark, which some programs put before a CSV's header.
inline constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";

/// The scalar members of a JSON object as their text, numbers exactly as written (a double would
/// round Zeek's microsecond times); nested values are passed over.
struct top_level_fields : nlohmann::json_sax<nlohmann::json> {
  std::map<std::string, std::string, std::less<>> fields;
  bool object = false;
  int depth = 0;
  std::string key_;
  void value(std::string text) {
    if (depth == 1) fields[key_] = std::move(text);
  }
  bool null() override { value("-"); return true; }
  bool boolean(bool v) override { value(v ? "true" : "false"); return true; }
  bool number_integer(number_integer_t v) override { value(std::to_string(v)); return true; }
  bool number_unsigned(number_unsigned_t v) override { value(std::to_string(v)); return true; }
  bool number_float(number_float_t, const string_t& s) override { value(s); return true; }
  bool string(string_t& v) override { value(v); return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    if (depth == 0) object = true;
    ++depth;
    return true;
  }
  bool end_object() override { --depth; return true; }
  bool start_array(std::size_t) override { ++depth; return true; }
  bool end_array() override { --depth; return true; }
  bool key(string_t& k) override {
    if (depth == 1) key_ = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
};

/// One connection as a flow log has it.
struct connection {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  ip_address src, dst;
  std::uint16_t sport = 0, dport = 0;
  std::uint8_t proto = 0;
};

/// The fields of a connection as text, from whichever format; empty `end`/`duration` when absent.
struct connection_text {
  std::string_view start, end, duration, src, dst, sport, dport, proto;
};

/// Why a record is skipped, or the connection.
[[nodiscard]] inline std::pair<std::optional<connection>, std::string_view> parse_connection(const connection_text& t,
                                                                                           std::int64_t max_duration_ns) {
  connection c;
  const auto start = timestamp(t.start);
  if (!start) return {std::nullopt, "bad time"};
  c.start_ns = c.end_ns = *start;
  if (!t.end.empty() && t.end != "-") {
    const auto end = timestamp(t.end);
    if (!end) return {std::nullopt, "bad time"};
    c.end_ns = *end;
  } else if (!t.duration.empty() && t.duration != "-") {
    const auto d = decimal_seconds(t.duration);
    if (!d || __builtin_add_overflow(c.start_ns, *d, &c.end_ns)) return {std::nullopt, "bad duration"};
  }
  if (c.end_ns < c.start_ns) return {std::nullopt, "ends before it starts"};
  if (c.end_ns - c.start_ns > max_duration_ns) return {std::nullopt, "implausible duration"};
  const auto src = ip_address::parse(t.src), dst = ip_address::parse(t.dst);
  if (!src || !dst) return {std::nullopt, "bad address"};
  c.src = *src;
  c.dst = *dst;
  const auto sport = port_number(t.sport), dport = port_number(t.dport);
  if (!sport || !dport) return {std::nullopt, "bad port"};
  c.sport = *sport;
  c.dport = *dport;
  const auto proto = protocol_number(t.proto);
  if (!proto) return {std::nullopt, "bad protocol"};
  c.proto = *proto;
  if (c.proto == expose::proto::icmp && !(c.src.is_v4() && c.dst.is_v4())) c.proto = expose::proto::icmp6;  // Zeek says icmp for both
  return {c, {}};
}

/// The packets that make `c` active in every window of width `step_ns` it spans.
/// `knows_originator`: the log says who opened the connection (Zeek), so the first packet says so
/// too; otherwise (CSV, often one record per direction) the ports decide, as for a capture.
template <class Sink>
void emit(const connection& c, std::int64_t step_ns, bool knows_originator, Sink& sink) {
  packet p;
  p.src = c.src;
  p.dst = c.dst;
  p.proto = c.proto;
  if (c.proto == expose::proto::icmp || c.proto == expose::proto::icmp6) {
    if (c.sport == 0 && c.dport > 255) {  // nfdump: source port 0, destination port type * 256 + code
      p.icmp_type = static_cast<std::uint8_t>(c.dport >> 8);
      p.icmp_code = static_cast<std::uint8_t>(c.dport & 0xff);
    } else {  // Zeek: type and code in the port fields
      p.icmp_type = static_cast<std::uint8_t>(c.sport);
      p.icmp_code = static_cast<std::uint8_t>(c.dport);
    }
  } else {
    p.sport = c.sport;
    p.dport = c.dport;
  }
  p.tcp_flags = c.proto == expose::proto::tcp && knows_originator ? tcp_flag::syn : std::uint8_t{0};
  p.ts_ns = c.start_ns;
  sink(std::as_const(p));
  p.tcp_flags = 0;
  std::int64_t window = c.start_ns / step_ns;
  if (c.start_ns % step_ns != 0 && c.start_ns < 0) --window;
  for (std::int64_t t = (window + 1) * step_ns; t <= c.end_ns; t += step_ns) {
    p.ts_ns = t;
    sink(std::as_const(p));
  }
}

}  // namespace detail

/// What a file holds, judged by its first bytes (`head`, up to 64 KiB): a flow log format, or nothing
/// (a capture, something compressed, or unknown). A byte order mark, and '#' lines before a CSV's
/// header, are passed over.
[[nodiscard]] inline std::optional<flow_log_format> sniff_flow_log_head(std::string_view h) {
  static constexpr std::array<std::string_view, 6> binary_magic = {
      std::string_view("\xd4\xc3\xb2\xa1", 4), std::string_view("\xa1\xb2\xc3\xd4", 4), std::string_view("\x4d\x3c\xb2\xa1", 4),
      std::string_view("\xa1\xb2\x3c\x4d", 4), std::string_view("\x0a\x0d\x0d\x0a", 4), std::string_view("\x1f\x8b", 2)};
  for (const auto m : binary_magic)
    if (h.starts_with(m)) return std::nullopt;
  if (h.starts_with(detail::byte_order_mark)) h.remove_prefix(detail::byte_order_mark.size());
  if (h.starts_with("#separator")) return flow_log_format::zeek_tsv;
  const auto first = h.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && h[first] == '{') return flow_log_format::zeek_json;
  // CSV: the first line that is neither empty nor a '#' comment (as far as the head goes) has a comma
  while (!h.empty()) {
    const auto eol = h.find('\n');
    std::string_view line = h.substr(0, eol);
    h.remove_prefix(eol == std::string_view::npos ? h.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const bool printable = std::ranges::all_of(line, [](char c) { return c == '\t' || (c >= 0x20 && c < 0x7f); });
    if (printable && line.find(',') != std::string_view::npos) return flow_log_format::csv;
    return std::nullopt;
  }
  return std::nullopt;
}

/// A file's text line by line, read once: plain, or compressed with gzip (one member or several,
/// as `cat a.gz b.gz` makes them), inflated with zlib as it is read; never re-opened or sought, so
/// its first bytes are judged from what is read anyway. At damage in the compressed data (cut
/// short, a bad check value) every byte inflated before it is kept. Zero bytes after the last
/// member are passed over, and so is anything else there that does not begin another member, as
/// gzip does ("trailing garbage ignored"): `trailing()` says where it begins.
class log_lines {
 public:
  static constexpr std::size_t head_size = 65536;

  /// Opens `path` (`-`: standard input) and reads its first `head_size` bytes of text (fewer when
  /// it is shorter). Throws bad_trace naming the file when it cannot be opened.
  explicit log_lines(const std::filesystem::path& path) : name_(path.string()) {
    fd_ = name_ == "-" ? ::dup(STDIN_FILENO) : ::open(name_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw bad_trace("cannot read '" + name_ + "': " + std::strerror(errno));
    in_.resize(1 << 16);
    // gzip or not, by its first two bytes
    while (in_end_ < 2 && read_in()) {
    }
    gzip_ = in_end_ >= 2 && in_[0] == 0x1f && in_[1] == 0x8b;
    raw_ += in_end_;
    if (gzip_) {
      z_.next_in = in_.data();
      z_.avail_in = static_cast<uInt>(in_end_);
      if (::inflateInit2(&z_, 15 + 16) != Z_OK) {
        ::close(fd_);  // the destructor does not run for a constructor that throws
        throw bad_trace("cannot read '" + name_ + "': zlib cannot start");
      }
      inflating_ = true;
    } else {
      buf_.assign(reinterpret_cast<const char*>(in_.data()), in_end_);
    }
    while (buf_.size() < head_size && fill()) {
    }
  }
  log_lines(const log_lines&) = delete;
  log_lines& operator=(const log_lines&) = delete;
  ~log_lines() {
    if (inflating_) ::inflateEnd(&z_);
    if (fd_ >= 0) ::close(fd_);
  }

  /// The first bytes of the text (inflated), as far as `head_size`.
  [[nodiscard]] std::string_view head() const { return std::string_view(buf_).substr(0, head_size); }
  /// The file is compressed with gzip.
  [[nodiscard]] bool compressed() const { return gzip_; }
  /// Bytes of the file read so far (compressed bytes for a compressed file), for progress.
  [[nodiscard]] std::uint64_t offset() const { return raw_ - (gzip_ ? z_.avail_in : 0); }
  /// What stopped the reading before the end (the compressed data cut short or damaged, a read
  /// error), or empty.
  [[nodiscard]] const std::string& damage() const { return damage_; }
  /// The byte of the file where bytes that are neither zeros nor another member begin after the
  /// last member of a compressed file (passed over, as gzip does), or nothing.
  [[nodiscard]] std::optional<std::uint64_t> trailing() const { return trailing_; }

  /// The next line, without its line ending; false at the end (or at damage).
  bool next(std::string& line) {
    for (;;) {
      const auto eol = buf_.find('\n', pos_);
      if (eol != std::string::npos) {
        line.assign(buf_, pos_, eol - pos_);
        pos_ = eol + 1;
        return true;
      }
      if (done_) {
        if (pos_ >= buf_.size() || !damage_.empty()) return false;  // a line cut by damage is not read
        line.assign(buf_, pos_);  // a last line without its line ending
        pos_ = buf_.size();
        return true;
      }
      buf_.erase(0, pos_);
      pos_ = 0;
      fill();
    }
  }

 private:
  /// Reads the next piece of the file into `in_` after what is there; false at its end or at a
  /// read error (said as damage).
  bool read_in() {
    if (in_end_ == in_.size()) return true;
    const ssize_t n = ::read(fd_, in_.data() + in_end_, in_.size() - in_end_);
    if (n < 0 && errno == EINTR) return true;
    if (n < 0) damage_ = std::string("read error: ") + std::strerror(errno);
    if (n <= 0) return false;
    in_end_ += static_cast<std::size_t>(n);
    return true;
  }

  /// Adds the next piece of text to the buffer; false at the end or at damage.
  bool fill() {
    if (done_) return false;
    const std::size_t at = buf_.size();
    if (!gzip_) {
      in_end_ = 0;
      const bool more = read_in();
      buf_.append(reinterpret_cast<const char*>(in_.data()), in_end_);
      raw_ += in_end_;
      if (!more || in_end_ == 0) done_ = true;
      return !done_;
    }
    buf_.resize(at + (1 << 16));
    z_.next_out = reinterpret_cast<Bytef*>(buf_.data() + at);
    z_.avail_out = 1 << 16;
    while (z_.avail_out == (1 << 16)) {  // until some text comes, or the end
      if (z_.avail_in == 0) {
        in_end_ = 0;
        const bool more = read_in();
        raw_ += in_end_;
        z_.next_in = in_.data();
        z_.avail_in = static_cast<uInt>(in_end_);
        if (in_end_ == 0) {
          if (!more && damage_.empty() && !member_ended_) damage_ = std::string(detail::ends_early);  // cut short: what came before is whole
          done_ = true;
          break;
        }
      }
      if (member_ended_) {  // another member follows (gzip files concatenated), or zero bytes (gzip passes those at the end over)
        while (z_.avail_in > 0 && *z_.next_in == 0) {
          ++z_.next_in;
          --z_.avail_in;
        }
        if (z_.avail_in == 0) continue;
        if (z_.avail_in == 1) {  // a member's first two bytes may lie on both sides of a read
          in_[0] = *z_.next_in;
          in_end_ = 1;
          const auto before = in_end_;
          while (in_end_ < 2 && read_in()) {
          }
          raw_ += in_end_ - before;
          z_.next_in = in_.data();
          z_.avail_in = static_cast<uInt>(in_end_);
        }
        if (z_.avail_in < 2 || z_.next_in[0] != 0x1f || z_.next_in[1] != 0x8b) {
          // not another member: what follows the compressed data is passed over, as gzip passes
          // "trailing garbage" over (it warns, and decompresses the file whole)
          trailing_ = raw_ - z_.avail_in;
          done_ = true;
          break;
        }
        ::inflateReset(&z_);
        member_ended_ = false;
      }
      const int rc = ::inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_ended_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        // not cut short but damaged: a check value that fails says only that the member holds damage
        // somewhere, so what was read of it may hold it too
        damage_ = std::string(z_.msg != nullptr ? z_.msg : "the compressed data is damaged") +
                  "; what was read of the compressed data before may hold the damage too";
        done_ = true;
        break;
      }
    }
    buf_.resize(at + ((1 << 16) - z_.avail_out));  // what was inflated, before any damage too
    return buf_.size() > at || !done_;
  }

  std::string name_;
  int fd_ = -1;
  std::vector<unsigned char> in_;
  std::size_t in_end_ = 0;
  std::uint64_t raw_ = 0;  // bytes of the file read
  bool gzip_ = false;
  bool inflating_ = false;
  bool member_ended_ = false;
  z_stream z_{};
  std::string buf_;
  std::size_t pos_ = 0;
  bool done_ = false;
  std::string damage_;
  std::optional<std::uint64_t> trailing_;
};

namespace detail {
/// The first bytes waiting in a pipe (`fd`), read without taking them (tee(2) copies them into a
/// pipe of our own), so that whoever reads the pipe next reads it from its start. Waits for a
/// whole first line, `want` bytes or the writer's end, at most about two seconds once the first
/// bytes came; empty when the writer ends without writing or `fd` is not a pipe.
[[nodiscard]] inline std::string peek_pipe(int fd, std::size_t want) {
  int copy[2];
  if (::pipe(copy) != 0) return {};
  ::fcntl(copy[1], F_SETPIPE_SZ, static_cast<int>(want));  // room for `want` bytes (a pipe holds 64 KiB by default)
  std::string head;
  for (int round = 0; round < 100; ++round) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, round == 0 ? -1 : 20) < 0) break;  // the first time, wait for the writer as a read would
    const ssize_t n = ::tee(fd, copy[1], want, SPLICE_F_NONBLOCK);
    if (n <= 0) break;  // nothing written, or not a pipe
    head.resize(static_cast<std::size_t>(n));
    ssize_t got = 0;
    while (got < n) {
      const ssize_t r = ::read(copy[0], head.data() + got, static_cast<std::size_t>(n - got));
      if (r <= 0) break;
      got += r;
    }
    head.resize(static_cast<std::size_t>(got));
    if (head.size() >= want || head.find('\n') != std::string::npos || (p.revents & POLLHUP) != 0) break;
  }
  ::close(copy[0]);
  ::close(copy[1]);
  return head;
}
}  // namespace detail

/// What a file holds, judged by its first 64 KiB (decompressed, when it is compressed with gzip).
/// A pipe this process holds (`-`, a shell's <(zcat ...)) is judged by what waits in it, which is
/// left there for the reader. A named FIFO is not opened (opening it, and closing it, could leave
/// its writer without a reader): it is taken for no flow log.
[[nodiscard]] inline std::optional<flow_log_format> sniff_flow_log(const std::filesystem::path& path) {
  if (const int held = held_pipe(path); held >= 0) {
    const auto head = detail::peek_pipe(held, log_lines::head_size);
    if (head.starts_with("\x1f\x8b")) return std::nullopt;  // compressed in a pipe: its text cannot be judged unread
    return sniff_flow_log_head(head);
  }
  std::error_code ec;
  if (std::filesystem::is_fifo(path, ec)) return std::nullopt;
  try {
    // a file as standard input (`- < conn.log`) is opened again to be judged, from its start
    return sniff_flow_log_head(log_lines(path == "-" ? std::filesystem::path("/dev/stdin") : path).head());
  } catch (const bad_trace&) {
    return std::nullopt;  // cannot be opened: the reader that takes it names why
  }
}

/// A file compressed with gzip that holds no text once inflated: cut short or damaged before any,
/// or empty. Its kind cannot be told, and only flow_logs reads compressed files: given to it, it is
/// named as what it is (cut short: a warning and damage; empty: an error). A pipe is not read to
/// be judged (a log compressed in a pipe is named by the capture reader): false.
[[nodiscard]] inline bool compressed_without_text(const std::filesystem::path& path) {
  std::error_code ec;
  if (held_pipe(path) >= 0 || std::filesystem::is_fifo(path, ec)) return false;
  const auto file = path == "-" ? std::filesystem::path("/dev/stdin") : path;
  try {
    unsigned char magic[2] = {};
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool gzip = ::read(fd, magic, 2) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    ::close(fd);
    if (!gzip) return false;  // a plain file is not read whole to be judged
    const log_lines in(file);
    return in.compressed() && in.head().empty();
  } catch (const bad_trace&) {
    return false;  // cannot be opened: the reader that takes it names why
  }
}

/// One or more flow logs read one after the other (the pipeline does not need them in time order).
class flow_logs {
 public:
  using options = flow_log_options;

  explicit flow_logs(std::vector<std::filesystem::path> paths, options opt = {}) : paths_(std::move(paths)), opt_(opt) {
    if (paths_.empty()) throw bad_argument("flow_logs: no input file given");
    if (opt_.step.count() <= 0) throw bad_argument("flow_logs: the step (window width) must be positive");
  }

  template <class Sink>
  void read(Sink&& sink, input_stats& stats) {
    stats.record = "connection record";
    for (const auto& path : paths_) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(path, ec);
      if (!ec) total_ += size;
    }
    std::vector<held> records;
    for (std::size_t i = 0; i < paths_.size(); ++i) read_one(i, records, stats);
    if (opt_.progress) opt_.progress(total_, total_);
    count_all(records, sink, stats);
  }

 private:
  struct file_state {
    std::string name;
    std::uint64_t line = 0;
    std::uint64_t malformed = 0;
    std::uint64_t first_bad_line = 0;
    std::string first_bad_reason;
  };
  /// A connection read, before it is counted: where it came from, and whether its log says who
  /// opened it (Zeek does; a CSV, often one record per direction, leaves it to the ports).
  struct held {
    detail::connection c;
    std::uint64_t line = 0;
    std::uint32_t file = 0;
    bool knows_originator = false;
  };

  /// Every connection read becomes its packets. The others (O) are those that began at most `lead`
  /// before the earliest end of any connection in the logs; one that began more than `lead` before
  /// the earliest start of O (S) began before the logs see the network, and is counted from S, where
  /// their activity begins (or from its end, when it ended before S). When O is empty (every connection began so early) the logs say nothing
  /// of where they begin, and none is cut.
  template <class Sink>
  void count_all(const std::vector<held>& records, Sink& sink, input_stats& stats) const {
    if (records.empty()) return;
    const auto before = [](std::int64_t t, std::int64_t d) {
      std::int64_t out = 0;
      return __builtin_sub_overflow(t, d, &out) ? std::numeric_limits<std::int64_t>::min() : out;
    };
    std::int64_t earliest_end = records.front().c.end_ns;
    for (const auto& r : records) earliest_end = std::min(earliest_end, r.c.end_ns);
    const std::int64_t near_the_end = before(earliest_end, opt_.lead.count());
    std::optional<std::int64_t> from;  // S
    for (const auto& r : records)
      if (r.c.start_ns >= near_the_end) from = std::min(from.value_or(r.c.start_ns), r.c.start_ns);
    const std::int64_t cut_below = from ? before(*from, opt_.lead.count()) : std::numeric_limits<std::int64_t>::min();
    std::uint64_t cut = 0;
    const held* earliest = nullptr;  // the cut connection that began first (the first read of those that began alike)
    for (const auto& r : records) {
      if (r.c.start_ns >= cut_below) {
        detail::emit(r.c, opt_.step.count(), r.knows_originator, sink);
        continue;
      }
      ++cut;
      if (earliest == nullptr || r.c.start_ns < earliest->c.start_ns) earliest = &r;
      detail::connection c = r.c;
      c.start_ns = std::min(*from, c.end_ns);  // never after its own end (one that ended before the others began: a moment)
      detail::emit(c, opt_.step.count(), r.knows_originator, sink);
    }
    if (cut != 0)
      stats.warnings.push_back(std::to_string(cut) + " connection(s) began more than " + detail::duration_text(opt_.lead) +
                               " before the others (" + detail::log_time_text(*from) + ", the earliest start of those that began at most " +
                               detail::duration_text(opt_.lead) + " before the earliest end of any connection in the logs, " +
                               detail::log_time_text(earliest_end) + "), before the logs see the network: each is counted from then on (one that " +
                               "ended before, at its end); " +
                               "the earliest is on line " + std::to_string(earliest->line) + " of '" + paths_[earliest->file].string() +
                               "' (began " + detail::log_time_text(earliest->c.start_ns) + ")");
  }

  void read_one(std::size_t file, std::vector<held>& records, input_stats& stats) {
    const auto& path = paths_[file];
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw bad_trace("cannot read '" + path.string() + "': it is a directory");
    log_lines in(path);
    if (in.compressed() && in.head().empty()) {
      // no text to judge: said as what it is, not as a file of another kind
      if (in.damage().empty()) throw bad_trace("cannot read '" + path.string() + "': compressed with gzip, and empty once decompressed");
      stats.damaged = true;
      stats.warnings.push_back("'" + path.string() + "' is compressed with gzip and " +
                               (in.damage() == detail::ends_early ? std::string("cut short") : "damaged") + " before any of its text (" +
                               in.damage() + "): nothing of it is read");
      return;
    }
    const auto format = sniff_flow_log_head(in.head());
    if (!format)
      throw bad_trace("cannot read '" + path.string() + "': not a Zeek conn.log (TSV or JSON) nor a CSV of flows" +
                      (in.compressed() ? " (once decompressed)" : ""));
    file_state f;
    f.name = path.string();
    auto take = [&](const detail::connection_text& t) {
      if (opt_.progress && (stats.packets & 4095) == 0) opt_.progress(done_ + in.offset(), total_);
      ++stats.packets;
      const auto [c, why] = detail::parse_connection(t, opt_.max_duration.count());
      if (!c) return bad(f, stats, why);
      ++stats.decoded;
      records.push_back(held{*c, f.line, static_cast<std::uint32_t>(file), *format != flow_log_format::csv});
    };
    switch (*format) {
      case flow_log_format::zeek_tsv: read_zeek_tsv(in, f, stats, take); break;
      case flow_log_format::zeek_json: read_zeek_json(in, f, stats, take); break;
      case flow_log_format::csv: read_csv(in, f, stats, take); break;
    }
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) done_ += size;
    if (f.malformed != 0)
      stats.warnings.push_back("'" + f.name + "': " + std::to_string(f.malformed) + " malformed record(s) skipped, the first on line " +
                               std::to_string(f.first_bad_line) + " (" + f.first_bad_reason + ")");
    if (const auto at = in.trailing())
      stats.warnings.push_back("'" + f.name + "': what follows its compressed data, from byte " + std::to_string(*at) +
                               " on, is not compressed data: passed over, as gzip does (\"trailing garbage ignored\")");
    if (!in.damage().empty()) {
      stats.damaged = true;
      stats.warnings.push_back("'" + f.name + "' is damaged after line " + std::to_string(f.line) + " (" + in.damage() +
                               "): the records before it are read");
    }
  }

  /// The next line of `in` (its line ending and, on the first line, a byte order mark dropped).
  static bool next_line(log_lines& in, file_state& f, std::string& line) {
    if (!in.next(line)) return false;
    if (++f.line == 1 && line.starts_with(detail::byte_order_mark)) line.erase(0, detail::byte_order_mark.size());
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }

  static void bad(file_state& f, input_stats& stats, std::string_view why) {
    ++stats.skipped["malformed record"];
    if (f.malformed++ == 0) {
      f.first_bad_line = f.line;
      f.first_bad_reason = std::string(why);
    }
  }
  static void bad_line(file_state& f, input_stats& stats, std::string_view why) {
    ++stats.packets;
    bad(f, stats, why);
  }

  template <class Take>
  void read_zeek_tsv(log_lines& in, file_state& f, input_stats& stats, Take& take) {
    char sep = '\t';
    std::vector<std::string> fields;
    std::array<std::size_t, 8> col{};
    bool have_fields = false;
    std::string line;
    while (next_line(in, f, line)) {
      if (line.empty()) continue;
      if (line.front() == '#') {
        if (line.starts_with("#separator ")) {
          const std::string_view v = std::string_view(line).substr(11);
          unsigned code = 0;
          if (v.size() == 4 && v.starts_with("\\x") && std::from_chars(v.data() + 2, v.data() + 4, code, 16).ptr == v.data() + 4)
            sep = static_cast<char>(code);
          else if (v.size() == 1)
            sep = v.front();
          else
            throw bad_trace("'" + f.name + "' line " + std::to_string(f.line) + ": a #separator that is neither one character nor \\xHH");
        } else if (line.starts_with("#fields")) {
          const auto names = detail::split(line, sep);
          fields.assign(names.begin() + 1, names.end());
          col = columns(f, fields, {"ts", "", "duration?", "id.orig_h", "id.resp_h", "id.orig_p", "id.resp_p", "proto"});
          have_fields = true;
        }
        continue;
      }
      if (!have_fields) throw bad_trace("'" + f.name + "' line " + std::to_string(f.line) + ": a record before the #fields line");
      const auto v = detail::split(line, sep);
      if (v.size() != fields.size()) {
        bad_line(f, stats, "wrong number of fields");
        continue;
      }
      auto at = [&](std::size_t i) { return col[i] == npos ? std::string_view{} : v[col[i]]; };
      take(detail::connection_text{at(0), {}, at(2), at(3), at(4), at(5), at(6), at(7)});
    }
  }

  template <class Take>
  void read_zeek_json(log_lines& in, file_state& f, input_stats& stats, Take& take) {
    std::string line;
    while (next_line(in, f, line)) {
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      detail::top_level_fields j;
      if (!nlohmann::json::sax_parse(line, &j, nlohmann::json::input_format_t::json, true) || !j.object) {  // strict: nothing after it
        bad_line(f, stats, "not a JSON object");
        continue;
      }
      std::array<std::string, 8> text;
      const std::array<const char*, 8> names = {"ts", "", "duration", "id.orig_h", "id.resp_h", "id.orig_p", "id.resp_p", "proto"};
      bool missing = false;
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i][0] == '\0') continue;
        const auto it = j.fields.find(names[i]);
        if (it != j.fields.end()) text[i] = it->second;
        else if (i != 2) missing = true;  // duration is left out for connections without one
      }
      if (missing) {
        bad_line(f, stats, "a required field is missing");
        continue;
      }
      take(detail::connection_text{text[0], {}, text[2], text[3], text[4], text[5], text[6], text[7]});
    }
  }

  template <class Take>
  void read_csv(log_lines& in, file_state& f, input_stats& stats, Take& take) {
    std::string line;
    std::vector<std::string> header;
    std::string first_header;  // as written
    int summary = 0;  // within nfdump's trailer: after "Summary" (1), after its header (2)
    std::array<std::size_t, 8> col{};
    while (next_line(in, f, line)) {
      if (line.empty() || line.front() == '#' || line == "No matching flows") continue;  // nfdump says so when a filter takes nothing
      // nfdump's trailer, totals not flows: "Summary", a header "flows,bytes,...", a line of totals;
      // what follows is read on (the output of another nfdump run, concatenated)
      if (line == "Summary") {
        summary = 1;
        continue;
      }
      if (summary == 1 && line.starts_with("flows,")) {
        summary = 2;
        continue;
      }
      if (std::exchange(summary, 0) == 2) continue;
      if (!header.empty() && line == first_header) continue;  // the header again: logs concatenated
      auto v = detail::split_csv(line);
      if (header.empty()) {
        if (!v) throw bad_trace("'" + f.name + "' line " + std::to_string(f.line) + ": the header has a quote that is not closed");
        first_header = line;
        for (auto& n : *v) {
          std::ranges::transform(n, n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
          header.push_back(n);
        }
        for (const auto& [ours, nfdump] : {std::pair{"start", "ts"}, {"end", "te"}, {"duration", "td"}, {"src", "sa"},
                                           {"dst", "da"}, {"sport", "sp"}, {"dport", "dp"}, {"proto", "pr"}})
          std::ranges::replace(header, std::string(nfdump), std::string(ours));
        col = columns(f, header, {"start", "end?", "duration?", "src", "dst", "sport?", "dport?", "proto"});
        continue;
      }
      if (!v) {
        bad_line(f, stats, "a quote that is not closed, or text after one");
        continue;
      }
      if (v->size() != header.size()) {
        bad_line(f, stats, v->size() < header.size() ? "too few fields" : "too many fields");
        continue;
      }
      auto at = [&](std::size_t i) -> std::string_view { return col[i] == npos ? std::string_view{} : std::string_view((*v)[col[i]]); };
      take(detail::connection_text{at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)});
    }
  }

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  /// Where each wanted column is; a name ending in '?' is optional, an empty one unused.
  static std::array<std::size_t, 8> columns(const file_state& f, const std::vector<std::string>& have,
                                            const std::array<std::string_view, 8>& want) {
    std::array<std::size_t, 8> at{};
    for (std::size_t i = 0; i < want.size(); ++i) {
      at[i] = npos;
      std::string_view name = want[i];
      if (name.empty()) continue;
      const bool optional = name.ends_with('?');
      if (optional) name.remove_suffix(1);
      const auto it = std::ranges::find(have, name);
      if (it != have.end()) at[i] = static_cast<std::size_t>(it - have.begin());
      else if (!optional) throw bad_trace("'" + f.name + "': no '" + std::string(name) + "' column");
    }
    return at;
  }

  std::vector<std::filesystem::path> paths_;
  options opt_;
  std::uint64_t total_ = 0;
  std::uint64_t done_ = 0;
};

static_assert(PacketSource<flow_logs>);

}  // namespace expose::io
