// TestDatabase: a fresh in-memory Database with one open Connection, for the duck tests; plus
// ValueOrDie for test set-up steps that cannot continue after a failure. Not thread-safe.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "testing/value_or_die.h"

namespace timestore::duck {

using timestore::testing::ValueOrDie;

struct TestDatabase {
  explicit TestDatabase(const std::string& path = ":memory:", const DatabaseOptions& options = {})
      : db(ValueOrDie(Database::Open(path, options), "Database::Open")),
        conn(ValueOrDie(Connection::Open(db), "Connection::Open")) {}

  Database db;
  Connection conn;
};

}  // namespace timestore::duck
