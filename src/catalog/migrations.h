// Versioned catalog migrations, compiled into the binary. ApplyMigrations creates the configured
// schema and applies, in order, every migration the database lacks, each in its own transaction,
// while holding a session advisory lock keyed by the schema name: any number of processes may boot
// at once and each migration is applied exactly once. Applied migrations are never edited; changes
// go in a new version.
#pragma once

#include <string_view>
#include <vector>

#include "catalog/pg_connection.h"
#include "common/status.h"

namespace timestore::catalog {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // runs with search_path set to the catalog schema
};

const std::vector<Migration>& AllMigrations();
int LatestMigrationVersion();

// Applies missing migrations to `schema` over `conn` (whose search_path is `schema`). Returns how
// many were applied by this call (0 when another process did them first).
common::Result<int> ApplyMigrations(PgConnection& conn, std::string_view schema);

// The highest applied migration version; 0 when the schema or its migration table does not exist.
common::Result<int> CurrentMigrationVersion(PgConnection& conn);

}  // namespace timestore::catalog
