#pragma once
// The service dependencies as text (`expose-mine --format deps`): one line each, most significant
// first, in the paper's notation with names beside addresses:
//
//   10.0.0.53.53 : udp  =>  10.0.0.80.80 : tcp      3 rules   400 hosts   +20 ms (+15 to +31 ms, 1952 samples)
//   10.0.0.25.* ... <=> ...                                                together
//
// `=>` reads "first this service, then that one"; `<=>` "the two together, in either order".

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "expose/dependencies.hpp"
#include "expose/mine_result.hpp"
#include "expose/names.hpp"
#include "expose/version.hpp"

namespace expose::io {

/// A service as the outputs write it: `host.port : proto`, a name beside the address when known.
[[nodiscard]] inline std::string service_text(const flow_pattern& service, const host_names* names = nullptr) {
  const std::string full = named_text(service, names);
  const auto at = full.find(" : ");  // drop the client, `*.* : `
  return at == std::string::npos ? full : full.substr(at + 3);
}

/// The dependencies, at most `limit` of them (the most significant), and how many more there are.
inline void write_deps(std::ostream& out, const mine_result& r, const host_names* names = nullptr, std::size_t limit = 50) {
  auto deps = dependencies_of(r);
  const std::size_t more = deps.size() > limit ? deps.size() - limit : 0;
  out << "expose " << version << ": " << deps.size() << (deps.size() == 1 ? " service dependency" : " service dependencies") << " from "
      << r.rules.size() << (r.rules.size() == 1 ? " rule" : " rules")
      << " (=>: first the left service, then the right one, by the median delay; <=>: together, in either order)\n";
  if (deps.empty()) return;
  deps.resize(deps.size() - more);
  std::vector<std::string> lefts, rights;
  std::size_t wl = 0, wr = 0;
  for (const auto& d : deps) {
    lefts.push_back(service_text(d.first, names) + (d.ordered ? "  =>" : "  <=>"));
    rights.push_back(service_text(d.then, names));
    wl = std::max(wl, lefts.back().size());
    wr = std::max(wr, rights.back().size());
  }
  char buf[160];
  for (std::size_t k = 0; k < deps.size(); ++k) {
    const auto& d = deps[k];
    out << "  " << lefts[k] << std::string(wl - lefts[k].size() + 2, ' ') << rights[k] << std::string(wr - rights[k].size() + 2, ' ');
    std::snprintf(buf, sizeof buf, "%5zu %-6s", d.rules, d.rules == 1 ? "rule" : "rules");
    out << buf;
    if (d.hosts != 0) std::snprintf(buf, sizeof buf, "%6llu %-6s", static_cast<unsigned long long>(d.hosts), d.hosts == 1 ? "host" : "hosts");
    else std::snprintf(buf, sizeof buf, "%6s %-6s", "", "");  // clients as `*`: not known
    out << buf;
    if (d.delay.samples != 0 && d.ordered)
      out << "  " << delay_ms_text(d.delay.median_ms) << " (" << delay_ms_text(d.delay.p25_ms) << " to " << delay_ms_text(d.delay.p75_ms) << ", "
          << d.delay.samples << " samples)";
    out << "\n";
  }
  if (more != 0) out << "  ... " << more << " more (--rules all, or --format json)\n";
}

}  // namespace expose::io
