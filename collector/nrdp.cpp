#include "collector/nrdp.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

#include "core/plugin_output.hpp"

namespace p2pmon::collector {

using core::makeError;

namespace {
constexpr std::size_t kMaxNrdpItems = 100'000;

core::Expected<core::CheckResult> parseItem(const nlohmann::json& item, double now,
                                            const std::string& source) {
  if (!item.is_object()) return makeError("bad_type", "a checkresult must be an object");
  std::string type = "host";
  if (auto cr = item.find("checkresult"); cr != item.end() && cr->is_object()) {
    type = cr->value("type", std::string("host"));
  } else if (auto t = item.find("type"); t != item.end() && t->is_string()) {
    type = t->get<std::string>();
  }
  core::CheckResult r;
  auto host = item.find("hostname");
  if (host == item.end() || !host->is_string()) {
    return makeError("missing_field", "missing field 'hostname'");
  }
  r.host = host->get<std::string>();
  if (type == "service") {
    auto svc = item.find("servicename");
    if (svc == item.end() || !svc->is_string() || svc->get<std::string>().empty()) {
      return makeError("missing_field", "service result without 'servicename'");
    }
    r.service = svc->get<std::string>();
  } else if (type != "host") {
    return makeError("bad_type", "checkresult type must be 'host' or 'service'");
  }
  // NRDP clients send the state as a string ("1") or a number.
  long state = -1;
  if (auto st = item.find("state"); st != item.end()) {
    if (st->is_number_integer()) {
      state = st->get<long>();
    } else if (st->is_string()) {
      const auto& s = st->get_ref<const std::string&>();
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), state);
      if (ec != std::errc() || ptr != s.data() + s.size()) state = -1;
    }
  }
  auto parsed = core::stateFromInt(state);
  if (!parsed) return makeError("bad_state", "state must be 0..3");
  r.state = *parsed;
  auto out = item.find("output");
  std::string raw = out != item.end() && out->is_string() ? out->get<std::string>() : "";
  auto split = core::splitPluginOutput(raw);
  r.output = std::move(split.text);
  r.perfdata = std::move(split.perfdata);
  r.time = now;
  r.source = source;
  return r;
}
}  // namespace

core::Expected<std::vector<NrdpItem>> parseNrdpJson(std::string_view text, double now,
                                                    const std::string& source) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return makeError("bad_json", "BAD JSON");
  auto list = doc.find("checkresults");
  if (list == doc.end() || !list->is_array()) return makeError("bad_json", "BAD JSON");
  if (list->size() > kMaxNrdpItems) return makeError("too_large", "TOO MANY CHECK RESULTS");
  std::vector<NrdpItem> items;
  items.reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    items.push_back({i, parseItem((*list)[i], now, source)});
  }
  return items;
}

std::string nrdpJsonReply(int status, const std::string& message, const std::string& output) {
  nlohmann::json result{{"status", status}, {"message", message}};
  if (!output.empty()) result["meta"] = {{"output", output}};
  return nlohmann::json{{"result", result}}.dump();
}

namespace {
std::string xmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      default: out += c;
    }
  }
  return out;
}
}  // namespace

std::string nrdpXmlReply(int status, const std::string& message, const std::string& output) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<result>\n  <status>" +
                    std::to_string(status) + "</status>\n  <message>" + xmlEscape(message) +
                    "</message>\n";
  if (!output.empty()) xml += "  <meta>\n    <output>" + xmlEscape(output) + "</output>\n  </meta>\n";
  return xml + "</result>\n";
}

std::string nrdpHelloReply(const std::string& version) {
  return nlohmann::json{{"response",
                         {{"status", 0},
                          {"message", "OK"},
                          {"product", "p2pmon-collector"},
                          {"version", version}}}}
      .dump();
}

}  // namespace p2pmon::collector
