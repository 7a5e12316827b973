// A consumer of the core alone (CMake expose::expose, pkg-config expose, meson 'expose'):
// mines packets made in code, no libpcap, no JSON.
#include "fixture.hpp"

int main() {
  try {
    const auto packets = consumer::packets();
    const auto result = expose::mine(packets, consumer::spec());
    const bool ok = consumer::check("core", result) && consumer::check_version();
    std::puts(ok ? "core consumer: ok" : "core consumer: FAILED");
    return ok ? 0 : 1;
  } catch (const expose::error& e) {
    std::fprintf(stderr, "core consumer: %s\n", e.what());
    return 1;
  }
}
