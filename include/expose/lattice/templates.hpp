#pragma once
// Generic rules: templates over the key's fields, listed as types, applied to every flow.
//
//   generalize_by(lattice::templates<lattice::client_port, lattice::same_client>{})
//
// A template's generic item stands for the set of observed flows it covers and is named by its
// closure, the most specific pattern covering exactly that set (if every flow it covers has dport
// 22, it is `A.* : R1.22`, not `A.* : R1.*`); items with equal closures are one item. A generic
// item is active in a window when any flow it covers is. A template with a host variable makes
// items counted per host: the samples are (host, window) pairs where the host is an endpoint of
// some active flow, and the item is active in (h, w) when a flow it covers, with h in the
// variable's place, is active in w. Where a generic item X strictly contains an item Y that can
// take part in rules, the rest X minus Y is an item of its own (so FTP data connections can be
// scored against their control connection without the trivial rule between a flow and its own
// generalization); the same holds among host items bound the same way (`$C.* : Mirror.*` minus
// `$C.* : Mirror.21`: every client's data connections against its control connection, one rule).

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <functional>
#include <future>
#include <iterator>
#include <queue>
#include <span>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <boost/sort/spreadsort/integer_sort.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "expose/activity.hpp"
#include "expose/concepts.hpp"
#include "expose/detail/gallop.hpp"
#include "expose/detail/id_index.hpp"
#include "expose/detail/id_lists.hpp"
#include "expose/detail/release.hpp"
#include "expose/error.hpp"
#include "expose/flow_key.hpp"
#include "expose/item_space.hpp"
#include "expose/pattern_list.hpp"
#include "expose/lattice/mask.hpp"

namespace expose::lattice {

/// A key generalized by a template: its type carries the template's mask, so a generic key and a
/// plain one cannot be confused.
template <mask M>
struct generic_key {
  static constexpr lattice::mask mask = M;
  flow_key key;  ///< fields the mask does not keep are zero
  [[nodiscard]] flow_pattern pattern() const { return {key, M.slots}; }
  friend bool operator==(const generic_key&, const generic_key&) = default;
};

/// Applies a template to a plain key.
template <class Shape>
[[nodiscard]] generic_key<Shape::value> generalize(const flow_key& k) {
  flow_key g = k;
  constexpr mask m = Shape::value;
  if constexpr (m[field::src_ip] != slot::kept) g.src = {};
  if constexpr (m[field::src_port] != slot::kept) g.sport = 0;
  if constexpr (m[field::dst_ip] != slot::kept) g.dst = {};
  if constexpr (m[field::dst_port] != slot::kept) g.dport = 0;
  if constexpr (m[field::proto] != slot::kept) g.proto = 0;
  return {g};
}

/// The paper's rule shapes, one template each.
using client_port = shape<any<fields::src_port>>;                        ///< UnivMail.* : OldMail1.25
using any_client = shape<any<fields::src_ip>, any<fields::src_port>>;    ///< *.* : Router1.22
using any_ports = shape<any<fields::src_port>, any<fields::dst_port>>;   ///< IP1.* : Mirror.* (passive data)
using same_client = shape<var<fields::src_ip>, any<fields::src_port>>;   ///< $C.* : Web.80
using same_client_any_ports = shape<var<fields::src_ip>, any<fields::src_port>, any<fields::dst_port>>;  ///< $C.* : Mirror.* (passive data, every client)
using same_client_any_server = shape<var<fields::src_ip>, any<fields::src_port>, any<fields::dst_ip>>;  ///< $C.* : *.53
using same_server = shape<any<fields::src_ip>, any<fields::src_port>, var<fields::dst_ip>>;  ///< *.* : $S.143

namespace detail {

[[nodiscard]] inline flow_pattern apply(const mask& m, flow_pattern p) {
  for (std::size_t i = 0; i < field_count; ++i)
    if (const auto f = static_cast<field>(i); m[f] != slot::kept) p.set(f, m[f]);
  return p;
}

/// The closure of `flows` (not empty, ids into `base`): the first flow's pattern with `*` in each
/// field it keeps and some other flow changes (in value, or by not keeping it), the values of
/// fields not kept zeroed. Read from the patterns as held (pattern_list::differing): most of the
/// window items' time once went to fetching and making whole each flow's pattern.
[[nodiscard]] inline flow_pattern closure_of(const pattern_list& base, std::span<const std::uint32_t> flows) {
  flow_pattern c = base[flows.front()];
  const auto differ = base.differing(flows);
  bool changed = false;
  for (std::size_t f = 0; f < field_count; ++f)
    if (differ[f] && c.slots[f] == slot::kept) {
      c.slots[f] = slot::any;
      changed = true;
    }
  if (changed) c = apply(mask{c.slots}, c);  // zero what became `*` (most flows of a group change nothing)
  return c;
}

/// Per item, the windows (positions, ascending) where any of some flows is active and when in
/// each the first of them was (the earliest of their offsets; 0 where the activity has no times),
/// item after item in three flat lists: freed at once when generalization is done with them, where
/// two small lists an item left holes between the member lists that stay (9.5 MB on the 6-hour
/// trace).
struct timed_windows {
  std::vector<std::size_t> start{0};  ///< item g: windows[start[g], start[g + 1]), offsets beside
  std::vector<std::uint32_t> windows;
  std::vector<window_offset> offsets;

