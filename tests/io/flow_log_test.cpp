#include "expose/io/flow_log.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "doctest.hpp"
#include "expose/io/text.hpp"
#include "expose/keys/service.hpp"
#include "expose/pipeline.hpp"

using namespace expose;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {
fs::path write(const std::string& name, const std::string& text) {
  const auto path = fs::temp_directory_path() / ("expose_flow_log_" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// Every 10 s for 200 s a client resolves a name and opens a web connection lasting 2.5 s; a
// monitoring session spans the whole time; one connection of noise.
struct conn {
  std::string ts, duration, src, sport, dst, dport, proto;
};
std::vector<conn> connections() {
  std::vector<conn> c;
  for (int k = 0; k < 20; ++k) {
    const std::string t = std::to_string(1'600'000'000 + 10 * k);
    c.push_back({t + ".000000123", "0.010000", "10.0.0.5", std::to_string(40000 + k), "10.0.0.53", "53", "udp"});
    c.push_back({t + ".250000000", "2.500000", "10.0.0.5", std::to_string(50000 + k), "10.0.0.80", "80", "tcp"});
  }
  c.push_back({"1600000000.5", "199.0", "10.0.0.9", "33000", "10.0.0.161", "161", "udp"});
  c.push_back({"1600000042.0", "-", "10.0.0.7", "8", "10.0.0.8", "0", "icmp"});
  return c;
}

std::string zeek_tsv() {
  std::ostringstream o;
  o << "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    << "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n"
    << "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n";
  int uid = 0;
  for (const auto& c : connections())
    o << c.ts << "\tC" << uid++ << '\t' << c.src << '\t' << c.sport << '\t' << c.dst << '\t' << c.dport << '\t' << c.proto << "\t-\t"
      << c.duration << "\t0\t0\tSF\n";
  o << "#close\t2020-09-13-12-30-00\n";
  return o.str();
}

std::string zeek_json() {
  std::ostringstream o;
  int uid = 0;
  for (const auto& c : connections()) {
    o << R"({"ts":)" << c.ts << R"(,"uid":"C)" << uid++ << R"(","id.orig_h":")" << c.src << R"(","id.orig_p":)" << c.sport
      << R"(,"id.resp_h":")" << c.dst << R"(","id.resp_p":)" << c.dport << R"(,"proto":")" << c.proto << '"';
    if (c.duration != "-") o << R"(,"duration":)" << c.duration;
    o << R"(,"conn_state":"SF"})" << '\n';
  }
  return o.str();
}

std::string csv() {
  std::ostringstream o;
  o << "proto,src,sport,dst,dport,start,duration,bytes\n";
  for (const auto& c : connections())
    o << c.proto << ',' << c.src << ',' << c.sport << ',' << c.dst << ',' << c.dport << ',' << c.ts << ','
      << (c.duration == "-" ? "" : c.duration) << ",100\n";
  return o.str();
}

auto spec() { return window_by(windows::tumbling{1s}) | generalize_by(lattice::none{}); }

mine_result mine_log(const fs::path& path) { return mine(io::flow_logs({path}, {.step = 1s}), spec()); }
}  // namespace

TEST_CASE("io.flow_log.formats_are_recognized_by_their_first_bytes") {
  CHECK(io::sniff_flow_log(write("a.log", zeek_tsv())) == io::flow_log_format::zeek_tsv);
  CHECK(io::sniff_flow_log(write("a.json", zeek_json())) == io::flow_log_format::zeek_json);
  CHECK(io::sniff_flow_log(write("a.csv", csv())) == io::flow_log_format::csv);
  CHECK_FALSE(io::sniff_flow_log(write("a.pcap", std::string("\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8))));
  CHECK_FALSE(io::sniff_flow_log(write("a.bin", std::string("\x01\x02\x00\xff", 4))));
  CHECK_FALSE(io::sniff_flow_log(write("a.gz", std::string("\x1f\x8b\x08\x00", 4))));
  // what programs put before a CSV's header: a byte order mark, comments; and a long first name
  // (each was "unknown file format": the first 16 bytes were judged)
  CHECK(io::sniff_flow_log(write("bom.csv", "\xEF\xBB\xBF" + csv())) == io::flow_log_format::csv);
  CHECK(io::sniff_flow_log(write("comment.csv", "# exported 2020-09-13 by a collector\n#\n" + csv())) == io::flow_log_format::csv);
  CHECK(io::sniff_flow_log(write("long.csv", "first_seen_timestamp_utc,src,dst,proto\n1,10.0.0.1,10.0.0.2,tcp\n")) ==
        io::flow_log_format::csv);
  CHECK(io::sniff_flow_log(write("bom.json", "\xEF\xBB\xBF" + zeek_json())) == io::flow_log_format::zeek_json);
  CHECK_FALSE(io::sniff_flow_log(write("prose.txt", "# notes\nno commas in this line\nbut, here\n")));
}

TEST_CASE("io.flow_log.a_byte_order_mark_and_comments_before_the_header_are_passed_over") {
  for (const auto& path : {write("j.csv", "\xEF\xBB\xBF" + csv()), write("k.csv", "# exported by a collector\n" + csv()),
                           write("l.json", "\xEF\xBB\xBF" + zeek_json())}) {
    CAPTURE(path);
    const auto r = mine_log(path);
    CHECK(r.input.decoded == 42);  // the first record was lost behind the mark before
    CHECK(r.input.skipped.empty());
    CHECK(r.input.record == "connection record");
  }
}

TEST_CASE("io.flow_log.csv_fields_in_quotes") {
  CHECK(io::detail::split_csv(R"(a,"b,c", "d""e" ,,f )") == std::vector<std::string>{"a", "b,c", "d\"e", "", "f"});
  CHECK(io::detail::split_csv("") == std::vector<std::string>{""});
  CHECK_FALSE(io::detail::split_csv(R"(a,"b)"));
  CHECK_FALSE(io::detail::split_csv(R"(a,"b"c)"));
  auto text = std::string("proto,src,sport,dst,dport,start,duration,bytes\n");
  text += "udp,10.0.0.1,1,10.0.0.2,2,1600000000,,\"1,000\"\n";   // a comma within quotes: one field
  text += "\"udp\",\"10.0.0.1\",\"1\",\"10.0.0.3\",2,1600000000,0.5,7\n";  // every field quoted
  text += "udp,10.0.0.1,1,10.0.0.4,2,1600000000,,1,000\n";          // one field too many: not taken
  text += "udp,10.0.0.1,1,10.0.0.5,2,1600000000,,\"1\n";            // a quote not closed
  const auto r = mine_log(write("m.csv", text));
  CHECK(r.input.packets == 4);
  CHECK(r.input.decoded == 2);
  CHECK(r.flows == 2);
  CHECK(r.input.skipped.at("malformed record") == 2);
  REQUIRE(r.input.warnings.size() == 1);
  CHECK(r.input.warnings[0].ends_with("m.csv': 2 malformed record(s) skipped, the first on line 4 (too many fields)"));
}

TEST_CASE("io.flow_log.a_connection_that_began_long_before_the_logs_is_counted_from_their_start") {
  // an ssh session of 23 days ends in the log: it made 2,000,000 windows with nothing else in them
  auto text = zeek_tsv();
  text.insert(text.rfind("#close"), "1598000000.0\tCssh\t10.0.0.2\t50022\t10.0.0.22\t22\ttcp\t-\t2000100.0\t0\t0\tSF\n");
  const auto r = mine_log(write("n.log", text));
  CHECK(r.input.decoded == 43);
  // it began more than 5 min before the earliest end (the first lookup's, 1600000000.010000123): it
  // counts from where the others begin, the first lookup's start, and adds no window of its own
  CHECK(r.input.start_ns == 1'600'000'000'000'000'123LL);
  CHECK(r.windows == 200);
  CHECK(r.activity_entries == 20 + 20 * 3 + 200 + 1 + 101);  // the session: 1600000000 to its end, 1600000100
  REQUIRE(r.input.warnings.size() == 1);
  CHECK(r.input.warnings[0] ==
        "1 connection(s) began more than 5 min before the others (2020-09-13 12:26:40 UTC, the earliest start of those that began at "
        "most 5 min before the earliest end of any connection in the logs, 2020-09-13 12:26:40 UTC), before the logs see the network: "
        "each is counted from then on (one that ended before, at its end); the earliest is on line 50 of '" +
            (fs::temp_directory_path() / "expose_flow_log_n.log").string() + "' (began 2020-08-21 08:53:20 UTC)");
  // with a lead of a month it is not cut
  const auto wide = mine(io::flow_logs({write("n.log", text)}, {.step = 1s, .lead = 24h * 31}), spec());
  CHECK(wide.input.warnings.empty());
  CHECK(wide.windows == 2'000'200);

  // When every connection began that early, nothing says where the logs begin: none is cut (ten
  // sessions of 2 hours, 10 minutes apart, were all moved to one instant).
  std::string sessions = "start,duration,src,dst,sport,dport,proto\n";
  for (int k = 0; k < 10; ++k)
    sessions += std::to_string(1'600'000'000 + 600 * k) + ",7200,10.0.0.2," + "10.0.1." + std::to_string(k) + ",5000" + std::to_string(k) + ",22,tcp\n";
  const auto all_long = mine_log(write("long.csv", sessions));
  CHECK(all_long.input.warnings.empty());
  CHECK(all_long.windows == 5400 + 7201);
  // Nor when they began within 5 min of each other: ten sessions of 10 minutes a minute apart (the
  // first five began more than 5 min before the first end, and were moved to the sixth's start)
  std::string overlapping = "start,duration,src,dst,sport,dport,proto\n";
  for (int k = 0; k < 10; ++k)
    overlapping += std::to_string(1'600'000'000 + 60 * k) + ",600,10.0.0.2,10.0.1." + std::to_string(k) + ",5000" + std::to_string(k) + ",22,tcp\n";
  const auto close = mine_log(write("close.csv", overlapping));
  CHECK(close.input.warnings.empty());
  CHECK(close.windows == 540 + 601);

  // The warning names the connection that began first, whatever the order of the files.
  const auto a = write("pa.csv", "start,duration,src,dst,proto\n1600000000,1,10.0.0.1,10.0.0.2,udp\n1599000000,1000001,10.0.0.1,10.0.0.3,tcp\n");
  const auto b = write("pb.csv", "start,duration,src,dst,proto\n1598000000,2000001,10.0.0.1,10.0.0.4,tcp\n");
  const auto ab = mine(io::flow_logs({a, b}, {.step = 1s}), spec());
  const auto ba = mine(io::flow_logs({b, a}, {.step = 1s}), spec());
  REQUIRE(ab.input.warnings.size() == 1);
  CHECK(ab.input.warnings == ba.input.warnings);
  CHECK(ab.input.warnings[0].starts_with("2 connection(s) began more than 5 min before"));
  CHECK(ab.input.warnings[0].ends_with("the earliest is on line 2 of '" + b.string() + "' (began 2020-08-21 08:53:20 UTC)"));
  CHECK(ab.windows == 2);

  // One that ended before the others began is counted at its end, never after it (an ssh session
  // of 1000 to 2000 s was moved to the first web connection, at 2600).
  const auto ended = mine_log(write("ended.csv", "start,end,src,dst,dport,proto\n1000,2000,10.0.0.1,10.0.0.2,22,tcp\n"
                                                  "2600,2601,10.0.0.1,10.0.0.3,80,tcp\n2700,2701,10.0.0.1,10.0.0.3,80,tcp\n"));
  CHECK(ended.input.start_ns == 2'000'000'000'000LL);
  CHECK(ended.windows == 702);
}

TEST_CASE("io.flow_log.nfdump_outputs_concatenated") {
  // nfdump's summary, its "No matching flows", and the header again: logs concatenated went on
  // being read (the records after the first summary were dropped unsaid)
  const std::string one = "ts,te,td,sa,da,sp,dp,pr\n2020-09-13 12:26:40,2020-09-13 12:26:41,1.000,10.0.0.1,10.0.0.2,1,2,UDP\n"
                          "Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n1,100,1,800,1,100\n";
  const std::string none = "ts,te,td,sa,da,sp,dp,pr\nNo matching flows\n";
  const auto r = mine_log(write("cat.csv", one + none + one));
  CHECK(r.input.packets == 2);
  CHECK(r.input.decoded == 2);
  CHECK(r.input.skipped.empty());
  // only the totals are passed over: what follows them is read (a CSV of another header's
  // columns was dropped unsaid up to a line equal to the first header)
  const auto mixed = mine_log(write("mixed.csv", one + "start,src,dst,proto\n1600000100,10.0.0.1,10.0.0.3,tcp\n"));
  CHECK(mixed.input.packets == 3);
  CHECK(mixed.input.decoded == 1);
  CHECK(mixed.input.skipped.at("malformed record") == 2);
}

TEST_CASE("io.flow_log.compressed_with_gzip") {
  // as Zeek archives its logs: read as they are, the same records as the plain log
  const auto plain = write("z.log", zeek_tsv());
  const auto gz = fs::temp_directory_path() / "expose_flow_log_z.log.gz";
  REQUIRE(std::system(("gzip -c '" + plain.string() + "' > '" + gz.string() + "'").c_str()) == 0);
  CHECK(io::sniff_flow_log(gz) == io::flow_log_format::zeek_tsv);
  const auto r = mine_log(gz);
  CHECK(r.input.decoded == 42);
  CHECK(r.activity_entries == mine_log(plain).activity_entries);
  CHECK(r.input.warnings.empty());
  // two members, as `cat a.gz b.gz` makes them: both read
  const auto twice = fs::temp_directory_path() / "expose_flow_log_zz.log.gz";
  REQUIRE(std::system(("cat '" + gz.string() + "' '" + gz.string() + "' > '" + twice.string() + "'").c_str()) == 0);
  CHECK(mine_log(twice).input.decoded == 84);
  // zero bytes after the last member (a padded tape or block device) are passed over, as gzip does
  std::ofstream(twice, std::ios::binary | std::ios::app) << std::string(512, '\0');
  CHECK(mine_log(twice).input.decoded == 84);
  CHECK_FALSE(mine_log(twice).input.damaged);
  // a bad check value at the end: every record is read, and the damage said (zlib's gzread threw
  // away the last 64 KiB it had inflated)
  {
    std::string data;
    {
      std::ifstream in(gz, std::ios::binary);
      data.assign(std::istreambuf_iterator<char>(in), {});
    }
    for (std::size_t i = data.size() - 8; i < data.size() - 4; ++i) data[i] = 0;  // the CRC-32
    std::ofstream(fs::temp_directory_path() / "expose_flow_log_crc.log.gz", std::ios::binary) << data;
    const auto bad = mine_log(fs::temp_directory_path() / "expose_flow_log_crc.log.gz");
    CHECK(bad.input.decoded == 42);
    CHECK(bad.input.damaged);
    CHECK(bad.input.warnings.back().ends_with("is damaged after line 50 (incorrect data check; what was read of the compressed data before "
                                              "may hold the damage too): the records before it are read"));
  }
  // cut short: the records before the cut, a warning, damaged
  const auto size = fs::file_size(gz);
  fs::resize_file(gz, size / 2);
  const auto cut = mine_log(gz);
  CHECK(cut.input.damaged);
  CHECK(cut.input.decoded > 0);
  CHECK(cut.input.decoded < 42);
  REQUIRE_FALSE(cut.input.warnings.empty());
  CHECK(cut.input.warnings.back().find("is damaged after line") != std::string::npos);
}

namespace {
std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
}  // namespace

TEST_CASE("io.flow_log.compressed_without_text_is_named_as_what_it_is") {
  // cut within its first bytes (head -c 15), or empty once inflated: each was called "compressed
  // with gzip, and no flow log once decompressed", as if it held text of another kind
  const auto plain = write("nt.log", zeek_tsv());
  const auto gz = fs::temp_directory_path() / "expose_flow_log_nt.log.gz";
  REQUIRE(std::system(("gzip -c '" + plain.string() + "' > '" + gz.string() + "'").c_str()) == 0);
  const auto cut = write("cut15.log.gz", file_bytes(gz).substr(0, 15));
  CHECK_FALSE(io::sniff_flow_log(cut));
  CHECK(io::compressed_without_text(cut));
  const auto r = mine_log(cut);
  CHECK(r.input.packets == 0);
  CHECK(r.input.damaged);
  REQUIRE(r.input.warnings.size() == 1);
  CHECK(r.input.warnings[0] == "'" + cut.string() +
                                   "' is compressed with gzip and cut short before any of its text (the compressed data ends early): "
                                   "nothing of it is read");
  const auto empty = fs::temp_directory_path() / "expose_flow_log_empty.log.gz";
  REQUIRE(std::system(("gzip -c < /dev/null > '" + empty.string() + "'").c_str()) == 0);
  CHECK(io::compressed_without_text(empty));
  CHECK_THROWS_WITH_AS(mine_log(empty), ("cannot read '" + empty.string() + "': compressed with gzip, and empty once decompressed").c_str(),
                       bad_trace);
  // a log with text, a plain file, a missing one: not so
  CHECK_FALSE(io::compressed_without_text(gz));
  CHECK_FALSE(io::compressed_without_text(plain));
  CHECK_FALSE(io::compressed_without_text("/nonexistent/conn.log.gz"));
}

TEST_CASE("io.flow_log.bytes_after_the_last_member_are_passed_over_as_gzip_does") {
  // gzip warns "trailing garbage ignored" and decompresses the file whole; they were damage (exit 3)
  const auto plain = write("tg.log", zeek_tsv());
  const auto gz = fs::temp_directory_path() / "expose_flow_log_tg.log.gz";
  REQUIRE(std::system(("gzip -c '" + plain.string() + "' > '" + gz.string() + "'").c_str()) == 0);
  const std::string member = file_bytes(gz);
  for (const auto& [name, after, at] : {std::tuple{"tg1.log.gz", std::string("trailing garbage\n"), member.size()},
                                        {"tg2.log.gz", std::string("x"), member.size()},
                                        {"tg3.log.gz", std::string(3, '\0') + "junk", member.size() + 3},
                                        {"tg4.log.gz", member + "\x1f", 2 * member.size()}}) {
    CAPTURE(name);
    const auto path = write(name, member + after);
    const auto r = mine_log(path);
    CHECK(r.input.decoded == (after.size() > member.size() ? 84 : 42));
    CHECK(r.activity_entries == mine_log(plain).activity_entries);  // the second member's connections are the first's
    CHECK_FALSE(r.input.damaged);
    REQUIRE(r.input.warnings.size() == 1);
    CHECK(r.input.warnings[0] == "'" + path.string() + "': what follows its compressed data, from byte " + std::to_string(at) +
                                     " on, is not compressed data: passed over, as gzip does (\"trailing garbage ignored\")");
  }
}

TEST_CASE("io.flow_log.comments_before_the_header_longer_than_4_KiB") {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "# an export note of fifty characters, or about it\n";
  const auto r = mine_log(write("longcomment.csv", text + csv()));
  CHECK(r.input.decoded == 42);
}

TEST_CASE("io.flow_log.a_json_line_with_text_after_its_object_is_malformed") {
  const auto r = mine_log(write("o.json", zeek_json() + R"({"ts":1600000000,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"udp"} trailing)" "\n"));
  CHECK(r.input.decoded == 42);
  CHECK(r.input.skipped.at("malformed record") == 1);
}

TEST_CASE("io.flow_log.a_connection_is_active_in_every_window_it_spans") {
  for (const auto& path : {write("b.log", zeek_tsv()), write("b.json", zeek_json()), write("b.csv", csv())}) {
    CAPTURE(path);
    const auto r = mine_log(path);
    CHECK(r.input.packets == 42);  // records read
    CHECK(r.input.decoded == 42);
    CHECK(r.input.skipped.empty());
    CHECK(r.input.start_ns == 1'600'000'000'000'000'123LL);  // nanoseconds kept
    CHECK(r.flows == 42);
    // DNS: 1 window each; web: 3 windows each (x.25 to x+2.75); SNMP: 200 windows (0.5 to 199.5); ICMP: 1
    CHECK(r.activity_entries == 20 + 20 * 3 + 200 + 1);
    CHECK(r.windows == 200);
    CHECK(r.rules.empty());  // every connection is its own flow: nothing repeats
  }
  // keyed by service the pattern shows: a name lookup, then a web connection in the same window
  const auto r = mine(io::flow_logs({write("c.log", zeek_tsv())}, {.step = 1s}),
                      spec() | key_by(keys::service{}));
  REQUIRE(r.rules.size() == 1);
  CHECK(io::rule_text(r, r.rules[0]) == "*.* : 10.0.0.53.53 : udp <=> *.* : 10.0.0.80.80 : tcp");
  CHECK(r.rules[0].counts == pair_counts{20, 60, 20, 200});
}

TEST_CASE("io.flow_log.bad_records_are_counted_and_the_first_named") {
  auto text = csv();
  text += "udp,10.0.0.1,1,10.0.0.2,2,not-a-time,,1\n";
  text += "udp,10.0.0.1,1,10.0.0.999,2,1600000000,,1\n";
  text += "udp,10.0.0.1,1,10.0.0.2,2,1600000010,-5,1\n";
  text += "udp,10.0.0.1,1\n";
  text += "udp,10.0.0.1,1,10.0.0.2,2,1600000000,99999999999,1\n";
  const auto r = mine_log(write("d.csv", text));
  CHECK(r.input.packets == 47);
  CHECK(r.input.decoded == 42);
  CHECK(r.input.skipped.at("malformed record") == 5);
  REQUIRE(r.input.warnings.size() == 1);
  CHECK(r.input.warnings[0].ends_with("d.csv': 5 malformed record(s) skipped, the first on line 44 (bad time)"));

  auto json = zeek_json() + "{\"ts\":1600000000,\"proto\":\"udp\"}\n[1,2]\n{\"ts\":";
  const auto j = mine_log(write("e.json", json));
  CHECK(j.input.decoded == 42);
  CHECK(j.input.skipped.at("malformed record") == 3);
  CHECK(j.input.warnings[0].ends_with("3 malformed record(s) skipped, the first on line 43 (a required field is missing)"));
}

TEST_CASE("io.flow_log.missing_columns_and_unreadable_files_name_themselves") {
  CHECK_THROWS_WITH_AS(mine_log(write("f.csv", "start,src,dst\n1,10.0.0.1,10.0.0.2\n")), doctest::Contains("f.csv': no 'proto' column"),
                       bad_trace);
  CHECK_THROWS_WITH_AS(mine_log(write("g.log", "#separator \\x09\n1\t2\n")), doctest::Contains("g.log' line 2: a record before the #fields line"),
                       bad_trace);
  CHECK_THROWS_WITH_AS(mine_log(write("h.log", "#separator \\x(09\n#fields\tts\n")),
                       doctest::Contains("h.log' line 1: a #separator that is neither one character nor \\xHH"), bad_trace);
  // a separator other than the tab, as Zeek allows
  const auto comma = mine_log(write("i.log", "#separator ,\n#fields,ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,duration\n"
                                             "1600000000.5,10.0.0.1,40000,10.0.0.2,53,udp,0.1\n"));
  CHECK(comma.input.decoded == 1);
  CHECK(comma.flows == 1);
  CHECK_THROWS_WITH_AS(mine_log("/nonexistent/conn.log"), doctest::Contains("cannot read '/nonexistent/conn.log'"), bad_trace);
  CHECK_THROWS_AS(io::flow_logs({}, {}), bad_argument);
}

TEST_CASE("io.flow_log.times_in_every_spelling") {
  CHECK(io::detail::timestamp("1600000000.000000123") == 1'600'000'000'000'000'123LL);
  CHECK(io::detail::timestamp("1600000000") == 1'600'000'000'000'000'000LL);
  CHECK(io::detail::timestamp("0.5") == 500'000'000LL);
  CHECK(io::detail::timestamp("2020-09-13T12:26:40Z") == 1'600'000'000'000'000'000LL);
  CHECK(io::detail::timestamp("2020-09-13 12:26:40.25") == 1'600'000'000'250'000'000LL);
  CHECK_FALSE(io::detail::timestamp("2020-13-13 12:26:40"));
  CHECK_FALSE(io::detail::timestamp("2020-02-31 00:00:00"));  // no such day: it read as 2 March
  CHECK(io::detail::timestamp("2020-02-29 00:00:00"));
  CHECK_FALSE(io::detail::timestamp("12:26"));
  CHECK_FALSE(io::detail::timestamp(""));
  CHECK(io::detail::protocol_number("TCP") == 6);
  CHECK(io::detail::protocol_number("47") == 47);
  CHECK(io::detail::protocol_number("IGMP") == 2);  // nfdump's multicast joins were malformed records
  CHECK(io::detail::protocol_number("ospf") == 89);
  CHECK_FALSE(io::detail::protocol_number("256"));
}

TEST_CASE("io.flow_log.icmp_type_and_code_as_each_format_writes_them") {
  std::vector<packet> seen;
  auto sink = [&](const packet& p) { seen.push_back(p); };
  io::detail::connection c;
  c.src = ip_address::v4(0x0a000005);
  c.dst = ip_address::v4(0x0a000009);
  c.proto = proto::icmp;
  c.sport = 8;  // Zeek: the type in the source port, the code in the destination port
  c.dport = 0;
  io::detail::emit(c, 1'000'000'000, true, sink);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].icmp_type == 8);
  CHECK(seen[0].icmp_code == 0);
  // nfdump: source port 0, destination port type * 256 + code (an echo request, 2048, read as an
  // echo reply before, which turned the flow round)
  seen.clear();
  c.sport = 0;
  c.dport = 8 * 256 + 0;
  io::detail::emit(c, 1'000'000'000, false, sink);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].icmp_type == 8);
  CHECK(seen[0].icmp_code == 0);
  seen.clear();
  c.dport = 3 * 256 + 1;  // host unreachable
  io::detail::emit(c, 1'000'000'000, false, sink);
  CHECK(seen[0].icmp_type == 3);
  CHECK(seen[0].icmp_code == 1);
}
