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
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "expose/activity.hpp"
#include "expose/concepts.hpp"
#include "expose/flow_key.hpp"
#include "expose/item_space.hpp"
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

/// The most specific pattern covering both: fields that differ become `*`.
inline void widen(flow_pattern& c, const flow_pattern& p) {
  auto differ = [&](field f, bool same) {
    auto& s = c.slots[static_cast<std::size_t>(f)];
    if (s == slot::kept && (!same || p.at(f) != slot::kept)) s = slot::any;
  };
  differ(field::src_ip, c.key.src == p.key.src);
  differ(field::src_port, c.key.sport == p.key.sport);
  differ(field::dst_ip, c.key.dst == p.key.dst);
  differ(field::dst_port, c.key.dport == p.key.dport);
  differ(field::proto, c.key.proto == p.key.proto);
  c = apply(mask{c.slots}, c);  // zero what became `*`
}

/// The windows (positions, ascending) where any of some items is active, and when in each the
/// first of them was (the earliest of their offsets; 0 where `a` has no times).
struct timed_windows {
  std::vector<std::uint32_t> windows;
  std::vector<window_offset> offsets;
  [[nodiscard]] std::size_t size() const noexcept { return windows.size(); }
};

inline timed_windows union_windows(const activity& a, const std::vector<std::uint32_t>& members) {
  std::vector<std::pair<std::uint32_t, window_offset>> w;
  for (auto m : members) {
    const auto s = a.windows_of(m);
    const auto o = a.offsets_of(m);
    for (std::size_t k = 0; k < s.size(); ++k) w.emplace_back(s[k], o.empty() ? window_offset{0} : o[k]);
  }
  std::sort(w.begin(), w.end());  // by window, then offset: the first of a window is its earliest
  timed_windows out;
  out.windows.reserve(w.size());
  out.offsets.reserve(w.size());
  for (const auto& [pos, off] : w)
    if (out.windows.empty() || out.windows.back() != pos) {
      out.windows.push_back(pos);
      out.offsets.push_back(off);
    }
  return out;
}

/// A hash of a sorted set of flow ids.
struct member_set_hash {
  [[nodiscard]] std::uint64_t operator()(const std::vector<std::uint32_t>& v) const noexcept {
    std::uint64_t h = v.size();
    for (auto x : v) h = flow_key_hash::mix(h ^ x);
    return h;
  }
};

}  // namespace detail

namespace detail {

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
  [[nodiscard]] item_space generalize(std::vector<flow_pattern> base, activity a, const Keep& keep) const {
    item_space s;
    const auto nb = static_cast<std::uint32_t>(base.size());
    s.base = nb;
    s.members.resize(nb);
    for (std::uint32_t i = 0; i < nb; ++i) s.members[i] = {i};
    const std::uint64_t n = a.samples;

    // Window items: every template without a variable, applied to every flow, merged by closure.
    std::vector<std::vector<std::uint32_t>> groups;
    {
      boost::unordered_flat_map<flow_pattern, std::uint32_t, flow_pattern_hash> index;
      for (const mask& m : masks) {
        if (m.vars() != 0) continue;
        for (std::uint32_t i = 0; i < nb; ++i) {
          auto [it, fresh] = index.try_emplace(detail::apply(m, base[i]), static_cast<std::uint32_t>(groups.size()));
          if (fresh) groups.emplace_back();
          groups[it->second].push_back(i);
        }
      }
    }
    std::vector<flow_pattern> items = base;
    std::vector<detail::timed_windows> item_windows;  // generic items' windows, by id - nb
    {
      boost::unordered_flat_map<flow_pattern, std::uint32_t, flow_pattern_hash> by_closure;
      for (auto& g : groups) {
        if (g.size() < 2) continue;  // the flow itself
        std::sort(g.begin(), g.end());
        g.erase(std::unique(g.begin(), g.end()), g.end());
        if (g.size() < 2) continue;
        flow_pattern c = base[g[0]];
        for (auto i : g) detail::widen(c, base[i]);
        if (by_closure.contains(c)) continue;  // equal closures cover equal sets
        auto w = detail::union_windows(a, g);
        if (!keep(w.size(), n)) continue;
        by_closure.emplace(c, static_cast<std::uint32_t>(items.size()));
        items.push_back(c);
        s.members.push_back(std::move(g));
        item_windows.push_back(std::move(w));
      }
    }
    if (rests) add_rests(a, keep, items, s.members, item_windows, nb);

    // The window activity: flows and generic items together, with when in each window each was
    // first active (a generic item: the first of its flows).
    {
      std::vector<timed_entry> entries;
      entries.reserve(a.entries() + [&] { std::size_t t = 0; for (auto& w : item_windows) t += w.size(); return t; }());
      for (std::uint32_t i = 0; i < nb; ++i) {
        const auto w = a.windows_of(i);
        const auto o = a.offsets_of(i);
        for (std::size_t k = 0; k < w.size(); ++k) entries.push_back({a.windows[w[k]], i, o.empty() ? window_offset{0} : o[k]});
      }
      for (std::size_t g = 0; g < item_windows.size(); ++g)
        for (std::size_t k = 0; k < item_windows[g].size(); ++k)
          entries.push_back({a.windows[item_windows[g].windows[k]], static_cast<std::uint32_t>(nb + g), item_windows[g].offsets[k]});
      item_windows = {};
      std::sort(entries.begin(), entries.end());
      const bool timed = a.timed();
      s.windows = activity::from_sorted(entries, items.size(), n);
      if (!timed) s.windows.item_offsets = {};
    }

    // Host-variable items, counted over (host, window) samples.
    add_host_items(a, keep, base, items, s);
    s.items = std::move(items);
    return s;
  }