  [[nodiscard]] std::size_t items() const noexcept { return start.size() - 1; }
  [[nodiscard]] std::size_t size(std::size_t g) const noexcept { return start[g + 1] - start[g]; }
  [[nodiscard]] std::span<const std::uint32_t> windows_of(std::size_t g) const noexcept {
    return {windows.data() + start[g], size(g)};
  }
  [[nodiscard]] std::span<const window_offset> offsets_of(std::size_t g) const noexcept {
    return {offsets.data() + start[g], size(g)};
  }
  void swap(timed_windows& o) noexcept {  // for detail::release
    start.swap(o.start);
    windows.swap(o.windows);
    offsets.swap(o.offsets);
  }
  /// Drops the last item (one that was not kept).
  void pop() {
    assert(items() != 0 && "timed_windows::pop: no item to drop");
    start.pop_back();
    windows.resize(start.back());
    offsets.resize(start.back());
  }
};

/// Appends an item to `out`: the windows where any of `members` is active in `a`, with their first
/// offsets. Returns its number of windows.
inline std::size_t union_windows(const activity& a, std::span<const std::uint32_t> members, timed_windows& out) {
  // (window, offset) as one number, sorted by window, then offset: the first of a window is its
  // earliest (a radix sort: an item of many flows lists millions)
  static_assert(sizeof(window_offset) == 2);
  std::vector<std::uint64_t> w;
  for (auto m : members) {
    const auto s = a.windows_of(m);
    const auto o = a.offsets_of(m);
    for (std::size_t k = 0; k < s.size(); ++k) w.push_back(std::uint64_t{s[k]} << 16 | (o.empty() ? 0U : o[k]));
  }
  boost::sort::spreadsort::integer_sort(w.begin(), w.end());
  const std::size_t from = out.windows.size();
  for (const auto e : w)
    if (const auto pos = static_cast<std::uint32_t>(e >> 16); out.windows.size() == from || out.windows.back() != pos) {
      out.windows.push_back(pos);
      out.offsets.push_back(static_cast<window_offset>(e & 0xffffU));
    }
  out.start.push_back(out.windows.size());
  return out.windows.size() - from;
}

/// The activity of the base items `a` with generic items appended (ids a.items(), a.items() + 1,
/// ...; item g of `generic` is item a.items() + g, its windows positions in `a.windows`), in the
/// item -> windows form alone: what reads the window items' matrix from here on reads it by item
/// (the counting engine makes its window lists of the items that can appear), so the window ->
/// items form, 4 bytes an entry, is given back instead of made again with the generic items.
[[nodiscard]] inline activity with_generic(activity a, const timed_windows& generic) {
  const bool timed = !a.item_offsets.empty();
  check_activity_entries(a.entries() + generic.windows.size());
  a.drop_window_major();
  a.item_start.reserve(a.item_start.size() + generic.items());
  const std::size_t first = a.item_start.back();
  for (std::size_t g = 0; g < generic.items(); ++g) a.item_start.push_back(static_cast<entry_index>(first + generic.start[g + 1]));
  a.item_windows.insert(a.item_windows.end(), generic.windows.begin(), generic.windows.end());
  if (timed) a.item_offsets.insert(a.item_offsets.end(), generic.offsets.begin(), generic.offsets.end());
  return a;
}

/// A hash of a sorted set of flow ids.
struct member_set_hash {
  [[nodiscard]] std::uint64_t operator()(std::span<const std::uint32_t> v) const noexcept {
    std::uint64_t h = v.size();
    for (auto x : v) h = flow_key_hash::mix(h ^ x);
    return h;
  }
};

/// Of the pieces inside an item (`flows_of(piece)`: its flows, ascending), keeps those no larger
/// piece holds, in their order; false when more than `most` are left (the item then takes no
/// rest). Largest first, each against the pieces kept (one inside a dropped piece is inside the
/// piece that dropped it), stopping past `most`: where an item holds many pieces (a server's
/// clients, each an item), comparing every pair took P^2 steps (80,000 clients, two connections
/// each: 8.8 s of generalize_windows, now 0.25 s; bench/mpi_window_items --web-clients 80000).
template <class Piece, class FlowsOf>
[[nodiscard]] bool keep_largest(std::vector<Piece>& inside, const FlowsOf& flows_of, std::size_t most) {
  std::vector<std::size_t> order(inside.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return flows_of(inside[a]).size() > flows_of(inside[b]).size(); });
  std::vector<std::size_t> kept;
  for (const std::size_t i : order) {
    const auto y = flows_of(inside[i]);
    if (std::any_of(kept.begin(), kept.end(), [&](std::size_t k) {
          const auto z = flows_of(inside[k]);
          return z.size() > y.size() && expose::detail::includes(z, y);
        }))
      continue;
    kept.push_back(i);
    if (kept.size() > most) return false;
  }
  std::sort(kept.begin(), kept.end());
  std::vector<Piece> largest;
  largest.reserve(kept.size());
  for (const std::size_t k : kept) largest.push_back(inside[k]);
  inside = std::move(largest);
  return true;
}

/// The flows of each pattern a set of templates makes of them, numbered as they first appear
/// (template by template, flow by flow), held flat: 4 bytes a flow per template and about 13 a
/// group (8 a flow per template and the index while grouping).
struct flow_groups {
  std::vector<std::size_t> start;       // group g: flows[start[g], start[g] + size[g])
  std::vector<std::uint32_t> size;      // ascending flows, each once
  std::vector<std::uint32_t> flows;
  std::vector<std::uint8_t> template_of;  // the position in the template list that made the group first

