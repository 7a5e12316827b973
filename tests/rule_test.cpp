#include "expose/rule.hpp"

#include "doctest.hpp"

using namespace expose;

TEST_CASE("rule.delays_are_written_in_the_unit_their_rounded_value_takes") {
  CHECK(delay_ms_text(20) == "+20 ms");
  CHECK(delay_ms_text(-3.5) == "-3.5 ms");
  CHECK(delay_ms_text(0) == "+0.0 ms");
  CHECK(delay_ms_text(9.94) == "+9.9 ms");
  CHECK(delay_ms_text(9.96) == "+10 ms");  // not "+10.0 ms"
  CHECK(delay_ms_text(999.4) == "+999 ms");
  CHECK(delay_ms_text(999.9) == "+1.0 s");  // not "+1000 ms"
  CHECK(delay_ms_text(-999.9) == "-1.0 s");
  CHECK(delay_ms_text(1000) == "+1.0 s");
  CHECK(delay_ms_text(1234) == "+1.2 s");
}
