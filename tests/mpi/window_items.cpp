// The window items made by their owners across ranks (expose/mpi/window_items.hpp), run with 1,
// 2, 3 and 4 ranks: each rank makes the same trace's flows and activity, takes a run of the flows
// and the entries of a range of windows (as a rank reading its range would; also runs of unequal
// length, and entries a second rank holds too with a later offset), and rank 0 checks the items
// every rank made and the rows of every rank's windows, gathered, against those one process makes
// (lattice::templates::generalize_windows): numbers, closures, flows, counts of windows, windows
// and offsets, each rank's rows after the rows of the ranks before it. Generated traces of few
// hosts (groups of many flows, equal closures from several templates) and many (most groups of
// one flow), with and without rests, templates whose items nest three deep, web clients at and
// past max_rests, two flows on up to four ranks, and every capture under EXPOSE_TRACE_DIR (edge/
// too); and an entry naming a flow before every rank's run stops each rank with job_stops, saying
// so. Prints what differs and exits 1; prints `pass` and exits 0.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "expose/activity.hpp"
#include "expose/address.hpp"
#include "expose/flow_key.hpp"
#include "expose/flow_table.hpp"
#include "expose/io/pcap_file.hpp"
#include "expose/lattice/templates.hpp"
#include "expose/mpi/messages.hpp"
#include "expose/mpi/window_items.hpp"
#include "expose/synth/generator.hpp"
#include "check.hpp"

