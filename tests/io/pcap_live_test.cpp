#include "expose/io/pcap_live.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "doctest.hpp"
#include "expose/pipeline.hpp"

using namespace expose;
using namespace std::chrono_literals;

TEST_CASE("io.pcap_live.unknown_interface_is_a_clear_error") {
  CHECK_THROWS_WITH_AS(io::pcap_live("nosuch0"), doctest::Contains("cannot capture on 'nosuch0'"), bad_trace);
  CHECK_THROWS_WITH_AS(io::pcap_live(""), "pcap_live: no interface given", bad_argument);
}

TEST_CASE("io.pcap_live.loopback_until_stopped") {
  if (geteuid() != 0) {
    MESSAGE("SKIPPED: io.pcap_live.loopback_until_stopped needs root to capture on lo");
    return;
  }
  std::atomic<bool> stop{false};
  io::pcap_live source("lo", {.filter = "udp and port 47998", .stop = &stop});
  // Two UDP flows to 127.0.0.1 in lock step, for a little more than 2 s, then the stop flag.
  std::jthread sender([&] {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(47998);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sockaddr_in from = to;
    for (int i = 0; i < 12; ++i) {
      sendto(fd, "x", 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
      std::this_thread::sleep_for(200ms);
    }
    close(fd);
    (void)from;
    stop = true;
  });
  input_stats stats;
  std::uint64_t seen = 0;
  source.read([&](const packet& p) { seen += p.proto == proto::udp && p.dport == 47998 ? 1 : 0; }, stats);
  CHECK(stop.load());  // it returned because it was asked to
  CHECK(seen >= 12);   // lo shows each datagram (some kernels twice)
  CHECK(stats.decoded == seen);
}
