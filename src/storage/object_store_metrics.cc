#include "storage/object_store_metrics.h"

#include <string>

namespace timestore::storage {
namespace {

constexpr std::array<std::string_view, 5> kOpNames = {"put", "get", "delete", "list", "stat"};

}  // namespace

ObjectStoreMetrics::ObjectStoreMetrics(observability::MetricsRegistry& registry,
                                       std::string_view store_kind) {
  static_assert(kOpNames.size() == kOpCount);
  const std::string store(store_kind);
  for (size_t i = 0; i < kOpCount; ++i) {
    const std::string op(kOpNames[i]);
    Series& s = series_[i];
    constexpr std::string_view kOpsHelp = "Object store operations by outcome.";
    s.ok = &registry.GetCounter("timestore_storage_operations_total", kOpsHelp,
                                {{"store", store}, {"op", op}, {"outcome", "ok"}});
    s.error = &registry.GetCounter("timestore_storage_operations_total", kOpsHelp,
                                   {{"store", store}, {"op", op}, {"outcome", "error"}});
    if (op == "put" || op == "get") {
      s.bytes = &registry.GetCounter("timestore_storage_bytes_total",
                                     "Bytes published (put) and fetched (get) by object stores.",
                                     {{"store", store}, {"op", op}});
    }
    s.seconds = &registry.GetHistogram("timestore_storage_operation_seconds",
                                       "Latency of object store operations.",
                                       {{"store", store}, {"op", op}});
  }
}

void ObjectStoreMetrics::Record(Op op, const common::Status& status,
                                std::chrono::steady_clock::time_point started,
                                int64_t bytes) const {
  const Series& s = series_[static_cast<size_t>(op)];
  if (s.ok == nullptr) return;
  (status.ok() ? s.ok : s.error)->Increment();
  if (status.ok() && s.bytes != nullptr && bytes > 0)
    s.bytes->Increment(static_cast<double>(bytes));
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  s.seconds->Observe(elapsed.count());
}

}  // namespace timestore::storage
