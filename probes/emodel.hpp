// The E-model (ITU-T G.107) as used for VoIP monitoring: R factor and MOS
// from one-way delay, packet loss and burstiness, with the codec's
// equipment impairment Ie and packet-loss robustness Bpl (ITU-T G.113
// Appendix I). Simplified as is usual: default R0 − Is, A = 0, and the
// delay impairment fit of Cole & Rosenbluth (2001). Pure.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace p2pmon::probes {

// R0 − Is with every other G.107 parameter at its default.
inline constexpr double kDefaultR0MinusIs = 93.2;

struct CodecImpairment {
  std::string_view name;  // "g711", "g711-plc", ...
  double ie;              // equipment impairment without loss
  double bpl;             // packet-loss robustness
};

// G.113 Appendix I values: G.711 without PLC (Bpl 4.3) and with the
// G.711 Appendix I concealment (25.1); G.729A+VAD, G.723.1 at 6.3 kbit/s
// +VAD, GSM-EFR.
std::span<const CodecImpairment> codecImpairments();
std::optional<CodecImpairment> findCodecImpairment(std::string_view name);

struct EModelInput {
  double oneWayDelayMs = 0;  // mouth to ear: network + jitter buffer + codec
  double lossPercent = 0;    // Ppl, packets lost (or discarded) in percent
  double burstR = 1;         // 1 for random loss, > 1 bursty (1/(p+q) for a 2-state Markov chain)
  double ie = 0;
  double bpl = 4.3;
  double r0MinusIs = kDefaultR0MinusIs;
};

struct EModelResult {
  double id = 0;     // delay impairment
  double ieEff = 0;  // effective equipment impairment
  double r = 0;      // transmission rating, R0 − Is − Id − Ie,eff
  double mos = 1;    // estimated conversational MOS (G.107 Annex B), 1..4.5
};

// Id = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3), d in ms (negative d as 0).
double delayImpairment(double oneWayDelayMs);
// Ie,eff = Ie + (95 − Ie)·Ppl / (Ppl/BurstR + Bpl) (G.107; Ppl in %, BurstR <= 0 as 1).
double effectiveEquipmentImpairment(double ie, double lossPercent, double burstR, double bpl);
// G.107 Annex B: 1 below R = 0, 4.5 above 100, the cubic between (at least 1).
double mosFromR(double r);

EModelResult computeEModel(const EModelInput& in);

}  // namespace p2pmon::probes
