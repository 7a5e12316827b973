#pragma once
// Any range of decoded packet records (a vector, a generator's view) as a packet source, so that
// `mine` and the stream driver take records from memory as they take a capture file.

#include <concepts>
#include <ranges>
#include <span>

#include "expose/concepts.hpp"
#include "expose/input.hpp"
#include "expose/packet.hpp"

namespace expose::io {

/// Any range of decoded packet records as a source.
template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, const packet&>
struct packets {
  R range;
  template <class Sink>
  void read(Sink&& sink, input_stats& stats) {
    for (const packet& p : range) {
      ++stats.packets;
      ++stats.decoded;
      sink(p);
    }
  }
};
template <class R>
packets(R&&) -> packets<std::views::all_t<R>>;

static_assert(PacketSource<packets<std::span<const packet>>>);

}  // namespace expose::io
