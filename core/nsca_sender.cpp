#include "core/nsca_sender.hpp"

#include "core/plugin_output.hpp"
#include "core/tcp_client.hpp"
#include "core/clock.hpp"

namespace p2pmon::core {

std::string NscaSender::describe() const {
  return "nsca://" + config_.host + ":" + std::to_string(config_.port);
}

std::optional<Error> NscaSender::sendOn(std::span<const CheckResult> results, std::size_t first,
                                        std::size_t last, SendReport& report) {
  auto deadline = std::chrono::steady_clock::now() + config_.timeout;
  auto conn = TcpConnection::connect(config_.host, config_.port, deadline);
  if (!conn) return conn.error();
  std::array<std::uint8_t, nsca::kInitPacketSize> initBytes{};
  if (auto err = conn->readExact(initBytes, deadline)) return err;
  auto init = nsca::decodeInit(initBytes);
  nsca::Cipher cipher(config_.encryption, init->iv, config_.password);
  const std::size_t size = config_.legacy ? nsca::kLegacyPacketSize : nsca::kPacketSize;
  std::vector<std::uint8_t> out;
  std::vector<std::size_t> carried;
  for (std::size_t i = first; i < last; ++i) {
    const CheckResult& r = results[i];
    if (auto invalid = validate(r, nowSeconds())) {
      report.rejected.push_back({i, *invalid});
      continue;
    }
    nsca::DataPacket p;
    p.timestamp = init->timestamp;
    p.returnCode = static_cast<std::int16_t>(r.state);
    p.host = r.host;
    p.service = r.service;
    p.output = joinPluginOutput(r.output, r.perfdata);
    auto bytes = nsca::encodeData(p, size, cipher);
    if (!bytes) {
      report.rejected.push_back({i, bytes.error()});
      continue;
    }
    out.insert(out.end(), bytes->begin(), bytes->end());
    carried.push_back(i);
  }
  if (auto err = conn->writeAll(out, deadline)) return err;
  report.accepted += carried.size();
  return std::nullopt;
}

SendReport NscaSender::send(std::span<const CheckResult> results) {
  SendReport report;
  if (results.empty()) return report;
  if (!config_.legacy) {
    if (auto err = sendOn(results, 0, results.size(), report)) report.failure = err;
    return report;
  }
  // A 720-byte packet is only recognised when the connection closes right
  // after it, so legacy mode opens one connection per result.
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (auto err = sendOn(results, i, i + 1, report)) {
      report.failure = err;
      break;
    }
  }
  return report;
}

}  // namespace p2pmon::core
