#include "app/service.h"

#include <chrono>
#include <condition_variable>
#include <string_view>

#include "api/admin_routes.h"
#include "api/audit_routes.h"
#include "api/ingest_routes.h"
#include "api/lifecycle_routes.h"
#include "api/openapi_route.h"
#include "api/query_routes.h"
#include "api/routes.h"
#include "api/sql_routes.h"
#include "api/sql_saved_routes.h"
#include "api/token_routes.h"
#include "common/build_info.h"
#include "common/json_writer.h"
#include "observability/process_metrics.h"

namespace timestore::app {
catalog::CatalogOptions CatalogOptionsFor(const config::PostgresConfig& pg) {
  catalog::CatalogOptions o;
  o.url = pg.url;
  o.schema = pg.schema;
  o.pool_max = pg.pool_max;
  o.connect_timeout = pg.connect_timeout;
  o.acquire_timeout = pg.acquire_timeout;
  o.statement_timeout = pg.statement_timeout;
  return o;
}

catalog::AsyncAuditWriterOptions AuditWriterOptionsFor(const config::AuditConfig& audit) {
  catalog::AsyncAuditWriterOptions o;
  o.capacity = static_cast<size_t>(audit.read_queue);
  o.max_batch = static_cast<size_t>(audit.read_batch);
  o.stop_timeout = audit.read_shutdown_grace;
  return o;
}

storage::S3Options S3DefaultsFor(const config::StorageConfig& c) {
  storage::S3Options o;
  o.bucket = c.s3_bucket;
  o.endpoint = c.s3_endpoint;
  o.region = c.s3_region;
  o.prefix = c.s3_prefix;
  o.access_key_id = c.s3_access_key_id;
  o.secret_access_key = c.s3_secret_access_key;
  o.session_token = c.s3_session_token;
  o.force_path_style = c.s3_force_path_style;
  o.multipart_threshold_bytes = c.s3_multipart_threshold_bytes;
  o.staging_dir = c.root + "/.tmp-s3-staging";
  return o;
}

ingest::IngestOptions IngestOptionsFor(const config::IngestConfig& c) {
  ingest::IngestOptions o;
  o.default_write_format = c.write_format == config::WriteFormat::kDuckdb
                               ? catalog::WriteFormat::kDuckdb
                               : catalog::WriteFormat::kParquet;
  o.group_commit_window = c.group_commit_window;
  o.max_rows_per_request = static_cast<size_t>(c.max_rows_per_request);
  o.max_rows_per_commit = static_cast<size_t>(c.max_rows_per_commit);
  o.max_concurrent_flushes = c.flush_concurrency;
  o.small_partition_bytes = c.small_partition_bytes;
  o.max_small_partitions = c.max_small_partitions;
  o.faults = partition::KillProcessAt(c.fault_injection_point);
  return o;
}

storage::PartitionCacheOptions PartitionCacheOptionsFor(const config::StorageConfig& storage) {
  storage::PartitionCacheOptions o;
  o.directory = storage.cache_dir.empty() ? storage.root + "/.tmp-cache" : storage.cache_dir;
  o.max_bytes = storage.cache_max_bytes;
  return o;
}

query::QueryServiceOptions QueryOptionsFor(const config::QueryConfig& c) {
  query::QueryServiceOptions o;
  o.limits.default_limit = c.default_limit;
  o.limits.max_limit = c.max_limit;
  o.timeout = c.timeout;
  return o;
}

query::SqlRuntimeOptions SqlOptionsFor(const config::SqlConfig& c,
                                       const config::StorageConfig& storage,
                                       const std::string& cache_dir) {
  query::SqlRuntimeOptions o;
  o.timeout = c.timeout;
  o.max_length = c.max_length;
  o.max_rows = c.max_rows;
  o.memory_limit = c.memory_limit;
  o.sandboxes = c.sandboxes;
  o.allowed_directories = {storage.root, cache_dir};
  return o;
}

namespace {

http::ServerOptions ServerOptionsFor(const config::HttpConfig& h) {
  http::ServerOptions o;
  o.host = h.host;
  o.port = h.port;
  o.io_threads = h.io_threads;
  o.worker_threads = h.worker_threads;
  o.max_queued_requests = static_cast<size_t>(h.max_queued_requests);
  o.body_limit_bytes = h.body_limit_bytes;
  o.header_timeout = h.header_timeout;
  o.body_timeout = h.body_timeout;
  o.keep_alive_timeout = h.keep_alive_timeout;
  o.shutdown_grace = h.shutdown_grace;
  return o;
}

}  // namespace

DefaultStorageTarget DefaultStorageTargetFor(const config::StorageConfig& storage) {
  common::JsonWriter w;
  w.BeginObject();
  DefaultStorageTarget t;
  if (storage.driver == config::StorageDriver::kS3) {
    // No credentials here: the catalog keeps no secrets of the default target; they come from
    // the TIMESTORE_S3_* variables of each process (S3DefaultsFor).
    t.kind = catalog::StorageKind::kS3;
    t.name = "s3:" + storage.s3_bucket + (storage.s3_prefix.empty() ? "" : "/" + storage.s3_prefix);
    w.Key("bucket").String(storage.s3_bucket);
    w.Key("endpoint").String(storage.s3_endpoint);
    w.Key("region").String(storage.s3_region);
    w.Key("prefix").String(storage.s3_prefix);
    w.Key("forcePathStyle").Bool(storage.s3_force_path_style);
  } else {
    t.kind = catalog::StorageKind::kLocal;
    t.name = "local:" + storage.root;
    w.Key("root").String(storage.root);
  }
  w.EndObject();
  t.config_json = w.TakeBuffer();
  return t;
}

Service::Service(config::ServiceConfig config)
    : config_(std::move(config)),
      logger_(observability::GetLogger("app")),
      catalog_(CatalogOptionsFor(config_.postgres)),
      stores_(S3DefaultsFor(config_.storage), &metrics_),
      target_stores_(catalog_, stores_),
      bootstrap_error_(common::Unavailable("catalog not bootstrapped yet")) {
  catalog_.pool().AddMetrics(metrics_);
  observability::AddProcessMetrics(metrics_);
}

Service::~Service() { Stop(); }

common::Status Service::Start() {
  TS_RETURN_IF_ERROR(config::CheckAuthBinding(config_));
  if (auto warning = config::InsecureBindingWarning(config_)) {
    logger_.Warn(*warning, observability::LogFields().Add("host", config_.http.host));
  }
  auto cache = storage::PartitionCache::Open(PartitionCacheOptionsFor(config_.storage), &metrics_);
  if (!cache.ok()) return cache.status().WithContext("partition cache");
  cache_ = std::move(cache).value();
  ingest_ = std::make_unique<ingest::IngestService>(
      catalog_, target_stores_, IngestOptionsFor(config_.ingest), cache_.get(), &metrics_);
  query::QueryEngineOptions engine_options;
  engine_options.connections = config_.query.connections;
  engine_options.threads = config_.query.threads;
  engine_options.memory_limit = config_.query.memory_limit;
  // Spills stay next to the data (a reserved ".tmp-" name, never listed as an object).
  engine_options.temp_directory = config_.storage.root + "/.tmp-duckdb-spill";
  auto engine = query::QueryEngine::Open(engine_options);
  if (!engine.ok()) return engine.status().WithContext("query engine");
  query_engine_ = std::move(engine).value();
  manifest_cache_ = std::make_unique<query::ManifestCache>(catalog_.manifests());
  query::NativeCopiesOptions native_options;
  native_options.enabled = config_.query.native_copies;
  native_options.min_rows = config_.query.native_min_rows;
  native_copies_ = std::make_unique<query::NativeCopies>(*cache_, native_options, &metrics_);
  dataset_reader_ = std::make_unique<query::DatasetReader>(
      catalog_, target_stores_, cache_.get(), *manifest_cache_, config_.query.fetch_concurrency,
      native_copies_.get());
  query_ = std::make_unique<query::QueryService>(*query_engine_, *dataset_reader_,
                                                 QueryOptionsFor(config_.query), &metrics_);
  lifecycle_ = std::make_unique<LifecycleRuntime>(catalog_, stores_, cache_.get(),
                                                  config_.lifecycle, &metrics_);
  sql_ = std::make_unique<query::SqlRuntime>(
      *dataset_reader_, catalog_, SqlOptionsFor(config_.sql, config_.storage, cache_->directory()));

  http::Router router;
  api::AddOpenApiRoute(router);
  request_metrics_ =
      std::make_unique<api::RequestMetrics>(&metrics_, [this](std::string_view slug) {
        auto found = catalog_.datasets().FindByIdOrSlugCached(slug);
        return found.ok() && found->has_value() && (*found)->slug == slug;
      });
  StartRequestAudit();
  access_ = std::make_unique<api::AccessControl>(config_.auth, catalog_.datasets(),
                                                 catalog_.tokens(), request_audit_.get());
  const api::AccessControl* access = access_.get();
  api::AddOperationalRoutes(router, {common::kVersion, [this] { return Readiness(); },
                                     [this] { return metrics_.RenderPrometheus(); }, access});
  api::AddIngestRoutes(router, *ingest_, request_metrics_.get(), request_audit_.get(), access);
  api::AddQueryRoutes(router, *query_, request_metrics_.get(), request_audit_.get(), access);
  api::AddSqlRoutes(router, *sql_, request_audit_.get(), access);
  api::AddLifecycleRoutes(router, lifecycle_->service(), request_audit_.get(), access);
  api::AddSavedQueryRoutes(router, catalog_.saved_queries(), request_audit_.get(), access);
  api::AddAuditRoutes(router, catalog_, access);
  api::AddTokenRoutes(router, catalog_.tokens(), request_audit_.get(), access);
  dataset_admin_ = std::make_unique<admin::DatasetAdminService>(catalog_);
  storage_target_admin_ = std::make_unique<admin::StorageTargetAdminService>(
      catalog_, stores_, [this](const catalog::StorageTargetId& id) { target_stores_.Forget(id); });
  api::AddAdminRoutes(router, *dataset_admin_, *storage_target_admin_, access, request_audit_.get(),
                      {IngestOptionsFor(config_.ingest).default_write_format});
  routes_ = router.Routes();
  http::ServerOptions server_options = ServerOptionsFor(config_.http);
  server_options.identify = [access](const http::Request& request) {
    return access->Identify(request);
  };
  server_ = std::make_unique<http::Server>(std::move(server_options), std::move(router),
                                           observability::GetLogger("http"), &metrics_);
  TS_RETURN_IF_ERROR(server_->Start());
  bootstrap_thread_ = std::jthread([this](const std::stop_token& stop) { BootstrapLoop(stop); });
  audit_cleanup_thread_ =
      std::jthread([this](const std::stop_token& stop) { AuditCleanupLoop(stop); });
  logger_.Info("timestore listening",
               observability::LogFields()
                   .Add("host", config_.http.host)
                   .Add("port", static_cast<int64_t>(server_->port()))
                   .Add("version", common::kVersion)
                   .Add("database", config::RedactDatabaseUrl(config_.postgres.url))
                   .Add("schema", config_.postgres.schema)
                   .Add("storageDriver", config::StorageDriverName(config_.storage.driver))
                   .Add("authMode", config::AuthModeName(config_.auth.mode)));
  return common::Status::Ok();
}

void Service::StartRequestAudit() {
  if (config_.audit.read_queue > 0) {
    audit_writer_ = std::make_unique<catalog::AsyncAuditWriter>(
        catalog_.audit(), AuditWriterOptionsFor(config_.audit), &metrics_);
    audit_writer_->Start();
  }
  request_audit_ = std::make_unique<api::RequestAudit>(
      &catalog_.audit(), audit_writer_.get(),
      [this](std::string_view name) -> std::optional<catalog::Dataset> {
        auto found = catalog_.datasets().FindByIdOrSlugCached(name);
        return found.ok() ? *found : std::nullopt;
      });
}

void Service::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (server_) server_->Stop();
  // After the server: the requests it finished have queued their events. Before the catalog's
  // pool closes (with this object).
  if (audit_writer_) audit_writer_->Stop();
  if (audit_cleanup_thread_.joinable()) {
    audit_cleanup_thread_.request_stop();
    audit_cleanup_thread_.join();
  }
  if (bootstrap_thread_.joinable()) {
    bootstrap_thread_.request_stop();
    bootstrap_thread_.join();
  }
  if (lifecycle_) lifecycle_->Stop();  // workers finish the job they are running
  logger_.Info("timestore stopped");
}

