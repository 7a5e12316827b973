#include "expose/flow_key.hpp"

#include "doctest.hpp"

using namespace expose;

namespace {
flow_key key(const char* s, std::uint16_t sp, const char* d, std::uint16_t dp, std::uint8_t pr) {
  return {*ip_address::parse(s), *ip_address::parse(d), sp, dp, pr};
}
}  // namespace

TEST_CASE("flow_key.pattern_text_in_paper_notation") {
  const auto k = key("10.1.0.5", 51234, "10.0.1.80", 80, proto::tcp);
  CHECK(exact(k).text() == "10.1.0.5.51234 : 10.0.1.80.80 : tcp");
  flow_pattern p{k, {slot::kept, slot::any, slot::kept, slot::kept, slot::kept}};
  CHECK(p.text() == "10.1.0.5.* : 10.0.1.80.80 : tcp");
  p.slots = {slot::var, slot::any, slot::any, slot::kept, slot::kept};
  CHECK(p.text() == "$A.* : *.80 : tcp");
  CHECK(p.text('C') == "$C.* : *.80 : tcp");
  CHECK(p.field_text(field::src_ip) == "$A");
  CHECK(p.field_text(field::dst_port) == "80");
}

TEST_CASE("flow_key.ipv6_hosts_in_brackets") {
  const auto k = key("2001:db8::1", 5353, "ff02::fb", 5353, proto::udp);
  CHECK(exact(k).text() == "[2001:db8::1].5353 : [ff02::fb].5353 : udp");
  CHECK(exact(k).field_text(field::src_ip) == "2001:db8::1");
}

TEST_CASE("flow_key.protocol_names") {
  CHECK(proto_name(proto::tcp) == "tcp");
  CHECK(proto_name(proto::udp) == "udp");
  CHECK(proto_name(proto::icmp) == "icmp");
  CHECK(proto_name(proto::icmp6) == "icmp6");
  CHECK(proto_name(47) == "47");
}

TEST_CASE("flow_key.hash_and_equality_agree") {
  const auto a = key("10.0.0.1", 1, "10.0.0.2", 2, proto::udp);
  const auto b = key("10.0.0.1", 1, "10.0.0.2", 2, proto::udp);
  CHECK(a == b);
  CHECK(flow_key_hash{}(a) == flow_key_hash{}(b));
  CHECK(flow_key_hash{}(a) != flow_key_hash{}(a.reversed()));
  CHECK(a.reversed().reversed() == a);
}

TEST_CASE("flow_key.set_zeroes_what_is_no_longer_kept") {
  auto a = exact(key("10.1.0.5", 51234, "10.0.1.80", 80, proto::tcp));
  auto b = exact(key("10.1.0.6", 40000, "10.0.1.80", 80, proto::tcp));
  a.set(field::src_ip, slot::var);
  a.set(field::src_port, slot::any);
  b.set(field::src_ip, slot::var);
  b.set(field::src_port, slot::any);
  CHECK(a == b);
  CHECK(flow_pattern_hash{}(a) == flow_pattern_hash{}(b));
  CHECK(a.text() == "$A.* : 10.0.1.80.80 : tcp");
  a.set(field::dst_port, slot::kept);  // kept stays as it is
  CHECK(a.key.dport == 80);
}
