#pragma once
// The JSON report of DESIGN.md section 5 (component expose::json, with nlohmann/json). Other programs
// read it: field names and meanings are a contract; fields may be added, never renamed or dropped.

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <ranges>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "expose/clusters/summary.hpp"
#include "expose/dependencies.hpp"
#include "expose/io/deps.hpp"
#include "expose/io/text.hpp"
#include "expose/mine_result.hpp"
#include "expose/version.hpp"

namespace expose::io {

namespace detail {

/// An item's fields, each given to `sink(key, value)` in the report's order.
template <class Sink>
void flow_fields(const flow_pattern& p, Sink& sink) {
  sink("proto", p.field_text(field::proto));
  sink("src", p.field_text(field::src_ip));
  sink("sport", p.field_text(field::src_port));
  sink("dst", p.field_text(field::dst_ip));
  sink("dport", p.field_text(field::dst_port));
}

/// Fields given to it become an object's (`sink(key, value)`, `sink.object(key, fill)`): the
/// report as a document (to_json).
struct json_sink {
  nlohmann::ordered_json& into;
  template <class V>
  void operator()(std::string_view key, const V& v) {
    into[std::string(key)] = v;
  }
  template <class Fill>
  void object(std::string_view key, Fill&& fill) {
    nlohmann::ordered_json inner = nlohmann::ordered_json::object();
    json_sink in{inner};
    std::forward<Fill>(fill)(in);
    into[std::string(key)] = std::move(inner);
  }
};

}  // namespace detail

[[nodiscard]] inline nlohmann::ordered_json flow_json(const flow_pattern& p) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  detail::json_sink sink{out};
  detail::flow_fields(p, sink);
  return out;
}

