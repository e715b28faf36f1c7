// Ingest with the S3 driver against the signature-verifying test server: files land in the bucket
// under the expected keys; bad credentials make /ready and ingest fail with a clear reason.

#include <gtest/gtest.h>

#include "app/service.h"
#include "app/service_fixture.h"
#include "common/time.h"
#include "storage/s3_object_store.h"
#include "storage/sha256_hasher.h"
#include "testing/eventually.h"
#include "testing/raw_http_client.h"
#include "testing/test_env.h"
#include "testing/throwaway_service.h"

namespace timestore::app {
namespace {

using namespace std::chrono_literals;

constexpr char kBody[] =
    R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},{"name":"v","type":"double"}]},)"
    R"("rows":[{"timestamp":"2024-01-01T00:00:00Z","v":1},{"timestamp":"2024-01-01T00:00:01Z","v":2}]})";

class S3IngestTest : public ::testing::Test {
 protected:
  config::ServiceConfig Config(const std::string& secret) {
    config::ServiceConfig c;
    c.http.port = 0;
    c.postgres.url = testing::PostgresUrl();
    c.postgres.schema = testing::UniqueName("s3");
    c.storage.driver = config::StorageDriver::kS3;
    c.storage.root = scratch_.path().string();
    c.storage.s3_bucket = "timestore-test";
    c.storage.s3_endpoint = testing::S3Endpoint();
    c.storage.s3_prefix = prefix_;
    c.storage.s3_access_key_id = "S3RVER";
    c.storage.s3_secret_access_key = secret;
    c.storage.cache_dir = (scratch_.path() / "cache").string();
    return c;
  }

  testing::RawResponse Call(uint16_t port, const std::string& request) {
    testing::RawHttpClient c(port, 30s);
    auto r = c.Roundtrip(request);
    EXPECT_TRUE(r.has_value());
    return r.value_or(testing::RawResponse{});
  }

  testing::TempDir scratch_;
  std::string prefix_ = testing::UniqueName("ingest") + "/";
};

TEST_F(S3IngestTest, IngestPublishesVerifiedFilesInTheBucket) {
  config::ServiceConfig cfg = Config("S3RVER");
  Service service(cfg);
  ASSERT_TRUE(service.Start().ok());
  const common::Status ready = WaitUntilReady(service);
  ASSERT_TRUE(ready.ok()) << ready.ToString();

  auto r = Call(service.port(), testing::MakeRequest("POST", "/datasets/metrics/ingest",
                                                     "Content-Type: application/json\r\n", kBody));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_NE(r.body.find(R"("kind":"s3")"), std::string::npos) << r.body;

  catalog::Catalog catalog(CatalogOptionsFor(cfg.postgres));
  auto d = catalog.datasets().GetBySlug("metrics");
  auto parts = catalog.manifests().ListLivePartitions(d->id, std::nullopt, std::nullopt);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 1u);

  // The object is in the bucket under <prefix><object key>, with the recorded size and checksum.
  storage::S3Options o = S3DefaultsFor(cfg.storage);
  auto store = storage::S3ObjectStore::Open(o);
  ASSERT_TRUE(store.ok());
  auto listed = (*store)->List("metrics/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].key, (*parts)[0].object_key.value());
  EXPECT_EQ((*listed)[0].size_bytes, (*parts)[0].file_size_bytes);
  EXPECT_EQ((*parts)[0].object_key.value().rfind("metrics/window=20240101T000000Z/", 0), 0u);
  const std::string copy = (scratch_.path() / "copy.parquet").string();
  ASSERT_TRUE((*store)->GetFile((*parts)[0].object_key.value(), copy).ok());
  // Nothing was left in the local staging directory, and the file was written through to the
  // partition cache under the target's id: the first read on this node needs no download.
  EXPECT_TRUE(std::filesystem::is_empty(scratch_.path() / ".tmp-s3-staging"));
  const auto cached = scratch_.path() / "cache" / (*parts)[0].storage_target_id.value() /
                      (*parts)[0].object_key.value();
  ASSERT_TRUE(std::filesystem::exists(cached)) << cached;
  EXPECT_EQ(*storage::Sha256File(cached.string()), (*parts)[0].checksum_sha256);
}

TEST_F(S3IngestTest, WrongSecretMakesReadyAndIngestFailWithTheReasonAndCommitsNothing) {
  config::ServiceConfig cfg = Config("not-the-secret");
  Service service(cfg);
  ASSERT_TRUE(service.Start().ok());
  common::Status ready;
  testing::Eventually(
      [&] {
        ready = service.Readiness();
        return ready.message().find("SignatureDoesNotMatch") != std::string::npos;
      },
      5s);
  EXPECT_EQ(ready.code(), common::StatusCode::kUnavailable);
  EXPECT_NE(ready.message().find("SignatureDoesNotMatch"), std::string::npos) << ready.message();
  EXPECT_EQ(ready.message().find("not-the-secret"), std::string::npos);
  auto ready_http = Call(service.port(), testing::MakeRequest("GET", "/ready"));
  EXPECT_EQ(ready_http.status, 503);
  EXPECT_NE(ready_http.body.find("credentials rejected"), std::string::npos) << ready_http.body;

  auto r = Call(service.port(), testing::MakeRequest("POST", "/datasets/metrics/ingest",
                                                     "Content-Type: application/json\r\n", kBody));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("SignatureDoesNotMatch"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("not-the-secret"), std::string::npos);
  catalog::Catalog catalog(CatalogOptionsFor(cfg.postgres));
  auto d = catalog.datasets().FindBySlug("metrics");
  ASSERT_TRUE(d.ok());
  if (d->has_value()) {
    EXPECT_EQ((*d)->current_version, 0);
  }
}

TEST_F(S3IngestTest, StorageOutageDuringIngestIs503AndCommitsNothingThenTheRetrySucceeds) {
  testing::ThrowawayService s3("s3_tmp.sh", "TIMESTORE_S3_ENDPOINT");
  ASSERT_FALSE(s3.url().empty());
  config::ServiceConfig cfg = Config("S3RVER");
  cfg.storage.s3_endpoint = s3.url();
  Service service(cfg);
  ASSERT_TRUE(service.Start().ok());
  const common::Status ready = WaitUntilReady(service);
  ASSERT_TRUE(ready.ok()) << ready.ToString();
  const std::string request =
      testing::MakeRequest("POST", "/datasets/outage/ingest",
                           "Content-Type: application/json\r\nIdempotency-Key: b1\r\n", kBody);

  ASSERT_TRUE(s3.Pause());
  auto failed = Call(service.port(), request);
  EXPECT_EQ(failed.status, 503) << failed.body;
  EXPECT_EQ(failed.Header("retry-after"), "1");
  EXPECT_NE(failed.body.find("unreachable"), std::string::npos) << failed.body;
  catalog::Catalog catalog(CatalogOptionsFor(cfg.postgres));
  auto d = catalog.datasets().GetBySlug("outage");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->current_version, 0);
  EXPECT_EQ(Call(service.port(), testing::MakeRequest("GET", "/ready")).status, 503);

  ASSERT_TRUE(s3.Resume());
  auto retried = Call(service.port(), request);
  EXPECT_EQ(retried.status, 201) << retried.body;
  EXPECT_EQ(catalog.datasets().GetBySlug("outage")->current_version, 1);
}

}  // namespace
}  // namespace timestore::app
