// OpenObjectStore: the one place that turns a storage target (its kind and config JSON, as the
// catalog stores them) into an ObjectStore. Thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.h"
#include "observability/metrics.h"
#include "storage/object_store.h"
#include "storage/s3_object_store.h"

namespace timestore::storage {

// kind "local", config {"root": "/absolute/path"} (other members are ignored) -> LocalObjectStore.
// kind "s3", config {"bucket", "endpoint", "region", "prefix", "forcePathStyle", "accessKeyId",
// "secretAccessKey", "sessionToken", "multipartThresholdBytes", "multipartPartBytes"} (all
// optional)
// -> S3ObjectStore with `s3_defaults` (the TIMESTORE_S3_* variables) overridden by the members
// present: a target created with its own credentials uses them, the default target the service's.
// kInvalidArgument for another kind, a config that is not a JSON object, a member of the wrong
// type, or a missing, non-string or relative root; errors of the store's Open otherwise. `metrics`
// (optional) must outlive the store.
common::Result<std::unique_ptr<ObjectStore>> OpenObjectStore(
    std::string_view kind, std::string_view config_json, const S3Options& s3_defaults = {},
    observability::MetricsRegistry* metrics = nullptr);

}  // namespace timestore::storage
