#include "probes/emodel.hpp"

#include <algorithm>
#include <array>

namespace p2pmon::probes {

namespace {
constexpr std::array<CodecImpairment, 5> kCodecs = {{
    {"g711", 0, 4.3},
    {"g711-plc", 0, 25.1},
    {"g729a", 11, 19.0},
    {"g723.1", 15, 16.1},
    {"gsm-efr", 5, 10.0},
}};
}  // namespace

std::span<const CodecImpairment> codecImpairments() { return kCodecs; }

std::optional<CodecImpairment> findCodecImpairment(std::string_view name) {
  for (const auto& c : kCodecs) {
    if (c.name == name) return c;
  }
  return std::nullopt;
}

double delayImpairment(double oneWayDelayMs) {
  const double d = std::max(0.0, oneWayDelayMs);
  return 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0.0);
}

double effectiveEquipmentImpairment(double ie, double lossPercent, double burstR, double bpl) {
  const double ppl = std::clamp(lossPercent, 0.0, 100.0);
  const double br = burstR > 0 ? burstR : 1.0;  // < 1: smoother than random
  if (ppl <= 0) return ie;
  return ie + (95.0 - ie) * ppl / (ppl / br + bpl);
}

double mosFromR(double r) {
  if (r <= 0) return 1.0;
  if (r >= 100) return 4.5;
  const double mos = 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
  return std::clamp(mos, 1.0, 4.5);
}

EModelResult computeEModel(const EModelInput& in) {
  EModelResult out;
  out.id = delayImpairment(in.oneWayDelayMs);
  out.ieEff = effectiveEquipmentImpairment(in.ie, in.lossPercent, in.burstR, in.bpl);
  out.r = in.r0MinusIs - out.id - out.ieEff;
  out.mos = mosFromR(out.r);
  return out;
}

}  // namespace p2pmon::probes
