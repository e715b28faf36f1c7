// AsyncAuditWriter: a bounded queue of audit events drained by one background thread that stores
// them in batches through an AuditSink, so the request that made an event never waits for the
// catalog. A full queue drops the event (counted, warned about at most every few seconds) instead
// of blocking; a failed batch is retried with backoff while the queue keeps accepting up to its
// capacity. Stop() stores what is queued (retrying for at most stop_timeout) before it returns.
// Thread-safe; the sink, metrics registry and clock must outlive it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "catalog/audit_repository.h"
#include "catalog/types.h"
#include "common/clock.h"
#include "observability/logger.h"
#include "observability/metrics.h"

namespace timestore::catalog {

struct AsyncAuditWriterOptions {
  size_t capacity = 10'000;  // events accepted and not yet stored, at most (>= 1)
  size_t max_batch = 500;    // events per RecordBatch, at most (1..AuditSink::kMaxBatch)
  std::chrono::milliseconds retry_initial{100};  // the first wait after a failed batch
  std::chrono::milliseconds retry_max{5'000};    // waits double up to this
  // How long Stop() keeps retrying a failing sink before it drops what is left (counted).
  std::chrono::milliseconds stop_timeout{10'000};
  std::chrono::milliseconds drop_warning_interval{10'000};  // at most one drop warning per
};

class AsyncAuditWriter {
 public:
  // `metrics` may be null. Registers timestore_audit_events_dropped_total{reason} ("queue_full",
  // "stopped"), timestore_audit_events_written_total, timestore_audit_batch_failures_total and
  // timestore_audit_queue_events.
  AsyncAuditWriter(AuditSink& sink, AsyncAuditWriterOptions options,
                   observability::MetricsRegistry* metrics,
                   const common::Clock& clock = common::SystemClock());
  ~AsyncAuditWriter();  // Stop()
  AsyncAuditWriter(const AsyncAuditWriter&) = delete;
  AsyncAuditWriter& operator=(const AsyncAuditWriter&) = delete;

  // Starts the background thread. Events enqueued before Start() wait for it. Call once.
  void Start();

  // Queues `event` without blocking on I/O: false (the event is dropped and counted) when
  // `capacity` events are pending or the writer is stopping.
  bool Enqueue(AuditEvent event);

  // Waits until every event accepted before the call is stored or dropped; false when `timeout`
  // passes first. Does not stop the writer.
  bool Flush(std::chrono::milliseconds timeout);

  // Stops accepting events, stores the pending ones (a failing sink is retried until stop_timeout,
  // then the rest is dropped and counted) and joins the thread. Idempotent.
  void Stop();

  size_t pending() const;    // accepted, not yet stored or dropped
  uint64_t dropped() const;  // since construction, for every reason

 private:
  void Run(const std::stop_token& stop);
  // The next batch (the oldest pending events); empty once stop is requested and nothing is left.
  std::vector<AuditEvent> NextBatch(const std::stop_token& stop);
  // Stores `batch`, retrying with backoff; after stop, only until the stop deadline.
  void Write(const std::vector<AuditEvent>& batch, const std::stop_token& stop);
  // The in-flight batch was stored.
  void Finish();
  // Drops the in-flight batch and the queue: Stop() could not store them in time.
  void Abandon();

  AuditSink& sink_;
  const AsyncAuditWriterOptions options_;
  const common::Clock& clock_;
  observability::Logger logger_;
  observability::Counter* dropped_full_ = nullptr;     // null without metrics
  observability::Counter* dropped_stopped_ = nullptr;  // null without metrics
  observability::Counter* written_ = nullptr;          // null without metrics
  observability::Counter* failures_ = nullptr;         // null without metrics
  observability::Gauge* pending_gauge_ = nullptr;      // null without metrics

  mutable std::mutex mu_;
  std::condition_variable_any work_;  // events were queued, or stop
  std::condition_variable_any done_;  // events were stored or dropped
  std::deque<AuditEvent> queue_;      // guarded by mu_
  size_t in_flight_ = 0;              // guarded by mu_; taken by the thread, not yet done
  // Guarded by mu_: events accepted and events done (stored or dropped) since construction; the
  // events done are always the oldest accepted ones, so `done_seq_ >= n` means the first n are.
  uint64_t accepted_seq_ = 0;
  uint64_t done_seq_ = 0;
  bool stopping_ = false;                          // guarded by mu_; no more events accepted
  common::Clock::SteadyTime stop_deadline_{};      // guarded by mu_; set with stopping_
  uint64_t dropped_total_ = 0;                     // guarded by mu_
  uint64_t dropped_unwarned_ = 0;                  // guarded by mu_; drops not warned about yet
  common::Clock::SteadyTime next_drop_warning_{};  // guarded by mu_; no drop warning before
  std::jthread thread_;
};

}  // namespace timestore::catalog
