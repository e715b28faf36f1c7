// WriteDuckdbDatabase: the one way a DuckDB database file is written (partition files, merged
// partitions, native copies): attached, filled, checkpointed and detached again - also on failure,
// so that the instance keeps nothing open - and refused when DuckDB left a write-ahead log next to
// it (the file alone must hold every row). Thread-safe as far as `conn` is used by one thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "duck/connection.h"

namespace timestore::partition {

// Attaches a new database at `path` as `alias` (ATTACH ... AS alias <attach_options>, e.g.
// "(ROW_GROUP_SIZE 16384)" or ""), runs `fill` (which creates and fills its tables through
// `alias`), then CHECKPOINTs and DETACHes it. The first error wins; kInternal when a `.wal` stays.
common::Status WriteDuckdbDatabase(duck::Connection& conn, const std::string& path,
                                   const std::string& alias, std::string_view attach_options,
                                   const std::function<common::Status()>& fill);

}  // namespace timestore::partition
