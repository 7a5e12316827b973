// expose-synth: writes a synthetic trace with planted communication patterns, and what it planted.
//
//   expose-synth [--seed N] [--duration 10m] [--hosts N] [--heavy N] [--noise R] [--rate NAME=R]...
//                [--snaplen B] [--truth FILE.json] -o FILE.pcap
//   expose-synth --demo [--seed N] [--duration 10m] [--noise R] [--snaplen B] [--truth FILE.json] -o FILE.pcap
//
// By default it writes the site of expose/synth/generator.hpp: the paper's case studies planted
// among random connections and always-on heavy flows; `--demo` writes the small demo trace of
// expose/synth/demo.hpp instead. `--truth` writes the ground truth (JSON) that expose-accuracy
// scores mined rules against. Exit status 0 written, 1 cannot write or a bad option value,
// 2 bad command line.

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "expose/expose.hpp"
#include "expose/io/pcap_writer.hpp"
#include "expose/synth/demo_truth.hpp"
#include "expose/synth/generator.hpp"
#include "expose/synth/truth_json.hpp"

namespace ex = expose;

int main(int argc, char** argv) {
  CLI::App app{"expose-synth: writes a synthetic packet trace with planted communication patterns"};
  std::string output, duration = "10m", truth_file;
  std::uint64_t seed = 1;
  const ex::synth::generator defaults{};
  double noise = defaults.noise_per_second;
  std::uint32_t snaplen = 65535, hosts = defaults.hosts, heavy = defaults.heavy_flows;
  std::vector<std::string> rate_settings;
  bool demo = false;
  app.add_option("-o,--output", output, "pcap file to write")->required();
  app.add_option("--seed", seed, "random seed: the same seed writes the same trace")->capture_default_str();
  app.add_option("-d,--duration", duration, "trace length: 10m, 1h, 600s ...")->capture_default_str();
  auto* noise_opt = app.add_option("--noise", noise, "random one-off connections per second (default 5; 2 with --demo)")
                        ->check(CLI::Range(0.0, 1e6));  // tiny positive rates are refused by the generator
  auto* hosts_opt = app.add_option("--hosts", hosts, "client hosts")->capture_default_str()->check(CLI::Range(1u, ex::synth::site::max_clients));
  auto* heavy_opt = app.add_option("--heavy", heavy, "always-on heavy flows")->capture_default_str()->check(CLI::Range(0u, 50000u));
  std::string rate_help = "planted events per hour of one pattern (per client for per-client patterns; 0 switches it off), NAME=R; names:";
  for (auto n : ex::synth::pattern_rates::names) rate_help += std::string(" ") + std::string(n);
  auto* rate_opt = app.add_option("--rate", rate_settings, rate_help)->type_name("NAME=R");
  app.add_option("--snaplen", snaplen, "bytes kept of each frame")->capture_default_str()->check(CLI::Range(64u, 262144u));
  app.add_option("--truth", truth_file, "also write the ground truth (what was planted) to this JSON file");
  auto* demo_opt = app.add_flag("--demo", demo, "write the small demo trace (expose/synth/demo.hpp) instead");
  demo_opt->excludes(hosts_opt)->excludes(heavy_opt)->excludes(rate_opt);
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
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*d);

  ex::synth::generator gen{.seed = seed, .duration = seconds, .hosts = hosts, .noise_per_second = noise, .heavy_flows = heavy};
  for (const auto& s : rate_settings) {
    const auto eq = s.find('=');
    double* rate = eq == std::string::npos ? nullptr : gen.rates.find(s.substr(0, eq));
    double value = -1;
    if (rate != nullptr) {
      try {
        std::size_t used = 0;
        value = std::stod(s.substr(eq + 1), &used);
        if (used != s.size() - eq - 1) value = -1;
      } catch (...) {
        value = -1;
      }
    }
    if (rate == nullptr || !(value == 0 || (value >= 1e-3 && value <= 3.6e6))) {
      std::cerr << "expose-synth: --rate: '" << s << "' is not NAME=R with a known pattern name and R 0 (off) or 0.001 to 3600000"
                << " (names:";
      for (auto n : ex::synth::pattern_rates::names) std::cerr << " " << n;
      std::cerr << ")\n";
      return 1;
    }
    *rate = value;
  }
  const ex::synth::demo demo_gen{.seed = seed, .duration = seconds, .noise_per_second = noise_opt->count() > 0 ? noise : ex::synth::demo{}.noise_per_second};

  try {
    if (!demo) gen.check();
    if (!truth_file.empty()) {
      std::ofstream tf(truth_file);
      if (!tf) {
        std::cerr << "expose-synth: --truth: cannot write '" << truth_file << "'\n";
        return 1;
      }
      ex::synth::write_json(tf, demo ? ex::synth::demo_truth(demo_gen) : gen.truth());
      tf.flush();
      if (!tf) {
        std::cerr << "expose-synth: --truth: writing '" << truth_file << "' failed\n";
        return 1;
      }
    }
    ex::io::pcap_writer out(output, {.snaplen = snaplen});
    if (demo) {
      for (const auto& p : demo_gen.packets()) out.write(p);
    } else {
      gen.generate([&](const ex::packet& p) { out.write(p); });
    }
    out.close();
    std::cerr << "expose-synth: wrote " << out.written() << " packets to " << output;
    if (!truth_file.empty()) std::cerr << " and the ground truth to " << truth_file;
    std::cerr << "\n";
    return 0;
  } catch (const ex::error& e) {
    std::cerr << "expose-synth: " << e.what() << "\n";
    return 1;
  }
}
