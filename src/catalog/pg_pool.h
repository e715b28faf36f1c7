// PgPool: a bounded pool of PgConnections shared by all threads. Acquire() lends a connection
// through a PgLease; the lease's destructor gives it back, unless it broke (server restart, lost
// socket) or was left inside a transaction that cannot be rolled back, in which case it is closed
// and a new one is made on demand. Thread-safe. The pool must outlive its leases.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "catalog/pg_connection.h"
#include "common/status.h"
#include "observability/metrics.h"

namespace timestore::catalog {

struct PgPoolOptions {
  PgConnectOptions connect;
  int max_size = 10;                                // connections open at most
  std::chrono::milliseconds acquire_timeout{5000};  // wait for a free connection at most this long
};

class PgPool;

// A borrowed connection. Move-only; returns the connection to its pool when destroyed.
class PgLease {
 public:
  PgLease(PgLease&& other) noexcept;
  PgLease& operator=(PgLease&&) = delete;
  ~PgLease();

  PgConnection& conn() { return *conn_; }
  PgConnection* operator->() { return conn_.get(); }

 private:
  friend class PgPool;
  PgLease(PgPool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
  PgPool* pool_;
  std::unique_ptr<PgConnection> conn_;
};

class PgPool {
 public:
  explicit PgPool(PgPoolOptions options);
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // Lends an idle connection, or opens a new one while fewer than max_size exist, or waits for one
  // to come back. kUnavailable when connecting fails or no connection frees up within
  // acquire_timeout.
  common::Result<PgLease> Acquire();

  // Connections currently open (idle + lent).
  int open_connections() const;
  int idle_connections() const;
  const PgPoolOptions& options() const { return options_; }

  // Registers timestore_catalog_pool_connections{state="idle"|"in_use"} (in use: lent or being
  // opened) and timestore_catalog_pool_max in `registry`, read by a collector at scrape time. The
  // pool must outlive the registry's renders.
  void AddMetrics(observability::MetricsRegistry& registry);

 private:
  friend class PgLease;
  void Release(std::unique_ptr<PgConnection> conn);

  const PgPoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable available_;
  std::deque<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // idle_.size() + lent + being opened; never above options_.max_size
};

}  // namespace timestore::catalog
