// expose-db: the database of known rules of each site (paper section 5): what is new on my network today.
//
//   expose-db --db FILE add --site NAME --run NAME [--replace] RULES.json   (RULES.json: expose-mine -F json)
//   expose-db --db FILE diff --site NAME [--run NAME] [--format text|json]   new, gone, persistent rules
//   expose-db --db FILE list [--site NAME] [--format text|json]              sites, runs, rule counts
//   expose-db --db FILE forget --site NAME [--run NAME]                      a run, or a whole site
//   expose-db --db FILE check                                                SQLite's integrity check
//
// Exit status: 0 done; 1 a file could not be read or written, a value is wrong, or there is no such
// site or run; 2 the command line itself is wrong; 3 the database is damaged: said, and (list,
// diff) what could be read is written, or (an SQLite file SQLite cannot open: cut short, a damaged
// header page) nothing.
//
// Test hook: with EXPOSE_DB_TEST_PAUSE=SECONDS, `add` pauses that long inside its transaction once
// half the rules are written (and says so on stderr), so a test can kill it there.

#include <CLI/CLI.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <tuple>

#include "cli_common.hpp"
#include "expose/store/report_json.hpp"
#include "expose/store/rule_store.hpp"
#include "expose/version.hpp"

namespace ex = expose;
namespace st = expose::store;
using ojson = nlohmann::ordered_json;

namespace {

ojson run_json(const st::run_summary& r) {
  return {{"name", r.name},          {"start", r.start},     {"end", r.end},     {"added_at", r.added_at},
          {"packets", r.packets},    {"flows", r.flows},     {"windows", r.windows},
          {"window_seconds", r.window_seconds}, {"rules", r.rules}, {"new_rules", r.new_rules}};
}

/// `related`: a new or gone rule, with the other run's rules it lies within or is split into.
ojson known_json(const st::known_rule& k, bool related) {
  ojson j = st::rule_json(k.rule);
  j["runs_seen"] = k.runs_seen;
  j["first_run"] = k.first_run;
  j["first_seen"] = k.first_seen;
  j["last_run"] = k.last_run;
  j["last_seen"] = k.last_seen;
  if (related) {
    const auto texts = [](const std::vector<st::rule_key>& keys) {
      ojson a = ojson::array();
      for (const auto& key : keys) a.push_back(key.text());
      return a;
    };
    j["within"] = texts(k.within);
    j["within_count"] = k.within_count;
    j["split"] = texts(k.split);
    j["split_count"] = k.split_count;
  }
  return j;
}

/// What a reader of a diff must know besides its lists: runs mined with windows of other widths
/// find other rules (a reviewer's 2-second run showed 239 rules "gone" without a word).
std::vector<std::string> diff_notes(const st::run_diff& d) {
  std::vector<std::string> out;
  if (d.previous && d.previous->window_seconds > 0 && d.run.window_seconds > 0 && d.previous->window_seconds != d.run.window_seconds) {
    const auto w = [](double s) {
      char b[32];
      std::snprintf(b, sizeof b, "%g s", s);
      return std::string(b);
    };
    out.push_back("run " + d.run.name + " was mined with windows of " + w(d.run.window_seconds) + ", run " + d.previous->name + " with windows of " +
                  w(d.previous->window_seconds) + ": their rules differ for that reason too; mine both alike to compare them");
  }
  return out;
}

/// How many of `rules` the other run reported in another form.
std::size_t in_another_form(const std::vector<st::known_rule>& rules) {
  return static_cast<std::size_t>(std::ranges::count_if(rules, [](const st::known_rule& k) { return k.within_count + k.split_count != 0; }));
}

void write_rules(std::ostream& out, const std::vector<st::known_rule>& rules, bool gone) {
  char buf[96];
  std::size_t width = 0;
  for (const auto& k : rules) width = std::max(width, expose_tools::text_width(gone ? k.last_run : k.first_run));
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& k = rules[i];
    std::snprintf(buf, sizeof buf, "%4zu  %.4f  %6llu/%-6llu  %4llu run%s  ", i + 1, k.rule.score,
                  static_cast<unsigned long long>(k.rule.support), static_cast<unsigned long long>(k.rule.lhs_count),
                  static_cast<unsigned long long>(k.runs_seen), k.runs_seen == 1 ? " " : "s");
    const std::string& when = gone ? k.last_run : k.first_run;
    out << buf << (gone ? "last " : "since ") << expose_tools::padded(when, width + 2) << k.rule.reported_text() << "\n";
    // the pattern in the other run's form (new: the previous run's; gone: this run's)
    const auto other = [&](const char* how, const std::vector<st::rule_key>& keys, std::size_t count) {
      if (count == 0) return;
      out << "        " << (gone ? "now " : "before ") << how << " " << keys.front().reported_text();
      if (count > 1) out << " (and " << count - 1 << " more)";
      out << "\n";
    };
    other("within", k.within, k.within_count);
    other("split into", k.split, k.split_count);
  }
}

