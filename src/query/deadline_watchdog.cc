#include "query/deadline_watchdog.h"

#include <utility>

namespace timestore::query {
namespace {
// How often an expired connection is interrupted again, until its guard goes.
constexpr auto kReinterruptEvery = std::chrono::milliseconds(5);
}  // namespace

DeadlineWatchdog::DeadlineWatchdog(const common::Clock& clock)
    : clock_(clock), thread_([this](const std::stop_token& stop) { Run(stop); }) {}

DeadlineWatchdog::~DeadlineWatchdog() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

DeadlineWatchdog::Guard DeadlineWatchdog::Watch(duck::Connection& connection,
                                                Clock::time_point deadline) {
  uint64_t id = 0;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    entries_.emplace(id, Entry{&connection, deadline});
    ++generation_;
  }
  wake_.notify_all();
  return Guard(this, id);
}

void DeadlineWatchdog::Remove(uint64_t id) {
  std::lock_guard lock(mu_);
  entries_.erase(id);
}

bool DeadlineWatchdog::Expired(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.expired;
}

void DeadlineWatchdog::Run(const std::stop_token& stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    const Clock::time_point now = clock_.Steady();
    Clock::time_point next = Clock::time_point::max();
    for (auto& [id, entry] : entries_) {
      if (entry.deadline <= now) {
        entry.expired = true;
        // Interrupt is thread-safe; the guard (which removes the entry under mu_) keeps the
        // connection alive meanwhile.
        entry.connection->Interrupt();
        next = std::min(next, now + kReinterruptEvery);
      } else {
        next = std::min(next, entry.deadline);
      }
    }
    const uint64_t seen = generation_;
    clock_.WaitUntil(lock, wake_, stop, next, [&] { return generation_ != seen; });
  }
}

DeadlineWatchdog::Guard::Guard(Guard&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), id_(other.id_) {}

DeadlineWatchdog::Guard& DeadlineWatchdog::Guard::operator=(Guard&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) owner_->Remove(id_);
    owner_ = std::exchange(other.owner_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

DeadlineWatchdog::Guard::~Guard() {
  if (owner_ != nullptr) owner_->Remove(id_);
}

bool DeadlineWatchdog::Guard::expired() const { return owner_ != nullptr && owner_->Expired(id_); }

}  // namespace timestore::query
