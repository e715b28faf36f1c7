// WorkerPool: a fixed set of std::jthreads running submitted tasks in FIFO order from a bounded
// queue. Used by the Server so that blocking route handlers never run on I/O threads. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

namespace timestore::http {

class WorkerPool {
 public:
  // `threads` >= 1. At most `max_queued` tasks wait for a thread; tasks that idle threads take at
  // once do not count (so 0 means "run now or refuse").
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();  // Stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`. Returns false (and drops it) when the queue is full or the pool is stopped.
  // A task must not throw.
  [[nodiscard]] bool TrySubmit(std::function<void()> task);

  // Takes no more tasks, destroys the queued ones without running them, waits for the running ones
  // and joins the threads. Idempotent. Must not be called from a task.
  void Stop();

 private:
  void Run(const std::stop_token& stop);

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  size_t idle_ = 0;                          // guarded by mu_; threads waiting for a task
  bool stopped_ = false;                     // guarded by mu_
  std::vector<std::jthread> threads_;
};

}  // namespace timestore::http
