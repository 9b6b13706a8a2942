// Nagios performance data: `'label'=value[UOM];[warn];[crit];[min];[max]`,
// space separated, per the monitoring-plugins developer guidelines.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace p2pmon::core {

struct PerfValue {
  std::string label;
  std::optional<double> value;  // nullopt: 'U', could not be determined
  std::string uom;              // "", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"
  std::string warn;             // range text, may be empty
  std::string crit;
  std::string min;
  std::string max;
  bool operator==(const PerfValue&) const = default;
};

// One item, label quoted when it needs to be, trailing empty fields dropped.
std::string formatPerfValue(const PerfValue& p);
// Several items joined by spaces.
std::string formatPerfdata(const std::vector<PerfValue>& items);
// Shortest decimal text that reads back as the same double ("1.8", "250").
std::string formatNumber(double v);

// Strict parse of a whole perfdata string; the error names the bad item.
Expected<std::vector<PerfValue>> parsePerfdata(std::string_view text);

// One item as views into the scanned text (no allocation). A quoted label
// that holds '' escapes is given raw; labelText() undoes them.
struct PerfItemView {
  std::string_view label;
  bool labelEscaped = false;
  std::optional<double> value;  // nullopt: 'U'
  std::string_view uom;
  std::string_view warn, crit, min, max;
  std::string labelText() const;
};

// The same strict parse as parsePerfdata, item by item, for hot paths (the
// collector reads metric points from every stored result). next() returns
// false at the end or at the first bad item; error() then says which.
class PerfdataScanner {
 public:
  explicit PerfdataScanner(std::string_view text) : text_(text) {}
  bool next(PerfItemView& item);
  bool failed() const { return !why_.empty(); }
  Error error() const;

 private:
  bool fail(std::string why);
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t items_ = 0;
  std::string why_;
};

}  // namespace p2pmon::core
