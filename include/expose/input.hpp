#pragma once
// What was read: packets, what became flows, what was skipped and why, and any damage met.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace expose {

struct input_stats {
  std::uint64_t packets = 0;  ///< every record read, decoded or not
  std::uint64_t decoded = 0;  ///< records that became a flow
  std::map<std::string, std::uint64_t> skipped;  ///< the rest, by reason
  std::int64_t start_ns = 0;  ///< first and last decoded timestamp
  std::int64_t end_ns = 0;
  std::vector<std::string> warnings;  ///< damage and other non-fatal trouble, one sentence each
  bool damaged = false;               ///< a file ended in damage: results hold what came before it
  std::string_view record = "packet";  ///< what a record is, for people ("connection record" for a flow log)

  void skip(const std::string& reason) {
    ++packets;
    ++skipped[reason];
  }
};

}  // namespace expose
