// ObjectStoreRegistry: the opened ObjectStore of each storage target, opened on first use and
// shared by every caller afterwards (stores are thread-safe). The caller passes the target's
// catalog description (storage sits below the catalog and does not read it). Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/object_store.h"
#include "storage/s3_object_store.h"

namespace timestore::storage {

class ObjectStoreRegistry {
 public:
  // `s3_defaults` fill what an S3 target's config leaves out (see OpenObjectStore); `metrics`
  // (optional) must outlive the registry.
  explicit ObjectStoreRegistry(const S3Options& s3_defaults = {},
                               observability::MetricsRegistry* metrics = nullptr)
      : s3_defaults_(s3_defaults), metrics_(metrics) {}

  // The store of target `target_id`, opening it from `kind` and `config_json` (see OpenObjectStore)
  // the first time. A target whose configuration changed since it was opened is opened again.
  common::Result<std::shared_ptr<ObjectStore>> Get(const std::string& target_id,
                                                   std::string_view kind,
                                                   std::string_view config_json);

  // OK when a store could be opened from `kind` and `config_json` with this registry's S3
  // defaults (see OpenObjectStore for the errors); nothing is cached. No network I/O; a local root
  // is created.
  common::Status Validate(std::string_view kind, std::string_view config_json) const;

 private:
  struct Entry {
    std::string kind;
    std::string config_json;
    std::shared_ptr<ObjectStore> store;
  };
  const S3Options s3_defaults_;
  observability::MetricsRegistry* const metrics_;
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> stores_;
};

}  // namespace timestore::storage