  [[nodiscard]] std::size_t groups() const noexcept { return size.size(); }
  [[nodiscard]] std::span<const std::uint32_t> operator[](std::size_t g) const noexcept { return {flows.data() + start[g], size[g]}; }
};

/// Groups the flows `patterns[0, n)` by every template of `masks[from, to)` that `use` accepts,
/// leaving out groups of fewer than `min_flows` flows (counted before a flow that two templates
/// put in one group is taken once). The index from a pattern to its group holds group ids alone
/// and compares against the groups' patterns, kept in creation order beside it (16 bytes a group,
/// for the first 2^18 groups; later ones are read from their first flow):
/// where it made each again from the group's first flow, every flow's lookup fetched a pattern from
/// anywhere in the list (measured on the 6-hour trace: the window templates' grouping 0.115 ->
/// 0.069 s, the host templates' 0.09 -> 0.064). Patterns are grouped as the list holds them
/// (pattern_list::masked), never made whole.
template <std::size_t M, class Use>
[[nodiscard]] flow_groups group_flows(const pattern_list& patterns, std::uint32_t n, const std::array<mask, M>& masks, const Use& use,
                                      std::size_t from = 0, std::size_t to = M, std::uint32_t min_flows = 1) {
  static_assert(M <= 256, "lattice::templates: at most 256 templates (a group keeps its template's position in a byte)");
  flow_groups out;
  std::vector<std::uint32_t> group_of;  // per (template used, flow)
  std::vector<std::uint32_t> first;     // per group, the flow that made it; then its number among those kept
  std::size_t used = 0;
  {
    // Per group, its pattern as held (freed with the index), for the first kept_patterns groups
    // (4 MiB): where groups are few, as on most traces, they stay in cache where the flows' list
    // does not; where nearly every flow is a group of its own (a SYN flood's random sources), the
    // later groups are read from their first flow, as they were before the list: keeping them all
    // took 16 bytes a group and twice that while the list grew (a 3 M-flow flood's peak 235 -> 290 MiB).
    constexpr std::size_t kept_patterns = std::size_t{1} << 18;
    std::vector<pattern_list::packed> group_pattern;
    // Patterns as the list holds them, masked there (equal exactly when the patterns are).
    std::array<pattern_list::masking, M> masking{};
    for (std::size_t t = from; t < to; ++t) masking[t] = patterns.masking_of(masks[t].slots);
    const auto pattern_of = [&](std::uint32_t g) {
      return g < group_pattern.size() ? group_pattern[g] : patterns.masked(first[g], masking[out.template_of[g]]);
    };
    auto index = expose::detail::make_id_index<pattern_list::packed, pattern_list::packed_hash>(std::cref(pattern_of));
    std::size_t asked = 0;
    for (std::size_t t = from; t < to; ++t) asked += use(masks[t]) ? 1 : 0;
    group_of.reserve(std::size_t{n} * asked);
    // At most a group a flow per template: reserved (address space; only what is written takes
    // memory), so that growing never copies the lists of a run with millions of groups.
    out.size.reserve(group_of.capacity());
    out.template_of.reserve(group_of.capacity());
    first.reserve(group_of.capacity());
    for (std::size_t t = from; t < to; ++t) {
      if (!use(masks[t])) continue;
      ++used;
      for (std::uint32_t i = 0; i < n; ++i) {
        const pattern_list::packed p = patterns.masked(i, masking[t]);
        std::uint32_t g = 0;
        if (const auto it = index.find(p); it != index.end()) {
          g = *it;
        } else {
          g = static_cast<std::uint32_t>(out.size.size());
          out.size.push_back(0);
          out.template_of.push_back(static_cast<std::uint8_t>(t));
          first.push_back(i);
          if (group_pattern.size() < kept_patterns) group_pattern.push_back(p);  // groups are numbered in order
          index.insert(g);
        }
        ++out.size[g];
        group_of.push_back(g);
      }
    }
  }
  // The groups kept, renumbered in order (`first` becomes the new number, UINT32_MAX: left out).
  std::uint32_t kept = 0;
  for (std::size_t g = 0; g < out.size.size(); ++g) {
    first[g] = out.size[g] >= min_flows ? kept++ : UINT32_MAX;
    if (first[g] != UINT32_MAX) {
      out.size[first[g]] = out.size[g];
      out.template_of[first[g]] = out.template_of[g];
    }
  }
  out.size.resize(kept);
  out.template_of.resize(kept);
  out.start.assign(std::size_t{kept} + 1, 0);
  for (std::size_t g = 0; g < kept; ++g) out.start[g + 1] = out.start[g] + out.size[g];
  out.flows.resize(out.start[kept]);
  {
    std::vector<std::size_t> fill(out.start.begin(), out.start.end() - 1);
    for (std::size_t k = 0; k < group_of.size(); ++k)
      if (const auto g = first[group_of[k]]; g != UINT32_MAX) out.flows[fill[g]++] = static_cast<std::uint32_t>(k % n);
  }
  expose::detail::release(group_of);
  expose::detail::release(first);
  if (used > 1)  // a pattern two templates make holds two ascending runs: sort them, once each
    for (std::size_t g = 0; g < kept; ++g) {
      const auto b = out.flows.begin() + static_cast<std::ptrdiff_t>(out.start[g]);
      const auto e = b + out.size[g];
      if (std::is_sorted(b, e) && std::adjacent_find(b, e) == e) continue;
      std::sort(b, e);
      out.size[g] = static_cast<std::uint32_t>(std::unique(b, e) - b);
    }
  out.start.pop_back();
  return out;
}

/// The templates `use` accepts cut into runs [from, to), in order, such that no two runs make a
/// common pattern (a pattern is made by one template, or by several of one run): grouping run by
/// run numbers the groups as grouping them all at once does, and holds one run's groups at a time.
/// Two templates may make a common pattern when they give equal slots to some of the flows' slot
/// arrays (under a key that keeps every field, only equal templates do).
template <std::size_t M, class Use>
[[nodiscard]] std::vector<std::pair<std::size_t, std::size_t>> template_runs(const pattern_list& patterns, std::uint32_t n,
                                                                             const std::array<mask, M>& masks, const Use& use) {
  using slots_t = std::array<slot, field_count>;
  std::vector<slots_t> kinds;  // the flows' distinct slot arrays (one under most keys)
  for (std::uint32_t i = 0; i < n; ++i)
    if (const auto k = patterns.slots(i); std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
  const auto made = [&](std::size_t t, const slots_t& k) { return apply(masks[t], flow_pattern{{}, k}).slots; };
  const auto may_share = [&](std::size_t t, std::size_t u) {
    for (const auto& a : kinds)
      for (const auto& b : kinds)
        if (made(t, a) == made(u, b)) return true;
    return false;
  };
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  std::size_t reach = 0;  // the last template the open run must hold
  for (std::size_t t = 0; t < M; ++t) {
    if (!use(masks[t])) continue;
    if (runs.empty() || t > reach) {
      if (!runs.empty()) runs.back().second = reach + 1;
      runs.emplace_back(t, t + 1);
      reach = t;
    }
    for (std::size_t u = t + 1; u < M; ++u)
      if (use(masks[u]) && may_share(t, u)) reach = std::max(reach, u);
  }
  if (!runs.empty()) runs.back().second = reach + 1;
  return runs;
}

/// What the host-variable items take of the flows' patterns alone, before their activity: the
/// hosts numbered, and the candidate items with their flows (templates::make_host_items).
struct host_plan {
  /// A candidate: its closure and the field its variable binds (its flows, ascending, are list k
  /// of `flows_of` for candidate k).
  struct candidate {
    flow_pattern closure;
    field bound;  // src_ip or dst_ip
  };
  /// The templates with a variable, in runs (template_runs); none with no flow or no such
  /// template: then there are no host items.
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  /// The hosts that are endpoints of some flow, by pattern_list::address_key, numbered as first met.
  boost::unordered_flat_map<std::uint64_t, std::uint32_t> host_number;
  std::vector<candidate> kept;
  expose::detail::id_lists flows_of;
};

/// The sum over the parts where there is one part (the whole): the numbers as they are.
struct one_part {
  void operator()(std::span<std::uint64_t>) const noexcept {}
};

/// Whether a key can hold a template: the key keeps every field the template binds to a host
/// variable, and at least one field the template names (else the template changes nothing).
template <class Shape, class Key>
constexpr bool template_fits() {
  bool changes_a_field = false;
  for (std::size_t i = 0; i < field_count; ++i) {
    const auto f = static_cast<field>(i);
    if (!Shape::names(f)) continue;
    if (Key::slots[i] == slot::kept) changes_a_field = true;
    else if (Shape::value[f] == slot::var) return false;
  }
  return changes_a_field;
}

/// Instantiated by templates::check_key: when the key holds none of the templates, the compiler's
/// error names this class with the key (first) and the templates (the rest).
template <class Key, class... Shapes>
struct key_holds_a_template {
  static constexpr bool value = (template_fits<Shapes, Key>() || ...);
  static_assert(value,
                "lattice::templates: the key policy (the first type) can hold none of these templates (the other types): a "
                "template must name a field the key keeps, and a host variable needs the key's host field (see the key's `slots`)");
};

}  // namespace detail

template <class... Shapes>
struct templates {
  static_assert(sizeof...(Shapes) > 0, "lattice::templates: list at least one template (or use lattice::none)");

