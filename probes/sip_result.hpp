// What one SIP OPTIONS probe found out, how a raw transaction outcome maps
// onto the stable error codes (probe_error.hpp), and the JSON and text forms
// p2pmon-probe prints (fields: docs/probes.md). Pure: no sockets, no sofia.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace p2pmon::probes {

// The header a p2pmon peer puts its Node-ID in when it answers OPTIONS.
inline constexpr std::string_view kNodeIdHeader = "X-P2PMON-Node-ID";

struct SipProbeResult {
  std::string target;      // the target URI, normalised: sip:[user@]host:port;transport=udp
  std::string requestUri;  // Request-URI and To of the OPTIONS
  std::string address;     // resolved "IP:port"; empty when the name did not resolve
  std::string transport;   // "udp", "tcp"
  bool answered = false;   // a final response came from the far end (any code)
  std::string error;       // when !answered: timeout, refused, unreachable, bad_response, ...
  std::string detail;      // for humans, may be empty
  int status = 0;          // the far end's final status code, 0 when none
  std::string reason;      // its reason phrase
  std::string server;      // Server header, else User-Agent
  std::vector<std::string> allow;  // Allow header methods, in order
  std::string nodeId;      // X-P2PMON-Node-ID, 32 lowercase hex digits, empty when absent
  std::string callId;      // the request's Call-ID (to find the exchange in a capture)
  double rttMs = 0;        // first transmission to final response; on failure the time waited
  int retransmissions = 0; // request retransmissions NTA sent (UDP; always 0 on TCP)
};

// How the transaction ended, as the I/O adapter saw it.
struct SipRawOutcome {
  int status = 0;             // the final status NTA reported
  std::string phrase;         // its reason phrase when a message came with it
  bool fromFarEnd = false;    // a response that came from the network (it has a source address)
  bool badMessageSeen = false;  // bytes that are no SIP message came in meanwhile
  int sendErrno = 0;          // errno the transport recorded on the request, 0 if none
};

struct SipVerdict {
  bool answered = false;
  std::string error;  // stable code when !answered
  std::string detail;
};

// NTA answers some failures itself: a locally made 408 when timer F fires,
// a 503 at once when an ICMP error or a TCP reset comes back. Those are
// failures; the same codes from the far end are answers.
SipVerdict classifySipOutcome(const SipRawOutcome& raw, double timeoutMs);

// 32 hex digits, lowercased; nullopt for anything else.
std::optional<std::string> normalizeNodeId(std::string_view value);

using SipJson = nlohmann::ordered_json;

// {target, request_uri, address, transport, ok, error, detail, status, reason,
//  server, allow, node_id, rtt_ms, retransmissions}
SipJson sipResultJson(const SipProbeResult& r);
// "sip:127.0.0.1:5060;transport=udp: 200 OK in 0.512 ms, 0 retransmissions, server ..."
std::string sipResultLine(const SipProbeResult& r);

// Summary over several probes of one target (--count).
struct SipSummary {
  int sent = 0;
  int answered = 0;
  double rttMin = 0, rttAvg = 0, rttMax = 0;  // over answered probes
};
SipSummary summarize(const std::vector<SipProbeResult>& results);

}  // namespace p2pmon::probes
