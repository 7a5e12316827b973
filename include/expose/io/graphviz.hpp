#pragma once
// Graphviz as a program: DOT text in, SVG out, by running `dot -Tsvg` (POSIX). The DOT goes to dot's
// standard input from a temporary file and its output comes back through another, so no pipe can
// fill up and stall either side. When the program is not installed the result says so, and the
// caller draws nothing instead of failing.

#include <fcntl.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" char** environ;

namespace expose::io {

/// What running Graphviz gave: the SVG (from `<svg` on, the XML prolog left out), or why not.
struct svg_drawing {
  enum class status { drawn, not_installed, failed };
  status state = status::failed;
  std::string svg;    ///< the `<svg ...>...</svg>` element when drawn
  std::string error;  ///< when failed: what went wrong, one line
  [[nodiscard]] bool drawn() const noexcept { return state == status::drawn; }
};

namespace detail {

/// A temporary file, removed when it goes out of scope; `fd` is open for reading and writing.
struct temp_file {
  std::string path;
  int fd = -1;
  temp_file() {
    std::error_code ec;
    auto dir = std::filesystem::temp_directory_path(ec);
    if (ec) dir = "/tmp";
    std::string name = (dir / "expose-graphviz-XXXXXX").string();
    std::vector<char> buf(name.begin(), name.end());
    buf.push_back('\0');
    fd = ::mkstemp(buf.data());
    if (fd >= 0) {
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // the child gets it only through dup2
      path = buf.data();
    }
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  ~temp_file() {
    if (fd >= 0) ::close(fd);
    if (!path.empty()) ::unlink(path.c_str());
  }
  [[nodiscard]] bool ok() const noexcept { return fd >= 0; }
  [[nodiscard]] bool write_all(const std::string& text) const {
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return ::lseek(fd, 0, SEEK_SET) == 0;
  }
  [[nodiscard]] std::string read_all() const {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};

}  // namespace detail

/// Runs `program -Tsvg` on `dot_text`. `program` is looked up on PATH unless it holds a slash.
[[nodiscard]] inline svg_drawing render_svg(const std::string& dot_text, const std::string& program = "dot") {
  svg_drawing out;
  const detail::temp_file in_file, svg_file, err_file;
  if (!in_file.ok() || !svg_file.ok() || !err_file.ok()) {
    out.error = std::string("cannot make a temporary file: ") + std::strerror(errno);
    return out;
  }
  if (!in_file.write_all(dot_text)) {
    out.error = std::string("cannot write a temporary file: ") + std::strerror(errno);
    return out;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_file.fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, svg_file.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_file.fd, STDERR_FILENO);
  std::string arg0 = program, arg1 = "-Tsvg";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == ENOENT) {
    out.state = svg_drawing::status::not_installed;
    return out;
  }
  if (rc != 0) {
    out.error = "cannot run '" + program + "': " + std::strerror(rc);
    return out;
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) {
      out.error = std::string("waiting for '") + program + "' failed: " + std::strerror(errno);
      return out;
    }
  }
  const std::string svg = svg_file.read_all();
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    // A shell reports a program it cannot execute as 127; posix_spawnp may too, after the fork.
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127 && svg.empty()) {
      out.state = svg_drawing::status::not_installed;
      return out;
    }
    std::string why = err_file.read_all();
    if (const auto eol = why.find('\n'); eol != std::string::npos) why.resize(eol);
    out.error = "'" + program + " -Tsvg' " +
                (WIFEXITED(wstatus) ? "exited with status " + std::to_string(WEXITSTATUS(wstatus))
                                    : "was killed by signal " + std::to_string(WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0)) +
                (why.empty() ? std::string() : ": " + why);
    return out;
  }
  const auto begin = svg.find("<svg");
  const auto end = svg.rfind("</svg>");
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    out.error = "'" + program + " -Tsvg' wrote no SVG";
    return out;
  }
  out.svg = svg.substr(begin, end + 6 - begin);
  out.state = svg_drawing::status::drawn;
  return out;
}

}  // namespace expose::io