  bool keep_instances = false;  ///< report rules a more general rule explains (--all-rules)
  bool rests = true;          ///< add X minus Y items where a generic X strictly contains a rule-able Y
  std::size_t max_rests = 4;  ///< ... only when X splits into at most this many largest rule-able pieces
  /// Threads: 0 builds the host-variable items beside the window items when the machine has two
  /// cores or more, 1 one after the other (the result is the same; side by side holds both
  /// sides' groups at once, and calls `keep` from both threads).
  unsigned threads = 0;

  static constexpr std::array<mask, sizeof...(Shapes)> masks{Shapes::value...};

  /// Fails to compile when the key can hold none of the templates, with an error that names the
  /// key and the templates (detail::key_holds_a_template). A template the key cannot hold (a host
  /// variable on a field the key leaves out, or only fields the key already leaves out) makes no
  /// item with that key and is left out: so the paper's set serves every key.
  template <class Key>
  static constexpr void check_key() {
    [[maybe_unused]] constexpr bool holds = detail::key_holds_a_template<Key, Shapes...>::value;
  }

  template <class Keep>
  [[nodiscard]] item_space generalize(pattern_list base, activity a, const Keep& keep) const {
    item_space s;
    s.set_base(base.size());

    // Host-variable items read only the flows and their activity: with a second core they are
    // built beside the window items (the two take about the same time), else after them, before
    // with_generic gives back the window -> items form they read. They give it back themselves
    // once read: the window items read the item -> windows form alone.
    bool parallel = side_by_side();
    host_items hosts;
    std::future<void> beside;
    const auto drop_window_form = [&a] { a.drop_window_major(); };
    if (parallel) {
      try {
        beside = std::async(std::launch::async, [&] { hosts = host_items_of(keep, base, a, drop_window_form); });
      } catch (const std::system_error&) {
        parallel = false;  // no thread to be had (a container's limit): one after the other
      }
    }
    window_generic generic = make_window_generic(base, a, keep, s);
    if (parallel) beside.get();  // it reads `a`
    else hosts = host_items_of(keep, base, a, drop_window_form);  // before with_generic, which drops what it reads
    if (parallel) expose::detail::trim_heap();  // what the host items' thread freed
    s.windows = detail::with_generic(std::move(a), generic.windows);
    expose::detail::release(generic.windows);
    s.items = std::move(base);
    s.items.reserve(s.items.size() + generic.items.size() + hosts.closures.size());
    s.items.append(generic.items.begin(), generic.items.end());
    s.add_hosts(std::move(hosts));
    return s;
  }

  /// The window items alone (generalize without the host-variable items): for a driver that builds
  /// those apart, with make_host_items over the same flows and activity, and joins them with
  /// item_space::add_hosts (expose/mpi/mine.hpp builds them on another rank).
  template <class Keep>
  [[nodiscard]] item_space generalize_windows(pattern_list base, activity a, const Keep& keep) const {
    item_space s;
    s.set_base(base.size());
    window_generic generic = make_window_generic(base, a, keep, s);
    s.windows = detail::with_generic(std::move(a), generic.windows);
    s.items = std::move(base);
    s.items.append(generic.items.begin(), generic.items.end());
    return s;
  }

  /// Whether any template binds a host variable (else make_host_items makes nothing).
  [[nodiscard]] static constexpr bool has_host_items() noexcept { return has_host_templates; }

  /// Host-variable items: every template with a variable, applied to every flow (`items`), merged
  /// by closure, with their activity over (host, window) samples. `a` is the flows' activity with
  /// its window -> items form (each window may list generic items, ids from items.size(), after
  /// its flows); bad_argument when that form was dropped (a matrix generalize gave back). A flow
  /// that does not keep the address an item binds (a list mixing slot arrays) names no host and
  /// is left out of that item.
  template <class Keep>
  [[nodiscard]] host_items make_host_items(const Keep& keep, const pattern_list& items, const activity& a) const {
    return host_items_of(keep, items, a, [] {});
  }

