// ThrowawayService: a PostgreSQL or S3 server of the test's own (scripts/pg_tmp.sh or
// scripts/s3_tmp.sh through harness::ThrowawayService), for tests that stop and restart it without
// disturbing other tests. Started on construction, removed on destruction; failures fail the test.
#pragma once

#include <optional>
#include <string>

#include "harness/throwaway_service.h"
#include "testing/test_env.h"

namespace timestore::testing {

class ThrowawayService {
 public:
  // `script` is "pg_tmp.sh" or "s3_tmp.sh"; `url_variable` the export holding its address
  // ("TIMESTORE_PG_URL" or "TIMESTORE_S3_ENDPOINT").
  ThrowawayService(const std::string& script, const std::string& url_variable);
  ThrowawayService(const ThrowawayService&) = delete;
  ThrowawayService& operator=(const ThrowawayService&) = delete;

  // Empty when the start failed (the test has been failed already).
  const std::string& url() const { return url_; }
  bool Pause();   // stops the server, keeping its data
  bool Resume();  // starts it again on the same port

 private:
  TempDir state_;
  std::optional<harness::ThrowawayService> service_;  // stopped first: declared after state_
  std::string url_;
};

}  // namespace timestore::testing
