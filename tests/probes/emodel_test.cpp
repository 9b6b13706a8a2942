#include <doctest/doctest.h>

#include "probes/emodel.hpp"

using namespace p2pmon::probes;

namespace {
EModelResult g711(double delayMs, double lossPercent, double bpl, double burstR = 1) {
  return computeEModel({delayMs, lossPercent, burstR, 0, bpl, kDefaultR0MinusIs});
}
}  // namespace

TEST_CASE("e-model: the sanity table of voip_nat.md (G.711, R0-Is 93.2, random loss)") {
  struct Row {
    double d, ppl, bpl, r, mos;
  };
  const Row rows[] = {{50, 0, 4.3, 92.00, 4.385},  {50, 1, 4.3, 74.08, 3.782},
                      {50, 3, 4.3, 52.96, 2.731},  {200, 1, 4.3, 67.98, 3.501},
                      {50, 1, 25.1, 88.36, 4.297}, {50, 3, 25.1, 81.86, 4.092}};
  for (const auto& row : rows) {
    CAPTURE(row.d);
    CAPTURE(row.ppl);
    CAPTURE(row.bpl);
    const auto e = g711(row.d, row.ppl, row.bpl);
    CHECK(e.r == doctest::Approx(row.r).epsilon(0.0005));
    CHECK(e.mos == doctest::Approx(row.mos).epsilon(0.0005));
  }
}

TEST_CASE("e-model: delay impairment has its knee at 177.3 ms") {
  CHECK(delayImpairment(0) == 0);
  CHECK(delayImpairment(-5) == 0);
  CHECK(delayImpairment(100) == doctest::Approx(2.4));
  CHECK(delayImpairment(177.3) == doctest::Approx(0.024 * 177.3));
  CHECK(delayImpairment(277.3) == doctest::Approx(0.024 * 277.3 + 11.0));
}

TEST_CASE("e-model: burstiness raises the effective impairment") {
  CHECK(effectiveEquipmentImpairment(0, 0, 1, 4.3) == 0);
  CHECK(effectiveEquipmentImpairment(0, 1, 1, 4.3) == doctest::Approx(95.0 / 5.3));
  CHECK(effectiveEquipmentImpairment(0, 1, 2, 4.3) == doctest::Approx(95.0 / 4.8));
  CHECK(effectiveEquipmentImpairment(11, 2, 1, 19) == doctest::Approx(11 + 84.0 * 2 / 21));
  CHECK(effectiveEquipmentImpairment(0, 100, 1, 4.3) < 95);
  CHECK(effectiveEquipmentImpairment(0, 1, 0, 4.3) == doctest::Approx(95.0 / 5.3));  // BurstR 0 as 1
}

TEST_CASE("e-model: MOS from R (G.107 Annex B) is clamped to 1..4.5") {
  CHECK(mosFromR(-10) == 1.0);
  CHECK(mosFromR(0) == 1.0);
  CHECK(mosFromR(3) == 1.0);  // the cubic dips below 1 here
  CHECK(mosFromR(50) == doctest::Approx(1 + 1.75 + 50 * -10 * 50 * 7e-6));
  CHECK(mosFromR(93.2) == doctest::Approx(4.41).epsilon(0.001));
  CHECK(mosFromR(100) == 4.5);
  CHECK(mosFromR(120) == 4.5);
}

TEST_CASE("e-model: codec table (G.113 Appendix I)") {
  REQUIRE(findCodecImpairment("g711").has_value());
  CHECK(findCodecImpairment("g711")->bpl == 4.3);
  CHECK(findCodecImpairment("g711-plc")->bpl == 25.1);
  CHECK(findCodecImpairment("g729a")->ie == 11);
  CHECK_FALSE(findCodecImpairment("opus").has_value());
  CHECK(codecImpairments().size() >= 5);
  // PLC makes the same loss cost less.
  CHECK(g711(20, 2, 25.1).mos > g711(20, 2, 4.3).mos);
}
