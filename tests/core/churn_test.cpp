#include <doctest/doctest.h>

#include "core/churn.hpp"

using namespace p2pmon::core;

TEST_CASE("churn: joined, left and restarted between two crawls, duplicates once") {
  const NodeId a{1, 0}, b{2, 0}, c{3, 0}, d{4, 0};
  // a stays up, b left, c restarted (up 10 s, 60 s after the last crawl), d joined.
  const std::vector<UptimePeer> before{{a, 100.0}, {b, 5.0}, {c, 500.0}, {b, 5.0}};
  const std::vector<UptimePeer> now{{a, 160.0}, {c, 10.0}, {d, 1.0}, {d, 1.0}};
  const auto ch = compareCrawls(before, now, 60);
  CHECK(ch.joined == std::vector<NodeId>{d});
  CHECK(ch.left == std::vector<NodeId>{b});
  CHECK(ch.restarted == std::vector<NodeId>{c});
  // Up less than it was then counts too, whatever the age; unknown uptimes never do.
  CHECK(compareCrawls({{a, 100.0}}, {{a, 50.0}}, 0).restarted.size() == 1);
  CHECK(compareCrawls({{a, std::nullopt}}, {{a, std::nullopt}}, 1000).restarted.empty());
}