  /// The host items made in parts, each part the rows of a range of windows (expose/mpi/mine.hpp:
  /// ranks 1, 2, ... each one part), all from the same flows and activity: `sum(span)` replaces
  /// each number of a span of counts with its sum over every part (every part calls it at the same
  /// points with spans of the same length: an MPI_Allreduce). A part's items are every part's
  /// (closures and members alike), with their samples over every window; its `hosts` hold the
  /// rows of its windows alone, numbered from 0, and its `window_start` counts them over every
  /// window (0 before its first, all after its last). join_host_parts of the parts in window
  /// order gives make_host_items(keep, items, a). Whether the items can be made is the same in
  /// every part (a failure, such as bad_argument for activity without windows, is too; one of
  /// memory may not be: a driver that sums across processes stops the job then).
  template <class Keep, class Sum>
  [[nodiscard]] host_items make_host_items(const Keep& keep, const pattern_list& items, const activity& a, window_part part, const Sum& sum) const {
    return host_items_of(keep, items, a, [] {}, part, sum);
  }

 private:
  static constexpr bool has_host_templates = ((Shapes::value.vars() != 0) || ...);
  using host_plan = detail::host_plan;

  /// make_host_items (of `part`, summed over the parts with `sum`; by default the whole),
  /// calling `window_form_read()` once it has read what it reads of the window -> items form of
  /// `a` (generalize then drops that form, which the window items do not read, while both are
  /// made: 6 MB on the 6-hour trace).
  template <class Keep, class Done, class Sum = detail::one_part>
  [[nodiscard]] host_items host_items_of(const Keep& keep, const pattern_list& items, const activity& a, const Done& window_form_read,
                                         window_part part = {}, const Sum& sum = {}) const {
    check_flows_activity(a);
    host_plan p = number_hosts(items);
    if (p.runs.empty()) return {};
    const std::uint64_t samples = count_samples(items, a, p, part);
    window_form_read();
    add_candidates(items, p);
    return host_items_from(keep, items, a, samples, std::move(p), part, sum);
  }

  static void check_flows_activity(const activity& a) {
    if (!a.window_major())
      throw bad_argument("lattice::templates::make_host_items: the flows' activity must hold its window -> items form "
                         "(make the host items before generalize drops it, as generalize does)");
    if (!a.names_windows())
      throw bad_argument("lattice::templates::make_host_items: the flows' activity must name its windows (its rows "
                         "are the windows the host samples are made of)");
  }

  /// The plan's hosts: those that are endpoints of some flow, numbered as first met (4 bytes a
  /// sample where an address takes 16; pattern_list::address_key: equal exactly when the addresses
  /// are, never made whole). Within a window the samples are in the order of these numbers: any
  /// order does, so long as it is one order (what is counted are sets of samples).
  [[nodiscard]] static host_plan number_hosts(const pattern_list& items) {
    host_plan p;
    const auto nb = static_cast<std::uint32_t>(items.size());
    const auto use = [](const mask& m) { return m.vars() != 0; };
    if (nb == 0) return p;  // no flow: no runs
    p.runs = detail::template_runs(items, nb, masks, use);
    if (p.runs.empty()) return p;  // no template with a variable
    for (std::uint32_t i = 0; i < nb; ++i)
      for (const auto f : {field::src_ip, field::dst_ip})
        if (items.at(i, f) == slot::kept) p.host_number.try_emplace(items.address_key(i, f), static_cast<std::uint32_t>(p.host_number.size()));
    // (Every host an item binds is met here: its flows keep the field it binds.)
    return p;
  }

  /// Samples: per window, the hosts that are endpoints of an active flow; counted, not kept (a
  /// sample is named by its window and its host's number).
  [[nodiscard]] static std::uint64_t count_samples(const pattern_list& items, const activity& a, const host_plan& p, window_part part) {
    const auto nb = static_cast<std::uint32_t>(items.size());
    std::uint64_t samples = 0;
    // per host, the last window it was counted in (a window's hosts counted once, without sorting
    // them; 4 bytes a host: a window's position is an activity row, which fits 32 bits)
    std::vector<std::uint32_t> counted_in(p.host_number.size(), UINT32_MAX);
    for (std::size_t w = part.first; w < std::min(part.last, a.windows.size()); ++w) {
      // the flows active in window w: each window lists its flows before any generic items
      const auto in = a.items_in(w);
      for (auto i : in.first(static_cast<std::size_t>(std::lower_bound(in.begin(), in.end(), nb) - in.begin()))) {
        for (const auto f : {field::src_ip, field::dst_ip})
          if (items.at(i, f) == slot::kept) {
            const auto it = p.host_number.find(items.address_key(i, f));
            assert(it != p.host_number.end() && "every flow's hosts are numbered");
            if (counted_in[it->second] != static_cast<std::uint32_t>(w)) {
              counted_in[it->second] = static_cast<std::uint32_t>(w);
              ++samples;
            }
          }
      }
    }
    return samples;
  }

  /// The plan's candidates: every template with a variable applied to every flow, merged by closure.
  void add_candidates(const pattern_list& items, host_plan& p) const {
    const auto nb = static_cast<std::uint32_t>(items.size());
    const auto host_of = [&](std::uint32_t flow, field bound) { return items.address_key(flow, bound); };
    const auto use = [](const mask& m) { return m.vars() != 0; };
    std::vector<host_item>& kept = p.kept;
    expose::detail::id_lists& flows_of = p.flows_of;
    // Closures; items bound to fewer than two hosts say nothing a window item does not. One run of
    // templates' groups at a time; the flows of the candidates are copied out of them as gaps
    // (kept[k]'s flows are list k: 2.3 MB for 2.1 M flows here, where 4-byte ids took 8.5).
    {
      // The closures met, by candidate number (4 bytes a slot where a set of patterns took 48:
      // 32,139 candidates on the 6-hour trace).
      const auto closure_of = [&](std::uint32_t k) -> const flow_pattern& { return kept[k].closure; };
      auto closures = expose::detail::make_id_index<flow_pattern, flow_pattern_hash>(std::cref(closure_of));
      std::vector<std::uint32_t> naming;  // a group's flows that keep the bound address, where some do not
      for (const auto& [from, to] : p.runs) {
        const detail::flow_groups groups = detail::group_flows(items, nb, masks, use, from, to, 2);
        for (std::size_t g = 0; g < groups.groups(); ++g) {
          std::span<const std::uint32_t> flows = groups[g];
          const field bound = masks[groups.template_of[g]][field::src_ip] == slot::var ? field::src_ip : field::dst_ip;
          const auto names_host = [&](std::uint32_t f) { return items.at(f, bound) == slot::kept; };
          if (!std::all_of(flows.begin(), flows.end(), names_host)) {
            naming.clear();
            std::copy_if(flows.begin(), flows.end(), std::back_inserter(naming), names_host);
            if (naming.empty()) continue;
            flows = naming;
          }
          const bool two_hosts = std::any_of(flows.begin(), flows.end(), [&](std::uint32_t f) { return host_of(f, bound) != host_of(flows.front(), bound); });
          if (!two_hosts) continue;
          const flow_pattern cl = host_closure(items, flows, bound);
          if (closures.contains(cl)) continue;
          kept.push_back({cl, bound});
          closures.insert(static_cast<std::uint32_t>(kept.size() - 1));
          flows_of.add(flows);
        }
      }
    }
  }

