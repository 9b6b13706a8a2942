// The JSON forms p2pmon-probe prints for overlay values; docs/probes.md
// names every field. Node-IDs are 32 lowercase hex digits, addresses
// "IP:port", times in ms rounded to the microsecond.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "overlay-agent/messages.hpp"
#include "overlay-agent/overlay_client.hpp"

namespace p2pmon::probes {

using Json = nlohmann::ordered_json;  // keys print in the documented order

double roundMs(double ms);
std::string_view messageName(std::uint16_t code);  // "find_req", "error", "unknown"

Json peerJson(const overlay::PeerRef& p);  // {node_id, address}
Json peersJson(const std::vector<overlay::PeerRef>& peers);
// Every DiagAns field; rtt_ms is added by the caller.
Json diagJson(const overlay::DiagAns& d);
Json recordJson(const overlay::Record& r);
// {target, complete, error, detail, hops[], responsible}
Json pathJson(const overlay::PathTrace& t);

}  // namespace p2pmon::probes
