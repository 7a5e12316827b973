#pragma once
// Helpers the reference tools share: durations as operators write them, progress on a terminal.

#if defined(__GLIBC__) && __has_include(<malloc.h>)
#include <malloc.h>
#endif
#include <sys/auxv.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expose/clusters/join.hpp"
#include "expose/io/utc_time.hpp"

namespace expose_tools {

/// Whether CLI11 refused an option's value (out of its range, not one of its choices, not a number
/// of its kind), not the command line itself (an unknown option, a missing one, a value missing).
inline bool value_refused(const CLI::ParseError& e) {
  return dynamic_cast<const CLI::ValidationError*>(&e) != nullptr || dynamic_cast<const CLI::ConversionError*>(&e) != nullptr;
}
/// The exit status of a command line CLI11 refused, after saying why (app.exit): 0 for --help and
/// --version; 1 for a wrong value, as the tools say of the values they read themselves; 2 else.
inline int refused_status(const CLI::App& app, const CLI::ParseError& e) {
  if (app.exit(e) == 0) return 0;
  return value_refused(e) ? 1 : 2;
}

/// Large blocks (a flow table, an activity matrix) straight from the system and back to it when
/// freed. glibc raises its mmap threshold after the first large free and then keeps such blocks
/// in its heap, where the holes they leave are not given back: on the 6-hour, 2000-host trace the
/// peak was 254 MB where 153 MB were in use (with this: 223 MB).
inline void return_large_blocks() {
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}

/// Starts the tool again, once, with glibc's malloc placing its large blocks on transparent huge
/// pages (the tunable glibc.malloc.hugetlb=1, which glibc reads only when a program starts), where
/// the kernel gives huge pages only to memory that asks for them (transparent_hugepage: madvise,
/// Debian's default). A run faults its memory in 2 MiB at a time instead of 4 KiB: on the 6-hour,
/// 2000-host trace expose-mine took 5.1 s instead of 6.4 (system time 1.05 s instead of 1.8) for
/// 3 % more peak memory. Nothing happens where the choice is made already (GLIBC_TUNABLES names
/// it), where the kernel gives huge pages always or never, for a program with raised privileges
/// (glibc ignores the tunable there), with EXPOSE_HUGE_PAGES=0 (under a debugger, say), or when
/// the program was started again already (EXPOSE_HUGE_PAGES=restarted marks it); when it cannot
/// be started again it goes on as it is. Call it first in main, before any thread (or MPI) starts.
inline void restart_with_huge_pages([[maybe_unused]] char** argv) {
#if defined(__GLIBC__) && defined(__linux__)
  if (const char* mark = std::getenv("EXPOSE_HUGE_PAGES"); mark != nullptr && (std::strcmp(mark, "0") == 0 || std::strcmp(mark, "restarted") == 0)) return;
  if (getauxval(AT_SECURE) != 0) return;
  const char* given = std::getenv("GLIBC_TUNABLES");
  if (given != nullptr && std::strstr(given, "glibc.malloc.hugetlb") != nullptr) return;
  const std::optional<std::string> tunables = given != nullptr ? std::optional<std::string>(given) : std::nullopt;
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  if (!std::getline(thp, modes) || modes.find("[madvise]") == std::string::npos) return;
  const std::string value = (tunables && !tunables->empty() ? *tunables + ":" : std::string()) + "glibc.malloc.hugetlb=1";
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0 || setenv("EXPOSE_HUGE_PAGES", "restarted", 1) != 0) return;
  // The program's own path, so that it keeps its name (ps, pkill); /proc/self/exe where unknown.
  char self[4096];
  const auto len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len > 0) {
    self[len] = '\0';
    execv(self, argv);
  }
  execv("/proc/self/exe", argv);
  // not started again: go on without
  unsetenv("EXPOSE_HUGE_PAGES");
  if (tunables) setenv("GLIBC_TUNABLES", tunables->c_str(), 1);
  else unsetenv("GLIBC_TUNABLES");
#endif
}

/// A leading number and the unit after it ("250ms" -> 250, "ms"); nullopt without a number.
inline std::optional<std::pair<double, std::string>> number_and_unit(const std::string& text) {
  std::size_t used = 0;
  try {
    const double value = std::stod(text, &used);
    return std::pair{value, text.substr(used)};
  } catch (...) {
    return std::nullopt;
  }
}

/// "1s", "250ms", "2m", "1h", "1d", "500us", or plain seconds ("0.5"); nullopt when malformed or not positive.
inline std::optional<std::chrono::nanoseconds> parse_duration(const std::string& text) {
  const auto parsed = number_and_unit(text);
  if (!parsed) return std::nullopt;
  const auto& [value, unit] = *parsed;
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1e9;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "us") scale = 1e3;
  else if (unit == "ns") scale = 1;
  else if (unit == "m" || unit == "min") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  else if (unit == "d") scale = 86400e9;
  else return std::nullopt;
  const double ns = value * scale;
  if (!(ns >= 1) || !std::isfinite(ns) || ns > 1e18) return std::nullopt;
  return std::chrono::nanoseconds{static_cast<std::int64_t>(std::llround(ns))};
}

