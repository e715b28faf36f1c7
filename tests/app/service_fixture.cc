#include "app/service_fixture.h"

#include <chrono>

#include "common/time.h"

namespace timestore::app {

using namespace std::chrono_literals;

std::string IngestBody(int rows, int offset) {
  std::string body = R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},)"
                     R"({"name":"usage","type":"double"}]},"rows":[)";
  for (int i = 0; i < rows; ++i) {
    body += (i ? "," : "") + std::string(R"({"timestamp":")") +
            common::FormatIso8601((1704067200LL + offset + i) * 1'000'000) + R"(","usage":)" +
            std::to_string(i) + "}";
  }
  return body + "]}";
}

ServiceTest::ServiceTest(std::string_view schema_prefix) {
  config_.http.port = 0;
  config_.postgres.url = testing::PostgresUrl();
  config_.postgres.schema = testing::UniqueName(std::string(schema_prefix));
  config_.storage.root = storage_.path().string();
  config_.storage.cache_dir = (cache_.path() / "cache").string();
  config_.lifecycle.enabled = false;
}

void ServiceTest::StartService() {
  service_.reset();  // a restart: the old one stops before the new one starts
  service_ = std::make_unique<Service>(config_);
  const common::Status started = service_->Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  const common::Status ready = WaitUntilReady(*service_);
  ASSERT_TRUE(ready.ok()) << ready.ToString();
  catalog_ = std::make_unique<catalog::Catalog>(CatalogOptionsFor(config_.postgres));
}

testing::RawResponse ServiceTest::Call(const std::string& method, const std::string& target,
                                       const std::string& body, const std::string& headers) {
  testing::RawHttpClient c(service_->port(), 30s);
  auto r = c.Roundtrip(testing::MakeRequest(
      method, target, (body.empty() ? "" : "Content-Type: application/json\r\n") + headers, body));
  EXPECT_TRUE(r.has_value()) << method << " " << target << ": no answer";
  return r.value_or(testing::RawResponse{});
}

void ServiceTest::FlushAudit() {
  EXPECT_TRUE(service_->FlushAuditEvents(10s)) << "read audit events still queued after 10 s";
}

std::vector<catalog::AuditEvent> ServiceTest::AuditEvents(const std::string& action) {
  FlushAudit();
  catalog::ListAuditOptions o;
  o.actions = {action};
  o.limit = 500;
  auto events = catalog_->audit().List(o);
  EXPECT_TRUE(events.ok()) << events.status().ToString();
  return events.ok() ? *events : std::vector<catalog::AuditEvent>{};
}

}  // namespace timestore::app
