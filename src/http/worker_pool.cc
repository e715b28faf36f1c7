#include "http/worker_pool.h"

#include <cassert>

namespace timestore::http {

WorkerPool::WorkerPool(int threads, size_t max_queued) : max_queued_(max_queued) {
  assert(threads >= 1);
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this](const std::stop_token& stop) { Run(stop); });
  }
}

WorkerPool::~WorkerPool() { Stop(); }

bool WorkerPool::TrySubmit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    // A task an idle thread is about to take does not wait, so it does not count against the bound.
    if (stopped_ || queue_.size() >= max_queued_ + idle_) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void WorkerPool::Stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    dropped.swap(queue_);
  }
  // Destroyed outside the lock (tasks may own objects whose destructors lock) and before the join
  // (such a destructor may be what lets a running task finish).
  dropped.clear();
  for (auto& t : threads_) t.request_stop();
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void WorkerPool::Run(const std::stop_token& stop) {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      ++idle_;
      const bool has_task = cv_.wait(lock, stop, [&] { return !queue_.empty(); });
      --idle_;
      if (!has_task) return;  // stop requested
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace timestore::http
