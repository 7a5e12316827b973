// The project's own programs (tools, tests, benchmarks) compile the library's separately
// compilable definitions here, once, instead of in every translation unit that uses them: every
// file of those programs is built with EXPOSE_SEPARATE_COMPILATION (see expose/detail/decl.hpp).
#include <expose/separate.hpp>
