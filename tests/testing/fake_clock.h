// FakeClock: a common::Clock that stands still until the test advances it, so code that waits for
// time (lease renewal, backoff, intervals, deadlines) is driven without sleeping. Advance() wakes
// every waiter whose deadline it reaches. Thread-safe; must outlive the code that uses it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "common/clock.h"

namespace timestore::testing {

class FakeClock final : public common::Clock {
 public:
  // Starts at wall time `now` (default 2024-01-01T00:00:00Z) and an arbitrary steady time.
  explicit FakeClock(common::UnixMicros now = 1704067200LL * 1'000'000);

  common::UnixMicros Now() const override;
  SteadyTime Steady() const override;
  bool WaitUntil(const std::stop_token& stop, SteadyTime deadline) const override;
  // Wakes when `cv` is notified (then checks `ready`), on Advance past `deadline`, or on `stop`.
  // The fake time is re-read every millisecond of real time, since Advance cannot notify a
  // condition variable whose mutex it does not own.
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                 const std::stop_token& stop, SteadyTime deadline,
                 const std::function<bool()>& ready) const override;

  // Moves both times forward by `by` and wakes the waiters.
  void Advance(std::chrono::microseconds by);
  // How many threads are blocked in WaitUntil right now (for a test that must advance only once
  // the code under test waits).
  int waiters() const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable_any advanced_;
  common::UnixMicros now_;   // guarded by mu_
  SteadyTime steady_;        // guarded by mu_
  mutable int waiters_ = 0;  // guarded by mu_
};

}  // namespace timestore::testing
