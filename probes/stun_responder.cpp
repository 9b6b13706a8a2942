#include "probes/stun_responder.hpp"

namespace p2pmon::probes::stun {

Address ServerAddresses::at(int index) const {
  if (!alternate || index == 0) return primary;
  Address a = (index & 2) ? *alternate : primary;
  a.port = (index & 1) ? alternate->port : primary.port;
  return a;
}

namespace {

Message answerTo(const Message& req, MessageClass cls) {
  Message m;
  m.type = messageType(methodOf(req.type), cls);
  m.cookie = req.cookie;
  m.id = req.id;
  m.fingerprint = req.fingerprint;
  return m;
}

Outcome errorReply(const Message& req, int at, const Address& source, ErrorCode e,
                   std::span<const std::uint16_t> unknown, std::string_view software) {
  Message m = answerTo(req, MessageClass::error);
  addErrorCode(m, e);
  if (!unknown.empty()) addUnknownAttributes(m, unknown);
  if (!software.empty()) addSoftware(m, software);
  return {Reply{at, source, encode(m), true}, {}, {}};
}

}  // namespace

Outcome respond(const ServerAddresses& server, int at, const Address& source,
                std::span<const std::uint8_t> datagram, std::string_view software) {
  auto decoded = decode(datagram);
  if (!decoded) return {std::nullopt, decoded.error().code, {}};
  const Message& req = *decoded;
  if (classOf(req.type) != MessageClass::request) return {std::nullopt, "not_request", {}};
  if (methodOf(req.type) != kBindingMethod) return {std::nullopt, "unsupported_method", {}};

  const auto unknown = unknownRequired(req);
  if (!unknown.empty())
    return errorReply(req, at, source, {420, "Unknown Attribute"}, unknown, software);
  const auto change = findChangeRequest(req).value_or(ChangeRequest{});
  if ((change.changeIp || change.changePort) && !server.alternate) {
    // RFC 5780 §6.1: no alternate address, so CHANGE-REQUEST is not understood.
    const std::uint16_t cr[] = {attr::kChangeRequest};
    return errorReply(req, at, source, {420, "Unknown Attribute"}, cr, software);
  }

  int from = at;
  if (change.changeIp) from ^= 2;
  if (change.changePort) from ^= 1;
  Address to = source;
  // RESPONSE-PORT (RFC 5780 §7.5) exists only in the RFC 5389 form.
  if (!req.classic())
    if (auto port = findResponsePort(req)) to.port = *port;
  if (to.family != server.at(from).family) return {std::nullopt, "bad_family", {}};

  Message m = answerTo(req, MessageClass::success);
  // Where the alternate answer would come from, seen from the address the
  // request arrived on: the other IP and the other port (RFC 5780 §7.4).
  std::optional<Address> other;
  if (server.alternate) other = server.at(at ^ 3);
  // A server bound to the wildcard address does not know which of its
  // addresses the request reached: it leaves out where it answers from.
  const Address origin = server.at(from);
  const bool known = origin.ip != std::array<std::uint8_t, 16>{};
  if (req.classic()) {
    addAddress(m, attr::kMappedAddress, source);
    if (known) addAddress(m, attr::kSourceAddress, origin);
    if (other) addAddress(m, attr::kChangedAddress, *other);
  } else {
    addAddress(m, attr::kXorMappedAddress, source);
    addAddress(m, attr::kMappedAddress, source);  // lets a client spot an ALG (RFC 5780 §4.8)
    if (known) addAddress(m, attr::kResponseOrigin, origin);
    if (other) addAddress(m, attr::kOtherAddress, *other);
  }
  if (!software.empty()) addSoftware(m, software);
  Outcome out{Reply{from, to, encode(m), false}, {}, {}};
  // Only in the RFC 5389 form, as RESPONSE-PORT.
  if (!req.classic())
    if (auto ports = findTcpCheck(req)) out.tcpCheck = std::move(*ports);
  return out;
}

}  // namespace p2pmon::probes::stun
