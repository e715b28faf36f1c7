#include "lifecycle/scheduler.h"

#include <random>

namespace timestore::lifecycle {

Scheduler::Scheduler(catalog::Catalog& catalog, SchedulerOptions options,
                     const common::Clock& clock)
    : catalog_(catalog),
      options_(std::move(options)),
      clock_(clock),
      logger_(observability::GetLogger("lifecycle.scheduler")) {}

Scheduler::~Scheduler() { Stop(); }

common::Result<bool> Scheduler::EnqueueIfDue(const std::string& kind,
                                             const std::optional<catalog::DatasetId>& dataset,
                                             const std::string& payload_json) {
  catalog::ListJobsOptions recent;
  recent.dataset_id = dataset;
  recent.kind = kind;
  recent.limit = 1;
  TS_ASSIGN_OR_RETURN(std::vector<catalog::Job> last, catalog_.jobs().List(recent));
  const common::UnixMicros now = clock_.Now();
  const int64_t interval_us = static_cast<int64_t>(options_.interval.count()) * 1'000'000;
  if (!last.empty() && (!dataset || last[0].dataset_id == dataset) &&
      last[0].created_at > now - interval_us) {
    return false;
  }
  catalog::NewJob job;
  job.kind = kind;
  job.dataset_id = dataset;
  job.payload_json = payload_json;
  job.dedupe_key = kind + ":" + (dataset ? dataset->value() : std::string("*"));
  // Spread the pass's jobs over the jitter window.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const int64_t jitter_us = static_cast<int64_t>(options_.jitter.count()) * 1'000'000;
  job.run_at =
      now + (jitter_us > 0 ? std::uniform_int_distribution<int64_t>(0, jitter_us)(rng) : 0);
  TS_ASSIGN_OR_RETURN(catalog::EnqueueResult enqueued, catalog_.jobs().Enqueue(job));
  return enqueued.created;
}

common::Result<int> Scheduler::EnqueueDue() {
  int created = 0;
  catalog::ListDatasetsOptions list;
  list.status = catalog::DatasetStatus::kActive;
  list.limit = 500;
  for (;;) {
    TS_ASSIGN_OR_RETURN(catalog::DatasetPage page, catalog_.datasets().List(list));
    for (const catalog::Dataset& d : page.items) {
      for (const std::string& kind : options_.operations) {
        const std::string payload = kind == "export" ? R"({"scheduled":true})" : "{}";
        TS_ASSIGN_OR_RETURN(bool made, EnqueueIfDue(kind, d.id, payload));
        created += made ? 1 : 0;
      }
    }
    if (!page.next_cursor) break;
    list.cursor = page.next_cursor;
  }
  if (options_.sweep) {
    TS_ASSIGN_OR_RETURN(bool made, EnqueueIfDue("sweep", std::nullopt, "{}"));
    created += made ? 1 : 0;
  }
  return created;
}

void Scheduler::Start() {
  thread_ = std::jthread([this](const std::stop_token& stop) {
    std::mt19937_64 rng{std::random_device{}()};
    while (!stop.stop_requested()) {
      common::Result<int> created = EnqueueDue();
      if (!created.ok()) {
        logger_.Warn("lifecycle scheduling pass failed",
                     observability::LogFields().Add("error", created.status().ToString()));
      } else if (*created > 0) {
        logger_.Info("lifecycle jobs scheduled",
                     observability::LogFields().Add("jobs", static_cast<int64_t>(*created)));
      }
      const auto base = std::chrono::duration_cast<std::chrono::milliseconds>(options_.interval);
      const auto spread = std::chrono::duration_cast<std::chrono::milliseconds>(options_.jitter);
      const auto wait = base + std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(
                                   -spread.count(), spread.count())(rng));
      clock_.SleepFor(stop, std::max(wait, std::chrono::milliseconds(100)));
    }
  });
}

void Scheduler::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

}  // namespace timestore::lifecycle
