#include "expose/flow_table.hpp"

#include "doctest.hpp"

using namespace expose;

namespace {
packet pkt(std::uint32_t s, std::uint16_t sp, std::uint32_t d, std::uint16_t dp, std::uint8_t flags) {
  packet p;
  p.src = ip_address::v4(s);
  p.dst = ip_address::v4(d);
  p.sport = sp;
  p.dport = dp;
  p.proto = proto::tcp;
  p.tcp_flags = flags;
  return p;
}
}  // namespace

TEST_CASE("flow_table.both_directions_are_one_flow_initiator_first") {
  flow_table t;
  const auto a = t.find_or_insert(pkt(0x0a000002, 443, 0x0a000001, 50000, tcp_flag::syn | tcp_flag::ack));
  const auto b = t.find_or_insert(pkt(0x0a000001, 50000, 0x0a000002, 443, tcp_flag::ack));
  CHECK(a.inserted);
  CHECK_FALSE(b.inserted);
  CHECK(a.id == b.id);
  REQUIRE(t.size() == 1);
  CHECK(exact(t.flows()[0]).text() == "10.0.0.1.50000 : 10.0.0.2.443 : tcp");
}

TEST_CASE("flow_table.distinct_connections_get_distinct_ids") {
  flow_table t;
  CHECK(t.find_or_insert(pkt(0x0a000001, 50000, 0x0a000002, 443, tcp_flag::syn)).id == 0);
  CHECK(t.find_or_insert(pkt(0x0a000001, 50001, 0x0a000002, 443, tcp_flag::syn)).id == 1);
  CHECK(t.find_or_insert(pkt(0x0a000003, 50000, 0x0a000002, 443, tcp_flag::syn)).id == 2);
  CHECK(t.find_or_insert(pkt(0x0a000002, 443, 0x0a000001, 50001, tcp_flag::ack)).id == 1);
  CHECK(t.size() == 3);
}

TEST_CASE("flow_table.retain_forgets_flows_and_renumbers_the_rest") {
  flow_table t;
  for (std::uint16_t i = 0; i < 4; ++i) t.find_or_insert(pkt(0x0a000001, static_cast<std::uint16_t>(50000 + i), 0x0a000002, 443, tcp_flag::syn));
  const auto renamed = t.retain({1, 0, 1, 0});
  CHECK(renamed == std::vector<std::uint32_t>{0, flow_table::gone, 1, flow_table::gone});
  REQUIRE(t.size() == 2);
  CHECK(exact(t.flows()[1]).text() == "10.0.0.1.50002 : 10.0.0.2.443 : tcp");
  // Both directions of a kept flow still find it; a forgotten one is new again.
  CHECK(t.find(pkt(0x0a000002, 443, 0x0a000001, 50002, tcp_flag::ack)) == 1u);
  CHECK_FALSE(t.find(pkt(0x0a000001, 50001, 0x0a000002, 443, tcp_flag::ack)).has_value());
  const auto again = t.find_or_insert(pkt(0x0a000001, 50001, 0x0a000002, 443, tcp_flag::ack));
  CHECK(again.inserted);
  CHECK(again.id == 2);
}

TEST_CASE("flow_table.a_moved_table_still_finds_its_flows") {
  // The index holds ids and finds keys through the flows: moving the table must keep both together.
  flow_table t;
  for (std::uint16_t i = 0; i < 100; ++i) t.find_or_insert(pkt(0x0a000001, static_cast<std::uint16_t>(50000 + i), 0x0a000002, 443, tcp_flag::syn));
  flow_table moved = std::move(t);
  CHECK(moved.size() == 100);
  CHECK(moved.find(pkt(0x0a000002, 443, 0x0a000001, 50042, tcp_flag::ack)) == 42u);
  const auto again = moved.find_or_insert(pkt(0x0a000001, 50099, 0x0a000002, 443, tcp_flag::ack));
  CHECK_FALSE(again.inserted);
  CHECK(again.id == 99);
  flow_table assigned;
  assigned = std::move(moved);
  CHECK(assigned.find_or_insert(pkt(0x0a000001, 60000, 0x0a000002, 443, tcp_flag::syn)).id == 100);
  CHECK(assigned.find(pkt(0x0a000002, 443, 0x0a000001, 50000, tcp_flag::ack)) == 0u);
}

TEST_CASE("flow_table.a_connection_oriented_elsewhere_keeps_its_first_orientation") {
  flow_table t;
  const flow_key k{ip_address::v4(0x0a000001), ip_address::v4(0x0a000002), 50000, 443, proto::tcp};
  CHECK(t.find_or_insert(k).inserted);
  const auto back = t.find_or_insert(k.reversed());
  CHECK_FALSE(back.inserted);
  CHECK(back.id == 0);
  CHECK(t.flows()[0] == k);
}

TEST_CASE("flow_table.take_flows_gives_the_flows_in_id_order_and_empties_the_table") {
  flow_table t;
  t.find_or_insert(pkt(0x0a000001, 50000, 0x0a000002, 443, tcp_flag::syn));
  t.find_or_insert(pkt(0x0a000002, 53, 0x0a000003, 40000, tcp_flag::syn | tcp_flag::ack));
  const auto flows = std::move(t).take_flows();
  REQUIRE(flows.size() == 2);
  CHECK(exact(flows[0]).text() == "10.0.0.1.50000 : 10.0.0.2.443 : tcp");
  CHECK(exact(flows[1]).text() == "10.0.0.3.40000 : 10.0.0.2.53 : tcp");
  CHECK(t.size() == 0);  // NOLINT(bugprone-use-after-move): what is left is an empty table
}