 private:
  /// A candidate host-variable item: its closure, the field its variable binds, its flows (sorted).
  struct host_item {
    flow_pattern closure;
    field bound;  // src_ip or dst_ip
    std::vector<std::uint32_t> flows;
  };

  template <class Keep>
  void add_rests(const activity& a, const Keep& keep, std::vector<flow_pattern>& items,
                 std::vector<std::vector<std::uint32_t>>& members, std::vector<detail::timed_windows>& item_windows,
                 std::uint32_t nb) const {
    const std::uint64_t n = a.samples;
    auto count = [&](std::uint32_t i) { return i < nb ? a.count(i) : item_windows[i - nb].size(); };
    const auto generic_end = static_cast<std::uint32_t>(items.size());
    boost::unordered_flat_map<std::uint64_t, std::vector<std::uint32_t>> by_hash;  // member-set hash -> items
    const detail::member_set_hash set_hash;
    for (std::uint32_t i = 0; i < generic_end; ++i) by_hash[set_hash(members[i])].push_back(i);
    std::vector<std::vector<std::uint32_t>> generic_of(nb);  // flow -> generic items whose first flow it is
    for (std::uint32_t y = nb; y < generic_end; ++y) generic_of[members[y][0]].push_back(y);
    for (std::uint32_t x = nb; x < generic_end; ++x) {
      // the rule-able items inside x: generic items whose flows are all x's, and x's flows that no
      // such item covers (only the largest pieces: a rest is taken against each of them)
      std::vector<std::uint32_t> inside;
      for (auto f : members[x])
        for (auto y : generic_of[f])
          if (y != x && members[y].size() < members[x].size() && keep(count(y), n) &&
              std::includes(members[x].begin(), members[x].end(), members[y].begin(), members[y].end()))
            inside.push_back(y);
      std::erase_if(inside, [&](std::uint32_t y) {
        return std::any_of(inside.begin(), inside.end(), [&](std::uint32_t z) {
          return z != y && members[z].size() > members[y].size() &&
                 std::includes(members[z].begin(), members[z].end(), members[y].begin(), members[y].end());
        });
      });
      if (inside.size() > max_rests) continue;
      for (auto f : members[x]) {
        if (!keep(a.count(f), n)) continue;
        const bool covered = std::any_of(inside.begin(), inside.end(), [&](std::uint32_t y) {
          return y >= nb && std::binary_search(members[y].begin(), members[y].end(), f);
        });
        if (!covered) inside.push_back(f);
        if (inside.size() > max_rests) break;
      }
      if (inside.empty() || inside.size() > max_rests) continue;
      for (auto y : inside) {
        std::vector<std::uint32_t> rest;
        std::set_difference(members[x].begin(), members[x].end(), members[y].begin(), members[y].end(), std::back_inserter(rest));
        if (rest.size() < 2) continue;  // a single flow is an item already
        auto& same = by_hash[set_hash(rest)];
        if (std::any_of(same.begin(), same.end(), [&](std::uint32_t z) { return members[z] == rest; })) continue;
        auto w = detail::union_windows(a, rest);
        if (!keep(w.size(), n)) continue;
        flow_pattern c = items[rest[0]];
        for (auto f : rest) detail::widen(c, items[f]);
        same.push_back(static_cast<std::uint32_t>(items.size()));
        items.push_back(c);
        members.push_back(std::move(rest));
        item_windows.push_back(std::move(w));
      }
    }
  }

  /// The most specific pattern covering `flows` (not empty), with the variable in `bound`'s place.
  [[nodiscard]] static flow_pattern host_closure(const std::vector<flow_pattern>& base, const std::vector<std::uint32_t>& flows, field bound) {
    flow_pattern cl = base[flows.front()];
    for (auto f : flows) detail::widen(cl, base[f]);
    auto slots = cl.slots;
    slots[static_cast<std::size_t>(bound)] = slot::var;
    return detail::apply(mask{slots}, cl);
  }