namespace {

namespace ex = expose;

/// One item as compared: its number, closure, flows, windows (window numbers) and offsets.
struct item {
  std::uint32_t id = 0;
  ex::flow_pattern closure;
  std::vector<std::uint32_t> members;
  std::vector<std::int64_t> windows;
  std::vector<ex::window_offset> offsets;
  friend bool operator==(const item&, const item&) = default;
};

/// The window templates of the paper, and a set whose items nest three deep (`*.* : B.*` holds
/// `*.* : B.80`, which holds `A.* : B.80`): a rest is taken against the largest pieces alone. The
/// second also takes any destination port, for flows with a `*` port (check_mixed).
using paper = ex::lattice::templates<ex::lattice::client_port, ex::lattice::any_client, ex::lattice::same_client, ex::lattice::any_ports>;
using any_dport = ex::lattice::shape<ex::lattice::any<ex::fields::dst_port>>;
using to_server = ex::lattice::shape<ex::lattice::any<ex::fields::src_ip>, ex::lattice::any<ex::fields::src_port>,
                                     ex::lattice::any<ex::fields::dst_port>>;
using nested = ex::lattice::templates<ex::lattice::client_port, any_dport, ex::lattice::any_client, to_server>;

/// How the flows and entries are dealt to the ranks, beside the plain way (equal runs of flows,
/// each rank the entries of its range of windows).
struct dealing {
  std::uint64_t min_count = 3;  ///< the lattice's keep: items seen in this many windows or more
  bool uneven = false;          ///< runs of flows growing with the rank (the first ranks' empty on small traces)
  /// every third entry also on the next rank with a later offset (a window two ranks read: the
  /// earliest offset is the flow's)
  bool copies = false;
};

/// Checks flows' patterns and activity (window, flow, offset; any order, a (window, flow) any
/// number of times); returns how many items one process made (on rank 0; 0 elsewhere).
template <class L>
std::size_t check_flows(expose_test::mpi_check& c, const std::vector<ex::flow_pattern>& patterns, std::vector<ex::timed_entry> entries,
                        const L& lattice, const std::string& name, const dealing& deal = {}) {
  const int rank = c.rank, size = c.size;
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const ex::timed_entry& a, const ex::timed_entry& b) { return a.window == b.window && a.item == b.item; }),
                entries.end());
  const std::int64_t lo = entries.front().window, hi = entries.back().window;
  const auto samples = static_cast<std::uint64_t>(hi - lo + 1);
  const auto keep = [min = deal.min_count](std::uint64_t count, std::uint64_t) { return count >= min; };

  // This rank's run of flows, and the entries of its range of windows.
  const auto n = static_cast<std::uint32_t>(patterns.size());
  const auto cut = [&](int r) {
    const auto r64 = static_cast<std::uint64_t>(r), s64 = static_cast<std::uint64_t>(size);
    return static_cast<std::uint32_t>(deal.uneven ? std::uint64_t{n} * r64 * r64 / (s64 * s64) : std::uint64_t{n} * r64 / s64);
  };
  ex::mpi::flow_run run{cut(rank), ex::pattern_list(std::vector<ex::flow_pattern>(patterns.begin() + cut(rank), patterns.begin() + cut(rank + 1)))};
  std::vector<ex::timed_entry> mine;
  const auto window_cut = [&](int r) { return lo + (hi - lo + 1) * r / size; };
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const auto& e = entries[k];
    if (e.window >= window_cut(rank) && e.window < window_cut(rank + 1)) mine.push_back(e);
    if (deal.copies && k % 3 == 0 && e.offset < UINT16_MAX && e.window >= window_cut((rank + size - 1) % size) &&
        e.window < window_cut((rank + size - 1) % size + 1))
      mine.push_back({e.window, e.item, static_cast<ex::window_offset>(e.offset + 1)});
  }
  ex::mpi::traffic t;
  const ex::mpi::window_item_share share = ex::mpi::window_items(run, std::move(mine), samples, lattice, keep, MPI_COMM_WORLD, t);

  // Every rank's rows and items to rank 0, as text-free records: the rows, then (id, closure,
  // members, count) each.
  ex::mpi::detail::writer w;
  w.put_vector(share.rows);
  for (std::size_t k = 0; k < share.items(); ++k) {
    w.put(share.id[k]);
    w.put(share.closure[k]);
    const auto m = share.members_of(k);
    w.put_vector(std::vector<std::uint32_t>(m.begin(), m.end()));
    w.put(share.count[k]);
  }
  c.check(std::is_sorted(share.id.begin(), share.id.end()), name + ": a rank's items are not in order of number");
  const auto by_item = [](const ex::timed_entry& a, const ex::timed_entry& b) { return std::tie(a.item, a.window) < std::tie(b.item, b.window); };
  c.check(std::is_sorted(share.rows.begin(), share.rows.end(), by_item), name + ": a rank's rows are not in order of item and window");
  if (rank != 0) {
    ex::mpi::detail::send_bytes(w.bytes, 0, MPI_COMM_WORLD, t);
    return 0;
  }
  std::vector<item> got;
  std::vector<std::uint32_t> counts;           // beside got
  std::vector<ex::timed_entry> rows;           // every rank's
  std::int64_t last_window = INT64_MIN;        // of the ranks before: each rank's windows lie after them
  for (int from = 0; from < size; ++from) {
    const auto bytes = from == 0 ? w.bytes : ex::mpi::detail::recv_bytes(from, MPI_COMM_WORLD, t);
    ex::mpi::detail::reader r(bytes);
    const auto held = r.get_vector<ex::timed_entry>();
    if (!held.empty()) {
      const auto [earliest, latest] = std::minmax_element(held.begin(), held.end(), [](const auto& a, const auto& b) { return a.window < b.window; });
      c.check(earliest->window > last_window, name + ": rank " + std::to_string(from) + " holds rows of window " + std::to_string(earliest->window) +
                                            ", not after an earlier rank's " + std::to_string(last_window));
      last_window = latest->window;
    }
    rows.insert(rows.end(), held.begin(), held.end());
    while (r.at != r.end) {
      item i;
      i.id = r.get<std::uint32_t>();
      i.closure = r.get<ex::flow_pattern>();
      i.members = r.get_vector<std::uint32_t>();
      counts.push_back(r.get<std::uint32_t>());
      got.push_back(std::move(i));
    }
  }
  {
    std::vector<std::size_t> order(got.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return got[a].id < got[b].id; });
    std::vector<item> by_id;
    std::vector<std::uint32_t> counts_by_id;
    for (const auto k : order) {
      by_id.push_back(std::move(got[k]));
      counts_by_id.push_back(counts[k]);
    }
    got = std::move(by_id);
    counts = std::move(counts_by_id);
  }
  // each item's windows and offsets, of every rank's rows
  std::sort(rows.begin(), rows.end(), by_item);
  for (const auto& e : rows) {
    const auto it = std::lower_bound(got.begin(), got.end(), e.item, [](const item& x, std::uint32_t id) { return x.id < id; });
    if (it == got.end() || it->id != e.item) {
      c.check(false, name + ": a row names item " + std::to_string(e.item) + ", which no rank holds");
      return 0;
    }
    it->windows.push_back(e.window);
    it->offsets.push_back(e.offset);
  }
  for (std::size_t k = 0; k < got.size(); ++k)
    if (counts[k] != got[k].windows.size()) {
      c.check(false, name + ": item " + std::to_string(got[k].id) + " counts " + std::to_string(counts[k]) + " windows, the ranks' rows hold " +
                         std::to_string(got[k].windows.size()));
      break;
    }


  // One process's items: generic items follow the flows.
  const ex::activity a = ex::activity::from_sorted(std::span<const ex::timed_entry>(entries), patterns.size(), samples);
  const ex::item_space s = lattice.generalize_windows(ex::pattern_list(patterns), a, keep);
  std::vector<item> want;
  for (std::uint32_t i = n; i < s.items.size(); ++i) {
    item x;
    x.id = i;
    x.closure = s.items[i];
    const auto m = s.members(i);
    x.members.assign(m.begin(), m.end());
    const auto ws = s.windows.windows_of(i);
    for (const auto pos : ws) x.windows.push_back(a.windows[pos]);
    const auto os = s.windows.offsets_of(i);
    x.offsets.assign(os.begin(), os.end());
    want.push_back(std::move(x));
  }
  c.check(share.total == want.size(), name + ": the items' total is " + std::to_string(share.total) + ", one process makes " +
                                          std::to_string(want.size()));
  c.check(got.size() == want.size(), name + ": " + std::to_string(got.size()) + " items gathered, one process makes " +
                                         std::to_string(want.size()));
  for (std::size_t k = 0; k < std::min(got.size(), want.size()); ++k)
    if (!(got[k] == want[k])) {
      c.check(false, name + ": item " + std::to_string(want[k].id) + " (" + want[k].closure.text() + ", " +
                         std::to_string(want[k].members.size()) + " flows) differs: got item " + std::to_string(got[k].id) + " (" +
                         got[k].closure.text() + ", " + std::to_string(got[k].members.size()) + " flows)");
      break;
    }
  return want.size();
}

