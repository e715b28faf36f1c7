// DeadlineWatchdog: stops DuckDB statements that run past their deadline. Watch() registers a
// connection until the returned guard is destroyed; once the deadline passes, one background thread
// interrupts the connection (duckdb_interrupt) and keeps interrupting it every few milliseconds
// until the guard goes, since an interrupt that arrives between two statements is lost.
// Deadlines are read on a common::Clock (tests pass a fake). Thread-safe; the watchdog (and its
// clock) must outlive its guards, and a watched connection must outlive its guard.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "duck/connection.h"

namespace timestore::query {

class DeadlineWatchdog {
 public:
  using Clock = std::chrono::steady_clock;

  explicit DeadlineWatchdog(const common::Clock& clock = common::SystemClock());
  ~DeadlineWatchdog();  // stops the thread; every guard must be gone
  DeadlineWatchdog(const DeadlineWatchdog&) = delete;
  DeadlineWatchdog& operator=(const DeadlineWatchdog&) = delete;

  class Guard {
   public:
    Guard() = default;
    Guard(Guard&& other) noexcept;
    Guard& operator=(Guard&& other) noexcept;
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard();
    // Whether the deadline passed (and the connection was interrupted).
    bool expired() const;

   private:
    friend class DeadlineWatchdog;
    Guard(DeadlineWatchdog* owner, uint64_t id) : owner_(owner), id_(id) {}
    DeadlineWatchdog* owner_ = nullptr;
    uint64_t id_ = 0;
  };

  // Watches `connection` until the guard goes; `deadline` is a time of the watchdog's clock
  // (Clock::now() for the system clock).
  Guard Watch(duck::Connection& connection, Clock::time_point deadline);

 private:
  struct Entry {
    duck::Connection* connection;
    Clock::time_point deadline;
    bool expired = false;
  };
  void Run(const std::stop_token& stop);
  void Remove(uint64_t id);
  bool Expired(uint64_t id) const;

  const common::Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable_any wake_;
  std::map<uint64_t, Entry> entries_;  // guarded by mu_
  uint64_t next_id_ = 1;               // guarded by mu_
  uint64_t generation_ = 0;            // guarded by mu_; bumped by Watch to wake the thread
  std::jthread thread_;
};

}  // namespace timestore::query
