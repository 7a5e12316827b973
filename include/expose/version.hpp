#pragma once
// The library's version, for the tools' output and for packaging checks.

#define EXPOSE_VERSION_MAJOR 0
#define EXPOSE_VERSION_MINOR 1
#define EXPOSE_VERSION_PATCH 0

namespace expose {
inline constexpr const char* version = "0.1.0";
}  // namespace expose
