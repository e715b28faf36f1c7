// RetentionRepository: each dataset's retention policy (table retention_policies), stored as the
// JSON document the API accepted. The catalog keeps the text and never interprets it; lifecycle/
// owns its shape and validation (lifecycle/retention.h). Thread-safe; every call borrows a
// connection from the pool, which must outlive the repository.
#pragma once

#include <optional>
#include <string>

#include "catalog/pg_pool.h"
#include "catalog/types.h"
#include "common/status.h"

namespace timestore::catalog {

struct RetentionPolicyRecord {
  DatasetId dataset_id;
  std::string policy_json;  // as normalized by jsonb (key order and spacing may differ)
  std::optional<std::string> updated_by;
  UnixMicros created_at = 0;  // first Put
  UnixMicros updated_at = 0;  // last Put
};

class RetentionRepository {
 public:
  explicit RetentionRepository(PgPool& pool) : pool_(pool) {}

  // The dataset's policy; nothing when it has none (or the dataset does not exist).
  common::Result<std::optional<RetentionPolicyRecord>> Find(const DatasetId& dataset_id);
  // Creates or replaces the dataset's policy (created_at kept, updated_at = now). The caller
  // validates `policy_json`, which must be a JSON document (kInvalidArgument otherwise). kNotFound
  // for an unknown dataset. Returns the stored row.
  common::Result<RetentionPolicyRecord> Put(const DatasetId& dataset_id,
                                            const std::string& policy_json,
                                            const std::optional<std::string>& updated_by);

 private:
  PgPool& pool_;
};

}  // namespace timestore::catalog