void write_diff_text(std::ostream& out, const st::run_diff& d) {
  out << "site " << d.site << ", run " << d.run.name << " (" << expose_tools::utc(d.run.start) << ", " << d.run.rules
      << (d.run.rules == 1 ? " rule" : " rules") << ")";
  if (d.previous) out << " against the previous run " << d.previous->name << " (" << expose_tools::utc(d.previous->start) << ", " << d.previous->rules
                      << (d.previous->rules == 1 ? " rule" : " rules") << ")";
  else out << ", the site's first run";
  out << ": " << d.new_rules.size() << " new, " << d.gone.size() << " gone, " << d.persistent.size() << " persistent\n";
  for (const auto& note : diff_notes(d)) out << "(note: " << note << ")\n";
  // A rule within a broader one, or split into narrower ones, is the same pattern in another form.
  if (const auto n = in_another_form(d.new_rules), g = in_another_form(d.gone); n + g != 0)
    out << "(of them, " << n << " new and " << g << " gone lie within or are split into rules of the other run: the same pattern "
        << "reported in another form, shown under each)\n";
  if (!d.related_complete) out << "(too many rules to look up every one in the other run: rules past the budget show no other form)\n";
  out << "\nnew: " << d.new_rules.size() << (d.new_rules.size() == 1 ? " rule" : " rules") << " no earlier run of the site reported"
      << (d.new_rules.empty() ? "\n" : " (rank, score, support, runs that saw it, first run, rule)\n");
  write_rules(out, d.new_rules, false);
  if (d.previous) {
    out << "\ngone: " << d.gone.size() << (d.gone.size() == 1 ? " rule" : " rules") << " of " << d.previous->name << " that " << d.run.name
        << " lacks" << (d.gone.empty() ? "\n" : " (rank, score, support, runs that saw it, last run, rule)\n");
    write_rules(out, d.gone, true);
  }
  out << "\npersistent: " << d.persistent.size() << (d.persistent.size() == 1 ? " rule" : " rules") << " seen before and again in "
      << d.run.name << (d.persistent.empty() ? "\n" : " (rank, score, support, runs that saw it, first run, rule)\n");
  write_rules(out, d.persistent, false);
}

