#include "collector/result_batch.hpp"

#include <array>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace p2pmon::collector {

namespace {
using nlohmann::json;

// The fields core::fromJson reads; the string ones in the order it checks
// them, then state and time.
enum Field : std::size_t { kHost, kService, kOutput, kPerfdata, kSource, kState, kTime, kNone };
constexpr std::size_t kStringFields = 5;
constexpr std::array<const char*, kNone> kNames = {"host",   "service", "output", "perfdata",
                                                   "source", "state",   "time"};
constexpr std::array<std::string core::CheckResult::*, kStringFields> kMembers = {
    &core::CheckResult::host, &core::CheckResult::service, &core::CheckResult::output,
    &core::CheckResult::perfdata, &core::CheckResult::source};
constexpr std::array<bool, kStringFields> kRequired = {true, false, true, false, false};

// What a field's (last, as in a parsed document) value was.
enum class Kind : unsigned char { Missing, Null, String, Integer, Float, Other };

Field fieldOf(std::string_view key) {
  for (std::size_t f = 0; f < kNone; ++f) {
    if (key == kNames[f]) return static_cast<Field>(f);
  }
  return kNone;
}

class Decoder {
 public:
  explicit Decoder(double now) : now_(now) {}
  ResultBatch out;

  // nlohmann's SAX interface; returning false stops the parse.
  bool null() { return scalar(Kind::Null); }
  bool boolean(bool) { return scalar(Kind::Other); }
  bool number_integer(json::number_integer_t v) {
    integer_ = static_cast<long>(v);
    real_ = static_cast<double>(v);
    return scalar(Kind::Integer);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    integer_ = static_cast<long>(v);  // as json::get<long>() converts it
    real_ = static_cast<double>(v);
    return scalar(Kind::Integer);
  }
  bool number_float(json::number_float_t v, const json::string_t&) {
    real_ = v;
    return scalar(Kind::Float);
  }
  bool string(json::string_t& s) {
    text_ = &s;
    return scalar(Kind::String);
  }
  bool binary(json::binary_t&) { return scalar(Kind::Other); }
  bool start_object(std::size_t) { return open(true); }
  bool start_array(std::size_t) { return open(false); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& k) {
    if (depth_ == itemDepth_ + 1) field_ = fieldOf(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  // A scalar where an item starts is not an object; in an item, it is the
  // value of the field named by the last key; deeper, it does not matter.
  bool scalar(Kind kind) {
    if (depth_ == itemDepth_) {
      out.items.emplace_back(notObject());
    } else if (depth_ == itemDepth_ + 1 && itemIsObject_) {
      setField(kind);
    }
    return true;
  }

  bool open(bool object) {
    if (depth_ == 0 && !object) {
      out.isArray = true;
      itemDepth_ = 1;
    } else if (depth_ == itemDepth_) {
      itemIsObject_ = object;
      kinds_.fill(Kind::Missing);
    } else if (depth_ == itemDepth_ + 1 && itemIsObject_) {
      setField(Kind::Other);
    }
    ++depth_;
    return true;
  }

  bool close() {
    --depth_;
    if (depth_ == itemDepth_) {
      out.items.emplace_back(itemIsObject_ ? finish() : notObject());
    }
    return true;
  }

  void setField(Kind kind) {
    if (field_ == kNone) return;
    kinds_[field_] = kind;
    if (field_ < kStringFields && kind == Kind::String) strings_[field_] = std::move(*text_);
    if (field_ == kState) state_ = integer_;
    if (field_ == kTime) time_ = real_;
  }

  static core::Expected<core::CheckResult> notObject() {
    return core::makeError("bad_type", "a result must be a JSON object");
  }

  // core::fromJson's checks, in its order.
  core::Expected<core::CheckResult> finish() {
    core::CheckResult r;
    for (std::size_t f = 0; f < kStringFields; ++f) {
      const Kind k = kinds_[f];
      if (k == Kind::Missing || k == Kind::Null) {
        if (kRequired[f]) {
          return core::makeError("missing_field", std::string("missing field '") + kNames[f] + "'");
        }
        continue;
      }
      if (k != Kind::String) {
        return core::makeError("bad_type",
                               std::string("field '") + kNames[f] + "' must be a string");
      }
      r.*kMembers[f] = std::move(strings_[f]);
    }
    if (kinds_[kState] == Kind::Missing) {
      return core::makeError("missing_field", "missing field 'state'");
    }
    std::optional<core::State> state;
    if (kinds_[kState] == Kind::Integer) state = core::stateFromInt(state_);
    if (!state) return core::makeError("bad_state", "state must be an integer 0..3");
    r.state = *state;
    const Kind t = kinds_[kTime];
    if (t == Kind::Missing || t == Kind::Null) {
      r.time = now_;
    } else if (t == Kind::Integer || t == Kind::Float) {
      r.time = time_;
    } else {
      return core::makeError("bad_time", "time must be a number of seconds since the epoch");
    }
    return r;
  }

  double now_;
  std::size_t depth_ = 0;      // containers open
  std::size_t itemDepth_ = 0;  // where items start: 0, or 1 inside a top-level array
  bool itemIsObject_ = false;
  Field field_ = kNone;
  std::array<Kind, kNone> kinds_{};
  std::array<std::string, kStringFields> strings_;
  long state_ = 0;
  double time_ = 0;
  long integer_ = 0;
  double real_ = 0;
  json::string_t* text_ = nullptr;
};
}  // namespace

std::optional<ResultBatch> decodeResultBatch(std::string_view body, double now) {
  Decoder d(now);
  if (!json::sax_parse(body.begin(), body.end(), &d)) return std::nullopt;
  return std::move(d.out);
}

}  // namespace p2pmon::collector
