// expose-synth: writes a synthetic trace with planted communication patterns, and what it planted.
//
//   expose-synth [--seed N] [--duration 10m] [--hosts N] [--heavy N] [--noise R] [--rate NAME=R]... [--delay NAME=D]...
//                [--snaplen B] [--background FILE... [--spread SEED]] [--truth FILE.json] -o FILE.pcap
//   expose-synth --demo [--seed N] [--duration 10m] [--noise R] [--snaplen B] [--truth FILE.json] -o FILE.pcap
//
// By default it writes the site of expose/synth/generator.hpp: the paper's case studies planted
// among random connections and always-on heavy flows; `--demo` writes the small demo trace of
// expose/synth/demo.hpp instead. `--background` mixes real captures in, each with its own
// addresses (expose/synth/background.hpp). `--truth` writes the ground truth (JSON) that
// expose-accuracy scores mined rules against, with the mix's sources. Exit status 0 written,
// 1 cannot read or write (an output that is also an input or the other output is refused before
// anything is opened) or a bad option value, 2 bad command line, 3 written but a background
// capture was damaged (its packets before the damage are in).

#include <CLI/CLI.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "cli_common.hpp"
#include "expose/error.hpp"
#include "expose/io/pcap_writer.hpp"
#include "expose/packet.hpp"
#include "expose/synth/background.hpp"
#include "expose/synth/demo.hpp"
#include "expose/synth/demo_truth.hpp"
#include "expose/synth/generator.hpp"
#include "expose/synth/truth_json.hpp"
#include "expose/version.hpp"

namespace ex = expose;

