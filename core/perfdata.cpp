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

bool isNumberText(std::string_view s) {
  if (s.empty()) return false;
  double v = 0;
  const char* b = s.data();
  if (*b == '+') ++b;
  auto [ptr, ec] = std::from_chars(b, s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size();
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

Expected<std::vector<PerfValue>> parsePerfdata(std::string_view text) {
  std::vector<PerfValue> items;
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto bad = [&](std::string_view why) {
    return makeError("bad_perfdata", "perfdata item " + std::to_string(items.size() + 1) + ": " +
                                         std::string(why));
  };
  while (i < n) {
    while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= n) break;
    PerfValue p;
    if (text[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < n) {
        if (text[i] == '\'') {
          if (i + 1 < n && text[i + 1] == '\'') {
            p.label += '\'';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        p.label += text[i++];
      }
      if (!closed) return bad("unterminated quoted label");
    } else {
      while (i < n && text[i] != '=' && text[i] != ' ') p.label += text[i++];
    }
    if (p.label.empty()) return bad("empty label");
    if (i >= n || text[i] != '=') return bad("missing '=' after label");
    ++i;
    std::size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = n;
    std::string_view rest = text.substr(i, end - i);
    i = end;

    std::array<std::string_view, 5> fields{};
    std::size_t nf = 0;
    while (true) {
      auto semi = rest.find(';');
      if (nf == fields.size()) return bad("too many ';' fields");
      fields[nf++] = rest.substr(0, semi);
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
    std::string_view vu = fields[0];
    if (vu.empty()) return bad("missing value");
    if (vu.front() == 'U') {
      // 'U' (could not be determined), possibly followed by the item's UOM.
      for (char c : vu.substr(1)) {
        if (!isUomChar(c)) return bad("bad value '" + std::string(vu) + "'");
      }
      p.value = std::nullopt;
      p.uom = std::string(vu.substr(1));
    } else {
      std::size_t k = vu.size();
      while (k > 0 && isUomChar(vu[k - 1])) --k;
      std::string_view num = vu.substr(0, k);
      if (!isNumberText(num)) return bad("bad value '" + std::string(vu) + "'");
      double v = 0;
      const char* b = num.data();
      if (*b == '+') ++b;
      std::from_chars(b, num.data() + num.size(), v);
      if (!std::isfinite(v)) return bad("value is not finite");
      p.value = v;
      p.uom = std::string(vu.substr(k));
    }
    for (std::size_t f = 1; f < nf; ++f) {
      if (!isRangeText(fields[f]) && fields[f] != "U") {
        return bad("bad threshold or limit '" + std::string(fields[f]) + "'");
      }
    }
    if (nf > 1) p.warn = std::string(fields[1]);
    if (nf > 2) p.crit = std::string(fields[2]);
    if (nf > 3) p.min = std::string(fields[3]);
    if (nf > 4) p.max = std::string(fields[4]);
    items.push_back(std::move(p));
  }
  return items;
}

}  // namespace p2pmon::core
