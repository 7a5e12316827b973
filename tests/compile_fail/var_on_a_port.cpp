// Must not compile when EXPOSE_KO is defined: a host variable on a port field.
#include "expose/lattice/mask.hpp"

namespace ex = expose;
#ifdef EXPOSE_KO
using bad = ex::lattice::shape<ex::lattice::var<ex::fields::src_port>>;
static_assert(bad::value.vars() == 1);
#else
using good = ex::lattice::shape<ex::lattice::var<ex::fields::src_ip>>;
static_assert(good::value.vars() == 1);
#endif
int main() { return 0; }
