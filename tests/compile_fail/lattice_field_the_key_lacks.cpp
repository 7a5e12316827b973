// Must not compile when EXPOSE_KO is defined: a template that wildcards the client port, over a
// key (host pairs) that has no ports. Compiles without it (the same template over the 5-tuple).
#include <vector>

#include "expose/expose.hpp"

int main() {
  namespace ex = expose;
  const std::vector<ex::packet> trace;
#ifdef EXPOSE_KO
  auto spec = ex::key_by(ex::keys::host_pair{}) | ex::generalize_by(ex::lattice::templates<ex::lattice::client_port>{});
#else
  auto spec = ex::key_by(ex::keys::five_tuple{}) | ex::generalize_by(ex::lattice::templates<ex::lattice::client_port>{});
#endif
  return static_cast<int>(ex::mine(trace, spec).rules.size());
}
