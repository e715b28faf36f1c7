// ObjectStoreMetrics: what every ObjectStore implementation reports, labelled with the store kind
// ("local", "s3"):
//   timestore_storage_operations_total{store,op,outcome}   op: put|get|delete|list|stat, outcome:
//   ok|error timestore_storage_bytes_total{store,op}                bytes published (put) and
//   fetched (get) timestore_storage_operation_seconds{store,op}          latency histogram
// A default-constructed instance records nothing. Thread-safe; the registry must outlive it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "observability/metrics.h"

namespace timestore::storage {

class ObjectStoreMetrics {
 public:
  enum class Op { kPut, kGet, kDelete, kList, kStat };

  ObjectStoreMetrics() = default;
  ObjectStoreMetrics(observability::MetricsRegistry& registry, std::string_view store_kind);

  // Records one finished operation that started at `started`; `bytes` counts for put and get.
  void Record(Op op, const common::Status& status, std::chrono::steady_clock::time_point started,
              int64_t bytes = 0) const;

 private:
  static constexpr size_t kOpCount = 5;
  struct Series {
    observability::Counter* ok = nullptr;
    observability::Counter* error = nullptr;
    observability::Counter* bytes = nullptr;  // only for put and get
    observability::Histogram* seconds = nullptr;
  };
  std::array<Series, kOpCount> series_{};
};

}  // namespace timestore::storage
