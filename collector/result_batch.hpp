// The body of POST /api/v1/results (one result object, or an array of
// them) decoded straight into check results through nlohmann's SAX
// interface: the same rules, codes and messages as core::fromJson on a
// parsed document, without building the document (half of the HTTP ingest
// cost). Pure.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/check_result.hpp"
#include "core/expected.hpp"

namespace p2pmon::collector {

struct ResultBatch {
  bool isArray = false;                                  // false: the body was one value, items[0]
  std::vector<core::Expected<core::CheckResult>> items;  // in request order
};

// nullopt when the body is not JSON (then nothing in it counts).
std::optional<ResultBatch> decodeResultBatch(std::string_view body, double now);

}  // namespace p2pmon::collector