  /// The host items of a plan with its candidates, over the flows' activity `a` with `samples`
  /// samples (count_samples), the rows of `part` (make_host_items in parts).
  template <class Keep, class Sum>
  [[nodiscard]] host_items host_items_from(const Keep& keep, const pattern_list& items, const activity& a, std::uint64_t samples,
                                           host_plan p, window_part part, const Sum& sum) const {
    host_items out;
    const auto host_of = [&](std::uint32_t flow, field bound) { return items.address_key(flow, bound); };
    const auto& host_number = p.host_number;
    std::vector<host_item>& kept = p.kept;
    expose::detail::id_lists& flows_of = p.flows_of;
    // An item's samples: the (window, host) pairs of its flows' windows and the host it binds,
    // as keys window position x hosts + host number (ordered by window, then host), sorted and
    // each once, in `keys`. Item by item, from the flows' item -> windows form: no list per flow
    // of its items (6-hour trace: 8 MB for 2 M memberships), one item's keys at a time. An item's
    // flows keep the field it binds (those that do not were left out of it), so its hosts are
    // among the numbered ones. Keys take 4 bytes where windows x hosts allow (1.6 G here), else 8.
    const std::uint64_t n_hosts = std::max<std::size_t>(host_number.size(), 1);
    const auto samples_of = [&]<class Key>(std::span<const std::uint32_t> flows, field bound, std::vector<Key>& keys) {
      keys.clear();
      for (const auto f : flows) {
        const auto it = host_number.find(host_of(f, bound));
        assert(it != host_number.end() && "an item's flows keep the host it binds");
        auto ws = a.windows_of(f);
        if (!part.whole()) {  // positions ascending: the part's
          const auto from = std::lower_bound(ws.begin(), ws.end(), part.first);
          ws = ws.subspan(static_cast<std::size_t>(from - ws.begin()),
                          static_cast<std::size_t>(std::lower_bound(from, ws.end(), part.last) - from));
        }
        for (const auto w : ws) keys.push_back(static_cast<Key>(w * n_hosts + it->second));
      }
      boost::sort::spreadsort::integer_sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    };
    const bool narrow = a.windows.size() * n_hosts <= std::uint64_t{UINT32_MAX} + 1;
    const auto count_from = [&]<class Key>(std::uint32_t first, std::vector<std::uint64_t>& counts, Key) {
      std::vector<Key> keys;
      std::vector<std::uint32_t> flows;
      for (std::uint32_t k = first; k < kept.size(); ++k) {
        flows_of.get(k, flows);
        samples_of(std::span<const std::uint32_t>{flows}, kept[k].bound, keys);
        counts[k] = keys.size();
      }
    };
    const auto count_items_from = [&](std::uint32_t first, std::vector<std::uint64_t>& counts) {
      if (narrow) count_from(first, counts, std::uint32_t{});
      else count_from(first, counts, std::uint64_t{});
    };
    // Each candidate's samples in the part (`counts`, its rows here) and in every part (`whole`,
    // what `keep` and the rests read), the samples last.
    std::vector<std::uint64_t> counts(kept.size(), 0);
    count_items_from(0, counts);
    std::vector<std::uint64_t> whole(counts);
    whole.push_back(samples);
    sum(std::span<std::uint64_t>{whole});
    samples = whole.back();
    whole.pop_back();
    if (rests) {
      const auto before = static_cast<std::uint32_t>(kept.size());
      add_host_rests(keep, items, kept, flows_of, whole, samples, host_of);
      counts.resize(kept.size(), 0);
      count_items_from(before, counts);
      whole.insert(whole.end(), counts.begin() + before, counts.end());
      sum(std::span<std::uint64_t>{whole}.subspan(before));
    }
    activity& h = out.hosts;
    h.samples = samples;
    h.item_start.assign(1, 0);
    std::vector<field> bound;       // per item kept
    std::vector<std::uint32_t> of;  // per item kept, its candidate number
    std::size_t entries = 0, every_part = 0;
    for (std::uint32_t k = 0; k < kept.size(); ++k) {
      if (!keep(whole[k], samples)) continue;
      out.closures.push_back(kept[k].closure);
      bound.push_back(kept[k].bound);
      of.push_back(k);
      entries += counts[k];
      every_part += whole[k];
      check_activity_entries(every_part);
      h.item_start.push_back(static_cast<entry_index>(entries));
    }
    out.members.resize(of.size());
    for (std::size_t j = 0; j < of.size(); ++j) flows_of.get(of[j], out.members[j]);
    expose::detail::release(kept);
    expose::detail::release(flows_of);
    // The samples' activity, held by item alone (the counting engine makes its row lists of it, as
    // it does for the window items). A row is a sample some item kept is active in, numbered in
    // key order (by window, then host); rows carry no sample number: `first_row` says which rows
    // are each window's (a row's window is all describe_time asks of it). Each item's keys are
    // placed in its list, then every list is read at once in key order (a merge of the items'
    // lists) and each key replaced by its row: the lists themselves are the only room taken
    // where keys take 4 bytes.
    h.item_windows.resize(entries);
    std::vector<std::size_t> first_row(a.windows.size() + 1, 0);
    const auto rows_as = [&]<class Key>(std::vector<Key>& at) {
      std::vector<Key> keys;
      for (std::size_t j = 0; j < out.members.size(); ++j) {
        samples_of(std::span<const std::uint32_t>{out.members[j]}, bound[j], keys);
        assert(keys.size() == h.item_start[j + 1] - h.item_start[j] && "an item's samples are its count");
        std::copy(keys.begin(), keys.end(), at.begin() + h.item_start[j]);
      }
      expose::detail::release(keys);
      using cursor = std::pair<Key, std::uint32_t>;  // the item's next key, the item
      std::priority_queue<cursor, std::vector<cursor>, std::greater<>> next;
      std::vector<entry_index> pos(h.item_start.begin(), h.item_start.end() - 1);
      for (std::uint32_t j = 0; j < out.members.size(); ++j)
        if (pos[j] < h.item_start[j + 1]) next.emplace(at[pos[j]], j);
      std::uint32_t row = 0;
      while (!next.empty()) {
        const Key key = next.top().first;
        ++first_row[static_cast<std::size_t>(key / n_hosts) + 1];
        while (!next.empty() && next.top().first == key) {
          const std::uint32_t j = next.top().second;
          next.pop();
          h.item_windows[pos[j]++] = row;  // read before: `at` may be item_windows itself
          if (pos[j] < h.item_start[j + 1]) next.emplace(at[pos[j]], j);
        }
        ++row;
      }
    };
    if (narrow) {
      rows_as(h.item_windows);
    } else {
      std::vector<std::uint64_t> wide(entries);
      rows_as(wide);
    }
    for (std::size_t w = 0; w < a.windows.size(); ++w) first_row[w + 1] += first_row[w];
    out.window_start = std::move(first_row);
    return out;
  }

