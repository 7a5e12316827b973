#pragma once
// The link types decode_fuzz picks from with the first byte of its input (seed_corpus writes
// that byte): every type the decoder reads (expose::io::link), and 147, a user DLT it does not.

#include <cstddef>
#include <cstdint>

#include "expose/io/decode.hpp"

namespace expose::fuzz {

inline constexpr int links[] = {io::link::null,         io::link::ethernet,     io::link::ppp,        io::link::raw,
                                io::link::raw_openbsd,  io::link::ppp_hdlc,     io::link::raw_linktype,
                                io::link::ieee802_11,   io::link::loop,         io::link::linux_sll,  io::link::radiotap,
                                io::link::ipv4,         io::link::ipv6,         io::link::linux_sll2, 147};
inline constexpr std::size_t n_links = sizeof links / sizeof links[0];

/// The first input byte that picks `link_type`.
constexpr std::uint8_t link_byte(int link_type) {
  for (std::size_t i = 0; i < n_links; ++i)
    if (links[i] == link_type) return static_cast<std::uint8_t>(i);
  return static_cast<std::uint8_t>(n_links - 1);
}

}  // namespace expose::fuzz
