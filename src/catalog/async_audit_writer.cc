#include "catalog/async_audit_writer.h"

#include <algorithm>
#include <cassert>
#include <string_view>
#include <utility>

namespace timestore::catalog {
namespace {

constexpr std::string_view kDroppedHelp =
    "Audit events the asynchronous writer dropped: queue full, or not stored by the end of a stop.";

}  // namespace

AsyncAuditWriter::AsyncAuditWriter(AuditSink& sink, AsyncAuditWriterOptions options,
                                   observability::MetricsRegistry* metrics,
                                   const common::Clock& clock)
    : sink_(sink),
      options_(options),
      clock_(clock),
      logger_(observability::GetLogger("catalog.audit_writer")) {
  assert(options_.capacity >= 1);
  assert(options_.max_batch >= 1 && options_.max_batch <= AuditSink::kMaxBatch);
  if (metrics == nullptr) return;
  dropped_full_ = &metrics->GetCounter("timestore_audit_events_dropped_total", kDroppedHelp,
                                       {{"reason", "queue_full"}});
  dropped_stopped_ = &metrics->GetCounter("timestore_audit_events_dropped_total", kDroppedHelp,
                                          {{"reason", "stopped"}});
  written_ = &metrics->GetCounter("timestore_audit_events_written_total",
                                  "Audit events the asynchronous writer stored.");
  failures_ = &metrics->GetCounter("timestore_audit_batch_failures_total",
                                   "Audit batches the asynchronous writer failed to store (each "
                                   "is retried).");
  pending_gauge_ = &metrics->GetGauge("timestore_audit_queue_events",
                                      "Audit events waiting for the asynchronous writer.");
}

AsyncAuditWriter::~AsyncAuditWriter() { Stop(); }

void AsyncAuditWriter::Start() {
  assert(!thread_.joinable());
  thread_ = std::jthread([this](const std::stop_token& stop) { Run(stop); });
}

bool AsyncAuditWriter::Enqueue(AuditEvent event) {
  std::unique_lock lock(mu_);
  if (!stopping_ && queue_.size() + in_flight_ < options_.capacity) {
    queue_.push_back(std::move(event));
    ++accepted_seq_;
    if (pending_gauge_ != nullptr)
      pending_gauge_->Set(static_cast<double>(queue_.size() + in_flight_));
    lock.unlock();
    work_.notify_one();
    return true;
  }
  const bool stopping = stopping_;
  ++dropped_total_;
  ++dropped_unwarned_;
  uint64_t warn = 0;  // drops to warn about now
  const common::Clock::SteadyTime now = clock_.Steady();
  if (now >= next_drop_warning_) {
    warn = std::exchange(dropped_unwarned_, 0);
    next_drop_warning_ = now + options_.drop_warning_interval;
  }
  lock.unlock();
  observability::Counter* reason = stopping ? dropped_stopped_ : dropped_full_;
  if (reason != nullptr) reason->Increment();
  if (warn > 0) {
    logger_.Warn(stopping ? "audit events dropped: the writer is stopped"
                          : "audit events dropped: the queue is full",
                 observability::LogFields()
                     .Add("dropped", warn)
                     .Add("capacity", static_cast<uint64_t>(options_.capacity)));
  }
  return false;
}

bool AsyncAuditWriter::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const uint64_t target = accepted_seq_;
  return clock_.WaitUntil(lock, done_, std::stop_token(), clock_.Steady() + timeout,
                          [&] { return done_seq_ >= target; });
}

void AsyncAuditWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    stop_deadline_ = clock_.Steady() + options_.stop_timeout;
  }
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
    return;
  }
  // Never started: store what was queued on this thread, as the writer thread would have.
  std::stop_source stopped;
  stopped.request_stop();
  Run(stopped.get_token());
}

size_t AsyncAuditWriter::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size() + in_flight_;
}

uint64_t AsyncAuditWriter::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_total_;
}

void AsyncAuditWriter::Run(const std::stop_token& stop) {
  for (;;) {
    const std::vector<AuditEvent> batch = NextBatch(stop);
    if (batch.empty()) return;
    Write(batch, stop);
  }
}

std::vector<AuditEvent> AsyncAuditWriter::NextBatch(const std::stop_token& stop) {
  std::unique_lock lock(mu_);
  clock_.WaitUntil(lock, work_, stop, common::Clock::SteadyTime::max(),
                   [this] { return !queue_.empty(); });
  const size_t n = std::min(queue_.size(), options_.max_batch);
  std::vector<AuditEvent> batch;
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  in_flight_ = n;
  return batch;
}

void AsyncAuditWriter::Write(const std::vector<AuditEvent>& batch, const std::stop_token& stop) {
  std::chrono::milliseconds backoff = options_.retry_initial;
  for (int64_t attempt = 1;; ++attempt) {
    const common::Status stored = sink_.RecordBatch(batch);
    if (stored.ok()) {
      if (written_ != nullptr) written_->Increment(static_cast<double>(batch.size()));
      Finish();
      return;
    }
    if (failures_ != nullptr) failures_->Increment();
    logger_.Warn("audit batch not stored; retrying",
                 observability::LogFields()
                     .Add("events", static_cast<uint64_t>(batch.size()))
                     .Add("attempt", attempt)
                     .Add("retryInMs", static_cast<int64_t>(backoff.count()))
                     .Add("error", stored.message()));
    const common::Clock::SteadyTime retry_at = clock_.Steady() + backoff;
    backoff = std::min(backoff * 2, options_.retry_max);
    if (!stop.stop_requested()) {
      clock_.WaitUntil(stop, retry_at);  // a Stop() ends the wait: one more try at once
      continue;
    }
    common::Clock::SteadyTime deadline;
    {
      std::lock_guard lock(mu_);
      deadline = stop_deadline_;
    }
    if (clock_.Steady() >= deadline) {
      Abandon();
      return;
    }
    clock_.WaitUntil(std::stop_token(), std::min(retry_at, deadline));
  }
}

void AsyncAuditWriter::Finish() {
  {
    std::lock_guard lock(mu_);
    done_seq_ += std::exchange(in_flight_, 0);
    if (pending_gauge_ != nullptr) pending_gauge_->Set(static_cast<double>(queue_.size()));
  }
  done_.notify_all();
}

void AsyncAuditWriter::Abandon() {
  uint64_t lost = 0;
  {
    std::lock_guard lock(mu_);
    lost = std::exchange(in_flight_, 0) + queue_.size();
    queue_.clear();
    done_seq_ += lost;
    dropped_total_ += lost;
    if (pending_gauge_ != nullptr) pending_gauge_->Set(0);
  }
  done_.notify_all();
  if (dropped_stopped_ != nullptr) dropped_stopped_->Increment(static_cast<double>(lost));
  logger_.Error("audit events dropped: not stored before the stop timeout",
                observability::LogFields()
                    .Add("dropped", lost)
                    .Add("stopTimeoutMs", static_cast<int64_t>(options_.stop_timeout.count())));
}

}  // namespace timestore::catalog
