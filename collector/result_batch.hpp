// The body of POST /api/v1/results (one result object, or an array of
// them) decoded straight into check results through nlohmann's SAX
// interface: the same rules, codes and messages as core::fromJson on a
// parsed document, without building the document (half of the HTTP ingest
// cost). Bodies in the common shape take a faster scanner first. Pure.
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

// The fast path alone (what decodeResultBatch tries first): an array of flat
// objects with ASCII strings and one-character escapes. nullopt when the
// body is anything else, valid JSON or not; the full decoder handles it.
std::optional<ResultBatch> scanCommonResultBatch(std::string_view body, double now);

}  // namespace p2pmon::collector
