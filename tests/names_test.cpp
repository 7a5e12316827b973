// The host name table (expose/names.hpp): what it keeps, which name it shows, the inventory file.
#include "expose/names.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include "doctest.hpp"
#include "fixtures.hpp"

namespace ex = expose;
namespace fs = std::filesystem;
using expose_test::ip;

TEST_CASE("names.keeps_first_seen_names_without_repeats") {
  ex::host_names n;
  n.add(ip("10.0.0.9"), "ns1.example.org.", ex::name_source::dns);  // the root's dot dropped
  n.add(ip("10.0.0.9"), "NS1.Example.org", ex::name_source::dns);   // the same name, other case
  n.add(ip("10.0.0.9"), "", ex::name_source::dns);
  n.add(ip("0.0.0.0"), "nobody", ex::name_source::dhcp);  // the unset address names no host
  for (const char* more : {"b", "c", "d", "e"}) n.add(ip("10.0.0.9"), more, ex::name_source::dns);
  REQUIRE(n.of(ip("10.0.0.9")).size() == ex::host_names::max_per_address);
  CHECK(n.of(ip("10.0.0.9"))[0].name == "ns1.example.org");
  CHECK(n.of(ip("10.0.0.9"))[3].name == "d");
  CHECK(n.of(ip("0.0.0.0")).empty());
  CHECK(n.size() == 1);
}

TEST_CASE("names.the_most_trusted_source_is_shown") {
  ex::host_names n;
  n.add(ip("10.0.0.25"), "mx.example.org", ex::name_source::dns);
  CHECK(n.best(ip("10.0.0.25")) == "mx.example.org");
  n.add(ip("10.0.0.25"), "MAILHOST", ex::name_source::netbios);
  CHECK(n.best(ip("10.0.0.25")) == "MAILHOST");
  n.add(ip("10.0.0.25"), "UnivMail", ex::name_source::inventory);
  CHECK(n.best(ip("10.0.0.25")) == "UnivMail");
  CHECK(n.label(ip("10.0.0.25")) == "UnivMail(10.0.0.25)");
  CHECK(n.label(ip("10.0.0.26")) == "10.0.0.26");
  CHECK(n.best(ip("10.0.0.26")).empty());
}

TEST_CASE("names.named_text_puts_names_beside_kept_addresses") {
  ex::host_names n;
  n.add(ip("10.0.2.25"), "mail.example.org", ex::name_source::dns);
  ex::flow_pattern p{{ip("10.0.2.25"), ip("10.0.3.1"), 4000, 25, ex::proto::tcp}};
  CHECK(ex::named_text(p, &n) == "mail.example.org(10.0.2.25).4000 : 10.0.3.1.25 : tcp");
  CHECK(ex::named_text(p, nullptr) == p.text());
  p.set(ex::field::src_ip, ex::slot::any);
  CHECK(ex::named_text(p, &n) == "*.4000 : 10.0.3.1.25 : tcp");
}

TEST_CASE("names.inventory_file") {
  const fs::path dir = fs::temp_directory_path() / "expose_names_test";
  fs::create_directories(dir);
  const auto file = dir / "hosts.csv";
  {
    std::ofstream out(file);
    out << "address,name\r\n# the mail servers\n\n10.0.2.25, UnivMail \n2001:db8::1,Router1\n";
  }
  ex::host_names n;
  n.load_csv(file);
  CHECK(n.best(ip("10.0.2.25")) == "UnivMail");
  CHECK(n.of(ip("2001:db8::1")).at(0).source == ex::name_source::inventory);
  CHECK(n.size() == 2);
  {
    std::ofstream out(file);
    out << "10.0.2.25,UnivMail\n10.0.2.26\n";
  }
  CHECK_THROWS_WITH_AS(n.load_csv(file), ("--names: " + file.string() + ":2: expected 'address,name', got '10.0.2.26'").c_str(),
                       ex::bad_argument);
  CHECK_THROWS_WITH_AS(n.load_csv(dir / "missing.csv"), ("--names: cannot read '" + (dir / "missing.csv").string() + "'").c_str(),
                       ex::bad_argument);
  // A directory opens as a stream and reads as nothing: refused, not taken as an empty inventory.
  CHECK_THROWS_WITH_AS(n.load_csv(dir), ("--names: cannot read '" + dir.string() + "': it is a directory").c_str(),
                       ex::bad_argument);
  // As spreadsheets write CSV: a byte order mark (it hid the first entry, read as a header), a
  // header after a comment (refused), quoted names with commas (refused), a third column (read
  // into the name), and a control character (sent raw to terminals, made SVG invalid).
  {
    std::ofstream out(file);
    out << "\xEF\xBB\xBF# the inventory\naddress,name,owner\n10.0.3.1,\"web, east\",ops\n10.0.3.2,db,\"team b\"\n10.0.3.3,\"say \"\"hi\"\"\"\n"
        << "10.0.3.4,bad\x1b[31mred\n";
  }
  ex::host_names m;
  m.load_csv(file);
  CHECK(m.best(ip("10.0.3.1")) == "web, east");
  CHECK(m.best(ip("10.0.3.2")) == "db");
  CHECK(m.best(ip("10.0.3.3")) == "say \"hi\"");
  CHECK(m.best(ip("10.0.3.4")) == "bad?[31mred");
  CHECK(m.size() == 4);
  {
    std::ofstream out(file);
    out << "\xEF\xBB\xBF" "10.0.3.9,first\n";
  }
  ex::host_names one;
  CHECK(one.load_csv(file).empty());
  CHECK(one.best(ip("10.0.3.9")) == "first");
  // An address named twice keeps its first name, and says so (the second was dropped unsaid); the
  // same name again, in any case, is no second name.
  {
    std::ofstream out(file);
    out << "address,name\n10.0.4.1,mail\n10.0.4.2,web\n10.0.4.1,MAIL\n10.0.4.1,smtp-relay\n10.0.4.2,www\n10.0.4.1,imap\n"
        << "10.0.4.3,ns.example.com.\n10.0.4.3,ns.example.com\n";  // the root label's dot makes no other name
  }
  ex::host_names twice;
  CHECK(twice.load_csv(file) == std::vector<std::string>{"--names: " + file.string() +
                                                         ": 2 addresses have another name on a later line; the first name is shown: "
                                                         "10.0.4.1 is 'mail' on line 2 and 'smtp-relay' on line 5"});
  CHECK(twice.best(ip("10.0.4.1")) == "mail");
  CHECK(twice.best(ip("10.0.4.2")) == "web");
  fs::remove_all(dir);
}
