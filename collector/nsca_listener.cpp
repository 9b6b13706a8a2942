#include "collector/nsca_listener.hpp"

#include <memory>
#include <vector>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/plugin_output.hpp"

namespace p2pmon::collector {

namespace asio = boost::asio;
using asio::ip::tcp;
namespace nsca = core::nsca;

namespace {
constexpr std::size_t kReadChunk = 16 * nsca::kPacketSize;
constexpr std::size_t kMaxLoggedPeers = 10'000;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, NscaListener& owner)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        owner_(owner),
        init_(owner.makeInit()),
        cipher_(owner.options().encryption, init_.iv, owner.options().password) {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    peer_ = ec ? "unknown" : ep.address().to_string();
    buf_.resize(kReadChunk + nsca::kPacketSize);
  }
  ~Session() { --owner_.stats().nscaActiveConnections; }

  void start() {
    // The server speaks first: 128-byte IV and timestamp.
    initBytes_ = nsca::encodeInit(init_);
    armTimer();
    asio::async_write(socket_, asio::buffer(initBytes_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        self->read();
                      });
  }

 private:
  void armTimer() {
    timer_.expires_after(owner_.options().idleTimeout);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->close();
    });
  }

  void read() {
    socket_.async_read_some(
        asio::buffer(buf_.data() + have_, buf_.size() - have_),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          self->onRead(ec, n);
        });
  }

  void onRead(boost::system::error_code ec, std::size_t n) {
    have_ += n;
    std::size_t off = 0;
    std::vector<core::CheckResult> accepted;
    while (have_ - off >= nsca::kPacketSize) {
      if (!decode(std::span(buf_.data() + off, nsca::kPacketSize), accepted)) {
        submit(std::move(accepted));
        return close();
      }
      off += nsca::kPacketSize;
    }
    if (off > 0) {
      std::memmove(buf_.data(), buf_.data() + off, have_ - off);
      have_ -= off;
    }
    if (ec) {
      // The stock server's rule: a connection closed right after 720 bytes
      // carried one legacy (nsca 2.7) packet.
      if (ec == asio::error::eof && have_ == nsca::kLegacyPacketSize) {
        decode(std::span(buf_.data(), nsca::kLegacyPacketSize), accepted);
      } else if (ec == asio::error::eof && have_ != 0) {
        owner_.reject(peer_, "bad_size",
                      "connection closed after " + std::to_string(have_) + " bytes of a packet");
      }
      submit(std::move(accepted));
      return close();
    }
    armTimer();
    if (!submit(std::move(accepted))) return;  // waiting for room; resumes reading itself
    read();
  }

  // Returns false when the connection must end.
  bool decode(std::span<const std::uint8_t> bytes, std::vector<core::CheckResult>& out) {
    auto p = nsca::decodeData(bytes, cipher_);
    if (!p) {
      owner_.reject(peer_, p.error().code, p.error().message);
      return false;
    }
    core::CheckResult r;
    r.host = std::move(p->host);
    r.service = std::move(p->service);
    auto state = core::stateFromInt(p->returnCode);
    if (!state) {
      owner_.reject(peer_, "bad_state", "return code " + std::to_string(p->returnCode));
      return true;
    }
    r.state = *state;
    auto split = core::splitPluginOutput(p->output);
    r.output = std::move(split.text);
    r.perfdata = std::move(split.perfdata);
    // The packet timestamp is only the init packet's echo (and nsca 2.10
    // never checks it): the check time is when the result arrived.
    r.time = core::nowSeconds();
    r.source = "nsca:" + peer_;
    if (auto invalid = core::validate(r, r.time)) {
      owner_.reject(peer_, invalid->code, invalid->message + " (host '" + r.host + "')");
      return true;
    }
    out.push_back(std::move(r));
    return true;
  }

  // Hands results to the writer; when its queue is full, holds them and
  // stops reading (TCP pushes back on the sender) until there is room.
  bool submit(std::vector<core::CheckResult> results) {
    if (results.empty()) return true;
    if (owner_.writer().trySubmit(std::move(results), Transport::Nsca)) return true;
    held_ = std::move(results);
    retryLater();
    return false;
  }

  void retryLater() {
    timer_.expires_after(std::chrono::milliseconds(20));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (!self->owner_.writer().trySubmit(std::move(self->held_), Transport::Nsca)) {
        return self->retryLater();
      }
      self->held_.clear();
      if (!self->closed_) {
        self->armTimer();
        self->read();
      }
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    if (held_.empty()) timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  NscaListener& owner_;
  nsca::InitPacket init_;
  nsca::Cipher cipher_;
  std::array<std::uint8_t, nsca::kInitPacketSize> initBytes_{};
  std::vector<std::uint8_t> buf_;
  std::size_t have_ = 0;
  std::string peer_;
  std::vector<core::CheckResult> held_;
  bool closed_ = false;
};
}  // namespace

NscaListener::NscaListener(NscaOptions options, IngestWriter& writer, Stats& stats)
    : options_(std::move(options)), writer_(writer), stats_(stats), acceptor_(io_),
      rng_(std::random_device{}()) {}

NscaListener::~NscaListener() { stop(); }

void NscaListener::start() {
  tcp::endpoint ep(asio::ip::make_address(options_.listen.host), options_.listen.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

void NscaListener::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  // Sessions end on their own within the idle timeout; do not wait for that.
  io_.stop();
  thread_.join();
}

nsca::InitPacket NscaListener::makeInit() {
  // Unlike nsca's one-byte seed, the whole IV comes from a seeded 64-bit
  // generator (only used on the I/O thread).
  nsca::InitPacket init;
  for (std::size_t i = 0; i < init.iv.size(); i += 8) {
    std::uint64_t v = rng_();
    for (std::size_t k = 0; k < 8; ++k) init.iv[i + k] = static_cast<std::uint8_t>(v >> (8 * k));
  }
  init.timestamp = static_cast<std::uint32_t>(core::nowSeconds());
  return init;
}

void NscaListener::reject(const std::string& peer, const std::string& reason,
                          const std::string& detail) {
  stats_.rejected(Transport::Nsca, reason);
  std::lock_guard lock(logMutex_);
  if (loggedPeers_.size() >= kMaxLoggedPeers) loggedPeers_.clear();
  if (loggedPeers_.insert(peer).second) {
    core::logWarning("nsca: dropped packet from " + peer + ": " + reason + ": " + detail +
                     " (further drops from this address are counted, not logged)");
  }
}

void NscaListener::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      ++stats_.nscaConnections;
      if (static_cast<std::size_t>(stats_.nscaActiveConnections.load()) >=
          options_.maxConnections) {
        stats_.rejected(Transport::Nsca, "too_many_connections");
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        ++stats_.nscaActiveConnections;
        socket.set_option(tcp::no_delay(true));
        std::make_shared<Session>(std::move(socket), *this)->start();
      }
    }
    accept();
  });
}

}  // namespace p2pmon::collector