  /// Host rests: where a host item X whose other host is fixed strictly contains rule-able host
  /// items Y bound the same way (only the largest, at most max_rests of them), X minus Y is a host
  /// item too. So `$C.* : Mirror.*` minus `$C.* : Mirror.21` holds every client's FTP data
  /// connections, and one `$C` rule ties them to their control connections where one window rule
  /// per client did before. Appends to `kept`.
  template <class Keep, class HostOf>
  void add_host_rests(const Keep& keep, const std::vector<flow_pattern>& base, std::vector<host_item>& cand,
                      std::vector<std::uint32_t>& kept, const std::vector<std::uint64_t>& counts, std::uint64_t samples,
                      const HostOf& host_of) const {
    const auto n_kept = static_cast<std::uint32_t>(kept.size());
    boost::unordered_flat_map<std::uint32_t, std::vector<std::uint32_t>> first_of;  // first flow -> kept items
    for (std::uint32_t k = 0; k < n_kept; ++k) first_of[cand[kept[k]].flows.front()].push_back(k);
    boost::unordered_flat_set<std::vector<std::uint32_t>, detail::member_set_hash> seen;  // host items' flow sets
    for (std::uint32_t k = 0; k < n_kept; ++k) seen.insert(cand[kept[k]].flows);
    for (std::uint32_t x = 0; x < n_kept; ++x) {
      const field bound = cand[kept[x]].bound;
      // Only against one peer: `$A.* : *.22` minus `$A.* : Router1.22` ("a host that reaches
      // Router1 on 22 reaches some other host on 22") would fold a scan into every client's ssh.
      const field peer = bound == field::src_ip ? field::dst_ip : field::src_ip;
      if (cand[kept[x]].closure.at(peer) != slot::kept) continue;
      std::vector<std::uint32_t> inside;
      {
        const std::vector<std::uint32_t>& xf = cand[kept[x]].flows;
        for (auto f : xf) {
          const auto it = first_of.find(f);
          if (it == first_of.end()) continue;
          for (auto y : it->second) {
            const std::vector<std::uint32_t>& yf = cand[kept[y]].flows;
            if (y != x && cand[kept[y]].bound == bound && yf.size() < xf.size() && keep(counts[y], samples) &&
                std::includes(xf.begin(), xf.end(), yf.begin(), yf.end()))
              inside.push_back(y);
          }
        }
      }
      std::erase_if(inside, [&](std::uint32_t y) {
        const auto& yf = cand[kept[y]].flows;
        return std::any_of(inside.begin(), inside.end(), [&](std::uint32_t z) {
          const auto& zf = cand[kept[z]].flows;
          return zf.size() > yf.size() && std::includes(zf.begin(), zf.end(), yf.begin(), yf.end());
        });
      });
      if (inside.empty() || inside.size() > max_rests) continue;
      for (auto y : inside) {
        std::vector<std::uint32_t> rest;
        const auto& xf = cand[kept[x]].flows;
        const auto& yf = cand[kept[y]].flows;
        std::set_difference(xf.begin(), xf.end(), yf.begin(), yf.end(), std::back_inserter(rest));
        const bool two_hosts = std::any_of(rest.begin(), rest.end(), [&](std::uint32_t f) { return host_of(f, bound) != host_of(rest.front(), bound); });
        if (!two_hosts || seen.contains(rest)) continue;
        seen.insert(rest);
        flow_pattern cl = host_closure(base, rest, bound);
        kept.push_back(static_cast<std::uint32_t>(cand.size()));
        cand.push_back({cl, bound, std::move(rest)});  // may grow cand: xf and yf are not used after
      }
    }
  }

