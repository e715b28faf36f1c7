#include "app/lifecycle_runtime.h"

#include <cstdio>
#include <variant>

#include <signal.h>
#include <unistd.h>

#include "api/lifecycle_encoding.h"
#include "app/service.h"
#include "lifecycle/compaction.h"
#include "lifecycle/parquet_export.h"
#include "lifecycle/retention.h"
#include "lifecycle/sweeper.h"

namespace timestore::app {

lifecycle::LifecycleOptions LifecycleOptionsFor(const config::LifecycleConfig& c) {
  lifecycle::LifecycleOptions o;
  o.compaction_small_bytes = c.compaction_small_bytes;
  o.compaction_target_bytes = c.compaction_target_bytes;
  o.compaction_max_rows_per_step = c.compaction_max_rows_per_step;
  o.compaction_memory_limit_bytes = c.compaction_memory_limit_bytes;
  o.export_min_interval = c.export_min_interval;
  o.sweep_grace = c.sweep_grace;
  o.sweep_orphan_age = c.sweep_orphan_age;
  return o;
}

LifecycleRuntime::LifecycleRuntime(catalog::Catalog& catalog, storage::ObjectStoreRegistry& stores,
                                   storage::PartitionCache* cache,
                                   const config::LifecycleConfig& config,
                                   observability::MetricsRegistry* metrics,
                                   const common::Clock& clock)
    : config_(config), options_(LifecycleOptionsFor(config)), catalog_(catalog), clock_(clock) {
  // A crash at the worst moment, for the crash tests.
  operations_.Add(std::make_unique<lifecycle::CompactionOperation>(
      partition::KillProcessAt(config.fault_injection_point)));
  operations_.Add(std::make_unique<lifecycle::RetentionOperation>());
  operations_.Add(std::make_unique<lifecycle::ExportOperation>());
  operations_.Add(std::make_unique<lifecycle::SweepOperation>());
  lifecycle::RunnerOptions runner_options;
  runner_options.lease = config.lease;
  runner_ = std::make_unique<lifecycle::JobRunner>(catalog, stores, cache, options_, operations_,
                                                   runner_options, metrics, clock);
  service_ =
      std::make_unique<lifecycle::LifecycleService>(catalog, *runner_, operations_, options_);
}

LifecycleRuntime::~LifecycleRuntime() { Stop(); }

void LifecycleRuntime::Start(int workers, bool schedule) {
  if (workers > 0) {
    lifecycle::WorkerPoolOptions pool;
    pool.workers = workers;
    workers_ = std::make_unique<lifecycle::WorkerPool>(*runner_, pool);
    workers_->Start();
  }
  if (schedule) {
    lifecycle::SchedulerOptions s;
    s.interval = config_.interval;
    s.jitter = config_.jitter;
    s.operations.clear();
    for (std::string_view kind : {lifecycle::kCompaction, lifecycle::kRetention}) {
      if (operations_.Find(kind) != nullptr) s.operations.emplace_back(kind);
    }
    if (config_.exports_enabled && operations_.Find(lifecycle::kExport) != nullptr) {
      s.operations.emplace_back(lifecycle::kExport);
    }
    s.sweep = operations_.Find(lifecycle::kSweep) != nullptr;
    scheduler_ = std::make_unique<lifecycle::Scheduler>(catalog_, s, clock_);
    scheduler_->Start();
  }
}

void LifecycleRuntime::Stop() {
  if (scheduler_) scheduler_->Stop();
  if (workers_) workers_->Stop();
}

int RunLifecycleCommand(const config::ServiceConfig& cfg, const LifecycleCommand& command) {
  observability::Logger logger = observability::GetLogger("lifecycle");
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  observability::MetricsRegistry metrics;
  catalog::Catalog catalog(CatalogOptionsFor(cfg.postgres));
  if (auto applied = BootstrapCatalog(catalog, cfg.storage); !applied.ok()) {
    logger.Error("catalog unavailable",
                 observability::LogFields().Add("error", applied.status().message()));
    return 1;
  }
  storage::ObjectStoreRegistry stores(S3DefaultsFor(cfg.storage), &metrics);
  auto cache = storage::PartitionCache::Open(PartitionCacheOptionsFor(cfg.storage), &metrics);
  if (!cache.ok()) {
    logger.Error("partition cache",
                 observability::LogFields().Add("error", cache.status().message()));
    return 1;
  }
  LifecycleRuntime runtime(catalog, stores, cache->get(), cfg.lifecycle, &metrics);

  if (!command.once) {
    runtime.Start(std::max(1, command.workers.value_or(cfg.lifecycle.workers)), /*schedule=*/true);
    logger.Info("lifecycle worker running");
    int received = 0;
    sigwait(&signals, &received);
    runtime.Stop();
    return 0;
  }

  std::vector<std::string> slugs = command.datasets;
  if (slugs.empty()) {
    catalog::ListDatasetsOptions list;
    list.status = catalog::DatasetStatus::kActive;
    list.limit = 500;
    for (;;) {
      auto page = catalog.datasets().List(list);
      if (!page.ok()) {
        logger.Error("cannot list datasets",
                     observability::LogFields().Add("error", page.status().message()));
        return 1;
      }
      for (const catalog::Dataset& d : page->items) slugs.push_back(d.slug);
      if (!page->next_cursor) break;
      list.cursor = page->next_cursor;
    }
  }
  bool ok = true;
  for (const std::string& slug : slugs) {
    lifecycle::RunRequest run;
    run.dataset_slug = slug;
    run.operations = command.operations;
    auto outcome = runtime.service().Run(run);
    if (!outcome.ok()) {
      std::printf("%s\n", api::RunFailureJson(slug, outcome.status()).c_str());
      ok = false;
      continue;
    }
    std::printf("%s\n", api::RunOutcomeJson(*outcome).c_str());
    const auto* report = std::get_if<lifecycle::RunReport>(&*outcome);
    ok = ok && report != nullptr && report->all_succeeded();
  }
  std::fflush(stdout);
  return ok ? 0 : 1;
}

}  // namespace timestore::app