bool Service::FlushAuditEvents(std::chrono::milliseconds timeout) {
  return audit_writer_ == nullptr || audit_writer_->Flush(timeout);
}

uint16_t Service::port() const { return server_ ? server_->port() : 0; }

common::Status Service::Readiness() {
  if (!bootstrapped_.load()) {
    std::lock_guard lock(bootstrap_mu_);
    return bootstrap_error_;
  }
  TS_RETURN_IF_ERROR(catalog_.CheckReady());
  // The default storage target must be usable too (a missing bucket or rejected credentials).
  auto target = catalog_.storage_targets().FindDefault();
  if (!target.ok()) return common::Unavailable("storage: " + target.status().message());
  if (!target->has_value()) return common::Unavailable("storage: no default storage target");
  auto store = target_stores_.ForTarget(**target);
  if (!store.ok()) return common::Unavailable("storage: " + store.status().message());
  if (common::Status st = (*store)->CheckAvailable(); !st.ok()) {
    return common::Unavailable("storage " + (*store)->Describe() + ": " + st.message());
  }
  return common::Status::Ok();
}

common::Result<int64_t> Service::CleanupAuditTrail(common::UnixMicros now) {
  const common::UnixMicros cutoff = now - config_.audit.ttl_days * 86'400 * 1'000'000;
  int64_t deleted = 0;
  for (int batch = 0; batch < kAuditCleanupBatches; ++batch) {
    TS_ASSIGN_OR_RETURN(int64_t n, catalog_.audit().DeleteOlderThan(cutoff, kAuditCleanupBatch));
    deleted += n;
    if (n < kAuditCleanupBatch) break;
  }
  return deleted;
}

