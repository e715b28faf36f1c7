// ServiceTest: the base of app tests that drive a real app::Service over HTTP. Each test gets a
// throwaway catalog schema, its own storage and cache directories and the lifecycle turned off;
// it may adjust config_ before StartService().
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "app/service.h"
#include "catalog/catalog.h"
#include "config/service_config.h"
#include "testing/eventually.h"
#include "testing/raw_http_client.h"
#include "testing/test_env.h"

namespace timestore::app {

// An ingest body creating {timestamp, usage}: `rows` rows one second apart from
// 2024-01-01T00:00:00Z plus `offset` seconds, usage 0, 1, 2, ...
std::string IngestBody(int rows, int offset = 0);

// Waits until `service` (started) reports ready - the one readiness wait of the in-process
// service tests; returns the last Readiness() when `timeout` passes first.
inline common::Status WaitUntilReady(Service& service,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  common::Status ready;
  testing::Eventually([&] { return (ready = service.Readiness()).ok(); }, timeout);
  return ready;
}

// A raw query over 2024-01-01 (UTC).
inline const std::string kFirstDayQuery =
    R"({"timeRange":{"start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z"}})";

class ServiceTest : public ::testing::Test {
 protected:
  // `schema_prefix` names the test's catalog schema ("<prefix>_<unique suffix>").
  explicit ServiceTest(std::string_view schema_prefix);

  // Starts the service with config_ (stopping a running one first) and waits until it is ready;
  // opens catalog_ on its schema. Fails the test (fatally) when either does not happen.
  void StartService();

  // One request over a fresh connection; a JSON content type is sent with a non-empty body.
  // `headers` are extra "Name: value\r\n" lines. A request that gets no answer fails the test.
  testing::RawResponse Call(const std::string& method, const std::string& target,
                            const std::string& body = "", const std::string& headers = "");

  // Waits until the read audit events of the requests answered so far are stored (they are
  // stored in the background); fails the test when that takes more than 10 s.
  void FlushAudit();

  // The audit events recorded as `action`, newest first (at most 500), after FlushAudit().
  std::vector<catalog::AuditEvent> AuditEvents(const std::string& action);

  testing::TempDir storage_;
  testing::TempDir cache_;
  config::ServiceConfig config_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<catalog::Catalog> catalog_;  // a client of the service's catalog schema
};

}  // namespace timestore::app
