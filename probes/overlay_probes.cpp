#include "probes/overlay_probes.hpp"

#include <iostream>
#include <limits>
#include <memory>
#include <optional>

#include <boost/program_options.hpp>

#include "core/perfdata.hpp"
#include "overlay-agent/overlay_client.hpp"
#include "overlay-agent/wire_codec.hpp"
#include "probes/overlay_json.hpp"
#include "probes/probe_error.hpp"

namespace p2pmon::probes {

namespace po = boost::program_options;
using overlay::RecordKind;

namespace {

// What every overlay command takes: the peer to ask, the overlay, the time allowed.
struct Common {
  std::string command;  // "p2pmon-probe diag"
  std::string peer;
  std::string overlay;
  std::int64_t timeoutMs = 2000;
};

po::options_description commonOptions(Common& c) {
  po::options_description opts("Options");
  opts.add_options()
      ("peer", po::value(&c.peer), "ADDR:PORT of the overlay peer to ask (required)")
      ("overlay", po::value(&c.overlay)->default_value("p2pmon"), "overlay name")
      ("timeout", po::value(&c.timeoutMs)->default_value(2000), "ms allowed for the whole command")
      ("help,h", "show this help");
  return opts;
}

int fail(const Common& c, const core::Error& e) {
  std::cerr << errorLine(c.command, e) << "\n";
  return kExitError;
}

int usageError(const Common& c, const std::string& why) {
  return fail(c, core::makeError("bad_usage", why + " (see -h)"));
}

// Parses the command line; returns an exit code when the command should stop
// (help shown, bad usage), nullopt to go on.
std::optional<int> parse(Common& c, int argc, char** argv, const po::options_description& opts,
                         po::variables_map& vm, const char* synopsis) {
  c.command = std::string("p2pmon-probe ") + argv[0];
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    return usageError(c, e.what());
  }
  if (vm.count("help") != 0U) {
    std::cout << "Usage: " << c.command << " " << synopsis << "\n\n" << opts
              << "\nOutput: JSON on stdout (docs/probes.md).\n";
    return kExitOk;
  }
  if (c.peer.empty()) return usageError(c, "--peer ADDR:PORT is required");
  if (c.timeoutMs < 1) return usageError(c, "--timeout must be at least 1 ms");
  return std::nullopt;
}

// The client for --peer; nullptr after printing the error (exitCode set).
std::unique_ptr<overlay::OverlayClient> connect(const Common& c, int& exitCode) {
  auto ep = overlay::resolveEndpoint(c.peer);
  if (!ep) {
    const auto& e = ep.error();
    exitCode = e.code == "bad_address" ? usageError(c, "--peer: " + e.message) : fail(c, e);
    return nullptr;
  }
  return std::make_unique<overlay::OverlayClient>(
      overlay::ClientOptions{c.overlay, *ep, std::chrono::milliseconds(c.timeoutMs)});
}

std::optional<RecordKind> parseKind(const std::string& kind) {
  if (kind == "user") return RecordKind::UserLocation;
  if (kind == "proxy") return RecordKind::ProxyLocation;
  return std::nullopt;
}

void print(const Json& j) { std::cout << j.dump(2) << "\n" << std::flush; }

// The engine's error with where it happened when it says no more itself.
core::Error opError(const Common& c, const overlay::ClientOp& res) {
  auto e = normalizeError(res.op.error);
  if (e.message.empty()) {
    e.message = "via " + c.peer + " after " + std::to_string(res.op.hops) + " hop(s), " +
                core::formatNumber(roundMs(res.latencyMs)) + " ms";
  }
  return e;
}

}  // namespace

int runDiag(int argc, char** argv) {
  Common c;
  auto opts = commonOptions(c);
  po::variables_map vm;
  if (auto stop = parse(c, argc, argv, opts, vm, "--peer ADDR:PORT [--overlay NAME] [--timeout MS]")) {
    return *stop;
  }
  int rc = kExitError;
  auto client = connect(c, rc);
  if (!client) return rc;
  auto reply = client->diag(client->options().peer);
  if (!reply) return fail(c, reply.error());
  Json j = diagJson(reply->diag);
  j["rtt_ms"] = roundMs(reply->rttMs);
  print(j);
  return kExitOk;
}