/// "4G", "512M", "100k" (powers of 1024) or plain bytes; nullopt when malformed.
inline std::optional<std::uint64_t> parse_size(const std::string& text) {
  const auto parsed = number_and_unit(text);
  if (!parsed) return std::nullopt;
  const double value = parsed->first;
  std::string unit = parsed->second;
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (unit.size() == 2 && (unit[1] == 'i' || unit[1] == 'I')) unit.pop_back();  // GiB, MiB
  double scale = 0;
  if (unit.empty()) scale = 1;
  else if (unit == "k" || unit == "K") scale = 1024.0;
  else if (unit == "m" || unit == "M") scale = 1024.0 * 1024;
  else if (unit == "g" || unit == "G") scale = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "T") scale = 1024.0 * 1024 * 1024 * 1024;
  else return std::nullopt;
  const double bytes = value * scale;
  if (!(bytes >= 0) || !std::isfinite(bytes) || bytes > 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(std::llround(bytes));
}

/// The columns `s` takes on a terminal: its UTF-8 characters (a name such as "Zürich" is 6, not 7
/// bytes' worth; wide characters count one).
inline std::size_t text_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

/// `s` and the spaces that make it `width` columns wide (none when it is wider).
inline std::string padded(std::string_view s, std::size_t width) {
  const auto w = text_width(s);
  return std::string(s) + std::string(w < width ? width - w : 0, ' ');
}

/// What is wrong with a site's or a run's name, or empty: a name is one line of text, without a
/// control character (a newline broke `expose-db list`'s table) or spaces around it (" day1 " was
/// stored as another run than "day1").
inline std::string name_problem(const std::string& name) {
  if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return "the name holds a control character (a newline, a tab): a name is one line of text";
  if (!name.empty() && (name.front() == ' ' || name.back() == ' ')) return "the name begins or ends with a space";
  return {};
}

/// A time in seconds since the Unix epoch as `2026-01-05 10:00:00` (UTC).
inline std::string utc(double seconds) { return expose::io::utc_time_text(expose::io::utc_second(seconds)); }

/// The same as ISO 8601, `2026-01-05T10:00:00Z`: a run's default name in a rule database.
inline std::string iso_utc(double seconds) {
  std::string t = utc(seconds);
  t[10] = 'T';
  return t + "Z";
}

/// `--cluster-join`: its help and the joins each value names (all, views, instances, none).
inline constexpr const char* cluster_join_help =
    "join clusters that are pieces of one pattern: all (views: a finer cluster of another's generic items; "
    "instances: clusters around one host with flows to one port), views, instances, or none";
inline expose::clusters::join_options cluster_join_named(const std::string& name) {
  return {.views = name == "all" || name == "views", .instances = name == "all" || name == "instances"};
}

/// Half of this machine's physical memory (the tools' default memory limit).
inline std::uint64_t half_of_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) / 2 : 0;
}

/// After a failed run: removes those of the output files (-o, --report) that are still empty. The
/// tools open them before the work, so that a path that cannot be written is said at once; a failed
/// run would otherwise leave an empty file that reads as a run with no rule. Empty paths (an option
/// not given) and files that hold anything are left alone. The streams writing them must be closed.
inline void remove_empty_files(std::initializer_list<std::string> paths) {
  for (const auto& path : paths) {
    std::error_code ec;
    if (!path.empty() && std::filesystem::file_size(path, ec) == 0 && !ec) std::filesystem::remove(path, ec);
  }
}

/// Whether two paths name one file: where both exist, the same file however spelled (a link, a
/// relative path); else the same path once absolute and normal. A device both name (-o /dev/null
/// --truth /dev/null) is not one file here: writing it twice spoils nothing.
inline bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path pa(a), pb(b);
  if (fs::exists(pa, ec) && fs::exists(pb, ec)) {
    if (fs::is_character_file(pa, ec) && fs::is_character_file(pb, ec)) return false;
    const bool same = fs::equivalent(pa, pb, ec);
    if (!ec) return same;
  }
  const auto normal = [](const fs::path& p) {
    std::error_code e;
    const auto abs = fs::absolute(p, e);
    return (e ? p : abs).lexically_normal();
  };
  return normal(pa) == normal(pb);
}

/// Why an output file (given as `option`) must not be written: it is one of `inputs` (same_file),
/// which opening it for writing would empty before it is read (`expose-mine -o day.pcap day.pcap`
/// emptied the capture, and then removed it as an empty output). Empty when it may be written;
/// `-` and an empty path are never an input's.
inline std::string output_is_input(const std::string& option, const std::string& output, const std::vector<std::string>& inputs) {
  if (output.empty() || output == "-") return {};
  for (const auto& in : inputs)
    if (same_file(output, in)) return option + ": '" + output + "' is also an input ('" + in + "'): writing it would destroy it";
  return {};
}

/// A progress line on stderr, redrawn at most a few times a second; silent unless stderr is a terminal.
class progress_line {
 public:
  explicit progress_line(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO) != 0) {}
  void operator()(std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200) && done < total) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    const double eta = rate > 0 && total > done ? static_cast<double>(total - done) / rate : 0;
    std::fprintf(stderr, "\rreading %5.1f%%  %7.1f MB/s  ETA %4.0f s ", total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
                 rate / 1e6, eta);
    shown_ = true;
  }
  ~progress_line() {
    if (shown_) std::fprintf(stderr, "\r%60s\r", "");
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace expose_tools
