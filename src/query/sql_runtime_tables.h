// The timestore_runtime.* tables that caller SQL may read: `datasets` (one row per dataset),
// `partitions` (one per live partition at each dataset's current version) and `columns` (one per
// current column). Built per statement in the statement's sandbox from the catalog.
#pragma once

#include <string_view>
#include <vector>

#include "catalog/types.h"
#include "common/status.h"
#include "duck/connection.h"
#include "query/dataset_reader.h"

namespace timestore::query {

// Creates or replaces timestore_runtime.<table> in `connection` holding `datasets` (all of them
// readable by the caller). An unknown table name does nothing (CheckReadOnlySql allows only these
// three). Errors from DuckDB or from reading manifests and schemas.
common::Status FillRuntimeTable(duck::Connection& connection, std::string_view table,
                                const std::vector<catalog::Dataset>& datasets,
                                DatasetReader& reader);

}  // namespace timestore::query
