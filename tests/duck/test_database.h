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

namespace timestore::duck {

// The value of `result`; aborts the test binary with the Status when it failed (for set-up steps).
template <typename T>
T ValueOrDie(common::Result<T> result, std::string_view what) {
  if (!result.ok()) {
    std::fprintf(stderr, "%.*s failed: %s\n", static_cast<int>(what.size()), what.data(),
                 result.status().ToString().c_str());
    std::abort();
  }
  return std::move(result).value();
}

struct TestDatabase {
  explicit TestDatabase(const std::string& path = ":memory:", const DatabaseOptions& options = {})
      : db(ValueOrDie(Database::Open(path, options), "Database::Open")),
        conn(ValueOrDie(Connection::Open(db), "Connection::Open")) {}

  Database db;
  Connection conn;
};

}  // namespace timestore::duck
