#include "lifecycle/job_runner.h"

#include <random>

#include <unistd.h>

#include "common/json_writer.h"

namespace timestore::lifecycle {
namespace {

// Failures that a later attempt cannot fix.
bool IsPermanent(const common::Status& status) {
  return status.code() == common::StatusCode::kInvalidArgument ||
         status.code() == common::StatusCode::kNotFound;
}

}  // namespace

void OperationSet::Add(std::unique_ptr<Operation> operation) {
  const std::string kind(operation->kind());
  operations_[kind] = std::move(operation);
}

const Operation* OperationSet::Find(std::string_view kind) const {
  auto it = operations_.find(kind);
  return it == operations_.end() ? nullptr : it->second.get();
}

std::vector<std::string> OperationSet::kinds() const {
  std::vector<std::string> out;
  for (const auto& [kind, op] : operations_) out.push_back(kind);
  return out;
}

JobRunner::JobRunner(catalog::Catalog& catalog, storage::ObjectStoreRegistry& stores,
                     storage::PartitionCache* cache, const LifecycleOptions& options,
                     const OperationSet& operations, RunnerOptions runner_options,
                     observability::MetricsRegistry* metrics, const common::Clock& clock)
    : catalog_(catalog),
      stores_(stores),
      cache_(cache),
      options_(options),
      operations_(operations),
      runner_options_(runner_options),
      logger_(observability::GetLogger("lifecycle")),
      metrics_(metrics),
      clock_(clock) {}

std::chrono::milliseconds JobRunner::RetryDelay(int attempts) const {
  const int doublings = std::clamp(attempts - 1, 0, 20);
  auto delay = runner_options_.retry_base_delay * (int64_t{1} << doublings);
  delay = std::min(delay, runner_options_.retry_max_delay);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto jitter = std::uniform_int_distribution<int64_t>(0, delay.count() / 5)(rng);
  return delay + std::chrono::milliseconds(jitter);
}

common::Result<catalog::Job> JobRunner::Run(const catalog::Job& job, const std::string& owner) {
  const common::Clock::SteadyTime started = clock_.Steady();
  const Operation* operation = operations_.Find(job.kind);
  if (operation == nullptr) {
    return catalog_.jobs().Fail(job.id, owner, "unknown job kind '" + job.kind + "'", std::nullopt);
  }

  // The lease is renewed in the background while the operation runs; once it is lost, the
  // operation's heartbeat reports it and the operation stops.
  std::atomic<bool> lease_lost{false};
  std::jthread renewer([&](const std::stop_token& stop) {
    const auto every = std::max(runner_options_.lease / 3, std::chrono::milliseconds(50));
    for (;;) {
      if (!clock_.SleepFor(stop, every)) return;
      common::Status st = catalog_.jobs().Heartbeat(job.id, owner, runner_options_.lease);
      if (st.code() == common::StatusCode::kConflict) {
        lease_lost = true;
        return;
      }
    }
  });

  JobContext context{catalog_, stores_, cache_, options_, job};
  context.now = [this] { return clock_.Now(); };
  context.actor = "lifecycle:" + owner;
  context.heartbeat = [&]() -> common::Status {
    if (lease_lost) {
      return common::Conflict("job " + job.id.value() + ": the lease was lost to another worker");
    }
    return catalog_.jobs().Heartbeat(job.id, owner, runner_options_.lease);
  };
  context.save_progress = [&](const std::string& progress) -> common::Status {
    if (lease_lost) {
      return common::Conflict("job " + job.id.value() + ": the lease was lost to another worker");
    }
    return catalog_.jobs().SaveProgress(job.id, owner, progress);
  };

  common::Result<std::string> result = operation->Run(context);
  renewer.request_stop();
  renewer.join();
  const double seconds = std::chrono::duration<double>(clock_.Steady() - started).count();

  common::Result<catalog::Job> stored = common::Internal("not stored");
  if (result.ok()) {
    stored = catalog_.jobs().Complete(job.id, owner, *result);
  } else {
    const common::Status& error = result.status();
    std::optional<std::chrono::milliseconds> retry;
    if (!IsPermanent(error)) retry = RetryDelay(job.attempts);
    stored = catalog_.jobs().Fail(job.id, owner, error.ToString(), retry);
  }
  const char* outcome = !stored.ok()                                       ? "lease_lost"
                        : stored->status == catalog::JobStatus::kSucceeded ? "succeeded"
                        : stored->status == catalog::JobStatus::kFailed    ? "failed"
                                                                           : "retrying";
  if (metrics_ != nullptr) {
    metrics_
        ->GetCounter("timestore_lifecycle_jobs_total", "Lifecycle jobs run, by kind and outcome.",
                     {{"kind", job.kind}, {"status", outcome}})
        .Increment();
    metrics_
        ->GetHistogram("timestore_lifecycle_job_duration_seconds",
                       "Time lifecycle jobs ran, by kind.", {{"kind", job.kind}})
        .Observe(seconds);
  }
  observability::LogFields fields;
  fields.Add("job", job.id.value())
      .Add("kind", job.kind)
      .Add("owner", owner)
      .Add("attempt", static_cast<int64_t>(job.attempts))
      .Add("outcome", outcome)
      .Add("seconds", seconds);
  if (job.dataset_id) fields.Add("dataset", job.dataset_id->value());
  if (result.ok()) {
    logger_.Info("lifecycle job finished", fields.Add("result", *result));
  } else {
    logger_.Warn("lifecycle job failed", fields.Add("error", result.status().ToString()));
  }
  return stored;
}

common::Result<std::optional<catalog::Job>> JobRunner::RunNext(const std::string& owner) {
  TS_ASSIGN_OR_RETURN(std::optional<catalog::Job> job,
                      catalog_.jobs().Claim(owner, runner_options_.lease, operations_.kinds()));
  if (!job) return std::optional<catalog::Job>();
  TS_ASSIGN_OR_RETURN(catalog::Job done, Run(*job, owner));
  return std::optional<catalog::Job>(std::move(done));
}

std::string DefaultWorkerPrefix() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "host") + ":" + std::to_string(getpid());
}

WorkerPool::WorkerPool(JobRunner& runner, WorkerPoolOptions options)
    : runner_(runner),
      options_(std::move(options)),
      prefix_(options_.id_prefix.empty() ? DefaultWorkerPrefix() : options_.id_prefix),
      logger_(observability::GetLogger("lifecycle")) {}

WorkerPool::~WorkerPool() { Stop(); }

std::string WorkerPool::WorkerId(int n) const { return prefix_ + "-" + std::to_string(n); }

void WorkerPool::Start() {
  for (int n = 0; n < options_.workers; ++n) {
    threads_.emplace_back([this, n](const std::stop_token& stop) { Loop(stop, n); });
  }
}

void WorkerPool::Stop() {
  for (auto& t : threads_) t.request_stop();
  threads_.clear();  // joins
}

void WorkerPool::Loop(const std::stop_token& stop, int n) {
  const std::string owner = WorkerId(n);
  while (!stop.stop_requested()) {
    common::Result<std::optional<catalog::Job>> ran = runner_.RunNext(owner);
    if (ran.ok() && ran->has_value()) continue;  // maybe more are due
    if (!ran.ok()) {
      logger_.Warn(
          "lifecycle worker could not claim a job",
          observability::LogFields().Add("owner", owner).Add("error", ran.status().ToString()));
    }
    runner_.clock().SleepFor(stop, options_.poll_interval);
  }
}

}  // namespace timestore::lifecycle
