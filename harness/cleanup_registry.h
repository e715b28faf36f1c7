// CleanupRegistry: what must still happen when the benchmark is interrupted (SIGINT, SIGTERM,
// SIGHUP): kill the server, stop the throwaway PostgreSQL. Create one at the top of main() before
// any other thread starts: it blocks those signals and waits for them on its own thread, which runs
// the registered actions (newest first) and exits the process with 128 + signal. Owners remove
// their action when they clean up normally. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace timestore::harness {

class CleanupRegistry {
 public:
  using Id = uint64_t;

  CleanupRegistry();
  ~CleanupRegistry();  // stops the watcher; signals are handled by the default action again
  CleanupRegistry(const CleanupRegistry&) = delete;
  CleanupRegistry& operator=(const CleanupRegistry&) = delete;

  Id Add(std::function<void()> action);
  // After Remove returns, the action will not run from the signal path (if the signal path is
  // running, Remove waits for it - and the process exits).
  void Remove(Id id);

 private:
  void Watch(const std::stop_token& stop);

  std::mutex mu_;
  std::map<Id, std::function<void()>> actions_;  // guarded by mu_
  Id next_id_ = 1;                               // guarded by mu_
  std::jthread watcher_;
};

}  // namespace timestore::harness
