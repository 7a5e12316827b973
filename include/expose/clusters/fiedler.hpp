#pragma once
// The spectral step of clusters::spectral, declared apart from Eigen and Spectra: the Fiedler
// vector of a group's normalized adjacency D^-1/2 W D^-1/2 (its eigenvector of the second largest
// eigenvalue). Defined in fiedler_impl.hpp, which is included here unless the program compiles it
// separately (EXPOSE_SEPARATE_COMPILATION, see detail/decl.hpp).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "expose/detail/decl.hpp"

namespace expose::clusters::detail {

/// One entry of a symmetric matrix given by its entries (both (row, col) and (col, row) appear).
struct matrix_entry {
  std::uint32_t row = 0, col = 0;
  double value = 0;
};

/// How the vector is found: dense eigen-decomposition below `dense_below` nodes, Lanczos above,
/// and `power_steps` lazy power steps from a fixed start (by `seed`) where Lanczos does not settle
/// within `lanczos_rounds` restarts.
struct fiedler_options {
  std::size_t dense_below = 100;
  int lanczos_rounds = 20;
  int power_steps = 300;
  std::uint64_t seed = 0;
};

/// The Fiedler vector of the k×k normalized adjacency with these entries; `degree` holds each
/// node's weighted degree (the power steps keep orthogonal to D^1/2 1). Its sign is arbitrary.
EXPOSE_DECL std::vector<double> fiedler(std::size_t k, const std::vector<matrix_entry>& entries, const std::vector<double>& degree,
                                        const fiedler_options& options);

}  // namespace expose::clusters::detail

#if !defined(EXPOSE_SEPARATE_COMPILATION)
#include "expose/clusters/fiedler_impl.hpp"
#endif
