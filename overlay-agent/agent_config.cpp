#include "overlay-agent/agent_config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <boost/program_options.hpp>

#include "core/check_result.hpp"
#include "core/perfdata.hpp"

namespace p2pmon::overlay {

namespace po = boost::program_options;

namespace {

constexpr std::array<std::string_view, kAgentChecks> kNames{"peer_health", "sip_options",
                                                           "rtp_quality", "nat_behaviour",
                                                           "dht_lookup"};

// Options taking one value (the last given wins) and repeatable ones.
constexpr std::array<const char*, 18> kSingle{
    "agent-collector", "agent-token",       "agent-nsca",           "agent-nsca-password",
    "agent-nsca-encryption", "agent-spool", "agent-spool-max-mb",   "agent-batch",
    "agent-checks",    "agent-host-name",   "agent-stun",           "agent-rtp-duration",
    "agent-rtp-codec", "agent-rtp-concurrency", "agent-sip-targets", "agent-queue",
    "agent-flush-ms",  "agent-config"};
constexpr std::array<const char*, 2> kRepeated{"agent-interval", "agent-threshold"};

void check(bool ok, const std::string& why) {
  if (!ok) throw std::runtime_error(why);
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

template <class T>
T number(const std::string& text, const std::string& option, T lo, T hi) {
  T v{};
  const std::string t = trim(text);
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  check(ec == std::errc() && end == t.data() + t.size() && !t.empty(),
        "--" + option + ": '" + text + "' is not a number");
  check(v >= lo && v <= hi, "--" + option + ": " + t + " is outside " + std::to_string(lo) + ".." +
                                std::to_string(hi));
  return v;
}

AgentCheck checkNamed(const std::string& name, const std::string& option) {
  auto c = parseCheckName(trim(name));
  if (!c) {
    std::string known;
    for (auto n : kNames) known += (known.empty() ? "" : ", ") + std::string(n);
    throw std::runtime_error("--" + option + ": unknown check '" + name + "' (" + known + ")");
  }
  return *c;
}

std::optional<core::Range> rangeOf(const std::string& text, bool mos, const std::string& where) {
  const std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  // MOS: a plain number N means "below N is bad", as check_p2p_rtp reads it.
  const bool plain = t.find_first_of(":@~") == std::string::npos;
  auto r = core::parseRange(mos && plain ? t + ":" : t);
  check(r.ok(), "--agent-threshold " + where + ": " + (r.ok() ? "" : r.error().message));
  return *r;
}

// CHECK.METRIC=WARN,CRIT (either may be empty, not both).
void applyThreshold(AgentConfig& c, const std::string& text) {
  const auto eq = text.find('=');
  const auto dot = text.find('.');
  check(eq != std::string::npos && dot != std::string::npos && dot < eq,
        "--agent-threshold: '" + text + "' is not CHECK.METRIC=WARN,CRIT");
  const AgentCheck which = checkNamed(text.substr(0, dot), "agent-threshold");
  const std::string metric = trim(text.substr(dot + 1, eq - dot - 1));
  const auto& known = thresholdMetrics(which);
  if (std::find(known.begin(), known.end(), metric) == known.end()) {
    std::string list;
    for (auto m : known) list += (list.empty() ? "" : ", ") + std::string(m);
    throw std::runtime_error("--agent-threshold: " + std::string(checkName(which)) +
                             " has no metric '" + metric + "'" +
                             (list.empty() ? " (it takes no thresholds)" : " (" + list + ")"));
  }
  const std::string ranges = text.substr(eq + 1);
  const auto comma = ranges.find(',');
  check(comma != std::string::npos && ranges.find(',', comma + 1) == std::string::npos,
        "--agent-threshold " + text + ": give WARN,CRIT (either may be empty)");
  const bool mos = metric == "mos";
  MetricThresholds t{rangeOf(ranges.substr(0, comma), mos, text),
                     rangeOf(ranges.substr(comma + 1), mos, text)};
  check(t.warning || t.critical, "--agent-threshold " + text + ": both ranges are empty");
  c.check(which).thresholds[metric] = t;
}

void applyInterval(AgentConfig& c, const std::string& text) {
  const auto eq = text.find('=');
  check(eq != std::string::npos, "--agent-interval: '" + text + "' is not CHECK=SECONDS");
  const AgentCheck which = checkNamed(text.substr(0, eq), "agent-interval");
  c.check(which).intervalMs =
      number<std::int64_t>(text.substr(eq + 1), "agent-interval " + text, kMinAgentIntervalS,
                           kMaxAgentIntervalS) *
      1000;
}

double seconds(const std::string& text, const std::string& option, double lo, double hi) {
  const std::string t = trim(text);
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  check(used == t.size() && !t.empty() && std::isfinite(v),
        "--" + option + ": '" + text + "' is not a number of seconds");
  check(v >= lo && v <= hi, "--" + option + ": " + t + " s is outside " + core::formatNumber(lo) +
                                ".." + core::formatNumber(hi));
  return v;
}

using Raw = std::map<std::string, std::vector<std::string>>;

Raw rawOf(const po::variables_map& vm) {
  Raw raw;
  auto take = [&](const char* name) {
    if (vm.count(name) != 0U) raw[name] = vm[name].as<std::vector<std::string>>();
  };
  for (const char* n : kSingle) take(n);
  for (const char* n : kRepeated) take(n);
  return raw;
}

Raw fileOptions(const std::string& path) {
  std::ifstream in(path);
  check(static_cast<bool>(in), "--agent-config " + path + ": cannot read the file");
  po::options_description file = agentOptionDescription();
  po::variables_map vm;
  try {
    po::store(po::parse_config_file(in, file), vm);
  } catch (const po::error& e) {
    throw std::runtime_error("--agent-config " + path + ": " + e.what());
  }
  check(vm.count("agent-config") == 0U, "--agent-config " + path + ": a file cannot name another");
  return rawOf(vm);
}

std::string hostTemplateCheck(const AgentConfig& c, bool swarm) {
  const std::string& h = c.hostName;
  const bool templated = h.find("{id8}") != std::string::npos ||
                         h.find("{id}") != std::string::npos ||
                         h.find("{index}") != std::string::npos;
  if (swarm && !templated) {
    return "--agent-host-name: with --swarm give {id8}, {id} or {index} in the name, or every "
           "peer reports as one host";
  }
  const std::string sample = agentHostName(c, core::NodeId{~0ull, ~0ull}, 9999);
  if (sample.size() > core::kMaxNameLength || !core::isSafeName(sample) || h.empty()) {
    return "--agent-host-name: '" + h + "' is not a usable Nagios host name";
  }
  return {};
}

}  // namespace

std::string_view checkName(AgentCheck c) { return kNames[static_cast<std::size_t>(c)]; }

std::optional<AgentCheck> parseCheckName(std::string_view name) {
  for (auto c : kAllAgentChecks) {
    if (checkName(c) == name) return c;
  }
  return std::nullopt;
}

const std::vector<std::string_view>& thresholdMetrics(AgentCheck c) {
  static const std::array<std::vector<std::string_view>, kAgentChecks> metrics{
      std::vector<std::string_view>{"successors", "predecessors", "fingers", "stabilizations",
                                    "records", "timeouts", "drops", "rss"},
      std::vector<std::string_view>{"rtt", "failed"},
      std::vector<std::string_view>{"mos", "loss", "jitter"},
      std::vector<std::string_view>{},
      std::vector<std::string_view>{"latency", "hops"}};
  return metrics[static_cast<std::size_t>(c)];
}

const MetricThresholds& AgentCheckConfig::metric(const std::string& name) const {
  static const MetricThresholds kNone;
  auto it = thresholds.find(name);
  return it == thresholds.end() ? kNone : it->second;
}

AgentConfig defaultAgentConfig() {
  auto r = [](const char* text) { return std::optional<core::Range>(*core::parseRange(text)); };
  AgentConfig c;
  auto& health = c.check(AgentCheck::PeerHealth);
  health.intervalMs = 60'000;
  // Fewer than two successors: no replica of this peer's records survives
  // its failure. No predecessor, or no stabilisation since the last run:
  // the peer has lost touch with the ring.
  health.thresholds["successors"] = {r("2:"), std::nullopt};
  health.thresholds["predecessors"] = {r("1:"), std::nullopt};
  health.thresholds["stabilizations"] = {r("1:"), std::nullopt};
  auto& sip = c.check(AgentCheck::SipOptions);
  // Nagios's usual 5-minute cadence for network checks: 1,000 peers x 3
  // neighbours is then 10 OPTIONS/s per process.
  sip.intervalMs = 300'000;
  sip.thresholds["rtt"] = {r("200"), r("1000")};
  sip.thresholds["failed"] = {r("0"), std::nullopt};  // any unanswered neighbour warns
  auto& rtp = c.check(AgentCheck::RtpQuality);
  rtp.intervalMs = 900'000;  // a stream is the costliest check: every 15 minutes
  rtp.thresholds["mos"] = {r("3.6:"), r("3.1:")};
  rtp.thresholds["loss"] = {r("1"), r("5")};
  rtp.thresholds["jitter"] = {r("30"), r("60")};
  c.check(AgentCheck::NatBehaviour).intervalMs = 3'600'000;
  auto& lookup = c.check(AgentCheck::DhtLookup);
  lookup.intervalMs = 300'000;
  lookup.thresholds["latency"] = {r("1000"), r("3000")};
  return c;
}

std::string agentHostName(const AgentConfig& c, const core::NodeId& id, std::size_t index) {
  if (c.hostName.empty()) return "peer-" + id.shortHex();
  std::string out;
  const std::string& h = c.hostName;
  for (std::size_t i = 0; i < h.size();) {
    auto replace = [&](std::string_view key, const std::string& value) {
      if (h.compare(i, key.size(), key) != 0) return false;
      out += value;
      i += key.size();
      return true;
    };
    if (replace("{id8}", id.shortHex()) || replace("{id}", id.hex()) ||
        replace("{index}", std::to_string(index))) {
      continue;
    }
    out += h[i++];
  }
  return out;
}

po::options_description agentOptionDescription() {
  po::options_description d("embedded agent (docs/operations.md; on when a push target is given)");
  auto v = [] { return po::value<std::vector<std::string>>(); };
  // clang-format off
  d.add_options()
      ("agent-collector", v(), "push results to the collector's HTTP API at URL (http://HOST:PORT)")
      ("agent-token", v(), "bearer token for --agent-collector")
      ("agent-nsca", v(), "push results to an NSCA server (p2pmon-collector or stock nsca) at HOST:PORT")
      ("agent-nsca-password", v(), "NSCA password")
      ("agent-nsca-encryption", v(), "NSCA encryption: 0 none or 1 XOR, send_nsca's numbers (default 1)")
      ("agent-spool", v(), "spool directory (default STATE-DIR/agent-spool with --state-dir, "
       "else in memory)")
      ("agent-spool-max-mb", v(), "spool bound in MiB; the oldest results go first (default 64)")
      ("agent-batch", v(), "results per push (default 500)")
      ("agent-flush-ms", v(), "a partial batch waits at most this long, ms (default 1000)")
      ("agent-checks", v(), "checks to run: peer_health,sip_options,rtp_quality,nat_behaviour,"
       "dht_lookup (default peer_health,dht_lookup, sip_options with SIP, rtp_quality with "
       "--rtp-reflector, nat_behaviour with --agent-stun)")
      ("agent-interval", v(), "CHECK=SECONDS between runs of a check on each peer (repeatable)")
      ("agent-threshold", v(), "CHECK.METRIC=WARN,CRIT Nagios ranges, either may be empty "
       "(repeatable), e.g. sip_options.rtt=200,1000")
      ("agent-host-name", v(), "host name of the results (default peer-<first 8 hex of the "
       "Node-ID>); {id8}, {id} and {index} are replaced, and needed with --swarm")
      ("agent-stun", v(), "STUN server HOST:PORT with an alternate address for nat_behaviour")
      ("agent-rtp-duration", v(), "seconds of RTP stream per rtp_quality run (default 2)")
      ("agent-rtp-codec", v(), "pcmu, pcma or opus (default pcmu)")
      ("agent-rtp-concurrency", v(), "RTP streams and NAT probes at once per process (default 1)")
      ("agent-sip-targets", v(), "neighbours sent OPTIONS per peer and round: the first successor and others in turn (default 3)")
      ("agent-queue", v(), "probe jobs waiting per process; more are dropped and counted "
       "(default 2000)")
      ("agent-config", v(), "read agent options from FILE (same names, `key = value`)");
  // clang-format on
  return d;
}

AgentConfig agentConfigFrom(const po::variables_map& vm, const AgentContext& ctx) {
  Raw raw = rawOf(vm);
  if (auto it = raw.find("agent-config"); it != raw.end()) {
    Raw file = fileOptions(it->second.back());
    for (auto& [name, values] : raw) {
      auto& merged = file[name];
      merged.insert(merged.end(), values.begin(), values.end());
    }
    raw = std::move(file);
  }
  auto last = [&raw](const char* name) -> std::optional<std::string> {
    auto it = raw.find(name);
    if (it == raw.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  };
  AgentConfig c = defaultAgentConfig();
  auto& push = c.push;
  if (auto url = last("agent-collector")) {
    std::string u = trim(*url);
    while (!u.empty() && u.back() == '/') u.pop_back();
    const bool scheme = u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0;
    check(scheme && u.find("://") + 3 < u.size(),
          "--agent-collector: '" + *url + "' is not an http:// or https:// URL");
    push.httpUrl = u;
  }
  if (auto hp = last("agent-nsca")) {
    auto parsed = core::parseHostPort(trim(*hp));
    check(parsed.ok(), "--agent-nsca: " + (parsed.ok() ? "" : parsed.error().message));
    check(parsed->port != 0, "--agent-nsca " + *hp + ": port 0 names no server");
    push.nsca = *parsed;
  }
  check(push.httpUrl.empty() || !push.nsca, "give --agent-collector or --agent-nsca, not both");
  c.enabled = !push.httpUrl.empty() || push.nsca.has_value();
  if (!c.enabled) {
    for (const auto& [name, values] : raw) {
      check(name == "agent-config" || values.empty(),
            "--" + name + " needs a push target: --agent-collector URL or --agent-nsca HOST:PORT");
    }
    check(raw.count("agent-config") == 0U,
          "--agent-config: the file names no push target (agent-collector or agent-nsca)");
    return c;
  }
  if (auto t = last("agent-token")) {
    check(!push.httpUrl.empty(), "--agent-token goes with --agent-collector");
    push.token = trim(*t);
  }
  if (auto p = last("agent-nsca-password")) {
    check(push.nsca.has_value(), "--agent-nsca-password goes with --agent-nsca");
    push.nscaPassword = *p;
  }
  if (auto e = last("agent-nsca-encryption")) {
    check(push.nsca.has_value(), "--agent-nsca-encryption goes with --agent-nsca");
    push.nscaEncryption = number<int>(*e, "agent-nsca-encryption", 0, 1);  // none or XOR
  }
  if (auto s = last("agent-spool")) {
    push.spoolDir = trim(*s);
    check(!push.spoolDir.empty(), "--agent-spool: the directory is empty");
  } else if (!ctx.stateDir.empty()) {
    push.spoolDir = (std::filesystem::path(ctx.stateDir) / "agent-spool").string();
  }
  if (auto m = last("agent-spool-max-mb")) {
    push.spoolMaxBytes = number<std::uint64_t>(*m, "agent-spool-max-mb", 1, 1u << 20) << 20;
  }
  if (auto b = last("agent-batch")) push.batchSize = number<std::size_t>(*b, "agent-batch", 1, 100'000);
  if (auto f = last("agent-flush-ms")) {
    push.flushInterval = std::chrono::milliseconds(number<std::int64_t>(*f, "agent-flush-ms", 10, 600'000));
  }
  if (auto h = last("agent-host-name")) {
    c.hostName = trim(*h);
    if (auto why = hostTemplateCheck(c, ctx.swarm); !why.empty()) throw std::runtime_error(why);
  }
  if (auto s = last("agent-stun")) {
    auto parsed = core::parseHostPort(trim(*s), 3478);
    check(parsed.ok(), "--agent-stun: " + (parsed.ok() ? "" : parsed.error().message));
    check(parsed->port != 0, "--agent-stun " + *s + ": port 0 names no server");
    c.stunServer = *parsed;
  }
  if (auto d = last("agent-rtp-duration")) c.rtpDurationS = seconds(*d, "agent-rtp-duration", 0.1, 30);
  if (auto codec = last("agent-rtp-codec")) {
    c.rtpCodec = trim(*codec);
    check(c.rtpCodec == "pcmu" || c.rtpCodec == "pcma" || c.rtpCodec == "opus",
          "--agent-rtp-codec: '" + *codec + "' is not pcmu, pcma or opus");
  }
  if (auto n = last("agent-rtp-concurrency")) {
    c.rtpConcurrency = number<std::size_t>(*n, "agent-rtp-concurrency", 1, kMaxRtpConcurrency);
  }
  if (auto n = last("agent-sip-targets")) {
    c.sipTargets = number<std::size_t>(*n, "agent-sip-targets", 1, kMaxSipTargets);
  }
  if (auto n = last("agent-queue")) c.queueMax = number<std::size_t>(*n, "agent-queue", 1, kMaxAgentQueue);
  for (const auto& i : raw["agent-interval"]) applyInterval(c, i);
  for (const auto& t : raw["agent-threshold"]) applyThreshold(c, t);

  if (auto list = last("agent-checks")) {
    std::string_view rest = *list;
    while (true) {
      const auto comma = rest.find(',');
      const std::string item = trim(rest.substr(0, comma));
      if (!item.empty()) c.check(checkNamed(item, "agent-checks")).enabled = true;
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
    check(std::any_of(c.checks.begin(), c.checks.end(), [](auto& k) { return k.enabled; }),
          "--agent-checks: no check named");
    check(!c.check(AgentCheck::SipOptions).enabled || ctx.sip,
          "--agent-checks: sip_options needs SIP on the peers (--sip-listen or --sip-base-port)");
    check(!c.check(AgentCheck::NatBehaviour).enabled || c.stunServer,
          "--agent-checks: nat_behaviour needs --agent-stun HOST:PORT");
  } else {
    c.check(AgentCheck::PeerHealth).enabled = true;
    c.check(AgentCheck::DhtLookup).enabled = true;
    c.check(AgentCheck::SipOptions).enabled = ctx.sip;
    c.check(AgentCheck::RtpQuality).enabled = ctx.rtpReflector;
    c.check(AgentCheck::NatBehaviour).enabled = c.stunServer.has_value();
  }
  return c;
}

}  // namespace p2pmon::overlay
