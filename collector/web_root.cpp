#include "collector/web_root.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <httplib.h>

namespace p2pmon::collector {

namespace {
constexpr std::uintmax_t kMaxFileBytes = 16 << 20;  // the bundle is ~100 KiB

bool endsWith(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

bool plainName(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.size() > 128) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos;
}
}  // namespace

std::optional<std::string> webFilePath(std::string_view urlPath) {
  if (urlPath == "/" || urlPath.empty()) return std::string("index.html");
  if (urlPath.front() != '/') return std::nullopt;
  urlPath.remove_prefix(1);
  std::string_view dir;
  if (urlPath.starts_with("assets/")) {
    dir = "assets/";
    urlPath.remove_prefix(dir.size());
  }
  if (!plainName(urlPath)) return std::nullopt;
  return std::string(dir) + std::string(urlPath);
}

std::string contentTypeFor(std::string_view file) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"}};
  for (const auto& [ext, type] : kTypes)
    if (endsWith(file, ext)) return std::string(type);
  return "application/octet-stream";
}

std::string cacheControlFor(std::string_view file) {
  // assets/NAME-XXXXXXXX.EXT: esbuild's [name]-[hash] (web/build.mjs).
  if (file.starts_with("assets/")) {
    const auto dot = file.rfind('.');
    const auto dash = file.rfind('-', dot);
    if (dot != std::string_view::npos && dash != std::string_view::npos && dot - dash - 1 == 8)
      return "public, max-age=31536000, immutable";
  }
  return "no-cache";
}

void WebRoot::install(httplib::Server& s) {
  auto serve = [this](const httplib::Request& req, httplib::Response& res) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_regular_file(fs::path(dir_) / "index.html", ec)) {
      res.status = 503;
      res.set_header("Cache-Control", "no-store");
      res.set_content("p2pmon-collector: the dashboard is not installed: " + dir_ +
                          "/index.html is missing. Build it (the web_dashboard target of the "
                          "CMake build, web/README.md) or start the collector with --web-root "
                          "DIR. The JSON API under /api/v1/ works without it.\n",
                      "text/plain; charset=utf-8");
      return;
    }
    const auto name = webFilePath(req.path);
    const fs::path file = name ? fs::path(dir_) / *name : fs::path();
    const auto size = name ? fs::file_size(file, ec) : 0;
    if (!name || ec || !fs::is_regular_file(file, ec) || size > kMaxFileBytes) {
      res.status = 404;
      res.set_content("not found\n", "text/plain; charset=utf-8");
      return;
    }
    const auto mtime = fs::last_write_time(file, ec).time_since_epoch().count();
    std::ostringstream tag;
    tag << '"' << std::hex << size << '-' << mtime << '"';
    res.set_header("Cache-Control", cacheControlFor(*name));
    res.set_header("ETag", tag.str());
    if (req.get_header_value("If-None-Match") == tag.str()) {
      res.status = 304;
      return;
    }
    std::ifstream in(file, std::ios::binary);
    std::string body(static_cast<std::size_t>(size), '\0');
    if (!in.read(body.data(), static_cast<std::streamsize>(body.size()))) {
      res.status = 500;
      res.set_content("cannot read " + *name + "\n", "text/plain; charset=utf-8");
      return;
    }
    res.status = 200;
    res.set_content(std::move(body), contentTypeFor(*name));
  };
  // Only these shapes: anything else (the API, /metrics, /nrdp/) is never shadowed.
  s.Get("/", serve);
  s.Get(R"(/(index\.html|favicon\.svg|assets/[A-Za-z0-9._-]{1,128}))", serve);
}

}  // namespace p2pmon::collector