/// Checks one trace's packets (windows of a second, offsets in units of 1/65536 s).
template <class L>
std::size_t check_trace(expose_test::mpi_check& c, const std::vector<ex::packet>& packets, const L& lattice, const std::string& name,
                        const dealing& deal = {}) {
  std::vector<ex::flow_pattern> patterns;
  std::vector<ex::timed_entry> entries;
  ex::flow_table table;
  for (const auto& p : packets) {
    const auto [id, fresh] = table.find_or_insert(p);
    if (fresh) patterns.push_back(ex::exact(table.flows()[id]));
    entries.push_back({p.ts_ns / 1'000'000'000, id, static_cast<ex::window_offset>((p.ts_ns % 1'000'000'000) * 65536 / 1'000'000'000)});
  }
  return check_flows(c, patterns, std::move(entries), lattice, name, deal);
}

/// A TCP flow 10.0.0.s:sp -> 11.0.0.d:dp, a port < 0 as `*`.
ex::flow_pattern flow_of(std::uint32_t s, std::uint32_t d, int sp, int dp) {
  ex::flow_key k;
  k.src = ex::ip_address::v4(0x0a000000U + s);
  k.dst = ex::ip_address::v4(0x0b000000U + d);
  k.sport = static_cast<std::uint16_t>(sp < 0 ? 0 : sp);
  k.dport = static_cast<std::uint16_t>(dp < 0 ? 0 : dp);
  k.proto = 6;
  ex::flow_pattern p = ex::exact(k);
  if (sp < 0) p.set(ex::field::src_port, ex::slot::any);
  if (dp < 0) p.set(ex::field::dst_port, ex::slot::any);
  return p;
}

/// Flows whose patterns keep other fields than an exact flow's (a port as `*`, as a flow log's
/// record may have): two templates can make one group, whose smallest flow is not the first
/// flow of the template that makes it first, and a smaller group can share a larger one's
/// closure. Two cases by hand and `seeds` random ones (up to 50 flows in 20 windows), on the
/// nested templates (any source port, any destination port, any client, any client and ports)
/// and the paper's.
void check_mixed(expose_test::mpi_check& c, unsigned seeds) {
  {
    // flows 0 (port *, 2) and 1 (1, port *) are one group of client_port and any_dport, met first
    // by client_port at flow 1, its smallest flow 0: a rest of the server's clients must find it
    const std::vector<ex::flow_pattern> p{flow_of(1, 1, -1, 2), flow_of(1, 1, 1, -1), flow_of(2, 1, 5, 6), flow_of(3, 1, 7, 8),
                                          flow_of(4, 1, 9, 10)};
    std::vector<ex::timed_entry> e;
    for (std::int64_t w = 0; w < 12; ++w)
      for (std::uint32_t f = 0; f < p.size(); ++f)
        if ((w + f) % 3 != 0) e.push_back({w, f, static_cast<ex::window_offset>(f * 7 + w)});
    check_flows(c, p, e, nested{}, "mixed slots: a group of two templates", {.min_count = 2});
  }
  {
    // any_dport's {0, 1} (one window) and to_server's {0, 1, 2, 3} (five) have one closure,
    // 10.0.0.1.* : 11.0.0.1.*: the first is not kept, so the second is an item
    const std::vector<ex::flow_pattern> p{flow_of(1, 1, -1, 80), flow_of(1, 1, -1, 81), flow_of(1, 1, 5, 80), flow_of(1, 1, 6, 81)};
    const std::vector<ex::timed_entry> e{{0, 0, 3}, {0, 1, 2}, {1, 2, 0}, {2, 2, 0}, {3, 3, 0}, {4, 3, 0}};
    check_flows(c, p, e, nested{}, "mixed slots: a closure of a group not kept", {.min_count = 3});
  }
  for (unsigned seed = 1; seed <= seeds; ++seed) {
    std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL;
    const auto draw = [&](std::uint32_t n) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return static_cast<std::uint32_t>(x % n);
    };
    std::vector<ex::flow_pattern> p;
    const std::uint32_t n = 10 + draw(40);
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint32_t s = draw(3), d = draw(2);
      const int sp = draw(4) == 0 ? -1 : static_cast<int>(draw(3));
      const int dp = draw(4) == 0 ? -1 : static_cast<int>(80 + draw(3));
      const auto q = flow_of(s, d, sp, dp);
      if (std::find(p.begin(), p.end(), q) == p.end()) p.push_back(q);
    }
    std::vector<ex::timed_entry> e;
    for (std::int64_t w = 0; w < 20; ++w)
      for (std::uint32_t f = 0; f < p.size(); ++f)
        if (draw(3) == 0) e.push_back({w, f, static_cast<ex::window_offset>(draw(1000))});
    if (e.empty()) continue;
    const std::uint64_t min_count = 1 + draw(3);
    check_flows(c, p, e, nested{}, "mixed slots, seed " + std::to_string(seed),
                {.min_count = min_count, .uneven = (seed & 1) != 0, .copies = (seed & 2) != 0});
    check_flows(c, p, e, paper{}, "mixed slots, paper templates, seed " + std::to_string(seed), {.min_count = min_count});
  }
}

