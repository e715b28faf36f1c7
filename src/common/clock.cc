#include "common/clock.h"

namespace timestore::common {
namespace {

class RealClock final : public Clock {
 public:
  UnixMicros Now() const override { return NowMicros(); }
  SteadyTime Steady() const override { return std::chrono::steady_clock::now(); }

  bool WaitUntil(const std::stop_token& stop, SteadyTime deadline) const override {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    WaitUntil(lock, cv, stop, deadline, [] { return false; });
    return !stop.stop_requested();
  }

  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                 const std::stop_token& stop, SteadyTime deadline,
                 const std::function<bool()>& ready) const override {
    if (deadline == SteadyTime::max()) return cv.wait(lock, stop, ready);
    return cv.wait_until(lock, stop, deadline, ready);
  }
};

}  // namespace

const Clock& SystemClock() {
  static const RealClock* const kClock = new RealClock();  // never destroyed: used by threads
  return *kClock;
}

}  // namespace timestore::common