namespace detail {

/// The report's fields before the rules: tool, version, input.
[[nodiscard]] inline nlohmann::ordered_json report_head(const mine_result& r) {
  using json = nlohmann::ordered_json;
  auto seconds = [](std::int64_t ns) { return static_cast<double>(ns) / 1e9; };
  json skipped = json::object();
  for (const auto& [why, n] : r.input.skipped) skipped[why] = n;
  json by_protocol = json::object();
  for (const auto& [proto, n] : r.flows_by_protocol) by_protocol[proto_name(proto)] = n;
  json out = {{"tool", "expose"},
              {"version", version},
              {"input",
               {{"packets", r.input.packets},
                {"decoded", r.input.decoded},
                {"skipped", skipped},
                {"flows", r.flows},
                {"windows", r.windows},
                {"window_seconds", r.window_seconds},
                {"start", seconds(r.input.start_ns)},
                {"end", seconds(r.input.end_ns)},
                {"items", r.items.size()},
                {"activity_entries", r.activity_entries},
                {"damaged", r.input.damaged},
                {"warnings", r.input.warnings},
                {"evicted_flows", r.limits.evicted_flows},
                {"refused_packets", r.limits.refused},
                {"flows_by_protocol", by_protocol}}}};
  return out;
}

/// One rule's fields, each given to `sink` in the report's order (json_sink, text_sink).
template <class Sink>
void rule_fields(const mine_result& r, const rule& x, Sink& sink) {
  sink.object("lhs", [&](auto& in) { flow_fields(r.items[x.lhs], in); });
  sink.object("rhs", [&](auto& in) { flow_fields(r.items[x.rhs], in); });
  sink("kind", kind_text(x.kind));
  sink("score", x.score);
  sink("reverse_score", x.reverse_score);
  sink("support", x.counts.n_xy);
  sink("lhs_count", x.counts.n_x);
  sink("rhs_count", x.counts.n_y);
  sink("samples", x.counts.n);
  sink("confidence", x.confidence());
  sink("text", rule_text(r, x));
  sink("order", order_text(x.order));
  sink("lag_windows", x.lag);
  if (x.delay.samples == 0) {
    sink("delay", nullptr);
  } else {
    sink.object("delay", [&](auto& in) {
      in("median_ms", x.delay.median_ms);
      in("p25_ms", x.delay.p25_ms);
      in("p75_ms", x.delay.p75_ms);
      in("samples", x.delay.samples);
      in("hosts", x.delay.hosts);
    });
  }
  sink("leads", leads_text(x.leads));
  if (x.alike_of != rule::not_alike) sink("alike_of", x.alike_of);
  if (x.alike != 0) sink("alike", x.alike);
  if (x.same_shape_of != rule::not_alike) sink("same_shape_of", x.same_shape_of);
  if (x.same_shape != 0) {
    sink("same_shape", x.same_shape);
    sink("same_shape_host", x.same_shape_host.to_string());
  }
}

/// One rule's object.
[[nodiscard]] inline nlohmann::ordered_json rule_json(const mine_result& r, const rule& x) {
  nlohmann::ordered_json one = nlohmann::ordered_json::object();
  json_sink sink{one};
  rule_fields(r, x, sink);
  return one;
}

/// Cluster c's object.
[[nodiscard]] inline nlohmann::ordered_json cluster_json(const mine_result& r, std::size_t c) {
  using json = nlohmann::ordered_json;
  json flows = json::array();
  for (auto item : clusters::listed_flows(r.clusters[c], r.items)) flows.push_back(r.items[item].text());
  const auto& cl = r.clusters[c];
  json entry = {{"id", c},
                {"flows", std::move(flows)},
                {"rules", cl.rules},
                {"density", cl.density},
                {"summary", cl.summary},
                {"parts", cl.parts}};
  // The pattern block: its best rules, when it was active, how, and how often.
  std::vector<std::size_t> best;  // listed ones (not folded into another), as the text shows them
  for (auto i : cl.rules)
    if (!r.rules[i].folded() && best.size() < 3) best.push_back(i);
  entry["top_rules"] = best;
  entry["host_count"] = clusters::hosts_of(cl, r.items);
  if (cl.windows_active != 0) {
    entry["first_seen"] = static_cast<double>(cl.first_window) * r.window_seconds;
    entry["last_seen"] = static_cast<double>(cl.last_window + 1) * r.window_seconds;
    entry["windows_active"] = cl.windows_active;
    entry["activity_per_minute"] = cl.per_minute;
    entry["period_s"] = cl.period_seconds > 0 ? json(cl.period_seconds) : json(nullptr);
  }
  return entry;
}

/// A service dependency's object (the rules rolled up: dependencies.hpp).
[[nodiscard]] inline nlohmann::ordered_json dependency_json(const dependency& d) {
  using json = nlohmann::ordered_json;
  json entry = {{"first", service_text(d.first)}, {"then", service_text(d.then)}, {"ordered", d.ordered},
                {"rules", d.rules},           {"hosts", d.hosts},           {"rule_indices", d.rule_indices}};
  if (d.ordered && d.delay.samples != 0)
    entry["delay"] = {{"median_ms", d.delay.median_ms}, {"p25_ms", d.delay.p25_ms}, {"p75_ms", d.delay.p75_ms}, {"samples", d.delay.samples}};
  else
    entry["delay"] = nullptr;
  return entry;
}

/// The hosts the items name that have names, with those names.
[[nodiscard]] inline nlohmann::ordered_json hosts_json(const mine_result& r, const host_names& names) {
  using json = nlohmann::ordered_json;
  auto table = json::array();
  for (const auto& h : clusters::hosts_named(r.items, std::views::iota(std::size_t{0}, r.items.size()))) {
    const auto& list = names.of(h);
    if (list.empty()) continue;
    auto entry = json::array();
    for (const auto& e : list) entry.push_back({{"name", e.name}, {"source", std::string(source_name(e.source))}});
    table.push_back({{"address", h.to_string()}, {"names", std::move(entry)}});
  }
  return table;
}

/// `text` (one value as dump(indent) writes it at the top) as it stands further down, appended to
/// `into`: every line after the first indented by `by` more spaces (a JSON string holds no raw
/// line break).
inline void append_indented(std::string& into, std::string_view text, std::size_t by) {
  for (std::size_t at = 0;;) {
    const auto nl = text.find('\n', at);
    if (nl == std::string_view::npos) {
      into += text.substr(at);
      return;
    }
    into += text.substr(at, nl + 1 - at);
    into.append(by, ' ');
    at = nl + 1;
  }
}

/// A value as nlohmann's dump(indent) writes it (indent < 0: on one line), bad UTF-8 replaced
/// (U+FFFD) where dump throws.
[[nodiscard]] inline std::string dump_value(const nlohmann::ordered_json& v, int indent = -1) {
  return v.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

/// Fields given to it written as text into `out`, an object standing at `depth` as dump(indent)
/// writes it (indent < 0: on one line), without a document made: `{` when made, `}` at close().
/// The report's own keys (`sink(key, value)`, `object(key, fill)`) are written as given (plain
/// ASCII); integers, and strings of printable ASCII without a quote or backslash, as they are
/// (what dump writes of them); every other value (and a tool's key, `value`) through dump_value,
/// indented where it stands. Arrays of many entries (`array`) are written entry by entry.
class text_sink {
 public:
  text_sink(std::string& out, int indent, std::size_t depth) : out_(out), indent_(indent), depth_(depth) { out_ += '{'; }
  template <class V>
  void operator()(std::string_view key, const V& v) {
    name(key);
    if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
      std::array<char, 24> digits{};
      const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), v).ptr;
      out_.append(digits.data(), end);
    } else if constexpr (std::is_null_pointer_v<V>) {
      out_ += "null";
    } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
      const std::string_view text = v;
      if (std::ranges::all_of(text, [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; })) {
        out_ += '"';
        out_ += text;
        out_ += '"';
      } else {
        out_ += dump_value(nlohmann::ordered_json(text));
      }
    } else {
      document(nlohmann::ordered_json(v), depth_ + 1);
    }
  }
  template <class Fill>
  void object(std::string_view key, Fill&& fill) {
    name(key);
    text_sink in(out_, indent_, depth_ + 1);
    std::forward<Fill>(fill)(in);
    in.close();
  }
  /// A value made as a document (a tool's additions), indented where it stands.
  void value(const std::string& key, const nlohmann::ordered_json& v) {
    quoted_name(dump_value(nlohmann::ordered_json(key)));
    document(v, depth_ + 1);
  }
  /// An array of n entries, entry(i) writing entry i (one level further in: `element` for an
  /// entry made as a document, a text_sink at depth + 2 for an object written field by field).
  template <class Entry>
  void array(std::string_view key, std::size_t n, Entry&& entry) {
    name(key);
    if (n == 0) {
      out_ += "[]";
      return;
    }
    out_ += '[';
    for (std::size_t i = 0; i < n; ++i) {
      if (i != 0) out_ += ',';
      if (indent_ >= 0) pad(depth_ + 2);
      entry(i);
    }
    if (indent_ >= 0) pad(depth_ + 1);
    out_ += ']';
  }
  /// An array's entry made as a document (inside array's entry).
  void element(const nlohmann::ordered_json& v) { document(v, depth_ + 2); }
  void close() {
    if (!first_ && indent_ >= 0) pad(depth_);
    out_ += '}';
  }

 private:
  void pad(std::size_t depth) {
    out_ += '\n';
    out_.append(depth * static_cast<std::size_t>(indent_), ' ');
  }
  void name(std::string_view key) {  // plain ASCII
    next_field();
    out_ += '"';
    out_ += key;
    out_ += '"';
    out_ += indent_ >= 0 ? ": " : ":";
  }
  void quoted_name(std::string_view quoted) {
    next_field();
    out_ += quoted;
    out_ += indent_ >= 0 ? ": " : ":";
  }
  void next_field() {
    if (!first_) out_ += ',';
    first_ = false;
    if (indent_ >= 0) pad(depth_ + 1);
  }
  void document(const nlohmann::ordered_json& v, std::size_t depth) {  // standing at `depth`
    append_indented(out_, dump_value(v, indent_), depth * static_cast<std::size_t>(std::max(indent_, 0)));
  }
  std::string& out_;
  int indent_;
  std::size_t depth_;
  bool first_ = true;
};