void Service::AuditCleanupLoop(const std::stop_token& stop) {
  std::mutex wait_mu;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    if (bootstrapped_.load()) {
      auto deleted = CleanupAuditTrail(common::NowMicros());
      if (!deleted.ok()) {
        logger_.Warn("audit cleanup failed",
                     observability::LogFields().Add("error", deleted.status().message()));
      } else if (*deleted > 0) {
        logger_.Info("audit events deleted", observability::LogFields().Add("count", *deleted));
      }
    }
    // Until bootstrapped, look again soon; then every cleanup interval.
    const auto delay =
        bootstrapped_.load()
            ? std::chrono::duration_cast<std::chrono::milliseconds>(config_.audit.cleanup_interval)
            : std::chrono::milliseconds(500);
    std::unique_lock lock(wait_mu);
    wake.wait_for(lock, stop, delay, [] { return false; });
  }
}

common::Result<int> BootstrapCatalog(catalog::Catalog& catalog,
                                     const config::StorageConfig& storage) {
  TS_ASSIGN_OR_RETURN(int applied, catalog.Migrate());
  const DefaultStorageTarget target = DefaultStorageTargetFor(storage);
  TS_RETURN_IF_ERROR(catalog.storage_targets()
                         .EnsureDefault(target.name, target.kind, target.config_json)
                         .status());
  return applied;
}

void Service::BootstrapLoop(const std::stop_token& stop) {
  std::chrono::milliseconds delay(250);
  std::mutex wait_mu;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    common::Result<int> applied = BootstrapCatalog(catalog_, config_.storage);
    if (applied.ok()) {
      catalog_.StartDatasetCache();
      bootstrapped_.store(true);
      if (config_.lifecycle.enabled) {
        lifecycle_->Start(config_.lifecycle.workers, /*schedule=*/true);
      }
      logger_.Info("catalog ready", observability::LogFields()
                                        .Add("schema", config_.postgres.schema)
                                        .Add("migrationsApplied", *applied));
      return;
    }
    const common::Status& st = applied.status();
    {
      std::lock_guard lock(bootstrap_mu_);
      bootstrap_error_ = common::Unavailable(st.message());
    }
    logger_.Warn("catalog bootstrap failed; retrying",
                 observability::LogFields()
                     .Add("error", st.message())
                     .Add("retryInMs", static_cast<int64_t>(delay.count())));
    std::unique_lock lock(wait_mu);
    wake.wait_for(lock, stop, delay, [] { return false; });
    delay = std::min(delay * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace timestore::app
