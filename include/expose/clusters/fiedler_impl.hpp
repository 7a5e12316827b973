#pragma once
// The definition of clusters::detail::fiedler (declared in fiedler.hpp): Eigen's dense solver for
// small groups, Spectra's Lanczos solver for large sparse ones, lazy power steps where Lanczos does
// not settle. Included by fiedler.hpp (header-only), or once by <expose/separate.hpp>.

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <Spectra/MatOp/SparseSymMatProd.h>
#include <Spectra/SymEigsSolver.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "expose/clusters/fiedler.hpp"

namespace expose::clusters::detail {

EXPOSE_DECL std::vector<double> fiedler(std::size_t k, const std::vector<matrix_entry>& entries, const std::vector<double>& degree,
                                        const fiedler_options& options) {
  std::vector<Eigen::Triplet<double>> t;
  t.reserve(entries.size());
  for (const auto& e : entries) t.emplace_back(static_cast<int>(e.row), static_cast<int>(e.col), e.value);
  Eigen::VectorXd vector;
  const auto n = static_cast<Eigen::Index>(k);
  if (k < options.dense_below) {
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
    for (const auto& x : t) a(x.row(), x.col()) = x.value();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(a);
    vector = solver.eigenvectors().col(n - 2);  // eigenvalues ascending
  } else {
    Eigen::SparseMatrix<double> a(n, n);
    a.setFromTriplets(t.begin(), t.end());
    Spectra::SparseSymMatProd<double> op(a);
    Spectra::SymEigsSolver<Spectra::SparseSymMatProd<double>> solver(op, 2, std::min<Eigen::Index>(n, 20));
    solver.init();
    solver.compute(Spectra::SortRule::LargestAlge, options.lanczos_rounds, 1e-6);
    if (solver.info() == Spectra::CompInfo::Successful) {
      vector = solver.eigenvectors().col(1);  // largest first
    } else {
      // Many weakly tied groups make the top of the spectrum nearly degenerate and Lanczos slow
      // to settle; any vector from that top space cuts along the groups, so a fixed number of
      // lazy power steps, kept orthogonal to the first eigenvector D^1/2 1, serves.
      Eigen::VectorXd top(n), x(n);
      for (Eigen::Index i = 0; i < n; ++i) top(i) = std::sqrt(degree[static_cast<std::size_t>(i)]);
      top.normalize();
      std::uint64_t state = 0x9e3779b97f4a7c15ULL ^ options.seed;
      for (Eigen::Index i = 0; i < n; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // a fixed start: deterministic
        x(i) = static_cast<double>(state >> 11) * 0x1.0p-53 - 0.5;
      }
      for (int step = 0; step < options.power_steps; ++step) {
        x -= top.dot(x) * top;
        x = 0.5 * (x + a * x);
        x.normalize();
      }
      vector = x;
    }
  }
  return {vector.data(), vector.data() + vector.size()};
}

}  // namespace expose::clusters::detail
