#include "collector/nagios_config.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <utility>

namespace p2pmon::collector {

namespace {
constexpr std::string_view kIllegalNameChars = "`~!$%^&*|'\"<>?,()=;\\{}";
// Characters a value on a command line may not hold: Nagios would split it
// (`!` separates arguments, `$` starts a macro, `;` a comment) or hand the
// line to /bin/sh, which would interpret it.
constexpr std::string_view kIllegalValueChars = "`~!$^&*|'\"<>?()=;\\{}[]#";

bool plainBytes(std::string_view s, std::string_view illegal) {
  if (s.empty() || s.size() > 255) return false;
  return std::none_of(s.begin(), s.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || illegal.find(c) != std::string_view::npos;
  });
}

// For messages: printable ASCII as is, the rest as \xNN.
std::string shown(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '\\' || c == '\'') {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string seconds(double s) { return std::to_string(static_cast<long long>(std::llround(s))); }

using Fields = std::vector<std::pair<std::string, std::string>>;

void define(std::string& out, const char* kind, const Fields& fields) {
  out += "define ";
  out += kind;
  out += " {\n";
  for (const auto& [key, value] : fields) {
    out += "  ";
    out += key;
    out.append(key.size() < 24 ? 24 - key.size() : 1, ' ');
    out += value;
    out += '\n';
  }
  out += "}\n";
}

bool live(double newest, const NagiosConfigOptions& o) {
  return o.graceS <= 0 || newest >= o.now - o.graceS;
}

double intervalOf(const NagiosPassiveService& s) {
  return s.intervalS && *s.intervalS > 0 ? *s.intervalS : defaultIntervalS(s.service);
}
}  // namespace

double defaultIntervalS(std::string_view service) {
  if (service == "peer_health") return 60;
  if (service == "sip_options" || service == "dht_lookup") return 300;
  if (service == "rtp_quality") return 900;
  if (service == "nat_behaviour") return 3600;
  return 300;
}

std::optional<double> inferIntervalS(std::vector<double> times) {
  static constexpr std::array<double, 24> kRound{1,   2,   3,    5,    10,   15,   20,    30,
                                                 45,  60,  90,   120,  180,  300,  600,   900,
                                                 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
  std::sort(times.begin(), times.end(), std::greater<>());
  if (times.size() > 9) times.resize(9);
  std::vector<double> gaps;
  for (std::size_t i = 1; i < times.size(); ++i) gaps.push_back(times[i - 1] - times[i]);
  if (gaps.size() < 2) return std::nullopt;
  std::sort(gaps.begin(), gaps.end());
  const std::size_t n = gaps.size();
  const double median = n % 2 == 1 ? gaps[n / 2] : (gaps[n / 2 - 1] + gaps[n / 2]) / 2;
  if (median <= kRound.front()) return kRound.front();
  double best = kRound.front();
  for (double r : kRound)
    if (std::abs(std::log(median / r)) < std::abs(std::log(median / best))) best = r;
  return best;
}

double freshnessThresholdS(double intervalS) { return 3 * intervalS; }

bool isNagiosName(std::string_view name) { return plainBytes(name, kIllegalNameChars); }

core::Expected<bool> checkNagiosOptions(const NagiosConfigOptions& o) {
  auto bad = [](const std::string& what, const std::string& why) {
    return core::makeError("bad_option", what + ": " + why);
  };
  if (!plainBytes(o.pluginDir, kIllegalValueChars) || o.pluginDir.front() != '/')
    return bad("--nagios-plugin-dir", "an absolute path without spaces or shell characters");
  if (!plainBytes(o.collectorUrl, kIllegalValueChars) ||
      (o.collectorUrl.rfind("http://", 0) != 0 && o.collectorUrl.rfind("https://", 0) != 0))
    return bad("--nagios-collector-url", "an http:// or https:// URL without spaces or shell characters");
  if (!o.lookupAor.empty() &&
      (!plainBytes(o.lookupAor, kIllegalValueChars) ||
       (o.lookupAor.rfind("sip:", 0) != 0 && o.lookupAor.rfind("sips:", 0) != 0)))
    return bad("--nagios-lookup-aor", "a SIP AOR, sip:user@domain");
  if (!isNagiosName(o.overlayHost)) return bad("--nagios-overlay-host", "not a Nagios host name");
  if (!o.hostTemplate.empty() && !isNagiosName(o.hostTemplate))
    return bad("--nagios-host-template", "not a Nagios object name");
  if (!o.serviceTemplate.empty() && !isNagiosName(o.serviceTemplate))
    return bad("--nagios-service-template", "not a Nagios object name");
  if (o.checkInterval < 1 || o.retryInterval < 1 || o.maxCheckAttempts < 1)
    return bad("--nagios-check-interval/--nagios-retry-interval", "at least 1");
  if (!(o.graceS >= 0)) return bad("--nagios-grace", "seconds, 0 or more");
  return true;
}

NagiosConfig generateNagiosConfig(const NagiosInventory& inv, const NagiosConfigOptions& o) {
  NagiosConfig cfg;
  // Overlay name: a command argument and part of the default AOR.
  std::optional<std::string> overlay = inv.overlay;
  if (overlay && !plainBytes(*overlay, kIllegalValueChars)) {
    cfg.skipped.push_back("overlay '" + shown(*overlay) + "': not usable on a command line");
    overlay.reset();
  }

  // Hosts by name (first of duplicates), with their newest activity.
  std::map<std::string, NagiosHost> hosts;
  for (const auto& h : inv.hosts) hosts.emplace(h.host, h);
  std::map<std::string, std::vector<const NagiosPassiveService*>> services;
  for (const auto& s : inv.services) {
    auto [it, fresh] = hosts.try_emplace(s.host, NagiosHost{.host = s.host});
    it->second.lastCheck = std::max(it->second.lastCheck, s.lastCheck);
    services[s.host].push_back(&s);
  }
  std::string body;
  std::set<std::string> groups;  // service names with a servicegroup
  for (auto& [name, h] : hosts) {
    if (!live(std::max(h.lastSighting, h.lastCheck), o)) continue;
    if (!isNagiosName(name) || name == o.overlayHost) {
      cfg.skipped.push_back("host '" + shown(name) + "': not a Nagios host name");
      continue;
    }
    const bool usableAddress = h.address && plainBytes(*h.address, kIllegalValueChars);
    Fields f{{"use", "p2pmon-host"}, {"host_name", name}};
    f.emplace_back("alias", h.nodeId ? "p2pmon peer " + *h.nodeId : "p2pmon host " + name);
    if (usableAddress) f.emplace_back("address", *h.address);
    f.emplace_back("hostgroups", kPeersHostgroup);
    if (h.nodeId) f.emplace_back("_node_id", *h.nodeId);
    if (usableAddress && h.overlayPort) f.emplace_back("_overlay_port", std::to_string(*h.overlayPort));
    if (usableAddress && h.sipPort) f.emplace_back("_sip_port", std::to_string(*h.sipPort));
    body += '\n';
    define(body, "host", f);
    ++cfg.hosts;

    auto list = services[name];
    std::sort(list.begin(), list.end(),
              [](const auto* a, const auto* b) { return a->service < b->service; });
    std::set<std::string> taken;
    for (const auto* s : list) {
      if (!live(s->lastCheck, o) || !taken.insert(s->service).second) continue;
      if (!isNagiosName(s->service)) {
        cfg.skipped.push_back("service '" + shown(name) + "/" + shown(s->service) +
                              "': not a Nagios service description");
        continue;
      }
      const std::string threshold = seconds(freshnessThresholdS(intervalOf(*s)));
      define(body, "service",
             {{"use", "p2pmon-passive-service"},
              {"host_name", name},
              {"service_description", s->service},
              {"servicegroups", "p2pmon-" + s->service},
              {"check_command", "p2pmon_check_p2p_result!" + threshold},
              {"freshness_threshold", threshold}});
      groups.insert(s->service);
      ++cfg.passive;
    }
    const std::string& hostName = name;
    auto active = [&](const char* service, const std::string& command) {
      if (!taken.insert(service).second) return;
      define(body, "service",
             {{"use", "p2pmon-active-service"},
              {"host_name", hostName},
              {"service_description", service},
              {"servicegroups", std::string("p2pmon-") + service},
              {"check_command", command}});
      groups.insert(service);
      ++cfg.active;
    };
    if (usableAddress && h.sipPort) active(kSipService, "p2pmon_check_p2p_sip");
    // p2p_lookup through the peer: the operator's AOR for every peer, or
    // else the canary record the peer's own agent keeps while it runs
    // dht_lookup (a peer without it has no record known to exist).
    if (usableAddress && h.overlayPort && overlay) {
      if (!o.lookupAor.empty()) {
        active(kLookupService, "p2pmon_check_p2p_lookup!" + *overlay + "!" + o.lookupAor);
      } else if (h.nodeId && taken.contains(kCanaryService)) {
        active(kLookupService, "p2pmon_check_p2p_lookup_canary!" + *overlay);
      }
    }
  }

  std::string out =
      "# p2pmon Nagios object configuration, generated by p2pmon-collector\n"
      "# (--write-nagios-config, GET /api/v1/nagios/objects.cfg). Do not edit:\n"
      "# regenerate it (docs/operations.md, \"Nagios configuration\").\n";
  out += "# overlay " + (overlay ? *overlay : std::string("(no crawl)")) + ": " +
         std::to_string(cfg.hosts) + " hosts, " + std::to_string(cfg.passive) +
         " passive and " + std::to_string(cfg.active + (overlay ? 1 : 0)) +
         " active services; " + std::to_string(cfg.skipped.size()) + " left out\n\n";
  const std::string dir =
      !o.pluginDir.empty() && o.pluginDir.back() == '/' ? o.pluginDir : o.pluginDir + "/";
  define(out, "command",
         {{"command_name", "p2pmon_check_p2p_result"},
          {"command_line", dir + "check_p2p_result -U " + o.collectorUrl +
                               " -H $HOSTNAME$ -s $SERVICEDESC$ --max-age $ARG1$"}});
  define(out, "command",
         {{"command_name", "p2pmon_check_p2p_sip"},
          {"command_line", dir + "check_p2p_sip -H $HOSTADDRESS$ -p $_HOSTSIP_PORT$ -t 10"}});
  define(out, "command",
         {{"command_name", "p2pmon_check_p2p_lookup"},
          {"command_line", dir + "check_p2p_lookup -H $HOSTADDRESS$ -p $_HOSTOVERLAY_PORT$ "
                                 "--overlay $ARG1$ --aor $ARG2$ --timeout-state critical -t 10"}});
  define(out, "command",
         {{"command_name", "p2pmon_check_p2p_lookup_canary"},
          {"command_line", dir + "check_p2p_lookup -H $HOSTADDRESS$ -p $_HOSTOVERLAY_PORT$ "
                                 "--overlay $ARG1$ --canary $_HOSTNODE_ID$ "
                                 "--timeout-state critical -t 10"}});
  define(out, "command",
         {{"command_name", "p2pmon_check_p2p_overlay"},
          {"command_line",
           dir + "check_p2p_overlay -U " + o.collectorUrl + " --overlay $ARG1$ --max-age $ARG2$"}});

  // Templates: passive results arrive through the command file; a result
  // older than freshness_threshold makes Nagios run check_p2p_result, which
  // reports it stale (CRITICAL) or returns the newer state it holds.
  Fields host{{"name", "p2pmon-host"}, {"register", "0"}};
  if (!o.hostTemplate.empty()) host.emplace_back("use", o.hostTemplate);
  host.insert(host.end(), {{"max_check_attempts", "1"},
                           {"active_checks_enabled", "0"},
                           {"passive_checks_enabled", "1"},
                           {"check_freshness", "0"}});
  Fields passive{{"name", "p2pmon-passive-service"}, {"register", "0"}};
  if (!o.serviceTemplate.empty()) passive.emplace_back("use", o.serviceTemplate);
  passive.insert(passive.end(), {{"max_check_attempts", "1"},
                                 {"active_checks_enabled", "0"},
                                 {"passive_checks_enabled", "1"},
                                 {"check_freshness", "1"}});
  Fields activeTemplate{{"name", "p2pmon-active-service"}, {"register", "0"}};
  if (!o.serviceTemplate.empty()) activeTemplate.emplace_back("use", o.serviceTemplate);
  activeTemplate.insert(activeTemplate.end(),
                        {{"max_check_attempts", std::to_string(o.maxCheckAttempts)},
                         {"check_interval", std::to_string(o.checkInterval)},
                         {"retry_interval", std::to_string(o.retryInterval)},
                         {"active_checks_enabled", "1"},
                         {"passive_checks_enabled", "0"},
                         {"check_freshness", "0"}});
  out += '\n';
  define(out, "host", host);
  define(out, "service", passive);
  define(out, "service", activeTemplate);

  if (overlay) groups.insert(kOverlayService);
  out += '\n';
  if (cfg.hosts > 0)
    define(out, "hostgroup", {{"hostgroup_name", kPeersHostgroup}, {"alias", "p2pmon overlay peers"}});
  for (const auto& g : groups)
    define(out, "servicegroup", {{"servicegroup_name", "p2pmon-" + g}, {"alias", "p2pmon " + g}});

  if (overlay) {
    const double crawl = inv.crawlIntervalS.value_or(defaultIntervalS("overlay_neighbours"));
    out += '\n';
    define(out, "host", {{"use", "p2pmon-host"},
                         {"host_name", o.overlayHost},
                         {"alias", "p2pmon overlay " + *overlay}});
    define(out, "service",
           {{"use", "p2pmon-active-service"},
            {"host_name", o.overlayHost},
            {"service_description", kOverlayService},
            {"servicegroups", std::string("p2pmon-") + kOverlayService},
            {"check_command",
             "p2pmon_check_p2p_overlay!" + *overlay + "!" + seconds(freshnessThresholdS(crawl))}});
  }
  out += body;
  cfg.text = std::move(out);
  return cfg;
}

}  // namespace p2pmon::collector
