// Clock: where code reads the time and waits for time to pass, so that tests substitute a fake
// (tests/testing/fake_clock.h) instead of sleeping. SystemClock() is the real one, a process-wide
// instance that is never destroyed. Every implementation is thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>

#include "common/time.h"

namespace timestore::common {

class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;

  // Wall time, for decisions compared with stored times (ages, grace periods, expiry).
  virtual UnixMicros Now() const = 0;
  // Monotonic time, for intervals, deadlines and durations.
  virtual SteadyTime Steady() const = 0;

  // Blocks until Steady() reaches `deadline` (true) or `stop` is requested (false, at once).
  virtual bool WaitUntil(const std::stop_token& stop, SteadyTime deadline) const = 0;

  // Blocks on the caller's `cv` (with `lock` held on entry and on return) until `ready()` is
  // true, Steady() reaches `deadline` (SteadyTime::max(): never) or `stop` is requested; returns
  // ready(). `ready` is evaluated under `lock`, after every wake-up of `cv`.
  virtual bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                         const std::stop_token& stop, SteadyTime deadline,
                         const std::function<bool()>& ready) const = 0;

  // WaitUntil(stop, Steady() + duration).
  bool SleepFor(const std::stop_token& stop, std::chrono::milliseconds duration) const {
    return WaitUntil(stop, Steady() + duration);
  }
};

// The system's clocks (NowMicros, std::chrono::steady_clock) and real waits.
const Clock& SystemClock();

}  // namespace timestore::common
