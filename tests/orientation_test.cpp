#include "expose/orientation.hpp"

#include "doctest.hpp"

using namespace expose;

namespace {
packet pkt(std::uint16_t sp, std::uint16_t dp, std::uint8_t pr, std::uint8_t flags = 0, std::uint8_t icmp_type = 0) {
  packet p;
  p.src = ip_address::v4(0x0a000001u);
  p.dst = ip_address::v4(0x0a000002u);
  p.sport = sp;
  p.dport = dp;
  p.proto = pr;
  p.tcp_flags = flags;
  p.icmp_type = icmp_type;
  return p;
}
}  // namespace

TEST_CASE("orientation.tcp_handshake_decides") {
  CHECK(sender_is_initiator(pkt(80, 51000, proto::tcp, tcp_flag::syn)));  // a SYN from port 80 still opens
  CHECK_FALSE(sender_is_initiator(pkt(51000, 80, proto::tcp, tcp_flag::syn | tcp_flag::ack)));
}

TEST_CASE("orientation.midstream_tcp_goes_by_ports") {
  CHECK_FALSE(sender_is_initiator(pkt(443, 51000, proto::tcp, tcp_flag::ack)));  // the server's answer
  CHECK(sender_is_initiator(pkt(51000, 443, proto::tcp, tcp_flag::ack)));
  CHECK(sender_is_initiator(pkt(60000, 8080, proto::tcp, tcp_flag::ack)));   // a common service port
  CHECK_FALSE(sender_is_initiator(pkt(6881, 40000, proto::tcp, tcp_flag::ack)));  // tie: the lower port serves
}

TEST_CASE("orientation.udp_ports_then_first_speaker") {
  CHECK_FALSE(sender_is_initiator(pkt(53, 40000, proto::udp)));  // a DNS answer seen first
  CHECK(sender_is_initiator(pkt(123, 123, proto::udp)));          // same port both sides: who spoke first
  CHECK(sender_is_initiator(pkt(40000, 30000, proto::udp)));      // same rank: who spoke first
  CHECK(service_rank(53) == 0);
  CHECK(service_rank(5353) == 1);
  CHECK(service_rank(30000) == 2);
  CHECK(service_rank(60000) == 3);
  CHECK(service_rank(0) == 4);
}

TEST_CASE("orientation.icmp_requests_open_errors_answer") {
  CHECK(sender_is_initiator(pkt(0, 0, proto::icmp, 0, 8)));        // echo request
  CHECK_FALSE(sender_is_initiator(pkt(0, 0, proto::icmp, 0, 0)));  // echo reply
  CHECK_FALSE(sender_is_initiator(pkt(0, 0, proto::icmp, 0, 11))); // time exceeded goes to the prober
  CHECK(sender_is_initiator(pkt(0, 0, proto::icmp6, 0, 128)));
  CHECK_FALSE(sender_is_initiator(pkt(0, 0, proto::icmp6, 0, 3)));
}
