// A consumer of every component (CMake expose::pcap + expose::json, meson 'expose-pcap' +
// 'expose-json'): writes the fixture to a pcap with libpcap, reads it back, mines it, and writes
// the JSON report.
//   full [FILE.pcap]     (default: full-consumer.pcap in the current directory)
#include <expose/io/json.hpp>
#include <expose/io/pcap_file.hpp>
#include <expose/io/pcap_writer.hpp>

#include "fixture.hpp"

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "full-consumer.pcap";
  try {
    const auto packets = consumer::packets();
    {
      expose::io::pcap_writer out(path);
      for (const auto& p : packets) out.write(p);
      out.close();
      if (out.written() != packets.size()) {
        std::fprintf(stderr, "full consumer: wrote %llu packets, not %zu\n",
                     static_cast<unsigned long long>(out.written()), packets.size());
        return 1;
      }
    }
    const auto result = expose::mine(expose::io::pcap_file(path), consumer::spec());
    bool ok = consumer::check("pcap", result) && result.input.skipped.empty() && !result.input.damaged;

    const auto report = expose::io::to_json(result);
    const auto rules = report.at("rules").size();
    const auto read = report.at("input").at("packets").get<std::uint64_t>();
    std::printf("expose %s json: packets=%llu rules=%zu\n", expose::version, static_cast<unsigned long long>(read),
                rules);
    ok = ok && rules == consumer::expected_rules && read == consumer::expected_packets &&
         report.at("rules").at(0).at("kind").get<std::string>() == "<=>";
    ok = ok && consumer::check_version();
    std::puts(ok ? "full consumer: ok" : "full consumer: FAILED");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "full consumer: %s\n", e.what());
    return 1;
  }
}
