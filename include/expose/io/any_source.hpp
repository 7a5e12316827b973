#pragma once
// Any packet source behind one type, chosen at run time: a file, a live capture or a flow log can
// feed one instantiation of `mine` (and of `stream_miner`) instead of one each. The cost is one
// indirect call per packet.
//
//   io::any_source src = live ? io::any_source(io::pcap_live("eth0")) : io::any_source(io::pcap_files(paths));
//   auto result = mine(std::move(src), spec);

#include <concepts>
#include <memory>
#include <type_traits>
#include <utility>

#include "expose/concepts.hpp"
#include "expose/input.hpp"
#include "expose/packet.hpp"

namespace expose::io {

class any_source {
 public:
  template <class S>
    requires(!std::same_as<std::remove_cvref_t<S>, any_source> && PacketSource<std::remove_cvref_t<S>>)
  explicit any_source(S&& source) : self_(std::make_unique<model<std::remove_cvref_t<S>>>(std::forward<S>(source))) {}

  /// Reads the held source into `sink`, accounting every record in `stats`.
  template <class Sink>
  void read(Sink&& sink, input_stats& stats) {
    auto& s = sink;
    self_->read(sink_ref{&s, [](void* target, const packet& p) { (*static_cast<std::remove_reference_t<Sink>*>(target))(p); }}, stats);
  }

 private:
  struct sink_ref {
    void* target;
    void (*call)(void*, const packet&);
    void operator()(const packet& p) const { call(target, p); }
  };
  struct concept_base {
    virtual ~concept_base() = default;
    virtual void read(sink_ref sink, input_stats& stats) = 0;
  };
  template <class S>
  struct model final : concept_base {
    template <class T>
    explicit model(T&& s) : source(std::forward<T>(s)) {}
    void read(sink_ref sink, input_stats& stats) override { source.read(sink, stats); }
    S source;
  };
  std::unique_ptr<concept_base> self_;
};

static_assert(PacketSource<any_source>);
static_assert(!PacketSource<int>);

}  // namespace expose::io