int runPut(int argc, char** argv) {
  Common c;
  std::string kind, name, contact;
  std::vector<std::string> transports;
  std::int64_t lifetime = 3600;
  auto opts = commonOptions(c);
  opts.add_options()
      ("kind", po::value(&kind), "user (a user location, NAME is an AOR) or proxy (NAME is a domain)")
      ("name", po::value(&name), "AOR or domain: the record's name")
      ("contact", po::value(&contact), "entry key: the contact (user) or proxy URI (proxy)")
      ("transport", po::value(&transports), "entry value, repeatable: udp:192.0.2.1:5060")
      ("lifetime", po::value(&lifetime)->default_value(3600), "seconds the entry lives")
      ("remove", "store a removal of the entry instead (exists=false)");
  po::variables_map vm;
  if (auto stop = parse(c, argc, argv, opts, vm,
                        "--peer ADDR:PORT --kind user|proxy --name NAME --contact KEY "
                        "--transport T [--transport T ...] [--lifetime S] [--remove]")) {
    return *stop;
  }
  const bool remove = vm.count("remove") != 0U;
  auto k = parseKind(kind);
  if (!k) return usageError(c, "--kind must be user or proxy");
  if (name.empty() || contact.empty()) return usageError(c, "--name and --contact are required");
  if (transports.empty() && !remove) return usageError(c, "at least one --transport is required");
  if (lifetime < 1 || lifetime > std::numeric_limits<std::uint32_t>::max()) {
    return usageError(c, "--lifetime must be 1..4294967295 seconds");
  }
  overlay::Record record{*k, name,
                         {overlay::Entry{contact, transports,
                                         static_cast<std::uint64_t>(overlay::wallClockMs()),
                                         static_cast<std::uint32_t>(lifetime), !remove}}};
  if (auto bad = overlay::validate(overlay::Message{{}, overlay::StoreReq{0, {record}}})) {
    return usageError(c, "record does not fit a message: " + bad->message);
  }
  int rc = kExitError;
  auto client = connect(c, rc);
  if (!client) return rc;
  auto res = client->put(record);
  Json j = {{"ok", res.op.ok}};
  if (res.op.ok) j["responsible"] = peerJson(res.op.responsible);
  j["hops"] = res.op.hops;
  j["latency_ms"] = roundMs(res.latencyMs);
  if (res.op.ok) {
    print(j);
    return kExitOk;
  }
  const auto e = opError(c, res);
  j["error"] = e.code;
  print(j);
  return fail(c, e);
}

int runGet(int argc, char** argv) {
  Common c;
  std::string kind, name;
  auto opts = commonOptions(c);
  opts.add_options()
      ("kind", po::value(&kind), "user or proxy")
      ("name", po::value(&name), "AOR or domain");
  po::variables_map vm;
  if (auto stop = parse(c, argc, argv, opts, vm, "--peer ADDR:PORT --kind user|proxy --name NAME")) {
    return *stop;
  }
  auto k = parseKind(kind);
  if (!k) return usageError(c, "--kind must be user or proxy");
  if (name.empty()) return usageError(c, "--name is required");
  int rc = kExitError;
  auto client = connect(c, rc);
  if (!client) return rc;
  auto res = client->get(*k, name);
  const auto e = res.op.ok ? core::Error{} : opError(c, res);
  const bool answered = res.op.ok || e.code == "not_found";
  Json j = {{"ok", res.op.ok},
            {"error", res.op.ok ? Json(nullptr) : Json(e.code)},
            {"record", res.op.record ? recordJson(*res.op.record) : Json(nullptr)},
            {"hops", res.op.hops},
            {"latency_ms", roundMs(res.latencyMs)},
            {"responsible", answered ? peerJson(res.op.responsible) : Json(nullptr)}};
  print(j);
  if (res.op.ok) return kExitOk;
  if (e.code == "not_found") return kExitNotFound;
  return fail(c, e);
}

int runPath(int argc, char** argv) {
  Common c;
  std::string target, kind, name;
  int maxHops = 32;
  auto opts = commonOptions(c);
  opts.add_options()
      ("target", po::value(&target), "Node-ID or Resource-ID to track, 32 hex digits")
      ("kind", po::value(&kind), "with --name: track the Resource-ID of this record (user|proxy)")
      ("name", po::value(&name), "AOR or domain")
      ("max-hops", po::value(&maxHops)->default_value(32), "peers asked at most");
  po::variables_map vm;
  if (auto stop = parse(c, argc, argv, opts, vm,
                        "--peer ADDR:PORT (--target HEX32 | --kind K --name NAME) [--max-hops N]")) {
    return *stop;
  }
  std::optional<core::NodeId> id;
  if (!target.empty() && kind.empty() && name.empty()) {
    id = core::NodeId::fromHex(target);
    if (!id) return usageError(c, "--target must be 32 hex digits");
  } else if (target.empty() && !name.empty()) {
    auto k = parseKind(kind);
    if (!k) return usageError(c, "--kind must be user or proxy");
    id = overlay::resourceIdOf(*k, name);
  } else {
    return usageError(c, "give either --target or --kind and --name");
  }
  if (maxHops < 1 || maxHops > 255) return usageError(c, "--max-hops must be 1..255");
  int rc = kExitError;
  auto client = connect(c, rc);
  if (!client) return rc;
  auto trace = client->pathTrack(*id, maxHops);
  print(pathJson(trace));
  if (trace.responsible) return kExitOk;
  return fail(c, core::makeError(trace.error, trace.detail));
}

}  // namespace p2pmon::probes