void write_list_text(std::ostream& out, const std::vector<st::site_summary>& sites, const std::string& db) {
  if (sites.empty()) {
    out << "'" << db << "' holds no site yet (add a run: expose-db --db " << db << " add --site NAME --run NAME RULES.json)\n";
    return;
  }
  for (const auto& s : sites) {
    out << "site " << s.name << ": " << s.runs.size() << (s.runs.size() == 1 ? " run, " : " runs, ") << s.distinct_rules
        << (s.distinct_rules == 1 ? " distinct rule\n" : " distinct rules\n");
    std::size_t width = 3;
    for (const auto& r : s.runs) width = std::max(width, expose_tools::text_width(r.name));
    out << "  " << "run" << std::string(width - 3 + 2, ' ') << "trace start (UTC)      rules    new\n";
    for (const auto& r : s.runs) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "  %7llu  %5llu\n", static_cast<unsigned long long>(r.rules), static_cast<unsigned long long>(r.new_rules));
      out << "  " << expose_tools::padded(r.name, width + 2) << expose_tools::utc(r.start) << buf;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  expose_tools::restart_with_huge_pages(argv);
  expose_tools::return_large_blocks();
  CLI::App app{"expose-db: the database of known rules of each site: add runs, see what is new, gone and persistent"};
  app.require_subcommand(1);
  std::string db_file, site, run, rules_file, format = "text", busy = "30s";
  bool replace = false;
  app.add_option("--db", db_file, "the rule database (SQLite; created by add when missing)")->required()->type_name("FILE");
  app.add_option("--busy-timeout", busy, "how long to wait for another process writing the database")->capture_default_str();
  app.set_version_flag("-V,--version", std::string("expose-db ") + ex::version);

  auto* add = app.add_subcommand("add", "add a run's rules (expose-mine --format json) to a site");
  add->add_option("--site", site, "the site (created when new)")->required();
  add->add_option("--run", run, "the run's name, unique within the site (e.g. the day)")->required();
  add->add_flag("--replace", replace, "replace a run of that name instead of refusing");
  add->add_option("rules", rules_file, "rules written by expose-mine --format json ('-': standard input)")->required()->type_name("RULES.json");

  auto* diff = app.add_subcommand("diff", "rules new in a run, gone since the previous run, and persistent");
  diff->add_option("--site", site, "the site")->required();
  diff->add_option("--run", run, "the run (default: the site's last)");
  diff->add_option("-F,--format", format, "output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();

  auto* list = app.add_subcommand("list", "sites and their runs, with rule counts");
  list->add_option("--site", site, "only this site");
  list->add_option("-F,--format", format, "output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();

  auto* forget = app.add_subcommand("forget", "forget a run of a site, or (without --run) the whole site");
  forget->add_option("--site", site, "the site")->required();
  forget->add_option("--run", run, "the run (default: every run of the site, and the site)");

  auto* check = app.add_subcommand("check", "SQLite's integrity check of the database");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return expose_tools::refused_status(app, e);
  }
  // An empty name is refused, not read as "every": `forget --site S --run "$DAY"` with DAY unset
  // forgot the whole site, and `--site ""` named every site.
  for (const auto& [given, name, option] : {std::tuple{app.get_option("--db")->count(), &db_file, "--db"},
                                           std::tuple{add->count("--site") + diff->count("--site") + list->count("--site") + forget->count("--site"), &site, "--site"},
                                           std::tuple{add->count("--run") + diff->count("--run") + forget->count("--run"), &run, "--run"}})
    if (given != 0 && name->empty()) {
      std::cerr << "expose-db: " << option << ": the name is empty\n";
      return 1;
    } else if (const auto why = expose_tools::name_problem(*name); add->parsed() && name == &run && !why.empty()) {  // a run's name made here
      std::cerr << "expose-db: " << option << ": " << why << "\n";
      return 1;
    }
  // SQLite takes these names for a database held in memory or a temporary file: a run added there
  // would be gone when the command ends.
  if (db_file == ":memory:" || db_file.starts_with("file:")) {
    std::cerr << "expose-db: --db: '" << db_file << "' is not a file name (SQLite would keep that database in memory or read it as a URI)\n";
    return 1;
  }
  const auto busy_timeout = expose_tools::parse_duration(busy);
  if (!busy_timeout) {
    std::cerr << "expose-db: --busy-timeout: '" << busy << "' is not a positive duration (try 30s, 2m)\n";
    return 1;
  }

  try {
    st::report_rules report;
    if (add->parsed()) {
      // The report is read before the database is touched: a bad file changes nothing.
      std::ifstream file;
      if (rules_file != "-") {
        if (std::filesystem::is_directory(rules_file)) {
          std::cerr << "expose-db: '" << rules_file << "' is a directory, not a JSON report\n";
          return 1;
        }
        file.open(rules_file);
        if (!file) {
          std::cerr << "expose-db: cannot read '" << rules_file << "': " << std::strerror(errno) << "\n";
          return 1;
        }
      }
      std::istream& in = rules_file == "-" ? std::cin : file;
      const std::string text(std::istreambuf_iterator<char>(in), {});
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(text);
      } catch (const nlohmann::json::exception& e) {
        // expose-mine --epoch -F json writes a report a line (JSON Lines): say so, and what to do.
        const auto first = nlohmann::json::parse(text.substr(0, text.find('\n')), nullptr, false);
        if (first.is_object() && first.contains("rules"))
          std::cerr << "expose-db: '" << rules_file << "' holds a report a line (expose-mine --epoch): add each line as a run of its own "
                    << "(e.g. sed -n 2p FILE | expose-db --db DB add --site S --run R -), or mine with expose-mine --db, which adds every epoch\n";
        else
          std::cerr << "expose-db: '" << rules_file << "': not JSON (" << e.what() << ")\n";
        return 1;
      }
      report = st::read_report(j, rules_file);
    }
    const bool creates = add->parsed();
    if (!creates && !std::ifstream(db_file)) {
      const int why = errno;
      const auto folder = std::filesystem::path(db_file).parent_path();
      std::error_code ec;
      const bool no_folder = !folder.empty() && !std::filesystem::is_directory(folder, ec);
      std::cerr << "expose-db: --db: cannot read '" << db_file << "': " << std::strerror(why)
                << (why != ENOENT ? "" : no_folder ? " (there is no folder '" + folder.string() + "')" : std::string(" (add a run first: it creates the database)"))
                << "\n";
      return 1;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*busy_timeout);
    // list, diff and check only read: a database in a read-only folder is read too
    const bool reads = list->parsed() || diff->parsed() || check->parsed();
    st::rule_store store(db_file, {.busy_timeout = ms, .create = creates, .read_only = reads});
    // A site's name is one line of text without spaces around it; a site named so before is taken.
    if (const auto why = expose_tools::name_problem(site); add->parsed() && !why.empty() && !store.has_site(site))
      throw ex::bad_argument("--site: " + why);
    // A damaged page can leave rules out of a list or a diff, or garble them, without an error
    // from SQLite: list and diff check the file first, say so, and exit 3 (as expose-mine does
    // with a damaged capture) after what they could read.
    int exit_status = 0;
    if (list->parsed() || diff->parsed()) {
      const auto health = store.integrity_check(true);
      if (health != "ok") {
        std::string first = health.substr(0, health.find('\n'));  // the first problem, past "*** in database main ***"
        if (first.starts_with("*** ") && health.find('\n') != std::string::npos) {
          first = health.substr(health.find('\n') + 1);
          first = first.substr(0, first.find('\n'));
        }
        std::cerr << "expose-db: warning: database '" << db_file << "' is damaged (SQLite's quick check: " << first << "): what follows may lack rules or hold garbled ones; "
                  << "expose-db check says more, and an earlier copy of the file is the way back\n";
        exit_status = 3;
      }
    }

    if (add->parsed()) {
      st::add_options opt{.replace = replace};
      if (const char* pause = std::getenv("EXPOSE_DB_TEST_PAUSE")) {
        const double seconds = std::atof(pause);
        opt.midway = [seconds] {
          std::cerr << "expose-db: test hook: pausing " << seconds << " s inside the transaction" << std::endl;
          std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        };
      }
      const st::run_info info{run, report.start, report.end, report.packets, report.flows, report.windows, report.window_seconds};
      const auto status = store.add_run(site, info, report.rules, opt);
      std::size_t known = 0;
      for (const auto& s : status) known += s.known ? 1 : 0;
      std::cout << "added run " << run << " to site " << site << ": " << status.size() << (status.size() == 1 ? " rule, " : " rules, ")
                << status.size() - known << " new, " << known << " known\n";
      if (report.repeated != 0)
        std::cerr << "expose-db: note: '" << rules_file << "' held " << report.repeated << (report.repeated == 1 ? " rule" : " rules")
                  << " twice (the same text): the first of each was added\n";
    } else if (diff->parsed()) {
      if (run.empty()) {
        const auto sites = store.list(site);  // names the known sites when there is no such one
        if (sites.empty() || sites.front().runs.empty()) throw ex::bad_argument("site '" + site + "' has no run");
        run = sites.front().runs.back().name;
      }
      const auto d = store.diff(site, run);
      if (format == "json") {
        ojson out = {{"tool", "expose-db"}, {"version", ex::version}, {"site", d.site}, {"run", run_json(d.run)},
                     {"previous", d.previous ? run_json(*d.previous) : ojson(nullptr)}, {"related_complete", d.related_complete},
                     {"notes", diff_notes(d)}};
        for (const auto& [name, rules] : {std::pair{"new", &d.new_rules}, std::pair{"gone", &d.gone}, std::pair{"persistent", &d.persistent}}) {
          ojson a = ojson::array();
          for (const auto& k : *rules) a.push_back(known_json(k, rules != &d.persistent));
          out[name] = std::move(a);
        }
        std::cout << out.dump(2, ' ', false, ojson::error_handler_t::replace) << "\n";  // a name not in UTF-8 shows as U+FFFD
      } else {
        write_diff_text(std::cout, d);
      }
    } else if (list->parsed()) {
      const auto sites = store.list(site);
      if (format == "json") {
        ojson out = {{"tool", "expose-db"}, {"version", ex::version}, {"sites", ojson::array()}};
        for (const auto& s : sites) {
          ojson runs = ojson::array();
          for (const auto& r : s.runs) runs.push_back(run_json(r));
          out["sites"].push_back({{"name", s.name}, {"distinct_rules", s.distinct_rules}, {"runs", std::move(runs)}});
        }
        std::cout << out.dump(2, ' ', false, ojson::error_handler_t::replace) << "\n";  // a name not in UTF-8 shows as U+FFFD
      } else {
        write_list_text(std::cout, sites, db_file);
      }
    } else if (forget->parsed()) {
      if (!run.empty()) {
        const auto sites = store.list(site);  // names the known sites when there is no such one
        if (!store.forget_run(site, run))
          throw ex::bad_argument("no run '" + run + "' for site '" + site + "' in the database" +
                                 st::rule_store::known_runs(sites.empty() ? std::vector<st::run_summary>{} : sites.front().runs));
        std::cout << "forgot run " << run << " of site " << site << "\n";
      } else {
        const auto sites = store.list(site);  // names the known sites when there is no such one
        const auto runs = sites.empty() ? 0 : sites.front().runs.size();
        if (!store.forget_site(site)) throw ex::bad_argument("no site '" + site + "' in the database");
        std::cout << "forgot site " << site << " and its " << runs << (runs == 1 ? " run\n" : " runs\n");
      }
    } else if (check->parsed()) {
      const auto result = store.integrity_check();
      std::cout << result << "\n";
      if (result != "ok") return 3;  // damaged
    }
    std::cout.flush();
    if (!std::cout) {
      std::cerr << "expose-db: writing the output failed" << (add->parsed() ? " (the run was added all the same)" : "") << "\n";
      return 1;
    }
    return exit_status;
  } catch (const st::sqlite_error& e) {
    std::cerr << "expose-db: " << e.what() << "\n";
    // an SQLite file SQLite calls damaged (a page, a file cut short) is damage: 3, as a capture's
    const bool damaged = (e.code() == SQLITE_CORRUPT || e.code() == SQLITE_NOTADB) && st::file_shape::of(db_file).sqlite;
    return damaged ? 3 : 1;
  } catch (const std::exception& e) {  // expose::error, and anything else (memory, a file's read): said, never an abort
    std::cerr << "expose-db: " << e.what() << "\n";
    return 1;
  }
}
