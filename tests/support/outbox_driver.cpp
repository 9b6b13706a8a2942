// Test driver for the agent's outbox (tests/integration/agent_spool_test.py):
// submits results numbered FROM..COUNT-1 through makeOutbox at RATE per
// second, one per submit: host "drv-host", service "seq", output "n=<i>",
// time T0 + i * STEP (so a number submitted again is an exact duplicate).
//
//   outbox_driver (--http URL [--token T] | --nsca HOST:PORT [--password P])
//                 --spool DIR [--from 0] --count N [--rate 100] [--t0 EPOCH]
//                 [--step 0.01] [--batch 50] [--flush-ms 200] [--grace-ms 5000]
//
// stdout, one line each, flushed: "ready", "submitted <i>" after submit()
// returned, "done" after the last; SIGUSR1 pauses submitting ("paused
// next=<i>"), SIGUSR2 resumes it ("resumed"); once nothing is queued any
// more while paused or done: "drained".
// SIGTERM: stop(grace), a "stats ..." line, exit 0. Exit 2: bad options or
// makeOutbox failed (its error on stderr).
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <string>

#include "core/address.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "overlay-agent/result_pusher.hpp"

using namespace p2pmon;

namespace {
int usage(const std::string& why) {
  std::cerr << "outbox_driver: " << why << "\n";
  return 2;
}
}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt{{"--from", "0"},     {"--rate", "100"},
                                         {"--step", "0.01"},  {"--batch", "50"},
                                         {"--flush-ms", "200"}, {"--grace-ms", "5000"}};
  for (int i = 1; i + 1 < argc; i += 2) opt[argv[i]] = argv[i + 1];
  if (argc % 2 != 1) return usage("options come in pairs");
  agent::PushConfig config;
  long from = 0, count = 0, batch = 0, flushMs = 0, graceMs = 0;
  double rate = 0, step = 0, t0 = 0;
  try {
    if (opt.contains("--http")) config.httpUrl = opt["--http"];
    if (opt.contains("--token")) config.token = opt["--token"];
    if (opt.contains("--nsca")) {
      auto hp = core::parseHostPort(opt["--nsca"]);
      if (!hp) return usage(hp.error().message);
      config.nsca = *hp;
    }
    if (opt.contains("--password")) config.nscaPassword = opt["--password"];
    if (!opt.contains("--spool") || !opt.contains("--count")) return usage("--spool and --count are needed");
    config.spoolDir = opt["--spool"];
    from = std::stol(opt["--from"]);
    count = std::stol(opt["--count"]);
    rate = std::stod(opt["--rate"]);
    step = std::stod(opt["--step"]);
    t0 = opt.contains("--t0") ? std::stod(opt["--t0"]) : std::floor(core::nowSeconds());
    batch = std::stol(opt["--batch"]);
    flushMs = std::stol(opt["--flush-ms"]);
    graceMs = std::stol(opt["--grace-ms"]);
  } catch (const std::exception& e) {
    return usage(std::string("bad option value: ") + e.what());
  }
  if (rate <= 0 || batch <= 0) return usage("--rate and --batch must be positive");
  config.batchSize = static_cast<std::size_t>(batch);
  config.flushInterval = std::chrono::milliseconds(flushMs);

  // Blocked in every thread (the pusher's inherits the mask), taken with
  // sigtimedwait below: no handler runs at an awkward moment.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto outbox = agent::makeOutbox(config);
  if (!outbox) return usage(outbox.error().code + ": " + outbox.error().message);
  std::cout << "ready" << std::endl;
  if (from >= count) std::cout << "done" << std::endl;

  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
  auto nextAt = Clock::now();
  long next = from;
  bool paused = false;
  bool drainedShown = false;
  while (true) {
    const bool submitting = !paused && next < count;
    if (submitting && Clock::now() >= nextAt) {
      core::CheckResult r;
      r.host = "drv-host";
      r.service = "seq";
      r.state = core::State::Ok;
      r.output = "n=" + std::to_string(next);
      r.time = t0 + static_cast<double>(next) * step;
      r.source = "outbox_driver";
      (*outbox)->submit({r});
      std::cout << "submitted " << next << std::endl;
      ++next;
      nextAt += interval;
      if (next == count) std::cout << "done" << std::endl;
      continue;
    }
    if (!submitting && !drainedShown && (paused || next >= count) &&
        (*outbox)->stats().queued == 0) {
      std::cout << "drained" << std::endl;
      drainedShown = true;
    }
    auto wait = submitting ? nextAt - Clock::now() : std::chrono::milliseconds(20);
    if (wait < Clock::duration::zero()) wait = Clock::duration::zero();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    const int sig = sigtimedwait(&signals, nullptr, &ts);
    if (sig == SIGUSR1) {
      paused = true;
      drainedShown = false;
      std::cout << "paused next=" << next << std::endl;
    } else if (sig == SIGUSR2 && paused) {
      paused = false;
      drainedShown = false;
      nextAt = Clock::now();
      std::cout << "resumed" << std::endl;
    } else if (sig == SIGTERM || sig == SIGINT) {
      break;
    }
  }
  (*outbox)->stop(std::chrono::milliseconds(graceMs));
  const auto s = (*outbox)->stats();
  std::cout << "stats submitted=" << s.submitted << " sent=" << s.sent << " rejected=" << s.rejected
            << " dropped=" << s.droppedFull << " queued=" << s.queued
            << " send_failures=" << s.sendFailures << std::endl;
  return 0;
}
