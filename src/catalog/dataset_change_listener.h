// DatasetChangeListener: keeps a DatasetCache correct for changes committed by any process. One
// thread holds a dedicated PostgreSQL connection that LISTENs on kDatasetChannel; each
// notification for this catalog's schema erases that dataset's entry. The cache is enabled only
// while the LISTEN is live: it is emptied and enabled once LISTEN succeeded, and disabled the
// moment the connection breaks; the thread then reconnects with backoff (0.25 s up to 5 s).
// Starts on construction, stops (and joins) on destruction.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "catalog/dataset_cache.h"
#include "catalog/pg_connection.h"
#include "observability/logger.h"

namespace timestore::catalog {

class DatasetChangeListener {
 public:
  // `cache` must outlive this.
  DatasetChangeListener(PgConnectOptions connect, DatasetCache& cache);
  ~DatasetChangeListener();
  DatasetChangeListener(const DatasetChangeListener&) = delete;
  DatasetChangeListener& operator=(const DatasetChangeListener&) = delete;

 private:
  void Run(const std::stop_token& stop);
  // Listens on `conn` until it breaks or `stop` is requested.
  void Listen(PgConnection& conn, const std::stop_token& stop);

  const PgConnectOptions connect_;
  DatasetCache& cache_;
  observability::Logger logger_;
  std::jthread thread_;  // last: stops before the members above go
};

}  // namespace timestore::catalog
