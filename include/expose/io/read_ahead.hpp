#pragma once
// Read ahead: a packet source read and decoded on a thread of its own, its packets handed over in
// batches, so reading a file and building flows use two cores. The sink sees the packets on the
// calling thread in the source's order: results equal a plain `source.read(sink, stats)`.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "expose/concepts.hpp"
#include "expose/input.hpp"
#include "expose/packet.hpp"

namespace expose::io {

/// Reads `source` on a worker thread; `stats` belongs to the worker until this returns. An
/// exception thrown by the source is rethrown here, after the packets read before it were sunk.
template <class Source, class Sink>
  requires PacketSource<std::remove_cvref_t<Source>>
void read_ahead(Source&& source, Sink&& sink, input_stats& stats, std::size_t batch_size = 4096, std::size_t depth = 8) {
  std::mutex m;
  std::condition_variable ready, room;
  std::deque<std::vector<packet>> full;  // batches waiting, oldest first, at most `depth`
  std::vector<std::vector<packet>> spare;
  bool done = false, closed = false;
  std::exception_ptr failure;

  std::jthread reader([&] {
    // The reader fills a batch of its own, which stays in its core's cache, and copies each full
    // one at once into the batch it hands over (a spare the consumer gave back, or a new one).
    // Filled packet by packet, the spares made the decoder wait at its first store to every
    // cache line the consumer's core had read last: on the 6-hour trace that store took a quarter
    // of the run's cycles, and expose-mine took 3.87 s (5.27 s of CPU) where one thread reading
    // alone took 3.15; with the copy 2.73 s (4.11 s of CPU), medians of 5 alternating runs.
    std::vector<packet> batch;
    batch.reserve(batch_size);
    const auto hand_over = [&] {
      std::vector<packet> out;
      {
        std::unique_lock lock(m);
        room.wait(lock, [&] { return full.size() < depth || closed; });
        if (closed) {
          batch.clear();
          return;
        }
        if (!spare.empty()) {
          out = std::move(spare.back());
          spare.pop_back();
        }
      }
      out.assign(batch.begin(), batch.end());
      batch.clear();
      std::lock_guard lock(m);
      full.push_back(std::move(out));
      ready.notify_one();
    };
    try {
      source.read(
          [&](const packet& p) {
            batch.push_back(p);
            if (batch.size() == batch_size) hand_over();
          },
          stats);
    } catch (...) {
      failure = std::current_exception();
    }
    if (!batch.empty()) hand_over();
    std::lock_guard lock(m);
    done = true;
    ready.notify_one();
  });

  // Whatever happens to the consumer, the reader must not wait for room forever.
  struct closer {
    std::mutex& m;
    std::condition_variable& room;
    bool& closed;
    ~closer() {
      std::lock_guard lock(m);
      closed = true;
      room.notify_all();
    }
  } close_on_exit{m, room, closed};

  std::vector<packet> batch;
  for (;;) {
    {
      std::unique_lock lock(m);
      if (batch.capacity() != 0) {
        batch.clear();
        spare.push_back(std::move(batch));
      }
      ready.wait(lock, [&] { return !full.empty() || done; });
      if (full.empty()) break;  // done and drained
      batch = std::move(full.front());
      full.pop_front();
      room.notify_one();
    }
    for (const packet& p : batch) sink(p);
  }
  reader.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace expose::io
