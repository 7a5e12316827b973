#include "expose/io/html.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "doctest.hpp"
#include "expose/pipeline.hpp"
#include "expose/synth/demo.hpp"

using namespace expose;

namespace {

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

const mine_result& demo_result() {
  static const mine_result r = mine(synth::demo{.seed = 1}.packets(), pipeline<>{});
  return r;
}

bool dot_installed() {
  const char* path = std::getenv("PATH");
  std::string dirs = path == nullptr ? "" : path;
  for (std::size_t begin = 0; begin <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', begin), dirs.size());
    const std::string candidate = dirs.substr(begin, end - begin) + "/dot";
    if (end > begin && ::access(candidate.c_str(), X_OK) == 0) return true;
    begin = end + 1;
  }
  return false;
}

}  // namespace

TEST_CASE("io.html.escapes_text_from_the_trace") {
  mine_result r;
  r.input.packets = 3;
  r.input.decoded = 1;
  r.input.skipped = {{"odd <reason> & \"more\"", 2}};
  r.input.warnings = {"'x.pcap' is damaged: <script>alert(1)</script>"};
  std::ostringstream s;
  const auto done = io::write_html(s, r, {.title = "a&b.pcap"});
  const std::string h = s.str();
  CHECK(h.find("<p class=\"note warn\">&#39;x.pcap&#39; is damaged: &lt;script&gt;alert(1)&lt;/script&gt;</p>") != std::string::npos);
  CHECK(h.find("<li>&#39;x.pcap&#39; is damaged: &lt;script&gt;alert(1)&lt;/script&gt;</li>") != std::string::npos);
  CHECK(h.find("<script>alert") == std::string::npos);
  CHECK(h.find("<tr><td>odd &lt;reason&gt; &amp; &quot;more&quot;</td><td class=\"n\">2</td><td class=\"n\">66.67%</td></tr>") != std::string::npos);
  CHECK(h.find("<title>expose: 0 patterns, 0 rules \u2014 a&amp;b.pcap</title>") != std::string::npos);
  CHECK(occurrences(h, "<script>") == 1);  // the page's own, once (beside the rules' JSON island)
  CHECK(h.find("<script type=\"application/json\" id=\"rule-data\">[\n]</script>") != std::string::npos);
  CHECK(h.find("<p>No pattern: no rule was found.</p>") != std::string::npos);
  CHECK_FALSE(done.drawn);
  CHECK(done.note.empty());
  CHECK(io::detail::html_escape("<a href='x'>&</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
  // Inside the JSON island nothing can close the script element.
  CHECK(io::detail::script_json_string("</script><b>&\"\\\n") == "\"\\u003c/script\\u003e\\u003cb\\u003e\\u0026\\\"\\\\\\u000a\"");
}

TEST_CASE("io.html.patterns_first_then_the_rules_then_the_trace") {
  const mine_result& r = demo_result();
  REQUIRE(r.rules.size() == 5);
  host_names names;
  names.add(ip_address::v4(0x0a000001), "<b>x</b>", name_source::dns);  // a name from the trace is text, never markup
  std::ostringstream s;
  io::write_html(s, r, {.dot_program = "/nonexistent/bin/dot", .names = &names});
  const std::string h = s.str();
  CHECK(h.rfind("<!DOCTYPE html>\n", 0) == 0);
  CHECK(h.substr(h.size() - 8) == "</html>\n");
  CHECK(h.find("<body data-patterns=\"3\" data-drawings=\"0\">") != std::string::npos);
  CHECK(h.find("<p class=\"lead\">30158 packets from 2026-01-05 08:00:00.000 UTC to 2026-01-05 08:09:59.951 UTC; 1213 flows in 600 "
               "windows of 1 s; <b>3 patterns</b> from 3 rules (+2 alike).") != std::string::npos);
  // The order of the page: patterns (cards, then each in full), rules, trace.
  const auto cards = h.find("<div class=\"cards\">"), first = h.find("<section class=\"pattern\" id=\"pattern-1\">"),
             rules = h.find("<h2 id=\"rules\">"), trace = h.find("<h2 id=\"trace\">");
  REQUIRE(cards != std::string::npos);
  CHECK(cards < first);
  CHECK(first < rules);
  CHECK(rules < trace);
  CHECK(occurrences(h, "<a class=\"card\" href=\"#pattern-") == 3);
  CHECK(h.find("<a class=\"card\" href=\"#pattern-1\"><span class=\"k\">1</span> <span class=\"rule\">{10.0.0.21,10.0.0.22}.123 : "
               "10.0.0.1.123 : udp \u2014 clique of 2</span><span class=\"meta\">2 flows &middot; 3 hosts &middot; 1 rule</span><svg "
               "class=\"timeline\" viewBox=\"0 0 10 20\"") != std::string::npos);
  CHECK(occurrences(h, "<section class=\"pattern\" id=\"pattern-") == 3);
  CHECK(h.find("<h3>Pattern 1: <span class=\"rule\">{10.0.0.21,10.0.0.22}.123 : 10.0.0.1.123 : udp \u2014 clique of 2</span></h3>\n"
               "<p class=\"meta\">2 flows, 3 hosts, 1 rule, density 1.00; active in 136 of 600 windows, 2026-01-05 08:00:00.000 UTC to "
               "2026-01-05 08:09:57.000 UTC</p>\n<svg class=\"timeline big\" viewBox=\"0 0 10 20\"") != std::string::npos);
  CHECK(occurrences(h, "<svg class=\"timeline") == 6);  // a small one per card, a big one per pattern
  CHECK(h.find("<p class=\"meta\">names: <code>&lt;b&gt;x&lt;/b&gt;(10.0.0.1)</code></p>") != std::string::npos);
  CHECK(h.find("<h4>Its rules</h4>") != std::string::npos);
  CHECK(h.find("<tr><td class=\"n\">3</td><td class=\"n\">0.3226</td><td class=\"n\">57/57</td><td class=\"rule\">10.0.0.40.5353 : "
               "10.0.0.43.5353 : udp &lt;=&gt; 10.0.0.40.5353 : 10.0.0.42.5353 : udp (together) [+2 alike]</td></tr>") != std::string::npos);
  CHECK(h.find("<details><summary>Its 3 flows</summary>\n<ul>\n<li><code>10.0.0.40.5353 : 10.0.0.43.5353 : udp</code></li>") !=
        std::string::npos);
  // The rules: one JSON row each (rank, score, support, lhs_count, kind, text, order, pattern), drawn by the script.
  // Rules alike to a more significant one are counted, not listed.
  CHECK(h.find("<h2 id=\"dependencies\">Dependencies</h2>\n<p>2 service dependencies from the rules: first the left service") != std::string::npos);
  CHECK(h.find("<td class=\"rule\">64.4.0.1.1863 : tcp</td><td>&rArr;</td><td class=\"rule\">64.12.0.1.5190 : tcp</td><td class=\"n\">1</td>"
               "<td class=\"n\">1</td><td class=\"n\">+34 ms</td>") != std::string::npos);
  CHECK(h.find("<p>3 rules (+2 alike), most significant first. Click a column header") != std::string::npos);
  CHECK(occurrences(h, "\n[") == 3);
  CHECK(h.find("\n[1,0.485374,136,136,\"\\u003c=\\u003e\",\"10.0.0.21.123 : \\u003cb\\u003ex\\u003c/b\\u003e(10.0.0.1).123 : udp "
               "\\u003c=\\u003e 10.0.0.22.123 : \\u003cb\\u003ex\\u003c/b\\u003e(10.0.0.1).123 : udp\",\"lhs_first, +22 ms\",1],") != std::string::npos);
  CHECK(h.find("\n[3,0.322613,57,57,") != std::string::npos);
  CHECK(h.find("\"together, +2 alike\",3]\n]</script>") != std::string::npos);
  CHECK(h.find("<b>x</b>") == std::string::npos);
  // The trace.
  CHECK(h.find("<tr><th>packets</th><td class=\"n\">30158</td></tr>") != std::string::npos);
  CHECK(h.find("<tr><th>flows</th><td class=\"n\">1213</td></tr>") != std::string::npos);
  CHECK(h.find("<tr><th>items (flows and generic patterns)</th><td class=\"n\">1561</td></tr>") != std::string::npos);
  CHECK(h.find("<tr><th>windows</th><td class=\"n\">600 of 1 s</td></tr>") != std::string::npos);
  CHECK(h.find("<tr><th>evicted flows</th><td class=\"n\">0</td></tr>") != std::string::npos);
  CHECK(h.find("<tr><th>refused packets</th><td class=\"n\">0</td></tr>") != std::string::npos);
  CHECK(h.find("<p>No packet was skipped.</p>") != std::string::npos);
}

TEST_CASE("io.html.limits_keep_the_page_small") {
  std::ostringstream s;
  mine_result unfolded = demo_result();  // every rule listed, none alike to another
  for (auto& x : unfolded.rules) x.alike_of = rule::not_alike, x.alike = 0;
  const auto done = io::write_html(s, unfolded, {.dot_program = "expose-no-such-dot-program", .max_table_rules = 2, .rules_per_pattern = 1,
                                                 .flows_per_pattern = 1});
  const std::string h = s.str();
  CHECK_FALSE(done.drawn);
  CHECK(occurrences(h, "\n[") == 2);
  CHECK(h.find("<p>5 rules, most significant first; the table holds 2 of them: the 20 best of every pattern, then the most significant "
               "others (all of them: <code>expose-mine --format json</code>, or <code>--rules all</code>).") != std::string::npos);
  CHECK(h.find("<table class=\"sortable\" id=\"rule-table\" data-listed=\"5\">") != std::string::npos);
  CHECK(h.find("<h4>Its best 1 of 3 rules</h4>") != std::string::npos);
  CHECK(h.find("<details><summary>Its first 1 of 3 flows</summary>") != std::string::npos);
}

TEST_CASE("io.html.a_table_of_part_of_the_rules_holds_every_patterns_best") {
  // Five rules in two patterns, ranks 1-4 the first's and rank 5 the second's; four rows: half of
  // them go to the patterns' best rules (ranks 1 and 5), the rest to the most significant others
  // (ranks 2 and 3), in rank order. The first four by rank alone left the second pattern out, and
  // a filter for its hosts found nothing (nfpuzzle_evidence04: 378,865 rules, its third pattern's
  // ranked from 127,462 on).
  mine_result r = demo_result();
  for (auto& x : r.rules) x.alike_of = rule::not_alike, x.alike = 0;
  REQUIRE(r.rules.size() == 5);
  r.clusters.resize(2);
  r.clusters[0].rules = {0, 1, 2, 3};
  r.clusters[1].rules = {4};
  std::ostringstream s;
  io::write_html(s, r, {.dot_program = "expose-no-such-dot-program", .max_table_rules = 4});
  const std::string h = s.str();
  const auto from = h.find("id=\"rule-data\">[");
  const auto island = h.substr(from, h.find("]</script>", from) - from);
  std::vector<std::size_t> rows;
  for (std::size_t at = island.find("\n["); at != std::string::npos; at = island.find("\n[", at + 1)) rows.push_back(std::stoul(island.substr(at + 2)));
  CHECK(rows == std::vector<std::size_t>{1, 2, 3, 5});
  // the filter says when it searched part of the rules
  CHECK(h.find("\"no rule matches\" + part") != std::string::npos);
}

TEST_CASE("io.html.without_graphviz_a_note_instead_of_the_drawings") {
  std::ostringstream s;
  const auto done = io::write_html(s, demo_result(), {.dot_program = "expose-no-such-dot-program"});
  const std::string h = s.str();
  CHECK_FALSE(done.drawn);
  CHECK(done.drawings == 0);
  CHECK(done.note == "Graphviz (dot) is not installed: install the Debian package graphviz to draw the patterns");
  CHECK(h.find("<p class=\"note\" id=\"no-drawing\">Graphviz (dot) is not installed: install the Debian package graphviz to draw the "
               "patterns</p>") != std::string::npos);
  CHECK(h.find("<div class=\"drawing\">") == std::string::npos);
  CHECK(occurrences(h, "<section class=\"pattern\"") == 3);  // the rest of the page is there all the same
  CHECK(occurrences(h, "\n[") == 3);
}

TEST_CASE("io.html.a_failing_graphviz_is_said") {
  std::ostringstream s;
  const auto done = io::write_html(s, demo_result(), {.dot_program = "false"});
  const std::string h = s.str();
  CHECK_FALSE(done.drawn);
  CHECK(done.note == "Graphviz (dot) failed, so the patterns are not drawn: 'false -Tsvg' exited with status 1");
  CHECK(occurrences(h, "<p class=\"note\">Graphviz (dot) failed, so this pattern is not drawn: &#39;false -Tsvg&#39; exited with status 1</p>") ==
        3);
  CHECK(h.find("<div class=\"drawing\">") == std::string::npos);
}

TEST_CASE("io.html.graphviz_draws_each_pattern_at_host_level") {
  if (!dot_installed()) {
    std::printf("SKIPPED: Graphviz (dot) is not on PATH; install the Debian package graphviz\n");
    return;
  }
  std::ostringstream s;
  const auto done = io::write_html(s, demo_result());
  const std::string h = s.str();
  CHECK(done.drawn);
  CHECK(done.drawings == 3);
  CHECK(done.note.empty());
  CHECK(h.find("<body data-patterns=\"3\" data-drawings=\"3\">") != std::string::npos);
  CHECK(occurrences(h, "<div class=\"drawing\">\n<svg") == 3);
  CHECK(h.find("<?xml") == std::string::npos);
  CHECK(h.find("no-drawing") == std::string::npos);
  // Pattern 3 at host level: one host, three peers, the service on each edge.
  const auto third = h.find("<section class=\"pattern\" id=\"pattern-3\">");
  REQUIRE(third != std::string::npos);
  const auto drawn = h.find("<div class=\"drawing\">", third);
  REQUIRE(drawn != std::string::npos);
  const std::string drawing = h.substr(drawn, h.find("</svg>", drawn) - drawn);
  CHECK(occurrences(drawing, "<g id=\"node") == 4);
  CHECK(occurrences(drawing, "<g id=\"edge") == 3);
  CHECK(occurrences(drawing, ">5353/udp</text>") == 3);
  CHECK(drawing.find(">10.0.0.40</text>") != std::string::npos);
  // Only the most significant patterns are drawn when there are more.
  std::ostringstream one;
  const auto first_only = io::write_html(one, demo_result(), {.max_drawn_patterns = 1});
  CHECK(first_only.drawings == 1);
  CHECK(first_only.note.empty());
  CHECK(occurrences(one.str(), "<p class=\"meta\">Not drawn: only the most significant pattern is.</p>") == 2);
}

TEST_CASE("io.graphviz.render_svg") {
  const auto missing = io::render_svg("digraph { a -> b }", "/nonexistent/dot");
  CHECK(missing.state == io::svg_drawing::status::not_installed);
  CHECK(missing.svg.empty());
  if (!dot_installed()) {
    std::printf("SKIPPED: Graphviz (dot) is not on PATH; install the Debian package graphviz\n");
    return;
  }
  const auto bad = io::render_svg("digraph { a -> ");
  CHECK(bad.state == io::svg_drawing::status::failed);
  CHECK(bad.error.rfind("'dot -Tsvg' exited with status 1: ", 0) == 0);
  const auto ok = io::render_svg("digraph { a -> b }");
  CHECK(ok.drawn());
  CHECK(ok.svg.rfind("<svg ", 0) == 0);
  CHECK(ok.svg.substr(ok.svg.size() - 6) == "</svg>");
}
