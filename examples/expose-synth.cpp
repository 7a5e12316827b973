// expose-synth: writes a synthetic trace with planted communication patterns.
//
//   expose-synth [--seed N] [--duration 10m] [--noise R] [--snaplen B] -o FILE.pcap
//
// Today it writes the demo trace (expose/synth/demo.hpp); exit status 0 written, 1 cannot write,
// 2 bad command line.

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "cli_common.hpp"
#include "expose/expose.hpp"
#include "expose/io/pcap_writer.hpp"

namespace ex = expose;

int main(int argc, char** argv) {
  CLI::App app{"expose-synth: writes a synthetic packet trace with planted communication patterns"};
  std::string output, duration = "10m";
  std::uint64_t seed = 1;
  double noise = ex::synth::demo{}.noise_per_second;
  std::uint32_t snaplen = 65535;
  app.add_option("-o,--output", output, "pcap file to write")->required();
  app.add_option("--seed", seed, "random seed: the same seed writes the same trace")->capture_default_str();
  app.add_option("-d,--duration", duration, "trace length: 10m, 1h, 600s ...")->capture_default_str();
  app.add_option("--noise", noise, "random one-off connections per second")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--snaplen", snaplen, "bytes kept of each frame")->capture_default_str()->check(CLI::Range(64u, 262144u));
  app.set_version_flag("-V,--version", std::string("expose-synth ") + ex::version);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  const auto d = expose_tools::parse_duration(duration);
  if (!d || *d < std::chrono::seconds(1)) {
    std::cerr << "expose-synth: --duration: '" << duration << "' is not a duration of at least 1s\n";
    return 1;
  }
  try {
    const ex::synth::demo gen{.seed = seed,
                              .duration = std::chrono::duration_cast<std::chrono::seconds>(*d),
                              .noise_per_second = noise};
    ex::io::pcap_writer out(output, {.snaplen = snaplen});
    for (const auto& p : gen.packets()) out.write(p);
    out.close();
    std::cerr << "expose-synth: wrote " << out.written() << " packets to " << output << "\n";
    return 0;
  } catch (const ex::error& e) {
    std::cerr << "expose-synth: " << e.what() << "\n";
    return 1;
  }
}
