// SIP registrations as overlay records, and the registrar's and proxy's
// decisions over them. Pure: the SIP messages are parsed by sofia-sip in
// sip_service.cpp, which hands the facts to these functions and carries
// out what they decide. Record layout: docs/protocol.md, "SIP user locations".
//
// A user-location record (kind UserLocation, name = the AOR) holds one entry
// per registered contact, key = the Contact URI, values = the contact's
// transport ("udp:192.0.2.7:5060") and the SIP URI of the overlay peer that
// took the registration ("registrar:sip:192.0.2.1:5060"), lifetime = the
// granted expiry. Beside them one marker entry, key kRegisteredKey, that
// outlives the last binding by kExpiredMemorySeconds: it is what tells
// "registered once, now expired" (480) from "never registered" (404).
// An explicit un-register removes the marker too, so it gives 404.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "overlay-agent/messages.hpp"

namespace p2pmon::overlay::sip {

inline constexpr std::string_view kRegisteredKey = "p2pmon:registered";
inline constexpr std::uint32_t kExpiredMemorySeconds = 3600;
inline constexpr std::size_t kMaxBindings = kMaxEntries - 1;  // the marker takes one entry

struct RegisterLimits {
  std::uint32_t defaultExpires = 3600;  // no expires parameter and no Expires header
  std::uint32_t minExpires = 1;         // below: 423 Interval Too Brief
  std::uint32_t maxExpires = 86400;     // above: granted this much
};

// One registered contact as read back from the overlay.
struct Binding {
  std::string contact;    // Contact URI as the UA sent it
  std::string transport;  // "udp:HOST:PORT" / "tcp:HOST:PORT": where requests go
  std::string registrar;  // SIP URI of the peer holding the registration; may be empty
  std::int64_t expiresAtMs = 0;
  std::uint64_t storageTime = 0;
  std::int64_t remainingSeconds(std::int64_t nowMs) const;
};

// One Contact header field value of a REGISTER.
struct ContactRequest {
  std::string contact;    // the URI, normalised by the caller (no display name, no params)
  std::string transport;  // "udp:HOST:PORT" derived from the URI
  std::int64_t expires = -1;  // its expires parameter; -1 when absent
};

struct RegisterRequest {
  std::string aor;                      // canonical (canonicalAor)
  std::vector<ContactRequest> contacts;  // empty: a query for the current bindings
  bool wildcard = false;                // "Contact: *"
  std::int64_t expiresHeader = -1;      // the Expires header; -1 when absent
  std::string registrar;                // this peer's SIP URI
  std::int64_t nowMs = 0;
};

struct RegisterPlan {
  int status = 200;  // not 200: reply with this and store nothing
  std::string phrase = "OK";
  Record update;                  // entries to store; no entries: nothing to store
  std::vector<Binding> bindings;  // the bindings after the update, for the 200's Contact list
};

// The registrar's decision (RFC 3261 §10.3 steps 6-8) given the record as it
// is in the overlay now (nullopt when there is none).
RegisterPlan planRegister(const RegisterRequest& req, const std::optional<Record>& current,
                          const RegisterLimits& limits);

// The live bindings of a record, newest registration first.
std::vector<Binding> bindingsOf(const Record& record, std::int64_t nowMs);

// Where a request for an AOR goes: status 0 and the binding to forward to
// (the newest registration), or 404 (nobody registered) or 480 (the
// registration expired).
struct RouteTarget {
  int status = 0;
  std::string phrase;
  Binding binding;
};
RouteTarget chooseTarget(const std::optional<Record>& record, std::int64_t nowMs);

// "sip:" + user + "@" + lower-case host: the key under which an AOR is
// stored, whatever case or URI parameters a UA used. Empty user: nullopt.
std::optional<std::string> canonicalAor(std::string_view user, std::string_view host);
// Host names and domains compare without case.
bool sameHost(std::string_view a, std::string_view b);

}  // namespace p2pmon::overlay::sip
