#pragma once
// Paths that name a descriptor this process already holds: `-` and /dev/stdin (standard input),
// /dev/fd/N and /proc/self/fd/N (as a shell's <(...) names its pipe). Both readers judge such a
// pipe by what waits in it, where a named FIFO (a path of its own in the file system) is not
// opened to be judged: the flow-log reader (flow_log.hpp) and the capture reader's hint
// (pcap_records.hpp) tell them apart by this one rule.

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace expose::io {

/// The descriptor this process already holds for `path`: 0 for `-` and /dev/stdin, N for /dev/fd/N
/// and /proc/self/fd/N; -1 for any other path (/dev/fd/ without a number after it too).
[[nodiscard]] inline int held_descriptor(const std::filesystem::path& path) {
  const std::string p = path.string();
  if (p == "-" || p == "/dev/stdin") return STDIN_FILENO;
  for (const std::string_view dir : {"/dev/fd/", "/proc/self/fd/"}) {
    if (!p.starts_with(dir)) continue;
    int fd = -1;
    const auto [end, ec] = std::from_chars(p.data() + dir.size(), p.data() + p.size(), fd);
    return ec == std::errc{} && end == p.data() + p.size() ? fd : -1;
  }
  return -1;
}

/// The descriptor of a pipe this process holds for `path` (held_descriptor, and a pipe: standard
/// input redirected from a file is none), else -1.
[[nodiscard]] inline int held_pipe(const std::filesystem::path& path) {
  const int held = held_descriptor(path);
  struct stat st {};
  return held >= 0 && ::fstat(held, &st) == 0 && S_ISFIFO(st.st_mode) ? held : -1;
}

}  // namespace expose::io