  template <class Keep>
  void add_host_items(const activity& a, const Keep& keep, const std::vector<flow_pattern>& base,
                      std::vector<flow_pattern>& items, item_space& s) const {
    const auto nb = static_cast<std::uint32_t>(base.size());
    std::vector<host_item> cand;
    {
      boost::unordered_flat_map<flow_pattern, std::uint32_t, flow_pattern_hash> index;
      for (const mask& m : masks) {
        if (m.vars() == 0) continue;
        const field bound = m[field::src_ip] == slot::var ? field::src_ip : field::dst_ip;
        for (std::uint32_t i = 0; i < nb; ++i) {
          auto [it, fresh] = index.try_emplace(detail::apply(m, base[i]), static_cast<std::uint32_t>(cand.size()));
          if (fresh) cand.push_back({it->first, bound, {}});
          cand[it->second].flows.push_back(i);
        }
      }
    }
    if (cand.empty()) return;
    auto host_of = [&](std::uint32_t flow, field bound) { return bound == field::src_ip ? base[flow].key.src : base[flow].key.dst; };

    // Samples: per window, the hosts that are endpoints of an active flow.
    std::vector<std::size_t> first_sample(a.windows.size() + 1, 0);
    std::vector<ip_address> hosts;
    for (std::size_t w = 0; w < a.windows.size(); ++w) {
      const std::size_t from = hosts.size();
      for (auto i : a.items_in(w)) {
        if (base[i].at(field::src_ip) == slot::kept) hosts.push_back(base[i].key.src);
        if (base[i].at(field::dst_ip) == slot::kept) hosts.push_back(base[i].key.dst);
      }
      std::sort(hosts.begin() + static_cast<std::ptrdiff_t>(from), hosts.end(), ip_address::word_less{});
      hosts.erase(std::unique(hosts.begin() + static_cast<std::ptrdiff_t>(from), hosts.end()), hosts.end());
      first_sample[w + 1] = hosts.size();
    }
    const std::uint64_t samples = hosts.size();

    // Closures; items bound to fewer than two hosts say nothing a window item does not.
    boost::unordered_flat_map<flow_pattern, std::uint32_t, flow_pattern_hash> by_closure;
    std::vector<std::uint32_t> kept;
    for (std::uint32_t c = 0; c < cand.size(); ++c) {
      auto& h = cand[c];
      std::sort(h.flows.begin(), h.flows.end());
      const bool two_hosts = std::any_of(h.flows.begin(), h.flows.end(), [&](std::uint32_t f) { return host_of(f, h.bound) != host_of(h.flows.front(), h.bound); });
      if (!two_hosts) continue;
      const flow_pattern cl = host_closure(base, h.flows, h.bound);
      if (by_closure.contains(cl)) continue;
      by_closure.emplace(cl, c);
      h.closure = cl;
      kept.push_back(c);
    }
    // Each kept item's (host, window) samples, sorted; `from` is the first kept item to add.
    std::vector<std::pair<std::int64_t, std::uint32_t>> entries;
    std::vector<std::uint64_t> counts;
    auto add_entries = [&](std::uint32_t from) {
      std::vector<std::vector<std::uint32_t>> of_flow(nb);
      for (std::uint32_t k = from; k < kept.size(); ++k)
        for (auto f : cand[kept[k]].flows) of_flow[f].push_back(k);
      const auto begin = static_cast<std::ptrdiff_t>(entries.size());
      for (std::size_t w = 0; w < a.windows.size(); ++w) {
        const auto lo = hosts.begin() + static_cast<std::ptrdiff_t>(first_sample[w]);
        const auto hi = hosts.begin() + static_cast<std::ptrdiff_t>(first_sample[w + 1]);
        for (auto f : a.items_in(w))
          for (auto k : of_flow[f]) {
            const auto at = std::lower_bound(lo, hi, host_of(f, cand[kept[k]].bound), ip_address::word_less{});
            entries.emplace_back(static_cast<std::int64_t>(at - hosts.begin()), k);
          }
      }
      std::sort(entries.begin() + begin, entries.end());
      entries.erase(std::unique(entries.begin() + begin, entries.end()), entries.end());
      counts.resize(kept.size(), 0);
      for (auto e = entries.begin() + begin; e != entries.end(); ++e) ++counts[e->second];
      std::inplace_merge(entries.begin(), entries.begin() + begin, entries.end());
    };
    add_entries(0);
    if (rests) {
      const auto before = static_cast<std::uint32_t>(kept.size());
      add_host_rests(keep, base, cand, kept, counts, samples, host_of);
      add_entries(before);
    }
    std::vector<std::uint32_t> remap(kept.size(), UINT32_MAX);
    std::uint32_t next = 0;
    for (std::uint32_t k = 0; k < kept.size(); ++k) {
      if (!keep(counts[k], samples)) continue;
      remap[k] = next++;
      items.push_back(cand[kept[k]].closure);
      s.members.push_back(cand[kept[k]].flows);
    }
    std::erase_if(entries, [&](const auto& e) { return remap[e.second] == UINT32_MAX; });
    for (auto& e : entries) e.second = remap[e.second];
    s.hosts = activity::from_sorted(entries, next, samples);
    s.host_window_start = std::move(first_sample);
  }
};

/// The default set: every rule shape of the paper's case studies.
using paper_templates =
    templates<client_port, any_client, any_ports, same_client, same_client_any_ports, same_client_any_server, same_server>;

static_assert(Lattice<paper_templates> && InstanceKeepingLattice<paper_templates>);
static_assert(Lattice<templates<client_port>>);

}  // namespace expose::lattice