  [[nodiscard]] bool side_by_side() const {
    if (!has_host_templates) return false;
    return threads == 0 ? std::thread::hardware_concurrency() > 1 : threads > 1;
  }

  /// The window items a lattice adds to the flows: their patterns (items base, base + 1, ...)
  /// and, beside them, their windows (positions in the flows' activity) and first offsets.
  struct window_generic {
    std::vector<flow_pattern> items;
    detail::timed_windows windows;
  };

  /// Window items: every template without a variable, applied to every flow, merged by closure,
  /// then the rests (add_rests). Their flows go to `s.generic_members`.
  template <class Keep>
  [[nodiscard]] window_generic make_window_generic(const pattern_list& base, const activity& a, const Keep& keep, item_space& s) const {
    const auto nb = static_cast<std::uint32_t>(base.size());
    const std::uint64_t n = a.samples;
    window_generic out;
    const auto use = [](const mask& m) { return m.vars() == 0; };
    boost::unordered_flat_set<flow_pattern, flow_pattern_hash> closures;
    for (const auto& [from, to] : detail::template_runs(base, nb, masks, use)) {  // one run's groups at a time
      const detail::flow_groups groups = detail::group_flows(base, nb, masks, use, from, to, 2);
      for (std::size_t g = 0; g < groups.groups(); ++g) {
        const auto flows = groups[g];
        if (flows.size() < 2) continue;  // the flow itself
        const flow_pattern c = detail::closure_of(base, flows);
        if (closures.contains(c)) continue;  // equal closures cover equal sets
        if (!keep(detail::union_windows(a, flows, out.windows), n)) {
          out.windows.pop();
          continue;
        }
        closures.insert(c);
        out.items.push_back(c);
        s.generic_members.emplace_back(flows.begin(), flows.end());
      }
    }
    expose::detail::release(closures);
    if (rests) add_rests(a, keep, base, out.items, s, out.windows);
    return out;
  }

  /// A candidate host-variable item: its closure and the field its variable binds (its flows,
  /// ascending, are a list of an id_lists beside it, numbered as the candidates).
  using host_item = detail::host_plan::candidate;

  /// Appends the window rests to the generic items `generic` (ids from base.size()), their flows to
  /// `s`, their windows to `item_windows`.
  template <class Keep>
  void add_rests(const activity& a, const Keep& keep, const pattern_list& base, std::vector<flow_pattern>& generic,
                 item_space& s, detail::timed_windows& item_windows) const {
    const std::uint64_t n = a.samples;
    const auto nb = static_cast<std::uint32_t>(s.base);
    auto count = [&](std::uint32_t i) { return i < nb ? a.count(i) : item_windows.size(i - nb); };
    // Members stay valid while items are added: the member lists move, their flows do not.
    auto members = [&](std::uint32_t i) { return s.members(i); };
    const auto generic_end = static_cast<std::uint32_t>(nb + generic.size());
    // Generic items by their member set's hash (a rest has two flows or more, so it is never a
    // flow), and by their first flow.
    boost::unordered_flat_map<std::uint64_t, std::vector<std::uint32_t>> by_hash;
    const detail::member_set_hash set_hash;
    for (std::uint32_t i = nb; i < generic_end; ++i) by_hash[set_hash(members(i))].push_back(i);
    boost::unordered_flat_map<std::uint32_t, std::vector<std::uint32_t>> generic_of;
    for (std::uint32_t y = nb; y < generic_end; ++y) generic_of[members(y)[0]].push_back(y);
    const std::vector<std::uint32_t> none;
    const auto generic_from = [&](std::uint32_t f) -> const std::vector<std::uint32_t>& {
      const auto it = generic_of.find(f);
      return it == generic_of.end() ? none : it->second;
    };
    for (std::uint32_t x = nb; x < generic_end; ++x) {
      // the rule-able items inside x: generic items whose flows are all x's, and x's flows that no
      // such item covers (only the largest pieces: a rest is taken against each of them)
      std::vector<std::uint32_t> inside;
      for (auto f : members(x))
        for (auto y : generic_from(f))
          if (y != x && members(y).size() < members(x).size() && keep(count(y), n) && expose::detail::includes(members(x), members(y)))
            inside.push_back(y);
      if (!detail::keep_largest(inside, members, max_rests)) continue;
      for (auto f : members(x)) {
        if (!keep(a.count(f), n)) continue;
        const bool covered = std::any_of(inside.begin(), inside.end(), [&](std::uint32_t y) {
          if (y < nb) return false;
          const member_flows ys = members(y);
          return std::binary_search(ys.begin(), ys.end(), f);
        });
        if (!covered) inside.push_back(f);
        if (inside.size() > max_rests) break;
      }
      if (inside.empty() || inside.size() > max_rests) continue;
      for (auto y : inside) {
        std::vector<std::uint32_t> rest;
        const auto xs = members(x), ys = members(y);
        std::set_difference(xs.begin(), xs.end(), ys.begin(), ys.end(), std::back_inserter(rest));
        if (rest.size() < 2) continue;  // a single flow is an item already
        auto& same = by_hash[set_hash(rest)];
        if (std::any_of(same.begin(), same.end(), [&](std::uint32_t z) { return std::ranges::equal(members(z), rest); })) continue;
        if (!keep(detail::union_windows(a, rest, item_windows), n)) {
          item_windows.pop();
          continue;
        }
        const flow_pattern c = detail::closure_of(base, rest);
        same.push_back(static_cast<std::uint32_t>(nb + generic.size()));
        generic.push_back(c);
        s.generic_members.push_back(std::move(rest));
      }
    }
  }

