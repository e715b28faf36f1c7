// Scheduler: enqueues the periodic maintenance of every dataset - one job per operation and
// dataset, plus one global sweep - every `interval` (with jitter, so that many processes do not
// all wake at once). Datasets created after the scheduler started are picked up by the next pass.
// A job is not enqueued while one of the same kind for the same dataset is pending or running
// (the job table's dedupe key), nor when one was created less than `interval` ago (several
// schedulers in several processes then still run each dataset's maintenance about once per
// interval). Thread-safe; started and stopped once.
#pragma once

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "common/clock.h"
#include "common/status.h"
#include "observability/logger.h"

namespace timestore::lifecycle {

struct SchedulerOptions {
  std::chrono::seconds interval{300};  // TIMESTORE_LIFECYCLE_INTERVAL_SECONDS
  std::chrono::seconds jitter{30};     // TIMESTORE_LIFECYCLE_JITTER_SECONDS
  // Per-dataset operations enqueued each pass; exports carry {"scheduled":true} so the export
  // operation applies its minimum interval.
  std::vector<std::string> operations = {"compaction", "retention", "export"};
  bool sweep = true;  // also one global sweep job per pass
};

class Scheduler {
 public:
  // `catalog` must outlive the scheduler; `clock` times the passes and the "created less than
  // `interval` ago" rule.
  Scheduler(catalog::Catalog& catalog, SchedulerOptions options,
            const common::Clock& clock = common::SystemClock());
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // One pass over every active dataset; returns how many jobs it created.
  common::Result<int> EnqueueDue();

  // Runs EnqueueDue at once, then every interval +- jitter, until Stop.
  void Start();
  void Stop();

 private:
  common::Result<bool> EnqueueIfDue(const std::string& kind,
                                    const std::optional<catalog::DatasetId>& dataset,
                                    const std::string& payload_json);

  catalog::Catalog& catalog_;
  const SchedulerOptions options_;
  const common::Clock& clock_;
  observability::Logger logger_;
  std::jthread thread_;
};

}  // namespace timestore::lifecycle
