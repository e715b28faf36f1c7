#include "testing/fake_clock.h"

namespace timestore::testing {

FakeClock::FakeClock(common::UnixMicros now)
    : now_(now), steady_(SteadyTime() + std::chrono::hours(24)) {}

common::UnixMicros FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return now_;
}

FakeClock::SteadyTime FakeClock::Steady() const {
  std::lock_guard lock(mu_);
  return steady_;
}

bool FakeClock::WaitUntil(const std::stop_token& stop, SteadyTime deadline) const {
  std::unique_lock lock(mu_);
  ++waiters_;
  const bool reached = advanced_.wait(lock, stop, [&] { return steady_ >= deadline; });
  --waiters_;
  return reached && !stop.stop_requested();
}

bool FakeClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                          const std::stop_token& stop, SteadyTime deadline,
                          const std::function<bool()>& ready) const {
  {
    std::lock_guard count(mu_);
    ++waiters_;
  }
  while (!ready() && !stop.stop_requested() && Steady() < deadline) {
    cv.wait_for(lock, stop, std::chrono::milliseconds(1), ready);
  }
  {
    std::lock_guard count(mu_);
    --waiters_;
  }
  return ready();
}

void FakeClock::Advance(std::chrono::microseconds by) {
  {
    std::lock_guard lock(mu_);
    now_ += by.count();
    steady_ += by;
  }
  advanced_.notify_all();
}

int FakeClock::waiters() const {
  std::lock_guard lock(mu_);
  return waiters_;
}

}  // namespace timestore::testing