  /// The most specific pattern covering `flows` (not empty), with the variable in `bound`'s place.
  [[nodiscard]] static flow_pattern host_closure(const pattern_list& base, std::span<const std::uint32_t> flows, field bound) {
    const flow_pattern cl = detail::closure_of(base, flows);
    auto slots = cl.slots;
    slots[static_cast<std::size_t>(bound)] = slot::var;
    return detail::apply(mask{slots}, cl);
  }

  /// Host rests: where a host item X whose other host is fixed strictly contains rule-able host
  /// items Y bound the same way (only the largest, at most max_rests of them), X minus Y is a host
  /// item too. So `$C.* : Mirror.*` minus `$C.* : Mirror.21` holds every client's FTP data
  /// connections, and one `$C` rule ties them to their control connections where one window rule
  /// per client did before. Appends to `kept`, the rests' flows to `flows_of` (candidate k's flows
  /// are its list k).
  template <class Keep, class HostOf>
  void add_host_rests(const Keep& keep, const pattern_list& base, std::vector<host_item>& kept, expose::detail::id_lists& flows_of,
                      const std::vector<std::uint64_t>& counts, std::uint64_t samples, const HostOf& host_of) const {
    const auto n_kept = static_cast<std::uint32_t>(kept.size());
    boost::unordered_flat_map<std::uint32_t, std::vector<std::uint32_t>> first_of;  // first flow -> kept items
    for (std::uint32_t k = 0; k < n_kept; ++k) first_of[flows_of.front(k)].push_back(k);
    boost::unordered_flat_map<std::uint64_t, std::vector<std::uint32_t>> by_hash;  // flow-set hash -> host items
    const detail::member_set_hash set_hash;
    std::vector<std::uint32_t> xf, yf;
    for (std::uint32_t k = 0; k < n_kept; ++k) {
      flows_of.get(k, xf);
      by_hash[set_hash(xf)].push_back(k);
    }
    std::vector<std::vector<std::uint32_t>> inside_flows;  // the flows of each rule-able host item inside x
    std::vector<std::size_t> pieces;                        // the largest of them
    for (std::uint32_t x = 0; x < n_kept; ++x) {
      const field bound = kept[x].bound;
      // Only against one peer: `$A.* : *.22` minus `$A.* : Router1.22` ("a host that reaches
      // Router1 on 22 reaches some other host on 22") would fold a scan into every client's ssh.
      const field peer = bound == field::src_ip ? field::dst_ip : field::src_ip;
      if (kept[x].closure.at(peer) != slot::kept) continue;
      flows_of.get(x, xf);
      inside_flows.clear();
      for (auto f : xf) {
        const auto it = first_of.find(f);
        if (it == first_of.end()) continue;
        for (auto y : it->second) {
          if (y == x || kept[y].bound != bound || flows_of.size(y) >= xf.size() || !keep(counts[y], samples)) continue;
          flows_of.get(y, yf);
          if (!expose::detail::includes(xf, yf)) continue;
          inside_flows.push_back(yf);
        }
      }
      // only the largest pieces
      pieces.resize(inside_flows.size());
      for (std::size_t i = 0; i < pieces.size(); ++i) pieces[i] = i;
      if (!detail::keep_largest(pieces, [&](std::size_t i) { return std::span<const std::uint32_t>(inside_flows[i]); }, max_rests) ||
          pieces.empty())
        continue;
      for (const std::size_t piece : pieces) {
        const auto& ys = inside_flows[piece];
        std::vector<std::uint32_t> rest;
        std::set_difference(xf.begin(), xf.end(), ys.begin(), ys.end(), std::back_inserter(rest));
        const bool two_hosts = std::any_of(rest.begin(), rest.end(), [&](std::uint32_t f) { return host_of(f, bound) != host_of(rest.front(), bound); });
        if (!two_hosts) continue;
        auto& same = by_hash[set_hash(rest)];
        if (std::any_of(same.begin(), same.end(), [&](std::uint32_t z) {
              return flows_of.size(z) == rest.size() && flows_of.get(z) == rest;
            }))
          continue;
        same.push_back(static_cast<std::uint32_t>(kept.size()));
        kept.push_back({host_closure(base, rest, bound), bound});
        flows_of.add(rest);
      }
    }
  }
};

/// The default set: every rule shape of the paper's case studies.
using paper_templates =
    templates<client_port, any_client, any_ports, same_client, same_client_any_ports, same_client_any_server, same_server>;

static_assert(Lattice<paper_templates> && SplitLattice<paper_templates> && InstanceKeepingLattice<paper_templates>);
static_assert(Lattice<templates<client_port>>);

}  // namespace expose::lattice
