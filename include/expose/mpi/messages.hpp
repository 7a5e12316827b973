#pragma once
// Messages between MPI ranks (component expose::mpi): byte buffers of trivially copyable values,
// and the sends, receives, broadcasts and all-to-all exchanges of them that expose/mpi/mine.hpp's
// phases use. Every wait sleeps between polls instead of spinning, so a waiting rank leaves its
// core to a rank that works beside it; every message may exceed MPI's int counts (it goes in
// pieces of at most 1 GiB).
//
//   detail::writer w;  w.put_vector(ids);
//   auto in = detail::exchange(std::move(out), comm, t);  // out[to] -> in[from], every pair at once

// The C API only: Open MPI's and MPICH's deprecated C++ bindings are left out (they do not
// compile warning-free).
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "expose/detail/release.hpp"
#include "expose/error.hpp"

namespace expose::mpi {

/// Bytes one rank sent and received (every message helper adds to them).
struct traffic {
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
};

namespace detail {

/// A failure where ranks are in a send or a collective that cannot be left: the job stops (the
/// tools call MPI_Abort for it, naming the rank). Not an expose::error, which the ranks agree on
/// first (every rank throws it): a damaged message between ranks, or a failure partway through
/// taking one, is this rank's alone.
struct job_stops : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr int tag_bytes = 7301;
inline constexpr std::size_t max_message = std::size_t{1} << 30;

/// A byte buffer of trivially copyable values and vectors of them.
struct writer {
  std::vector<char> bytes;
  template <class T>
    requires std::is_trivially_copyable_v<T>
  void put(const T& v) {
    const auto* p = reinterpret_cast<const char*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
  template <class T>
  void put_vector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    put<std::uint64_t>(v.size());
    const auto* p = reinterpret_cast<const char*>(v.data());
    bytes.insert(bytes.end(), p, p + v.size() * sizeof(T));
  }
  void put_string(const std::string& s) {
    put<std::uint64_t>(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
};

struct reader {
  const char* at;
  const char* end;
  explicit reader(const std::vector<char>& b) : at(b.data()), end(b.data() + b.size()) {}
  void need(std::size_t n) const {
    if (static_cast<std::size_t>(end - at) < n) throw job_stops("expose::mpi: a message between ranks is shorter than its contents");
  }
  template <class T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, at, sizeof(T));
    at += sizeof(T);
    return v;
  }
  template <class T>
  std::vector<T> get_vector() {
    const auto n = get<std::uint64_t>();
    need(n * sizeof(T));
    std::vector<T> v(n);
    if (n != 0) std::memcpy(v.data(), at, n * sizeof(T));
    at += n * sizeof(T);
    return v;
  }
  std::string get_string() {
    const auto n = get<std::uint64_t>();
    need(n);
    std::string s(at, n);
    at += n;
    return s;
  }
};

/// Nanoseconds this process has spent in wait_all_idly on requests not done when first tested:
/// waiting for other ranks and for transfers to end (mine reads it per phase: phase_times'
/// `*_wait`, what `--timings` says each rank waited).
inline std::atomic<std::uint64_t> waited_ns{0};
[[nodiscard]] inline double waited_seconds() noexcept { return static_cast<double>(waited_ns.load(std::memory_order_relaxed)) * 1e-9; }

/// Waits for requests without holding a core. A rank waiting for rank 0's merge would otherwise
/// spin in MPI's progress loop for seconds and take the CPU from ranks sharing its machine
/// (measured: rank 0's merge took twice as long with a spinning rank beside it on 2 cores).
inline void wait_all_idly(MPI_Request* requests, int n) {
  int done = 0;
  MPI_Testall(n, requests, &done, MPI_STATUSES_IGNORE);
  if (done) return;
  const auto t0 = std::chrono::steady_clock::now();
  for (unsigned tries = 1;; ++tries) {
    MPI_Testall(n, requests, &done, MPI_STATUSES_IGNORE);
    if (done) break;
    if (tries > 64) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  waited_ns.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}
inline void wait_idly(MPI_Request& request) { wait_all_idly(&request, 1); }
inline void wait_all_idly(std::vector<MPI_Request>& requests) {
  if (!requests.empty()) wait_all_idly(requests.data(), static_cast<int>(requests.size()));
  requests.clear();
}

/// Messages of any size: the length, then pieces of at most 1 GiB (MPI counts are ints). A vector
/// of trivially copyable values goes where it lies (no copy into a byte buffer).
template <class T>
  requires std::is_trivially_copyable_v<T>
void send_vector(const std::vector<T>& v, int to, MPI_Comm comm, traffic& t) {
  std::uint64_t n = v.size();
  MPI_Request request;
  MPI_Isend(&n, 1, MPI_UINT64_T, to, tag_bytes, comm, &request);
  wait_idly(request);
  const auto* p = reinterpret_cast<const char*>(v.data());
  const std::size_t bytes = n * sizeof(T);
  for (std::size_t off = 0; off < bytes; off += max_message) {
    MPI_Isend(p + off, static_cast<int>(std::min(max_message, bytes - off)), MPI_BYTE, to, tag_bytes, comm, &request);
    wait_idly(request);
  }
  t.bytes_sent += 8 + bytes;
}

template <class T>
  requires std::is_trivially_copyable_v<T>
[[nodiscard]] std::vector<T> recv_vector(int from, MPI_Comm comm, traffic& t) {
  std::uint64_t n = 0;
  MPI_Request request;
  MPI_Irecv(&n, 1, MPI_UINT64_T, from, tag_bytes, comm, &request);
  wait_idly(request);
  std::vector<T> v(n);
  auto* p = reinterpret_cast<char*>(v.data());
  const std::size_t bytes = n * sizeof(T);
  for (std::size_t off = 0; off < bytes; off += max_message) {
    MPI_Irecv(p + off, static_cast<int>(std::min(max_message, bytes - off)), MPI_BYTE, from, tag_bytes, comm, &request);
    wait_idly(request);
  }
  t.bytes_received += 8 + bytes;
  return v;
}

inline void send_bytes(const std::vector<char>& b, int to, MPI_Comm comm, traffic& t) { send_vector(b, to, comm, t); }
[[nodiscard]] inline std::vector<char> recv_bytes(int from, MPI_Comm comm, traffic& t) { return recv_vector<char>(from, comm, t); }

/// Broadcasts one trivially copyable value from `root`.
template <class T>
  requires std::is_trivially_copyable_v<T>
void bcast_value(T& v, int root, MPI_Comm comm, traffic& t) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  MPI_Request request;
  MPI_Ibcast(&v, sizeof(T), MPI_BYTE, root, comm, &request);
  wait_idly(request);
  if (rank == root) t.bytes_sent += sizeof(T) * static_cast<std::uint64_t>(size - 1);
  else t.bytes_received += sizeof(T);
}

/// Starts broadcasting `v`, already of the same size on every rank, from `root` where it lies, in
/// pieces of at most max_message bytes: appends a request a piece to `requests` (wait for them with
/// wait_all_idly(requests); `v` stays as it is until then).
template <class T>
  requires std::is_trivially_copyable_v<T>
void start_bcast(std::vector<T>& v, int root, MPI_Comm comm, traffic& t, std::vector<MPI_Request>& requests) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  auto* p = reinterpret_cast<char*>(v.data());
  const std::size_t bytes = v.size() * sizeof(T);
  for (std::size_t off = 0; off < bytes; off += max_message) {
    requests.emplace_back();
    MPI_Ibcast(p + off, static_cast<int>(std::min(max_message, bytes - off)), MPI_BYTE, root, comm, &requests.back());
  }
  if (rank == root) t.bytes_sent += bytes * static_cast<std::uint64_t>(size - 1);
  else t.bytes_received += bytes;
}

/// Starts sending `v` to one rank (`to`, with `tag`) where it lies, and start_recv starts taking it
/// into a vector already of its size, as start_bcast does for every rank: in pieces of at most
/// max_message bytes, a request a piece appended to `requests`.
template <class T>
  requires std::is_trivially_copyable_v<T>
void start_send(const std::vector<T>& v, int to, int tag, MPI_Comm comm, traffic& t, std::vector<MPI_Request>& requests) {
  const auto* p = reinterpret_cast<const char*>(v.data());
  const std::size_t bytes = v.size() * sizeof(T);
  for (std::size_t off = 0; off < bytes; off += max_message) {
    requests.emplace_back();
    MPI_Isend(p + off, static_cast<int>(std::min(max_message, bytes - off)), MPI_BYTE, to, tag, comm, &requests.back());
  }
  t.bytes_sent += bytes;
}
template <class T>
  requires std::is_trivially_copyable_v<T>
void start_recv(std::vector<T>& v, int from, int tag, MPI_Comm comm, traffic& t, std::vector<MPI_Request>& requests) {
  auto* p = reinterpret_cast<char*>(v.data());
  const std::size_t bytes = v.size() * sizeof(T);
  for (std::size_t off = 0; off < bytes; off += max_message) {
    requests.emplace_back();
    MPI_Irecv(p + off, static_cast<int>(std::min(max_message, bytes - off)), MPI_BYTE, from, tag, comm, &requests.back());
  }
  t.bytes_received += bytes;
}

/// Broadcasts a vector of trivially copyable values from `root` into every rank's vector (resized
/// there), where it lies: no copy into a byte buffer.
template <class T>
  requires std::is_trivially_copyable_v<T>
void bcast_vector(std::vector<T>& v, int root, MPI_Comm comm, traffic& t) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::uint64_t n = v.size();
  bcast_value(n, root, comm, t);
  if (rank != root) v.resize(n);
  std::vector<MPI_Request> requests;
  start_bcast(v, root, comm, t, requests);
  wait_all_idly(requests);
}

