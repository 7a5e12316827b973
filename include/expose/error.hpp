#pragma once
// One root error type with a few subclasses; messages name the file, the place and what to do.

#include <stdexcept>
#include <string>

namespace expose {

/// Root of every exception the library throws.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A policy or option was given a value it cannot take (names the option).
class bad_argument : public error {
 public:
  using error::error;
};

/// A trace could not be opened or read at all (names the file and the cause).
class bad_trace : public error {
 public:
  using error::error;
};

}  // namespace expose
