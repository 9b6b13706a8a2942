#include "core/perfdata.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace p2pmon::core {

std::string formatNumber(double v) {
  std::array<char, 64> buf{};
  auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc()) return "U";
  return std::string(buf.data(), ptr);
}

namespace {
bool labelNeedsQuotes(const std::string& label) {
  return label.find_first_of(" '=\t") != std::string::npos;
}

bool isUomChar(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '%'; }

bool isRangeText(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == ':' || c == '~' ||
          c == '@' || c == 'e' || c == 'E')) {
      return false;
    }
  }
  return true;
}
}  // namespace

std::string formatPerfValue(const PerfValue& p) {
  std::string out;
  if (labelNeedsQuotes(p.label)) {
    out += '\'';
    for (char c : p.label) {
      if (c == '\'') out += '\'';
      out += c;
    }
    out += '\'';
  } else {
    out += p.label;
  }
  out += '=';
  out += p.value ? formatNumber(*p.value) : "U";
  out += p.uom;
  std::array<const std::string*, 4> tail = {&p.warn, &p.crit, &p.min, &p.max};
  std::size_t last = 0;
  for (std::size_t i = 0; i < tail.size(); ++i) {
    if (!tail[i]->empty()) last = i + 1;
  }
  for (std::size_t i = 0; i < last; ++i) {
    out += ';';
    out += *tail[i];
  }
  return out;
}

std::string formatPerfdata(const std::vector<PerfValue>& items) {
  std::string out;
  for (const auto& p : items) {
    if (!out.empty()) out += ' ';
    out += formatPerfValue(p);
  }
  return out;
}

std::string PerfItemView::labelText() const {
  if (!labelEscaped) return std::string(label);
  std::string out;
  for (std::size_t i = 0; i < label.size(); ++i) {
    out += label[i];
    if (label[i] == '\'') ++i;  // '' stands for one quote
  }
  return out;
}

Error PerfdataScanner::error() const {
  return makeError("bad_perfdata", "perfdata item " + std::to_string(items_ + 1) + ": " + why_);
}

bool PerfdataScanner::fail(std::string why) {
  why_ = std::move(why);
  pos_ = text_.size();
  return false;
}

bool PerfdataScanner::next(PerfItemView& p) {
  const std::string_view text = text_;
  const std::size_t n = text.size();
  std::size_t i = pos_;
  while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
  pos_ = i;
  if (i >= n) return false;
  p = PerfItemView{};
  if (text[i] == '\'') {
    const std::size_t from = ++i;
    bool closed = false;
    while (i < n) {
      if (text[i] == '\'') {
        if (i + 1 < n && text[i + 1] == '\'') {
          p.labelEscaped = true;
          i += 2;
          continue;
        }
        p.label = text.substr(from, i - from);
        ++i;
        closed = true;
        break;
      }
      ++i;
    }
    if (!closed) return fail("unterminated quoted label");
  } else {
    const std::size_t from = i;
    while (i < n && text[i] != '=' && text[i] != ' ') ++i;
    p.label = text.substr(from, i - from);
  }
  if (p.label.empty()) return fail("empty label");
  if (i >= n || text[i] != '=') return fail("missing '=' after label");
  ++i;
  std::size_t end = text.find(' ', i);
  if (end == std::string_view::npos) end = n;
  std::string_view rest = text.substr(i, end - i);
  pos_ = end;

  std::array<std::string_view, 5> fields{};
  std::size_t nf = 0;
  while (true) {
    auto semi = rest.find(';');
    if (nf == fields.size()) return fail("too many ';' fields");
    fields[nf++] = rest.substr(0, semi);
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  std::string_view vu = fields[0];
  if (vu.empty()) return fail("missing value");
  if (vu.front() == 'U') {
    // 'U' (could not be determined), possibly followed by the item's UOM.
    for (char c : vu.substr(1)) {
      if (!isUomChar(c)) return fail("bad value '" + std::string(vu) + "'");
    }
    p.uom = vu.substr(1);
  } else {
    std::size_t k = vu.size();
    while (k > 0 && isUomChar(vu[k - 1])) --k;
    std::string_view num = vu.substr(0, k);
    if (num.empty()) return fail("bad value '" + std::string(vu) + "'");
    const char* b = num.data();
    if (*b == '+') ++b;
    double v = 0;
    auto [ptr, ec] = std::from_chars(b, num.data() + num.size(), v);
    if (ec != std::errc() || ptr != num.data() + num.size()) {
      return fail("bad value '" + std::string(vu) + "'");
    }
    if (!std::isfinite(v)) return fail("value is not finite");
    p.value = v;
    p.uom = vu.substr(k);
  }
  for (std::size_t f = 1; f < nf; ++f) {
    if (!isRangeText(fields[f]) && fields[f] != "U") {
      return fail("bad threshold or limit '" + std::string(fields[f]) + "'");
    }
  }
  if (nf > 1) p.warn = fields[1];
  if (nf > 2) p.crit = fields[2];
  if (nf > 3) p.min = fields[3];
  if (nf > 4) p.max = fields[4];
  ++items_;
  return true;
}

Expected<std::vector<PerfValue>> parsePerfdata(std::string_view text) {
  std::vector<PerfValue> items;
  PerfdataScanner scan(text);
  PerfItemView v;
  while (scan.next(v)) {
    items.push_back(PerfValue{v.labelText(), v.value, std::string(v.uom), std::string(v.warn),
                              std::string(v.crit), std::string(v.min), std::string(v.max)});
  }
  if (scan.failed()) return scan.error();
  return items;
}

}  // namespace p2pmon::core
