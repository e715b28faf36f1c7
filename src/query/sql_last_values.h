// Last values for SQL: the rows at the last instant of each value of a key column, per dataset
// version, read instead of the whole dataset by subqueries of the last-value shape (see
// LastValueCandidate in sql_guard.h) - the per-key max(time) at the heart of lastpoint queries.
//
// Kept per partition: the first statement that needs them after a commit computes the rows of each
// partition it has not seen yet (one scan of that partition, remembered in the sandbox as a table
// timestore_last."<partition id>/<key>/<schema version>"); the dataset's last values are those
// rows' last instant per key, over the partitions of the version the statement reads (a table
// timestore_last."<slug>/<key>", rebuilt when that set of partitions changes). Partitions are
// immutable, so nothing is ever recomputed; a version's last values are exactly its partitions', so
// they are consistent with every manifest version without any notification. Sandboxes compute their
// own; everything runs in the sandbox of the statement.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "catalog/types.h"
#include "common/status.h"
#include "query/query_sql.h"
#include "query/sql_guard.h"
#include "query/sql_sandbox.h"

namespace timestore::query {

// What a dataset view of a sandbox reads: recorded when the view is defined.
struct ViewInputs {
  std::string timestamp_column;
  std::vector<catalog::ColumnDef> columns;  // the current schema
  std::shared_ptr<const std::map<int, std::vector<catalog::ColumnDef>>> schemas;
  int schema_version = 0;
  std::vector<std::string> partition_ids;  // parallel to files
  std::vector<SourceFile> files;
};

// `sql` with every last-value candidate of `guarded` whose max column is its dataset's time column
// and whose key is a column of it pointed at that dataset's last values, which are made current in
// `sandbox` first. Candidates that do not qualify are left as written. `inputs`: by slug. The
// "<slug>/<key>" of each table used are added to `used` (sorted, unique).
common::Result<std::string> UseLastValues(SqlSandbox& sandbox, const GuardedStatement& guarded,
                                          const std::map<std::string, ViewInputs>& inputs,
                                          const std::string& sql, std::vector<std::string>& used);

}  // namespace timestore::query
