// The dashboard's static files (web/README.md), served from a directory at
// `/` next to the JSON API: `--web-root DIR`, by default the build's web/.
// Only plain file names are served (no `..`, no hidden files); API routes
// keep priority because only `/`, `/index.html` and `/assets/NAME` match.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace httplib {
class Server;
}  // namespace httplib

namespace p2pmon::collector {

// The file a URL path names inside the web root ("/" is index.html), or
// nullopt when it is not a plain relative name (`..`, hidden, odd bytes).
std::optional<std::string> webFilePath(std::string_view urlPath);
// Content-Type by extension; application/octet-stream for the rest.
std::string contentTypeFor(std::string_view file);
// Bundled assets carry a content hash in their names (app-3F2A9C1B.js):
// cached for a year; index.html and everything else revalidate.
std::string cacheControlFor(std::string_view file);

class WebRoot {
 public:
  explicit WebRoot(std::string dir) : dir_(std::move(dir)) {}
  // GET/HEAD `/`, `/index.html`, `/favicon.svg` and `/assets/NAME`. Without
  // DIR/index.html, `/` answers 503 with a text explaining why.
  void install(httplib::Server& server);

 private:
  std::string dir_;
};

}  // namespace p2pmon::collector
