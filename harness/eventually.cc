#include "harness/eventually.h"

#include <algorithm>
#include <thread>

namespace timestore::harness {

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds max_interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::milliseconds pause(1);
  for (;;) {
    if (condition()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    // The poll itself: the only sleep shared by every wait of the harness and the tests.
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, max_interval);
  }
}

}  // namespace timestore::harness
