#include "core/check_result.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace p2pmon::core {

State CheckResult::serviceState() const {
  return isHostCheck() ? hostStateAsServiceState(static_cast<int>(state)) : state;
}

bool isSafeName(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == ';') return false;
  }
  return true;
}

std::optional<Error> validate(const CheckResult& r, double now) {
  if (r.host.empty()) return makeError("missing_host", "host is empty");
  if (r.host.size() > kMaxNameLength) return makeError("name_too_long", "host name too long");
  if (r.service.size() > kMaxNameLength) return makeError("name_too_long", "service name too long");
  if (!isSafeName(r.host)) {
    return makeError("bad_name", "host name contains ';' or control characters");
  }
  if (!isSafeName(r.service)) {
    return makeError("bad_name", "service name contains ';' or control characters");
  }
  if (r.isHostCheck() && r.state == State::Unknown) {
    return makeError("bad_state", "host check state must be 0 (UP), 1 (DOWN) or 2 (UNREACHABLE)");
  }
  if (r.output.size() + r.perfdata.size() > kMaxOutputLength) {
    return makeError("output_too_long", "output and perfdata exceed 7168 bytes");
  }
  if (r.output.find('\0') != std::string::npos || r.perfdata.find('\0') != std::string::npos) {
    return makeError("bad_output", "output contains a NUL byte");
  }
  if (r.perfdata.find_first_of("\r\n|") != std::string::npos) {
    return makeError("bad_perfdata", "perfdata contains a line break or '|'");
  }
  if (r.source.size() > kMaxNameLength || !isSafeName(r.source)) {
    return makeError("bad_source", "source too long or contains control characters");
  }
  if (!std::isfinite(r.time) || r.time <= 0) return makeError("bad_time", "time is not a valid epoch");
  if (r.time > now + kMaxFutureSkewSeconds) {
    return makeError("time_in_future", "time is more than an hour ahead of the collector");
  }
  return std::nullopt;
}

nlohmann::json toJson(const CheckResult& r) {
  return nlohmann::json{{"host", r.host},         {"service", r.service},
                        {"state", static_cast<int>(r.state)},
                        {"output", r.output},     {"perfdata", r.perfdata},
                        {"time", r.time},         {"source", r.source}};
}

namespace {
Expected<std::string> stringField(const nlohmann::json& j, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return makeError("missing_field", std::string("missing field '") + key + "'");
    return std::string();
  }
  if (!it->is_string()) {
    return makeError("bad_type", std::string("field '") + key + "' must be a string");
  }
  return it->get<std::string>();
}
}  // namespace

Expected<CheckResult> fromJson(const nlohmann::json& j, double now) {
  if (!j.is_object()) return makeError("bad_type", "a result must be a JSON object");
  CheckResult r;
  struct Field {
    const char* key;
    std::string CheckResult::*member;
    bool required;
  };
  static constexpr Field kFields[] = {{"host", &CheckResult::host, true},
                                      {"service", &CheckResult::service, false},
                                      {"output", &CheckResult::output, true},
                                      {"perfdata", &CheckResult::perfdata, false},
                                      {"source", &CheckResult::source, false}};
  for (const auto& f : kFields) {
    auto value = stringField(j, f.key, f.required);
    if (!value) return value.error();
    r.*(f.member) = std::move(value).value();
  }

  auto st = j.find("state");
  if (st == j.end()) return makeError("missing_field", "missing field 'state'");
  if (!st->is_number_integer()) return makeError("bad_state", "state must be an integer 0..3");
  auto state = stateFromInt(st->get<long>());
  if (!state) return makeError("bad_state", "state must be an integer 0..3");
  r.state = *state;

  auto t = j.find("time");
  if (t == j.end() || t->is_null()) {
    r.time = now;
  } else if (t->is_number()) {
    r.time = t->get<double>();
  } else {
    return makeError("bad_time", "time must be a number of seconds since the epoch");
  }
  return r;
}

}  // namespace p2pmon::core
