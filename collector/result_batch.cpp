#include "collector/result_batch.hpp"

#include <array>
#include <charconv>
#include <cstring>
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

// One item's fields as they arrive (the last value of a key wins, as in a
// parsed document) and core::fromJson's checks on them. Both decoders below
// fill it, so they cannot disagree on codes and messages.
class ItemFields {
 public:
  void clear() { kinds_.fill(Kind::Missing); }
  // `text` is taken (moved from) when kind is String and the field is one.
  void set(Field field, Kind kind, std::string* text, long integer, double real) {
    if (field == kNone) return;
    kinds_[field] = kind;
    if (field < kStringFields && kind == Kind::String) strings_[field] = std::move(*text);
    if (field == kState) state_ = integer;
    if (field == kTime) time_ = real;
  }
  // The string field's buffer, for a decoder that writes the text in place.
  std::string& text(Field field) { return strings_[field]; }
  void setKind(Field field, Kind kind) { kinds_[field] = kind; }

  // core::fromJson's checks, in its order.
  core::Expected<core::CheckResult> finish(double now) {
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
      r.time = now;
    } else if (t == Kind::Integer || t == Kind::Float) {
      r.time = time_;
    } else {
      return core::makeError("bad_time", "time must be a number of seconds since the epoch");
    }
    return r;
  }

  static core::Expected<core::CheckResult> notObject() {
    return core::makeError("bad_type", "a result must be a JSON object");
  }

 private:
  std::array<Kind, kNone> kinds_{};
  std::array<std::string, kStringFields> strings_;
  long state_ = 0;
  double time_ = 0;
};

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
      out.items.emplace_back(ItemFields::notObject());
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
      fields_.clear();
    } else if (depth_ == itemDepth_ + 1 && itemIsObject_) {
      setField(Kind::Other);
    }
    ++depth_;
    return true;
  }

  bool close() {
    --depth_;
    if (depth_ == itemDepth_) {
      out.items.emplace_back(itemIsObject_ ? fields_.finish(now_) : ItemFields::notObject());
    }
    return true;
  }

  void setField(Kind kind) { fields_.set(field_, kind, text_, integer_, real_); }

  double now_;
  std::size_t depth_ = 0;      // containers open
  std::size_t itemDepth_ = 0;  // where items start: 0, or 1 inside a top-level array
  bool itemIsObject_ = false;
  Field field_ = kNone;
  ItemFields fields_;
  long integer_ = 0;
  double real_ = 0;
  json::string_t* text_ = nullptr;
};

// The fast path. nlohmann's lexer reads the body a byte at a time through an
// input adapter and push_back()s every byte of a string into a token buffer
// before handing over a copy: with the SAX decoder above, decoding was most
// of the HTTP threads' ~4 us per result and a quarter of the collector's
// CPU in the HTTP benchmark (perf); with this scanner the HTTP threads take
// ~1.2 us per result (receive, decode, validate, reply). It handles the
// shape agents send, an array of flat objects whose strings are ASCII with the
// one-character escapes, and copies each string once. Anything else (a
// single object, \u escapes, bytes >= 0x80, nested values, long integers,
// a body that is not JSON) makes it give up, and the SAX decoder then
// decodes the whole body: rare shapes cost what they did plus at most one
// more pass over the body, and only the common one needs to agree with
// nlohmann byte for byte (the tests compare both paths with a parsed
// document).
class Scanner {
 public:
  Scanner(std::string_view body, double now)
      : p_(body.data()), end_(body.data() + body.size()), now_(now) {}

  std::optional<ResultBatch> run() {
    ResultBatch out;
    out.isArray = true;
    space();
    if (!eat('[')) return std::nullopt;
    space();
    if (!eat(']')) {
      while (true) {
        space();
        if (!eat('{') || !object()) return std::nullopt;
        out.items.push_back(fields_.finish(now_));
        space();
        if (eat(',')) continue;
        if (eat(']')) break;
        return std::nullopt;
      }
    }
    space();
    if (p_ != end_) return std::nullopt;
    return out;
  }