inline void bcast_bytes(std::vector<char>& b, int root, MPI_Comm comm, traffic& t) { bcast_vector(b, root, comm, t); }

inline constexpr int tag_exchange = 7302;
/// The window items' matrix from rank 0 to rank 1 (mine.hpp: detail::matrix_send).
inline constexpr int tag_matrix = 7303;

/// Every rank sends `out[to]` to every rank `to` and returns what every rank sent it (`in[from]`;
/// its own `out[rank]` is moved to `in[rank]`), each vector where it lies. The pairs go in
/// size - 1 steps (step s: to rank + s, from rank - s), each step's send and receive at once, so
/// no rank waits on a send that its peer has not yet posted the receive for, whatever the sizes.
template <class T>
  requires std::is_trivially_copyable_v<T>
[[nodiscard]] std::vector<std::vector<T>> exchange(std::vector<std::vector<T>> out, MPI_Comm comm, traffic& t) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (out.size() != static_cast<std::size_t>(size)) throw job_stops("expose::mpi: an exchange needs one message for every rank");
  std::vector<std::vector<T>> in(static_cast<std::size_t>(size));
  in[static_cast<std::size_t>(rank)] = std::move(out[static_cast<std::size_t>(rank)]);
  for (int step = 1; step < size; ++step) {
    const int to = (rank + step) % size;
    const int from = (rank - step + size) % size;
    auto& send = out[static_cast<std::size_t>(to)];
    auto& recv = in[static_cast<std::size_t>(from)];
    std::uint64_t n_out = send.size(), n_in = 0;
    MPI_Request r[2];
    MPI_Irecv(&n_in, 1, MPI_UINT64_T, from, tag_exchange, comm, &r[0]);
    MPI_Isend(&n_out, 1, MPI_UINT64_T, to, tag_exchange, comm, &r[1]);
    wait_all_idly(r, 2);
    recv.resize(n_in);
    auto* in_bytes = reinterpret_cast<char*>(recv.data());
    const auto* out_bytes = reinterpret_cast<const char*>(send.data());
    const std::size_t bytes_in = n_in * sizeof(T), bytes_out = n_out * sizeof(T);
    for (std::size_t off = 0; off < std::max(bytes_in, bytes_out); off += max_message) {
      int n = 0;
      if (off < bytes_in)
        MPI_Irecv(in_bytes + off, static_cast<int>(std::min(max_message, bytes_in - off)), MPI_BYTE, from, tag_exchange, comm, &r[n++]);
      if (off < bytes_out)
        MPI_Isend(out_bytes + off, static_cast<int>(std::min(max_message, bytes_out - off)), MPI_BYTE, to, tag_exchange, comm, &r[n++]);
      wait_all_idly(r, n);
    }
    t.bytes_sent += 8 + bytes_out;
    t.bytes_received += 8 + bytes_in;
    expose::detail::release(send);
  }
  return in;
}

}  // namespace detail
}  // namespace expose::mpi
