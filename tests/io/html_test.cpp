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
  CHECK(h.find("<li>&#39;x.pcap&#39; is damaged: &lt;script&gt;alert(1)&lt;/script&gt;</li>") != std::string::npos);
  CHECK(h.find("<script>alert") == std::string::npos);
  CHECK(h.find("<tr><td>odd &lt;reason&gt; &amp; &quot;more&quot;</td><td class=\"n\">2</td><td class=\"n\" data-v=") != std::string::npos);
  CHECK(h.find("<title>expose: 0 rules \u2014 a&amp;b.pcap</title>") != std::string::npos);
  CHECK(occurrences(h, "<script>") == 1);  // the page's own, once
  CHECK(h.find("<p>No rules: nothing to draw.</p>") != std::string::npos);
  CHECK_FALSE(done.drawn);
  CHECK(done.note.empty());
  CHECK(io::detail::html_escape("<a href='x'>&</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
}

TEST_CASE("io.html.summary_and_one_row_per_rule") {
  const mine_result& r = demo_result();
  REQUIRE(r.rules.size() == 5);
  std::ostringstream s;
  io::write_html(s, r, {.dot_program = "/nonexistent/bin/dot"});
  const std::string h = s.str();
  CHECK(h.rfind("<!DOCTYPE html>\n", 0) == 0);
  CHECK(h.substr(h.size() - 8) == "</html>\n");
  CHECK(h.find("<body data-clusters=\"3\">") != std::string::npos);
  CHECK(h.find("<tr><th>packets</th><td class=\"n\">30158</td></tr>") != std::string::npos);
  CHECK(h.find("<tr><th>flows</th><td class=\"n\">1213</td></tr>") != std::string::npos);
  CHECK(h.find("<tr><th>items (flows and generic patterns)</th><td class=\"n\">1561</td></tr>") != std::string::npos);
  CHECK(h.find("<tr><th>windows</th><td class=\"n\">600 of 1 s</td></tr>") != std::string::npos);
  CHECK(h.find("<tr><th>evicted flows</th><td class=\"n\">0</td></tr>") != std::string::npos);
  CHECK(h.find("<tr><th>refused packets</th><td class=\"n\">0</td></tr>") != std::string::npos);
  CHECK(h.find("<p>No packet was skipped.</p>") != std::string::npos);
  CHECK(occurrences(h, "<tr id=\"rule-") == r.rules.size());
  CHECK(h.find("<tr id=\"rule-6\"") == std::string::npos);
  CHECK(h.find("<tr id=\"rule-1\"><td class=\"n\">1</td><td class=\"n\" data-v=\"") != std::string::npos);
  CHECK(h.find("\">0.4854</td><td class=\"n\">136</td><td class=\"n\">136</td><td>&lt;=&gt;</td><td class=\"rule\">"
               "10.0.0.21.123 : 10.0.0.1.123 : udp &lt;=&gt; 10.0.0.22.123 : 10.0.0.1.123 : udp</td><td>together</td></tr>") !=
        std::string::npos);
  // Each cluster with its summary, density, flows and rule numbers.
  CHECK(occurrences(h, "<div class=\"cluster\" id=\"cluster-") == 3);
  CHECK(h.find("<h3>cluster 0: <span class=\"rule\">{10.0.0.21,10.0.0.22}.123 : 10.0.0.1.123 : udp \u2014 clique of 2</span></h3>\n"
               "<p>density 1.00 &middot; 2 flows &middot; 1 rule: <a href=\"#rule-1\">1</a></p>\n"
               "<ul>\n<li><code>10.0.0.21.123 : 10.0.0.1.123 : udp</code></li>\n") != std::string::npos);
}

TEST_CASE("io.html.without_graphviz_a_note_instead_of_the_drawing") {
  std::ostringstream s;
  const auto done = io::write_html(s, demo_result(), {.dot_program = "expose-no-such-dot-program"});
  const std::string h = s.str();
  CHECK_FALSE(done.drawn);
  CHECK(done.note == "Graphviz (dot) is not installed: install the Debian package graphviz to draw the clusters");
  CHECK(h.find("<p class=\"note\" id=\"no-drawing\">Graphviz (dot) is not installed: install the Debian package graphviz to draw the "
               "clusters</p>") != std::string::npos);
  CHECK(h.find("<svg") == std::string::npos);
  CHECK(occurrences(h, "<tr id=\"rule-") == 5);  // the rest of the page is there all the same
}

TEST_CASE("io.html.a_failing_graphviz_is_said") {
  std::ostringstream s;
  const auto done = io::write_html(s, demo_result(), {.dot_program = "false"});
  CHECK_FALSE(done.drawn);
  CHECK(done.note == "Graphviz (dot) failed, so the clusters are not drawn: 'false -Tsvg' exited with status 1");
  CHECK(s.str().find("<svg") == std::string::npos);
}

TEST_CASE("io.html.too_many_rules_are_not_drawn") {
  std::ostringstream s;
  const auto done = io::write_html(s, demo_result(), {.max_drawn_rules = 4});
  CHECK_FALSE(done.drawn);
  CHECK(done.note == "5 rules are too many to draw (more than 4); keep fewer (expose-mine --top) to draw the clusters");
  CHECK(s.str().find("<svg") == std::string::npos);
}

TEST_CASE("io.html.graphviz_draws_the_clusters_inline") {
  if (!dot_installed()) {
    std::printf("SKIPPED: Graphviz (dot) is not on PATH; install the Debian package graphviz\n");
    return;
  }
  std::ostringstream s;
  const auto done = io::write_html(s, demo_result());
  const std::string h = s.str();
  CHECK(done.drawn);
  CHECK(done.note.empty());
  CHECK(occurrences(h, "<svg") == 1);
  CHECK(h.find("<div class=\"drawing\">\n<svg") != std::string::npos);
  CHECK(h.find("<?xml") == std::string::npos);
  CHECK(occurrences(h, "<g id=\"clust") == 3);
  CHECK(h.find("</svg>\n</div>") != std::string::npos);
  CHECK(h.find("no-drawing") == std::string::npos);
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
