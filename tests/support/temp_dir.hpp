// Scratch space for tests: a fresh directory under the system's temporary
// directory (mkdtemp), removed with everything in it at the end of scope.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace p2pmon::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "p2pmon-test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp " + tmpl + " failed");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path / name).string(); }

  std::filesystem::path path;
};

// A database file in a TempDir of its own.
struct TempDb {
  TempDir dir{"p2pmon-db"};
  std::string path = dir.file("test.db");
};

}  // namespace p2pmon::test