/// The whole report as one document (with `names`, the hosts too).
[[nodiscard]] inline nlohmann::ordered_json report(const mine_result& r, const host_names* names) {
  auto out = report_head(r);
  auto rules = nlohmann::ordered_json::array();
  for (const rule& x : r.rules) rules.push_back(rule_json(r, x));
  out["rules"] = std::move(rules);
  auto clusters = nlohmann::ordered_json::array();
  for (std::size_t c = 0; c < r.clusters.size(); ++c) clusters.push_back(cluster_json(r, c));
  out["clusters"] = std::move(clusters);
  auto deps = nlohmann::ordered_json::array();
  for (const auto& d : dependencies_of(r)) deps.push_back(dependency_json(d));
  out["dependencies"] = std::move(deps);
  if (names != nullptr) out["hosts"] = hosts_json(r, *names);
  return out;
}
}  // namespace detail

[[nodiscard]] inline nlohmann::ordered_json to_json(const mine_result& r) { return detail::report(r, nullptr); }

/// As above, plus `hosts`: every single host the items name that has a name, in byte order, with
/// its names and where each came from (`{"address", "names": [{"name", "source"}]}`; sources:
/// inventory, dhcp, netbios, mdns, llmnr, dns). Names never change the rules.
[[nodiscard]] inline nlohmann::ordered_json to_json(const mine_result& r, const host_names& names) { return detail::report(r, &names); }

