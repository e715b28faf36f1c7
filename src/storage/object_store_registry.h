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

namespace timestore::storage {

class ObjectStoreRegistry {
 public:
  // The store of target `target_id`, opening it from `kind` and `config_json` (see OpenObjectStore)
  // the first time. A target whose configuration changed since it was opened is opened again.
  common::Result<std::shared_ptr<ObjectStore>> Get(const std::string& target_id,
                                                   std::string_view kind,
                                                   std::string_view config_json);

 private:
  struct Entry {
    std::string kind;
    std::string config_json;
    std::shared_ptr<ObjectStore> store;
  };
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> stores_;
};

}  // namespace timestore::storage
