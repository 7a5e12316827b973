#pragma once
// doctest's include spelling differs between its CMake package and its meson wrap.
#if __has_include(<doctest/doctest.h>)
#include <doctest/doctest.h>
#else
#include <doctest.h>
#endif