namespace {

std::string seconds_text(std::int64_t ns) {
  char buf[32];
  const double s = static_cast<double>(ns) / 1e9;
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
  else std::snprintf(buf, sizeof buf, "%.3g s", s);
  return buf;
}

// A seed as written: 0 to 2^64-1 in decimal. CLI11 reads "-1" into an unsigned as 2^64-1 and
// wraps a number past 2^64-1, so another seed than the one given made the trace, unsaid.
std::optional<std::uint64_t> parse_seed(const std::string& text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// One line per background capture: what was taken, where it lies, what was left out; then warnings.
void report_mix(const ex::synth::background_mix& mix, const ex::synth::ground_truth& truth, std::int64_t start_ns, std::int64_t end_ns) {
  const auto& generated = truth.sources.front();
  std::cerr << "expose-synth: generated: " << generated.packets << " packets, " << generated.addresses.size() << " addresses\n";
  for (std::size_t i = 0; i < mix.captures().size(); ++i) {
    const auto& c = mix.captures()[i];
    const auto& src = truth.sources[i + 1];
    std::cerr << "expose-synth: background '" << c.name << "': " << src.packets << " packets, " << src.addresses.size()
              << " addresses mapped to " << src.v4_range << " and " << src.v6_range << ", " << seconds_text(c.last_ns - c.first_ns)
              << " starting " << seconds_text(src.start_ns - start_ns) << " after the generated part's start";
    if (src.end_ns >= end_ns) std::cerr << "; it runs on " << seconds_text(src.end_ns - end_ns) << " past the generated part's end";
    std::cerr << "\n";
    if (!c.left_out.empty()) {
      std::uint64_t n = 0;
      std::string why;
      for (const auto& [reason, count] : c.left_out) {
        n += count;
        why += (why.empty() ? "" : ", ") + reason + " " + std::to_string(count);
      }
      std::cerr << "expose-synth: note: left out " << n << " frame" << (n == 1 ? "" : "s") << " of '" << c.file.string()
                << "' that hold no IP packet (" << why << ")\n";
    }
    if (src.packets == 0) std::cerr << "expose-synth: note: '" << c.file.string() << "' holds no IP packet\n";
  }
  for (const auto& w : mix.warnings()) std::cerr << "expose-synth: warning: " << w << "\n";
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"expose-synth: writes a synthetic packet trace with planted communication patterns"};
  std::string output, duration = "10m", truth_file, seed_text = "1";
  const ex::synth::generator defaults{};
  double noise = defaults.noise_per_second;
  std::uint32_t snaplen = 65535, hosts = defaults.hosts, heavy = defaults.heavy_flows;
  std::vector<std::string> rate_settings, delay_settings;
  bool demo = false;
  app.add_option("-o,--output", output, "pcap file to write")->required();
  app.add_option("--seed", seed_text, "random seed, 0 to 18446744073709551615: the same seed writes the same trace")
      ->type_name("UINT")
      ->capture_default_str();
  app.add_option("-d,--duration", duration, "trace length: 10m, 1h, 600s ...")->capture_default_str();
  auto* noise_opt = app.add_option("--noise", noise, "random one-off connections per second (default 5; 2 with --demo)")
                        ->check(CLI::Range(0.0, 1e6));  // tiny positive rates: refused below
  auto* hosts_opt = app.add_option("--hosts", hosts, "client hosts")->capture_default_str()->check(CLI::Range(1u, ex::synth::site::max_clients));
  auto* heavy_opt = app.add_option("--heavy", heavy, "always-on heavy flows")->capture_default_str()->check(CLI::Range(0u, 50000u));
  std::string rate_help = "planted events per hour of one pattern (per client for per-client patterns; 0 switches it off), NAME=R; names:";
  for (auto n : ex::synth::pattern_rates::names) rate_help += std::string(" ") + std::string(n);
  auto* rate_opt = app.add_option("--rate", rate_settings, rate_help)->type_name("NAME=R");
  std::string delay_help = "plant a pattern whose flows come in order with a fixed delay from the first flow to the others "
                           "(default: the pattern's own random delay, in the ground truth), NAME=D (20ms, 1.5s, 0); names:";
  for (auto n : ex::synth::pattern_rates::names)
    if (ex::synth::pattern_delays{}.find(n) != nullptr) delay_help += std::string(" ") + std::string(n);
  auto* delay_opt = app.add_option("--delay", delay_settings, delay_help)->type_name("NAME=D");
  auto* snaplen_opt = app.add_option("--snaplen", snaplen, "bytes kept of each frame (default 65535; 262144 with --background)")
                          ->check(CLI::Range(64u, 262144u));
  app.add_option("--truth", truth_file, "also write the ground truth (what was planted) to this JSON file");
  std::vector<std::string> backgrounds;
  std::string spread_text;
  auto* background_opt = app.add_option("--background", backgrounds,
                                        "real captures (pcap, pcapng) to mix in, each with its own addresses, merged in time order")
                             ->type_name("FILE...");
  auto* spread_opt = app.add_option("--spread", spread_text, "start each background capture at a random instant (drawn with this seed)")
                         ->type_name("SEED")
                         ->needs(background_opt);
  auto* demo_opt = app.add_flag("--demo", demo, "write the small demo trace (expose/synth/demo.hpp) instead");
  demo_opt->excludes(hosts_opt)->excludes(heavy_opt)->excludes(rate_opt)->excludes(delay_opt);
  app.set_version_flag("-V,--version", std::string("expose-synth ") + ex::version);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return expose_tools::refused_status(app, e);
  }
  const auto d = expose_tools::parse_duration(duration);
  if (!d || *d < std::chrono::seconds(1)) {
    std::cerr << "expose-synth: --duration: '" << duration << "' is not a duration of at least 1s\n";
    return 1;
  }
  // Both generators make whole seconds: 1.5s was cut to 1 s, unsaid.
  if (*d % std::chrono::seconds(1) != std::chrono::nanoseconds(0)) {
    std::cerr << "expose-synth: --duration: '" << duration << "' is not a whole number of seconds (traces are made in whole seconds)\n";
    return 1;
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*d);
  if (!demo && seconds > std::chrono::hours(366 * 24)) {
    std::cerr << "expose-synth: --duration: '" << duration << "' is longer than 366 days\n";
    return 1;
  }
  const auto seed_given = parse_seed(seed_text);
  if (!seed_given) {
    std::cerr << "expose-synth: --seed: '" << seed_text << "' is not a whole number from 0 to 18446744073709551615\n";
    return 1;
  }
  const std::uint64_t seed = *seed_given;
  std::uint64_t spread = 0;
  if (spread_opt->count() > 0) {
    const auto given = parse_seed(spread_text);
    if (!given) {
      std::cerr << "expose-synth: --spread: '" << spread_text << "' is not a whole number from 0 to 18446744073709551615\n";
      return 1;
    }
    spread = *given;
  }
  // CLI11's range stops at 0; below 0.000001 a second (one connection in 12 days) the generator
  // refuses it, in its own words: say it here with the option's name.
  if (noise != 0 && noise < 1e-6) {
    std::cerr << "expose-synth: --noise: " << noise << " is not 0 or 0.000001 to 1000000 connections a second\n";
    return 1;
  }
  // An output written over an input destroys it before it is read (-o g.pcap --background g.pcap
  // left 24 bytes of the capture), and the trace and its truth written into one file make neither:
  // refused before any file is opened.
  for (const auto& bg : backgrounds) {
    for (const auto& [option, path] : {std::pair{"-o", &output}, std::pair{"--truth", &truth_file}})
      if (!path->empty() && expose_tools::same_file(*path, bg)) {
        std::cerr << "expose-synth: " << option << " and --background name one file, '" << *path
                  << "': writing it would destroy the capture before it is read; write to another file\n";
        return 1;
      }
  }
  if (!truth_file.empty() && expose_tools::same_file(output, truth_file)) {
    std::cerr << "expose-synth: -o and --truth name one file, '" << output << "': give the trace and its ground truth a file each\n";
    return 1;
  }

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
  for (const auto& s : delay_settings) {
    const auto eq = s.find('=');
    double* delay = eq == std::string::npos ? nullptr : gen.delays.find(s.substr(0, eq));
    double ms = -1;
    if (delay != nullptr) {
      const auto text = s.substr(eq + 1);
      if (const auto given = expose_tools::parse_duration(text)) ms = static_cast<double>(given->count()) / 1e6;
      else if (const auto zero = expose_tools::number_and_unit(text);  // 0, 0.0, 0ms, 0us ...: no delay
               zero && zero->first == 0 && (zero->second.empty() || zero->second == "s" || zero->second == "ms" || zero->second == "us" ||
                                            zero->second == "ns"))
        ms = 0;
    }
    if (delay == nullptr || !(ms >= 0 && ms <= 60'000)) {
      std::cerr << "expose-synth: --delay: '" << s << "' is not NAME=D with the name of a pattern whose flows come in order and D 0 to 60s"
                << " (names:";
      for (auto n : ex::synth::pattern_rates::names)
        if (ex::synth::pattern_delays{}.find(n) != nullptr) std::cerr << " " << n;
      std::cerr << ")\n";
      return 1;
    }
    *delay = ms;
  }
  const ex::synth::demo demo_gen{.seed = seed, .duration = seconds, .noise_per_second = noise_opt->count() > 0 ? noise : ex::synth::demo{}.noise_per_second};
  // The demo trace is made whole in memory: one too long stopped the tool with bad_alloc.
  if (demo && demo_gen.expected_packets() > ex::synth::demo::max_packets) {
    std::cerr << "expose-synth: --demo with --duration " << duration << " and --noise " << demo_gen.noise_per_second
              << ": the demo trace would be about " << std::llround(demo_gen.expected_packets())
              << " packets, made whole in memory, and it holds at most " << std::llround(ex::synth::demo::max_packets)
              << "; give a shorter --duration or a lower --noise, or leave out --demo (the generator writes a long trace a slice at a time)\n";
    return 1;
  }

  std::ofstream tf;
  bool trace_opened = false;  // the writer truncated -o: from then on a failure leaves part of a trace there
  // A failed run leaves neither an empty ground truth (it would read as a trace with nothing
  // planted) nor part of a trace (it would read as a shorter one, whole), nor part of a truth.
  auto failed = [&] {
    const auto remove_part = [](const std::string& path, const char* what) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(path, ec)) return;  // /dev/stdout, a pipe: nothing to take back
      if (std::filesystem::remove(path, ec)) std::cerr << "expose-synth: removed the unfinished " << what << " '" << path << "'\n";
    };
    if (trace_opened) remove_part(output, "trace");
    if (tf.is_open()) {
      tf.close();
      remove_part(truth_file, "ground truth");
    }
    return 1;
  };
  try {
    if (demo) demo_gen.check();
    else gen.check();
    // Every background capture is read once before anything is written: an unreadable one stops here.
    const std::int64_t start_ns = demo ? ex::synth::demo::start_ns : gen.start_ns;
    const std::int64_t end_ns = start_ns + seconds.count() * 1'000'000'000;
    std::optional<ex::synth::background_mix> mix;
    if (!backgrounds.empty()) {
      ex::synth::background bg{.files = {backgrounds.begin(), backgrounds.end()}};
      if (spread_opt->count() > 0) bg.spread_seed = spread;
      try {
        mix.emplace(bg, start_ns, end_ns);
      } catch (const ex::error& e) {
        std::cerr << "expose-synth: --background: " << e.what() << "\n";
        return 1;
      }
    }
    if (!truth_file.empty()) {
      tf.open(truth_file);
      if (!tf) {
        std::cerr << "expose-synth: --truth: cannot write '" << truth_file << "'\n";
        return 1;
      }
    }
    auto truth = demo ? ex::synth::demo_truth(demo_gen) : gen.truth();
    if (mix && snaplen_opt->count() == 0) snaplen = 262144;  // keep every byte the captures hold
    ex::io::pcap_writer out(output, {.snaplen = snaplen});
    trace_opened = true;
    auto generate = [&](auto&& sink) {
      if (demo) {
        for (const auto& p : demo_gen.packets()) sink(p);
      } else {
        gen.generate(sink);
      }
    };
    if (mix) {
      truth.sources = mix->write(generate, out);
    } else {
      generate([&](const ex::packet& p) { out.write(p); });
    }
    out.close();
    if (tf.is_open()) {
      ex::synth::write_json(tf, truth);
      tf.flush();
      if (!tf) {
        std::cerr << "expose-synth: --truth: writing '" << truth_file << "' failed\n";
        return failed();
      }
    }
    if (mix) report_mix(*mix, truth, start_ns, end_ns);
    std::cerr << "expose-synth: wrote " << out.written() << " packets to " << output;
    if (!truth_file.empty()) std::cerr << " and the ground truth to " << truth_file;
    std::cerr << "\n";
    return mix && !mix->warnings().empty() ? 3 : 0;
  } catch (const ex::error& e) {
    std::cerr << "expose-synth: " << e.what() << "\n";
    return failed();
  } catch (const std::bad_alloc&) {
    std::cerr << "expose-synth: out of memory\n";
    return failed();
  } catch (const std::exception& e) {
    std::cerr << "expose-synth: " << e.what() << "\n";
    return failed();
  }
} catch (const std::exception& e) {  // before any file is opened: a message, not an abort
  std::cerr << "expose-synth: " << e.what() << "\n";
  return 1;
}
