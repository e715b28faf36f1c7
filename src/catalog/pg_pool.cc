#include "catalog/pg_pool.h"

namespace timestore::catalog {

using common::Result;

PgLease::PgLease(PgLease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {
  other.pool_ = nullptr;
}

PgLease::~PgLease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Release(std::move(conn_));
}

PgPool::PgPool(PgPoolOptions options) : options_(std::move(options)) {}

Result<PgLease> PgPool::Acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  std::unique_lock lock(mu_);
  while (true) {
    while (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.front());
      idle_.pop_front();
      if (!conn->IsBroken()) return PgLease(this, std::move(conn));
      --open_;  // a server restart killed it while idle: drop it and try the next one
    }
    if (open_ < options_.max_size) {
      ++open_;
      lock.unlock();
      auto conn = PgConnection::Connect(options_.connect);
      lock.lock();
      if (!conn.ok()) {
        --open_;
        available_.notify_one();
        return conn.status();
      }
      return PgLease(this, std::make_unique<PgConnection>(std::move(conn).value()));
    }
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.max_size) {
      return common::Unavailable("PostgreSQL pool exhausted: all " +
                                 std::to_string(options_.max_size) + " connections busy for " +
                                 std::to_string(options_.acquire_timeout.count()) + " ms");
    }
  }
}

void PgPool::Release(std::unique_ptr<PgConnection> conn) {
  bool reusable = !conn->IsBroken();
  if (reusable && !conn->IsIdle()) {
    // Left inside a transaction (an early return): roll it back so the next user starts clean.
    reusable = conn->ExecScript("ROLLBACK").ok() && conn->IsIdle();
  }
  std::lock_guard lock(mu_);
  if (reusable) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  available_.notify_one();
}

int PgPool::open_connections() const {
  std::lock_guard lock(mu_);
  return open_;
}

int PgPool::idle_connections() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(idle_.size());
}

void PgPool::AddMetrics(observability::MetricsRegistry& registry) {
  constexpr std::string_view kHelp = "Catalog (PostgreSQL) pool connections, by state.";
  observability::Gauge& idle =
      registry.GetGauge("timestore_catalog_pool_connections", kHelp, {{"state", "idle"}});
  observability::Gauge& in_use =
      registry.GetGauge("timestore_catalog_pool_connections", kHelp, {{"state", "in_use"}});
  registry.GetGauge("timestore_catalog_pool_max", "Connections the catalog pool opens at most.")
      .Set(options_.max_size);
  registry.AddCollector([this, &idle, &in_use] {
    std::lock_guard lock(mu_);
    idle.Set(static_cast<double>(idle_.size()));
    in_use.Set(static_cast<double>(open_) - static_cast<double>(idle_.size()));
  });
}

}  // namespace timestore::catalog
