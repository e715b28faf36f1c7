#include "harness/cleanup_registry.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>

#include <unistd.h>

namespace timestore::harness {

namespace {

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

CleanupRegistry::CleanupRegistry() {
  const sigset_t set = HandledSignals();
  // Threads started later inherit the mask, so only the watcher ever receives these signals.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  watcher_ = std::jthread([this](const std::stop_token& stop) { Watch(stop); });
}

CleanupRegistry::~CleanupRegistry() {
  watcher_.request_stop();
  watcher_.join();
  const sigset_t set = HandledSignals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

CleanupRegistry::Id CleanupRegistry::Add(std::function<void()> action) {
  std::lock_guard lock(mu_);
  const Id id = next_id_++;
  actions_.emplace(id, std::move(action));
  return id;
}

void CleanupRegistry::Remove(Id id) {
  std::lock_guard lock(mu_);
  actions_.erase(id);
}

void CleanupRegistry::Watch(const std::stop_token& stop) {
  const sigset_t set = HandledSignals();
  const timespec poll = {0, 200L * 1000 * 1000};
  while (!stop.stop_requested()) {
    const int sig = sigtimedwait(&set, nullptr, &poll);
    if (sig < 0) continue;  // timeout or EINTR
    std::fprintf(stderr, "\n%s: signal %d, cleaning up\n", program_invocation_short_name, sig);
    std::lock_guard lock(mu_);  // held until _exit: owners cannot clean up concurrently
    for (auto it = actions_.rbegin(); it != actions_.rend(); ++it) it->second();
    std::fflush(nullptr);
    ::_exit(128 + sig);
  }
}

}  // namespace timestore::harness