std::vector<ex::packet> packets_of(const ex::synth::generator& gen) {
  std::vector<ex::packet> out;
  for (const auto& p : gen.packets()) out.push_back(p);
  return out;
}

/// `clients` hosts, each with two connections to one web server in each of ten windows: the
/// server's item holds one item per client, so it has rests against each when there are at most
/// max_rests (4) of them, and none with more.
std::vector<ex::packet> web_clients(std::uint32_t clients) {
  std::vector<ex::packet> out;
  for (std::int64_t w = 0; w < 10; ++w)
    for (std::uint32_t i = 1; i <= clients; ++i)
      for (std::uint16_t k = 0; k < 2; ++k) {
        ex::packet p;
        p.ts_ns = w * 1'000'000'000 + i * 1'000 + k;
        p.src = ex::ip_address::v4(0x0a080000U + i);
        p.dst = ex::ip_address::v4(0x0a090909U);
        p.sport = static_cast<std::uint16_t>(40000 + i * 10 + k);
        p.dport = 80;
        p.proto = 6;
        out.push_back(p);
      }
  return out;
}

/// Runs whose first flow is 1, not 0 (rank r holds flow 1 + r), and every rank an entry naming
/// flow 0, which lies before them all: the message every rank stops with, or "none". Every rank
/// meets it before the first exchange, so none is left waiting.
std::string before_every_run(const expose_test::mpi_check& c) {
  ex::flow_table table;
  table.find_or_insert(web_clients(1).front());
  const ex::mpi::flow_run run{static_cast<std::uint32_t>(1 + c.rank),
                              ex::pattern_list(std::vector<ex::flow_pattern>{ex::exact(table.flows()[0])})};
  ex::mpi::traffic t;
  try {
    [[maybe_unused]] const auto share = ex::mpi::window_items(
        run, {{0, 0, 0}}, 1, paper{}, [](std::uint64_t, std::uint64_t) { return true; }, MPI_COMM_WORLD, t);
  } catch (const ex::mpi::detail::job_stops& e) {
    return e.what();
  }
  return "none";
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  expose_test::mpi_check c;
  // Under the sanitizers (EXPOSE_SANITIZED, set by scripts/sanitize.sh) a shorter "many hosts"
  // trace and no real captures: the same code paths, in a fifth of the time.
  const bool sanitized = std::getenv("EXPOSE_SANITIZED") != nullptr;
  const auto few = packets_of({.seed = 7, .duration = std::chrono::seconds{600}, .hosts = 20, .noise_per_second = 4});
  const auto many = packets_of({.seed = 11, .duration = std::chrono::seconds{sanitized ? 150 : 300}, .hosts = 300, .noise_per_second = 30});
  const std::size_t few_groups = check_trace(c, few, paper{.rests = false}, "few hosts, no rests");
  const std::size_t few_items = check_trace(c, few, paper{}, "few hosts");
  const std::size_t many_groups = check_trace(c, many, paper{.rests = false}, "many hosts, no rests");
  const std::size_t many_items = check_trace(c, many, paper{}, "many hosts");
  const std::size_t nested_items = check_trace(c, many, nested{}, "many hosts, nested templates");
  check_trace(c, few, paper{.max_rests = 1}, "few hosts, dealt unevenly, entries on two ranks, items of one window",
              {.min_count = 1, .uneven = true, .copies = true});
  check_trace(c, many, nested{.max_rests = 8}, "many hosts, nested, dealt unevenly, entries on two ranks, items of ten windows",
              {.min_count = 10, .uneven = true, .copies = true});
  {
    // windows 100,000 apart: a rank's windows span more than its entries and 2^16, so its sets are
    // counted and united by a sort (window_stamps' arrays would grow with the span); no copies,
    // which would leave rank 0 no window of its own
    auto spread = few;
    const std::int64_t first = few.front().ts_ns / 1'000'000'000;  // seconds since 1970: spread from the trace's first second
    for (auto& p : spread) p.ts_ns = (first + (p.ts_ns / 1'000'000'000 - first) * 100'000) * 1'000'000'000 + p.ts_ns % 1'000'000'000;
    check_trace(c, spread, paper{}, "few hosts, windows 100,000 apart", {.min_count = 1, .uneven = true});
  }
  // two flows: on three ranks or more, some hold no flow
  const std::size_t one = check_trace(c, web_clients(1), paper{}, "one web client");
  const std::size_t four = check_trace(c, web_clients(4), paper{}, "four web clients");
  const std::size_t five = check_trace(c, web_clients(5), paper{}, "five web clients");
  if (c.rank == 0)
    c.check(one == 1 && four == 5 + 4 && five == 6, "the web clients made " + std::to_string(one) + ", " + std::to_string(four) + " and " +
                                                        std::to_string(five) + " items");
  if (c.rank == 0)
    c.check(few_groups > 50 && many_groups > 50 && few_items > few_groups && many_items > many_groups && nested_items > 50,
            "the traces make too few window items or rests to tell (" + std::to_string(few_groups) + ", " + std::to_string(few_items) +
                ", " + std::to_string(many_groups) + ", " + std::to_string(many_items) + ", " + std::to_string(nested_items) + ")");
  check_mixed(c, sanitized ? 4 : 40);
  const std::string stop = before_every_run(c);
  c.check(stop == "expose::mpi::window_items: flow 0 lies before every rank's run", "an entry before every run: got " + stop);
  // The real captures, when EXPOSE_TRACE_DIR names them.
  std::size_t real = 0;
  if (const char* dir = std::getenv("EXPOSE_TRACE_DIR"); dir != nullptr && *dir != 0 && !sanitized) {
    // edge/ too (IPv6), in one order on every rank (each check is collective)
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
      if (entry.path().extension() == ".pcap" || entry.path().extension() == ".pcapng") paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) {
      std::vector<ex::packet> packets;
      ex::input_stats stats;
      ex::io::pcap_files({path}).read([&](const ex::packet& p) { packets.push_back(p); }, stats);
      if (packets.empty()) continue;
      check_trace(c, packets, paper{}, path.filename().string(), {.min_count = 2, .uneven = true, .copies = true});
      ++real;
    }
  }
  const int all = c.ranks_failed();
  if (c.rank == 0 && all == 0)
    std::printf("pass: the window items of %d ranks are one process's (%zu and %zu items, %zu and %zu with rests, %zu nested; %zu real captures%s)\n",
                c.size, few_groups, many_groups, few_items, many_items, nested_items, real, sanitized ? "; sanitized: fewer" : "");
  MPI_Finalize();
  return all == 0 ? 0 : 1;
}
