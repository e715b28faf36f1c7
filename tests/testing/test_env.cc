#include "testing/test_env.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <unistd.h>

namespace timestore::testing {
namespace {

// Reads `export A='x' B=y` lines and returns the value of `key`, or "" when absent.
std::string ReadEnvFile(const std::string& file, std::string_view key) {
  const char* dir = std::getenv("TIMESTORE_TEST_STATE_DIR");
  if (dir == nullptr) return {};
  std::ifstream in(std::filesystem::path(dir) / file);
  std::string word;
  while (in >> word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos || std::string_view(word).substr(0, eq) != key) continue;
    std::string value = word.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return {};
}

std::string RequireEnvValue(const std::string& file, std::string_view key) {
  std::string value = ReadEnvFile(file, key);
  if (value.empty()) {
    ADD_FAILURE() << key << " not found in $TIMESTORE_TEST_STATE_DIR/" << file
                  << "; run the tests through ctest (it starts the services fixture)";
  }
  return value;
}

}  // namespace

std::string PostgresUrl() { return RequireEnvValue("pg.env", "TIMESTORE_PG_URL"); }

std::string PostgresStateValue(std::string_view key) { return RequireEnvValue("pg.env", key); }

std::string S3Endpoint() { return RequireEnvValue("s3.env", "TIMESTORE_S3_ENDPOINT"); }

std::string UniqueName(std::string_view prefix) {
  static std::atomic<int> counter{0};
  static const uint32_t kSalt = std::random_device{}() % 100000;
  std::string name(prefix);
  name += "_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
          std::to_string(kSalt);
  return name;
}

TempDir::TempDir() {
  common::Result<harness::WorkDir> dir =
      harness::WorkDir::Create(/*keep=*/false, /*cleanup=*/nullptr, "timestore-test-");
  if (!dir.ok()) {
    ADD_FAILURE() << dir.status().ToString();
    return;
  }
  dir_.emplace(std::move(*dir));
  path_ = dir_->path();
}

}  // namespace timestore::testing