 private:
  static bool plain(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  }
  static bool digit(char c) { return c >= '0' && c <= '9'; }
  void space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool eat(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  void digits() {
    while (p_ < end_ && digit(*p_)) ++p_;
  }

  // After '{', up to and with '}'; the fields land in fields_.
  bool object() {
    fields_.clear();
    space();
    if (eat('}')) return true;
    while (true) {
      space();
      if (!eat('"')) return false;
      const char* key = p_;
      while (p_ < end_ && plain(*p_)) ++p_;
      if (p_ == end_ || *p_ != '"') return false;  // escaped or non-ASCII key
      const Field field = fieldOf(std::string_view(key, static_cast<std::size_t>(p_ - key)));
      ++p_;
      space();
      if (!eat(':')) return false;
      space();
      if (!value(field)) return false;
      space();
      if (eat(',')) continue;
      return eat('}');
    }
  }

  bool value(Field field) {
    if (p_ == end_) return false;
    if (*p_ == '"') {
      ++p_;
      if (!string(field < kStringFields ? fields_.text(field) : scratch_)) return false;
      if (field != kNone) fields_.setKind(field, Kind::String);
      return true;
    }
    if (*p_ == '-' || digit(*p_)) return number(field);
    for (auto [word, kind] : {std::pair{std::string_view("null"), Kind::Null},
                              std::pair{std::string_view("true"), Kind::Other},
                              std::pair{std::string_view("false"), Kind::Other}}) {
      if (std::string_view(p_, static_cast<std::size_t>(end_ - p_)).starts_with(word)) {
        p_ += word.size();
        if (field != kNone) fields_.setKind(field, kind);
        return true;
      }
    }
    return false;  // objects and arrays as values: the SAX decoder's job
  }

  // After the opening quote, up to and with the closing one.
  bool string(std::string& out) {
    const char* run = p_;
    while (p_ < end_ && plain(*p_)) ++p_;
    out.assign(run, p_);
    while (p_ < end_) {
      if (*p_ == '"') {
        ++p_;
        return true;
      }
      if (*p_ != '\\' || p_ + 1 == end_) return false;  // control byte, >= 0x80, or the end
      const char* escaped = std::strchr(kEscapes, p_[1]);
      if (escaped == nullptr || p_[1] == '\0') return false;  // \u and invalid escapes
      out.push_back(kUnescaped[escaped - kEscapes]);
      p_ += 2;
      run = p_;
      while (p_ < end_ && plain(*p_)) ++p_;
      out.append(run, p_);
    }
    return false;
  }
  static constexpr const char* kEscapes = "\"\\/bfnrt";
  static constexpr const char* kUnescaped = "\"\\/\b\f\n\r\t";

  // JSON's number grammar; integers as nlohmann reports them (up to 18
  // digits, so that no overflow rule applies), the rest through from_chars,
  // correctly rounded as nlohmann's strtod.
  bool number(Field field) {
    const char* from = p_;
    eat('-');
    if (p_ == end_ || !digit(*p_)) return false;
    if (!eat('0')) digits();
    bool integral = true;
    if (eat('.')) {
      integral = false;
      if (p_ == end_ || !digit(*p_)) return false;
      digits();
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (!eat('+')) eat('-');
      if (p_ == end_ || !digit(*p_)) return false;
      digits();
    }
    if (integral) {
      long v = 0;
      if (p_ - from > 18 || std::from_chars(from, p_, v).ptr != p_) return false;
      fields_.set(field, Kind::Integer, nullptr, v, static_cast<double>(v));
      return true;
    }
    double v = 0;
    auto [ptr, ec] = std::from_chars(from, p_, v);
    if (ec != std::errc() || ptr != p_) return false;
    fields_.set(field, Kind::Float, nullptr, 0, v);
    return true;
  }

  const char* p_;
  const char* end_;
  double now_;
  ItemFields fields_;
  std::string scratch_;  // strings of fields nobody reads
};
}  // namespace

std::optional<ResultBatch> scanCommonResultBatch(std::string_view body, double now) {
  return Scanner(body, now).run();
}

std::optional<ResultBatch> decodeResultBatch(std::string_view body, double now) {
  if (auto fast = scanCommonResultBatch(body, now)) return fast;
  Decoder d(now);
  if (!json::sax_parse(body.begin(), body.end(), &d)) return std::nullopt;
  return std::move(d.out);
}

}  // namespace p2pmon::collector
