#include "expose/ingest.hpp"

#include <cstdint>
#include <vector>

#include "doctest.hpp"
#include "fixtures.hpp"
#include "expose/keys/host_pair.hpp"
#include "expose/windows/tumbling.hpp"

using namespace expose;
using expose_test::ip;
using expose_test::sec;

namespace {
packet ingest_packet(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport, std::uint8_t protocol, std::int64_t ts_ns) {
  return expose_test::make_packet(ts_ns, src, sport, dst, dport, protocol);
}
}  // namespace

TEST_CASE("ingest.flows_become_items_under_the_key") {
  // Three flows between two host pairs (two TCP connections of one pair, one UDP exchange of
  // another), over windows 0, 1 and 3 of one second: two items under the host-pair key.
  mine_result r;
  const keys::host_pair key;
  const windows::tumbling window{std::chrono::seconds{1}};
  ingest<keys::host_pair, windows::tumbling> in(key, window, {}, r);
  in.take(ingest_packet("10.0.0.1", 40000, "10.0.0.2", 80, proto::tcp, 0));
  in.take(ingest_packet("10.0.0.1", 40001, "10.0.0.2", 443, proto::tcp, 1 * sec + 5));
  in.take(ingest_packet("10.0.0.3", 5353, "10.0.0.4", 5353, proto::udp, 3 * sec));
  in.take(ingest_packet("10.0.0.2", 80, "10.0.0.1", 40000, proto::tcp, 3 * sec + 7));  // the reply: the first flow again
  const activity a = std::move(in).finish();
  REQUIRE(r.items.size() == 2);
  CHECK(r.items[0].text() == "10.0.0.1.* : 10.0.0.2.* : *");
  CHECK(r.items[1].text() == "10.0.0.3.* : 10.0.0.4.* : *");
  CHECK(r.flows == 3);
  CHECK(r.flows_by_protocol.at(proto::tcp) == 2);
  CHECK(r.flows_by_protocol.at(proto::udp) == 1);
  CHECK(r.input.start_ns == 0);
  CHECK(r.input.end_ns == 3 * sec + 7);
  CHECK(r.window_seconds == 1.0);
  CHECK(a.count(0) == 3);  // windows 0, 1 and 3
  CHECK(a.count(1) == 1);
}

TEST_CASE("ingest.flow_items_follow_an_eviction") {
  mine_result r;
  const keys::host_pair key;
  flow_items<keys::host_pair> items;
  const flow_key a{ip("10.0.0.1"), ip("10.0.0.2"), 1, 2, proto::tcp};
  const flow_key b{ip("10.0.0.3"), ip("10.0.0.4"), 1, 2, proto::tcp};
  CHECK(items.add(key, a, r) == 0);
  CHECK(items.add(key, b, r) == 1);
  CHECK(items.add(key, a, r) == 0);  // a second flow of the first pair
  // Item 0 evicted, item 1 renamed 0; flows 0 and 2 gone, flow 1 renamed 0.
  items.retain({flow_table::gone, 0}, {flow_table::gone, 0, flow_table::gone}, 1);
  REQUIRE(items.flows() == 1);
  CHECK(items[0] == 0);
  r.items = {r.items[1]};
  CHECK(items.add(key, a, r) == 1);  // the evicted pair's key is new again
}
