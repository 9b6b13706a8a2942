// NSCA 2.9/2.10 server on Boost.Asio: many connections at once, many packets
// per connection, 4304- and 720-byte packets exactly as the stock send_nsca
// sends them. Error policy for untrusted peers: a packet with a bad size,
// version, CRC or password is dropped and counted, logged once per peer
// address, and ends its own connection (as in the stock nsca, since the
// rest of that stream cannot be trusted); other connections never notice.
#pragma once

#include <utility>  // before Boost.Asio: Boost 1.74 + C++20 needs it (toolchain.md)

#include <boost/asio.hpp>

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_set>

#include "collector/ingest_writer.hpp"
#include "collector/stats.hpp"
#include "core/address.hpp"
#include "core/nsca_codec.hpp"

namespace p2pmon::collector {

struct NscaOptions {
  core::HostPort listen{"127.0.0.1", 5667};
  std::string password;
  core::nsca::Encryption encryption = core::nsca::Encryption::Xor;
  std::chrono::seconds idleTimeout{10};  // nsca's DEFAULT_SOCKET_TIMEOUT
  std::size_t maxConnections = 1024;
};

class NscaListener {
 public:
  NscaListener(NscaOptions options, IngestWriter& writer, Stats& stats);
  ~NscaListener();

  // Binds (port 0 picks a free port) and starts the I/O thread.
  void start();
  // Stops accepting, closes connections, joins the thread.
  void stop();
  std::uint16_t port() const { return port_; }

  // Session plumbing (used by the connection objects in the .cpp).
  void reject(const std::string& peer, const std::string& reason, const std::string& detail);
  core::nsca::InitPacket makeInit();
  const NscaOptions& options() const { return options_; }
  IngestWriter& writer() { return writer_; }
  Stats& stats() { return stats_; }

 private:
  void accept();

  NscaOptions options_;
  IngestWriter& writer_;
  Stats& stats_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mt19937_64 rng_;
  std::mutex logMutex_;
  std::unordered_set<std::string> loggedPeers_;
};

}  // namespace p2pmon::collector
