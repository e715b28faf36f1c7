// The machinery that runs lifecycle jobs: an OperationSet (kind -> Operation), a JobRunner that
// runs one claimed job (keeping its lease alive, storing its result or its failure with backoff),
// and a WorkerPool of threads that claim due jobs until stopped. Any number of runners in any
// number of processes share the job table safely: claims are leases (FOR UPDATE SKIP LOCKED), and
// a worker that dies loses its lease, so the job is claimed again and redone from a safe point.
// JobRunner and OperationSet are thread-safe once built; WorkerPool is started and stopped once.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "common/clock.h"
#include "common/status.h"
#include "lifecycle/operation.h"
#include "observability/logger.h"
#include "observability/metrics.h"

namespace timestore::lifecycle {

class OperationSet {
 public:
  void Add(std::unique_ptr<Operation> operation);
  // Nothing for an unknown kind.
  const Operation* Find(std::string_view kind) const;
  std::vector<std::string> kinds() const;

 private:
  std::map<std::string, std::unique_ptr<Operation>, std::less<>> operations_;
};

struct RunnerOptions {
  std::chrono::milliseconds lease{60'000};  // a job's lease; renewed every lease / 3 while it runs
  // Backoff after a failed attempt: base * 2^(attempts - 1), at most max, plus up to 20% jitter.
  std::chrono::milliseconds retry_base_delay{5'000};
  std::chrono::milliseconds retry_max_delay{600'000};
};

class JobRunner {
 public:
  // Everything must outlive the runner; `cache` and `metrics` may be null. `clock` gives the
  // operations their "now", times the lease renewal and the workers' polls.
  JobRunner(catalog::Catalog& catalog, storage::ObjectStoreRegistry& stores,
            storage::PartitionCache* cache, const LifecycleOptions& options,
            const OperationSet& operations, RunnerOptions runner_options,
            observability::MetricsRegistry* metrics = nullptr,
            const common::Clock& clock = common::SystemClock());

  // Runs `job`, claimed by `owner`, to its end: the lease is renewed in the background, and the job
  // is marked succeeded with the operation's result, or failed (retried later with backoff, or at
  // once terminally for kInvalidArgument / kNotFound / an unknown kind). Returns the job as stored
  // afterwards; kConflict when the lease was lost meanwhile (another worker owns the job now).
  common::Result<catalog::Job> Run(const catalog::Job& job, const std::string& owner);

  // Claims one due job of the known kinds (oldest first) and runs it; nothing when none is due.
  common::Result<std::optional<catalog::Job>> RunNext(const std::string& owner);

  const RunnerOptions& options() const { return runner_options_; }
  const common::Clock& clock() const { return clock_; }

 private:
  std::chrono::milliseconds RetryDelay(int attempts) const;

  catalog::Catalog& catalog_;
  storage::ObjectStoreRegistry& stores_;
  storage::PartitionCache* const cache_;
  const LifecycleOptions& options_;
  const OperationSet& operations_;
  const RunnerOptions runner_options_;
  observability::Logger logger_;
  observability::MetricsRegistry* const metrics_;
  const common::Clock& clock_;
};

struct WorkerPoolOptions {
  int workers = 1;                                 // threads claiming jobs; 0 runs none
  std::chrono::milliseconds poll_interval{1'000};  // wait between claims (on the runner's clock)
  std::string id_prefix;  // lease owners are "<prefix>-<n>"; default "<host>:<pid>"
};

class WorkerPool {
 public:
  WorkerPool(JobRunner& runner, WorkerPoolOptions options);
  ~WorkerPool();  // Stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Start();
  // Asks the workers to stop and waits: a worker finishes the job it is running first.
  void Stop();

  // The lease owner name of worker `n`.
  std::string WorkerId(int n) const;

 private:
  void Loop(const std::stop_token& stop, int n);

  JobRunner& runner_;
  const WorkerPoolOptions options_;
  std::string prefix_;
  observability::Logger logger_;
  std::vector<std::jthread> threads_;
};

// "<hostname>:<pid>", for lease owners.
std::string DefaultWorkerPrefix();

}  // namespace timestore::lifecycle