/// What a tool adds to the report: fields at the end of rule i's object (`rule(i, fields)` sets
/// them in `fields`, an empty object, with keys a rule does not have), and fields after every
/// other (`after`, an object whose keys the report does not have).
struct json_additions {
  std::function<void(std::size_t, nlohmann::ordered_json&)> rule;
  nlohmann::ordered_json after = nlohmann::ordered_json::object();
};

/// The report (with `names`, to_json(r, names); else to_json(r)), with `add`'s fields, written as
/// its dump(indent) writes it (indent < 0: on one line), byte for byte, but each rule's fields
/// written as they come (rule_fields into a text_sink), with no document made of them, and each
/// cluster and dependency made as a small document, written and dropped in turn: the document of
/// the whole report took 2.3 GB and 12 s for the 378,865 rules of a 1 MB real capture
/// (nfpuzzle_evidence04; 306 MB of rules and 39 MB of dependencies written), a document a rule
/// 6.8 s and 354 MB, this 3.1 s and 220 MB. A string that is not UTF-8 (a name from an inventory
/// in another encoding, a path) has its bad bytes replaced by U+FFFD, where dump throws: what is
/// written is never cut short.
inline void write_json(std::ostream& out, const mine_result& r, const host_names* names, int indent = 2, const json_additions& add = {}) {
  using json = nlohmann::ordered_json;
  assert(add.after.is_object());
  std::string text;  // what is written, given to `out` as it grows (in pieces of `piece` bytes or more)
  constexpr std::size_t piece = std::size_t{1} << 16;
  const auto flush = [&](std::size_t at_least) {
    if (text.size() < at_least) return;
    out << text;
    text.clear();
  };
  detail::text_sink report(text, indent, 0);
  const json head = detail::report_head(r);  // kept: items() views it
  for (const auto& [key, v] : head.items()) report.value(key, v);
  json extra;
  report.array("rules", r.rules.size(), [&](std::size_t i) {
    detail::text_sink one(text, indent, 2);
    detail::rule_fields(r, r.rules[i], one);
    if (add.rule) {
      extra = json::object();
      add.rule(i, extra);
      assert(extra.is_object());
      for (const auto& [key, v] : extra.items()) one.value(key, v);
    }
    one.close();
    flush(piece);
  });
  report.array("clusters", r.clusters.size(), [&](std::size_t c) {
    report.element(detail::cluster_json(r, c));
    flush(piece);
  });
  {
    const auto deps = dependencies_of(r);
    report.array("dependencies", deps.size(), [&](std::size_t i) {
      report.element(detail::dependency_json(deps[i]));
      flush(piece);
    });
  }
  if (names != nullptr) report.value("hosts", detail::hosts_json(r, *names));
  for (const auto& [key, v] : add.after.items()) report.value(key, v);
  report.close();
  flush(0);
}

inline void write_json(std::ostream& out, const mine_result& r) {
  write_json(out, r, nullptr);
  out << "\n";
}

}  // namespace expose::io
