#include "overlay-agent/sofia_loop.hpp"

#include <stdexcept>

#include <sys/eventfd.h>
#include <unistd.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include "core/log.hpp"

namespace p2pmon::overlay {

struct SofiaLoopAccess {
  // The eventfd became readable: something was posted.
  static int wakeup(su_root_magic_t*, su_wait_t*, su_wakeup_arg_t* arg) {
    static_cast<SofiaLoop*>(arg)->drain();
    return 0;
  }
};

SofiaLoop::SofiaLoop() {
  eventFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (eventFd_ < 0) throw std::runtime_error("sofia-sip loop: eventfd failed");
  std::promise<void> started;
  auto ready = started.get_future();
  thread_ = std::thread([this, &started] { main(started); });
  try {
    ready.get();
  } catch (...) {
    thread_.join();
    ::close(eventFd_);
    throw;
  }
}

SofiaLoop::~SofiaLoop() {
  stop();
  if (eventFd_ >= 0) ::close(eventFd_);
}

void SofiaLoop::main(std::promise<void>& started) {
  if (su_init() != 0) {
    started.set_exception(std::make_exception_ptr(std::runtime_error("su_init failed")));
    return;
  }
  root_ = su_root_create(nullptr);
  su_wait_t wait[1];
  if (root_ == nullptr || su_wait_create(wait, eventFd_, SU_WAIT_IN) != 0 ||
      su_root_register(root_, wait, SofiaLoopAccess::wakeup, this, 0) < 0) {
    if (root_ != nullptr) su_root_destroy(root_);
    root_ = nullptr;
    su_deinit();
    started.set_exception(
        std::make_exception_ptr(std::runtime_error("sofia-sip: cannot create su_root")));
    return;
  }
  started.set_value();
  su_root_run(root_);
  drain();  // what was posted before stop()
  su_root_destroy(root_);
  su_deinit();
}

void SofiaLoop::drain() {
  std::uint64_t count = 0;
  while (::read(eventFd_, &count, sizeof count) > 0) {
  }
  for (;;) {
    std::function<void()> fn;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) break;
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      fn();
    } catch (const std::exception& e) {
      core::logError(std::string("sofia-sip loop: ") + e.what());
    }
  }
  std::lock_guard lock(mutex_);
  if (stopping_ && root_ != nullptr) su_root_break(root_);
}

void SofiaLoop::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    queue_.push_back(std::move(fn));
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(eventFd_, &one, sizeof one);
}

void SofiaLoop::run(const std::function<void()>& fn) {
  std::promise<void> done;
  auto finished = done.get_future();
  post([&fn, &done] {
    try {
      fn();
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw std::runtime_error("sofia-sip loop stopped");
  }
  finished.get();
}

void SofiaLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(eventFd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

}  // namespace p2pmon::overlay
