// The one place where p2pmon-peer's two event loops meet. sofia-sip is
// single-threaded per su_root: its root runs on a thread of its own here,
// and every sofia call happens on that thread. Other threads (the Asio
// io_context running the overlay engines, main) hand it work with post()
// or run(); the SIP side reaches the overlay with boost::asio::post
// (overlay_port.hpp). Nothing else crosses between the loops.
#pragma once

#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

struct su_root_s;

namespace p2pmon::overlay {

class SofiaLoop {
 public:
  // Starts the thread and its su_root; throws std::runtime_error when
  // sofia-sip cannot set up. One per process (su_init is process-wide).
  SofiaLoop();
  ~SofiaLoop();  // stop()
  SofiaLoop(const SofiaLoop&) = delete;
  SofiaLoop& operator=(const SofiaLoop&) = delete;

  // Queues fn to run on the sofia thread; from any thread. After stop()
  // it is dropped (its captures are released on the caller's thread).
  void post(std::function<void()> fn);
  // Runs fn on the sofia thread and waits for it; rethrows what it threw.
  // Not from the sofia thread itself.
  void run(const std::function<void()>& fn);
  // Runs what was posted before, stops the root and joins the thread;
  // idempotent. Objects holding sofia handles must be gone by then (destroy
  // them with run()).
  void stop();

  su_root_s* root() const { return root_; }
  bool onLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  friend struct SofiaLoopAccess;  // the su_root wakeup callback (sofia_loop.cpp)
  void main(std::promise<void>& started);
  void drain();

  su_root_s* root_ = nullptr;
  int eventFd_ = -1;
  std::mutex mutex_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace p2pmon::overlay
