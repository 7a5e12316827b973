// Must not compile when EXPOSE_KO is defined: a template that only wildcards the client port, over
// a key (host pairs) that has no ports, so the key can hold none of the lattice's templates; the
// error names the key and the template, and points at the `|` line below. Compiles without it: the
// default lattice (the paper's templates) with every shipped key, and the template over the 5-tuple.
#include <vector>

#include "expose/expose.hpp"

int main() {
  namespace ex = expose;
  const std::vector<ex::packet> trace;
#ifdef EXPOSE_KO
  auto spec = ex::key_by(ex::keys::host_pair{}) | ex::generalize_by(ex::lattice::templates<ex::lattice::client_port>{});
#else
  auto spec = ex::key_by(ex::keys::five_tuple{}) | ex::generalize_by(ex::lattice::templates<ex::lattice::client_port>{});
  auto pairs = ex::mine(trace, ex::key_by(ex::keys::host_pair{}));
  auto services = ex::mine(trace, ex::key_by(ex::keys::service{}));
  if (!pairs.rules.empty() || !services.rules.empty()) return 1;
#endif
  return static_cast<int>(ex::mine(trace, spec).rules.size());
}
