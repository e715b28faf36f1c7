// OpenObjectStore: the one place that turns a storage target (its kind and config JSON, as the
// catalog stores them) into an ObjectStore. Thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.h"
#include "observability/metrics.h"
#include "storage/object_store.h"

namespace timestore::storage {

// kind "local", config {"root": "/absolute/path"} (other members are ignored) -> LocalObjectStore.
// kind "s3" -> kUnavailable until remote storage support is built. kInvalidArgument for another
// kind, a config that is not a JSON object, or a missing, non-string or relative root; errors of
// LocalObjectStore::Open otherwise. `metrics` (optional) must outlive the store.
common::Result<std::unique_ptr<ObjectStore>> OpenObjectStore(
    std::string_view kind, std::string_view config_json,
    observability::MetricsRegistry* metrics = nullptr);

}  // namespace timestore::storage
