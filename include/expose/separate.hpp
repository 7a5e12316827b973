#pragma once
// The definitions a separately compiled program compiles once: include this header in exactly one
// .cpp file of a program whose every translation unit defines EXPOSE_SEPARATE_COMPILATION (see
// detail/decl.hpp). The tools, the tests and the benchmarks of this project are built this way.

#include "expose/clusters/fiedler_impl.hpp"
