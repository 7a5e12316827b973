// A consumer of every component (CMake expose::pcap + expose::json + expose::db, meson
// 'expose-pcap' + 'expose-json' + 'expose-db'): writes the fixture to a pcap with libpcap, reads it
// back, mines it, judges it no flow log (zlib), writes the JSON report, then adds the result twice as two runs of one site to a
// new SQLite rule database and checks that the second run knows the rule.
//   full [FILE.pcap [FILE.db]]     (default: full-consumer.pcap, full-consumer.db in the current directory)
// One program for the three components: each consumer compiles the mining pipeline, which is
// most of a packaging test's time.
#include <expose/io/flow_log.hpp>
#include <expose/io/json.hpp>
#include <expose/io/pcap_file.hpp>
#include <expose/io/pcap_writer.hpp>
#include <expose/store/rule_store.hpp>

#include <filesystem>

#include "fixture.hpp"

namespace {

bool pcap_and_json(const std::string& path, expose::mine_result& result) {
  const auto packets = consumer::packets();
  expose::io::pcap_writer out(path);
  for (const auto& p : packets) out.write(p);
  out.close();
  if (out.written() != packets.size()) {
    std::fprintf(stderr, "full consumer: wrote %llu packets, not %zu\n", static_cast<unsigned long long>(out.written()),
                 packets.size());
    return false;
  }
  result = expose::mine(expose::io::pcap_file(path), consumer::spec());
  bool ok = consumer::check("pcap", result) && result.input.skipped.empty() && !result.input.damaged;
  ok = ok && !expose::io::sniff_flow_log(path);  // the flow-log reader links zlib: a capture is no log

  const auto report = expose::io::to_json(result);
  const auto rules = report.at("rules").size();
  const auto read = report.at("input").at("packets").get<std::uint64_t>();
  std::printf("expose %s json: packets=%llu rules=%zu\n", expose::version, static_cast<unsigned long long>(read), rules);
  return ok && rules == consumer::expected_rules && read == consumer::expected_packets &&
         report.at("rules").at(0).at("kind").get<std::string>() == "<=>";
}

bool db(const std::string& path, const expose::mine_result& result) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  expose::store::rule_store store(path);
  const auto rules = expose::store::observe(result);
  const auto first = store.add_run("site", {.name = "one"}, rules);
  const auto second = store.add_run("site", {.name = "two"}, rules);
  const auto d = store.diff("site", "two");
  std::printf("expose %s db: rules=%zu new=%zu known=%d persistent=%zu\n", expose::version, rules.size(), d.new_rules.size(),
              second.at(0).known ? 1 : 0, d.persistent.size());
  return first.size() == consumer::expected_rules && !first.at(0).known && second.at(0).known && d.new_rules.empty() &&
         d.persistent.size() == consumer::expected_rules && store.integrity_check() == "ok";
}

}  // namespace

int main(int argc, char** argv) {
  const std::string pcap = argc > 1 ? argv[1] : "full-consumer.pcap";
  const std::string database = argc > 2 ? argv[2] : "full-consumer.db";
  try {
    expose::mine_result result;
    bool ok = pcap_and_json(pcap, result);
    ok = ok && db(database, result);
    ok = ok && consumer::check_version();
    std::puts(ok ? "full consumer: ok" : "full consumer: FAILED");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "full consumer: %s\n", e.what());
    return 1;
  }
}
