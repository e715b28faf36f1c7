// Test environment: where the throwaway services started by ctest's "services" fixture live, and
// temporary directories. The fixture (scripts/test_services.sh) writes pg.env and s3.env into
// $TIMESTORE_TEST_STATE_DIR; these functions read them. Thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "harness/work_dir.h"

namespace timestore::testing {

// `postgres://timestore:timestore@127.0.0.1:PORT/timestore` of the throwaway cluster. Fails the
// calling test (ADD_FAILURE) and returns "" when the fixture did not run.
std::string PostgresUrl();

// The superuser socket directory and port of the throwaway cluster, for tests that stop/start it.
std::string PostgresStateValue(std::string_view key);

// `http://127.0.0.1:PORT` of the signature-verifying S3 server; "" (with a failure) when absent.
std::string S3Endpoint();

// A name no other test in this run uses: `<prefix>_<pid>_<counter>_<random>`, lowercase, ≤ 40
// chars, valid as a PostgreSQL schema name and as a dataset slug.
std::string UniqueName(std::string_view prefix);

// A directory (a harness::WorkDir) created on construction and removed with its contents on
// destruction. A failed creation fails the calling test.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::optional<harness::WorkDir> dir_;
  std::filesystem::path path_;
};

}  // namespace timestore::testing
