#include "expose/io/held_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "doctest.hpp"
#include "expose/io/pcap_records.hpp"

using namespace expose;

TEST_CASE("io.held_path.paths_of_a_descriptor_this_process_holds") {
  CHECK(io::held_descriptor("-") == 0);
  CHECK(io::held_descriptor("/dev/stdin") == 0);
  CHECK(io::held_descriptor("/dev/fd/3") == 3);
  CHECK(io::held_descriptor("/dev/fd/63") == 63);  // bash's <(...)
  CHECK(io::held_descriptor("/proc/self/fd/17") == 17);
  // not a descriptor of this process: a file, another process's descriptors, no number
  CHECK(io::held_descriptor("conn.log") == -1);
  CHECK(io::held_descriptor("./-") == -1);
  CHECK(io::held_descriptor("/dev/stdout") == -1);
  CHECK(io::held_descriptor("/proc/1/fd/3") == -1);
  CHECK(io::held_descriptor("/dev/fd/") == -1);
  CHECK(io::held_descriptor("/dev/fd/3x") == -1);
  CHECK(io::held_descriptor("/dev/fd/x") == -1);
  CHECK(io::held_descriptor("/proc/self/fd/") == -1);
}

TEST_CASE("io.held_path.a_held_pipe_is_a_held_descriptor_that_is_a_pipe") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  CHECK(io::held_pipe("/dev/fd/" + std::to_string(fds[0])) == fds[0]);
  ::close(fds[0]);
  ::close(fds[1]);
  // a held descriptor of a file (as standard input redirected from one) is no pipe, nor is a path
  const auto file = std::filesystem::temp_directory_path() / "expose_held_path.txt";
  std::FILE* f = std::fopen(file.c_str(), "w");
  REQUIRE(f != nullptr);
  CHECK(io::held_pipe("/dev/fd/" + std::to_string(::fileno(f))) == -1);
  std::fclose(f);
  std::filesystem::remove(file);
  CHECK(io::held_pipe("conn.log") == -1);
}

TEST_CASE("io.held_path.the_capture_reader_tells_a_held_pipe_from_a_named_fifo_by_it") {
  // a pipe this process holds is judged by its first bytes; a named FIFO is read as a capture
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const std::string held = "/dev/fd/" + std::to_string(fds[0]);
  CHECK(io::pcap_records::unreadable_hint(held, "unknown file format").starts_with(" (neither a capture nor a flow log by its first bytes"));
  ::close(fds[0]);
  ::close(fds[1]);
  const auto fifo = std::filesystem::temp_directory_path() / "expose_held_path.fifo";
  std::filesystem::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(io::pcap_records::unreadable_hint(fifo, "unknown file format") ==
        " (a named FIFO is read as a capture: give a flow log as a file, as - or as <(...))");
  std::filesystem::remove(fifo);
}
