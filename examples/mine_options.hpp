#pragma once
// What the two mining tools (expose-mine, expose-mine-mpi) share beyond cli_common.hpp: the
// cluster policy chosen at run time.

#include <string>

#include "cli_common.hpp"
#include "expose/clusters/any_of.hpp"
#include "expose/clusters/components.hpp"
#include "expose/clusters/spectral.hpp"

namespace expose_tools {

/// `--clusters` and its settings as one policy chosen at run time (one instantiation of the job).
using any_clusters = expose::clusters::any_of<expose::clusters::components, expose::clusters::spectral>;
inline any_clusters clusters_named(const std::string& name, double conductance, const std::string& join) {
  any_clusters c{.join = cluster_join_named(join)};
  if (name == "spectral") c.chosen = expose::clusters::spectral{.max_conductance = conductance};
  return c;
}

}  // namespace expose_tools
