#pragma once
// EXPOSE_DECL marks the few functions that a program may compile once instead of in every
// translation unit (Boost.Asio's separate compilation). Header-only by default: they are inline
// and defined where they are declared. A program that defines EXPOSE_SEPARATE_COMPILATION in every
// translation unit sees only their declarations and compiles their definitions in one file of its
// own that includes <expose/separate.hpp>; nothing else changes. Worth it where compile time
// counts: the spectral solver (Eigen, Spectra) is most of the cost of a translation unit that
// clusters spectrally.

#if defined(EXPOSE_SEPARATE_COMPILATION)
#define EXPOSE_DECL
#else
#define EXPOSE_DECL inline
#endif
