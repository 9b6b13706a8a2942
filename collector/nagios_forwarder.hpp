// Forwards committed results to the Nagios external command file (a FIFO
// that Nagios reads, or a plain file). It reads from the store's history by
// id and remembers how far it got in the store, so results wait in the
// database, not in memory, while the pipe has no reader, and survive a restart.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "collector/stats.hpp"
#include "collector/store_reader.hpp"

namespace p2pmon::collector {

class NagiosForwarder {
 public:
  NagiosForwarder(std::string commandFile, std::string dbPath, StoreReader& reader, Stats& stats);
  ~NagiosForwarder();

  void start();
  void stop();
  void notify(std::int64_t lastCommittedId);  // from the writer thread

 private:
  void run();
  std::size_t forwardSome();  // lines written this round (cursor_ advanced past them)
  bool ensureOpen();           // false while Nagios is not reading
  bool writeOut(const std::string& data, std::size_t& written);
  void closeFile();

  std::string path_;
  std::string dbPath_;
  StoreReader& reader_;
  Stats& stats_;
  int fd_ = -1;
  std::int64_t cursor_ = 0;
  std::int64_t committed_ = 0;
  std::string tail_;         // rest of a line the pipe took only in part
  std::int64_t tailId_ = 0;  // the result that line belongs to
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string lastProblem_;
  std::thread thread_;
};

}  // namespace p2pmon::collector
